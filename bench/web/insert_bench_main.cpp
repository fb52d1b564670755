// uwitter-insert-bench: the raw SQLite yardstick for POST /api/v1/uweets.
// Inserts uweets through the same Store (same schema, indexes, FTS) one row per
// transaction (BEGIN IMMEDIATE; insert; COMMIT), single thread, no HTTP, and
// prints "insert_rate <rows/s>". Same durability settings as uwitter-web.
#include <chrono>
#include <cstdio>
#include <string>

#include "core/flags.hpp"
#include "core/store/store.hpp"

// A bench tool: an exception that ends it fails the run (terminate prints what()).
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  std::string db;
  long rows = 20'000;
  uw::Flags flags("uwitter-insert-bench",
                  "Measures single-row-transaction uweet inserts into a fresh database.");
  flags.value("db", "FILE|postgresql://...", "database to create (SQLite file or PostgreSQL URI)",
              uw::text_flag(&db));
  flags.value("rows", "N", "rows to insert (default 20000)", uw::whole_flag<long>(&rows, 1, 100000000));
  if (int rc = flags.parse(argc, argv); flags.exit_now()) return rc;
  if (db.empty()) {
    std::fprintf(stderr, "uwitter-insert-bench: --db is required\n");
    return 2;
  }
  // The same Store, schema and indexes as the web app's writer (which leaves
  // the search index to its indexer thread).
  uw::Store::Options o;
  o.search = false;
  auto opened = uw::Store::open(db, o);
  if (!opened) {
    std::fprintf(stderr, "uwitter-insert-bench: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto& store = *opened.value();
  auto user = store.create_user("writer", "x", 1);
  if (!user) return 1;
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < rows; ++i) {
    uw::NewUweet u;
    u.author_id = user->id;
    u.text = "benchmark uweet number " + std::to_string(i) + " with some ordinary words in it";
    u.created_at = 1'700'000'000'000 + i;
    if (!store.begin() || !store.insert_uweet(u) || !store.commit()) {
      std::fprintf(stderr, "uwitter-insert-bench: insert failed at row %ld\n", i);
      return 1;
    }
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("insert_rate %.0f\n", static_cast<double>(rows) / s);
  return 0;
}
