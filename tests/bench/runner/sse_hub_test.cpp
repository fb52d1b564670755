// bench/runner/sse_hub.cpp: one SSE stream per user, each notification turned
// into a Receipt for that user; ": connected" counted once, an error answer or
// a close counted as closed, unparsable events counted as bad.
#include "bench/runner/sse_hub.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "bench/kit/eventually.hpp"
#include "tests/bench/kit/canned_server.hpp"

namespace uw::bench {
namespace {

using kit::eventually;
using kit::test::CannedServer;

const std::string kHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";

TEST(SseHub, TurnsEachNotificationIntoAReceiptForItsUser) {
  CannedServer alice(kHead + ": connected\n\n: connected again\n\n" +
                         "id: 1\nevent: uweet\ndata: {\"uweet_id\":12}\n\n" +
                         "id: 2\nevent: follow\ndata: {\"follower\":3}\n\n" +  // not measured
                         "id: 3\ndata: {\"kind\":\"mention\",\"uweet_id\":13}\n\n",
                     /*keep_open=*/true);
  CannedServer bob(kHead + ": connected\n\nevent: uweet\ndata: {\"uweet_id\":14}\n\n" +
                       "event: uweet\ndata: not json\n\nevent: poke\ndata: {}\n\n",
                   /*keep_open=*/true);
  SseHub hub;
  const double before = steady_ms();
  ASSERT_TRUE(hub.open(alice.port(), "/events?ticket=a", 7));
  ASSERT_TRUE(hub.open(bob.port(), "/events?ticket=b", 8));
  ASSERT_TRUE(eventually([&] { return hub.receipts() == 3 && hub.bad_events() == 2; }));
  EXPECT_EQ(hub.connected(), 2u);  // once per stream
  EXPECT_EQ(hub.closed(), 0u);
  auto got = hub.take();
  ASSERT_EQ(got.size(), 3u);
  std::sort(got.begin(), got.end(),
            [](const Receipt& a, const Receipt& b) { return a.key.uweet_id < b.key.uweet_id; });
  EXPECT_EQ(got[0].key.recipient, 7u);
  EXPECT_EQ(got[0].key.kind, 'u');
  EXPECT_EQ(got[0].key.uweet_id, 12);
  EXPECT_EQ(got[1].key.recipient, 7u);
  EXPECT_EQ(got[1].key.kind, 'm');  // the kind from the data when the event has no name
  EXPECT_EQ(got[1].key.uweet_id, 13);
  EXPECT_EQ(got[2].key.recipient, 8u);
  EXPECT_EQ(got[2].key.uweet_id, 14);
  for (const auto& r : got) {
    EXPECT_GE(r.at_ms, before);
    EXPECT_LE(r.at_ms, steady_ms());
  }
  EXPECT_TRUE(hub.take().empty());  // moved out
  EXPECT_EQ(hub.receipts(), 3u);    // the count stays
  auto req = alice.requests();
  ASSERT_EQ(req.size(), 1u);
  EXPECT_TRUE(kit::test::request_has(req[0], "GET /events?ticket=a HTTP/1.1"));
}

TEST(SseHub, AnErrorAnswerAndAnEndedStreamCountAsClosed) {
  CannedServer refused(
      "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/event-stream\r\n\r\n"
      ": connected\n\nevent: uweet\ndata: {\"uweet_id\":1}\n\n",
      /*keep_open=*/true);
  CannedServer ends(kHead + ": connected\n\n", /*keep_open=*/false);
  SseHub hub;
  ASSERT_TRUE(hub.open(refused.port(), "/events", 1));
  ASSERT_TRUE(hub.open(ends.port(), "/events", 2));
  ASSERT_TRUE(eventually([&] { return hub.closed() == 2; }));
  EXPECT_EQ(hub.connected(), 1u);  // the 401's body is not a registration
  EXPECT_EQ(hub.receipts(), 0u);   // nor are its events notifications
  EXPECT_EQ(hub.bad_events(), 0u);
}

TEST(SseHub, AStreamThatCannotConnectIsAnError) {
  uint16_t port = 0;
  {
    CannedServer gone("");
    port = gone.port();
  }
  SseHub hub;
  EXPECT_FALSE(hub.open(port, "/events", 1));
  EXPECT_EQ(hub.connected(), 0u);
  EXPECT_EQ(hub.closed(), 0u);
}

}  // namespace
}  // namespace uw::bench
