// End-to-end: the web app at the edges (issue 14's accounts, posting and
// consistency items), against the real uwitter-web process over real sockets.
// Spans web/service (throttle, rate limits, idempotency), core/rules (blank
// text, search queries), web/http (API errors, headers, /metrics) and the pages.
// Several clients are played from different loopback addresses (127.0.0.2,
// 127.0.0.3, ...: all of 127.0.0.0/8 is loopback on Linux).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/kit/http_client.hpp"
#include "tests/web/api_fixture.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {
namespace {

// Each test runs on SQLite and on PostgreSQL (api_fixture.hpp: web_backends()).
class Edges : public ::testing::TestWithParam<std::string> {};

using kit::HttpClient;
using kit::HttpResponse;

// A client of w connecting from a given loopback address.
std::unique_ptr<HttpClient> client_from(const Web& w, const std::string& ip) {
  auto c = std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(w.port));
  c->set_source_address(ip);
  return c;
}

HttpResponse login_from(HttpClient& c, const std::string& user, const std::string& pw) {
  return c.json("POST", "/api/v1/sessions", {{"username", user}, {"password", pw}});
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---------------------------------------------------------------- 5: login throttling

TEST_P(Edges, AGuesserElsewhereSlowsOnlyThemselvesNotTheOwner) {
  Web w;
  w.user("alice");
  auto attacker = client_from(w, "127.0.0.2");
  for (int i = 0; i < 5; ++i)
    expect_error(login_from(*attacker, "alice", "guess-" + std::to_string(i)), 401, "bad_credentials",
                 "guess " + std::to_string(i));
  // The guesser's address now waits for alice, even with the right password ...
  auto limited = login_from(*attacker, "alice", "password123");
  expect_error(limited, 429, "too_many_attempts", "guesser after 5 failures");
  EXPECT_GT(std::stoi(limited.header("retry-after").empty() ? "0" : limited.header("retry-after")), 0);
  // ... while alice, from her own address, logs in at once.
  auto owner = client_from(w, "127.0.0.1");
  auto ok = login_from(*owner, "alice", "password123");
  EXPECT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(count_rows(w.db(), "sessions"), 1);
}

TEST_P(Edges, OneAddressSprayingManyAccountsIsLimitedAcrossThem) {
  Web w({"--signup-rate", "off"});
  for (int i = 0; i < 21; ++i) w.user("user" + std::to_string(i));
  auto sprayer = client_from(w, "127.0.0.3");
  // One failure for each of 20 accounts: the per-address limit (20 in 300 s).
  for (int i = 0; i < 20; ++i)
    expect_error(login_from(*sprayer, "user" + std::to_string(i), "Password1!"), 401, "bad_credentials",
                 "spray " + std::to_string(i));
  expect_error(login_from(*sprayer, "user20", "password123"), 429, "too_many_attempts",
               "21st account from the same address");
  EXPECT_EQ(client_from(w, "127.0.0.4")
                ->json("POST", "/api/v1/sessions", {{"username", "user20"}, {"password", "password123"}})
                .status,
            201);
}

TEST_P(Edges, ThrottleStateSurvivesACleanRestartAndACrash) {
  Web w;
  w.user("bob");
  {
    auto attacker = client_from(w, "127.0.0.5");
    for (int i = 0; i < 5; ++i) login_from(*attacker, "bob", "wrong-" + std::to_string(i));
    expect_error(login_from(*attacker, "bob", "password123"), 429, "too_many_attempts", "before restart");
  }
  ASSERT_EQ(w.proc->terminate(), 0) << w.proc->stderr_text();
  w.start({});
  {
    auto attacker = client_from(w, "127.0.0.5");
    expect_error(login_from(*attacker, "bob", "password123"), 429, "too_many_attempts",
                 "after a clean restart");
  }
  // A crash (SIGKILL) loses at most what the journal's writer thread had not
  // written yet: wait for the file to name the new address, then kill.
  auto other = client_from(w, "127.0.0.6");
  for (int i = 0; i < 5; ++i) login_from(*other, "bob", "wrong-" + std::to_string(i));
  const std::string state = w.dir.file("data") + "/login-throttle.state";
  const std::string want = "f 626f62 3132372e302e302e36 ";  // hex("bob"), hex("127.0.0.6")
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  auto count = [&] {
    size_t n = 0;
    const std::string text = read_file(state);
    for (size_t at = text.find(want); at != std::string::npos; at = text.find(want, at + 1)) ++n;
    return n;
  };
  while (count() < 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling with a deadline
  ASSERT_EQ(count(), 5u) << read_file(state);
  ASSERT_EQ(w.proc->signal(SIGKILL), 0);
  w.proc->wait_exit(std::chrono::seconds(10));
  w.start({});
  expect_error(login_from(*client_from(w, "127.0.0.6"), "bob", "password123"), 429, "too_many_attempts",
               "after a crash");
  EXPECT_EQ(login_from(*client_from(w, "127.0.0.1"), "bob", "password123").status, 201);
}

// ---------------------------------------------------------------- 6: rate limits

TEST_P(Edges, PostingPastTheLimitIs429WithRetryAfterAndWritesNothing) {
  Web w({"--post-burst", "3", "--post-rate", "1/h"});
  w.user("alice");
  w.user("bob");
  std::string ta = w.login("alice"), tb = w.login("bob");
  for (int i = 0; i < 3; ++i)
    w.ok("POST", "/api/v1/uweets", {{"text", "burst " + std::to_string(i)}}, ta, 201);
  auto limited = w.call("POST", "/api/v1/uweets", {{"text", "one too many"}}, ta);
  expect_error(limited, 429, "rate_limited", "fourth post in the burst");
  ASSERT_FALSE(limited.header("retry-after").empty());
  EXPECT_GT(std::stoi(limited.header("retry-after")), 0);
  EXPECT_GT(limited.json()["error"]["retry_after_s"].get<int64_t>(), 0);
  // The limit is per user: bob still posts.
  w.ok("POST", "/api/v1/uweets", {{"text", "bob is fine"}}, tb, 201);
  EXPECT_EQ(count_rows(w.db(), "uweets"), 4);
  auto m = w.http->get("/metrics");
  EXPECT_NE(m.body.find("uwitter_rate_limited_total{what=\"post\"} 1"), std::string::npos) << m.body;
}

TEST_P(Edges, SignUpsPastTheLimitPerAddressAre429) {
  Web w({"--signup-burst", "2", "--signup-rate", "1/h"});
  auto a = client_from(w, "127.0.0.7");
  auto signup = [](HttpClient& c, const std::string& name) {
    return c.json("POST", "/api/v1/accounts", {{"username", name}, {"password", "password123"}});
  };
  EXPECT_EQ(signup(*a, "one").status, 201);
  // A refused name does not use up the allowance.
  expect_error(signup(*a, "bad name"), 422, "invalid_username", "bad name");
  expect_error(signup(*a, "ONE"), 409, "username_taken", "taken");
  EXPECT_EQ(signup(*a, "two").status, 201);
  auto limited = signup(*a, "three");
  expect_error(limited, 429, "rate_limited", "third sign-up from one address");
  EXPECT_GT(std::stoi(limited.header("retry-after").empty() ? "0" : limited.header("retry-after")), 0);
  // Another address signs up.
  EXPECT_EQ(signup(*client_from(w, "127.0.0.8"), "three").status, 201);
  EXPECT_EQ(count_rows(w.db(), "users"), 3);
}

TEST_P(Edges, RateFlagsAreCheckedAndOffTurnsALimitOff) {
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"--post-rate", "fast"},
                                             {"--post-rate", "3/week"},
                                             {"--post-burst", "0"},
                                             {"--signup-rate", "/h"},
                                             {"--metrics-allow", "10.0.0.0/33"},
                                             {"--metrics-listen", "nowhere"}}) {
    std::vector<std::string> argv{UWITTER_WEB_BIN};
    argv.insert(argv.end(), bad.begin(), bad.end());
    auto r = kit::run(argv);
    EXPECT_EQ(r.status, 2) << bad[0] << " " << bad[1];
    EXPECT_NE(r.err.find(bad[0]), std::string::npos) << r.err;
  }
  Web w({"--post-burst", "1", "--post-rate", "off"});
  w.user("carol");
  std::string t = w.login("carol");
  for (int i = 0; i < 70; ++i) w.ok("POST", "/api/v1/uweets", {{"text", "n" + std::to_string(i)}}, t, 201);
}

