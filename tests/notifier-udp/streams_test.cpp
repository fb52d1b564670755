// notifier-udp/streams.cpp: who is online, and that a write to a connection
// the server no longer has drops that stream (never a crash, never a leak).
// Real delivery over sockets is covered end to end in notifier_test.cpp.
#include "notifier-udp/streams.hpp"

#include <gtest/gtest.h>
#include <uv.h>

#include "core/http/server.hpp"

namespace uw::notifier {
namespace {

class StreamsTest : public ::testing::Test {
 protected:
  ~StreamsTest() override {
    bool done = false;
    streams_->close([&] { done = true; });
    server_->shutdown(0, [] {});
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_TRUE(done);
    streams_.reset();
    server_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0);  // every handle closed
  }
  // First member: the loop is initialised before the server and streams use it.
  struct Loop {
    Loop() { EXPECT_EQ(uv_loop_init(&loop), 0); }
    uv_loop_t loop;
  } l_;
  uv_loop_t& loop_ = l_.loop;
  std::unique_ptr<http::Server> server_ =
      std::make_unique<http::Server>(&loop_, http::Limits{}, [](http::Request&&, http::Responder) {});
  std::unique_ptr<Streams> streams_ = std::make_unique<Streams>(&loop_, *server_, 60'000, 1024);
};

TEST_F(StreamsTest, TracksEveryStreamOfAUser) {
  Streams& s = *streams_;
  s.add(1, 5, "127.0.0.1");
  s.add(2, 5, "127.0.0.1");
  s.add(3, 6, "127.0.0.2");
  EXPECT_EQ(s.count(), 3u);
  EXPECT_TRUE(s.online(5));
  EXPECT_FALSE(s.online(7));
  EXPECT_EQ(s.push(5, "id: 1\n\n"), 2u);
  EXPECT_EQ(s.push(7, "id: 1\n\n"), 0u);  // offline: nothing queued
  EXPECT_EQ(s.stats().events_sent, 2u);
  s.remove(1);
  EXPECT_EQ(s.push(5, "id: 2\n\n"), 1u);
  s.remove(2);
  EXPECT_FALSE(s.online(5));
  s.remove(2);  // twice: ignored
  EXPECT_EQ(s.count(), 1u);
  EXPECT_EQ(s.stats().opened, 3u);
}

TEST_F(StreamsTest, AWriteToAGoneConnectionRemovesTheStream) {
  Streams& s = *streams_;
  s.add(41, 5, "127.0.0.1");  // no such connection at the server
  EXPECT_FALSE(s.write_one(41, "x"));
  EXPECT_FALSE(s.online(5));
  EXPECT_EQ(s.count(), 0u);
  s.add(42, 6, "127.0.0.1");
  EXPECT_EQ(s.push(6, "id: 1\n\n"), 1u);
  s.flush();  // the queued bytes meet a gone connection
  EXPECT_FALSE(s.online(6));
  EXPECT_EQ(s.stats().cut_slow, 0u);  // gone is not slow
}

TEST_F(StreamsTest, CountsStreamsPerUserAndPerAddress) {
  Streams& s = *streams_;
  s.add(1, 5, "127.0.0.1");
  s.add(2, 5, "127.0.0.2");
  s.add(3, 6, "127.0.0.1");
  EXPECT_EQ(s.count_for_user(5), 2u);
  EXPECT_EQ(s.count_for_user(6), 1u);
  EXPECT_EQ(s.count_for_user(7), 0u);
  EXPECT_EQ(s.count_for_address("127.0.0.1"), 2u);
  EXPECT_EQ(s.count_for_address("127.0.0.2"), 1u);
  s.remove(1);
  EXPECT_EQ(s.count_for_user(5), 1u);
  EXPECT_EQ(s.count_for_address("127.0.0.1"), 1u);
  s.remove(3);
  EXPECT_EQ(s.count_for_address("127.0.0.1"), 0u);
  s.add(2, 9, "127.0.0.3");  // a connection id added again moves, it is not counted twice
  EXPECT_EQ(s.count_for_user(5), 0u);
  EXPECT_EQ(s.count_for_address("127.0.0.2"), 0u);
  EXPECT_EQ(s.count_for_address("127.0.0.3"), 1u);
  EXPECT_EQ(s.count(), 1u);
}

}  // namespace
}  // namespace uw::notifier
