// uwitter-insert-bench: the raw yardstick for POST /api/v1/uweets. Inserts
// uweets through the same Store (same schema, indexes, search) one row per
// transaction (BEGIN; insert; COMMIT), no HTTP, and prints
// "insert_rate <rows/s>" and "p99_ms <ms>" (per-transaction latency). Same
// durability settings as uwitter-web.
//
// --clients N runs N threads, each with its own connection and its own author,
// all inserting at once: on PostgreSQL the "50 concurrent libpq clients, one
// single-row INSERT per transaction" yardstick (docs/PERFORMANCE.md). SQLite
// has one writer at a time, so there it stays at 1.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/flags.hpp"
#include "core/store/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Client {
  std::unique_ptr<uw::Store> store;
  int64_t author = 0;
  std::vector<double> ms;  // each transaction's latency
  bool failed = false;
};

void insert_rows(Client& c, long rows, long first) {
  c.ms.reserve(static_cast<size_t>(rows));
  for (long i = 0; i < rows; ++i) {
    uw::NewUweet u;
    u.author_id = c.author;
    u.text = "benchmark uweet number " + std::to_string(first + i) + " with some ordinary words in it";
    u.created_at = 1'700'000'000'000 + first + i;
    const auto t0 = Clock::now();
    if (!c.store->begin() || !c.store->insert_uweet(u) || !c.store->commit()) {
      std::fprintf(stderr, "uwitter-insert-bench: insert failed at row %ld\n", first + i);
      c.failed = true;
      return;
    }
    c.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
}

}  // namespace

// A bench tool: an exception that ends it fails the run (terminate prints what()).
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  std::string db;
  long rows = 20'000;
  int clients = 1;
  uw::Flags flags("uwitter-insert-bench",
                  "Measures single-row-transaction uweet inserts into a fresh database.");
  flags.value("db", "FILE|postgresql://...", "database to create (SQLite file or PostgreSQL URI)",
              uw::text_flag(&db));
  flags.value("rows", "N", "rows to insert in all (default 20000)",
              uw::whole_flag<long>(&rows, 1, 100000000));
  flags.value("clients", "N",
              "concurrent connections, each its own thread (default 1; PostgreSQL only above 1)",
              uw::whole_flag<int>(&clients, 1, 500));
  if (int rc = flags.parse(argc, argv); flags.exit_now()) return rc;
  if (db.empty()) {
    std::fprintf(stderr, "uwitter-insert-bench: --db is required\n");
    return 2;
  }
  if (clients > 1 && !uw::is_postgres_target(db)) {
    std::fprintf(stderr,
                 "uwitter-insert-bench: --clients above 1 needs PostgreSQL (SQLite has one writer)\n");
    return 2;
  }
  // The same Store, schema and indexes as the web app's writer (which leaves
  // the search index to its indexer thread).
  uw::Store::Options o;
  o.search = false;
  std::vector<Client> cs(static_cast<size_t>(clients));
  for (int k = 0; k < clients; ++k) {
    auto opened = uw::Store::open(db, o);
    if (!opened) {
      std::fprintf(stderr, "uwitter-insert-bench: %s\n", opened.error().message.c_str());
      return 1;
    }
    cs[k].store = std::move(opened.value());
    auto user = cs[k].store->create_user("writer" + std::to_string(k), "x", 1);
    if (!user) {
      std::fprintf(stderr, "uwitter-insert-bench: %s\n", user.error().message.c_str());
      return 1;
    }
    cs[k].author = user->id;
  }
  const long each = std::max<long>(1, rows / clients);
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(clients));
  for (int k = 0; k < clients; ++k) threads.emplace_back([&, k] { insert_rows(cs[k], each, k * each); });
  for (auto& t : threads) t.join();
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (const auto& c : cs) {
    if (c.failed) return 1;
    all.insert(all.end(), c.ms.begin(), c.ms.end());
  }
  std::sort(all.begin(), all.end());
  const double p99 = all.empty() ? 0 : all[std::min(all.size() - 1, all.size() * 99 / 100)];
  std::printf("insert_rate %.0f\np99_ms %.2f\n", static_cast<double>(all.size()) / s, p99);
  return 0;
}
