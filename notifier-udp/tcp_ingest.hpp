#pragma once
// uw::notifier::TcpIngest — the tcp:// transport's listener (--listen-tcp).
// Each connection carries length-prefixed envelopes: a 4-byte big-endian
// length, then that many bytes (the same signed bytes a datagram holds). Every
// frame goes through Ingest::offer (allow-list, verify, replay window, loss
// accounting); after each read the notifier writes back, as an 8-byte
// big-endian number, how many frames of this connection it has processed, so
// the sender knows which it may forget and which to resend after a reconnect
// (a resent frame the notifier had already seen is a duplicate: rejected by
// the replay window, never a second notification).
//
// Limits, each counted on /metrics and logged: a length of 0 or above
// sign::kMaxDatagram (a 4 GB prefix, garbage) closes the connection (the
// stream cannot be resynchronised); a peer silent for --tcp-idle-ms, or one
// that leaves a frame half-sent that long (slow or half-open), is closed; a
// peer that does not read its acks (more than 64 KiB unsent) is closed; at
// most --tcp-max-conns connections, later ones are closed at once. Memory per
// connection is bounded by one read (64 KiB) plus one partial frame.
// Threading: loop thread only. close() must finish before the destructor.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"

namespace uw::notifier {

class EventLog;
class Ingest;

struct TcpIngestStats {
  uint64_t accepted = 0;      // connections taken
  uint64_t refused_full = 0;  // closed at once: --tcp-max-conns reached
  uint64_t frames = 0;        // complete frames handed to Ingest::offer
  uint64_t bad_length = 0;    // connections closed for a length prefix out of range
  uint64_t idle_closed = 0;   // closed for silence or a frame left half-sent
  uint64_t slow_readers = 0;  // closed because their acks piled up unread
  uint64_t bytes = 0;         // bytes read
};

class TcpIngest {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 0;
    size_t max_connections = 64;
    uint64_t idle_ms = 30'000;
  };
  TcpIngest(uv_loop_t* loop, Options opts, Ingest& ingest, EventLog& log);
  ~TcpIngest();
  TcpIngest(const TcpIngest&) = delete;
  TcpIngest& operator=(const TcpIngest&) = delete;

  // Binds and listens; an Error names the step that failed.
  Result<Unit> start();
  uint16_t port() const { return port_; }
  const std::string& host() const { return opts_.host; }
  size_t connections() const { return conns_.size(); }
  // Bytes held for partial frames over every connection (a gauge).
  size_t buffered_bytes() const;
  const TcpIngestStats& stats() const { return stats_; }
  // Closes idle and stalled connections (the daemon's tick calls it).
  void sweep();
  void close(std::function<void()> done);

 private:
  struct Conn;
  static void on_connection(uv_stream_t* server, int status);
  void read(Conn& c, const char* p, size_t n);
  void drop(Conn& c, const char* why);
  void ack(Conn& c);
  void closed(Conn* c);
  void maybe_done();

  uv_loop_t* loop_;
  Options opts_;
  Ingest& ingest_;
  EventLog& log_;
  uv_tcp_t server_{};
  bool server_open_ = false, closing_ = false;
  uint16_t port_ = 0;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  size_t closing_conns_ = 0;
  std::vector<char> scratch_;  // one read at a time, shared by every connection
  TcpIngestStats stats_;
  std::function<void()> done_;
};

}  // namespace uw::notifier
