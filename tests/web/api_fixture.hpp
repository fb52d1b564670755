#pragma once
// What the JSON API tests share (api_test.cpp, edges_test.cpp): one real
// uwitter-web process on a free port with a fresh --data directory, a client
// for it, and helpers to look at answers and at the database.
//
// Backends: the suites are parameterised (TEST_P over web_backends()); in the
// "postgres" instances Web gives uwitter-web `--db` with a fresh database on
// the program's throwaway PostgreSQL server (tests/pg_environment.hpp), and
// db() / count_rows() look there instead of at the SQLite file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/kit/http_client.hpp"
#include "bench/kit/pg_server.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "core/store/store.hpp"
#include "tests/pg_environment.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {

using nlohmann::json;

// The backends every web integration suite runs on (INSTANTIATE_TEST_SUITE_P).
inline auto web_backends() { return ::testing::Values(std::string("sqlite"), std::string("postgres")); }
inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// Does the running test run on PostgreSQL (a "postgres" instance of a
// parameterised suite)? Plain TESTs run on SQLite.
inline bool on_postgres() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return info && info->value_param() &&
         std::string(info->value_param()).find("postgres") != std::string::npos;
}

// The --db arguments for the running test: none on SQLite (the file under
// --data), a fresh PostgreSQL database otherwise (made once, kept in *uri for
// restarts of the same site).
inline std::vector<std::string> db_args(std::string* uri) {
  if (!on_postgres()) return {};
  if (uri->empty()) *uri = fresh_pg_database();
  return {"--db", *uri};
}

struct Web {
  using TempDir = kit::TempDir;
  using ChildProcess = kit::ChildProcess;
  using HttpClient = kit::HttpClient;
  using HttpResponse = kit::HttpResponse;

  TempDir dir;
  std::unique_ptr<ChildProcess> proc;
  std::unique_ptr<HttpClient> http;
  uint16_t port = 0;

  explicit Web(std::vector<std::string> extra = {}) { start(extra); }
  void start(const std::vector<std::string>& extra) {
    std::vector<std::string> argv{UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", dir.file("data")};
    const auto db = db_args(&pg_uri);
    argv.insert(argv.end(), db.begin(), db.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc = std::make_unique<ChildProcess>();
    ASSERT_TRUE(proc->start(argv, dir.file("stderr.log")));
    ASSERT_TRUE(proc->wait_listening()) << proc->stderr_text();
    port = proc->port("http");
    http = std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(port));
  }
  std::string pg_uri;  // the PostgreSQL database, in "postgres" instances
  // The --db target: the SQLite file or the PostgreSQL URI.
  std::string db() const { return pg_uri.empty() ? dir.file("data") + "/uwitter.db" : pg_uri; }
  HttpResponse call(const std::string& m, const std::string& path, const json& body = nullptr,
                    const std::string& token = "") {
    if (!http) return HttpResponse{};  // start() failed and said so: no crash after it
    if (body.is_null()) {
      std::vector<std::string> h;
      if (!token.empty()) h.push_back("Authorization: Bearer " + token);
      return http->request(m, path, "", h);
    }
    return http->json(m, path, body, token);
  }
  json ok(const std::string& m, const std::string& path, const json& body = nullptr,
          const std::string& token = "", long want = 200) {
    auto r = call(m, path, body, token);
    EXPECT_EQ(r.status, want) << m << " " << path << ": " << r.body;
    try {
      return r.json();
    } catch (...) {
      ADD_FAILURE() << "not JSON: " << r.body;
      return nullptr;
    }
  }
  json user(const std::string& name, const std::string& pw = "password123") {
    return ok("POST", "/api/v1/accounts", {{"username", name}, {"password", pw}}, "", 201);
  }
  std::string login(const std::string& name, const std::string& pw = "password123") {
    auto j = ok("POST", "/api/v1/sessions", {{"username", name}, {"password", pw}}, "", 201);
    return j.is_object() && j.contains("token") ? j["token"].get<std::string>() : "";
  }
};

inline int64_t count_rows(const std::string& db, const std::string& table) {
  if (is_postgres_target(db)) {
    std::string err;
    auto v = kit::pg_query_value(db, "SELECT count(*) FROM " + table, &err);
    if (!v) ADD_FAILURE() << "count " << table << ": " << err;
    return v ? std::stoll(*v) : -1;
  }
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return -1;
  sqlite3_stmt* st = nullptr;
  int64_t n = -1;
  std::string sql = "SELECT count(*) FROM " + table;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

inline std::string pct(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

inline void expect_error(const kit::HttpResponse& r, long status, const std::string& code,
                         const std::string& what) {
  EXPECT_EQ(r.status, status) << what << ": " << r.body;
  try {
    auto j = r.json();
    EXPECT_EQ(j["error"]["code"], code) << what << ": " << r.body;
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty()) << what;
  } catch (...) {
    ADD_FAILURE() << what << ": error body is not JSON: " << r.body;
  }
}

}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
