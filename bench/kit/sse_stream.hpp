#pragma once
// uw::kit::SseStream — one SSE subscription for tests: a fleet of one stream
// (SseFleet) whose head, raw bytes and events are kept for the test to wait
// on, with deadlines (no fixed sleeps).
//
// Threading: the reader thread fills the record; every public function may be
// called from any other thread (they take the lock).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/kit/sse_fleet.hpp"

namespace uw::kit {

class SseStream final : SseFleet::Handler {
 public:
  // Opens GET `target` on 127.0.0.1:port with optional extra header lines.
  SseStream(uint16_t port, const std::string& target, const std::vector<std::string>& headers = {});
  ~SseStream() override;  // close()
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // Stops reading and closes the socket. Idempotent.
  void close();
  // Whether the TCP connection was made.
  bool connected() const { return connected_; }

  // Waits until the status line and headers arrived; returns the status (0 on
  // timeout or when the stream closed first; -1 when it was not HTTP).
  int wait_status(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::string head();
  std::string raw();  // every byte received, head included
  // Waits for an event matching pred (copied to *out); true if one arrived in time.
  bool wait_event(const std::function<bool(const SseEvent&)>& pred, std::chrono::milliseconds timeout,
                  SseEvent* out = nullptr);
  size_t count();
  std::vector<SseEvent> events();
  bool closed();
  // Waits for the server to close the stream.
  bool wait_closed(std::chrono::milliseconds timeout);

 private:
  void on_head(uint64_t tag, int status, std::string_view head) override;
  void on_event(uint64_t tag, const SseEvent& event) override;
  void on_bytes(uint64_t tag, std::string_view bytes) override;
  void on_closed(uint64_t tag) override;

  std::mutex mu_;
  std::condition_variable cv_;
  int status_ = 0;
  bool closed_ = false;
  std::string head_, raw_;
  std::vector<SseEvent> events_;
  bool connected_ = false;
  std::unique_ptr<SseFleet> fleet_;  // last: stopped before the record goes
};

}  // namespace uw::kit
