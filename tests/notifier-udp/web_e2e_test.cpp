// End to end with both real daemons on loopback: uwitter-web commits and emits
// signed datagrams; uwitter-notifier verifies, fans out and streams over SSE.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sign/keys.hpp"
#include "tests/notifier-udp/notifier_harness.hpp"
#include "tests/pg_environment.hpp"

#if defined(UWITTER_NOTIFIER_BIN) && defined(UWITTER_WEB_BIN)

namespace uw::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class Stack {
 public:
  // db: "" for the SQLite file under the web app's --data, else a --db target
  // both daemons get (a PostgreSQL URI).
  explicit Stack(std::string db_target = "") : db(std::move(db_target)) {
    data = dir.file("data");
    log_file = dir.file("notifier.log");
    start_notifier(0, 0);
    start_web();
    // The web app wrote its key pair on first start; the notifier picks it up
    // (it watches its --trust file) before anything is posted.
    EXPECT_TRUE(eventually([&] { return notifier_metric("uwitter_notifier_trusted_keys") == 1; }, 15s));
  }

  void start_notifier(uint16_t udp, uint16_t http) {
    notifier = std::make_unique<ChildProcess>();
    ASSERT_TRUE(
        notifier->start({UWITTER_NOTIFIER_BIN, "--listen-udp", "127.0.0.1:" + std::to_string(udp),
                         "--listen-http", "127.0.0.1:" + std::to_string(http), "--db",
                         db.empty() ? data + "/uwitter.db" : db, "--trust", data + "/keys/uwitter.pub",
                         "--log-file", log_file, "--log-level", "debug", "--allow", "127.0.0.0/8"},
                        dir.file("notifier.stderr")));
    ASSERT_TRUE(notifier->wait_listening(2)) << notifier->stderr_text();
    udp_port = notifier->port("udp");
    http_port = notifier->port("http");
    nclient = std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(http_port));
  }
  void start_web() {
    web = std::make_unique<ChildProcess>();
    std::vector<std::string> argv = {UWITTER_WEB_BIN,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--data",
                                     data,
                                     "--notify",
                                     "127.0.0.1:" + std::to_string(udp_port),
                                     "--udp-copies",
                                     "2",
                                     "--notifier-url",
                                     "http://127.0.0.1:" + std::to_string(http_port)};
    if (!db.empty()) argv.insert(argv.end(), {"--db", db});
    ASSERT_TRUE(web->start(argv, dir.file("web.stderr")));
    ASSERT_TRUE(web->wait_listening(1)) << web->stderr_text();
    wclient = std::make_unique<HttpClient>("http://127.0.0.1:" + std::to_string(web->port("http")));
  }
  double notifier_metric(const std::string& s) { return metric(nclient->get("/metrics").body, s); }

  std::string signup(const std::string& name) {
    auto r = wclient->json("POST", "/api/v1/accounts", {{"username", name}, {"password", "correct horse"}});
    EXPECT_EQ(r.status, 201) << r.body;
    return login(name);
  }
  std::string login(const std::string& name) {
    auto r = wclient->json("POST", "/api/v1/sessions", {{"username", name}, {"password", "correct horse"}});
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.body;
    return r.json().value("token", "");
  }
  void follow(const std::string& token, const std::string& who) {
    auto r =
        wclient->request("PUT", "/api/v1/users/" + who + "/follow", "", {"Authorization: Bearer " + token});
    EXPECT_TRUE(r.status == 200 || r.status == 204 || r.status == 201) << r.status << " " << r.body;
  }
  int64_t post(const std::string& token, const std::string& text) {
    auto r = wclient->json("POST", "/api/v1/uweets", {{"text", text}}, token);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().value("id", int64_t{0}) : 0;
  }
  // Opens the user's stream at the URL the web app hands out.
  std::unique_ptr<SseStream> stream(const std::string& token) {
    auto r = wclient->get("/api/v1/notifications/ticket", {"Authorization: Bearer " + token});
    EXPECT_EQ(r.status, 200) << r.body;
    std::string url = r.json()["url"];
    std::string prefix = "http://127.0.0.1:" + std::to_string(http_port);
    EXPECT_EQ(url.rfind(prefix + "/events?ticket=", 0), 0u) << url;
    auto c = std::make_unique<SseStream>(http_port, url.substr(prefix.size()));
    EXPECT_EQ(c->wait_status(), 200) << c->head();
    EXPECT_TRUE(eventually([&] { return c->raw().find(": connected") != std::string::npos; }));
    return c;
  }
  // The log file, once the notifier has written every line it logged before
  // this call (its log is written off the loop: the pending gauge reaches 0).
  std::string log_text() {
    eventually([&] { return notifier_metric("uwitter_notifier_log_pending_bytes") == 0; },
               std::chrono::seconds(5));
    return kit::read_file(log_file);
  }

  TempDir dir;
  std::string db;
  std::string data, log_file;
  std::unique_ptr<ChildProcess> notifier, web;
  std::unique_ptr<HttpClient> nclient, wclient;
  uint16_t udp_port = 0, http_port = 0;
};

