// The JSON API of the real uwitter-web process, over real sockets: the whole
// flow, every error status with its code, and that bad input leaves the
// database as it was.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench/kit/http_client.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "tests/web/api_fixture.hpp"
#include "web/http/notifiers.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {

using kit::ChildProcess;
using kit::HttpClient;
using kit::HttpResponse;
using kit::TempDir;
namespace {

// Each test runs on SQLite and on PostgreSQL (api_fixture.hpp: web_backends()).
class Api : public ::testing::TestWithParam<std::string> {};

using nlohmann::json;

TEST_P(Api, FullFlowRegisterLoginPostFollowReadSearchUnfollowLogout) {
  Web w;
  auto alice = w.user("alice");
  EXPECT_EQ(alice["username"], "alice");
  EXPECT_GT(alice["id"].get<int64_t>(), 0);
  w.user("bob");
  std::string ta = w.login("alice"), tb = w.login("BOB");
  ASSERT_FALSE(ta.empty());
  ASSERT_FALSE(tb.empty());
  auto u = w.ok("POST", "/api/v1/uweets", {{"text", "  hello @alice from bob, coffee time  "}}, tb, 201);
  EXPECT_EQ(u["text"], "hello @alice from bob, coffee time");
  EXPECT_EQ(u["author"], "bob");
  int64_t id = u["id"].get<int64_t>();
  EXPECT_EQ(w.ok("GET", "/api/v1/uweets/" + std::to_string(id))["text"], u["text"]);
  EXPECT_TRUE(w.ok("GET", "/api/v1/timelines/home", nullptr, ta)["items"].empty());
  auto f = w.ok("PUT", "/api/v1/users/bob/follow", nullptr, ta);
  EXPECT_EQ(f["changed"], true);
  EXPECT_EQ(w.ok("PUT", "/api/v1/users/bob/follow", nullptr, ta)["changed"], false);
  auto home = w.ok("GET", "/api/v1/timelines/home", nullptr, ta);
  ASSERT_EQ(home["items"].size(), 1u);
  EXPECT_EQ(home["items"][0]["id"], id);
  EXPECT_TRUE(home["next"].is_null());
  auto prof = w.ok("GET", "/api/v1/users/Bob", nullptr, ta);
  EXPECT_EQ(prof["username"], "bob");
  EXPECT_EQ(prof["counts"]["followers"], 1);
  EXPECT_EQ(prof["counts"]["uweets"], 1);
  EXPECT_EQ(prof["viewer_follows"], true);
  EXPECT_EQ(w.ok("GET", "/api/v1/users/bob/followers")["items"][0]["username"], "alice");
  EXPECT_EQ(w.ok("GET", "/api/v1/users/alice/following")["items"][0]["username"], "bob");
  EXPECT_EQ(w.ok("GET", "/api/v1/users/bob/uweets")["items"][0]["id"], id);
  EXPECT_EQ(w.ok("GET", "/api/v1/timelines/public")["items"][0]["id"], id);
  auto found = w.ok("GET", "/api/v1/search?q=coffee");
  ASSERT_EQ(found["items"].size(), 1u);
  EXPECT_EQ(found["items"][0]["id"], id);
  EXPECT_TRUE(w.ok("GET", "/api/v1/search?q=tea")["items"].empty());
  EXPECT_EQ(w.ok("DELETE", "/api/v1/users/bob/follow", nullptr, ta)["changed"], true);
  EXPECT_TRUE(w.ok("GET", "/api/v1/timelines/home", nullptr, ta)["items"].empty());
  w.ok("DELETE", "/api/v1/sessions", nullptr, ta);
  expect_error(w.call("GET", "/api/v1/timelines/home", nullptr, ta), 401, "bad_token", "logged-out token");
  // Still fine for bob.
  EXPECT_EQ(w.ok("GET", "/api/v1/timelines/home", nullptr, tb)["items"].size(), 1u);
}

TEST_P(Api, BadRequestsGetTheirStatusAndCodeAndChangeNothing) {
  Web w;
  w.user("alice");
  w.user("bob");
  std::string t = w.login("alice");
  w.ok("POST", "/api/v1/uweets", {{"text", "the only uweet"}}, t, 201);
  const int64_t users = count_rows(w.db(), "users"), uweets = count_rows(w.db(), "uweets"),
                follows = count_rows(w.db(), "follows");
  ASSERT_EQ(users, 2);
  const std::string json_ct = "Content-Type: application/json", auth = "Authorization: Bearer " + t;
  struct Case {
    std::string what, method, path, body;
    std::vector<std::string> headers;
    long status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"bad JSON", "POST", "/api/v1/accounts", "{\"username\": ", {json_ct}, 400, "bad_json"},
      {"JSON not an object", "POST", "/api/v1/accounts", "[1,2]", {json_ct}, 400, "bad_json"},
      {"missing password",
       "POST",
       "/api/v1/accounts",
       R"({"username":"carol"})",
       {json_ct},
       400,
       "missing_field"},
      {"username not a string",
       "POST",
       "/api/v1/accounts",
       R"({"username":5,"password":"password123"})",
       {json_ct},
       400,
       "missing_field"},
      {"invalid UTF-8",
       "POST",
       "/api/v1/accounts",
       "{\"username\":\"car\xff\",\"password\":\"password123\"}",
       {json_ct},
       400,
       "invalid_utf8"},
      {"not JSON content type",
       "POST",
       "/api/v1/accounts",
       R"({"username":"carol","password":"password123"})",
       {"Content-Type: text/plain"},
       415,
       "unsupported_media_type"},
      {"invalid username",
       "POST",
       "/api/v1/accounts",
       R"({"username":"car ol","password":"password123"})",
       {json_ct},
       422,
       "invalid_username"},
      {"weak password",
       "POST",
       "/api/v1/accounts",
       R"({"username":"carol","password":"short"})",
       {json_ct},
       422,
       "weak_password"},
      {"duplicate username",
       "POST",
       "/api/v1/accounts",
       R"({"username":"ALICE","password":"password123"})",
       {json_ct},
       409,
       "username_taken"},
      {"142-char uweet",
       "POST",
       "/api/v1/uweets",
       "{\"text\":\"" + std::string(142, 'x') + "\"}",
       {json_ct, auth},
       422,
       "uweet_too_long"},
      {"empty uweet", "POST", "/api/v1/uweets", R"({"text":"   "})", {json_ct, auth}, 422, "empty_uweet"},
      {"control character",
       "POST",
       "/api/v1/uweets",
       R"({"text":"a\u0007b"})",
       {json_ct, auth},
       422,
       "control_character"},
      {"post without token", "POST", "/api/v1/uweets", R"({"text":"hi"})", {json_ct}, 401, "unauthorized"},
      {"post with unknown token",
       "POST",
       "/api/v1/uweets",
       R"({"text":"hi"})",
       {json_ct, "Authorization: Bearer not-a-token"},
       401,
       "bad_token"},
      {"bad idempotency key",
       "POST",
       "/api/v1/uweets",
       R"({"text":"hi"})",
       {json_ct, auth, "Idempotency-Key: " + std::string(200, 'k')},
       400,
       "bad_idempotency_key"},
      {"self follow", "PUT", "/api/v1/users/alice/follow", "", {auth}, 422, "self_follow"},
      {"follow unknown user", "PUT", "/api/v1/users/nobody/follow", "", {auth}, 404, "no_such_user"},
      {"follow without token", "PUT", "/api/v1/users/bob/follow", "", {}, 401, "unauthorized"},
      {"unknown user", "GET", "/api/v1/users/nobody", "", {}, 404, "no_such_user"},
      {"unknown user's uweets", "GET", "/api/v1/users/nobody/uweets", "", {}, 404, "no_such_user"},
      {"unknown uweet", "GET", "/api/v1/uweets/999999", "", {}, 404, "no_such_uweet"},
      {"non-numeric uweet id", "GET", "/api/v1/uweets/abc", "", {}, 400, "bad_param"},
      {"limit above 100", "GET", "/api/v1/timelines/public?limit=101", "", {}, 400, "bad_param"},
      {"search query over 256 bytes",
       "GET",
       "/api/v1/search?q=" + std::string(257, 'q'),
       "",
       {},
       400,
       "bad_query"},
      {"zero-width space uweet",
       "POST",
       "/api/v1/uweets",
       R"({"text":"​﻿"})",
       {json_ct, auth},
       422,
       "empty_uweet"},
      {"home without token", "GET", "/api/v1/timelines/home", "", {}, 401, "unauthorized"},
      {"bad before", "GET", "/api/v1/timelines/public?before=-3", "", {}, 400, "bad_param"},
      {"bad limit", "GET", "/api/v1/timelines/public?limit=ten", "", {}, 400, "bad_param"},
      {"search without q", "GET", "/api/v1/search", "", {}, 400, "missing_query"},
      {"unknown route", "GET", "/api/v1/nothing", "", {}, 404, "not_found"},
      {"wrong method", "GET", "/api/v1/accounts", "", {}, 405, "method_not_allowed"},
      {"wrong method on follow", "POST", "/api/v1/users/bob/follow", "", {auth}, 405, "method_not_allowed"},
      {"ticket when notifications are off",
       "GET",
       "/api/v1/notifications/ticket",
       "",
       {auth},
       503,
       "notifications_off"},
  };
  for (const auto& c : cases) {
    auto r = w.http->request(c.method, c.path, c.body, c.headers);
    expect_error(r, c.status, c.code, c.what);
    EXPECT_EQ(r.header("content-type").rfind("application/json", 0), 0u) << c.what;
  }
  EXPECT_EQ(w.call("GET", "/api/v1/accounts").header("allow"), "POST");
  EXPECT_EQ(count_rows(w.db(), "users"), users);
  EXPECT_EQ(count_rows(w.db(), "uweets"), uweets);
  EXPECT_EQ(count_rows(w.db(), "follows"), follows);
}

