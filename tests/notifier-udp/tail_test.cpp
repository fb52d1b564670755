// notifier-udp/tail.cpp: its parser reads back both of event_log.cpp's
// formats; the filter and the rendering; and the subcommand as a real process:
// garbage lines, --help, following a file across rotation, truncation and a
// late start, and what a user was sent.
#include "notifier-udp/tail.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "notifier-udp/event_log.hpp"
#include "tests/notifier-udp/notifier_harness.hpp"

namespace uw::notifier {
namespace {

TEST(EventLog, HumanAndJsonLinesParseBackToTheSameFields) {
  for (auto fmt : {LogFormat::Human, LogFormat::Json}) {
    std::string line = EventLog::format_line(fmt, "2026-11-28T00:00:01.250Z", LogLevel::Debug, "delivery",
                                             {{"to", "bob"},
                                              {"note", uint64_t{42}},
                                              {"text", "hi there \"you\"\n="},
                                              {"ms", 1.5},
                                              {"neg", int64_t{-3}}});
    auto r = parse_log_line(line);
    ASSERT_TRUE(r) << line;
    EXPECT_EQ(r->kind, "delivery");
    EXPECT_EQ(r->level, "debug");
    EXPECT_EQ(r->ts, "2026-11-28T00:00:01.250Z");
    ASSERT_NE(r->get("to"), nullptr);
    EXPECT_EQ(*r->get("to"), "bob");
    EXPECT_EQ(*r->get("note"), "42");
    EXPECT_EQ(*r->get("text"), "hi there \"you\"\n=");
    EXPECT_EQ(*r->get("neg"), "-3");
  }
}

TEST(EventLog, HumanValuesWithSpacesAreQuoted) {
  EXPECT_EQ(human_value("plain"), "plain");
  EXPECT_EQ(human_value("two words"), "\"two words\"");
  EXPECT_EQ(human_value(""), "\"\"");
  EXPECT_EQ(human_value("a=b"), "\"a=b\"");
}

TEST(EventLog, FloodLimiterSwallowsBeyondTheBurstAndReportsHowMany) {
  EventLog log;
  log.set_flood_rate(10);  // burst 40
  uint64_t suppressed = 0;
  int allowed = 0;
  for (int i = 0; i < 1000; ++i)
    if (log.allow_flood_line(1000, &suppressed)) ++allowed;
  EXPECT_LE(allowed, 40 + 80);  // the first call starts from the initial bucket
  EXPECT_GT(allowed, 0);
  // A second later, about 10 more are allowed, and the first says how many were swallowed.
  ASSERT_TRUE(log.allow_flood_line(2000, &suppressed));
  EXPECT_EQ(suppressed, static_cast<uint64_t>(1000 - allowed));
}

// Callers stamp lines with times taken at different moments (a batch's start,
// or now): a time a little behind the last one refills nothing. Before, the
// unsigned difference wrapped and refilled the bucket, so a garbage flood that
// mixed shed and rejected lines was logged unlimited (690 lines in 0.8 s).
TEST(EventLog, FloodLimiterIsNotRefilledByATimeBehindTheLastOne) {
  EventLog log;
  log.set_flood_rate(10);  // burst 40
  uint64_t suppressed = 0;
  int allowed = 0;
  for (int i = 0; i < 1000; ++i)
    if (log.allow_flood_line(i % 2 == 0 ? 5000 : 4999, &suppressed)) ++allowed;
  EXPECT_LE(allowed, 80);
  EXPECT_GT(allowed, 0);
}

TEST(Tail, RejectsLinesThatAreNotLogLines) {
  for (const char* bad :
       {"", "justoneword", "{\"no\":\"kind\"}", "{not json", "ts level kind=bad", "a b c novalue"})
    EXPECT_FALSE(parse_log_line(bad)) << bad;
}

TEST(Tail, FilterMatchesUserInAnyRoleAndKind) {
  auto r = parse_log_line("2026-11-28T00:00:01.250Z debug delivery to=Bob from=alice note=1");
  ASSERT_TRUE(r);
  EXPECT_TRUE((TailFilter{"bob", ""}).matches(*r));
  EXPECT_TRUE((TailFilter{"alice", "delivery"}).matches(*r));
  EXPECT_FALSE((TailFilter{"carol", ""}).matches(*r));
  EXPECT_FALSE((TailFilter{"bob", "fanout"}).matches(*r));
  EXPECT_TRUE((TailFilter{"", ""}).matches(*r));
}

TEST(Tail, RendersReadablyOrAsJson) {
  auto r = parse_log_line("2026-11-28T00:00:01.250Z info fanout author=alice followers=3 text=\"a b\"");
  ASSERT_TRUE(r);
  std::string h = render_record(*r, false);
  EXPECT_NE(h.find("00:00:01.250"), std::string::npos) << h;
  EXPECT_NE(h.find("fanout"), std::string::npos) << h;
  EXPECT_NE(h.find("author=alice"), std::string::npos) << h;
  EXPECT_NE(h.find("text=\"a b\""), std::string::npos) << h;
  std::string j = render_record(*r, true);
  EXPECT_EQ(parse_log_line(j)->kind, "fanout");
}

// Issue 14 item 14: --json keeps numbers numbers and strings strings.
TEST(Tail, JsonKeepsNumbersAndStringsApart) {
  for (auto fmt : {LogFormat::Human, LogFormat::Json}) {
    std::string line = EventLog::format_line(fmt, "2026-11-28T00:00:01.250Z", LogLevel::Info, "gap",
                                             {{"highest_seq", uint64_t{4399}},
                                              {"to", "42"},
                                              {"ms", 1.5},
                                              {"neg", int64_t{-3}},
                                              {"key", "00ab"},
                                              {"session", "1111"}});
    auto r = parse_log_line(line);
    ASSERT_TRUE(r) << line;
    auto j = nlohmann::json::parse(render_record(*r, true));
    EXPECT_EQ(j["highest_seq"], 4399) << line;
    EXPECT_EQ(j["to"], "42") << line;
    EXPECT_EQ(j["ms"], 1.5) << line;
    EXPECT_EQ(j["neg"], -3) << line;
    EXPECT_EQ(j["key"], "00ab") << line;
    EXPECT_EQ(j["session"], "1111") << line;  // an id, written as a string
  }
  EXPECT_TRUE(looks_numeric("0"));
  EXPECT_TRUE(looks_numeric("-12.50"));
  for (const char* no : {"", "-", "007", "1.", ".5", "1e5", "12x", "0x1f"})
    EXPECT_FALSE(looks_numeric(no)) << no;
}

TEST(Tail, UserMatchesOneOfTheListedRecipients) {
  auto r =
      parse_log_line("2026-11-28T00:00:01.250Z info fanout author=alice followers=2 to=bob,Carol ms=0.1");
  ASSERT_TRUE(r);
  EXPECT_TRUE((TailFilter{"carol", ""}).matches(*r));
  EXPECT_TRUE((TailFilter{"bob", ""}).matches(*r));
  EXPECT_FALSE((TailFilter{"bo", ""}).matches(*r));
  EXPECT_FALSE((TailFilter{"dave", ""}).matches(*r));
}

#ifdef UWITTER_NOTIFIER_BIN
TEST(Tail, CountsGarbageLinesAndFailsOnThemWithNoFollow) {
  test::TempDir dir;
  const std::string path = dir.file("n.log");
  {
    std::ofstream out(path);
    out << "2026-11-28T00:00:01.250Z info notify what=follow from=carol to=bob\n"
        << "this is not a log line\n"
        << "\n"
        << "{\"half\": \n"
        << "2026-11-28T00:00:02.250Z info notify what=mention from=alice to=bob\n";
  }
  auto r = test::run({UWITTER_NOTIFIER_BIN, "tail", path, "--no-follow"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("skipped 2 lines"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("from=alice"), std::string::npos) << r.out;  // the good lines still print
  std::ofstream(path, std::ios::trunc)
      << "2026-11-28T00:00:01.250Z info notify what=follow from=carol to=bob\n";
  auto clean = test::run({UWITTER_NOTIFIER_BIN, "tail", path, "--no-follow"});
  EXPECT_EQ(clean.status, 0) << clean.err;
  EXPECT_EQ(clean.err, "");
}

TEST(Tail, HelpSaysUsageOnce) {
  auto r = test::run({UWITTER_NOTIFIER_BIN, "tail", "--help"});
  EXPECT_EQ(r.status, 0);
  size_t first = r.out.find("Usage:");
  ASSERT_NE(first, std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Usage:", first + 1), std::string::npos) << r.out;
}

// At the default log level, `tail --user bob` shows what bob was sent: the
// fan-out line names a small audience, the follow and mention lines their one.
TEST(Tail, UserShowsWhatTheyWereSentAtTheDefaultLevel) {
  test::NotifierHarness h({"--log-level", "info"});
  h.send({h.post(1, "for my followers")});
  h.send({sign::FollowEvent{h.users.carol, "carol", h.users.bob, test::now_ms()}});
  h.send({sign::MentionEvent{2, h.users.alice, "alice", h.users.bob, test::now_ms(), "hey @bob"}});
  std::string out;
  ASSERT_TRUE(test::eventually([&] {
    h.log_text();
    out = test::run({UWITTER_NOTIFIER_BIN, "tail", h.log_file, "--user", "bob", "--no-follow"}).out;
    return out.find("what=mention") != std::string::npos && out.find("fanout") != std::string::npos &&
           out.find("what=follow") != std::string::npos;
  })) << out
      << "\n"
      << h.log_text();
  for (const char* k : {"fanout", "what=follow", "what=mention"})
    EXPECT_NE(out.find(k), std::string::npos) << k;
}
// Like tail -F: the rest of a renamed file, then the new file from its start;
// a file truncated in place from its start; a file that appears late.
TEST(Tail, FollowsTheFileAcrossRotationTruncationAndALateStart) {
  test::TempDir dir;
  const std::string path = dir.file("n.log");
  auto line = [](const char* from) {
    return std::string("2026-11-28T00:00:01.250Z info notify what=follow from=") + from + " to=bob\n";
  };
  test::ChildProcess tail;
  ASSERT_TRUE(tail.start({UWITTER_NOTIFIER_BIN, "tail", path, "--poll-ms", "10", "--kind", "notify"},
                         dir.file("tail.stderr")));
  std::ofstream(path) << line("early");  // created after tail started
  ASSERT_TRUE(tail.wait_line("from=early", std::chrono::seconds(10))) << tail.stderr_text();
  std::ofstream(path, std::ios::app) << "2026-11-28T00:00:01.300Z info fanout author=alice uweet=1\n"
                                     << line("old1");
  ASSERT_TRUE(tail.wait_line("from=old1", std::chrono::seconds(10)));
  // Rotate: the last line lands in the old file after the rename.
  std::filesystem::rename(path, path + ".1");
  std::ofstream(path + ".1", std::ios::app) << line("old2");
  std::ofstream(path) << line("new1");
  ASSERT_TRUE(tail.wait_line("from=new1", std::chrono::seconds(10))) << tail.stderr_text();
  // Truncated in place (copytruncate) and written again: a shorter file than
  // what tail has read, so it starts over whenever it looks.
  std::ofstream(path, std::ios::trunc) << line("cut");
  ASSERT_TRUE(tail.wait_line("from=cut", std::chrono::seconds(10))) << tail.stderr_text();
  EXPECT_EQ(tail.terminate(), 0);
  std::vector<std::string> froms;
  for (const auto& l : tail.lines()) {
    EXPECT_EQ(l.find("fanout"), std::string::npos) << l;  // --kind notify
    auto at = l.find("from=");
    if (at != std::string::npos) froms.push_back(l.substr(at + 5, l.find(' ', at) - at - 5));
  }
  EXPECT_EQ(froms, (std::vector<std::string>{"early", "old1", "old2", "new1", "cut"}));
}
#endif

}  // namespace
}  // namespace uw::notifier