bool has_text(const SseEvent& e, const std::string& kind, const std::string& needle) {
  return e.event == kind && e.data.find(needle) != std::string::npos;
}

void follower_gets_the_post_and_follow_and_mention_notifications(Stack& s) {
  auto alice = s.signup("alice"), bob = s.signup("bob"), carol = s.signup("carol");
  s.follow(bob, "alice");
  auto bob_stream = s.stream(bob);
  auto carol_stream = s.stream(carol);

  int64_t id = s.post(alice, "first light");
  SseEvent e;
  ASSERT_TRUE(bob_stream->wait_event([](const SseEvent& ev) { return has_text(ev, "uweet", "first light"); },
                                     10s, &e))
      << bob_stream->raw() << "\n"
      << s.log_text();
  auto j = json::parse(e.data);
  EXPECT_EQ(j["author"], "alice");
  EXPECT_EQ(j["uweet_id"], id);

  s.follow(carol, "bob");
  ASSERT_TRUE(bob_stream->wait_event([](const SseEvent& ev) { return has_text(ev, "follow", "carol"); }, 10s))
      << bob_stream->raw();
  s.post(alice, "hello @bob, see this");
  ASSERT_TRUE(
      bob_stream->wait_event([](const SseEvent& ev) { return has_text(ev, "mention", "see this"); }, 10s))
      << bob_stream->raw();

  // carol follows nobody who posted: a marker notification for her arrives, and nothing else did.
  s.follow(alice, "carol");
  ASSERT_TRUE(
      carol_stream->wait_event([](const SseEvent& ev) { return has_text(ev, "follow", "alice"); }, 10s));
  for (const auto& ev : carol_stream->events()) EXPECT_EQ(ev.event, "follow") << ev.data;

  // --udp-copies 2: the extra copies were dropped as duplicates, not delivered twice.
  EXPECT_GE(s.notifier_metric("uwitter_notifier_duplicates_total"), 1);
  size_t uweets = 0, mentions = 0;
  for (const auto& ev : bob_stream->events()) {
    uweets += ev.event == "uweet";
    mentions += ev.event == "mention";
  }
  // "first light"; the uweet that mentions bob (who follows alice) is one
  // notification, the mention (issue 14: one per recipient per uweet).
  EXPECT_EQ(uweets, 1u);
  EXPECT_EQ(mentions, 1u);
  // The web app counts what it emitted.
  auto m = s.wclient->get("/metrics").body;
  EXPECT_GE(metric(m, "uwitter_emitter_datagrams_total"), 4) << m;
  // The notifications page's data source.
  auto t = s.wclient->get("/api/v1/notifications/ticket", {"Authorization: Bearer " + bob}).json()["ticket"];
  auto inbox = s.nclient->get("/inbox?ticket=" + t.get<std::string>()).json()["items"];
  ASSERT_GE(inbox.size(), 3u);
  EXPECT_EQ(inbox[0]["kind"], "mention");
}

