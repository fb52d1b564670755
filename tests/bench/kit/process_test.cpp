// kit process handling with real child processes (/bin/sh): readiness lines,
// ports, stdout lines, exit statuses, signals, run() with its timeout, and a
// program that cannot be executed.
#include "bench/kit/process.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>

#include "bench/kit/temp_dir.hpp"

namespace uw::kit {
namespace {

using namespace std::chrono_literals;

TEST(ChildProcess, WaitsForListeningLinesAndRecordsPorts) {
  ChildProcess p;
  ASSERT_TRUE(p.start({"/bin/sh", "-c",
                       "echo starting; echo 'listening udp 127.0.0.1:4001'; "
                       "echo 'listening http 127.0.0.1:4002'; echo ready now; exec sleep 30"}))
      << p.error();
  EXPECT_EQ(p.name(), "sh");
  ASSERT_TRUE(p.wait_listening(2, 10s));
  EXPECT_EQ(p.port("udp"), 4001);
  EXPECT_EQ(p.port("http"), 4002);
  EXPECT_EQ(p.port("tcp"), 0);
  auto line = p.wait_line("ready", 10s);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(*line, "ready now");
  EXPECT_EQ(p.lines().front(), "starting");
  EXPECT_EQ(p.terminate(10s), 128 + SIGTERM);
  EXPECT_FALSE(p.running());
}

TEST(ChildProcess, ReportsExitCodesAndStderr) {
  TempDir dir;
  ChildProcess p;
  ASSERT_TRUE(p.start({"/bin/sh", "-c", "echo oops >&2; exit 3"}, dir.file("err.log")));
  EXPECT_FALSE(p.wait_listening(1, 10s)) << "exited without a listening line";
  EXPECT_EQ(p.wait_exit(10s), 3);
  EXPECT_EQ(p.stderr_text(), "oops\n");
  EXPECT_EQ(p.stderr_tail(3), "ps\n");
}

TEST(ChildProcess, WaitExitTimesOutOnARunningChildWhichTheDestructorKills) {
  pid_t pid = 0;
  {
    ChildProcess p;
    ASSERT_TRUE(p.start({"/bin/sh", "-c", "exec sleep 30"}));
    pid = p.pid();
    EXPECT_EQ(p.wait_exit(50ms), -1);
    EXPECT_TRUE(p.running());
    EXPECT_EQ(p.signal(0), 0);
  }
  EXPECT_NE(::kill(pid, 0), 0) << "the destructor reaped the child";
}

TEST(ChildProcess, AProgramThatCannotBeExecutedExits127) {
  ChildProcess p;
  ASSERT_TRUE(p.start({"/nonexistent/program"}));
  EXPECT_EQ(p.wait_exit(10s), 127);
}

// Each program is pinned by the kernel: it reads its own allowed CPUs.
TEST(ChildProcess, APinnedProgramRunsOnItsCpuOnlyAndTheNextStartIsPinnedToo) {
  ChildProcess p;
  p.pin_to_cpu(0);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(p.start({"/bin/sh", "-c", "grep Cpus_allowed_list /proc/self/status; exec sleep 30"}))
        << p.error();
    auto line = p.wait_line("Cpus_allowed_list", 10s);
    ASSERT_TRUE(line.has_value());
    EXPECT_EQ(line->substr(line->find(':') + 1), "\t0") << *line;
    EXPECT_EQ(p.signal(SIGKILL), 0);
    p.wait_exit(10s);
  }
}

// A CPU the machine does not have: the program does not run unpinned.
TEST(ChildProcess, PinnedToACpuThatDoesNotExistTheProgramExits127) {
  ChildProcess p;
  p.pin_to_cpu(1000);
  ASSERT_TRUE(p.start({"/bin/sh", "-c", "exit 0"}));
  EXPECT_EQ(p.wait_exit(10s), 127);
}

TEST(Run, CapturesBothStreamsAndTheStatus) {
  RunResult r = run({"/bin/sh", "-c", "echo out; echo err >&2; exit 5"}, 10s);
  EXPECT_EQ(r.status, 5);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(Run, KillsAProgramThatOverrunsItsTimeout) {
  auto start = std::chrono::steady_clock::now();
  RunResult r = run({"/bin/sh", "-c", "exec sleep 30"}, 200ms);
  EXPECT_EQ(r.status, -1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
}

TEST(ExitStatus, SignalsAre128PlusTheSignal) {
  pid_t pid = spawn({"/bin/sh", "-c", "kill -KILL $$"}, {});
  ASSERT_GT(pid, 0);
  auto st = wait_until(pid, std::chrono::steady_clock::now() + 10s);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(*st, 128 + SIGKILL);
}

}  // namespace
}  // namespace uw::kit
