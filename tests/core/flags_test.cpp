// uw::Flags, parse_host_port and parse_size: tables of good and bad inputs.
#include "core/flags.hpp"

#include <gtest/gtest.h>

using namespace uw;

namespace {
// Owns argv strings for Flags::parse.
struct Argv {
  explicit Argv(std::vector<std::string> a) : args(std::move(a)) {
    for (auto& s : args) ptrs.push_back(s.data());
  }
  int argc() { return static_cast<int>(ptrs.size()); }
  char** argv() { return ptrs.data(); }
  std::vector<std::string> args;
  std::vector<char*> ptrs;
};

struct Parsed {
  int rc;
  bool exit_now;
  std::string listen;
  bool demo;
  std::vector<std::string> notify;
  std::vector<std::string> positional;
};

Parsed run(std::vector<std::string> args) {
  Flags f("prog", "A test program.");
  Parsed p{0, false, "default", false, {}, {}};
  f.value("listen", "HOST:PORT", "where to listen", [&](const std::string& v) -> uw::Result<uw::Unit> {
    if (!parse_host_port(v)) return uw::bad_value("expected HOST:PORT");
    p.listen = v;
    return uw::Unit{};
  });
  f.value("notify", "HOST:PORT", "repeatable", [&](const std::string& v) -> uw::Result<uw::Unit> {
    p.notify.push_back(v);
    return uw::Unit{};
  });
  f.toggle("demo", "fill with demo data", &p.demo);
  args.insert(args.begin(), "prog");
  Argv a(args);
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  p.rc = f.parse(a.argc(), a.argv());
  testing::internal::GetCapturedStdout();
  testing::internal::GetCapturedStderr();
  p.exit_now = f.exit_now();
  p.positional = f.positional();
  return p;
}
TEST(Flags, WholeNumberTextAndNumberFlags) {
  uint64_t n = 7;
  EXPECT_TRUE(whole_flag(&n, 1, 100)("42").ok());
  EXPECT_EQ(n, 42u);
  for (const char* bad : {"", "-1", "4x", " 4", "1e3"}) {
    auto r = whole_flag(&n, 1, 100)(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message, "not a whole number") << bad;
  }
  auto out = whole_flag(&n, 1, 100)("101");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "out of range 1..100");
  EXPECT_FALSE(whole_flag(&n)("99999999999999999999").ok()) << "more than 64 bits";
  EXPECT_EQ(n, 42u) << "refused values leave the target alone";
  int small = 0;
  EXPECT_TRUE(whole_flag<int>(&small, 0, 5)("5").ok());
  EXPECT_EQ(small, 5);
  EXPECT_FALSE(whole_flag<int>(&small, 0, 5)("6").ok());

  double d = 0;
  EXPECT_TRUE(number_flag(&d, 0, 1)("0.25").ok());
  EXPECT_DOUBLE_EQ(d, 0.25);
  EXPECT_FALSE(number_flag(&d, 0, 1)("1.5").ok());
  EXPECT_FALSE(number_flag(&d)("nan").ok());
  EXPECT_FALSE(number_flag(&d)("x").ok());
  EXPECT_DOUBLE_EQ(d, 0.25);

  std::string t = "old";
  EXPECT_TRUE(text_flag(&t)("new value").ok());
  EXPECT_EQ(t, "new value");
}

TEST(Flags, HostPortFlagParsesIntoItsTargetAndRefusesBadValues) {
  HostPort hp{"127.0.0.1", 1};
  FlagApply apply = host_port_flag(&hp);
  ASSERT_TRUE(apply("[::1]:8443").ok());
  EXPECT_EQ(hp.host, "::1");
  EXPECT_EQ(hp.port, 8443);
  auto bad = apply("nohost");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "expected HOST:PORT");
  EXPECT_EQ(hp.port, 8443) << "a refused value leaves the target alone";
}

}  // namespace

TEST(Flags, ParsesGoodCommandLines) {
  auto p = run({"--listen", "127.0.0.1:9000", "--demo", "--notify=a:1", "--notify", "b:2", "file"});
  EXPECT_EQ(p.rc, 0);
  EXPECT_FALSE(p.exit_now);
  EXPECT_EQ(p.listen, "127.0.0.1:9000");
  EXPECT_TRUE(p.demo);
  EXPECT_EQ(p.notify, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(p.positional, (std::vector<std::string>{"file"}));
  auto none = run({});
  EXPECT_EQ(none.rc, 0);
  EXPECT_EQ(none.listen, "default");
  EXPECT_FALSE(none.demo);
}

TEST(Flags, RejectsBadCommandLinesWithExitCode2) {
  const std::vector<std::vector<std::string>> bad = {
      {"--nope"},
      {"--listen"},               // missing value
      {"--listen", "localhost"},  // apply() refuses
      {"--listen=1.2.3.4:99999"},
      {"--demo=yes"},  // a toggle takes no value
  };
  for (const auto& args : bad) {
    auto p = run(args);
    EXPECT_EQ(p.rc, 2) << args[0];
    EXPECT_TRUE(p.exit_now) << args[0];
  }
}

TEST(Flags, HelpAndVersionExitZero) {
  for (const char* a : {"--help", "-h", "--version"}) {
    auto p = run({a});
    EXPECT_EQ(p.rc, 0) << a;
    EXPECT_TRUE(p.exit_now) << a;
  }
  Flags f("prog", "Summary line.");
  bool b = false;
  f.toggle("demo", "fill with demo data", &b);
  auto text = f.help_text();
  EXPECT_NE(text.find("Usage: prog"), std::string::npos);
  EXPECT_NE(text.find("--demo"), std::string::npos);
  EXPECT_NE(text.find("--version"), std::string::npos);
}

TEST(Flags, ParsesHostPort) {
  struct Case {
    std::string in;
    std::string host;
    uint16_t port;
  };
  const std::vector<Case> good = {
      {"127.0.0.1:8080", "127.0.0.1", 8080},
      {"0.0.0.0:0", "0.0.0.0", 0},
      {"localhost:65535", "localhost", 65535},
      {"[::1]:7701", "::1", 7701},
      {"[::]:1", "::", 1},
  };
  for (const auto& c : good) {
    auto hp = parse_host_port(c.in);
    ASSERT_TRUE(hp.has_value()) << c.in;
    EXPECT_EQ(hp->host, c.host) << c.in;
    EXPECT_EQ(hp->port, c.port) << c.in;
  }
  for (const char* bad :
       {"", ":80", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:8o", "::1:80",
        "[::1]80", "[::1]:", "[::1", "[]:80", "h:123456", "h:+80"})
    EXPECT_FALSE(parse_host_port(bad).has_value()) << bad;
}

TEST(Flags, ParsesSizes) {
  struct Case {
    std::string in;
    uint64_t v;
  };
  const std::vector<Case> good = {
      {"0", 0},
      {"1234", 1234},
      {"1B", 1},
      {"64KiB", 65536},
      {"2K", 2048},
      {"16MiB", 16u << 20},
      {"1GiB", 1ull << 30},
      {"18446744073709551615", UINT64_MAX},
  };
  for (const auto& c : good) EXPECT_EQ(parse_size(c.in), c.v) << c.in;
  for (const char* bad : {"", "K", "-1", "1.5MiB", "12 KiB", "1TiB", "18446744073709551616",
                          "99999999999999999999", "17179869184GiB", "1kib"})
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
}
