// Torture: storage faults against the real daemons (docs/RELIABILITY.md
// "Storage faults"; issue 11 item 7, issue 13 item 5). End to end: real
// uwitter-web (and uwitter-notifier) processes, a real PostgreSQL server, a
// real SQLite file locked by this (other) process, a real full disk.
//
// * PostgreSQL stopped mid-run: writes and reads that need the database
//   answer 503 db_unavailable with Retry-After at once (no hang), cached pages
//   still answer; once the server is back, both daemons reconnect by
//   themselves, the retried post (same Idempotency-Key) is stored once, a
//   follower is notified again, and every acknowledged post is there.
// * SQLite locked by another process: a post answers 503 db_busy with
//   Retry-After within --busy-timeout (plus one batch), and works once the
//   lock goes.
// * SQLite on a full disk (a small tmpfs this test mounts; skipped, saying
//   why, when mounting is not allowed): posts answer 503 disk_full with
//   Retry-After, never 500; once space is freed posts work again, every
//   acknowledged post is there once and the file passes integrity_check.
// * uwitter-notifier's log on a full disk (the same tmpfs): the failure is
//   said on stderr (rate-limited) and in /metrics, delivery goes on, and the
//   log is written again once space returns.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "bench/kit/eventually.hpp"
#include "bench/kit/http_client.hpp"
#include "bench/kit/pg_server.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/sse_stream.hpp"
#include "bench/kit/temp_dir.hpp"
#include "core/store/store.hpp"
#include "tests/notifier-udp/notifier_harness.hpp"

#if defined(UWITTER_WEB_BIN) && defined(UWITTER_NOTIFIER_BIN)

namespace uw::torture {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A web app (and optionally a notifier) on one --data folder.
struct Daemons {
  kit::TempDir dir;
  std::string data;
  std::unique_ptr<kit::ChildProcess> web, notifier;
  std::unique_ptr<kit::HttpClient> http;
  uint16_t notifier_http = 0;

  explicit Daemons(const std::string& data_dir = "") : data(data_dir.empty() ? dir.file("data") : data_dir) {}

