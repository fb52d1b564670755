#pragma once
// uw::bench::SseHub — many Server-Sent Event streams on one reader thread
// (epoll). Each stream belongs to one user; every event is turned into a
// Receipt (recipient, kind, uweet id, steady-clock receive time).
//
// Threading: open() and the accessors may be called from the runner's thread
// while the reader thread runs; receipts are handed over under a mutex.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/runner/accounting.hpp"
#include "core/result.hpp"

namespace uw::bench {

// Milliseconds on the steady clock (the time base of receipts and acks).
double steady_ms();

class SseHub {
 public:
  SseHub();
  ~SseHub();  // stops the thread and closes every stream
  SseHub(const SseHub&) = delete;
  SseHub& operator=(const SseHub&) = delete;

  // Connects to 127.0.0.1:port and sends GET path_and_query; the stream's
  // events are attributed to user_id. An Error (strerror's text) when the
  // connect or the request fails.
  Result<Unit> open(uint16_t port, const std::string& path_and_query, uint32_t user_id);
  // Streams whose ": connected" comment arrived (registered at the notifier).
  size_t connected() const { return connected_.load(); }
  // Streams that ended or got a non-200 answer.
  size_t closed() const { return closed_.load(); }
  uint64_t receipts() const { return receipts_count_.load(); }
  // Moves out the receipts gathered so far.
  std::vector<Receipt> take();
  // Events that could not be parsed (bad JSON, unknown kind).
  uint64_t bad_events() const { return bad_.load(); }

 private:
  struct Stream;
  void run();
  void on_readable(Stream& s);
  void dispatch(Stream& s, const std::string& event, const std::string& data);

  int epfd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::mutex mu_;  // guards streams_ (growth) and out_
  std::vector<std::unique_ptr<Stream>> streams_;
  std::vector<Receipt> out_;
  std::atomic<size_t> connected_{0}, closed_{0};
  std::atomic<uint64_t> receipts_count_{0}, bad_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace uw::bench
