// PgStore::Conn: connecting, resetting a lost connection, preparing and
// running statements, and what a failure becomes (postgres/conn.hpp).
#include "core/store/postgres/conn.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <cstdlib>
#include <cstring>

#include "core/log.hpp"
#include "core/store/postgres/schema.hpp"

namespace uw {
namespace pg {

int64_t Rows::i64(int row, int col) const {
  const char* v = PQgetvalue(r_, row, col);
  return v ? std::strtoll(v, nullptr, 10) : 0;
}

int64_t Rows::affected() const {
  const char* n = r_ ? PQcmdTuples(r_) : nullptr;
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

}  // namespace pg

namespace {
// Server notices ("text-search query doesn't contain lexemes", ...) are not
// errors; libpq would print them on stderr.
void drop_notice(void* /*arg*/, const char* /*message*/) {}

std::string one_line(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}
}  // namespace

Error PgStore::Conn::error(const PGresult* res, std::string_view what) {
  Error e;
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  if (lost() || (state && std::strncmp(state, "08", 2) == 0)) {  // connection exception
    // Clients see this: no URI in it (the log names the server).
    e = Error{503, "db_unavailable", fmt::format("{}: the database is unreachable; try again shortly", what),
              pg::kRetryUnavailableS};
  } else if (state && (std::strncmp(state, "40", 2) == 0 || std::strcmp(state, "55P03") == 0)) {
    // serialization failure, deadlock, lock timeout: worth a retry
    e = Error{503, "db_busy", fmt::format("{}: the database is busy, try again", what), pg::kRetryBusyS};
  } else if (state && std::strncmp(state, "57P", 3) == 0) {  // admin shutdown, cannot connect now
    e = Error{503, "db_unavailable", fmt::format("{}: the database is restarting; try again shortly", what),
              pg::kRetryUnavailableS};
  } else {
    const std::string msg = one_line(res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
    return Error{500, "db_error", fmt::format("{}: {}", what, msg)};
  }
  unavailable = e;
  return e;
}

bool PgStore::Conn::still_open() {
  // A few reads at most: the server's last words, then its end of the connection.
  for (int i = 0; i < 4 && !lost(); ++i) {
    pollfd p{PQsocket(pg), POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) break;  // nothing came: open as far as anyone can tell
    if (PQconsumeInput(pg) != 1) break;
  }
  return !lost();
}

bool PgStore::Conn::lost() const { return pg == nullptr || PQstatus(pg) != CONNECTION_OK; }

Result<Unit> PgStore::Conn::connect() {
  prepared = false;
  pending.clear();  // a transaction does not survive its connection
  if (in_transaction) transaction_lost = true;
  if (pg == nullptr) {
    const std::string timeout = std::to_string(connect_timeout_s);
    // TCP keepalives and a user timeout bound how long a statement can wait
    // on a server that vanished without closing the connection (a dead host
    // or network): about 5 + 3 x 2 s idle, 10 s with unacknowledged data.
    const char* keys[] = {"dbname",           "connect_timeout",  "fallback_application_name",
                          "keepalives",       "keepalives_idle",  "keepalives_interval",
                          "keepalives_count", "tcp_user_timeout", nullptr};
    const char* values[] = {uri.c_str(), timeout.c_str(), "uwitter", "1", "5", "2", "3", "10000", nullptr};
    pg = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  } else {
    PQreset(pg);
  }
  if (pg == nullptr) return Error{503, "db_unavailable", "cannot connect to PostgreSQL: out of memory"};
  if (PQstatus(pg) != CONNECTION_OK) {
    Error e{503, "db_unavailable",
            fmt::format("cannot connect to PostgreSQL at {}: {}", redacted, one_line(PQerrorMessage(pg))),
            pg::kRetryUnavailableS};
    unavailable = e;
    return e;
  }
  PQsetNoticeProcessor(pg, drop_notice, nullptr);
  // UTC and UTF-8 whatever the server's defaults; a reader never writes.
  std::string setup = "SET client_encoding = 'UTF8'; SET TIME ZONE 'UTC'";
  if (read_only) setup += "; SET default_transaction_read_only = on";
  // Checked by PgStore::open: [A-Za-z0-9_.-] only, so it can be quoted as is.
  if (!origin.empty()) setup += "; SET uw.origin = '" + origin + "'";
  ++generation;
  if (auto r = exec(setup, "session setup"); !r) return r;
  return Unit{};
}

Result<Unit> PgStore::Conn::ensure() {
  if (in_transaction && (transaction_lost || lost())) {
    transaction_lost = true;
    Error e{503, "db_unavailable", "the database connection was lost during this transaction; try again",
            pg::kRetryUnavailableS};
    unavailable = e;
    return e;
  }
  if (lost()) {
    // What a client is told while the server is away; the log says which
    // server and why (once per outage, not once per statement).
    const Error away{503, "db_unavailable", "the database is unreachable; try again shortly",
                     pg::kRetryUnavailableS};
    const auto now = std::chrono::steady_clock::now();
    if (down && now < next_attempt) {
      unavailable = away;  // tried a moment ago: answer at once
      return away;
    }
    if (!down) log::warn("store: the connection to {} was lost; reconnecting", redacted);
    if (auto r = connect(); !r) {
      if (!down) {
        log::error("store: {}; trying again every {} ms", r.error().message, pg::kReconnectInterval.count());
      }
      down = true;
      next_attempt = now + pg::kReconnectInterval;
      unavailable = away;
      return away;
    }
    down = false;
    log::info("store: reconnected to {}", redacted);
  }
  if (!prepared) {
    // Before a migration the tables may not exist yet; prepare then.
    if (store_pg_schema::current_version(pg) < store_pg_schema::latest_version()) return Unit{};
    for (int i = 0; i < pg::kStatementCount; ++i) {
      const std::string name = fmt::format("uw{}", i);
      PGresult* res = PQprepare(pg, name.c_str(), pg::sql(static_cast<pg::Id>(i)), 0, nullptr);
      if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        Error e = error(res, fmt::format("prepare statement {}", i));
        PQclear(res);
        return e;
      }
      PQclear(res);
    }
    prepared = true;
  }
  return Unit{};
}

Result<pg::Rows> PgStore::Conn::run(pg::Id id, const std::vector<pg::Param>& params, std::string_view what) {
  const std::string name = fmt::format("uw{}", static_cast<int>(id));
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  values.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p.value ? p.value->c_str() : nullptr);
    lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
    formats.push_back(p.binary ? 1 : 0);
  }
  // A read outside a transaction is safe to run again on a new connection; a
  // write is not (it may have committed before the connection went).
  const bool may_retry = !in_transaction && !lost() && PQtransactionStatus(pg) == PQTRANS_IDLE &&
                         std::strncmp(pg::sql(id), "SELECT", 6) == 0;
  for (int attempt = 0;; ++attempt) {
    if (auto r = ensure(); !r) return r.error();
    if (!pending.empty()) {
      // The savepoints before this statement and the statement itself, in
      // one round trip (pipeline mode).
      return run_after(take_pending(), name, values, lengths, formats, what);
    }
    PGresult* res = PQexecPrepared(pg, name.c_str(), static_cast<int>(params.size()), values.data(),
                                   lengths.data(), formats.data(), 0);
    const auto st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return pg::Rows(res);
    if (attempt == 0 && may_retry && lost()) {
      PQclear(res);
      continue;  // the server was restarted since the last statement: reconnect, run again
    }
    Error e = error(res, what);
    PQclear(res);
    return e;
  }
}

