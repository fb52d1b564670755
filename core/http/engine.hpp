#pragma once
// Internal to core/http: the state behind uw::http::Server. server.cpp holds the
// listener, accept and shutdown; connection.cpp one connection's life (read,
// parse, dispatch, respond, stream, linger, close).
//
// Threading: loop thread only.
// Lifetime: a Conn is allocated at accept and deleted in the close callback of
// the last of its two handles (tcp, timer). Write requests hold a raw Conn*:
// libuv runs every write callback (UV_ECANCELED after uv_close) before the close
// callback, so the Conn outlives them. Other code names connections by id.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "core/http/request_parser.hpp"
#include "core/http/server.hpp"
#include "core/http/wire.hpp"

namespace uw::http {

struct Responder::Shared {
  detail::Engine* engine = nullptr;  // null once the Server is destroyed
};

namespace detail {

enum class Phase {
  Idle,       // between requests; idle timer
  Reading,    // part of a request arrived; request timer (408)
  Handling,   // request handed to the Handler; waiting for the Responder
  Streaming,  // streaming response; incoming bytes are discarded
  Lingering,  // closing after the queued writes: flush, FIN, drain input, close
  Closed,     // uv_close called
};

struct Conn {
  Conn(Engine* e, uint64_t conn_id, const Limits& limits) : engine(e), id(conn_id), parser(limits) {}

  uv_tcp_t tcp{};
  uv_timer_t timer{};
  uv_shutdown_t shutdown_req{};
  Engine* engine;
  uint64_t id;
  RequestParser parser;
  Phase phase = Phase::Idle;
  int open_handles = 0;
  size_t pending_writes = 0;  // uv_write requests not yet called back
  bool reading = false;       // uv_read_start active
  bool read_eof = false;
  bool in_process = false;  // inside Engine::process (re-entrancy guard)
  bool rejected = false;    // over max_connections: answered 503, not counted as active
  bool shutdown_started = false;
  // Unparsed input (pipelined requests arriving while one is being handled).
  std::string inbuf;
  size_t in_off = 0;
  bool was_paused = false;  // its requests once waited for its output backlog
  std::string peer_ip;
  // The request being handled.
  uint64_t request_seq = 0;
  uint64_t started_ns = 0;
  bool keep_alive = true;
  bool head = false;
  std::string method, path;
};

class Engine {
 public:
  Engine(uv_loop_t* loop, Limits limits, Handler handler)
      : loop_(loop), limits_(limits), handler_(std::move(handler)) {}
  ~Engine();

  // server.cpp
  int listen(const std::string& host, uint16_t port);
  void shutdown(uint64_t grace_ms, std::function<void()> done);
  ServerStats stats() const;

  // Responder / Server entry points (connection.cpp)
  void respond(uint64_t conn_id, uint64_t seq, Response r);
  bool start_stream(uint64_t conn_id, uint64_t seq, int status,
                    std::vector<std::pair<std::string, std::string>> headers);
  WriteResult stream_write(uint64_t conn_id, std::string_view bytes);
  void close_connection(uint64_t conn_id);
  size_t queued_bytes(uint64_t conn_id) const;

  std::weak_ptr<Responder::Shared> shared_;
  ResponseHook hook_;
  std::function<void(uint64_t)> close_cb_;
  std::string host_;
  uint16_t port_ = 0;

 private:
  static void on_listen_readable(uv_poll_t* h, int status, int events);
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_shutdown(uv_shutdown_t* req, int status);
  static void on_timer(uv_timer_t* t);
  static void on_conn_handle_closed(uv_handle_t* h);
  static void on_server_handle_closed(uv_handle_t* h);

  Conn* find(uint64_t id) const;
  void accept_ready();
  void accept_one(int fd);
  bool refuse_with_spare();
  void answer_and_close_raw(int fd);
  void read(Conn* c, const char* data, size_t len);
  size_t process(Conn* c, const char* data, size_t len);
  void resume(Conn* c);
  void dispatch(Conn* c);
  void send_error(Conn* c, int status, const std::string& message);
  void send_bytes(Conn* c, const char* data, size_t len);
  void finish(Conn* c);
  void begin_shutdown(Conn* c);
  void ensure_reading(Conn* c);
  void limit_input(Conn* c);
  void arm(Conn* c, uint64_t ms);
  void close(Conn* c);
  void conn_freed();
  void maybe_done();

  uv_loop_t* loop_;
  Limits limits_;
  Handler handler_;
  // The listening socket is ours, not a uv_tcp_t: libuv's own accept closes
  // connections silently when the process is out of descriptors, and we answer
  // them 503 instead (server.cpp, refuse_with_spare).
  int listen_fd_ = -1;
  uv_poll_t listen_poll_{};
  bool listener_open_ = false;
  uv_timer_t accept_pause_{};  // retries accept when even the spare is gone
  bool accept_pause_open_ = false;
  int spare_fd_ = -1;           // /dev/null, closed to make room for one refusal
  uint64_t fd_soft_limit_ = 0;  // RLIMIT_NOFILE at listen(); 0 = unknown
  uint64_t fd_exhausted_total_ = 0;
  // After connections that held a backlog close, free heap pages go back to
  // the kernel (malloc_trim) once the burst of closes is over.
  uv_timer_t trim_timer_{};
  bool trim_timer_open_ = false;
  void schedule_trim();
  uv_timer_t grace_timer_{};
  bool grace_open_ = false;
  bool grace_closing_ = false;
  int server_handles_open_ = 0;
  bool shutting_down_ = false;
  std::function<void()> done_;

  std::unordered_map<uint64_t, Conn*> conns_;
  size_t live_conns_ = 0;  // allocated Conn objects, closing ones included
  size_t active_ = 0;      // open, not rejected
  uint64_t next_id_ = 1;
  uint64_t accepted_total_ = 0;
  uint64_t rejected_total_ = 0;

  wire::DateCache date_;
  std::string scratch_;  // serialisation buffer reused across responses
  // What one read takes. It bounds what a client that pipelines and does not
  // read leaves unparsed (limit_input); libuv reads again at once while more waits.
  static constexpr size_t kReadBufSize = size_t{16} * 1024;
  std::unique_ptr<char[]> read_buf_ = std::make_unique<char[]>(kReadBufSize);
};

}  // namespace detail
}  // namespace uw::http
