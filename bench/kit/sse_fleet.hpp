#pragma once
// Many SSE streams read by one epoll thread (a thread per stream would not
// scale to 1,000). Counts events per stream and records, for events whose
// data carries "probe":<send time ns>, the receive-minus-send latency.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace uw::bench {

class SseFleet {
 public:
  SseFleet() = default;
  ~SseFleet();
  // Opens one stream per target ("/events?ticket=..."); returns how many answered 200.
  size_t open(uint16_t port, const std::vector<std::string>& targets);
  uint64_t events() const { return events_.load(); }
  // Latencies (ns) of probe events seen so far; clears the list.
  std::vector<int64_t> take_latencies();
  void close();

 private:
  void run();
  struct Conn {
    int fd;
    std::string buf;
    bool body = false;
  };
  int ep_ = -1;
  std::vector<Conn> conns_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> events_{0};
  std::mutex mu_;
  std::vector<int64_t> lat_;
};

int64_t mono_ns();

}  // namespace uw::bench
