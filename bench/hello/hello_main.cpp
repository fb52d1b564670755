// uwitter-hello: answers every request 200 "Hello, World!" with keep-alive. The
// least an HTTP server on libuv + http_parser can do per request: the ceiling
// for uwitter-web in the same benchmark run. No limits, no timeouts: a yardstick,
// not a server to expose.
#include <http_parser.h>
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstring>

#include "core/flags.hpp"

namespace {

constexpr char kHello[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\n"
    "Hello, World!";
constexpr char kHelloClose[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\n"
    "Hello, World!";

char g_buf[64 * 1024];
http_parser_settings g_settings;
uv_tcp_t g_listener;
uv_signal_t g_sigterm, g_sigint;

struct Conn {
  uv_tcp_t tcp;
  http_parser parser;
  bool close_after = false;
};

void on_closed(uv_handle_t* h) { delete static_cast<Conn*>(h->data); }
void close_conn(Conn* c) {
  if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp)))
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), on_closed);
}

void send(Conn* c, const char* data, size_t len) {
  uv_buf_t b = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(len));
  int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&c->tcp), &b, 1);
  if (n == static_cast<int>(len)) return;
  if (n < 0 && n != UV_EAGAIN) return close_conn(c);
  if (n > 0) b = uv_buf_init(const_cast<char*>(data) + n, static_cast<unsigned>(len - n));
  auto* req = new uv_write_t;  // the bytes are static: only the request is allocated
  if (uv_write(req, reinterpret_cast<uv_stream_t*>(&c->tcp), &b, 1, [](uv_write_t* r, int) { delete r; }) !=
      0) {
    delete req;
    close_conn(c);
  }
}

int on_message_complete(http_parser* p) {
  auto* c = static_cast<Conn*>(p->data);
  if (http_should_keep_alive(p)) {
    send(c, kHello, sizeof kHello - 1);
  } else {
    send(c, kHelloClose, sizeof kHelloClose - 1);
    c->close_after = true;
  }
  return 0;
}

void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<Conn*>(s->data);
  if (nread < 0) return close_conn(c);
  size_t n = http_parser_execute(&c->parser, &g_settings, buf->base, static_cast<size_t>(nread));
  if (c->close_after || n != static_cast<size_t>(nread)) close_conn(c);  // close after queued writes
}

void on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* c = new Conn;
  uv_tcp_init(server->loop, &c->tcp);
  c->tcp.data = c;
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp)) != 0) return close_conn(c);
  uv_tcp_nodelay(&c->tcp, 1);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&c->tcp),
      [](uv_handle_t*, size_t, uv_buf_t* b) { *b = uv_buf_init(g_buf, sizeof g_buf); }, on_read);
}

void on_signal(uv_signal_t* s, int) { uv_stop(s->loop); }

}  // namespace

int main(int argc, char** argv) {
  uw::HostPort hp{"127.0.0.1", 8081};
  uw::Flags flags("uwitter-hello",
                  "Answers every HTTP request with 200 \"Hello, World!\" (benchmark yardstick).");
  flags.value("listen", "HOST:PORT", "address to listen on (port 0 picks a free one; default 127.0.0.1:8081)",
              uw::host_port_flag(&hp));
  if (int rc = flags.parse(argc, argv); rc != 0 || flags.exit_now()) return rc;
  const std::string listen = hp.host + ":" + std::to_string(hp.port);

  g_settings.on_message_complete = on_message_complete;
  uv_loop_t* loop = uv_default_loop();
  sockaddr_storage addr{};
  int rc = hp.host.find(':') != std::string::npos
               ? uv_ip6_addr(hp.host.c_str(), hp.port, reinterpret_cast<sockaddr_in6*>(&addr))
               : uv_ip4_addr(hp.host.c_str(), hp.port, reinterpret_cast<sockaddr_in*>(&addr));
  uv_tcp_init(loop, &g_listener);
  if (rc == 0) rc = uv_tcp_bind(&g_listener, reinterpret_cast<sockaddr*>(&addr), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&g_listener), 1024, on_connection);
  if (rc != 0) {
    std::fprintf(stderr, "uwitter-hello: cannot listen on %s: %s\n", listen.c_str(), uv_strerror(rc));
    return 1;
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(&g_listener, reinterpret_cast<sockaddr*>(&bound), &len);
  char ip[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  if (bound.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<sockaddr_in6*>(&bound), ip, sizeof ip);
    port = ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
    std::printf("listening http [%s]:%d\n", ip, port);
  } else {
    uv_ip4_name(reinterpret_cast<sockaddr_in*>(&bound), ip, sizeof ip);
    port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    std::printf("listening http %s:%d\n", ip, port);
  }
  std::fflush(stdout);
  uv_signal_init(loop, &g_sigterm);
  uv_signal_start(&g_sigterm, on_signal, SIGTERM);
  uv_signal_init(loop, &g_sigint);
  uv_signal_start(&g_sigint, on_signal, SIGINT);
  uv_run(loop, UV_RUN_DEFAULT);
  // Stopped by a signal: close every handle and let the loop finish.
  uv_walk(
      loop,
      [](uv_handle_t* h, void*) {
        if (!uv_is_closing(h))
          uv_close(
              h, h->type == UV_TCP && h != reinterpret_cast<uv_handle_t*>(&g_listener) ? on_closed : nullptr);
      },
      nullptr);
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
