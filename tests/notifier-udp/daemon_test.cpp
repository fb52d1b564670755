// notifier-udp/daemon.cpp in-process: the assembled notifier on a loop of its
// own thread. start() binds both sockets on kernel-chosen ports, a signed
// post reaches a follower's stream, reload() takes a new trusted key (for
// datagrams and tickets alike), shutdown() closes every handle, and a start
// that fails (no --trust at all, a port in use) is an Error that still shuts
// down cleanly.
#include "notifier-udp/daemon.hpp"

#include <gtest/gtest.h>
#include <uv.h>

#include <filesystem>
#include <future>
#include <thread>

#include "tests/notifier-udp/notifier_harness.hpp"

namespace uw::notifier {
namespace {

using test::eventually;

// A Daemon started and run on its own loop thread; stop() and reload() reach
// it through uv_async handles.
class DaemonThread {
 public:
  explicit DaemonThread(Config cfg) {
    std::promise<std::optional<Error>> started;
    auto f = started.get_future();
    thread_ = std::thread([this, cfg = std::move(cfg), &started]() mutable {
      uv_loop_init(&loop_);
      Daemon d(&loop_, std::move(cfg));
      uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
        auto* self = static_cast<DaemonThread*>(a->data);
        self->daemon_->shutdown();
        uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&self->reload_), nullptr);
      });
      uv_async_init(&loop_, &reload_, [](uv_async_t* a) {
        auto* self = static_cast<DaemonThread*>(a->data);
        self->daemon_->reload();
        self->reloads_.fetch_add(1);
      });
      stop_.data = reload_.data = this;
      daemon_ = &d;
      auto r = d.start();
      if (r) {
        udp_port_ = d.udp_port();
        http_port_ = d.http_port();
      }
      started.set_value(r ? std::nullopt : std::optional<Error>(r.error()));
      uv_run(&loop_, UV_RUN_DEFAULT);  // until shutdown() closed everything
      daemon_ = nullptr;
      loop_closed_ = uv_loop_close(&loop_) == 0;
    });
    error_ = f.get();
  }
  ~DaemonThread() { stop(); }
  void stop() {
    if (!thread_.joinable()) return;
    uv_async_send(&stop_);
    thread_.join();
  }
  // Runs reload() on the loop and waits for it.
  void reload() {
    const int before = reloads_.load();
    uv_async_send(&reload_);
    EXPECT_TRUE(eventually([&] { return reloads_.load() > before; }));
  }
  const std::optional<Error>& error() const { return error_; }
  bool loop_closed() const { return loop_closed_; }
  uint16_t udp_port() const { return udp_port_; }
  uint16_t http_port() const { return http_port_; }

 private:
  uv_loop_t loop_{};
  uv_async_t stop_{}, reload_{};
  Daemon* daemon_ = nullptr;
  std::atomic<int> reloads_{0};
  std::optional<Error> error_;
  uint16_t udp_port_ = 0, http_port_ = 0;
  bool loop_closed_ = false;
  std::thread thread_;
};

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sign::write_keypair(dir_.file("keys"), key_).ok());
    users_ = test::make_db(dir_.file("uwitter.db"));
    cfg_.udp = {"127.0.0.1", 0};
    cfg_.http = {"127.0.0.1", 0};
    cfg_.db_path = dir_.file("uwitter.db");
    cfg_.trust_files = {dir_.file("keys/uwitter.pub")};
    cfg_.log_file = dir_.file("notifier.log");
  }
  std::string ticket(const sign::SecretKey& k, int64_t user) const {
    return sign::mint_ticket(k, sign::Ticket{user, static_cast<int64_t>(std::time(nullptr)) + 300});
  }
  void send_post(const DaemonThread& d, sign::Encoder& enc, int64_t uweet_id) {
    const std::vector<sign::Event> events{
        sign::PostEvent{uweet_id, users_.alice, "alice", test::now_ms(), "hi"}};
    sign::Datagram dg;
    ASSERT_TRUE(enc.seal(events, test::now_ms(), &dg));
    sender_.send(d.udp_port(), dg);
  }
  // A stream of bob's opened with a ticket of `k`, then a post of alice's
  // sealed with `k`: success once the post arrived on the stream.
  ::testing::AssertionResult post_reaches_bob(const DaemonThread& d, const sign::SecretKey& k,
                                              int64_t uweet_id) {
    test::SseStream bob(d.http_port(), "/events?ticket=" + ticket(k, users_.bob));
    if (bob.wait_status() != 200) return ::testing::AssertionFailure() << "stream refused: " << bob.head();
    if (!eventually([&] { return bob.raw().find(": connected") != std::string::npos; }))
      return ::testing::AssertionFailure() << "never connected: " << bob.raw();
    sign::Encoder enc{k};
    send_post(d, enc, uweet_id);
    const std::string want = "\"uweet_id\":" + std::to_string(uweet_id);
    if (!bob.wait_event(
            [&](const test::SseEvent& e) {
              return e.event == "uweet" && e.data.find(want) != std::string::npos;
            },
            std::chrono::seconds(10)))
      return ::testing::AssertionFailure() << "no uweet " << uweet_id << " on the stream: " << bob.raw();
    return ::testing::AssertionSuccess();
  }
  test::TempDir dir_;
  sign::SecretKey key_ = (sign::init(), sign::SecretKey::generate());
  test::Users users_;
  Config cfg_;
  test::UdpSender sender_;
};