// ---------------------------------------------------------------- 7: idempotency

TEST_P(Edges, IdempotencyKeyWithAnotherTextIs422AndAReplayIsMarked) {
  Web w;
  w.user("alice");
  std::string t = w.login("alice");
  auto post = [&](const std::string& text, const std::string& key) {
    return w.http->request(
        "POST", "/api/v1/uweets", json{{"text", text}}.dump(),
        {"Content-Type: application/json", "Authorization: Bearer " + t, "Idempotency-Key: " + key});
  };
  auto first = post("the text", "k-1");
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.header("idempotent-replayed"), "");
  auto again = post("  the text \r\n", "k-1");  // the same text once normalised
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  EXPECT_EQ(again.json()["id"], first.json()["id"]);
  auto other = post("another text", "k-1");
  expect_error(other, 422, "idempotency_key_reused", "same key, other text");
  EXPECT_NE(other.json()["error"]["message"].get<std::string>().find("Idempotency-Key"), std::string::npos);
  EXPECT_EQ(count_rows(w.db(), "uweets"), 1);
}

// ---------------------------------------------------------------- 8: invisible text

TEST_P(Edges, AUweetOfInvisibleCharactersIsEmpty) {
  Web w;
  w.user("alice");
  std::string t = w.login("alice");
  for (const std::string text : {"\u200B", "\u200B\u200C\u200D", " \u2060\uFEFF \n\u200B"})
    expect_error(w.call("POST", "/api/v1/uweets", {{"text", text}}, t), 422, "empty_uweet", "invisible text");
  EXPECT_EQ(count_rows(w.db(), "uweets"), 0);
  w.ok("POST", "/api/v1/uweets", {{"text", "\u200Bvisible"}}, t, 201);
}

