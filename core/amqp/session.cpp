#include "core/amqp/session.hpp"

#include <amqp_tcp_socket.h>
#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

namespace uw::amqp {

namespace {

constexpr amqp_channel_t kChannel = 1;

Error amqp_error(std::string message) { return Error{503, "amqp", std::move(message)}; }

std::string bytes_text(amqp_bytes_t b) { return std::string(static_cast<const char*>(b.bytes), b.len); }

timeval to_timeval(int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>(ms % 1000) * 1000;
  return tv;
}

}  // namespace

std::string Session::describe(const amqp_rpc_reply_t& r, const char* step) {
  std::string s = step;
  s += ": ";
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return s + "ok";
    case AMQP_RESPONSE_NONE:
      return s + "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return s + amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        const auto* m = static_cast<const amqp_connection_close_t*>(r.reply.decoded);
        return s + "broker closed the connection: " + std::to_string(m->reply_code) + " " +
               bytes_text(m->reply_text);
      }
      if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        const auto* m = static_cast<const amqp_channel_close_t*>(r.reply.decoded);
        return s + "broker closed the channel: " + std::to_string(m->reply_code) + " " +
               bytes_text(m->reply_text);
      }
      return s + "broker error (method " + std::to_string(r.reply.id) + ")";
  }
  return s + "?";
}

Result<Unit> Session::check_rpc(const char* step) {
  amqp_rpc_reply_t r = amqp_get_rpc_reply(conn_);
  if (r.reply_type == AMQP_RESPONSE_NORMAL) return Unit{};
  std::string why = describe(r, step);
  abort();
  return amqp_error(why);
}

Result<Unit> Session::open(const Url& url, int timeout_ms, int heartbeat_s) {
  abort();
  url_ = url;
  conn_ = amqp_new_connection();
  if (!conn_) return amqp_error("out of memory");
  amqp_socket_t* sock = amqp_tcp_socket_new(conn_);  // owned by the connection
  if (!sock) {
    abort();
    return amqp_error("cannot make a socket");
  }
  timeval tv = to_timeval(timeout_ms);
  (void)amqp_set_handshake_timeout(conn_, &tv);
  (void)amqp_set_rpc_timeout(conn_, &tv);
  int rc = amqp_socket_open_noblock(sock, url.host.c_str(), url.port, &tv);
  if (rc != AMQP_STATUS_OK) {
    abort();
    return amqp_error("connect to " + url.host + ":" + std::to_string(url.port) + ": " +
                      amqp_error_string2(rc));
  }
  amqp_rpc_reply_t r = amqp_login(conn_, url.vhost.c_str(), 0, 131072, heartbeat_s, AMQP_SASL_METHOD_PLAIN,
                                  url.user.c_str(), url.password.c_str());
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    std::string why = describe(r, "login");
    abort();
    return amqp_error(why);
  }
  amqp_channel_open(conn_, kChannel);
  if (auto c = check_rpc("channel.open"); !c) return c;
  amqp_queue_declare(conn_, kChannel, amqp_cstring_bytes(url.queue.c_str()), /*passive=*/0, /*durable=*/1,
                     /*exclusive=*/0, /*auto_delete=*/0, amqp_empty_table);
  return check_rpc("queue.declare");
}

Result<Unit> Session::confirm_select() {
  if (!conn_) return amqp_error("not connected");
  amqp_confirm_select(conn_, kChannel);
  return check_rpc("confirm.select");
}

Result<Unit> Session::qos(uint16_t prefetch) {
  if (!conn_) return amqp_error("not connected");
  amqp_basic_qos(conn_, kChannel, 0, prefetch, 0);
  return check_rpc("basic.qos");
}