TEST_F(DaemonTest, StartsDeliversAndShutsDownWithoutALeak) {
  DaemonThread d(cfg_);
  ASSERT_FALSE(d.error()) << d.error()->message;
  ASSERT_NE(d.udp_port(), 0);
  ASSERT_NE(d.http_port(), 0);
  test::HttpClient http("http://127.0.0.1:" + std::to_string(d.http_port()));
  EXPECT_EQ(http.get("/healthz").status, 200);
  test::SseStream idle(d.http_port(), "/events?ticket=" + ticket(key_, users_.carol));
  ASSERT_EQ(idle.wait_status(), 200) << idle.head();
  EXPECT_TRUE(post_reaches_bob(d, key_, 41));
  d.stop();
  EXPECT_TRUE(d.loop_closed()) << "a libuv handle was left open";
  EXPECT_TRUE(idle.wait_closed(std::chrono::seconds(10)));  // shutdown closed the open stream
}

TEST_F(DaemonTest, ReloadTakesANewTrustedKey) {
  DaemonThread d(cfg_);
  ASSERT_FALSE(d.error()) << d.error()->message;
  const auto next = sign::SecretKey::generate();
  ASSERT_TRUE(sign::write_keypair(dir_.file("keys2"), next).ok());
  // The same trust file, now with the new key.
  std::filesystem::copy_file(dir_.file("keys2/uwitter.pub"), dir_.file("keys/uwitter.pub"),
                             std::filesystem::copy_options::overwrite_existing);
  d.reload();
  // A ticket and a datagram of the new key are accepted.
  EXPECT_TRUE(post_reaches_bob(d, next, 42));
  // The old key's tickets are not.
  test::HttpClient http("http://127.0.0.1:" + std::to_string(d.http_port()));
  EXPECT_EQ(http.get("/inbox?ticket=" + ticket(key_, users_.bob)).status, 403);
}

TEST_F(DaemonTest, AStartThatFailsIsAnErrorAndStillShutsDown) {
  Config no_trust = cfg_;
  no_trust.trust_files = {};  // nothing could ever verify
  {
    DaemonThread d(no_trust);
    ASSERT_TRUE(d.error());
    EXPECT_EQ(d.error()->code, "no_trust");
    d.stop();
    EXPECT_TRUE(d.loop_closed());
  }
  // A port in use.
  DaemonThread first(cfg_);
  ASSERT_FALSE(first.error()) << first.error()->message;
  Config same_port = cfg_;
  same_port.http = {"127.0.0.1", first.http_port()};
  DaemonThread second(same_port);
  ASSERT_TRUE(second.error());
  EXPECT_NE(second.error()->message.find(std::to_string(first.http_port())), std::string::npos)
      << second.error()->message;
  second.stop();
  EXPECT_TRUE(second.loop_closed());
}

}  // namespace
}  // namespace uw::notifier
