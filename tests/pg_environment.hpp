#pragma once
// One throwaway PostgreSQL server per test program (kit::PgServer), started
// on first use and stopped by a GoogleTest environment when the program's
// tests end (also when some failed). Tests that need PostgreSQL call
// shared_pg() and make a fresh database with create_database(). When the
// server binaries are missing, shared_pg() fails the calling test with a
// clear message (.ci/install-deps installs them); it never skips.
#include <gtest/gtest.h>

#include <memory>

#include "bench/kit/pg_server.hpp"

namespace uw::test {

class PgEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { server.reset(); }
  std::unique_ptr<kit::PgServer> server;
  std::string error;
};

inline PgEnvironment& pg_environment() {
  static PgEnvironment* env = [] {
    auto* e = new PgEnvironment;  // owned by GoogleTest from here on
    ::testing::AddGlobalTestEnvironment(e);
    return e;
  }();
  return *env;
}

// The program's server (started on the first call), or nullptr after adding
// a test failure that says why.
inline kit::PgServer* shared_pg() {
  PgEnvironment& env = pg_environment();
  if (!env.server && env.error.empty()) {
    auto s = std::make_unique<kit::PgServer>();
    if (s->start()) {
      env.server = std::move(s);
    } else {
      env.error = s->error();
    }
  }
  if (!env.server) ADD_FAILURE() << "no PostgreSQL server for this test: " << env.error;
  return env.server.get();
}

// A fresh database on the shared server ("" after adding a test failure).
inline std::string fresh_pg_database() {
  kit::PgServer* s = shared_pg();
  if (!s) return "";
  std::string uri = s->create_database();
  if (uri.empty()) ADD_FAILURE() << s->error();
  return uri;
}

}  // namespace uw::test
