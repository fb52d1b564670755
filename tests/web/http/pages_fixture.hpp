// What the HTML UI's integration tests share (tests/web/http/pages*_test.cpp, one
// file per web/http/pages*.cpp): the real uwitter-web as a process, a libcurl
// client with a cookie jar that plays the browser, and the Pages suites (one
// server per backend for the whole Pages suite; their INSTANTIATE lines are in
// pages_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <regex>
#include <string>

#include "bench/kit/http_client.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "tests/web/api_fixture.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {

using kit::ChildProcess;
using kit::html_input_value;
using kit::HttpClient;
using kit::HttpResponse;
using kit::read_file;
using kit::TempDir;

// One uwitter-web on 127.0.0.1:<free port> with a fresh --data directory.
class WebServer {
 public:
  explicit WebServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", dir_.path()};
    const auto db = db_args(&pg_uri_);  // a fresh PostgreSQL database in the "postgres" instances
    argv.insert(argv.end(), db.begin(), db.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    bool started = proc_.start(argv, dir_.file("stderr.log"));
    EXPECT_TRUE(started);
    EXPECT_TRUE(proc_.wait_listening()) << proc_.stderr_text();
    port_ = proc_.port("http");
    base_ = "http://127.0.0.1:" + std::to_string(port_);
  }
  // Stops it with SIGTERM: a clean exit (status 0) also means no sanitizer report.
  ~WebServer() {
    int status = proc_.terminate();
    std::string err = proc_.stderr_text();
    EXPECT_EQ(status, 0) << err.substr(err.size() > 4000 ? err.size() - 4000 : 0);
  }
  const std::string& base() const { return base_; }
  uint16_t port() const { return port_; }
  // The SQLite database file under --data (plain TESTs: SQLite).
  std::string db_file() const { return dir_.file("uwitter.db"); }

 private:
  TempDir dir_;
  std::string pg_uri_;
  ChildProcess proc_;
  uint16_t port_ = 0;
  std::string base_;
};

// The text of the <p class="error"> message on a page ("" if none).
inline std::string error_message(const std::string& html) {
  std::smatch m;
  static const std::regex re(R"re(<p class="error" role="alert">([^<]*)</p>)re");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

// A number shown as "<b>N</b> word" on a profile page (-1 if absent).
inline long count_on_profile(const std::string& html, const std::string& word) {
  std::smatch m;
  std::regex re("<b>([0-9]+)</b> " + word + "<");
  return std::regex_search(html, m, re) ? std::stol(m[1].str()) : -1;
}

// A browser: a cookie jar, the site's Origin on every POST, forms read from pages.
class Browser {
 public:
  explicit Browser(const std::string& base) : base_(base), http_(base) {}
  HttpResponse get(const std::string& path) { return http_.get(path); }
  // GETs `page`, takes its csrf field, POSTs `fields` (+ csrf) to `action`.
  HttpResponse submit(const std::string& page, const std::string& action,
                      std::vector<std::pair<std::string, std::string>> fields) {
    auto form = http_.get(page);
    EXPECT_EQ(form.status, 200) << page;
    std::string token = html_input_value(form.body, "csrf");
    EXPECT_FALSE(token.empty()) << "no csrf field on " << page;
    fields.emplace_back("csrf", token);
    return http_.post_form(action, fields, {"Origin: " + base_});
  }
  HttpResponse post_raw(const std::string& action, const std::string& body,
                        std::vector<std::string> headers = {}) {
    headers.push_back("Content-Type: application/x-www-form-urlencoded");
    return http_.request("POST", action, body, headers);
  }
  std::string csrf_from(const std::string& page) { return html_input_value(http_.get(page).body, "csrf"); }
  HttpResponse register_user(const std::string& name, const std::string& password = "correct horse") {
    return submit("/accounts/register", "/accounts/register", {{"username", name}, {"password", password}});
  }
  HttpResponse login(const std::string& name, const std::string& password) {
    return submit("/accounts/login", "/accounts/login", {{"username", name}, {"password", password}});
  }
  HttpResponse post(const std::string& text) { return submit("/", "/post", {{"text", text}}); }
  HttpClient& http() { return http_; }
  const std::string& base() const { return base_; }

 private:
  std::string base_;
  HttpClient http_;
};

// One server per backend for the whole suite (each test makes its own users).
class Pages : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WebServer*& s = servers_[GetParam()];
    if (!s) s = new WebServer();
    server_ = s;
  }
  static void TearDownTestSuite() {
    for (auto& [backend, s] : servers_) delete s;
    servers_.clear();
    server_ = nullptr;
  }
  static const std::string& base() { return server_->base(); }
  // A registered, logged-in browser.
  std::unique_ptr<Browser> user(const std::string& name) {
    auto b = std::make_unique<Browser>(base());
    auto r = b->register_user(name);
    EXPECT_EQ(r.status, 303) << name << ": " << error_message(r.body);
    EXPECT_EQ(r.header("location"), "/");
    return b;
  }
  static inline std::map<std::string, WebServer*> servers_;
  static inline WebServer* server_ = nullptr;
};

// Each test runs on SQLite and on PostgreSQL (api_fixture.hpp: web_backends()).
class PagesPagination : public ::testing::TestWithParam<std::string> {};
class PagesNotifications : public ::testing::TestWithParam<std::string> {};
class PagesThrottle : public ::testing::TestWithParam<std::string> {};
class PagesRateLimits : public ::testing::TestWithParam<std::string> {};

// The id of the newest uweet on a page ("" if none).
inline std::string first_uweet_id(const std::string& html) {
  std::smatch m;
  static const std::regex re(R"re(<li class="uweet" id="uweet-([0-9]+)")re");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