// ---------------------------------------------------------------- 9, 10, 11: one answer each

TEST_P(Edges, SearchQueryRuleIsTheSameForTheApiAndThePage) {
  Web w;
  const std::string longq(257, 'a');
  auto api = w.call("GET", "/api/v1/search?q=" + longq);
  expect_error(api, 400, "bad_query", "long query, API");
  auto page = w.http->get("/search?q=" + longq);
  EXPECT_EQ(page.status, 400);
  EXPECT_NE(page.body.find("at most 256 bytes"), std::string::npos) << page.body.substr(0, 2000);
  EXPECT_EQ(w.call("GET", "/api/v1/search?q=" + std::string(256, 'a')).status, 200);
  EXPECT_EQ(w.http->get("/search?q=" + std::string(256, 'a')).status, 200);
}

TEST_P(Edges, EveryOutOfRangeLimitIsRefusedTheSameWay) {
  Web w;
  for (const std::string l : {"0", "101", "100000", "-1", "ten", "99999999999999999999"}) {
    auto r = w.call("GET", "/api/v1/timelines/public?limit=" + l);
    expect_error(r, 400, "bad_param", "limit=" + l);
    EXPECT_NE(r.json()["error"]["message"].get<std::string>().find("from 1 to 100"), std::string::npos) << l;
  }
  for (const std::string l : {"1", "100"})
    EXPECT_EQ(w.call("GET", "/api/v1/timelines/public?limit=" + l).status, 200);
}

TEST_P(Edges, ANonNumericUweetIdIs400AndAnUnknownOne404) {
  Web w;
  expect_error(w.call("GET", "/api/v1/uweets/abc"), 400, "bad_param", "abc");
  expect_error(w.call("GET", "/api/v1/uweets/-4"), 400, "bad_param", "-4");
  expect_error(w.call("GET", "/api/v1/uweets/999"), 404, "no_such_uweet", "999");
}

// ---------------------------------------------------------------- 12, 13: headers and /metrics

