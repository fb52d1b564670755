// bench/kit/sse_fleet.cpp: many streams on one reader thread, each parsed on
// its own and reported to the one handler under the tag it was opened with;
// the request each stream sends; a server's close; a refused connection.
#include "bench/kit/sse_fleet.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>

#include "bench/kit/eventually.hpp"
#include "tests/bench/kit/canned_server.hpp"

namespace uw::kit {
namespace {

using test::CannedServer;

// Records every callback, by tag.
struct Recorder : SseFleet::Handler {
  std::mutex mu;
  std::map<uint64_t, int> status;
  std::map<uint64_t, std::vector<SseEvent>> events;
  std::map<uint64_t, std::vector<std::string>> comments;
  std::map<uint64_t, size_t> bytes;
  std::set<uint64_t> closed;
  void on_head(uint64_t tag, int s, std::string_view) override {
    std::lock_guard l(mu);
    status[tag] = s;
  }
  void on_event(uint64_t tag, const SseEvent& e) override {
    std::lock_guard l(mu);
    events[tag].push_back(e);
  }
  void on_comment(uint64_t tag, std::string_view text) override {
    std::lock_guard l(mu);
    comments[tag].emplace_back(text);
  }
  void on_bytes(uint64_t tag, std::string_view b) override {
    std::lock_guard l(mu);
    bytes[tag] += b.size();
  }
  void on_closed(uint64_t tag) override {
    std::lock_guard l(mu);
    closed.insert(tag);
  }
  size_t event_count(uint64_t tag) {
    std::lock_guard l(mu);
    return events[tag].size();
  }
  bool is_closed(uint64_t tag) {
    std::lock_guard l(mu);
    return closed.count(tag) > 0;
  }
};

const std::string kHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";

TEST(SseFleet, EachStreamIsParsedOnItsOwnUnderItsTag) {
  const std::string a = kHead + ": connected\n\nid: 1\nevent: uweet\ndata: {\"a\":1}\n\n";
  const std::string b = kHead + "id: 9\nevent: mention\ndata: x\ndata: y\n\nid: 10\ndata: z\n\n";
  CannedServer sa(a, /*keep_open=*/true), sb(b, /*keep_open=*/true);
  Recorder rec;
  SseFleet fleet(rec);
  ASSERT_TRUE(fleet.open(sa.port(), "/events?user=1", 41, {"Last-Event-ID: 0"}));
  ASSERT_TRUE(fleet.open(sb.port(), "/events?user=2", 42));
  ASSERT_TRUE(eventually([&] { return rec.event_count(41) == 1 && rec.event_count(42) == 2; }));
  fleet.stop();  // no callback after this
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.status[41], 200);
  EXPECT_EQ(rec.status[42], 200);
  EXPECT_EQ(rec.events[41][0].id, "1");
  EXPECT_EQ(rec.events[41][0].event, "uweet");
  EXPECT_EQ(rec.events[41][0].data, "{\"a\":1}");
  EXPECT_EQ(rec.events[42][0].event, "mention");
  EXPECT_EQ(rec.events[42][0].data, "x\ny");  // data lines joined
  EXPECT_EQ(rec.events[42][1].id, "10");
  ASSERT_EQ(rec.comments[41].size(), 1u);
  EXPECT_NE(rec.comments[41][0].find("connected"), std::string::npos);
  EXPECT_TRUE(rec.comments[42].empty());
  EXPECT_EQ(rec.bytes[41], a.size());  // every byte seen before parsing
  EXPECT_EQ(rec.bytes[42], b.size());
  auto ra = sa.requests();
  ASSERT_EQ(ra.size(), 1u);
  EXPECT_TRUE(test::request_has(ra[0], "GET /events?user=1 HTTP/1.1",
                                {"Accept: text/event-stream", "Last-Event-ID: 0"}));
}

TEST(SseFleet, TheServerClosingOneStreamClosesOnlyThatOne) {
  CannedServer closes(kHead + "data: last\n\n", /*keep_open=*/false);
  CannedServer stays(kHead + "data: on\n\n", /*keep_open=*/true);
  Recorder rec;
  SseFleet fleet(rec);
  ASSERT_TRUE(fleet.open(closes.port(), "/events", 1));
  ASSERT_TRUE(fleet.open(stays.port(), "/events", 2));
  ASSERT_TRUE(eventually([&] { return rec.is_closed(1) && rec.event_count(2) == 1; }));
  EXPECT_EQ(rec.event_count(1), 1u);  // what came before the close is delivered
  EXPECT_FALSE(rec.is_closed(2));
}

TEST(SseFleet, ARefusedConnectionIsAnErrorAndNoStream) {
  uint16_t port = 0;
  {
    CannedServer gone("");
    port = gone.port();
  }
  Recorder rec;
  SseFleet fleet(rec);
  auto r = fleet.open(port, "/events", 5);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "sse_stream");
  fleet.stop();
  fleet.stop();  // idempotent
  std::lock_guard l(rec.mu);
  EXPECT_TRUE(rec.status.empty());
  EXPECT_TRUE(rec.closed.empty());
}

}  // namespace
}  // namespace uw::kit