TEST_P(Api, WrongPasswordAndUnknownUserLookTheSameThenThrottleWithRetryAfter) {
  Web w;
  w.user("alice");
  auto wrong = w.call("POST", "/api/v1/sessions", {{"username", "alice"}, {"password", "wrong-password"}});
  auto unknown = w.call("POST", "/api/v1/sessions", {{"username", "nobody"}, {"password", "wrong-password"}});
  expect_error(wrong, 401, "bad_credentials", "wrong password");
  expect_error(unknown, 401, "bad_credentials", "unknown user");
  EXPECT_EQ(wrong.json()["error"]["message"], unknown.json()["error"]["message"]);
  // Default: 5 failures per account in the window, then 429.
  for (int i = 0; i < 4; ++i)
    expect_error(w.call("POST", "/api/v1/sessions", {{"username", "alice"}, {"password", "wrong-password"}}),
                 401, "bad_credentials", "failure " + std::to_string(i));
  auto limited = w.call("POST", "/api/v1/sessions", {{"username", "alice"}, {"password", "password123"}});
  expect_error(limited, 429, "too_many_attempts", "throttled");
  ASSERT_FALSE(limited.header("retry-after").empty());
  EXPECT_GT(std::stoi(limited.header("retry-after")), 0);
  EXPECT_GT(limited.json()["error"]["retry_after_s"].get<int>(), 0);
  EXPECT_NE(limited.json()["error"]["message"].get<std::string>().find("seconds"), std::string::npos);
  EXPECT_EQ(count_rows(w.db(), "sessions"), 0);
}

