#pragma once
// uw::http::Server — a libuv HTTP/1.1 server built on Debian's http_parser.
//
// Threading: every member function, every Handler call and every Responder call
// happen on the loop thread that owns the server. Nothing here blocks.
//
// Connections are named by id (conn_id), never by pointer: a Responder or a
// stream_write for a connection that has gone away does nothing.
//
// Pipelining: requests on one connection are handled one at a time, in order;
// bytes of the next request are buffered (bounded by the limits) until the
// current response has been queued. Keep-alive follows HTTP/1.1 rules.
//
// The server itself answers malformed and over-limit requests (400, 408, 413,
// 431, 501, 503) with a short text/plain body and closes the connection.
// Requests carrying both Content-Length and Transfer-Encoding, or duplicate
// Content-Length headers, are rejected with 400 (request-smuggling defence);
// so are obs-fold, a bare CR and header names that are not tokens. A
// Transfer-Encoding other than exactly "chunked" gets 501. RFC 9112's request
// line and Host rules hold (400 otherwise): one SP between the three parts, no
// control characters or other white space in the line, exactly one Host in
// HTTP/1.1; absolute-form targets are rewritten to origin-form (Request::target
// and path never start with anything but '/', or are "*" for OPTIONS). A bare
// LF is accepted as a line end. Details: docs/WEB.md "HTTP".
//
// Output backlog: while a connection has more than max_pipeline_backlog_bytes of
// responses unwritten, its further pipelined requests are not parsed and its
// socket is not read (they wait in the kernel, whose receive window then stops
// the client); reading resumes as the backlog drains. A client that pipelines
// without reading pins at most about that backlog, one read's worth of input
// (16 KiB) and one response; once such connections have closed, the freed heap
// is handed back to the kernel (malloc_trim, 200 ms after the last one).
//
// Descriptors: the server keeps one spare descriptor. When accept fails because
// the process is out of descriptors (EMFILE/ENFILE), the spare is closed, the
// waiting client is accepted, answered 503 and closed, and the spare is opened
// again, so an over-limit client gets an answer, never a silent close.
//
// Timers: a new connection that sends nothing is closed silently after
// min(idle_timeout_ms, header_timeout_ms); a request must arrive whole within
// header_timeout_ms of its first byte (408); a kept-alive connection idle for
// idle_timeout_ms is closed silently. Nothing times out while a Handler holds a
// request or while a response streams. A connection closing after a response
// sends FIN and drains input for up to 2 s so the peer reads the response
// rather than a reset. The request parser itself is core/http/request_parser.hpp.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uw::http {

struct Request {
  uint64_t conn_id = 0;
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request-target, e.g. "/u/bob?before=10"
  std::string path;    // target up to '?', not percent-decoded
  std::string query;   // after '?', without it; empty if none
  // Header names lower-cased; values with surrounding white space trimmed, in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;     // de-chunked
  std::string peer_ip;  // textual IP of the client
  bool keep_alive = true;

  // First header with this (lower-case) name.
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

struct Response {
  int status = 200;
  // Content-Length/Date/Connection are added by the server; a handler's own
  // Content-Length/Date/Connection are dropped, except that "Connection: close"
  // makes the server close the connection after this response. Headers whose
  // name or value holds CR or LF are dropped (no response splitting).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  Response& set(std::string name, std::string value);  // appends a header
  static Response text(int status, std::string body);  // text/plain; charset=utf-8
  static Response html(int status, std::string body);  // text/html; charset=utf-8
  static Response json(int status, std::string body);  // application/json
};

class Server;
namespace detail {
class Engine;  // the implementation behind Server (core/http/engine.hpp)
}

// Completes one request. Call send() exactly once, or start_stream() once and then
// write with Server::stream_write. Copyable; all copies refer to the same request.
// Safe to call after the connection closed or the server was destroyed: it does nothing.
class Responder {
 public:
  void send(Response r) const;
  // Sends status line and headers with no Content-Length and "Connection: close"
  // (the connection then carries this one streaming response until either side
  // closes it; bytes the client sends afterwards are read and discarded).
  // Returns false if the connection is gone.
  bool start_stream(int status, std::vector<std::pair<std::string, std::string>> headers) const;
  uint64_t conn_id() const { return conn_id_; }

