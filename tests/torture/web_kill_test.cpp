// Torture: uwitter-web SIGKILLed again and again while clients post, some
// kills right after a restart. Clients retry each post with its
// Idempotency-Key until it is acknowledged, as a careful client would. At the
// end every acknowledged post is in the database exactly once, with the id it
// was acknowledged with; no key is stored twice; the file passes
// PRAGMA integrity_check. Cycles: UWITTER_TORTURE_KILLS (default 20).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench/kit/http_client.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::torture {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// The web app on one data folder, restarted on a fresh port after each kill.
class Site {
 public:
  explicit Site(std::vector<std::string> extra) : extra_(std::move(extra)) {}
  bool start() {
    proc_ = std::make_unique<kit::ChildProcess>();
    std::vector<std::string> argv{UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", dir_.file("data")};
    argv.insert(argv.end(), extra_.begin(), extra_.end());
    if (!proc_->start(argv, dir_.file("stderr.log")) || !proc_->wait_listening(1, 30s)) return false;
    port_ = proc_->port("http");
    return true;
  }
  void kill() { kit::kill_and_reap(proc_->pid()), proc_.reset(); }
  int terminate() { return proc_->terminate(30s); }
  uint16_t port() const { return port_.load(); }
  std::string db() const { return dir_.file("data") + "/uwitter.db"; }
  std::string stderr_tail() const { return kit::read_file(dir_.file("stderr.log")).substr(0, 4000); }

 private:
  kit::TempDir dir_;
  std::vector<std::string> extra_;
  std::unique_ptr<kit::ChildProcess> proc_;
  std::atomic<uint16_t> port_{0};
};

// What the posters saw acknowledged: Idempotency-Key -> uweet id.
struct Acks {
  std::mutex mu;
  std::map<std::string, int64_t> ids;
  std::atomic<int> conflicting{0};  // the same key acknowledged with two ids
  void add(const std::string& key, int64_t id) {
    std::lock_guard l(mu);
    auto [it, fresh] = ids.emplace(key, id);
    if (!fresh && it->second != id) ++conflicting;
  }
};

// Posts texts with keys "<who>-<n>" until stopped; retries a key (against the
// current port) until it is acknowledged with 201.
void poster(Site& site, const std::string& token, const std::string& who, std::atomic<bool>& stop, Acks& acks,
            std::atomic<int>& attempts) {
  std::unique_ptr<kit::HttpClient> http;
  uint16_t port = 0;
  for (int n = 0; !stop.load(); ++n) {
    const std::string key = who + "-" + std::to_string(n);
    while (true) {
      if (site.port() != port || !http) {
        port = site.port();
        http = std::make_unique<kit::HttpClient>("http://127.0.0.1:" + std::to_string(port));
      }
      ++attempts;
      auto r = http->request(
          "POST", "/api/v1/uweets", json{{"text", "torture " + key}}.dump(),
          {"Content-Type: application/json", "Authorization: Bearer " + token, "Idempotency-Key: " + key});
      if (r.status == 201) {
        acks.add(key, r.json()["id"].get<int64_t>());
        break;
      }
      if (stop.load()) return;           // the last key may stay unacknowledged
      std::this_thread::sleep_for(5ms);  // the site is restarting: try again
    }
  }
}

std::string query_text(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const auto* t = sqlite3_column_text(st, 0);
    out = t ? reinterpret_cast<const char*>(t) : "";
  }
  sqlite3_finalize(st);
  return out;
}

TEST(WebKill, EveryAcknowledgedPostSurvivesSigkillCyclesExactlyOnce) {
  const int kills = env_int("UWITTER_TORTURE_KILLS", 20);
  Site site({"--post-rate", "off"});  // one user posting as fast as it can
  ASSERT_TRUE(site.start()) << site.stderr_tail();
  std::string token;
  {
    kit::HttpClient http("http://127.0.0.1:" + std::to_string(site.port()));
    ASSERT_EQ(
        http.json("POST", "/api/v1/accounts", {{"username", "tortured"}, {"password", "password123"}}).status,
        201);
    auto s = http.json("POST", "/api/v1/sessions", {{"username", "tortured"}, {"password", "password123"}});
    ASSERT_EQ(s.status, 201) << s.body;
    token = s.json()["token"].get<std::string>();
  }

  Acks acks;
  std::atomic<bool> stop{false};
  std::atomic<int> attempts{0};
  std::vector<std::thread> posters;
  for (int i = 0; i < 4; ++i)
    posters.emplace_back([&, i] { poster(site, token, "p" + std::to_string(i), stop, acks, attempts); });

  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> pause_ms(30, 250);
  size_t acked_before_kill = 0;
  for (int k = 0; k < kills; ++k) {
    // Every fourth kill comes right after the restart (no pause): start-up
    // itself must be crash-safe.
    if (k % 4 != 3) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
    site.kill();
    ASSERT_TRUE(site.start()) << "restart " << k << ": " << site.stderr_tail();
    std::lock_guard l(acks.mu);
    acked_before_kill = acks.ids.size();
  }
  // Let the posters get a few more through the last restart, then stop them.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard l(acks.mu);
      if (acks.ids.size() >= acked_before_kill + 8) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  stop = true;
  for (auto& t : posters) t.join();
  EXPECT_EQ(site.terminate(), 0);

  ASSERT_GT(acks.ids.size(), static_cast<size_t>(kills)) << "the load must actually post";
  EXPECT_EQ(acks.conflicting.load(), 0) << "a key was acknowledged with two different ids";

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(site.db().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_EQ(query_text(db, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(
      query_text(db,
                 "SELECT count(*) FROM (SELECT idempotency_key FROM uweets WHERE idempotency_key IS NOT "
                 "NULL GROUP BY author_id, idempotency_key HAVING count(*) > 1)"),
      "0")
      << "a key stored twice";
  size_t missing = 0, wrong_id = 0;
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT id FROM uweets WHERE idempotency_key = ?1", -1, &st, nullptr),
            SQLITE_OK);
  for (const auto& [key, id] : acks.ids) {
    sqlite3_bind_text(st, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW)
      ++missing;
    else if (sqlite3_column_int64(st, 0) != id)
      ++wrong_id;
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(missing, 0u) << "acknowledged posts lost";
  EXPECT_EQ(wrong_id, 0u);
  std::printf("[torture] %d SIGKILLs, %zu posts acknowledged (%d attempts), %zu lost, %zu with another id\n",
              kills, acks.ids.size(), attempts.load(), missing, wrong_id);
}

}  // namespace
}  // namespace uw::torture

#endif  // UWITTER_WEB_BIN