Result<Unit> Session::consume() {
  if (!conn_) return amqp_error("not connected");
  amqp_basic_consume(conn_, kChannel, amqp_cstring_bytes(url_.queue.c_str()), amqp_empty_bytes,
                     /*no_local=*/0, /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
  return check_rpc("basic.consume");
}

Result<Unit> Session::publish(std::span<const uint8_t> body, bool persistent) {
  if (!conn_) return amqp_error("not connected");
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
  props.content_type = amqp_cstring_bytes("application/octet-stream");
  props.delivery_mode = persistent ? 2 : 1;
  amqp_bytes_t b{body.size(), const_cast<uint8_t*>(body.data())};
  int rc = amqp_basic_publish(conn_, kChannel, amqp_empty_bytes, amqp_cstring_bytes(url_.queue.c_str()),
                              /*mandatory=*/0, /*immediate=*/0, &props, b);
  if (rc != AMQP_STATUS_OK) {
    std::string why = std::string("basic.publish: ") + amqp_error_string2(rc);
    abort();
    return amqp_error(why);
  }
  return Unit{};
}

Result<Unit> Session::ack(uint64_t delivery_tag) {
  if (!conn_) return amqp_error("not connected");
  int rc = amqp_basic_ack(conn_, kChannel, delivery_tag, 0);
  if (rc != AMQP_STATUS_OK) {
    std::string why = std::string("basic.ack: ") + amqp_error_string2(rc);
    abort();
    return amqp_error(why);
  }
  return Unit{};
}

Result<uint64_t> Session::purge() {
  if (!conn_) return amqp_error("not connected");
  auto* ok = amqp_queue_purge(conn_, kChannel, amqp_cstring_bytes(url_.queue.c_str()));
  if (auto c = check_rpc("queue.purge"); !c) return c.error();
  return uint64_t{ok ? ok->message_count : 0};
}

Result<uint64_t> Session::ready_count() {
  if (!conn_) return amqp_error("not connected");
  auto* ok = amqp_queue_declare(conn_, kChannel, amqp_cstring_bytes(url_.queue.c_str()), /*passive=*/1, 0, 0,
                                0, amqp_empty_table);
  if (auto c = check_rpc("queue.declare"); !c) return c.error();
  return uint64_t{ok ? ok->message_count : 0};
}

Result<int> Session::wait(int wake_fd, int timeout_ms) {
  if (!conn_) return amqp_error("not connected");
  if (amqp_frames_enqueued(conn_) || amqp_data_in_buffer(conn_)) return 1;
  pollfd p[2] = {{amqp_get_sockfd(conn_), POLLIN, 0}, {wake_fd, POLLIN, 0}};
  int n = ::poll(p, wake_fd >= 0 ? 2 : 1, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return 0;
    return amqp_error(std::string("poll: ") + std::strerror(errno));
  }
  return (p[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0 ? 1 : 0;
}

Result<std::optional<amqp_frame_t>> Session::read_frame() {
  if (!conn_) return amqp_error("not connected");
  amqp_frame_t f{};
  timeval zero{};
  int rc = amqp_simple_wait_frame_noblock(conn_, &f, &zero);
  if (rc == AMQP_STATUS_TIMEOUT) return std::optional<amqp_frame_t>();
  if (rc != AMQP_STATUS_OK) {
    std::string why = std::string("read: ") + amqp_error_string2(rc);
    abort();
    return amqp_error(why);
  }
  if (f.frame_type == AMQP_FRAME_METHOD && (f.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD ||
                                            f.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD)) {
    amqp_rpc_reply_t r{};
    r.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
    r.reply = f.payload.method;
    std::string why = describe(r, "read");
    abort();
    return amqp_error(why);
  }
  return std::optional<amqp_frame_t>(f);
}

void Session::close() {
  if (!conn_) return;
  (void)amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
  (void)amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn_);
  conn_ = nullptr;
}

void Session::abort() {
  if (!conn_) return;
  amqp_destroy_connection(conn_);  // closes the socket without the AMQP goodbye
  conn_ = nullptr;
}

}  // namespace uw::amqp
