#pragma once
// uw::kit::SseFleet — any number of SSE streams read by one epoll thread (a
// thread per stream would not scale to the benchmarks' 1,000 subscribers).
// Every stream has its own SseParser; what they parse goes to one Handler,
// with the tag the stream was opened with. A single test stream (SseStream)
// is a fleet of one.
//
// Threading: open() may be called from any thread, also while the reader
// thread runs. Handler callbacks run on the reader thread only, never after
// stop() returned. The handler must outlive the fleet.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/kit/sse_parser.hpp"
#include "core/result.hpp"

namespace uw::kit {

// Connects to 127.0.0.1:port and sends `GET target` asking for an event
// stream, with extra header lines. rcvbuf > 0 sets SO_RCVBUF before connect()
// (so the advertised window stays small: tests of slow subscribers). Returns a
// blocking socket, or -1 if any step failed. The caller owns the socket.
int connect_sse(uint16_t port, const std::string& target, const std::vector<std::string>& headers = {},
                int rcvbuf = 0);

class SseFleet {
 public:
  // Called on the reader thread; `tag` names the stream (given to open()).
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void on_head(uint64_t tag, int status, std::string_view head) = 0;
    virtual void on_event(uint64_t tag, const SseEvent& event) = 0;
    virtual void on_comment(uint64_t /*tag*/, std::string_view /*text*/) {}
    // Every byte read, before it is parsed (for tests that look at the wire).
    virtual void on_bytes(uint64_t /*tag*/, std::string_view /*bytes*/) {}
    // The server closed the stream (or reading failed); nothing more comes.
    virtual void on_closed(uint64_t tag) = 0;
  };

  explicit SseFleet(Handler& handler);  // starts the reader thread
  ~SseFleet();                          // stop()
  SseFleet(const SseFleet&) = delete;
  SseFleet& operator=(const SseFleet&) = delete;

  // Opens one stream (connect_sse) and reads it from now on; an Error{502,
  // "sse_stream"} says why it could not connect. Any thread.
  Result<Unit> open(uint16_t port, const std::string& target, uint64_t tag,
                    const std::vector<std::string>& headers = {});
  // Joins the reader thread and closes every stream. Idempotent; any thread
  // but the reader's.
  void stop();

 private:
  struct Stream;
  void run();
  void read(Stream& s, char* buf, size_t size);

  Handler& handler_;
  int epfd_ = -1;
  int wake_fd_ = -1;
  std::mutex mu_;  // guards streams_ (growth only: a Stream never moves)
  std::vector<std::unique_ptr<Stream>> streams_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace uw::kit
