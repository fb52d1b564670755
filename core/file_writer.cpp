#include "core/file_writer.hpp"

#include <cerrno>
#include <cstring>

namespace uw {

std::unique_ptr<FileWriter> FileWriter::open(const std::string& path, std::string* error,
                                             size_t max_pending) {
  if (path.empty()) return std::unique_ptr<FileWriter>(new FileWriter(stderr, false, max_pending));
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) {
    if (error) *error = "cannot open " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<FileWriter>(new FileWriter(f, true, max_pending));
}

FileWriter::FileWriter(FILE* f, bool owns, size_t max_pending)
    : file_(f), owns_file_(owns), max_pending_(max_pending), thread_([this] { thread_main(); }) {}

FileWriter::~FileWriter() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
  if (owns_file_) std::fclose(file_);
}

bool FileWriter::write(std::string chunk) {
  if (chunk.empty()) return true;
  {
    std::lock_guard lk(mu_);
    if (pending_ + chunk.size() > max_pending_) {
      dropped_ += chunk.size();
      return false;
    }
    pending_ += chunk.size();
    queue_.push_back(std::move(chunk));
  }
  cv_.notify_one();
  return true;
}

uint64_t FileWriter::dropped_bytes() const {
  std::lock_guard lk(mu_);
  return dropped_;
}

uint64_t FileWriter::written_bytes() const {
  std::lock_guard lk(mu_);
  return written_;
}

void FileWriter::thread_main() {
  std::vector<std::string> batch;
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      batch.swap(queue_);
    }
    size_t n = 0, taken = 0;
    for (const auto& c : batch) {
      n += std::fwrite(c.data(), 1, c.size(), file_);
      taken += c.size();
    }
    std::fflush(file_);
    batch.clear();
    std::lock_guard lk(mu_);
    pending_ -= taken;
    written_ += n;
  }
}

}  // namespace uw