 private:
  friend class Server;
  friend class detail::Engine;
  struct Shared;
  std::weak_ptr<Shared> shared_;
  uint64_t conn_id_ = 0;
  uint64_t request_seq_ = 0;
};

using Handler = std::function<void(Request&& req, Responder res)>;

struct Limits {
  size_t max_header_bytes = size_t{16} * 1024;  // request line + headers -> 431
  size_t max_body_bytes = size_t{64} * 1024;    // -> 413
  size_t max_connections = 4096;                // beyond: 503 and close
  uint64_t header_timeout_ms = 10'000;          // whole request must arrive in this -> 408
  uint64_t idle_timeout_ms = 60'000;            // keep-alive idle connection closed
  size_t max_stream_backlog_bytes = 1 << 20;    // stream_write returns Overflow beyond this
  // Pipelined requests wait while this many response bytes are unwritten.
  size_t max_pipeline_backlog_bytes = size_t{32} * 1024;
};

enum class WriteResult { Ok, Gone, Overflow };

// What the response hook knows about the request being answered.
struct RequestInfo {
  std::string_view method;  // empty for server-generated errors before the request line parsed
  std::string_view path;
  std::string_view peer_ip;
  uint64_t started_ns = 0;  // uv_hrtime() when the request's first byte arrived
};
// Called for every response (handler responses, stream starts and the server's
// own errors) just before it is serialised: it may add headers. The body size is
// final at that point (response.body.size()).
using ResponseHook = std::function<void(const RequestInfo& info, Response& response)>;

struct ServerStats {
  uint64_t active_connections = 0;
  uint64_t accepted_total = 0;
  uint64_t rejected_total = 0;  // answered by the server itself (4xx/5xx above)
  // Clients answered 503 because the process was out of descriptors, or within
  // a few of its limit (also counted in rejected_total).
  uint64_t fd_exhausted_total = 0;
  uint64_t queued_bytes = 0;          // response bytes written to no socket yet, all connections
  uint64_t paused_connections = 0;    // connections whose requests wait for their backlog to drain
  uint64_t buffered_input_bytes = 0;  // received request bytes not yet parsed, all connections
};

class Server {
 public:
  Server(uv_loop_t* loop, Limits limits, Handler handler);
  ~Server();  // must be destroyed after close() completed
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. host is an IPv4 or IPv6 literal; port 0 picks a free one.
  // Returns 0 or a negative libuv error.
  [[nodiscard]] int listen(const std::string& host, uint16_t port);
  uint16_t port() const;
  const std::string& host() const;

  // Streaming responses (SSE). Appends bytes to the connection's write queue.
  WriteResult stream_write(uint64_t conn_id, std::string_view bytes);
  void close_connection(uint64_t conn_id);
  size_t queued_bytes(uint64_t conn_id) const;
  // Called when a connection closes (either side), with its id.
  void on_close(std::function<void(uint64_t conn_id)> cb);
  void on_response(ResponseHook hook);

  // Stops accepting; lets in-flight requests finish (up to grace_ms), closes idle
  // and streaming connections, then closes every handle and calls done.
  void shutdown(uint64_t grace_ms, std::function<void()> done);

  ServerStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Responder::Shared> shared_;
  std::unique_ptr<Impl> impl_;
};

// Percent-decoding and query/form parsing (application/x-www-form-urlencoded).
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space);
std::string url_encode(std::string_view s);
// Returns the decoded value of the first `key` in a query or form body.
std::optional<std::string> form_value(std::string_view form, std::string_view key);

}  // namespace uw::http
