// The kernel's own drop count for the notifier's UDP socket (SO_RXQ_OVFL, read
// from the control message of each datagram) reported as
// uwitter_notifier_kernel_drops_total: a real notifier is stopped (SIGSTOP),
// its port flooded until the kernel must drop, resumed, and the metric held
// against /proc/net/udp and against sent - received.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>

#include "notifier-udp/ingest.hpp"
#include "tests/notifier-udp/notifier_harness.hpp"
#include "tests/notifier-udp/proc_net_udp.hpp"

namespace uw::test {
namespace {

using namespace std::chrono_literals;

TEST(ProcNetUdp, ReadsTheDropsColumnOfTheSocketsInode) {
  const std::string table =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref "
      "pointer drops\n"
      "  100: 0100007F:1E14 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 12345 2 "
      "0000000000000000 0\n"
      "  101: 0100007F:1E15 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 67890 2 "
      "0000000000000000 17\n";
  EXPECT_EQ(drops_in_table(table, 67890), std::optional<uint64_t>(17));
  EXPECT_EQ(drops_in_table(table, 12345), std::optional<uint64_t>(0));
  EXPECT_EQ(drops_in_table(table, 1), std::nullopt);
  EXPECT_EQ(drops_in_table("garbage", 1), std::nullopt);
}

TEST(KernelDrops, OverflowCounterDifferencesSurviveWrapAround) {
  struct Case {
    uint32_t last, now, dropped;
  };
  const Case cases[] = {
      {0, 0, 0},
      {0, 5, 5},
      {5, 5, 0},
      {100, 4100, 4000},
      {0xFFFFFFF0u, 5, 21},
      {0xFFFFFFFFu, 0, 1},
      {0, 0xFFFFFFFFu, 0xFFFFFFFFu},
  };
  for (const auto& c : cases)
    EXPECT_EQ(notifier::overflow_delta(c.last, c.now), c.dropped) << c.last << " -> " << c.now;
}

#ifdef UWITTER_NOTIFIER_BIN

// Process state letter from /proc/<pid>/stat ('T' = stopped).
char process_state(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() ? stat[close + 2] : '?';
}

TEST(KernelDrops, CountsWhatTheKernelDroppedWhileTheNotifierWasStopped) {
  // A small receive buffer, so a few dozen queued datagrams fill it.
  NotifierHarness h({"--rcvbuf", "16KiB"});
  uint64_t inode = 0;
  for (uint64_t i : socket_inodes(h.proc->pid()))
    if (udp_drops(i)) inode = i;
  ASSERT_NE(inode, 0u) << "no UDP socket found in /proc/" << h.proc->pid() << "/fd";
  ASSERT_EQ(*udp_drops(inode), 0u);
  ASSERT_EQ(h.metric_value("uwitter_notifier_kernel_drops_total"), 0);

  ASSERT_EQ(h.proc->signal(SIGSTOP), 0);
  ASSERT_TRUE(eventually([&] { return process_state(h.proc->pid()) == 'T'; }));
  // Flood with valid datagrams until the kernel has dropped plenty.
  uint64_t sent = 0;
  while (*udp_drops(inode) < 500 && sent < 200000) {
    for (int i = 0; i < 100; ++i) {
      h.send({sign::FollowEvent{h.users.carol, "carol", h.users.bob, now_ms()}});
      ++sent;
    }
  }
  ASSERT_GE(*udp_drops(inode), 500u) << sent << " datagrams sent";
  ASSERT_EQ(h.proc->signal(SIGCONT), 0);

  // The counter rides on datagrams queued after the drops: send a marker at a
  // time until every datagram is accounted for (received or dropped) and the
  // metric has caught up with the kernel's figure.
  double received = 0, counted = 0;
  uint64_t proc = 0;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  bool settled = false;
  while (!settled && std::chrono::steady_clock::now() < deadline) {
    h.send({sign::FollowEvent{h.users.carol, "carol", h.users.bob, now_ms()}});
    ++sent;
    settled = eventually(
        [&] {
          auto m = h.metrics();
          received = metric(m, "uwitter_notifier_received_total");
          counted = metric(m, "uwitter_notifier_kernel_drops_total");
          proc = *udp_drops(inode);
          return static_cast<uint64_t>(received) + proc == sent && static_cast<uint64_t>(counted) == proc;
        },
        500ms);
  }
  EXPECT_TRUE(settled) << "sent " << sent << ", received " << received << ", /proc/net/udp drops " << proc
                       << ", metric " << counted;
  EXPECT_GE(counted, 500);
  // Everything the kernel handed over was verified (a verify may follow its
  // read by a loop turn or two: datagrams wait in the verify queue), and the
  // drops were logged.
  EXPECT_TRUE(eventually([&] { return h.metric_value("uwitter_notifier_verified_total") == received; }))
      << "received " << received << "\n"
      << h.metrics();
  EXPECT_EQ(h.metric_value("uwitter_notifier_verified_total"), received);
  EXPECT_TRUE(eventually([&] { return h.log_text().find("kernel_drops dropped=") != std::string::npos; }))
      << h.log_text().substr(0, 2000);
}

#endif  // UWITTER_NOTIFIER_BIN

}  // namespace
}  // namespace uw::test
