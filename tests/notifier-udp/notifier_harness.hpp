#pragma once
// Test harness: a real uwitter-notifier process on loopback with its own key
// pair, a real SQLite database (alice, bob, carol; bob follows alice), a UDP
// sender, tickets, and /metrics parsing. Header-only (only *_test.cpp files
// are compiled into the test program).
#include <gtest/gtest.h>

#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench/kit/clock.hpp"
#include "bench/kit/eventually.hpp"
#include "bench/kit/http_client.hpp"
#include "bench/kit/metrics_text.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/sse_stream.hpp"
#include "bench/kit/temp_dir.hpp"
#include "bench/kit/udp_sender.hpp"
#include "core/store/store.hpp"
#include "sign/envelope.hpp"
#include "sign/keys.hpp"
#include "sign/ticket.hpp"

namespace uw::test {

// The kit's helpers under the names this folder's tests use.
using kit::ChildProcess;
using kit::eventually;
using kit::HttpClient;
using kit::metric;
using kit::now_ms;
using kit::run;
using kit::SseEvent;
using kit::SseStream;
using kit::TempDir;

// The kit's UDP sender with its failures reported to GoogleTest.
class UdpSender : public kit::UdpSender {
 public:
  explicit UdpSender(const char* source_ip = "127.0.0.1") : kit::UdpSender(source_ip) { EXPECT_TRUE(ok()); }
  void send(uint16_t port, const std::vector<uint8_t>& bytes) {
    ASSERT_TRUE(kit::UdpSender::send(port, bytes));
  }
};

struct Users {
  int64_t alice = 0, bob = 0, carol = 0;
};

// Creates the database the way the web app would (writable Store, migrations).
inline Users make_db(const std::string& path) {
  auto s = Store::open(path, Store::Options{});
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  Users u;
  if (!s.ok()) return u;
  auto& st = *s.value();
  u.alice = st.create_user("alice", "x", 1).value().id;
  u.bob = st.create_user("bob", "x", 1).value().id;
  u.carol = st.create_user("carol", "x", 1).value().id;
  EXPECT_TRUE(st.follow(u.bob, u.alice, 2).ok());
  return u;
}

class NotifierHarness {
 public:
  explicit NotifierHarness(std::vector<std::string> extra = {})
      : key((sign::init(), sign::SecretKey::generate())) {
    auto written = sign::write_keypair(dir.file("keys"), key);
    EXPECT_TRUE(written.ok()) << written.error().message;
    db = dir.file("uwitter.db");
    users = make_db(db);
    log_file = dir.file("notifier.log");
    args = {UWITTER_NOTIFIER_BIN,
            "--listen-udp",
            "127.0.0.1:0",
            "--listen-http",
            "127.0.0.1:0",
            "--db",
            db,
            "--trust",
            dir.file("keys/uwitter.pub"),
            "--log-file",
            log_file,
            "--log-level",
            "debug",
            "--cors-origin",
            "http://127.0.0.1:8080"};
    for (auto& e : extra) args.push_back(e);
    start();
  }
  void start() {
    proc = std::make_unique<ChildProcess>();
    ASSERT_TRUE(proc->start(args, dir.file("notifier.stderr")));
    // udp and http always; tcp too with --listen-tcp.
    size_t lines = 2;
    for (const auto& a : args) lines += a == "--listen-tcp" ? 1 : 0;
    ASSERT_TRUE(proc->wait_listening(lines)) << proc->stderr_text();
    udp_port = proc->port("udp");
    http_port = proc->port("http");
    tcp_port = proc->port("tcp");
    http = std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(http_port));
    ASSERT_EQ(http->get("/healthz").status, 200);
  }

  std::string ticket_for(int64_t user, int64_t ttl_s = 300) const {
    return sign::mint_ticket(key, sign::Ticket{user, static_cast<int64_t>(std::time(nullptr)) + ttl_s});
  }
  std::unique_ptr<SseStream> stream(int64_t user, const std::vector<std::string>& headers = {}) {
    auto c = std::make_unique<SseStream>(http_port, "/events?ticket=" + ticket_for(user), headers);
    EXPECT_EQ(c->wait_status(), 200) << c->head();
    // The stream is registered before its first bytes are written, so once the
    // "connected" comment arrived, deliveries reach it.
    EXPECT_TRUE(eventually([&] { return c->raw().find(": connected") != std::string::npos; }));
    return c;
  }
  std::string metrics() { return http->get("/metrics").body; }
  double metric_value(const std::string& sample) { return metric(metrics(), sample); }
  // The log file, once the notifier has written every line it logged before
  // this call (its log is written off the loop: the pending gauge reaches 0).
  std::string log_text() {
    eventually([&] { return metric_value("uwitter_notifier_log_pending_bytes") == 0; },
               std::chrono::seconds(5));
    return kit::read_file(log_file);
  }

  // Seals events with the trusted key in this harness's sender session.
  std::vector<uint8_t> seal(const std::vector<sign::Event>& events, int64_t sent_ms = 0) {
    sign::Datagram d;
    EXPECT_TRUE(enc.seal(events, sent_ms ? sent_ms : now_ms(), &d));
    return d;
  }
  void send(const std::vector<sign::Event>& events) { sender.send(udp_port, seal(events)); }

  sign::PostEvent post(int64_t id, const std::string& text) const {
    return sign::PostEvent{id, users.alice, "alice", now_ms(), text};
  }

  TempDir dir;
  sign::SecretKey key;
  sign::Encoder enc{key};
  std::string db, log_file;
  Users users;
  std::vector<std::string> args;
  std::unique_ptr<ChildProcess> proc;
  std::unique_ptr<HttpClient> http;
  UdpSender sender;
  uint16_t udp_port = 0, http_port = 0, tcp_port = 0;
};

}  // namespace uw::test
