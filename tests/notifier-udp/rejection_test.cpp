// uwitter-notifier rejects bad datagrams, counts them by reason and logs them;
// tracks sender sessions and gaps; reloads keys on SIGHUP.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>

#include "tests/notifier-udp/notifier_harness.hpp"

#ifdef UWITTER_NOTIFIER_BIN

namespace uw::test {
namespace {

using namespace std::chrono_literals;

std::string rejected(const char* reason) {
  return std::string("uwitter_notifier_rejected_total{reason=\"") + reason + "\"}";
}

TEST(NotifierRejects, EveryBadDatagramByReasonTable) {
  NotifierHarness h({"--allow", "127.0.0.1/32"});
  auto bob = h.stream(h.users.bob);
  auto other = sign::SecretKey::generate();

  auto good = h.seal({h.post(1, "the real one")});
  h.sender.send(h.udp_port, good);
  ASSERT_TRUE(bob->wait_event([](const SseEvent& e) { return e.event == "uweet"; }, 10s));

  // A forgery: the trusted key id in the header, the signature by another key.
  sign::Encoder forger(other, h.enc.session_id(), h.enc.next_seq());
  auto forged = std::vector<uint8_t>();
  ASSERT_TRUE(forger.seal(std::vector<sign::Event>{h.post(2, "forged")}, now_ms(), &forged));
  auto trusted_id = h.key.id();
  auto hdr = sign::DatagramView(good).header();
  (void)hdr;
  // Copy the trusted key id over the forger's (PROTOCOL: key id follows magic and version).
  {
    auto gi = std::search(good.begin(), good.end(), trusted_id.begin(), trusted_id.end());
    ASSERT_NE(gi, good.end());
    size_t off = static_cast<size_t>(gi - good.begin());
    std::copy(trusted_id.begin(), trusted_id.end(), forged.begin() + static_cast<long>(off));
  }
  auto flipped = h.seal({h.post(3, "flip me")});
  flipped[flipped.size() - 70] ^= 0x01;  // inside the signed bytes, just before the signature
  auto stale = h.seal({h.post(4, "old")}, now_ms() - 10 * 60 * 1000);
  auto truncated = h.seal({h.post(5, "cut")});
  truncated.resize(truncated.size() - 10);
  std::vector<uint8_t> oversized(1500, 0x55);
  sign::Encoder unknown(other);
  std::vector<uint8_t> unknown_key;
  ASSERT_TRUE(unknown.seal(std::vector<sign::Event>{h.post(6, "who?")}, now_ms(), &unknown_key));

  struct Case {
    const char* name;
    std::vector<uint8_t> bytes;
    const char* reason;
  };
  const Case cases[] = {
      {"forged", forged, "bad_signature"},
      {"bit-flipped", flipped, "bad_signature"},
      {"replayed", good, "duplicate"},
      {"stale", stale, "stale"},
      {"truncated", truncated, "malformed"},
      {"oversized", oversized, "oversized"},
      {"unknown key", unknown_key, "unknown_key"},
  };
  for (const auto& c : cases) {
    double before = h.metric_value(rejected(c.reason));
    h.sender.send(h.udp_port, c.bytes);
    EXPECT_TRUE(eventually([&] { return h.metric_value(rejected(c.reason)) >= before + 1; }))
        << c.name << " not counted as " << c.reason << "\n"
        << h.metrics();
  }
  // A source outside --allow (127.0.0.2 is loopback too) is dropped before anything else.
  UdpSender outsider("127.0.0.2");
  outsider.send(h.udp_port, h.seal({h.post(7, "from outside")}));
  EXPECT_TRUE(eventually([&] { return h.metric_value(rejected("disallowed_source")) >= 1; })) << h.metrics();

  // Every rejection was logged with its reason; none of them reached bob.
  std::string log;
  EXPECT_TRUE(eventually([&] {
    log = h.log_text();
    return log.find("reason=disallowed_source") != std::string::npos;
  }));
  for (const char* reason :
       {"bad_signature", "stale", "malformed", "oversized", "unknown_key", "disallowed_source"})
    EXPECT_NE(log.find(std::string("rejected reason=") + reason), std::string::npos) << reason << "\n" << log;
  EXPECT_EQ(h.metric_value("uwitter_notifier_verified_total"), 1);
  EXPECT_GE(h.metric_value("uwitter_notifier_duplicates_total"), 1);
  for (const auto& e : bob->events()) EXPECT_NE(e.data.find("the real one"), std::string::npos) << e.data;
  EXPECT_GE(h.metric_value("uwitter_notifier_kernel_drops_total"), 0);
}

TEST(NotifierRejects, RejectionLinesAreRateLimited) {
  NotifierHarness h({"--log-rejects-per-s", "5"});
  std::vector<uint8_t> junk(40, 0x01);
  for (int i = 0; i < 500; ++i) h.sender.send(h.udp_port, junk);
  ASSERT_TRUE(eventually([&] { return h.metric_value(rejected("malformed")) >= 500; })) << h.metrics();
  std::string log = h.log_text();
  size_t lines = 0;
  for (size_t p = 0; (p = log.find("rejected reason=malformed", p)) != std::string::npos; ++p) ++lines;
  EXPECT_GE(lines, 1u);
  EXPECT_LE(lines, 40u);  // burst of 4x the rate, plus refill during the test
}

TEST(NotifierRejects, ForgedTicketsCostABoundedNumberOfVerifiesAndLogLines) {
  NotifierHarness h({"--log-rejects-per-s", "5"});
  // A ticket whose signature is wrong but whose form, key id and expiry are
  // right: the only kind that costs a full verify.
  std::string forged = h.ticket_for(h.users.bob);
  forged[100] = forged[100] == 'A' ? 'B' : 'A';
  int checked = 0, shed = 0;
  for (int i = 0; i < 60; ++i) {
    auto r = h.http->get("/inbox?ticket=" + forged);
    if (r.status == 403 && r.body.find("ticket_bad_signature") != std::string::npos) ++checked;
    if (r.status == 429 && r.body.find("too_many_bad_tickets") != std::string::npos) {
      ++shed;
      EXPECT_EQ(r.header("retry-after"), "1");
    }
  }
  // The budget is a burst of 20 and 5/s; the loop may earn a token or two back.
  EXPECT_GE(checked, 20);
  EXPECT_LE(checked, 25);
  EXPECT_EQ(checked + shed, 60);
  EXPECT_EQ(h.metric_value("uwitter_notifier_tickets_shed_total"), shed);
  EXPECT_EQ(h.metric_value("uwitter_notifier_tickets_rejected_total"), 60);
  // Malformed ones (400, or 429 while the address is over budget) log at a bounded rate too.
  for (int i = 0; i < 200; ++i) {
    int st = h.http->get("/inbox?ticket=nonsense").status;
    EXPECT_TRUE(st == 400 || st == 429) << st;
  }
  std::string log = h.log_text();
  size_t lines = 0;
  for (size_t p = 0; (p = log.find("ticket_rejected", p)) != std::string::npos; ++p) ++lines;
  EXPECT_GE(lines, 1u);
  EXPECT_LE(lines, 40u) << log;  // burst of 4x the rate, plus refill during the test
  // The address's budget refills: its real tickets are served again.
  EXPECT_TRUE(
      eventually([&] { return h.http->get("/inbox?ticket=" + h.ticket_for(h.users.bob)).status == 200; }));
}

TEST(NotifierSessions, NewSenderSessionIsLoggedAndTheOldOneSettledWithItsGaps) {
  NotifierHarness h;
  auto bob = h.stream(h.users.bob);
  // Session 1 sends seq 1 and 2, then jumps to 5 (3 and 4 are lost).
  sign::Encoder s1(h.key, 1111, 1);
  std::vector<uint8_t> d;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(s1.seal(std::vector<sign::Event>{h.post(10 + i, "s1")}, now_ms(), &d));
    h.sender.send(h.udp_port, d);
  }
  sign::Encoder s1b(h.key, 1111, 5);
  ASSERT_TRUE(s1b.seal(std::vector<sign::Event>{h.post(15, "s1 after gap")}, now_ms(), &d));
  h.sender.send(h.udp_port, d);
  ASSERT_TRUE(bob->wait_event(
      [](const SseEvent& e) { return e.data.find("s1 after gap") != std::string::npos; }, 10s));
  // The sender restarts: a new session from the same key.
  sign::Encoder s2(h.key, 2222, 1);
  ASSERT_TRUE(s2.seal(std::vector<sign::Event>{h.post(20, "s2")}, now_ms(), &d));
  h.sender.send(h.udp_port, d);
  ASSERT_TRUE(
      bob->wait_event([](const SseEvent& e) { return e.data.find("\"s2\"") != std::string::npos; }, 10s));
  std::string log = h.log_text();
  EXPECT_NE(log.find("session event=started"), std::string::npos) << log;
  EXPECT_NE(log.find("session=2222"), std::string::npos) << log;
  EXPECT_NE(log.find("event=settled"), std::string::npos) << log;
  EXPECT_GE(h.metric_value("uwitter_notifier_lost_total"), 2) << h.metrics();
  EXPECT_GE(h.metric_value("uwitter_notifier_sender_sessions_total"), 2);
}

// Restarted early in the web app's session (sequence far inside the window):
// the datagrams the previous process received are not this one's loss.
TEST(NotifierSessions, ARestartDoesNotCountWhatThePreviousProcessReceivedAsLost) {
  NotifierHarness h;
  for (int i = 0; i < 100; ++i) h.send({h.post(500 + i, "before the restart")});
  ASSERT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_verified_total") == 100; }));
  ASSERT_EQ(h.proc->terminate(), 0);
  h.start();  // same database, keys and log file; a new process
  auto bob = h.stream(h.users.bob);
  h.send({h.post(700, "after the restart")});  // sequence 101 of the same session
  ASSERT_TRUE(bob->wait_event(
      [](const SseEvent& e) { return e.data.find("after the restart") != std::string::npos; }, 10s));
  // Once the gap timeout (2 s) settles 1..100: before my start, not lost.
  EXPECT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_before_start_total") == 100; }))
      << h.metrics();
  EXPECT_EQ(h.metric_value("uwitter_notifier_lost_total"), 0) << h.metrics();
  EXPECT_EQ(h.metric_value("uwitter_notifier_open_gaps"), 0);
  EXPECT_NE(h.log_text().find("first_seq=101 before_start=100"), std::string::npos) << h.log_text();
}

TEST(NotifierKeys, SighupTrustsARotatedKeyWithoutRestart) {
  NotifierHarness h;
  auto bob = h.stream(h.users.bob);
  auto fresh = sign::SecretKey::generate();
  sign::Encoder enc2(fresh);
  std::vector<uint8_t> d;
  ASSERT_TRUE(enc2.seal(std::vector<sign::Event>{h.post(30, "new key")}, now_ms(), &d));
  h.sender.send(h.udp_port, d);
  ASSERT_TRUE(eventually([&] { return h.metric_value(rejected("unknown_key")) >= 1; }));
  {
    std::ofstream out(h.dir.file("keys/uwitter.pub"), std::ios::app);
    out << sign::format_public_key(fresh.public_key()) << "\n";
  }
  h.proc->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_trusted_keys") == 2; }))
      << h.metrics();
  ASSERT_TRUE(enc2.seal(std::vector<sign::Event>{h.post(31, "new key again")}, now_ms(), &d));
  h.sender.send(h.udp_port, d);
  EXPECT_TRUE(bob->wait_event(
      [](const SseEvent& e) { return e.data.find("new key again") != std::string::npos; }, 10s));
}

}  // namespace
}  // namespace uw::test

#endif
