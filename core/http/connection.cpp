// One connection's life: read -> parse (RequestParser) -> dispatch -> respond ->
// next pipelined request ... -> linger -> close. See engine.hpp for lifetimes.
#include <malloc.h>

#include <cassert>
#include <cstring>
#include <exception>

#include "core/http/engine.hpp"

namespace uw::http::detail {
namespace {

// How long a closing connection keeps draining input after our FIN, so that the
// peer reads our last response instead of a reset.
constexpr uint64_t kLingerMs = 2000;

struct WriteReq {
  uv_write_t req;
  std::string data;
};

uv_stream_t* stream(Conn* c) { return reinterpret_cast<uv_stream_t*>(&c->tcp); }

}  // namespace

Conn* Engine::find(uint64_t id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second;
}

void Engine::arm(Conn* c, uint64_t ms) { uv_timer_start(&c->timer, &Engine::on_timer, ms, 0); }

void Engine::ensure_reading(Conn* c) {
  if (c->reading || c->read_eof || c->phase == Phase::Closed) return;
  if (uv_read_start(stream(c), &Engine::on_alloc, &Engine::on_read) == 0) c->reading = true;
}

// Stops reading while too much unparsed input is buffered, or while pipelined
// input waits behind an output backlog (a client that sends and does not read:
// its further requests wait in the kernel, not in our heap); resume() starts again.
void Engine::limit_input(Conn* c) {
  if (!c->reading) return;
  const size_t unparsed = c->inbuf.size() - c->in_off;
  const bool full = unparsed > limits_.max_header_bytes + limits_.max_body_bytes;
  const bool backlogged = unparsed > 0 && c->tcp.write_queue_size > limits_.max_pipeline_backlog_bytes;
  if (full || backlogged) {
    uv_read_stop(stream(c));
    c->reading = false;
  }
}

void Engine::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  // One buffer per server: on_read consumes or copies the bytes before the next read.
  auto* e = static_cast<Conn*>(h->data)->engine;
  *buf = uv_buf_init(e->read_buf_.get(), kReadBufSize);
}

void Engine::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(s->data);
  Engine* e = c->engine;
  if (nread == 0) return;
  if (nread < 0) {
    c->reading = false;
    if (nread != UV_EOF) {
      e->close(c);
      return;
    }
    c->read_eof = true;
    switch (c->phase) {
      case Phase::Idle:
      case Phase::Reading:
        e->finish(c);  // an unfinished request from a departed client is dropped
        break;
      case Phase::Handling:
        break;  // answered first, then closed (see respond)
      case Phase::Streaming:
      case Phase::Lingering:
        e->close(c);
        break;
      case Phase::Closed:
        break;
    }
    return;
  }
  e->read(c, buf->base, static_cast<size_t>(nread));
}

void Engine::read(Conn* c, const char* data, size_t len) {
  switch (c->phase) {
    case Phase::Streaming:
    case Phase::Lingering:
    case Phase::Closed:
      return;  // discarded
    case Phase::Handling:
      c->inbuf.append(data, len);
      limit_input(c);
      return;
    case Phase::Idle:
    case Phase::Reading:
      break;
  }
  if (c->in_off == c->inbuf.size()) {
    // Nothing buffered: parse straight from the read buffer, keep only the rest.
    c->inbuf.clear();
    c->in_off = 0;
    size_t n = process(c, data, len);
    bool keeps_input = c->phase == Phase::Idle || c->phase == Phase::Reading || c->phase == Phase::Handling;
    if (keeps_input && n < len) {
      c->inbuf.append(data + n, len - n);
      limit_input(c);
    }
  } else {
    c->inbuf.append(data, len);
    resume(c);
  }
}

// Parses and dispatches requests from [data, data+len) while the connection is
// ready for one; returns how many bytes were consumed.
size_t Engine::process(Conn* c, const char* data, size_t len) {
  size_t off = 0;
  c->in_process = true;
  while (off < len && (c->phase == Phase::Idle || c->phase == Phase::Reading) &&
         c->tcp.write_queue_size <= limits_.max_pipeline_backlog_bytes) {
    if (!c->parser.in_progress()) {
      // The request timer runs from the first byte of a request; later bytes do
      // not extend it (slowloris).
      c->phase = Phase::Reading;
      c->started_ns = uv_hrtime();
      arm(c, limits_.header_timeout_ms);
    }
    off += c->parser.feed(data + off, len - off);
    if (c->parser.take_expect_continue()) {
      static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      send_bytes(c, kContinue, sizeof kContinue - 1);
      if (c->phase == Phase::Closed) break;
    }
    auto st = c->parser.state();
    if (st == RequestParser::State::Error) {
      send_error(c, c->parser.error_status(), c->parser.error_message());
      break;
    }
    if (st == RequestParser::State::Ready) dispatch(c);
  }
  if (off < len && c->tcp.write_queue_size > limits_.max_pipeline_backlog_bytes) c->was_paused = true;
  c->in_process = false;
  return off;
}

