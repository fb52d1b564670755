// uw::Store::open and start_indexer: the one place that picks a backend from
// a --db target; the target helpers (is_postgres_target, redact_target); and
// the default Store::insert_uweets (one insert at a time, each in a savepoint).
#include "core/store/store.hpp"

#include <ctime>

#include "core/store/postgres/store.hpp"
#include "core/store/sqlite/indexer.hpp"
#include "core/store/sqlite/store.hpp"

namespace uw {

bool is_postgres_target(std::string_view target) {
  return target.starts_with("postgresql://") || target.starts_with("postgres://");
}

Error uweet_deleted_error(int64_t uweet_id) {
  return Error{409, "uweet_deleted",
               "This Idempotency-Key was used for uweet " + std::to_string(uweet_id) +
                   ", which has since been deleted; send a new key with a new uweet."};
}

Error username_reserved_error(std::string_view username, int64_t reserved_until_s) {
  const auto t = static_cast<time_t>(reserved_until_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char day[16];
  std::strftime(day, sizeof day, "%Y-%m-%d", &tm);
  return Error{409, "username_reserved",
               "The username '" + std::string(username) +
                   "' belonged to an account that was deleted; it can be registered again after " + day +
                   " (UTC)."};
}

std::string redact_target(std::string_view target) {
  if (!is_postgres_target(target)) return std::string(target);
  std::string out(target);
  // postgresql://user:secret@host/db: the userinfo ends at the last '@' before
  // the path ('@' may not appear unescaped in a password, but be generous).
  const size_t start = out.find("://") + 3;
  const size_t path = out.find_first_of("/?", start);
  const size_t at = out.rfind('@', path == std::string::npos ? std::string::npos : path);
  if (at != std::string::npos && at >= start) {
    const size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  // ...?password=secret&... in the query string.
  const size_t query = out.find('?');
  if (query != std::string::npos) {
    for (size_t p = query; p != std::string::npos && p < out.size(); p = out.find('&', p + 1)) {
      const size_t key = p + 1;
      if (out.compare(key, 9, "password=") == 0) {
        const size_t end = out.find('&', key);
        out.replace(key + 9, (end == std::string::npos ? out.size() : end) - key - 9, "***");
      }
    }
  }
  return out;
}

Result<std::unique_ptr<Store>> Store::open(const std::string& target, const Options& opts) {
  if (is_postgres_target(target)) {
    auto s = PgStore::open(target, opts);
    if (!s) return s.error();
    return std::unique_ptr<Store>(std::move(s.value()));
  }
  auto s = SqliteStore::open(target, opts);
  if (!s) return s.error();
  return std::unique_ptr<Store>(std::move(s.value()));
}

std::vector<Result<Uweet>> Store::insert_uweets(const std::vector<const NewUweet*>& us) {
  constexpr const char* kSavepoint = "uw_insert";
  std::vector<Result<Uweet>> out;
  out.reserve(us.size());
  for (const NewUweet* u : us) {
    if (auto sp = savepoint(kSavepoint); !sp) {
      out.emplace_back(sp.error());
      continue;
    }
    auto r = insert_uweet(*u);
    if (!r) rollback_to(kSavepoint);
    if (auto rel = release(kSavepoint); !rel && r) r = rel.error();
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::unique_ptr<SearchIndexer>> Store::start_indexer(const std::string& target, const Options& opts,
                                                            metrics::Registry* metrics) {
  if (is_postgres_target(target)) return std::unique_ptr<SearchIndexer>();  // indexed at insert
  Options o = opts;
  o.search = true;
  auto ix = Indexer::start(target, o, metrics);
  if (!ix) return ix.error();
  return std::unique_ptr<SearchIndexer>(std::move(ix.value()));
}

}  // namespace uw
