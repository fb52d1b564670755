// kit::SseStream (a fleet of one SseFleet stream) against a canned SSE server
// on 127.0.0.1: the head, events with ids, the server closing, and a refused
// connection.
#include "bench/kit/sse_stream.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/bench/kit/canned_server.hpp"

namespace uw::kit {
namespace {

using namespace std::chrono_literals;
using test::CannedServer;

const char kStream[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
    ": hello\n\n"
    "id: 7\nevent: uweet\ndata: {\"n\":1}\n\n"
    "id: 8\nevent: mention\ndata: {\"n\":2}\n\n";

TEST(SseStream, ReadsTheHeadAndEveryEventInOrder) {
  CannedServer server(kStream, /*keep_open=*/true);
  SseStream s(server.port(), "/events?ticket=t", {"Last-Event-ID: 6"});
  ASSERT_TRUE(s.connected());
  EXPECT_EQ(s.wait_status(5s), 200);
  EXPECT_NE(s.head().find("text/event-stream"), std::string::npos);
  SseEvent last;
  ASSERT_TRUE(s.wait_event([](const SseEvent& e) { return e.id == "8"; }, 5s, &last));
  EXPECT_EQ(last.event, "mention");
  EXPECT_EQ(last.data, "{\"n\":2}");
  auto events = s.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].id, "7");
  EXPECT_EQ(events[0].event, "uweet");
  EXPECT_FALSE(s.closed());
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_TRUE(test::request_has(reqs[0], "GET /events?ticket=t HTTP/1.1", {"Last-Event-ID: 6"}));
}

TEST(SseStream, SeesTheServerClose) {
  CannedServer server(std::string(kStream), /*keep_open=*/false);
  SseStream s(server.port(), "/events");
  EXPECT_TRUE(s.wait_closed(5s));
  EXPECT_EQ(s.count(), 2u);
}

TEST(SseStream, ARefusedConnectionIsNotConnected) {
  uint16_t port = 0;
  {
    CannedServer gone("");
    port = gone.port();
  }
  SseStream s(port, "/events");
  EXPECT_FALSE(s.connected());
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(s.wait_status(100ms), 0);
}

}  // namespace
}  // namespace uw::kit