// Continues with buffered input after a response (or after the write backlog drained).
void Engine::resume(Conn* c) {
  if (c->in_process) return;
  size_t n = process(c, c->inbuf.data() + c->in_off, c->inbuf.size() - c->in_off);
  if (c->phase == Phase::Closed) return;
  c->in_off += n;
  if (c->in_off == c->inbuf.size()) {
    c->inbuf.clear();
    c->in_off = 0;
  } else if (c->in_off > size_t{64} * 1024) {
    c->inbuf.erase(0, c->in_off);
    c->in_off = 0;
  }
  if (c->phase == Phase::Idle || c->phase == Phase::Reading) {
    if (c->read_eof) {
      if (c->in_off == c->inbuf.size()) finish(c);  // else waiting for the write backlog
    } else {
      ensure_reading(c);
      limit_input(c);
    }
  }
}

void Engine::dispatch(Conn* c) {
  Request req = c->parser.take_request();
  uv_timer_stop(&c->timer);
  c->phase = Phase::Handling;
  ++c->request_seq;
  c->keep_alive = req.keep_alive;
  c->head = req.method == "HEAD";
  c->method = req.method;
  c->path = req.path;
  req.conn_id = c->id;
  req.peer_ip = c->peer_ip;
  Responder res;
  res.shared_ = shared_;
  res.conn_id_ = c->id;
  res.request_seq_ = c->request_seq;
  try {
    handler_(std::move(req), res);
  } catch (const std::exception&) {
    if (c->phase == Phase::Handling)
      res.send(Response::text(500, "The server failed to handle the request."));
  }
}

void Engine::respond(uint64_t conn_id, uint64_t seq, Response r) {
  Conn* c = find(conn_id);
  if (!c) return;  // the connection has gone: nothing to do
  if (c->phase != Phase::Handling || c->request_seq != seq) {
    assert(!"Responder::send called twice for one request");
    return;
  }
  if (hook_) hook_(RequestInfo{c->method, c->path, c->peer_ip, c->started_ns}, r);
  bool keep = c->keep_alive && !shutting_down_ && !wire::asks_close(r);
  scratch_.clear();
  wire::serialise(r, date_.now(), keep, c->head, false, scratch_);
  send_bytes(c, scratch_.data(), scratch_.size());
  if (c->phase == Phase::Closed) return;
  if (!keep) {
    finish(c);
    return;
  }
  c->phase = Phase::Idle;
  arm(c, limits_.idle_timeout_ms);
  resume(c);
}

bool Engine::start_stream(uint64_t conn_id, uint64_t seq, int status,
                          std::vector<std::pair<std::string, std::string>> headers) {
  Conn* c = find(conn_id);
  if (!c) return false;
  if (c->phase != Phase::Handling || c->request_seq != seq) {
    assert(!"Responder used twice for one request");
    return false;
  }
  Response r;
  r.status = status;
  r.headers = std::move(headers);
  if (hook_) hook_(RequestInfo{c->method, c->path, c->peer_ip, c->started_ns}, r);
  scratch_.clear();
  // No Content-Length: the body runs until the connection closes.
  wire::serialise(r, date_.now(), false, c->head, true, scratch_);
  send_bytes(c, scratch_.data(), scratch_.size());
  if (c->phase == Phase::Closed) return false;
  c->phase = Phase::Streaming;
  uv_timer_stop(&c->timer);
  c->inbuf.clear();
  c->in_off = 0;
  ensure_reading(c);  // to notice the client leaving
  return true;
}

WriteResult Engine::stream_write(uint64_t conn_id, std::string_view bytes) {
  Conn* c = find(conn_id);
  if (!c || c->phase != Phase::Streaming) return WriteResult::Gone;
  if (c->tcp.write_queue_size + bytes.size() > limits_.max_stream_backlog_bytes) return WriteResult::Overflow;
  send_bytes(c, bytes.data(), bytes.size());
  return c->phase == Phase::Closed ? WriteResult::Gone : WriteResult::Ok;
}

void Engine::close_connection(uint64_t conn_id) {
  if (Conn* c = find(conn_id)) close(c);
}

size_t Engine::queued_bytes(uint64_t conn_id) const {
  Conn* c = find(conn_id);
  return c ? c->tcp.write_queue_size : 0;
}

void Engine::send_error(Conn* c, int status, const std::string& message) {
  ++rejected_total_;
  Response r = Response::text(status, message + "\n");
  if (hook_) hook_(RequestInfo{c->parser.method(), c->parser.path(), c->peer_ip, c->started_ns}, r);
  scratch_.clear();
  wire::serialise(r, date_.now(), false, false, false, scratch_);
  send_bytes(c, scratch_.data(), scratch_.size());
  if (c->phase != Phase::Closed) finish(c);
}

