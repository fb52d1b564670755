#pragma once
// uw::bench::SseHub — the runner's subscribers: one SSE stream per user on the
// kit's fleet reader (kit::SseFleet, one thread for all streams). Every event
// is turned into a Receipt (recipient, kind, uweet id, steady-clock receive
// time).
//
// Threading: open() and the accessors may be called from the runner's thread
// while the fleet's reader thread runs; receipts are handed over under a mutex.
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/kit/sse_fleet.hpp"
#include "bench/runner/accounting.hpp"
#include "core/result.hpp"

namespace uw::bench {

// Milliseconds on the steady clock (the time base of receipts and acks).
double steady_ms();

class SseHub final : kit::SseFleet::Handler {
 public:
  SseHub();
  ~SseHub() override;  // stops the reader and closes every stream
  SseHub(const SseHub&) = delete;
  SseHub& operator=(const SseHub&) = delete;

  // Connects to 127.0.0.1:port and sends GET path_and_query; the stream's
  // events are attributed to user_id. An Error (strerror's text) when the
  // connect or the request fails. source_port > 0: connect from that local
  // port (the Error's code is "port_in_use" when it is taken: try another).
  Result<Unit> open(uint16_t port, const std::string& path_and_query, uint32_t user_id,
                    uint16_t source_port = 0);
  // Streams whose ": connected" comment arrived (registered at the notifier).
  size_t connected() const { return connected_.load(); }
  // Streams that ended or got a non-200 answer.
  size_t closed() const { return closed_.load(); }
  uint64_t receipts() const { return receipts_count_.load(); }
  // Moves out the receipts gathered so far.
  std::vector<Receipt> take();
  // The id of the last event user_id's streams received ("" = none yet): what
  // a browser's EventSource sends as Last-Event-ID when it reconnects.
  std::string last_event_id(uint32_t user_id);
  // Events that could not be parsed (bad JSON, unknown kind).
  uint64_t bad_events() const { return bad_.load(); }

 private:
  // Per stream, touched by the reader thread only (indexed by the fleet tag).
  struct Stream {
    uint32_t user = 0;
    bool counted_connected = false;
    bool counted_closed = false;
  };
  void on_head(uint64_t tag, int status, std::string_view head) override;
  void on_event(uint64_t tag, const kit::SseEvent& event) override;
  void on_comment(uint64_t tag, std::string_view text) override;
  void on_closed(uint64_t tag) override;
  Stream& stream(uint64_t tag);
  void count_closed(Stream& s);

  std::mutex mu_;               // guards streams_ (growth), out_ and last_id_
  std::deque<Stream> streams_;  // a deque: references survive growth
  std::vector<Receipt> out_;
  std::unordered_map<uint32_t, std::string> last_id_;
  std::atomic<size_t> connected_{0}, closed_{0};
  std::atomic<uint64_t> receipts_count_{0}, bad_{0};
  kit::SseFleet fleet_;  // last: stopped before the record goes
};

}  // namespace uw::bench
