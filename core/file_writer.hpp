#pragma once
// uw::FileWriter — appends to a file on a thread of its own, so an event loop
// that logs never waits on the disk (a write into the page cache can block for
// tens of milliseconds while the kernel throttles dirty pages, e.g. during a
// database checkpoint).
//
// The caller hands over whole chunks (many lines). Pending bytes are bounded:
// past max_pending a chunk is dropped and counted instead of growing memory;
// the count is reported by dropped_bytes() (and by its owner as a metric).
//
// Threading: write()/dropped_bytes() from any thread; the destructor drains what
// is pending, then joins (call it where blocking briefly is acceptable: at exit).
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace uw {

class FileWriter {
 public:
  static constexpr size_t kDefaultMaxPending = 8 << 20;

  // Opens path for appending; "" writes to stderr. nullptr (and *error set)
  // when the file cannot be opened.
  static std::unique_ptr<FileWriter> open(const std::string& path, std::string* error,
                                          size_t max_pending = kDefaultMaxPending);
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Queues chunk; false (and counted) if max_pending bytes already wait.
  bool write(std::string chunk);
  uint64_t dropped_bytes() const;
  uint64_t written_bytes() const;

 private:
  FileWriter(FILE* f, bool owns, size_t max_pending);
  void thread_main();

  FILE* file_;
  bool owns_file_;
  size_t max_pending_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> queue_;  // guarded by mu_
  size_t pending_ = 0;              // guarded by mu_
  uint64_t dropped_ = 0;            // guarded by mu_
  uint64_t written_ = 0;            // guarded by mu_
  bool stopping_ = false;           // guarded by mu_
  std::thread thread_;
};

}  // namespace uw
