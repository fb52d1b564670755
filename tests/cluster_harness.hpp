#pragma once
// Test harness for the cluster suites (docs/CLUSTER.md): real uwitter-web
// instances on one PostgreSQL database, real uwitter-notifiers that every web
// instance notifies (UDP) and that browsers reach at the URL their ticket
// names, optionally behind a real HAProxy (bench/kit/haproxy_server.hpp).
// Each web instance has its own --data directory and its own key pair (a
// sender is a key: two running instances must not share one, docs/CLUSTER.md),
// and every notifier trusts every instance's public key. Header-only (only
// *_test.cpp files are compiled into the test programs).
//
// Used by tests/notifier-udp/cluster_e2e_test.cpp and
// tests/torture/cluster_kill_test.cpp. One thread.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/kit/eventually.hpp"
#include "bench/kit/http_client.hpp"
#include "bench/kit/metrics_text.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/sse_stream.hpp"
#include "bench/kit/temp_dir.hpp"
#include "tests/pg_environment.hpp"

#if defined(UWITTER_WEB_BIN) && defined(UWITTER_NOTIFIER_BIN) && defined(UWITTER_KEYGEN_BIN)

namespace uw::test {

struct ClusterNotifier {
  std::unique_ptr<kit::ChildProcess> proc;
  uint16_t udp = 0, http = 0;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(http); }
  double metric(const std::string& sample) const {
    kit::HttpClient c(url());
    return kit::metric(c.get("/metrics").body, sample);
  }
};

struct ClusterWeb {
  std::string data;  // its --data directory (keys, throttle journal)
  std::unique_ptr<kit::ChildProcess> proc;
  uint16_t port = 0;  // its HTTP port (kept across restarts)
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }
};

class Cluster {
 public:
  // Web instances are started by start_web(i) (so a test can make users on
  // one before another loads its caches); notifiers at once.
  // db_uri "": a fresh database on the program's shared server; else this one
  // (a test that stops its own server).
  Cluster(size_t webs, size_t notifiers, std::vector<std::string> web_extra = {}, std::string db_uri = "")
      : web_extra_(std::move(web_extra)) {
    db = db_uri.empty() ? fresh_pg_database() : std::move(db_uri);
    for (size_t i = 0; i < webs; ++i) {
      ClusterWeb w;
      w.data = dir.file("web" + std::to_string(i + 1));
      std::filesystem::create_directories(w.data);
      // The key pair first, so every notifier trusts every instance from its first datagram.
      auto r = kit::run({UWITTER_KEYGEN_BIN, "--out", w.data + "/keys"});
      EXPECT_EQ(r.status, 0) << r.err;
      this->webs.push_back(std::move(w));
    }
    for (size_t i = 0; i < notifiers; ++i) start_notifier(i);
  }

  void start_notifier(size_t i, uint16_t udp = 0, uint16_t http = 0) {
    if (notifiers.size() <= i) notifiers.resize(i + 1);
    ClusterNotifier& n = notifiers[i];
    n.proc = std::make_unique<kit::ChildProcess>();
    std::vector<std::string> argv{UWITTER_NOTIFIER_BIN,
                                  "--listen-udp",
                                  "127.0.0.1:" + std::to_string(udp ? udp : n.udp),
                                  "--listen-http",
                                  "127.0.0.1:" + std::to_string(http ? http : n.http),
                                  "--db",
                                  db,
                                  "--allow",
                                  "127.0.0.0/8",
                                  "--log-file",
                                  dir.file("notifier" + std::to_string(i + 1) + ".log")};
    for (const auto& w : webs) argv.insert(argv.end(), {"--trust", w.data + "/keys/uwitter.pub"});
    ASSERT_TRUE(n.proc->start(argv, dir.file("notifier" + std::to_string(i + 1) + ".stderr")));
    ASSERT_TRUE(n.proc->wait_listening(2)) << n.proc->stderr_text();
    n.udp = n.proc->port("udp");
    n.http = n.proc->port("http");
  }

  std::vector<std::string> notifier_urls() const {
    std::vector<std::string> out;
    for (const auto& n : notifiers) out.push_back(n.url());
    return out;
  }

