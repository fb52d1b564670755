// uwitter-keygen as a real process: flags, the files it writes, their modes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "sign/keys.hpp"

namespace uw::sign {
namespace {

#ifdef UWITTER_KEYGEN_BIN
using uw::kit::run;

TEST(Keygen, WritesAKeyPairWithA0600Secret) {
  uw::kit::TempDir tmp;
  std::string dir = tmp.file("k");
  auto r = run({UWITTER_KEYGEN_BIN, "--out", dir});
  ASSERT_EQ(r.status, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat((dir + "/uwitter.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  auto key = load_secret_key(dir + "/uwitter.key");
  ASSERT_TRUE(key.ok()) << key.error().message;
  // stdout is the pasteable line, with the key id, for the same key.
  std::string line = r.out.substr(0, r.out.find('\n'));
  EXPECT_EQ(line, format_public_key(key->public_key()));
  EXPECT_NE(line.find("id=" + hex(key->id())), std::string::npos);
  auto parsed = parse_public_key(line);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, key->public_key());
}

TEST(Keygen, RefusesToOverwriteAndTheSecretIsRefusedOnceGroupReadable) {
  uw::kit::TempDir tmp;
  std::string dir = tmp.file("k");
  ASSERT_EQ(run({UWITTER_KEYGEN_BIN, "--out=" + dir}).status, 0);
  auto again = run({UWITTER_KEYGEN_BIN, "--out", dir});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find("uwitter.key"), std::string::npos) << again.err;
  ASSERT_EQ(::chmod((dir + "/uwitter.key").c_str(), 0640), 0);
  EXPECT_FALSE(load_secret_key(dir + "/uwitter.key").ok());
}

TEST(Keygen, HelpVersionAndBadFlags) {
  auto help = run({UWITTER_KEYGEN_BIN, "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--out DIR"), std::string::npos);
  auto ver = run({UWITTER_KEYGEN_BIN, "--version"});
  EXPECT_EQ(ver.status, 0);
  EXPECT_NE(ver.out.find("uwitter-keygen "), std::string::npos);
  struct Case {
    std::vector<std::string> args;
  };
  std::vector<Case> bad = {{{}}, {{"--bogus"}}, {{"--out"}}, {{"--out="}}, {{"extra"}}};
  for (const auto& c : bad) {
    std::vector<std::string> argv{UWITTER_KEYGEN_BIN};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    auto r = run(argv);
    EXPECT_EQ(r.status, 2) << (c.args.empty() ? "(none)" : c.args[0]);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one-line error: " << r.err;
    EXPECT_TRUE(r.out.empty());
  }
}
#endif

}  // namespace
}  // namespace uw::sign