TEST_P(Api, SqlMetacharactersAreStoredVerbatim) {
  Web w;
  const std::string pw = "pw'); DROP TABLE users; --\"";
  w.user("robert_", pw);
  std::string t = w.login("robert_", pw);
  ASSERT_FALSE(t.empty());
  const std::vector<std::string> texts = {"Robert'); DROP TABLE uweets;--", "\" OR 1=1 --", "%_\\ LIKE '%",
                                          "a;b' \"c\"", "NEAR(a b) AND \"x\" OR y*"};
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string& text = texts[i];
    auto r = w.http->request("POST", "/api/v1/uweets", json{{"text", text}}.dump(),
                             {"Content-Type: application/json", "Authorization: Bearer " + t,
                              "Idempotency-Key: k'--;\"" + std::to_string(i)});
    ASSERT_EQ(r.status, 201) << r.body;
    auto id = r.json()["id"].get<int64_t>();
    EXPECT_EQ(w.ok("GET", "/api/v1/uweets/" + std::to_string(id))["text"], text);
  }
  // Search treats the query as words, never as SQL or FTS syntax.
  for (const auto& q : texts) {
    auto r = w.call("GET", "/api/v1/search?q=" + pct(q));
    EXPECT_EQ(r.status, 200) << q << ": " << r.body;
  }
  auto hit = w.ok("GET", "/api/v1/search?q=" + pct("DROP TABLE"));
  ASSERT_EQ(hit["items"].size(), 1u);
  EXPECT_EQ(hit["items"][0]["text"], texts[0]);
  EXPECT_EQ(count_rows(w.db(), "uweets"), static_cast<int64_t>(texts.size()));
  EXPECT_EQ(count_rows(w.db(), "users"), 1);
}

TEST_P(Api, IdempotencyKeyRepeatAnswersTheFirstUweet) {
  Web w;
  w.user("alice");
  std::string t = w.login("alice");
  auto post = [&](const std::string& text, const std::string& key) {
    return w.http->request(
        "POST", "/api/v1/uweets", json{{"text", text}}.dump(),
        {"Content-Type: application/json", "Authorization: Bearer " + t, "Idempotency-Key: " + key});
  };
  auto a = post("first", "key-1");
  auto b = post("first", "key-1");
  auto c = post("second", "key-2");
  ASSERT_EQ(a.status, 201);
  ASSERT_TRUE(b.status == 200 || b.status == 201) << b.body;
  EXPECT_EQ(a.json()["id"], b.json()["id"]);
  EXPECT_NE(a.json()["id"], c.json()["id"]);
  EXPECT_EQ(count_rows(w.db(), "uweets"), 2);
  EXPECT_EQ(w.ok("GET", "/api/v1/users/alice")["counts"]["uweets"], 2);
}