// Writes at once what the socket takes; queues the rest with uv_write.
void Engine::send_bytes(Conn* c, const char* data, size_t len) {
  if (c->phase == Phase::Closed || len == 0) return;
  size_t done = 0;
  if (c->tcp.write_queue_size == 0) {
    uv_buf_t b = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
    int n = uv_try_write(stream(c), &b, 1);
    if (n < 0 && n != UV_EAGAIN) {
      close(c);
      return;
    }
    if (n > 0) done = static_cast<size_t>(n);
  }
  if (done == len) return;
  auto* w = new WriteReq;
  w->data.assign(data + done, len - done);
  w->req.data = c;
  uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  if (uv_write(&w->req, stream(c), &b, 1, &Engine::on_write) != 0) {
    delete w;
    close(c);
    return;
  }
  ++c->pending_writes;
}

void Engine::on_write(uv_write_t* req, int status) {
  auto* w = reinterpret_cast<WriteReq*>(req);
  auto* c = static_cast<Conn*>(req->data);
  delete w;
  --c->pending_writes;
  Engine* e = c->engine;
  if (c->phase == Phase::Closed) return;
  if (status < 0) {
    e->close(c);
    return;
  }
  if (c->phase == Phase::Lingering && c->pending_writes == 0) {
    e->begin_shutdown(c);
  } else if ((c->phase == Phase::Idle || c->phase == Phase::Reading) && c->in_off < c->inbuf.size() &&
             c->tcp.write_queue_size <= e->limits_.max_pipeline_backlog_bytes) {
    e->resume(c);  // pipelined requests waited for the backlog to drain
  }
}

// The connection will carry nothing more: flush what is queued, then close.
void Engine::finish(Conn* c) {
  if (c->phase == Phase::Closed) return;
  bool was_lingering = c->phase == Phase::Lingering;
  c->phase = Phase::Lingering;
  if (c->pending_writes > 0) {
    if (!was_lingering) arm(c, limits_.idle_timeout_ms);  // a reader that never reads is cut off
    return;
  }
  if (c->read_eof) {
    close(c);
    return;
  }
  begin_shutdown(c);
}

void Engine::begin_shutdown(Conn* c) {
  if (c->shutdown_started) return;
  c->shutdown_started = true;
  c->shutdown_req.data = c;
  if (uv_shutdown(&c->shutdown_req, stream(c), &Engine::on_shutdown) != 0) close(c);
}

void Engine::on_shutdown(uv_shutdown_t* req, int status) {
  auto* c = static_cast<Conn*>(req->data);
  Engine* e = c->engine;
  if (c->phase == Phase::Closed) return;
  // While the server shuts down nobody waits for the peer: FIN sent, done.
  if (status < 0 || c->read_eof || e->shutting_down_) {
    e->close(c);
    return;
  }
  // Drain what the peer still sends until it closes, briefly: closing with unread
  // input would reset the connection and could destroy our last response.
  e->arm(c, kLingerMs);
  e->ensure_reading(c);
}

void Engine::on_timer(uv_timer_t* t) {
  auto* c = static_cast<Conn*>(t->data);
  Engine* e = c->engine;
  switch (c->phase) {
    case Phase::Reading:
      e->send_error(c, 408, "The request took too long to arrive.");
      break;
    case Phase::Idle:
    case Phase::Lingering:
      e->close(c);
      break;
    default:
      break;
  }
}

void Engine::close(Conn* c) {
  if (c->phase == Phase::Closed) return;
  c->phase = Phase::Closed;
  conns_.erase(c->id);
  if (!c->rejected) --active_;
  uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), &Engine::on_conn_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&c->timer), &Engine::on_conn_handle_closed);
  if (close_cb_) close_cb_(c->id);
}

void Engine::on_conn_handle_closed(uv_handle_t* h) {
  auto* c = static_cast<Conn*>(h->data);
  if (--c->open_handles > 0) return;
  Engine* e = c->engine;
  const bool held_backlog = c->was_paused;
  delete c;
  --e->live_conns_;
  if (held_backlog) e->schedule_trim();
  e->conn_freed();
  e->maybe_done();
}

// Many small response buffers freed at once stay in malloc's free lists and
// keep the process's RSS at its peak; 200 ms after the last such close, the
// free pages are handed back (a few ms at most, on the loop).
void Engine::schedule_trim() {
  if (!trim_timer_open_ || shutting_down_) return;
  uv_timer_start(
      &trim_timer_, [](uv_timer_t*) { malloc_trim(0); }, 200, 0);
}

}  // namespace uw::http::detail
