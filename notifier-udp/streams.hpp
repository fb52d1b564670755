#pragma once
// uw::notifier::Streams — the open SSE connections, by user. Writes go through
// http::Server::stream_write; a subscriber that still has more than `backlog`
// bytes unsent after a write is cut off (its browser reconnects with
// Last-Event-ID and catches up from the inbox) instead of growing memory. The
// check is on what is left after the write, so one large write to a reader
// that keeps up (the socket takes it all) never counts against it; a stalled
// stream holds at most `backlog` plus one turn's writes.
// A heartbeat comment goes to every stream every `heartbeat_ms`.
// Connections are named by conn_id; a closed one is simply forgotten. Each
// stream is counted under its user and its peer address, so that the API can
// refuse one user (or one address) more than its share of the slots.
// Threading: loop thread only.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace uw::http {
class Server;
}

namespace uw::notifier {

struct StreamStats {
  uint64_t opened = 0;
  uint64_t cut_slow = 0;     // cut off for a full backlog
  uint64_t events_sent = 0;  // SSE events written (not heartbeats)
};

class Streams {
 public:
  // `backlog`: unsent bytes a stream may hold after a write (--sse-backlog).
  Streams(uv_loop_t* loop, http::Server& server, uint64_t heartbeat_ms, uint64_t backlog);
  Streams(const Streams&) = delete;
  Streams& operator=(const Streams&) = delete;

  void add(uint64_t conn_id, int64_t user_id, const std::string& peer_ip);
  void remove(uint64_t conn_id);  // from the server's on_close
  // Queues bytes for every stream of user_id; returns how many streams there are.
  // Queued bytes go out on flush() (end of the delivery turn): one write per
  // stream per turn however many notifications it got.
  size_t push(int64_t user_id, std::string_view sse_bytes);
  void flush();
  // Writes to one stream (catch-up); false if gone or cut off.
  bool write_one(uint64_t conn_id, std::string_view bytes);
  bool online(int64_t user_id) const { return by_user_.count(user_id) != 0; }
  size_t count() const { return by_conn_.size(); }
  size_t count_for_user(int64_t user_id) const;
  size_t count_for_address(const std::string& peer_ip) const;
  const StreamStats& stats() const { return stats_; }
  // Called once per stream cut off for a full backlog, before it is closed,
  // with its user and the bytes it still had queued (the daemon logs it).
  using CutFn = std::function<void(uint64_t conn_id, int64_t user_id, size_t queued_bytes)>;
  void on_cut(CutFn fn) { on_cut_ = std::move(fn); }
  void close(std::function<void()> done);  // stops the heartbeat timer

 private:
  void heartbeat();
  uv_timer_t timer_{};
  http::Server& server_;
  uint64_t backlog_;
  struct Conn {
    int64_t user_id;
    std::string peer_ip;
  };
  std::unordered_map<uint64_t, Conn> by_conn_;
  std::unordered_map<std::string, size_t> by_address_;
  std::unordered_map<int64_t, std::vector<uint64_t>> by_user_;
  std::unordered_map<uint64_t, std::string> pending_;  // conn -> bytes queued this turn
  StreamStats stats_;
  CutFn on_cut_;
  std::function<void()> close_done_;
};

}  // namespace uw::notifier