  // db: "" for the SQLite file under --data.
  void start_notifier(const std::string& db) {
    notifier = std::make_unique<kit::ChildProcess>();
    ASSERT_TRUE(
        notifier->start({UWITTER_NOTIFIER_BIN, "--listen-udp", "127.0.0.1:0", "--listen-http", "127.0.0.1:0",
                         "--db", db, "--trust", data + "/keys/uwitter.pub", "--allow", "127.0.0.0/8"},
                        dir.file("notifier.stderr")));
    ASSERT_TRUE(notifier->wait_listening(2)) << notifier->stderr_text();
    notifier_http = notifier->port("http");
  }
  void start_web(std::vector<std::string> extra) {
    std::vector<std::string> argv{UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", data,
                                  "--post-rate",   "off"};
    if (notifier) {
      argv.insert(argv.end(), {"--notify", "127.0.0.1:" + std::to_string(notifier->port("udp")),
                               "--notifier-url", "http://127.0.0.1:" + std::to_string(notifier_http)});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    web = std::make_unique<kit::ChildProcess>();
    ASSERT_TRUE(web->start(argv, dir.file("web.stderr")));
    ASSERT_TRUE(web->wait_listening(1)) << web->stderr_text();
    http = std::make_unique<kit::HttpClient>("http://127.0.0.1:" + std::to_string(web->port("http")));
  }
  std::string signup(const std::string& name) {
    auto r = http->json("POST", "/api/v1/accounts", {{"username", name}, {"password", "correct horse"}});
    EXPECT_EQ(r.status, 201) << r.body;
    auto s = http->json("POST", "/api/v1/sessions", {{"username", name}, {"password", "correct horse"}});
    EXPECT_EQ(s.status, 201) << s.body;
    return s.status == 201 ? s.json().value("token", "") : "";
  }
  kit::HttpResponse post(const std::string& token, const std::string& text, const std::string& key) {
    return http->request(
        "POST", "/api/v1/uweets", json{{"text", text}}.dump(),
        {"Content-Type: application/json", "Authorization: Bearer " + token, "Idempotency-Key: " + key});
  }
};

// A 503 that says what is wrong and when to come back.
void expect_503(const kit::HttpResponse& r, const std::string& code, const std::string& what) {
  EXPECT_EQ(r.status, 503) << what << ": " << r.body;
  EXPECT_FALSE(r.header("retry-after").empty()) << what << ": no Retry-After";
  try {
    auto j = r.json();
    EXPECT_EQ(j["error"]["code"], code) << what << ": " << r.body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty()) << what;
    EXPECT_GT(j["error"]["retry_after_s"].get<int>(), 0) << what;
  } catch (...) {
    ADD_FAILURE() << what << ": error body is not JSON: " << r.body;
  }
}

// ---- PostgreSQL restarted mid-run ------------------------------------------

TEST(StorageFaultsPostgres, ServerRestartAnswers503QuicklyThenBothDaemonsReconnectAndLoseNothing) {
  kit::PgServer pg;  // its own server: this test stops it
  ASSERT_TRUE(pg.start()) << pg.error();
  const std::string uri = pg.create_database("uwitter");
  ASSERT_FALSE(uri.empty()) << pg.error();
  Daemons d;
  // The web app writes the key pair the notifier trusts; the notifier picks a
  // --trust file up when it appears, so start the web app once first.
  d.start_web({"--db", uri});
  d.web->terminate();
  d.start_notifier(uri);
  d.start_web({"--db", uri});

  const std::string alice = d.signup("alice"), bob = d.signup("bob");
  const long followed =
      d.http->request("PUT", "/api/v1/users/alice/follow", "", {"Authorization: Bearer " + bob}).status;
  ASSERT_TRUE(followed >= 200 && followed < 300) << followed;
  auto ticket = d.http->get("/api/v1/notifications/ticket", {"Authorization: Bearer " + bob});
  ASSERT_EQ(ticket.status, 200) << ticket.body;
  const std::string url = ticket.json()["url"];
  kit::SseStream stream(d.notifier_http, url.substr(url.find("/events")));
  ASSERT_EQ(stream.wait_status(), 200);

  std::map<std::string, int64_t> acked;  // Idempotency-Key -> id
  for (int i = 0; i < 5; ++i) {
    auto r = d.post(alice, "before the restart " + std::to_string(i), "k-before-" + std::to_string(i));
    ASSERT_EQ(r.status, 201) << r.body;
    acked["k-before-" + std::to_string(i)] = r.json()["id"];
  }
  ASSERT_TRUE(stream.wait_event(
      [](const kit::SseEvent& e) { return e.data.find("before the restart 4") != std::string::npos; }, 10s))
      << stream.raw();

  ASSERT_TRUE(pg.stop());
  // A write while the server is down: 503 at once, not a hang and not a 500.
  auto t0 = Clock::now();
  auto down = d.post(alice, "during the outage", "k-during");
  const double write_s = seconds_since(t0);
  expect_503(down, "db_unavailable", "post while the server is down");
  EXPECT_LT(write_s, 5.0) << "the documented bound is the connect timeout (--busy-timeout, 5 s)";
  // A read the caches cannot answer (search goes to a reader thread): 503 too,
  // not an empty 200 that would say "nothing found".
  t0 = Clock::now();
  auto search = d.http->get("/api/v1/search?q=restart");
  const double search_s = seconds_since(t0);
  EXPECT_LT(search_s, 5.0);
  expect_503(search, "db_unavailable", "search while the server is down");
  // What the caches hold still answers.
  EXPECT_EQ(d.http->get("/api/v1/timelines/home", {"Authorization: Bearer " + bob}).status, 200);
  // Many requests while it is down: each answered promptly (no reconnect storm).
  t0 = Clock::now();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(d.post(bob, "still down", "k-bob-down").status, 503);
  const double twenty_s = seconds_since(t0);
  EXPECT_LT(twenty_s, 10.0);

  ASSERT_TRUE(pg.start()) << pg.error();
  const auto restarted = Clock::now();
  // The client retries the post it was refused, with the same key, until it is
  // taken: no restart of uwitter-web.
  kit::HttpResponse again;
  ASSERT_TRUE(kit::eventually(
      [&] {
        again = d.post(alice, "during the outage", "k-during");
        return again.status == 201;
      },
      30s))
      << again.status << " " << again.body << "\n"
      << d.web->stderr_text();
  const double resumed_s = seconds_since(restarted);
  std::printf(
      "[torture] postgres down: post 503 in %.1f ms, search 503 in %.1f ms, 20 posts 503 in %.1f ms; "
      "first post accepted %.0f ms after the server was back\n",
      write_s * 1e3, search_s * 1e3, twenty_s * 1e3, resumed_s * 1e3);
  acked["k-during"] = again.json()["id"];
  auto replay = d.post(alice, "during the outage", "k-during");
  ASSERT_EQ(replay.status, 201);
  EXPECT_EQ(replay.json()["id"], acked["k-during"]);
  // Every reader thread reconnects too (several searches land on each).
  for (int i = 0; i < 8; ++i) {
    auto s = d.http->get("/api/v1/search?q=restart");
    EXPECT_EQ(s.status, 200) << s.body;
  }
  // The notifier reconnected by itself: bob hears of the new post.
  auto after = d.post(alice, "after the restart", "k-after");
  ASSERT_EQ(after.status, 201) << after.body;
  acked["k-after"] = after.json()["id"];
  EXPECT_TRUE(stream.wait_event(
      [](const kit::SseEvent& e) { return e.data.find("after the restart") != std::string::npos; }, 15s))
      << stream.raw() << "\n"
      << d.notifier->stderr_text();

  // Everything acknowledged is stored, once.
  Store::Options ro;
  ro.read_only = true;
  auto store = Store::open(uri, ro);
  ASSERT_TRUE(store.ok()) << store.error().message;
  std::set<int64_t> ids;
  for (const auto& u : (*store)->public_timeline(std::nullopt, 100).items) ids.insert(u.id);
  for (const auto& [key, id] : acked) EXPECT_TRUE(ids.count(id)) << key << " (id " << id << ") was lost";
  EXPECT_EQ(ids.size(), acked.size());
  // The loss and the recovery were logged, each once, with no password.
  const std::string log = d.web->stderr_text();
  EXPECT_NE(log.find("reconnected"), std::string::npos) << log;
}

// ---- SQLite locked by another process ----------------------------------------

TEST(StorageFaults, SqliteLockedByAnotherProcessAnswers503DbBusyWithinTheBusyTimeout) {
  Daemons d;
  d.start_web({"--busy-timeout", "1000"});
  const std::string alice = d.signup("alice");
  ASSERT_EQ(d.post(alice, "before the lock", "k1").status, 201);

  // This test process is the "other process": it takes the write lock.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(d.dir.file("data/uwitter.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(other);
  const auto t0 = Clock::now();
  auto r = d.post(alice, "while locked", "k2");
  const double took = seconds_since(t0);
  expect_503(r, "db_busy", "post while another process holds the lock");
  EXPECT_NE(r.body.find("locked"), std::string::npos) << r.body;
  EXPECT_GE(took, 0.9) << "the writer waits --busy-timeout for the lock first";
  EXPECT_LT(took, 3.0) << "bounded: --busy-timeout (1 s here) and one batch";
  std::printf("[torture] sqlite locked: 503 db_busy after %.0f ms (--busy-timeout 1000)\n", took * 1e3);
  ASSERT_EQ(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(other);

  auto ok = d.post(alice, "while locked", "k2");
  EXPECT_EQ(ok.status, 201) << ok.body;
  auto list = d.http->get("/api/v1/users/alice/uweets").json();
  EXPECT_EQ(list["items"].size(), 2u) << list.dump();
}

// ---- SQLite on a full disk ---------------------------------------------------

// A small tmpfs mounted for the test, unmounted (lazily if still busy) at the end.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& path) : path_(path) {
    if (::mount("tmpfs", path.c_str(), "tmpfs", 0, "size=8m,mode=0755") == 0) {
      mounted_ = true;
    } else {
      why_ = std::string("cannot mount a tmpfs at ") + path + ": " + std::strerror(errno) +
             " (needs root with CAP_SYS_ADMIN)";
    }
  }
  ~SmallDisk() {
    if (mounted_ && ::umount(path_.c_str()) != 0) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& why() const { return why_; }
  // Fills the disk with a file until writes fail; returns its path.
  std::string fill() const {
    const std::string f = path_ + "/filler";
    std::FILE* out = std::fopen(f.c_str(), "wb");
    if (!out) return f;
    std::vector<char> block(4096, 'x');
    while (std::fwrite(block.data(), 1, block.size(), out) == block.size() && std::fflush(out) == 0) {
    }
    std::fclose(out);
    return f;
  }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string why_;
};

TEST(StorageFaults, FullDiskAnswers503DiskFullThenWorksAgainWhenSpaceReturns) {
  kit::TempDir dir;
  const std::string mnt = dir.file("disk");
  ASSERT_EQ(::mkdir(mnt.c_str(), 0755), 0);
  SmallDisk disk(mnt);
  if (!disk.mounted()) GTEST_SKIP() << disk.why();
  {
    Daemons d(mnt + "/data");
    d.start_web({"--access-log", dir.file("access.log")});
    const std::string alice = d.signup("alice");
    std::map<std::string, int64_t> acked;
    for (int i = 0; i < 5; ++i) {
      auto r = d.post(alice, "room to spare " + std::to_string(i), "a" + std::to_string(i));
      ASSERT_EQ(r.status, 201) << r.body;
      acked["a" + std::to_string(i)] = r.json()["id"];
    }
    const std::string filler = disk.fill();
    // Post until the database needs a page it cannot have (the WAL may still
    // have room at first): every refusal is a 503 disk_full, never a 500.
    int refused = 0, other = 0;
    kit::HttpResponse first_refusal;
    double slowest = 0;
    for (int i = 0; i < 400 && refused < 3; ++i) {
      const std::string key = "b" + std::to_string(i);
      const auto t0 = Clock::now();
      auto r = d.post(alice, "no room " + std::to_string(i) + " " + std::string(100, 'z'), key);
      slowest = std::max(slowest, seconds_since(t0));
      if (r.status == 201) {
        acked[key] = r.json()["id"];
      } else if (r.status == 503) {
        if (refused++ == 0) first_refusal = r;
      } else {
        ++other;
        ADD_FAILURE() << "post on a full disk: " << r.status << " " << r.body;
      }
    }
    ASSERT_GT(refused, 0) << "the disk never filled up";
    std::printf(
        "[torture] disk full: %zu posts acknowledged, then %d refused with 503 (%d other); slowest answer "
        "%.1f ms\n",
        acked.size(), refused, other, slowest * 1e3);
    EXPECT_EQ(other, 0);
    expect_503(first_refusal, "disk_full", "post on a full disk");
    EXPECT_NE(first_refusal.body.find("disk"), std::string::npos) << first_refusal.body;
    EXPECT_LT(slowest, 5.0);
    // The error lines are rate-limited, not one per failed batch.
    size_t lines = 0;
    for (const auto& l : d.web->lines()) lines += l.find("writer:") != std::string::npos;
    EXPECT_LE(lines, 6u) << d.web->stderr_text();

    ASSERT_EQ(std::remove(filler.c_str()), 0);
    kit::HttpResponse back;
    EXPECT_TRUE(kit::eventually(
        [&] {
          back = d.post(alice, "space again", "c1");
          return back.status == 201;
        },
        15s))
        << back.status << " " << back.body;
    if (back.status == 201) acked["c1"] = back.json()["id"];
    ASSERT_EQ(d.web->terminate(), 0) << d.web->stderr_text();

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((mnt + "/data/uwitter.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "ok");
    sqlite3_finalize(st);
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT idempotency_key, id FROM uweets", -1, &st, nullptr), SQLITE_OK);
    std::map<std::string, int64_t> stored;
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
      ++rows;
      stored[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    EXPECT_EQ(static_cast<size_t>(rows), stored.size()) << "a key stored twice";
    for (const auto& [key, id] : acked) EXPECT_EQ(stored[key], id) << key << " lost or changed";
  }
}

// Issue 13 item 6, the full-disk half (the deleted folder is in
// tests/notifier-udp/log_failures_test.cpp).
TEST(StorageFaults, NotifierLogOnAFullDiskIsSaidAndDeliveryGoesOnUntilSpaceReturns) {
  kit::TempDir dir;
  const std::string mnt = dir.file("disk");
  ASSERT_EQ(::mkdir(mnt.c_str(), 0755), 0);
  SmallDisk disk(mnt);
  if (!disk.mounted()) GTEST_SKIP() << disk.why();
  {
    const std::string log = mnt + "/notifier.log";
    test::NotifierHarness h({"--log-file", log});  // the later --log-file wins; debug: a line per delivery
    auto bob = h.stream(h.users.bob);
    int64_t id = 1000;
    auto post_and_see = [&](const std::string& text) {
      h.send({h.post(++id, text)});
      return bob->wait_event([&](const test::SseEvent& e) { return e.data.find(text) != std::string::npos; },
                             10s);
    };
    ASSERT_TRUE(post_and_see("room to spare"));
    EXPECT_EQ(h.metric_value("uwitter_notifier_log_ok"), 1);
    const std::string filler = disk.fill();
    // Posts while the disk is full: every one delivered; the log's failure shows.
    int delivered = 0;
    EXPECT_TRUE(kit::eventually(
        [&] {
          delivered += post_and_see("disk full " + std::to_string(id)) ? 1 : 0;
          return h.metric_value("uwitter_notifier_log_ok") == 0;
        },
        20s))
        << h.metrics();
    for (int i = 0; i < 200; ++i) delivered += post_and_see("still full " + std::to_string(i)) ? 1 : 0;
    EXPECT_GE(delivered, 201);
    const std::string m = h.metrics();
    EXPECT_GE(kit::metric(m, "uwitter_notifier_log_errors_total"), 1) << m;
    EXPECT_GT(kit::metric(m, "uwitter_notifier_log_lost_bytes_total"), 0) << m;
    // Said on stderr, naming the file and the cause, rate-limited: not a line per failed write.
    const std::string err = h.proc->stderr_text();
    EXPECT_NE(err.find("log file " + log + ": "), std::string::npos) << err;
    EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
    size_t lines = 0;
    for (size_t at = err.find("log file "); at != std::string::npos; at = err.find("log file ", at + 1))
      ++lines;
    EXPECT_LE(lines, 6u) << err;
    // Space again: the log is written again without a restart or a signal.
    ASSERT_EQ(std::remove(filler.c_str()), 0);
    EXPECT_TRUE(kit::eventually(
        [&] {
          post_and_see("space again " + std::to_string(id));
          return h.metric_value("uwitter_notifier_log_ok") == 1;
        },
        20s))
        << h.metrics();
    // The last post's lines (its fanout, its delivery to bob) reached the file.
    const std::string last = " uweet=" + std::to_string(id) + " ";
    EXPECT_TRUE(kit::eventually([&] { return kit::read_file(log).find(last) != std::string::npos; }))
        << kit::read_file(log).substr(0, 2000);
    std::printf(
        "[torture] notifier log on a full disk: %d notifications delivered while it was full; %.0f log "
        "errors, %.0f bytes of log lost, %zu stderr lines; written again once space returned\n",
        delivered, kit::metric(m, "uwitter_notifier_log_errors_total"),
        kit::metric(m, "uwitter_notifier_log_lost_bytes_total"), lines);
    EXPECT_EQ(h.proc->terminate(), 0) << h.proc->stderr_text();
  }
}

}  // namespace
}  // namespace uw::torture

#endif