TEST_P(Api, DeleteOwnUweetIsGoneEverywhereAndItsKeyStaysUsed) {
  Web w;
  w.user("alice");
  w.user("bob");
  std::string a = w.login("alice"), b = w.login("bob");
  w.ok("PUT", "/api/v1/users/alice/follow", nullptr, b);
  auto post = [&](const std::string& text, const std::string& key) {
    return w.http->request(
        "POST", "/api/v1/uweets", json{{"text", text}}.dump(),
        {"Content-Type: application/json", "Authorization: Bearer " + a, "Idempotency-Key: " + key});
  };
  auto keep = post("coffee stays", "k1");
  auto gone = post("coffee goes", "k2");
  ASSERT_EQ(gone.status, 201);
  const std::string path = "/api/v1/uweets/" + std::to_string(gone.json()["id"].get<int64_t>());

  expect_error(w.call("DELETE", path), 401, "unauthorized", "anonymous delete");
  expect_error(w.call("DELETE", path, nullptr, b), 403, "not_your_uweet", "someone else's uweet");
  expect_error(w.call("DELETE", "/api/v1/uweets/999999", nullptr, a), 404, "no_such_uweet", "unknown id");
  expect_error(w.call("DELETE", "/api/v1/uweets/x", nullptr, a), 400, "bad_param", "bad id");
  auto j = w.ok("DELETE", path, nullptr, a);
  EXPECT_EQ(j["deleted"], true);
  expect_error(w.call("DELETE", path, nullptr, a), 404, "no_such_uweet", "second delete");

  expect_error(w.call("GET", path), 404, "no_such_uweet", "get after delete");
  EXPECT_EQ(w.ok("GET", "/api/v1/users/alice")["counts"]["uweets"], 1);
  for (const auto& [list, token] :
       std::vector<std::pair<std::string, std::string>>{{"/api/v1/timelines/home", b},
                                                        {"/api/v1/timelines/public", ""},
                                                        {"/api/v1/users/alice/uweets", ""},
                                                        {"/api/v1/search?q=coffee", ""}}) {
    auto items = w.ok("GET", list, nullptr, token)["items"];
    ASSERT_EQ(items.size(), 1u) << list;
    EXPECT_EQ(items[0]["id"], keep.json()["id"]) << list;
  }
  auto again = post("coffee goes", "k2");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.json()["error"]["code"], "uweet_deleted");
  EXPECT_EQ(count_rows(w.db(), "uweets"), 1);
  EXPECT_EQ(count_rows(w.db(), "deleted_uweets"), 1);
}

TEST_P(Api, PatchMeSetsDisplayNameAndBioShownOnTheProfileAndBesideUweets) {
  Web w;
  w.user("alice");
  std::string t = w.login("alice");
  w.ok("POST", "/api/v1/uweets", {{"text", "hi"}}, t, 201);
  expect_error(w.call("PATCH", "/api/v1/me", {{"bio", "x"}}), 401, "unauthorized", "anonymous");
  expect_error(w.call("PATCH", "/api/v1/me", json::object(), t), 400, "missing_field", "no fields");
  expect_error(w.call("PATCH", "/api/v1/me", {{"bio", 5}}, t), 400, "bad_field", "a number");
  expect_error(w.call("PATCH", "/api/v1/me", {{"display_name", std::string(51, 'a')}}, t), 422,
               "display_name_too_long", "51 characters");
  expect_error(w.call("PATCH", "/api/v1/me", {{"bio", "\u200b\u200b"}}, t), 422, "blank_bio",
               "invisible only");
  auto j = w.ok("PATCH", "/api/v1/me", {{"display_name", "Alice <A>"}, {"bio", "Tea & cake"}}, t);
  EXPECT_EQ(j["display_name"], "Alice <A>");
  EXPECT_EQ(j["bio"], "Tea & cake");
  EXPECT_EQ(w.ok("GET", "/api/v1/me", nullptr, t)["bio"], "Tea & cake");
  auto p = w.ok("GET", "/api/v1/users/alice");
  EXPECT_EQ(p["display_name"], "Alice <A>");
  EXPECT_EQ(p["bio"], "Tea & cake");
  EXPECT_EQ(w.ok("GET", "/api/v1/timelines/public")["items"][0]["author_display_name"], "Alice <A>");
  auto allow = w.call("PUT", "/api/v1/me", {{"bio", "x"}}, t);
  EXPECT_EQ(allow.status, 405);
  EXPECT_NE(allow.header("allow").find("PATCH"), std::string::npos) << allow.header("allow");
}

TEST_P(Api, ChangePasswordNeedsTheCurrentPasswordAndLogsOutEveryOtherToken) {
  Web w;
  w.user("alice");
  std::string t1 = w.login("alice"), t2 = w.login("alice");
  expect_error(w.call("POST", "/api/v1/me/password", {{"new_password", "a fresh password"}}, t1), 400,
               "missing_field", "the token alone");
  expect_error(w.call("POST", "/api/v1/me/password",
                      {{"current_password", "wrong one!"}, {"new_password", "a fresh password"}}, t1),
               401, "wrong_password", "wrong current password");
  expect_error(w.call("POST", "/api/v1/me/password",
                      {{"current_password", "password123"}, {"new_password", "short"}}, t1),
               422, "weak_password", "weak new password");
  w.ok("GET", "/api/v1/timelines/home", nullptr, t2);
  auto j = w.ok("POST", "/api/v1/me/password",
                {{"current_password", "password123"}, {"new_password", "a fresh password"}}, t1);
  EXPECT_EQ(j["changed"], true);
  w.ok("GET", "/api/v1/timelines/home", nullptr, t1);
  expect_error(w.call("GET", "/api/v1/timelines/home", nullptr, t2), 401, "bad_token", "the other token");
  expect_error(w.call("POST", "/api/v1/sessions", {{"username", "alice"}, {"password", "password123"}}), 401,
               "bad_credentials", "old password");
  EXPECT_FALSE(w.login("alice", "a fresh password").empty());
}