TEST(WebToNotifier, FollowerGetsThePostAndFollowAndMentionNotifications) {
  Stack s;
  follower_gets_the_post_and_follow_and_mention_notifications(s);
}

// A delete goes where its uweet went: the follower's stream, and the stream
// of a mentioned user who does not follow the author.
TEST(WebToNotifier, DeletedUweetSendsADeleteToTheStreamsThatGotIt) {
  Stack s;
  auto alice = s.signup("alice"), bob = s.signup("bob"), carol = s.signup("carol");
  s.follow(bob, "alice");
  auto bob_stream = s.stream(bob);
  auto carol_stream = s.stream(carol);
  const int64_t id = s.post(alice, "taking this back @carol");
  ASSERT_TRUE(
      bob_stream->wait_event([](const SseEvent& ev) { return has_text(ev, "uweet", "taking this"); }, 10s))
      << bob_stream->raw();
  ASSERT_TRUE(carol_stream->wait_event(
      [](const SseEvent& ev) { return has_text(ev, "mention", "taking this"); }, 10s))
      << carol_stream->raw();
  auto del = s.wclient->request("DELETE", "/api/v1/uweets/" + std::to_string(id), "",
                                {"Authorization: Bearer " + alice});
  ASSERT_EQ(del.status, 200) << del.body;
  const std::string needle = "\"uweet_id\":" + std::to_string(id);
  for (auto* st : {bob_stream.get(), carol_stream.get()}) {
    SseEvent e;
    ASSERT_TRUE(st->wait_event([&](const SseEvent& ev) { return has_text(ev, "delete", needle); }, 10s, &e))
        << st->raw() << "\n"
        << s.log_text();
    auto j = json::parse(e.data);
    EXPECT_EQ(j["author"], "alice");
    EXPECT_FALSE(j.contains("text"));
  }
}

// The same with both daemons on PostgreSQL (--db postgresql://...). The URI
// carries a password (the test server trusts local connections, so it is
// not checked): it must not show in either daemon's output, log or /metrics.
TEST(WebToNotifierPostgres, FollowerGetsThePostAndFollowAndMentionNotifications) {
  kit::PgServer* pg = shared_pg();
  ASSERT_NE(pg, nullptr);
  const std::string plain = pg->create_database();
  ASSERT_FALSE(plain.empty()) << pg->error();
  const std::string secret = "pa55-w0rd-in-uri";
  std::string uri = plain;
  uri.replace(uri.find("postgres@"), 9, "postgres:" + secret + "@");
  Stack s(uri);
  follower_gets_the_post_and_follow_and_mention_notifications(s);
  auto page = s.wclient->get("/no-such-page");
  EXPECT_EQ(page.body.find(secret), std::string::npos);
  for (const std::string& text : {s.web->stderr_text(), s.notifier->stderr_text(), s.log_text(),
                                  s.wclient->get("/metrics").body, s.nclient->get("/metrics").body}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << text;
  }
  for (const auto& line : s.web->lines()) EXPECT_EQ(line.find(secret), std::string::npos) << line;
}

