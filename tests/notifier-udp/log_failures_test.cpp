// uwitter-notifier's log failing under it (its folder deleted, a SIGHUP that
// cannot reopen): said on stderr and in /metrics, and delivery goes on.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "tests/notifier-udp/notifier_harness.hpp"

#ifdef UWITTER_NOTIFIER_BIN

namespace uw::test {
namespace {

using namespace std::chrono_literals;

TEST(NotifierLog, FailuresAreSaidOnStderrAndInMetricsAndDeliveryGoesOn) {
  kit::TempDir logs_dir;
  const std::string folder = logs_dir.file("logs");
  std::filesystem::create_directories(folder);
  const std::string path = folder + "/notifier.log";
  NotifierHarness h({"--log-file", path});  // the later --log-file wins
  auto bob = h.stream(h.users.bob);
  EXPECT_EQ(h.metric_value("uwitter_notifier_log_ok"), 1);
  std::filesystem::remove_all(folder);
  // Debug level logs every delivery, so posts keep the log busy.
  int64_t id = 1000;
  auto post = [&](const std::string& text) { h.send({h.post(++id, text)}); };
  EXPECT_TRUE(eventually([&] {
    post("while the log is gone");
    return h.metric_value("uwitter_notifier_log_ok") == 0;
  })) << h.metrics();
  ASSERT_TRUE(bob->wait_event(
      [](const SseEvent& e) { return e.data.find("while the log is gone") != std::string::npos; }, 10s));
  h.proc->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] {
    return h.proc->stderr_text().find("cannot reopen " + path) != std::string::npos;
  })) << h.proc->stderr_text();
  EXPECT_GE(h.metric_value("uwitter_notifier_log_errors_total"), 2);  // the deletion, the failed reopen
  EXPECT_GT(h.metric_value("uwitter_notifier_log_lost_bytes_total"), 0);
  // The folder comes back: so does the log, without a restart or a signal.
  std::filesystem::create_directories(folder);
  EXPECT_TRUE(eventually([&] {
    post("with the log back");
    return h.metric_value("uwitter_notifier_log_ok") == 1;
  })) << h.metrics();
  std::string err = h.proc->stderr_text();
  EXPECT_NE(err.find("was deleted and cannot be created again"), std::string::npos) << err;
  EXPECT_NE(err.find("was deleted; opened again"), std::string::npos) << err;
  EXPECT_TRUE(eventually([&] { return kit::read_file(path).find("fanout") != std::string::npos; }))
      << kit::read_file(path);
  // No line anywhere claims the reopen that failed.
  EXPECT_EQ(kit::read_file(path).find("reopen log_file"), std::string::npos) << kit::read_file(path);
  EXPECT_EQ(err.find("reopen log_file"), std::string::npos) << err;
}

}  // namespace
}  // namespace uw::test

#endif