TEST_P(Edges, EveryApiAnswerIsNoStoreAndHstsOnlyWithHttpsCookies) {
  Web w;
  w.user("alice");
  auto login = w.call("POST", "/api/v1/sessions", {{"username", "alice"}, {"password", "password123"}});
  ASSERT_EQ(login.status, 201);
  EXPECT_EQ(login.header("cache-control"), "no-store");
  std::string t = login.json()["token"];
  for (const std::string path :
       {"/api/v1/timelines/home", "/api/v1/users/alice", "/api/v1/nothing", "/api/v1/timelines/public"})
    EXPECT_EQ(w.call("GET", path, nullptr, t).header("cache-control"), "no-store") << path;
  EXPECT_EQ(w.call("GET", "/api/v1/timelines/home").header("cache-control"), "no-store") << "401";
  EXPECT_EQ(w.http->get("/").header("strict-transport-security"), "");
  Web s({"--https-cookies"});
  for (const std::string path : {"/", "/api/v1/timelines/public", "/healthz"})
    EXPECT_EQ(s.http->get(path).header("strict-transport-security"), "max-age=31536000") << path;
}

TEST_P(Edges, PageFormAnswersVaryOnOrigin) {
  Web w;
  auto forged = w.http->post_form("/post", {{"text", "hi"}}, {"Origin: http://evil.example"});
  EXPECT_EQ(forged.status, 403);
  EXPECT_EQ(forged.header("vary"), "Origin");
  auto ours = w.http->post_form("/accounts/login", {{"username", "x"}},
                                {"Origin: http://127.0.0.1:" + std::to_string(w.port)});
  EXPECT_EQ(ours.header("vary"), "Origin") << ours.status;
}

TEST_P(Edges, MetricsAreServedOnlyToAllowedAddresses) {
  Web w({"--metrics-allow", "127.0.0.1/32"});
  EXPECT_EQ(client_from(w, "127.0.0.1")->get("/metrics").status, 200);
  auto refused = client_from(w, "127.0.0.9")->get("/metrics");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.body.find("uwitter_"), std::string::npos);
  // The default is loopback: every 127/8 address.
  Web d;
  EXPECT_EQ(client_from(d, "127.0.0.9")->get("/metrics").status, 200);
}

TEST_P(Edges, MetricsListenMovesMetricsToTheirOwnPort) {
  kit::TempDir dir;
  kit::ChildProcess p;
  ASSERT_TRUE(p.start({UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", dir.file("data"),
                       "--metrics-listen", "127.0.0.1:0"},
                      dir.file("err.log")));
  ASSERT_TRUE(p.wait_listening(2)) << p.stderr_text();
  ASSERT_NE(p.port("metrics"), 0);
  HttpClient site("http://127.0.0.1:" + std::to_string(p.port("http")));
  HttpClient metrics("http://127.0.0.1:" + std::to_string(p.port("metrics")));
  EXPECT_EQ(site.get("/healthz").status, 200);
  EXPECT_EQ(site.get("/metrics").status, 404);
  auto m = metrics.get("/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("http_requests_total{route=\"/healthz\",status=\"200\"} 1"), std::string::npos)
      << m.body;
  EXPECT_EQ(metrics.get("/").status, 404);
  EXPECT_EQ(p.terminate(), 0) << p.stderr_text();
}

// ---------------------------------------------------------------- 11: @nosuch

TEST_P(Edges, AMentionOfNobodyIsTextUntilThatUserSignsUp) {
  Web w;
  w.user("alice");
  w.user("bob");
  std::string t = w.login("alice");
  w.ok("POST", "/api/v1/uweets", {{"text", "hi @bob and @nosuch"}}, t, 201);
  auto page = w.http->get("/");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<a class=\"mention\" href=\"/u/bob\">@bob</a>"), std::string::npos) << page.body;
  EXPECT_EQ(page.body.find("href=\"/u/nosuch\""), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("and @nosuch"), std::string::npos);
  w.user("nosuch");
  // The front page is shared for up to a second; poll until it shows the link.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    page = w.http->get("/");
    if (page.body.find("href=\"/u/nosuch\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_NE(page.body.find("<a class=\"mention\" href=\"/u/nosuch\">@nosuch</a>"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, Edges, web_backends(), backend_name);

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
