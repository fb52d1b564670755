// bench/kit/pg_server.cpp: a throwaway PostgreSQL server on a free port that
// accepts connections once start() returns, keeps databases apart, keeps its
// data across stop() and start(), and is gone after stop().
#include "bench/kit/pg_server.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

namespace uw::kit {
namespace {

// The first column of the first row of `sql` on `uri`, or "ERROR: ..." .
std::string query1(const std::string& uri, const std::string& sql) {
  PGconn* c = PQconnectdb(uri.c_str());
  std::string out;
  if (PQstatus(c) != CONNECTION_OK) {
    out = std::string("ERROR: ") + PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
      out = PQgetvalue(r, 0, 0);
    else
      out = std::string("ERROR: ") + PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return out;
}

TEST(PgServer, StartsKeepsDatabasesApartAndSurvivesARestart) {
  ASSERT_FALSE(PgServer::bin_dir().empty()) << "PostgreSQL's server binaries are not installed";
  PgServer pg;
  ASSERT_TRUE(pg.start()) << pg.error();
  EXPECT_TRUE(pg.running());
  EXPECT_GT(pg.port(), 0);
  EXPECT_NE(pg.uri().find(":" + std::to_string(pg.port()) + "/postgres"), std::string::npos) << pg.uri();
  EXPECT_EQ(query1(pg.uri(), "SELECT 1"), "1");  // accepting at once
  EXPECT_EQ(query1(pg.uri(), "SHOW fsync"), "off");

  const std::string a = pg.create_database();
  const std::string b = pg.create_database("named");
  ASSERT_FALSE(a.empty()) << pg.error();
  ASSERT_FALSE(b.empty()) << pg.error();
  EXPECT_NE(a, b);
  EXPECT_NE(b.find("/named"), std::string::npos) << b;
  EXPECT_EQ(pg.create_database("named"), "");  // taken
  EXPECT_FALSE(pg.error().empty());

  EXPECT_EQ(pg.exec("named", "CREATE TABLE t(x int); INSERT INTO t VALUES (42)"), "");
  EXPECT_NE(pg.exec("named", "SELECT * FROM nowhere"), "");  // the error's text
  EXPECT_EQ(query1(b, "SELECT x FROM t"), "42");
  EXPECT_EQ(query1(a, "SELECT x FROM t").rfind("ERROR: ", 0), 0u);  // another database

  ASSERT_TRUE(pg.stop());
  EXPECT_FALSE(pg.running());
  EXPECT_EQ(PQping(pg.uri().c_str()), PQPING_NO_RESPONSE);
  ASSERT_TRUE(pg.start()) << pg.error();  // the same data directory and port
  EXPECT_EQ(query1(b, "SELECT x FROM t"), "42");
}

}  // namespace
}  // namespace uw::kit