// A PostgreSQL server that cannot be reached: each daemon says so in one line
// (without the password) and exits non-zero.
TEST(WebToNotifierPostgres, UnreachableDatabaseAtStartIsOneLineAndAFailedExit) {
  TempDir dir;
  const std::string uri = "postgresql://uw:hidden-pw@127.0.0.1:1/uwitter?connect_timeout=2";
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", dir.file("d"), "--db",
                                 uri},
        std::vector<std::string>{UWITTER_NOTIFIER_BIN, "--listen-udp", "127.0.0.1:0", "--listen-http",
                                 "127.0.0.1:0", "--db", uri, "--trust", dir.file("none.pub")}}) {
    // The notifier needs a trust file to get as far as the database.
    { std::ofstream(dir.file("none.pub")) << "\n"; }
    auto r = kit::run(argv, std::chrono::seconds(30));
    EXPECT_NE(r.status, 0) << argv[0] << ": " << r.out << r.err;
    // One line says so (beside the daemon's ordinary log lines).
    size_t lines = 0;
    for (size_t p = r.err.find("cannot connect"); p != std::string::npos;
         p = r.err.find("cannot connect", p + 1))
      ++lines;
    EXPECT_EQ(lines, 1u) << r.err;
    EXPECT_NE(r.err.find("cannot connect to PostgreSQL at postgresql://uw:***@127.0.0.1:1/uwitter"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("hidden-pw"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("listening"), std::string::npos) << r.out;
  }
}

TEST(WebToNotifier, WebAppIsUnaffectedWhileTheNotifierIsDownAndItPicksUpTheSessionAfterRestart) {
  Stack s;
  auto alice = s.signup("alice"), bob = s.signup("bob");
  s.follow(bob, "alice");
  uint16_t udp = s.udp_port, http = s.http_port;
  ASSERT_EQ(s.notifier->signal(SIGKILL), 0);
  s.notifier->wait_exit(5s);
  // Everything in the web app keeps working, immediately, with nothing listening.
  for (int i = 0; i < 20; ++i) EXPECT_GT(s.post(alice, "while down " + std::to_string(i)), 0);
  auto tl = s.wclient->get("/api/v1/timelines/home", {"Authorization: Bearer " + bob});
  EXPECT_EQ(tl.status, 200);
  EXPECT_NE(tl.body.find("while down 19"), std::string::npos);
  auto ticket = s.wclient->get("/api/v1/notifications/ticket", {"Authorization: Bearer " + bob});
  EXPECT_EQ(ticket.status, 200);

  s.start_notifier(udp, http);
  ASSERT_TRUE(eventually([&] { return s.notifier_metric("uwitter_notifier_trusted_keys") == 1; }));
  auto bob_stream = s.stream(bob);
  s.post(alice, "back again");
  ASSERT_TRUE(
      bob_stream->wait_event([](const SseEvent& ev) { return has_text(ev, "uweet", "back again"); }, 10s))
      << bob_stream->raw() << s.log_text();
  EXPECT_NE(s.log_text().find("session event=started"), std::string::npos);
}

// Issue 14 items 3 and 4: the web app's heartbeats reach the notifier while
// nobody posts, and with the notifier stopped the web app's /metrics says so.
TEST(WebToNotifier, HeartbeatsFlowAndAStoppedNotifierShowsAsUnreachable) {
  Stack s;
  ASSERT_TRUE(eventually([&] { return s.notifier_metric("uwitter_notifier_heartbeats_total") >= 1; }, 10s));
  const std::string gauge =
      "uwitter_emitter_target_unreachable{target=\"127.0.0.1:" + std::to_string(s.udp_port) + "\"}";
  const std::string counter =
      "uwitter_emitter_unreachable_total{target=\"127.0.0.1:" + std::to_string(s.udp_port) + "\"}";
  auto web_metric = [&](const std::string& name) { return metric(s.wclient->get("/metrics").body, name); };
  EXPECT_EQ(web_metric(gauge), 0);
  uint16_t udp = s.udp_port, http = s.http_port;
  ASSERT_EQ(s.notifier->terminate(), 0);
  ASSERT_TRUE(eventually([&] { return web_metric(gauge) == 1; }, 15s)) << s.wclient->get("/metrics").body;
  EXPECT_GE(web_metric(counter), 1);
  EXPECT_GE(web_metric("uwitter_emitter_send_errors_total"), 1);
  s.start_notifier(udp, http);
  ASSERT_TRUE(eventually([&] { return web_metric(gauge) == 0; }, 15s));
}

TEST(WebToNotifier, WebRestartStartsANewSenderSessionAndSettlesTheOld) {
  Stack s;
  auto alice = s.signup("alice"), bob = s.signup("bob");
  s.follow(bob, "alice");
  auto bob_stream = s.stream(bob);
  s.post(alice, "before restart");
  ASSERT_TRUE(bob_stream->wait_event(
      [](const SseEvent& ev) { return has_text(ev, "uweet", "before restart"); }, 10s));
  EXPECT_EQ(s.web->terminate(), 0) << s.web->stderr_text();
  s.start_web();
  alice = s.login("alice");
  s.post(alice, "after restart");
  ASSERT_TRUE(
      bob_stream->wait_event([](const SseEvent& ev) { return has_text(ev, "uweet", "after restart"); }, 10s))
      << bob_stream->raw() << s.log_text();
  std::string log = s.log_text();
  EXPECT_NE(log.find("event=settled"), std::string::npos) << log;
  EXPECT_GE(s.notifier_metric("uwitter_notifier_sender_sessions_total"), 2);
}

// Issue 13 item 9: the web app's signing key rotated in place, the way
// docs/KEYS.md tells an operator to: a new pair from uwitter-keygen, its public
// line added to the notifier's --trust file, the secret moved over
// data/keys/uwitter.key, SIGHUP; later the old line removed. Streams and
// tickets from before keep working while both keys are trusted; datagrams and
// tickets after the SIGHUP are the new key's; nothing is lost or rejected.
TEST(WebToNotifier, SighupRotatesTheSigningKeyWithoutLosingAStreamOrANotification) {
  Stack s;
  auto alice = s.signup("alice"), bob = s.signup("bob");
  s.follow(bob, "alice");
  auto bob_stream = s.stream(bob);
  auto ticket_of = [&](const std::string& token) {
    return s.wclient->get("/api/v1/notifications/ticket", {"Authorization: Bearer " + token})
        .json()["ticket"]
        .get<std::string>();
  };
  auto inbox_status = [&](const std::string& ticket) {
    return s.nclient->get("/inbox?ticket=" + ticket).status;
  };
  auto web_metric = [&](const std::string& name) { return metric(s.wclient->get("/metrics").body, name); };
  const std::string old_ticket = ticket_of(bob);
  auto old_key = sign::load_secret_key(s.data + "/keys/uwitter.key");
  ASSERT_TRUE(old_key.ok());
  EXPECT_EQ(web_metric("uwitter_web_signing_key{id=\"" + sign::hex(old_key->id()) + "\"}"), 1);
  const double sessions_before = s.notifier_metric("uwitter_notifier_sender_sessions_total");

  // 1. A new pair; the notifier trusts both.
  const std::string fresh = s.dir.file("new-keys");
  auto made = kit::run({UWITTER_KEYGEN_BIN, "--out", fresh});
  ASSERT_EQ(made.status, 0) << made.err;
  auto new_key = sign::load_secret_key(fresh + "/uwitter.key");
  ASSERT_TRUE(new_key.ok());
  const std::string new_pub = kit::read_file(fresh + "/uwitter.pub");
  { std::ofstream(s.data + "/keys/uwitter.pub", std::ios::app) << new_pub; }
  ASSERT_TRUE(eventually([&] { return s.notifier_metric("uwitter_notifier_trusted_keys") == 2; }, 15s));

  // 2. The secret moves into place; SIGHUP makes it the signing key.
  ASSERT_EQ(std::rename((fresh + "/uwitter.key").c_str(), (s.data + "/keys/uwitter.key").c_str()), 0);
  ASSERT_EQ(s.web->signal(SIGHUP), 0);
  ASSERT_TRUE(eventually([&] { return web_metric("uwitter_web_key_rotations_total") == 1; }, 10s))
      << s.web->stderr_text();
  EXPECT_EQ(web_metric("uwitter_web_signing_key{id=\"" + sign::hex(new_key->id()) + "\"}"), 1);
  EXPECT_EQ(web_metric("uwitter_web_signing_key{id=\"" + sign::hex(old_key->id()) + "\"}"), 0);

  // The stream opened with the old key's ticket hears the post signed with the new key.
  s.post(alice, "signed anew");
  ASSERT_TRUE(
      bob_stream->wait_event([](const SseEvent& ev) { return has_text(ev, "uweet", "signed anew"); }, 10s))
      << bob_stream->raw() << s.log_text();
  EXPECT_GE(s.notifier_metric("uwitter_notifier_sender_sessions_total"), sessions_before + 1);
  EXPECT_EQ(s.notifier_metric("uwitter_notifier_lost_total"), 0);
  EXPECT_EQ(s.notifier_metric("uwitter_notifier_open_gaps"), 0);
  const std::string new_ticket = ticket_of(bob);
  EXPECT_EQ(inbox_status(old_ticket), 200);  // both trusted: the overlap
  EXPECT_EQ(inbox_status(new_ticket), 200);

  // 3. After the tickets' lifetime the old line goes: old tickets are refused,
  // new ones are not (so they were signed with the new key), posts still arrive.
  { std::ofstream(s.data + "/keys/uwitter.pub", std::ios::trunc) << new_pub; }
  ASSERT_TRUE(eventually([&] { return s.notifier_metric("uwitter_notifier_trusted_keys") == 1; }, 15s));
  EXPECT_EQ(inbox_status(old_ticket), 403);
  EXPECT_EQ(inbox_status(new_ticket), 200);
  s.post(alice, "only the new key now");
  ASSERT_TRUE(bob_stream->wait_event(
      [](const SseEvent& ev) { return has_text(ev, "uweet", "only the new key now"); }, 10s))
      << bob_stream->raw() << s.log_text();

  // A key file that cannot be read on SIGHUP keeps the key in use, says why, and
  // everything goes on.
  { std::ofstream(s.data + "/keys/uwitter.key", std::ios::trunc) << "not a key\n"; }
  ASSERT_EQ(s.web->signal(SIGHUP), 0);
  ASSERT_TRUE(eventually(
      [&] {
        return s.web->stderr_text().find("keeping signing key " + sign::hex(new_key->id())) !=
               std::string::npos;
      },
      10s))
      << s.web->stderr_text();
  s.post(alice, "after a bad key file");
  ASSERT_TRUE(bob_stream->wait_event(
      [](const SseEvent& ev) { return has_text(ev, "uweet", "after a bad key file"); }, 10s));
  EXPECT_EQ(web_metric("uwitter_web_key_rotations_total"), 1);
  EXPECT_EQ(s.notifier_metric("uwitter_notifier_lost_total"), 0);
}

TEST(WebToNotifier, TailShowsBobsDeliveriesAndFollowsRotation) {
  Stack s;
  auto alice = s.signup("alice"), bob = s.signup("bob"), carol = s.signup("carol");
  s.follow(bob, "alice");
  s.follow(carol, "alice");
  s.post(alice, "before rotation");
  ASSERT_TRUE(eventually([&] { return s.log_text().find("to=carol") != std::string::npos; }));

  ChildProcess tail;
  ASSERT_TRUE(tail.start({UWITTER_NOTIFIER_BIN, "tail", s.log_file, "--user", "bob", "--kind", "delivery"},
                         s.dir.file("tail.stderr")));
  auto first = tail.wait_line("to=bob", 10s);
  ASSERT_TRUE(first) << tail.stderr_text();
  EXPECT_NE(first->find("delivery"), std::string::npos);

  // Rotate: rename the file away, SIGHUP makes the notifier reopen its path.
  std::filesystem::rename(s.log_file, s.log_file + ".1");
  s.notifier->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(s.log_file); }));
  s.post(alice, "after rotation");
  auto line = tail.wait_line("to=bob", 10s);
  ASSERT_TRUE(line) << s.log_text();
  EXPECT_EQ(line->find("to=carol"), std::string::npos);
  for (const auto& l : tail.lines()) EXPECT_EQ(l.find("carol"), std::string::npos) << l;
  EXPECT_GE(tail.lines().size(), 2u);
  EXPECT_EQ(tail.terminate(), 0);

  // --json prints JSON objects, filtered the same way.
  auto r = run({UWITTER_NOTIFIER_BIN, "tail", s.log_file, "--user", "bob", "--json", "--no-follow"});
  EXPECT_EQ(r.status, 0);
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(json::parse(r.out.substr(0, r.out.find('\n')))["to"], "bob");
}

}  // namespace
}  // namespace uw::test

#endif