std::vector<std::string> PgStore::Conn::take_pending() {
  std::vector<std::string> statements;
  for (size_t start = 0; start < pending.size();) {
    const size_t end = pending.find(';', start);  // savepoint names are [A-Za-z0-9_]: no ';' inside
    statements.push_back(pending.substr(start, end - start));
    start = end == std::string::npos ? pending.size() : end + 1;
  }
  pending.clear();
  return statements;
}

Result<pg::Rows> PgStore::Conn::run_after(const std::vector<std::string>& statements, const std::string& name,
                                          const std::vector<const char*>& values,
                                          const std::vector<int>& lengths, const std::vector<int>& formats,
                                          std::string_view what) {
  if (PQenterPipelineMode(pg) != 1) {  // not possible now: one round trip more
    std::string before;
    for (const auto& st : statements) before += st + ";";
    if (auto r = exec(before, what); !r) return r.error();
    PGresult* res = PQexecPrepared(pg, name.c_str(), static_cast<int>(values.size()), values.data(),
                                   lengths.data(), formats.data(), 0);
    const auto st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) return pg::Rows(res);
    Error e = error(res, what);
    PQclear(res);
    return e;
  }
  bool sent = true;
  for (const auto& s : statements)
    sent = sent && PQsendQueryParams(pg, s.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
  sent = sent && PQsendQueryPrepared(pg, name.c_str(), static_cast<int>(values.size()), values.data(),
                                     lengths.data(), formats.data(), 0) == 1;
  sent = sent && PQpipelineSync(pg) == 1;
  std::optional<Error> failed;
  if (!sent) failed = error(nullptr, what);
  PGresult* kept = nullptr;
  // Each query's result, then NULL; a query after a failed one is
  // PGRES_PIPELINE_ABORTED; then the sync.
  for (size_t k = 0; sent && k <= statements.size(); ++k) {
    PGresult* res = PQgetResult(pg);
    if (res == nullptr) {  // the connection went
      if (!failed) failed = error(nullptr, what);
      break;
    }
    const auto st = PQresultStatus(res);
    const bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok && !failed) failed = error(res, what);
    if (ok && !failed && k == statements.size()) {
      kept = res;
    } else {
      PQclear(res);
    }
    if (PGresult* end = PQgetResult(pg)) PQclear(end);  // the NULL that ends this query's results
  }
  while (PGresult* res = PQgetResult(pg)) {
    const bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
    PQclear(res);
    if (sync) break;
  }
  (void)PQexitPipelineMode(pg);  // a lost connection leaves it on; PQreset turns it off
  if (failed) {
    PQclear(kept);
    return *failed;
  }
  return pg::Rows(kept);
}

Result<Unit> PgStore::Conn::exec(const std::string& sql, std::string_view what, std::string* tag) {
  std::string text;
  if (!pending.empty()) {
    std::swap(text, pending);
    text += sql;
  }
  PGresult* res = PQexec(pg, text.empty() ? sql.c_str() : text.c_str());
  const auto st = PQresultStatus(res);
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
    if (tag) *tag = PQcmdStatus(res);
    PQclear(res);
    return Unit{};
  }
  Error e = error(res, what);
  PQclear(res);
  return e;
}

}  // namespace uw