TEST_P(Api, DeleteMeNeedsThePasswordAndTakesTheAccountWithItsTokens) {
  Web w;
  w.user("alice");
  w.user("bob");
  std::string a1 = w.login("alice"), a2 = w.login("alice"), b = w.login("bob");
  w.ok("PUT", "/api/v1/users/alice/follow", nullptr, b);
  w.ok("PUT", "/api/v1/users/bob/follow", nullptr, a1);
  w.ok("POST", "/api/v1/uweets", {{"text", "alice was here"}}, a1, 201);
  w.ok("POST", "/api/v1/uweets", {{"text", "bob stays, hi @alice"}}, b, 201);
  ASSERT_EQ(w.ok("GET", "/api/v1/timelines/home", nullptr, b)["items"].size(), 2u);

  expect_error(w.call("DELETE", "/api/v1/me"), 401, "unauthorized", "anonymous");
  expect_error(w.call("DELETE", "/api/v1/me", json::object(), a1), 400, "missing_field", "the token alone");
  expect_error(w.call("DELETE", "/api/v1/me", {{"password", "not it at all"}}, a1), 401, "wrong_password",
               "wrong password");
  w.ok("GET", "/api/v1/me", nullptr, a2);  // nothing happened
  auto j = w.ok("DELETE", "/api/v1/me", {{"password", "password123"}}, a1);
  EXPECT_EQ(j["deleted"], true);

  for (const auto& t : {a1, a2})
    expect_error(w.call("GET", "/api/v1/me", nullptr, t), 401, "bad_token", "a token of the deleted account");
  expect_error(w.call("GET", "/api/v1/users/alice"), 404, "no_such_user", "the profile");
  auto home = w.ok("GET", "/api/v1/timelines/home", nullptr, b)["items"];
  ASSERT_EQ(home.size(), 1u);
  EXPECT_EQ(home[0]["author"], "bob");
  EXPECT_EQ(w.ok("GET", "/api/v1/timelines/public")["items"].size(), 1u);
  EXPECT_EQ(w.ok("GET", "/api/v1/search?q=here")["items"].size(), 0u);  // "alice was here"
  auto bob = w.ok("GET", "/api/v1/users/bob");
  EXPECT_EQ(bob["counts"]["followers"], 0);
  EXPECT_EQ(bob["counts"]["following"], 0);
  auto again = w.call("POST", "/api/v1/accounts", {{"username", "Alice"}, {"password", "password123"}});
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.json()["error"]["code"], "username_reserved");
  EXPECT_NE(again.json()["error"]["message"].get<std::string>().find("registered again after"),
            std::string::npos);
  EXPECT_EQ(count_rows(w.db(), "users"), 1);
  EXPECT_EQ(count_rows(w.db(), "follows"), 0);
  EXPECT_EQ(count_rows(w.db(), "mentions"), 0);
  EXPECT_EQ(count_rows(w.db(), "sessions"), 1);
  EXPECT_EQ(count_rows(w.db(), "deleted_users"), 1);
}

TEST_P(Api, PaginationWalksEveryItemOnceNewestFirst) {
  Web w;
  w.user("alice");
  std::string t = w.login("alice");
  const int n = 45;
  for (int i = 0; i < n; ++i) w.ok("POST", "/api/v1/uweets", {{"text", "n" + std::to_string(i)}}, t, 201);
  for (const std::string base : {"/api/v1/users/alice/uweets", "/api/v1/timelines/public",
                                 "/api/v1/timelines/home", "/api/v1/search?q=alice_never_matches"}) {
    std::vector<int64_t> ids;
    std::string url = base;
    for (int pages = 0; pages < 20; ++pages) {
      std::string sep = url.find('?') == std::string::npos ? "?" : "&";
      auto j = w.ok("GET", url + sep + "limit=10", nullptr, t);
      for (auto& it : j["items"]) ids.push_back(it["id"].get<int64_t>());
      if (j["next"].is_null()) break;
      url = base + (base.find('?') == std::string::npos ? "?" : "&") +
            "before=" + std::to_string(j["next"].get<int64_t>());
    }
    if (base.find("search") != std::string::npos) {
      EXPECT_TRUE(ids.empty());
      continue;
    }
    ASSERT_EQ(ids.size(), static_cast<size_t>(n)) << base;
    for (size_t i = 1; i < ids.size(); ++i) EXPECT_GT(ids[i - 1], ids[i]) << base;
  }
  // limit goes up to 100 (above is a 400, Edges.EveryOutOfRangeLimitIsRefusedTheSameWay);
  // a page of exactly all items has no next.
  auto all = w.ok("GET", "/api/v1/timelines/public?limit=100");
  EXPECT_EQ(all["items"].size(), static_cast<size_t>(n));
  EXPECT_TRUE(all["next"].is_null());
  // Follower lists page by follow id.
  for (int i = 0; i < 5; ++i) {
    std::string name = "fan" + std::to_string(i);
    w.user(name);
    w.ok("PUT", "/api/v1/users/alice/follow", nullptr, w.login(name));
  }
  std::set<std::string> fans;
  std::string url = "/api/v1/users/alice/followers?limit=2";
  for (int pages = 0; pages < 10; ++pages) {
    auto j = w.ok("GET", url);
    for (auto& it : j["items"]) fans.insert(it["username"].get<std::string>());
    if (j["next"].is_null()) break;
    url = "/api/v1/users/alice/followers?limit=2&before=" + std::to_string(j["next"].get<int64_t>());
  }
  EXPECT_EQ(fans.size(), 5u);
}

