// uwitter-web's command line: bad flags exit 2 with a one-line reason; --help
// and --version exit 0.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"

#ifdef UWITTER_WEB_BIN

namespace uw::test {

using kit::ChildProcess;
using kit::run;
using kit::TempDir;
namespace {

TEST(WebFlags, BadFlagsExitTwoWithAReason) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--listen", "nonsense"},
                                             {"--synchronous", "sometimes"},
                                             {"--no-such-flag"},
                                             {"--udp-copies", "0"},
                                             {"--html-cache", "0"},
                                             {"--html-cache", "many"}}) {
    std::vector<std::string> argv{UWITTER_WEB_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run(argv);
    EXPECT_EQ(r.status, 2) << args[0];
    EXPECT_FALSE(r.err.empty()) << args[0];
  }
}

TEST(WebFlags, HelpListsTheInterfaceFlagsAndVersionPrints) {
  auto h = run({UWITTER_WEB_BIN, "--help"});
  EXPECT_EQ(h.status, 0);
  for (const char* flag : {"--listen", "--data", "--notify", "--udp-copies", "--notifier-url", "--demo",
                           "--synchronous", "--max-body-bytes", "--access-log", "--allowed-origin"})
    EXPECT_NE(h.out.find(flag), std::string::npos) << flag;
  auto v = run({UWITTER_WEB_BIN, "--version"});
  EXPECT_EQ(v.status, 0);
  EXPECT_FALSE(v.out.empty());
}

TEST(WebFlags, FirstStartCreatesDataDirDatabaseAndKeys) {
  TempDir dir;
  ChildProcess p;
  std::string data = dir.file("nested/data");
  ASSERT_TRUE(p.start({UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", data}, dir.file("err.log")));
  ASSERT_TRUE(p.wait_listening()) << p.stderr_text();
  ASSERT_FALSE(p.lines().empty());
  EXPECT_EQ(p.lines()[0].rfind("listening http 127.0.0.1:", 0), 0u) << p.lines()[0];
  EXPECT_EQ(p.terminate(), 0);
  for (const char* f : {"/uwitter.db", "/keys/uwitter.key", "/keys/uwitter.pub"}) {
    FILE* fp = std::fopen((data + f).c_str(), "rb");
    EXPECT_NE(fp, nullptr) << f;
    if (fp) std::fclose(fp);
  }
}

}  // namespace
}  // namespace uw::test

#endif  // UWITTER_WEB_BIN
