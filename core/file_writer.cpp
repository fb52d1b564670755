#include "core/file_writer.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

namespace uw {

namespace {

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Result<std::unique_ptr<FileWriter>> FileWriter::open(const std::string& path, size_t max_pending) {
  if (path.empty()) return std::unique_ptr<FileWriter>(new FileWriter(stderr, path, max_pending));
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return Error{500, "open_failed", "cannot open " + path + ": " + std::strerror(errno)};
  return std::unique_ptr<FileWriter>(new FileWriter(f, path, max_pending));
}

FileWriter::FileWriter(FILE* f, std::string path, size_t max_pending)
    : path_(std::move(path)), file_(f), queue_(max_pending) {
  thread_.start({"file-writer"}, [this] { thread_main(); });
}

FileWriter::~FileWriter() {
  queue_.stop(Stop::Drain);
  thread_.join();
  if (!path_.empty()) std::fclose(file_);
}

bool FileWriter::write(std::string chunk) {
  if (chunk.empty()) return true;
  const size_t n = chunk.size();
  if (!queue_.push(Item(std::move(chunk)), n)) {
    dropped_.fetch_add(n, std::memory_order_relaxed);
    return false;
  }
  return true;
}

Result<Unit> FileWriter::reopen() {
  if (path_.empty()) return Unit{};
  FILE* f = std::fopen(path_.c_str(), "a");
  if (!f) {
    std::string msg = "cannot reopen " + path_ + ": " + std::strerror(errno);
    errors_.fetch_add(1, std::memory_order_relaxed);
    // Said on stderr too: the old file, which gets the caller's error line,
    // may be the deleted one nobody reads.
    std::fprintf(stderr, "log file %s: %s; still writing to the file opened before\n", path_.c_str(),
                 msg.c_str());
    return Error{500, "reopen_failed", msg};
  }
  if (!queue_.push(Item(Reopened{f}))) {
    std::fclose(f);  // stopping: the old file takes the last lines
  }
  return Unit{};
}

void FileWriter::thread_main() {
  std::vector<Item> batch;
  while (queue_.take(batch)) {
    size_t taken = 0;
    size_t failed = 0;  // bytes since the last flush, lost if it fails
    bool wrote_ok = true;
    int err = 0;
    for (auto& item : batch) {
      if (auto* chunk = std::get_if<std::string>(&item)) {
        if (std::fwrite(chunk->data(), 1, chunk->size(), file_) != chunk->size() && wrote_ok) {
          wrote_ok = false;
          err = errno;
        }
        taken += chunk->size();
        failed += chunk->size();
      } else {
        // Everything queued before the reopen went to the old file.
        if (std::fflush(file_) != 0 && wrote_ok) {
          wrote_ok = false;
          err = errno;
        }
        if (!wrote_ok) check(false, err, failed);
        std::fclose(file_);
        file_ = std::get<Reopened>(item).file;
        wrote_ok = true;
        failed = 0;
        last_link_check_ms_ = 0;
      }
    }
    if (std::fflush(file_) != 0 && wrote_ok) {
      wrote_ok = false;
      err = errno;
    }
    if (std::ferror(file_)) {
      if (wrote_ok) err = errno;
      wrote_ok = false;
      std::clearerr(file_);
    }
    if (!path_.empty()) check(wrote_ok, err, failed);
    batch.clear();
    queue_.release(taken);
  }
}

void FileWriter::check(bool wrote_ok, int err, size_t bytes) {
  if (!wrote_ok) {
    lost_.fetch_add(bytes, std::memory_order_relaxed);
    errors_.fetch_add(1, std::memory_order_relaxed);
    set_ok(false, std::string("write failed: ") + std::strerror(err != 0 ? err : EIO));
    return;
  }
  // Deleted under us? fstat is cheap but not free: at most once a second
  // while healthy, and on every batch while deleted (to come back quickly).
  const int64_t now = steady_ms();
  if (ok_.load(std::memory_order_relaxed) && now - last_link_check_ms_ < 1000) return;
  last_link_check_ms_ = now;
  struct stat st {};
  if (fstat(fileno(file_), &st) == 0 && st.st_nlink == 0) {
    lost_.fetch_add(bytes, std::memory_order_relaxed);
    if (ok_.load(std::memory_order_relaxed)) errors_.fetch_add(1, std::memory_order_relaxed);
    // Opened again as soon as the path can be created (its folder is back).
    if (FILE* f = std::fopen(path_.c_str(), "a")) {
      std::fclose(file_);
      file_ = f;
      set_ok(true, "was deleted; opened again");
      return;
    }
    set_ok(false, std::string("was deleted and cannot be created again: ") + std::strerror(errno));
    return;
  }
  set_ok(true, "writes work again");
}

void FileWriter::set_ok(bool ok, const std::string& why) {
  const bool was = ok_.exchange(ok, std::memory_order_relaxed);
  if (ok && was) return;
  report(why);
}

void FileWriter::report(const std::string& what) {
  const int64_t now = steady_ms();
  const bool change = ok_.load(std::memory_order_relaxed) || last_report_ms_ == 0;
  if (!change && now - last_report_ms_ < kReportEveryMs) return;
  last_report_ms_ = now;
  const uint64_t lost = lost_.load(std::memory_order_relaxed);
  std::fprintf(stderr, "log file %s: %s (%llu bytes of lines lost since the last report, %llu in all)\n",
               path_.c_str(), what.c_str(), static_cast<unsigned long long>(lost - lost_reported_),
               static_cast<unsigned long long>(lost));
  std::fflush(stderr);
  lost_reported_ = lost;
}

}  // namespace uw