  void start_web(size_t i) {
    ClusterWeb& w = webs[i];
    std::string notify, urls;
    for (const auto& n : notifiers) {
      notify += (notify.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(n.udp));
      urls += (urls.empty() ? "" : ",") + n.url();
    }
    std::vector<std::string> argv{UWITTER_WEB_BIN,
                                  "--listen",
                                  "127.0.0.1:" + std::to_string(w.port),
                                  "--data",
                                  w.data,
                                  "--db",
                                  db,
                                  "--csrf-secret-file",
                                  dir.file("csrf.secret"),
                                  "--post-rate",
                                  "off"};
    if (!notifiers.empty()) argv.insert(argv.end(), {"--notify", notify, "--notifier-url", urls});
    argv.insert(argv.end(), web_extra_.begin(), web_extra_.end());
    w.proc = std::make_unique<kit::ChildProcess>();
    ASSERT_TRUE(w.proc->start(argv, w.data + ".stderr"));
    ASSERT_TRUE(w.proc->wait_listening(1, std::chrono::seconds(60))) << w.proc->stderr_text();
    w.port = w.proc->port("http");
  }

  // API helpers on web instance i.
  nlohmann::json call(size_t i, const std::string& method, const std::string& path,
                      const nlohmann::json& body, const std::string& token = "", long* status = nullptr) {
    kit::HttpClient c(webs[i].base());
    auto r = c.json(method, path, body, token);
    if (status) *status = r.status;
    if (r.body.empty()) return nullptr;
    try {
      return r.json();
    } catch (...) {
      return nullptr;
    }
  }
  // Signs up on instance i; returns the user's id.
  int64_t signup(size_t i, const std::string& name) {
    long st = 0;
    auto j =
        call(i, "POST", "/api/v1/accounts", {{"username", name}, {"password", "correct horse"}}, "", &st);
    EXPECT_EQ(st, 201) << j.dump();
    return j.is_object() ? j.value("id", int64_t{0}) : 0;
  }
  std::string login(size_t i, const std::string& name) {
    long st = 0;
    auto j =
        call(i, "POST", "/api/v1/sessions", {{"username", name}, {"password", "correct horse"}}, "", &st);
    EXPECT_TRUE(st == 200 || st == 201) << j.dump();
    return j.is_object() ? j.value("token", "") : "";
  }
  void follow(size_t i, const std::string& token, const std::string& who) {
    kit::HttpClient c(webs[i].base());
    auto r = c.request("PUT", "/api/v1/users/" + who + "/follow", "", {"Authorization: Bearer " + token});
    EXPECT_TRUE(r.status == 200 || r.status == 201 || r.status == 204) << r.status << " " << r.body;
  }
  int64_t post(size_t i, const std::string& token, const std::string& text) {
    long st = 0;
    auto j = call(i, "POST", "/api/v1/uweets", {{"text", text}}, token, &st);
    EXPECT_EQ(st, 201) << j.dump();
    return st == 201 ? j.value("id", int64_t{0}) : 0;
  }
  // The ticket instance i gives the user: {ticket, url, notifier, notifiers}.
  nlohmann::json ticket(size_t i, const std::string& token) {
    long st = 0;
    auto j = call(i, "GET", "/api/v1/notifications/ticket", nullptr, token, &st);
    EXPECT_EQ(st, 200) << j.dump();
    return j;
  }
  // The notifier (index) whose URL is `url`, -1 if none.
  int notifier_index(const std::string& url) const {
    for (size_t i = 0; i < notifiers.size(); ++i)
      if (notifiers[i].url() == url) return static_cast<int>(i);
    return -1;
  }

  kit::TempDir dir;
  std::string db;
  std::vector<ClusterWeb> webs;
  std::vector<ClusterNotifier> notifiers;

 private:
  std::vector<std::string> web_extra_;
};

// Opens an SSE stream at `url` (http://127.0.0.1:PORT/events?...); null when
// it does not answer 200 with the ": connected" comment within `timeout`.
inline std::unique_ptr<kit::SseStream> open_stream(
    const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const std::string prefix = "http://127.0.0.1:";
  if (url.rfind(prefix, 0) != 0) return nullptr;
  const size_t slash = url.find('/', prefix.size());
  const auto port = static_cast<uint16_t>(std::stoi(url.substr(prefix.size(), slash - prefix.size())));
  auto s = std::make_unique<kit::SseStream>(port, url.substr(slash));
  if (!s->connected() || s->wait_status(timeout) != 200) return nullptr;
  if (!kit::eventually([&] { return s->raw().find(": connected") != std::string::npos; }, timeout))
    return nullptr;
  return s;
}

}  // namespace uw::test

#endif