TEST_P(Api, MetricsHealthzAndSecurityHeaders) {
  Web w;
  auto h = w.http->get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok");
  w.user("alice");
  std::string t = w.login("alice");
  w.ok("POST", "/api/v1/uweets", {{"text", "counted"}}, t, 201);
  w.call("GET", "/api/v1/users/nobody");
  auto m = w.http->get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("uwitter_uweets_created_total 1"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("http_requests_total{route=\"/api/v1/uweets\",status=\"201\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("http_requests_total{route=\"/api/v1/users/:name\",status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(m.body.find("http_request_duration_seconds_bucket{route=\"/api/v1/accounts\""),
            std::string::npos);
  EXPECT_NE(m.body.find("uwitter_writer_batch_size"), std::string::npos);
  EXPECT_NE(m.body.find("http_active_connections"), std::string::npos);
  // The search for the uweet just posted waits until it is indexed; after that
  // the indexer reports no lag.
  auto found = w.ok("GET", "/api/v1/search?q=counted", nullptr, t, 200);
  EXPECT_EQ(found["items"].size(), 1u);
  m = w.http->get("/metrics");
  // PostgreSQL indexes in the insert's own transaction: no indexer, no indexer metrics.
  if (!on_postgres()) {
    EXPECT_NE(m.body.find("uwitter_search_indexed_total 1"), std::string::npos) << m.body;
  }
  const auto lag_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!on_postgres() && m.body.find("uwitter_search_index_lag_uweets 0") == std::string::npos &&
         std::chrono::steady_clock::now() < lag_deadline) {
    m = w.http->get("/metrics");  // the gauge follows the indexer's last pass
  }
  if (!on_postgres()) {
    EXPECT_NE(m.body.find("uwitter_search_index_lag_uweets 0"), std::string::npos) << m.body;
  }
  for (const std::string path : {"/healthz", "/api/v1/nothing", "/", "/no/such/page"}) {
    auto r = w.http->get(path);
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << path;
    EXPECT_EQ(r.header("x-frame-options"), "DENY") << path;
    EXPECT_EQ(r.header("referrer-policy"), "same-origin") << path;
    EXPECT_NE(r.header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos) << path;
  }
  // The access log (flushed every 200 ms) names method, path and status.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string log;
  while ((log = w.proc->stderr_text()).find("POST /api/v1/uweets 201") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling with a deadline
  EXPECT_NE(log.find("POST /api/v1/uweets 201"), std::string::npos) << log;
}

TEST_P(Api, OversizedBodyIs413) {
  Web w({"--max-body-bytes", "1024"});
  auto r =
      w.http->request("POST", "/api/v1/accounts", std::string(4096, 'x'), {"Content-Type: application/json"});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(count_rows(w.db(), "users"), 0);
}

TEST_P(Api, TicketNamesTheNotifierAndCspAllowsIt) {
  Web w({"--notifier-url", "http://127.0.0.1:7701"});
  w.user("alice");
  std::string t = w.login("alice");
  auto j = w.ok("GET", "/api/v1/notifications/ticket", nullptr, t);
  ASSERT_TRUE(j["ticket"].is_string());
  EXPECT_EQ(j["url"], "http://127.0.0.1:7701/events?ticket=" + j["ticket"].get<std::string>());
  auto r = w.http->get("/healthz");
  EXPECT_NE(r.header("content-security-policy").find("connect-src 'self' http://127.0.0.1:7701"),
            std::string::npos);
  expect_error(w.call("GET", "/api/v1/notifications/ticket"), 401, "unauthorized", "ticket without token");
}

TEST_P(Api, TicketWithSeveralNotifiersNamesTheUsersOwnAndTheFallbackOrder) {
  // A comma list and a repeat both add (docs/WEB.md); a trailing '/' is dropped.
  const std::vector<std::string> urls{"http://127.0.0.1:7701", "http://127.0.0.1:7711",
                                      "http://127.0.0.1:7721"};
  Web w({"--notifier-url", urls[0] + "/," + urls[1], "--notifier-url", urls[2]});
  std::set<std::string> chosen;
  for (const char* name : {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"}) {
    const int64_t id = w.user(name)["id"].get<int64_t>();
    const std::string t = w.login(name);
    auto j = w.ok("GET", "/api/v1/notifications/ticket", nullptr, t);
    const auto order = j["notifiers"].get<std::vector<std::string>>();
    EXPECT_EQ(order, web::notifier_order(urls, id)) << name;  // rendezvous over the list
    EXPECT_EQ(std::set<std::string>(order.begin(), order.end()),
              std::set<std::string>(urls.begin(), urls.end()));
    EXPECT_EQ(j["notifier"], order.front());
    EXPECT_EQ(j["url"], order.front() + "/events?ticket=" + j["ticket"].get<std::string>());
    // Stable: the same user gets the same order every time.
    EXPECT_EQ(w.ok("GET", "/api/v1/notifications/ticket", nullptr, t)["notifiers"], j["notifiers"]);
    chosen.insert(order.front());
  }
  EXPECT_GE(chosen.size(), 2u) << "eight users all on one of three notifiers";
  // Every notifier's origin may be connected to.
  const std::string csp = w.http->get("/healthz").header("content-security-policy");
  EXPECT_NE(csp.find("connect-src 'self' http://127.0.0.1:7701 http://127.0.0.1:7711 http://127.0.0.1:7721;"),
            std::string::npos)
      << csp;
}

TEST_P(Api, ExpiredSessionIsRefusedLikeALoggedOutOne) {
  Web w({"--session-ttl", "1"});
  w.user("alice");
  std::string t = w.login("alice");
  // Expiry is whole seconds: poll (with a deadline) until the token is refused.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  HttpResponse r;
  do {
    r = w.call("GET", "/api/v1/timelines/home", nullptr, t);
    if (r.status == 401) break;
    ASSERT_EQ(r.status, 200) << r.body;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  } while (std::chrono::steady_clock::now() < deadline);
  expect_error(r, 401, "bad_token", "expired session");
  expect_error(w.call("POST", "/api/v1/uweets", {{"text", "too late"}}, t), 401, "bad_token",
               "post with expired token");
  EXPECT_EQ(w.ok("GET", "/api/v1/timelines/public")["items"].size(), 0u);
}

TEST_P(Api, TicketRouteAcceptsTheSessionCookieForPageScripts) {
  Web w({"--notifier-url", "http://127.0.0.1:7701"});
  w.user("alice");
  std::string t = w.login("alice");
  auto with_cookie = w.http->get("/api/v1/notifications/ticket", {"Cookie: uw_csrf=x; uw_session=" + t});
  ASSERT_EQ(with_cookie.status, 200) << with_cookie.body;
  EXPECT_TRUE(with_cookie.json()["ticket"].is_string());
  auto forged = w.http->get("/api/v1/notifications/ticket", {"Cookie: uw_session=not-a-real-token"});
  EXPECT_EQ(forged.status, 401) << forged.body;
  // Only the read-only ticket route takes the cookie: the rest of the API wants a bearer token.
  auto home = w.http->get("/api/v1/timelines/home", {"Cookie: uw_session=" + t});
  EXPECT_EQ(home.status, 401) << home.body;
}

TEST_P(Api, SigtermExitsZeroAndAcknowledgedPostsSurviveARestart) {
  Web w;
  w.user("alice");
  std::string t = w.login("alice");
  auto u = w.ok("POST", "/api/v1/uweets", {{"text", "durable"}}, t, 201);
  EXPECT_EQ(w.proc->terminate(), 0) << w.proc->stderr_text();
  w.start({});
  EXPECT_EQ(w.ok("GET", "/api/v1/uweets/" + std::to_string(u["id"].get<int64_t>()))["text"], "durable");
  // The session outlives the restart too.
  EXPECT_EQ(w.ok("GET", "/api/v1/timelines/home", nullptr, t)["items"].size(), 1u);
}

TEST_P(Api, DemoFillsAnEmptyDatabase) {
  Web w({"--demo"});
  auto pub = w.ok("GET", "/api/v1/timelines/public?limit=100");
  EXPECT_EQ(pub["items"].size(), 20u);
  EXPECT_FALSE(w.login("alice").empty());
  EXPECT_EQ(w.ok("GET", "/api/v1/users/alice")["counts"]["following"], 2);
}

// The stored notification history (slice 6 of issue 15): written by the web
// app with the follow and the post, read back in one keyset list, marked read,
// and still there after a restart.
TEST_P(Api, NotificationHistoryIsStoredPaginatedMarkedReadAndSurvivesARestart) {
  Web w;
  w.user("amy");
  w.user("bob");
  w.user("cid");
  const std::string ta = w.login("amy"), tb = w.login("bob"), tc = w.login("cid");
  w.ok("PUT", "/api/v1/users/bob/follow", nullptr, ta);
  w.ok("PUT", "/api/v1/users/amy/follow", nullptr, tc);
  const int64_t b1 = w.ok("POST", "/api/v1/uweets", {{"text", "tea time"}}, tb, 201)["id"].get<int64_t>();
  const int64_t b2 = w.ok("POST", "/api/v1/uweets", {{"text", "@amy tea?"}}, tb, 201)["id"].get<int64_t>();
  const int64_t c1 = w.ok("POST", "/api/v1/uweets", {{"text", "hi @amy"}}, tc, 201)["id"].get<int64_t>();

  auto all = w.ok("GET", "/api/v1/notifications", nullptr, ta);
  ASSERT_EQ(all["items"].size(), 4u) << all.dump();
  EXPECT_EQ(all["unread"], 4);
  EXPECT_EQ(all["read_upto"], "0.0");
  EXPECT_TRUE(all["next"].is_null());
  const std::vector<std::string> kinds{"mention", "mention", "uweet", "follow"};
  const std::vector<std::string> actors{"cid", "bob", "bob", "cid"};
  for (size_t i = 0; i < kinds.size(); ++i) {
    EXPECT_EQ(all["items"][i]["kind"], kinds[i]) << i;
    EXPECT_EQ(all["items"][i]["actor"], actors[i]) << i;
    EXPECT_EQ(all["items"][i]["unread"], true) << i;
  }
  EXPECT_EQ(all["items"][0]["uweet"]["id"], c1);
  EXPECT_EQ(all["items"][1]["uweet"]["id"], b2);  // followee and mention: once, as a mention
  EXPECT_EQ(all["items"][2]["uweet"]["id"], b1);
  EXPECT_TRUE(all["items"][3]["uweet"].is_null());
  EXPECT_EQ(w.call("GET", "/api/v1/notifications", nullptr, ta).header("cache-control"), "no-store");

  // Two at a time: the same list, nothing twice.
  auto p1 = w.ok("GET", "/api/v1/notifications?limit=2", nullptr, ta);
  ASSERT_EQ(p1["items"].size(), 2u);
  ASSERT_TRUE(p1["next"].is_string());
  auto p2 = w.ok("GET", "/api/v1/notifications?limit=2&before=" + p1["next"].get<std::string>(), nullptr, ta);
  ASSERT_EQ(p2["items"].size(), 2u);
  EXPECT_EQ(p2["items"][0]["key"], all["items"][2]["key"]);
  EXPECT_EQ(p2["items"][1]["key"], all["items"][3]["key"]);
  EXPECT_TRUE(p2["next"].is_null());

  // Read up to bob's mention: cid's newer one stays unread.
  auto m = w.ok("POST", "/api/v1/notifications/read", {{"up_to", all["items"][1]["key"]}}, ta);
  EXPECT_EQ(m["read_upto"], all["items"][1]["key"]);
  auto after = w.ok("GET", "/api/v1/notifications", nullptr, ta);
  EXPECT_EQ(after["unread"], 1);
  EXPECT_EQ(after["items"][0]["unread"], true);
  EXPECT_EQ(after["items"][1]["unread"], false);

  // A deleted uweet's notification goes with it.
  w.ok("DELETE", "/api/v1/uweets/" + std::to_string(c1), nullptr, tc);
  EXPECT_EQ(w.ok("GET", "/api/v1/notifications", nullptr, ta)["items"].size(), 3u);

  // It is in the database: a restart keeps the history and the marker.
  EXPECT_EQ(w.proc->terminate(), 0) << w.proc->stderr_text();
  w.start({});
  auto again = w.ok("GET", "/api/v1/notifications", nullptr, ta);
  EXPECT_EQ(again["items"].size(), 3u);
  EXPECT_EQ(again["read_upto"], all["items"][1]["key"]);
  EXPECT_EQ(again["unread"], 0);
  EXPECT_EQ(w.ok("GET", "/api/v1/notifications", nullptr, tb)["items"][0]["kind"], "follow");
}

TEST_P(Api, NotificationRoutesRefuseBadInput) {
  Web w;
  w.user("amy");
  const std::string t = w.login("amy");
  expect_error(w.call("GET", "/api/v1/notifications"), 401, "unauthorized", "list without token");
  expect_error(w.call("POST", "/api/v1/notifications/read", {{"up_to", "1.0"}}), 401, "unauthorized",
               "read without token");
  for (const char* bad : {"abc", "1", "-1.0", "1.2.3", "99999999999999999999.0"}) {
    expect_error(w.call("GET", std::string("/api/v1/notifications?before=") + bad, nullptr, t), 400,
                 "bad_param", bad);
    expect_error(w.call("POST", "/api/v1/notifications/read", {{"up_to", bad}}, t), 400, "bad_param", bad);
  }
  for (const char* bad : {"0", "101", "x"})
    expect_error(w.call("GET", std::string("/api/v1/notifications?limit=") + bad, nullptr, t), 400,
                 "bad_param", bad);
  expect_error(w.call("POST", "/api/v1/notifications/read", {{"up_to", 5}}, t), 400, "missing_field",
               "number");
  expect_error(w.call("POST", "/api/v1/notifications/read", json::object(), t), 400, "missing_field", "none");
}

INSTANTIATE_TEST_SUITE_P(Backends, Api, web_backends(), backend_name);

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
