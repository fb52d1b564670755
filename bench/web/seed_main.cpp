// uwitter-seed: fills a fresh Uwitter database for the web benchmark.
// N users (user0..), `reader` follows `--follows` random users, M uweets spread
// over all users, committed in batches. Every user gets the same password hash
// (computed once) so the benchmark can log in as anyone.
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include "core/flags.hpp"
#include "core/store/store.hpp"

// A bench tool: an exception that ends it fails the run (terminate prints what()).
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  std::string db;
  long users = 10'000, uweets = 1'000'000, follows = 100;
  std::string password = "benchpassword";
  uw::Flags flags("uwitter-seed",
                  "Fills a new Uwitter database with users, follows and uweets for benchmarks.");
  auto num = [](long* out) {
    return [out](const std::string& v) -> uw::Result<uw::Unit> {
      try {
        *out = std::stol(v);
      } catch (...) {
        return uw::bad_value("not a number");
      }
      if (*out < 0) return uw::bad_value("must not be negative");
      return uw::Unit{};
    };
  };
  flags.value("db", "FILE|postgresql://...",
              "database to create (a new SQLite file or an empty PostgreSQL database)", uw::text_flag(&db));
  flags.value("users", "N", "users user0..userN-1 (default 10000)", num(&users));
  flags.value("uweets", "M", "uweets spread over all users (default 1000000)", num(&uweets));
  flags.value("follows", "F", "how many users `user0` follows (default 100)", num(&follows));
  if (int rc = flags.parse(argc, argv); flags.exit_now()) return rc;
  if (db.empty() || users < 2) {
    std::fprintf(stderr, "uwitter-seed: --db is required and --users must be at least 2\n");
    return 2;
  }
  if (follows > users - 1) {
    // user0 follows distinct others: at most users - 1 (more would never finish).
    std::fprintf(stderr, "uwitter-seed: --follows %ld: user0 can follow at most the %ld other users\n",
                 follows, users - 1);
    return 2;
  }
  if (sodium_init() < 0) return 1;
  auto opened = uw::Store::open(db, {});
  if (!opened) {
    std::fprintf(stderr, "uwitter-seed: %s\n", opened.error().message.c_str());
    return 1;
  }
  auto& store = *opened.value();
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hash, password.c_str(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return 1;
  auto t0 = std::chrono::steady_clock::now();
  std::mt19937_64 rng(42);
  const int64_t now_s = 1'700'000'000;
  auto batch = [&](long total, const auto& one) {
    for (long i = 0; i < total;) {
      if (!store.begin()) return false;
      for (long j = 0; j < 5000 && i < total; ++j, ++i)
        if (!one(i)) return false;
      if (!store.commit()) return false;
    }
    return true;
  };
  std::vector<int64_t> ids(static_cast<size_t>(users));
  bool ok = batch(users, [&](long i) {
    auto u = store.create_user("user" + std::to_string(i), hash, now_s);
    if (!u) return false;
    ids[static_cast<size_t>(i)] = u->id;
    return true;
  });
  std::uniform_int_distribution<size_t> pick(1, ids.size() - 1);
  ok = ok && batch(follows, [&](long) {
         for (;;) {
           auto r = store.follow(ids[0], ids[pick(rng)], now_s);
           if (!r) return false;
           if (r.value()) return true;  // retry on a repeat pick
         }
       });
  const std::string words[] = {"hello", "uwitter", "coffee", "libuv", "sqlite", "morning", "build", "ship"};
  std::uniform_int_distribution<size_t> word(0, 7);
  std::uniform_int_distribution<size_t> author(0, ids.size() - 1);
  ok = ok && batch(uweets, [&](long i) {
         uw::NewUweet u;
         u.author_id = ids[author(rng)];
         u.text = "uweet " + std::to_string(i) + " " + words[word(rng)] + " " + words[word(rng)] + " " +
                  words[word(rng)];
         u.created_at = now_s * 1000 + i;
         return static_cast<bool>(store.insert_uweet(u));
       });
  // The search index too, as the web app's indexer would have built it, so
  // the benchmark does not measure a web app still indexing in the background.
  while (ok) {
    auto n = store.index_pending(20000);
    if (!n) ok = false;
    if (!n || n.value() == 0) break;
  }
  if (!ok) {
    std::fprintf(stderr, "uwitter-seed: seeding failed\n");
    return 1;
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("seeded %ld users, %ld follows of user0, %ld uweets in %.1f s\n", users, follows, uweets, s);
  return 0;
}
