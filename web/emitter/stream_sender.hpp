#pragma once
// uw::web::StreamSender — the connection-oriented transports of the Emitter
// (tcp:// and http:// --notify targets): one persistent TCP connection to one
// notifier, carrying the same signed envelopes the UDP path sends as
// datagrams, each envelope once (--udp-copies is UDP's).
//
//   tcp://   each envelope as a 4-byte big-endian length and its bytes; the
//            notifier answers with 8-byte big-endian counts of the frames it
//            has processed on this connection (notifier-udp/tcp_ingest.hpp).
//   http://  each envelope as the body of a keep-alive POST (pipelined, at most
//            max_in_flight unanswered); a 2xx answer confirms it, any other
//            answer rejects it (it would not fare better sent again).
//
// Never blocks, never fails a post: send() queues; envelopes wait while
// disconnected, at most max_pending of them (the oldest waiting one is dropped
// and counted when full; the notifier sees the gap and counts it lost).
// Envelopes written but not yet confirmed when the connection breaks are sent
// again on the next one: the notifier's replay window rejects any it had
// already seen, so a resend is never a second notification. Reconnects back
// off from backoff_min_ms, doubling to backoff_max_ms.
// Metrics, labelled {target, transport}: uwitter_emitter_transport_{sent,
// confirmed,rejected,dropped,resent,reconnects}_total and the gauges
// uwitter_emitter_transport_{pending,connected}.
// Threading: loop thread only; close() must finish before the destructor.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "sign/envelope.hpp"
#include "web/emitter/notify_target.hpp"

namespace uw::metrics {
class Registry;
class Counter;
class Gauge;
}  // namespace uw::metrics

namespace uw::web {

struct StreamSenderStats {
  uint64_t sent = 0;        // envelopes written (resends included)
  uint64_t confirmed = 0;   // acknowledged by the notifier (2xx for HTTP)
  uint64_t rejected = 0;    // HTTP answers other than 2xx
  uint64_t dropped = 0;     // queue full, or still pending at close
  uint64_t resent = 0;      // written again after a reconnect
  uint64_t reconnects = 0;  // connections lost or refused (each starts a backoff)
};

class StreamSender {
 public:
  struct Options {
    NotifyTarget target;          // scheme Tcp or Http
    size_t max_pending = 4096;    // envelopes waiting or unconfirmed
    size_t max_in_flight = 1024;  // written and unconfirmed (HTTP: requests in flight)
    uint64_t backoff_min_ms = 50;
    uint64_t backoff_max_ms = 2000;
    uint64_t close_grace_ms = 1000;  // close() waits this long for pending envelopes to be written
  };
  StreamSender(uv_loop_t* loop, Options opts, metrics::Registry* metrics);
  ~StreamSender();
  StreamSender(const StreamSender&) = delete;
  StreamSender& operator=(const StreamSender&) = delete;

  // Checks the address and starts connecting (in the background).
  Result<Unit> start();
  void send(std::shared_ptr<const sign::Datagram> envelope);
  // Writes what is pending (for up to close_grace_ms), closes, then calls done.
  void close(std::function<void()> done);
  size_t pending() const { return waiting_.size() + in_flight_.size(); }
  // Calls cb once every envelope sent so far is settled: confirmed, rejected,
  // dropped, or abandoned at close (at once if none is pending). The http://
  // synchronous mode waits on this before a post is answered.
  void when_settled(std::function<void()> cb);
  bool connected() const;
  const StreamSenderStats& stats() const { return stats_; }

 private:
  struct Conn;
  struct WriteReq;
  struct Item {
    uint64_t seq = 0;  // order of send(): what when_settled() waits for
    std::shared_ptr<const sign::Datagram> envelope;
  };
  struct Waiter {
    uint64_t until = 0;  // settled once every seq below this is
    std::function<void()> cb;
  };
  uint64_t lowest_unsettled() const;
  void settle();
  void connect();
  void on_connected(Conn* c, int status);
  void on_read(Conn* c, const char* p, size_t n);
  void confirm(size_t n, bool ok);
  void pump();
  void write_one(const Item& item);
  void fail(Conn* c, const char* why);
  void retry_later();
  void finish_close();
  void update_gauges();

  uv_loop_t* loop_;
  Options opts_;
  sockaddr_storage addr_{};
  Conn* conn_ = nullptr;  // the current connection (connecting or up), or none
  int live_conns_ = 0;    // Conn objects not yet freed (their close callbacks pending)
  uv_timer_t timer_{};    // reconnect backoff, then close()'s grace period
  bool timer_open_ = false;
  bool timer_closing_ = false;
  uint64_t backoff_ms_ = 0;
  std::deque<Item> waiting_;    // not yet written on this connection (oldest first)
  std::deque<Item> in_flight_;  // written, not yet confirmed (older than every waiting one)
  uint64_t next_seq_ = 0;
  std::deque<Waiter> waiters_;  // `until` never decreases along the deque
  uint64_t acked_ = 0;          // tcp: the count last acknowledged on this connection
  std::string rx_;              // tcp: a partial ack; http: partial responses
  uint64_t resend_from_ = 0;    // envelopes at the front of waiting_ that were written before (resends)
  bool closing_ = false;
  std::function<void()> done_;
  StreamSenderStats stats_;
  metrics::Counter *m_sent_ = nullptr, *m_confirmed_ = nullptr, *m_rejected_ = nullptr, *m_dropped_ = nullptr,
                   *m_resent_ = nullptr, *m_reconnects_ = nullptr;
  metrics::Gauge *m_pending_ = nullptr, *m_connected_ = nullptr;
  std::string log_last_;  // the last failure logged (one line per change, not per retry)
};

}  // namespace uw::web
