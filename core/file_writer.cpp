#include "core/file_writer.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

namespace uw {

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
  if (!f) return Error{500, "reopen_failed", "cannot reopen " + path_ + ": " + std::strerror(errno)};
  if (!queue_.push(Item(Reopened{f}))) {
    std::fclose(f);  // stopping: the old file takes the last lines
  }
  return Unit{};
}

void FileWriter::thread_main() {
  std::vector<Item> batch;
  while (queue_.take(batch)) {
    size_t taken = 0;
    for (auto& item : batch) {
      if (auto* chunk = std::get_if<std::string>(&item)) {
        std::fwrite(chunk->data(), 1, chunk->size(), file_);
        taken += chunk->size();
      } else {
        // Everything queued before the reopen went to the old file.
        std::fclose(file_);
        file_ = std::get<Reopened>(item).file;
      }
    }
    std::fflush(file_);
    batch.clear();
    queue_.release(taken);
  }
}

}  // namespace uw
