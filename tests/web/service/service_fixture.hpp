// What the in-process Service tests share (tests/web/service/service_impl*_test.cpp):
// a real libuv loop run until a condition holds, an await for Done callbacks, and a
// ServiceImpl on a real SQLite file in a temporary folder with its events kept.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/kit/temp_dir.hpp"
#include "core/store/sqlite/store.hpp"
#include "web/service/service_impl.hpp"

namespace uw::web::test {

using namespace std::chrono_literals;

// Runs the loop until pred() holds or 20 s pass. A 5 ms timer keeps uv_run
// returning so the deadline is checked; it is not a readiness wait.
inline bool run_until(uv_loop_t* loop, const std::function<bool()>& pred) {
  uv_timer_t tick;
  uv_timer_init(loop, &tick);
  uv_timer_start(
      &tick, [](uv_timer_t*) {}, 5, 5);
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!pred() && std::chrono::steady_clock::now() < deadline) uv_run(loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return pred();
}

template <class T, class Start>
Result<T> await(uv_loop_t* loop, Start start) {
  std::optional<Result<T>> out;
  start([&](Result<T> r) { out.emplace(std::move(r)); });
  EXPECT_TRUE(run_until(loop, [&] { return out.has_value(); }));
  if (!out) return Error{0, "timeout", "no answer"};
  return std::move(*out);
}

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0) << "a handle leaked";
  }
};

inline int64_t count_rows(const std::string& db, const char* table) {
  Store::Options ro;
  ro.read_only = true;
  auto s = SqliteStore::open(db, ro);
  if (!s) return -1;
  sqlite3_stmt* st = nullptr;
  std::string sql = std::string("SELECT count(*) FROM ") + table;
  sqlite3_prepare_v2(s.value()->raw(), sql.c_str(), -1, &st, nullptr);
  int64_t n = -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

struct Fixture {
  kit::TempDir dir;
  Loop l;
  std::unique_ptr<ServiceImpl> svc;
  std::vector<sign::Event> events;

  void open(CacheTuning t = {}) {
    ServiceConfig cfg;
    cfg.db_path = dir.file("uwitter.db");
    cfg.max_failures_per_account = 3;
    auto s = make_service(&l.loop, cfg, nullptr, t);
    ASSERT_TRUE(s) << s.error().message;
    svc = std::move(s.value());
    svc->set_event_sink([this](const sign::Event& e) { events.push_back(e); });
  }
  void close() {
    bool closed = false;
    svc->shutdown([&] { closed = true; });
    ASSERT_TRUE(run_until(&l.loop, [&] { return closed; }));
    svc.reset();
  }
  ~Fixture() {
    if (svc) close();
  }
  User reg(const std::string& name) {
    auto r = await<User>(&l.loop, [&](auto d) { svc->register_account(name, "password123", "", d); });
    EXPECT_TRUE(r) << r.error().message;
    return r ? r.value() : User{};
  }
  Result<LoginResult> login(const std::string& name, const std::string& pw,
                            const std::string& ip = "10.0.0.1") {
    return await<LoginResult>(&l.loop, [&](auto d) { svc->login(name, pw, ip, d); });
  }
  Viewer viewer(const User& u) { return Viewer{u.id, u.username}; }
  Result<Uweet> post(const User& u, const std::string& text, std::optional<std::string> key = std::nullopt) {
    auto r = await<Posted>(&l.loop, [&](auto d) { svc->post(viewer(u), text, key, d); });
    if (!r) return r.error();
    return r->uweet;
  }
  Page<Uweet> home(const User& u, std::optional<int64_t> before = std::nullopt, int limit = 20) {
    auto r = await<Page<Uweet>>(&l.loop, [&](auto d) { svc->home_timeline(viewer(u), before, limit, d); });
    EXPECT_TRUE(r);
    return r ? r.value() : Page<Uweet>{};
  }
};

}  // namespace uw::web::test
