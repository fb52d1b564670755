// notifier-udp/config.cpp: every uwitter-notifier flag lands in its Config
// field, and bad values are refused (exit status 2) rather than defaulted.
#include "notifier-udp/config.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace uw::notifier {
namespace {

// Parses argv (after the program name) into a fresh Config; returns parse()'s status.
int parse(std::vector<std::string> args, Config* cfg) {
  Flags flags("uwitter-notifier", "test");
  register_flags(flags, cfg);
  args.insert(args.begin(), "uwitter-notifier");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return flags.parse(static_cast<int>(argv.size()), argv.data());
}

TEST(Config, DefaultsAreLoopbackAndDocumentedLimits) {
  Config c;
  ASSERT_EQ(parse({}, &c), 0);
  EXPECT_EQ(c.udp.host, "127.0.0.1");
  EXPECT_EQ(c.udp.port, 7700);
  EXPECT_EQ(c.http.port, 7701);
  EXPECT_TRUE(c.trust_files.empty());
  EXPECT_EQ(c.inbox, 50u);
}

TEST(Config, GoodFlagsSetTheirFields) {
  struct Case {
    std::vector<std::string> args;
    std::function<bool(const Config&)> holds;
  };
  const std::vector<Case> cases = {
      {{"--listen-udp", "0.0.0.0:9000"},
       [](const Config& c) { return c.udp.host == "0.0.0.0" && c.udp.port == 9000; }},
      {{"--listen-http", "127.0.0.1:0"}, [](const Config& c) { return c.http.port == 0; }},
      {{"--db", "/x/uwitter.db"}, [](const Config& c) { return c.db_path == "/x/uwitter.db"; }},
      {{"--trust", "a.pub", "--trust", "b.pub"},
       [](const Config& c) {
         return c.trust_files == std::vector<std::string>{"a.pub", "b.pub"};
       }},
      {{"--log-level", "debug"}, [](const Config& c) { return c.log_level == LogLevel::Debug; }},
      {{"--inbox", "7"}, [](const Config& c) { return c.inbox == 7; }},
      {{"--rcvbuf", "16MiB"}, [](const Config& c) { return c.rcvbuf == 16u << 20; }},
      {{"--sse-backlog", "8MiB"}, [](const Config& c) { return c.sse_backlog == 8u << 20; }},
      {{"--cors-origin", "http://a", "--cors-origin", "http://b"},
       [](const Config& c) { return c.cors_origins.size() == 2; }},
      {{"--heartbeat-ms", "250"}, [](const Config& c) { return c.heartbeat_ms == 250; }},
      {{"--max-age-ms", "1000"}, [](const Config& c) { return c.max_age_ms == 1000; }},
      {{"--max-subscribers", "3"}, [](const Config& c) { return c.max_subscribers == 3; }},
      {{"--deliveries-per-turn", "64"}, [](const Config& c) { return c.deliveries_per_turn == 64; }},
      {{"--allow", "127.0.0.0/8"}, [](const Config& c) { return !c.allow.empty(); }},
      {{"--verify-budget-us", "500"}, [](const Config& c) { return c.verify_budget_us == 500; }},
      {{"--verify-queue", "1024"}, [](const Config& c) { return c.verify_queue == 1024; }},
      {{"--session-starts-per-s", "2"}, [](const Config& c) { return c.session_starts_per_s == 2; }},
      {{"--session-starts-total-per-s", "50"},
       [](const Config& c) { return c.session_starts_total_per_s == 50; }},
  };
  for (const auto& k : cases) {
    Config c;
    EXPECT_EQ(parse(k.args, &c), 0) << k.args[0];
    EXPECT_TRUE(k.holds(c)) << k.args[0] << " " << k.args[1];
  }
}

TEST(Config, BadValuesAreRefused) {
  const std::vector<std::vector<std::string>> cases = {
      {"--listen-udp", "nohost"}, {"--listen-http", "127.0.0.1:99999"},
      {"--log-level", "loud"},    {"--inbox", "0"},
      {"--inbox", "many"},        {"--rcvbuf", "lots"},
      {"--allow", "300.0.0.0/8"}, {"--max-subscribers", "-1"},
      {"--no-such-flag", "x"},    {"--verify-budget-us", "0"},
      {"--verify-queue", "10"},   {"--session-starts-per-s", "0"},
  };
  for (const auto& args : cases) {
    Config c;
    EXPECT_EQ(parse(args, &c), 2) << args[0] << " " << args[1];
  }
}

}  // namespace
}  // namespace uw::notifier
