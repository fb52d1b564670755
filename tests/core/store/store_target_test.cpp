// Tests of core/store/store.cpp's target helpers: which backend a --db value
// names, and the redaction that keeps passwords out of logs, /metrics and errors.
#include <gtest/gtest.h>

#include "core/store/store.hpp"

namespace uw::test {
namespace {

TEST(StoreTarget, PostgresUrisPickPostgresAnythingElseIsASqliteFile) {
  EXPECT_TRUE(is_postgres_target("postgresql://u@h/db"));
  EXPECT_TRUE(is_postgres_target("postgres://h"));
  EXPECT_FALSE(is_postgres_target("data/uwitter.db"));
  EXPECT_FALSE(is_postgres_target(":memory:"));
  EXPECT_FALSE(is_postgres_target("postgresql.db"));
}

TEST(StoreTarget, RedactsPasswordsInUserinfoAndQuery) {
  EXPECT_EQ(redact_target("postgresql://uw:secret@db.example:5432/uwitter"),
            "postgresql://uw:***@db.example:5432/uwitter");
  EXPECT_EQ(redact_target("postgres://uw:p%40ss@h/d?sslmode=require"),
            "postgres://uw:***@h/d?sslmode=require");
  EXPECT_EQ(redact_target("postgresql://h/d?user=uw&password=secret&sslmode=require"),
            "postgresql://h/d?user=uw&password=***&sslmode=require");
  EXPECT_EQ(redact_target("postgresql://h/d?password=secret"), "postgresql://h/d?password=***");
  EXPECT_EQ(redact_target("postgresql://uw@h:5432/d"), "postgresql://uw@h:5432/d");  // no password
  EXPECT_EQ(redact_target("postgresql://h:5432/d"), "postgresql://h:5432/d");
  EXPECT_EQ(redact_target("postgresql://[::1]:5432/d"), "postgresql://[::1]:5432/d");
  EXPECT_EQ(redact_target("data/a:b@c.db"), "data/a:b@c.db");  // a file name, not a URI
}

}  // namespace
}  // namespace uw::test
