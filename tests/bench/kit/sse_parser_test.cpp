// bench/kit/sse_parser.cpp: the kit's one SSE reader, fed a response in
// pieces split at every possible byte.
#include "bench/kit/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uw::kit {
namespace {

struct Record final : SseParser::Sink {
  void on_head(int s, std::string_view h) override {
    status = s;
    head = h;
    ++heads;
  }
  void on_event(const SseEvent& e) override { events.push_back(e); }
  void on_comment(std::string_view t) override { comments.emplace_back(t); }
  int status = 0, heads = 0;
  std::string head;
  std::vector<SseEvent> events;
  std::vector<std::string> comments;
};

const std::string kStream =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
    "retry: 2000\n: connected\n\n"
    "id: 1\nevent: uweet\ndata: {\"a\":1}\n\n"
    "id: 2\r\nevent: mention\r\ndata:line1\r\ndata: line2\r\n\r\n"
    ": heartbeat\n\n"
    "id: 3\nevent: follow\n\n";  // no data: not an event

void expect_whole_stream(const Record& r) {
  EXPECT_EQ(r.heads, 1);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.head, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream");
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].id, "1");
  EXPECT_EQ(r.events[0].event, "uweet");
  EXPECT_EQ(r.events[0].data, "{\"a\":1}");
  EXPECT_EQ(r.events[1].id, "2");
  EXPECT_EQ(r.events[1].event, "mention");
  EXPECT_EQ(r.events[1].data, "line1\nline2");
  EXPECT_EQ(r.comments, (std::vector<std::string>{"connected", "heartbeat"}));
}

TEST(SseParser, ParsesHeadEventsAndCommentsInOneFeed) {
  SseParser p;
  Record r;
  p.feed(kStream, r);
  expect_whole_stream(r);
  EXPECT_EQ(p.status(), 200);
}

TEST(SseParser, GivesTheSameResultWhateverTheSplit) {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    SseParser p;
    Record r;
    p.feed(std::string_view(kStream).substr(0, cut), r);
    p.feed(std::string_view(kStream).substr(cut), r);
    SCOPED_TRACE(cut);
    expect_whole_stream(r);
  }
  SseParser p;
  Record r;
  for (char c : kStream) p.feed(std::string_view(&c, 1), r);
  expect_whole_stream(r);
}

TEST(SseParser, ReportsTheStatusOfGoodAndBadHeads) {
  const std::vector<std::pair<std::string, int>> cases = {
      {"HTTP/1.1 200 OK\r\n\r\n", 200}, {"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", 401},
      {"HTTP/1.0 503 x\r\n\r\n", 503},  {"SSH-2.0-OpenSSH\r\n\r\n", -1},
      {"HTTP/1.1 2x0 OK\r\n\r\n", -1},  {"HTTP/1.1\r\n\r\n", -1},
  };
  for (const auto& [head, status] : cases) {
    SseParser p;
    Record r;
    p.feed(head, r);
    EXPECT_EQ(r.status, status) << head;
    EXPECT_EQ(p.status(), status) << head;
  }
}

TEST(SseParser, WaitsForTheWholeHeadAndTheBlankLine) {
  SseParser p;
  Record r;
  p.feed("HTTP/1.1 200 OK\r\n", r);
  EXPECT_EQ(r.heads, 0);
  EXPECT_EQ(p.status(), 0);
  p.feed("\r\ndata: x\n", r);
  EXPECT_EQ(r.heads, 1);
  EXPECT_TRUE(r.events.empty());  // not dispatched before the blank line
  p.feed("\n", r);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].data, "x");
  EXPECT_EQ(r.events[0].id, "");
}

}  // namespace
}  // namespace uw::kit
