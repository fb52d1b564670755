// bench/runner/ports.cpp and uwitter-bench's --port-base/--ports/--streams
// (issue 14 item 15): a range of its own instead of kernel-chosen ports, and a
// clear error, before anything starts, when the streams asked for do not fit.
#include "bench/runner/ports.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"

namespace uw::bench {
namespace {

// A TCP socket bound to 127.0.0.1 on a kernel-chosen port (held until destroyed).
struct Held {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  uint16_t port = 0;
  Held() {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Held() { ::close(fd); }
};

TEST(PortPool, HandsOutFreePortsOfItsRangeAndSkipsBoundOnes) {
  Held taken;
  PortPool pool(taken.port, 3);
  auto p = pool.take_free();
  ASSERT_TRUE(p);
  EXPECT_NE(*p, taken.port);
  EXPECT_GT(*p, taken.port);
  EXPECT_LT(*p, taken.port + 3);
  auto addr = pool.listen_address();
  ASSERT_TRUE(addr);
  EXPECT_EQ(addr->rfind("127.0.0.1:", 0), 0u);
  EXPECT_NE(*addr, "127.0.0.1:0");
  PortPool none;
  EXPECT_EQ(*none.listen_address(), "127.0.0.1:0");  // disabled: the kernel picks
  PortPool one(taken.port, 1);
  EXPECT_FALSE(one.take_free());  // the only port is bound
  EXPECT_EQ(one.range_text(), std::to_string(taken.port) + ".." + std::to_string(taken.port));
}

TEST(PortPool, TakeAnyStopsAfterOneLap) {
  PortPool pool(40000, 2);
  EXPECT_EQ(pool.take_any(), 40000);
  EXPECT_EQ(pool.take_any(), 40001);
  EXPECT_FALSE(pool.take_any());
  pool.reset_lap();
  EXPECT_EQ(pool.take_any(), 40000);
}

TEST(PortBudget, StreamsMustFitTheRangeOrTheEphemeralPorts) {
  EXPECT_TRUE(check_port_budget(100, PortPool(20000, 100 + kReservedPorts), 0));
  auto r = check_port_budget(100, PortPool(20000, 100), 0);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--ports"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("20000..20099"), std::string::npos) << r.error().message;
  EXPECT_TRUE(check_port_budget(1000, PortPool(), 28232));
  auto e = check_port_budget(30000, PortPool(), 28232);
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("--streams"), std::string::npos) << e.error().message;
  EXPECT_NE(e.error().message.find("--port-base"), std::string::npos) << e.error().message;
  EXPECT_TRUE(check_port_budget(30000, PortPool(), 0));  // unknown range: not checked
}

#if defined(UWITTER_BENCH_BIN) && defined(UWITTER_WEB_BIN) && defined(UWITTER_NOTIFIER_BIN) && \
    defined(UWITTER_LOSSY_BIN)
std::vector<std::string> bench_args(const kit::TempDir& dir) {
  return {
      UWITTER_BENCH_BIN,    "--quick",     "--only",         "drop",      "--users",       "12",
      "--uweets",           "30",          "--copies",       "1",         "--no-plot",     "--out",
      dir.file("out"),      "--work",      dir.file("work"), "--web-bin", UWITTER_WEB_BIN, "--notifier-bin",
      UWITTER_NOTIFIER_BIN, "--lossy-bin", UWITTER_LOSSY_BIN};
}

TEST(BenchPorts, TooFewPortsIsAClearErrorBeforeAnythingStarts) {
  kit::TempDir dir;
  auto args = bench_args(dir);
  args.insert(args.end(), {"--port-base", "40000", "--ports", "20", "--streams", "10"});
  auto r = kit::run(args, std::chrono::seconds(60));
  EXPECT_EQ(r.status, 3) << r.err;
  EXPECT_NE(r.err.find("raise --ports or lower --streams"), std::string::npos) << r.err;
  auto half = kit::run({UWITTER_BENCH_BIN, "--port-base", "40000"});
  EXPECT_EQ(half.status, 2) << half.err;
  const uint32_t eph = ephemeral_ports();
  if (eph > 0) {
    auto many = bench_args(dir);
    many[5] = std::to_string(eph + 1);  // --users: a stream each, more than the kernel's range
    auto m = kit::run(many, std::chrono::seconds(60));
    EXPECT_EQ(m.status, 3) << m.err;
    EXPECT_NE(m.err.find("ip_local_port_range"), std::string::npos) << m.err;
  }
}

// A run inside a range of its own: every daemon listens there and every stream
// connects from there (the base is a port the kernel just had free; the pool
// skips any of the range that is taken).
TEST(BenchPorts, RunsInsideItsOwnPortRange) {
  kit::TempDir dir;
  uint16_t base = 0;
  {
    Held probe;
    base = probe.port > 65535 - 200 ? static_cast<uint16_t>(probe.port - 200) : probe.port;
  }
  auto args = bench_args(dir);
  args.insert(args.end(), {"--port-base", std::to_string(base), "--ports", "200", "--streams", "8"});
  auto r = kit::run(args, std::chrono::seconds(200));
  ASSERT_EQ(r.status, 0) << r.err;
  auto points = nlohmann::json::parse(kit::read_file(dir.file("out") + "/points.json"), nullptr, false);
  ASSERT_TRUE(points.is_array()) << r.err;
  EXPECT_FALSE(points.empty());
  // The notifier listened inside the range.
  const std::string log = kit::read_file(dir.file("work") + "/notifier-events.log");
  const auto at = log.find("udp=127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << log;
  const int port = std::stoi(log.substr(at + 14, 5));
  EXPECT_GE(port, base);
  EXPECT_LT(port, base + 200);
}
#endif

}  // namespace
}  // namespace uw::bench
