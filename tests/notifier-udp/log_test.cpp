// event_log.cpp and tail.cpp: the two log formats and the tail parser agree.
#include <gtest/gtest.h>

#include "notifier-udp/event_log.hpp"
#include "notifier-udp/tail.hpp"

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

}  // namespace
}  // namespace uw::notifier
