// uw::PgStore: inserting uweets, one (insert_uweet) or the writer's run of
// them together (insert_uweets; docs/STORAGE.md "Inserts in one pipeline").
//
// A batch of N inserts (N > 1) is one statement (kUweetInsertMany: the
// uweets as arrays, one executor run instead of N: a third of the server's
// time per uweet, docs/PERFORMANCE.md) in one round trip:
//   [queued savepoint statements] SAVEPOINT uw_batch; uw<kUweetInsertMany>;
//   RELEASE SAVEPOINT uw_batch; Sync
// Expected failures (unknown author or mention, a repeated idempotency key)
// are no errors for PostgreSQL: that uweet is left out of the answer and a
// few reads afterwards say why. A real error (anything else) fails the
// statement without saying which uweet caused it: the writer rolls back to
// uw_batch and sends the inserts again one statement each (kUweetInsert),
// still in one pipeline. A real error there aborts the rest of the pipeline:
// the writer rolls back to uw_batch, fails that insert alone and sends the
// others again; after kMaxPipelineRetries such errors in one batch the rest
// go one at a time, each in its own savepoint.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "core/rules.hpp"
#include "core/store/postgres/conn.hpp"
#include "core/store/postgres/store.hpp"

namespace uw {

using namespace pg;

namespace {

constexpr const char* kBatchSavepoint = "uw_batch";
constexpr const char* kOneSavepoint = "uw_insert";
// Real errors in one batch before the rest stop being pipelined (each costs
// a round trip and a resend of the batch).
constexpr int kMaxPipelineRetries = 3;

// The uweet in columns col..col+4 (id, author_id, username, text, created_at).
Uweet read_uweet(const Rows& r, int row, int col = 0) {
  return Uweet{r.i64(row, col), r.i64(row, col + 1), r.text(row, col + 2), r.text(row, col + 3),
               r.i64(row, col + 4)};
}

// What the CHECK constraints would refuse is refused here: a failing
// statement would abort the caller's transaction.
std::optional<Error> refuse(const NewUweet& u) {
  const auto chars = rules::utf8_length(u.text);
  if (!chars || u.text.find('\0') != std::string::npos) {
    return Error{422, "invalid_utf8", "A uweet is valid UTF-8 text."};
  }
  if (*chars < 1 || *chars > 141) return Error{422, "uweet_too_long", "A uweet has 1 to 141 characters."};
  if (u.idempotency_key &&
      (u.idempotency_key->find('\0') != std::string::npos || !rules::valid_utf8(*u.idempotency_key))) {
    return Error{422, "bad_idempotency_key", "An idempotency key is UTF-8 text."};
  }
  return std::nullopt;
}

// One insert's kUweetInsert parameters (and what they point into).
struct Prepared {
  const NewUweet* u = nullptr;
  size_t at = 0;                   // its place in the caller's list
  std::vector<int64_t> mentioned;  // sorted, unique
  std::vector<Param> params;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;

  Prepared(const NewUweet& nu, size_t index) : u(&nu), at(index), mentioned(nu.mentioned_user_ids) {
    std::sort(mentioned.begin(), mentioned.end());
    mentioned.erase(std::unique(mentioned.begin(), mentioned.end()), mentioned.end());
    std::string ids = "{";
    for (size_t i = 0; i < mentioned.size(); ++i) {
      if (i) ids += ',';
      ids += std::to_string(mentioned[i]);
    }
    ids += "}";
    const Param key = nu.idempotency_key ? Param(*nu.idempotency_key) : Param(std::nullopt);
    params = {nu.author_id, nu.text, nu.created_at, key, ids};
    for (const auto& p : params) {  // params is not changed after this: the pointers stay valid
      values.push_back(p.value ? p.value->c_str() : nullptr);
      lengths.push_back(p.value ? static_cast<int>(p.value->size()) : 0);
      formats.push_back(p.binary ? 1 : 0);
    }
  }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;
  Prepared(Prepared&&) = default;  // moves the strings' buffers along: the pointers stay valid
  Prepared& operator=(Prepared&&) = default;
};

// One statement of a pipeline: a prepared statement and its parameters
// (owned by the caller, alive until send_pipeline returns).
struct Statement {
  std::string name;
  const std::vector<const char*>* values;
  const std::vector<int>* lengths;
  const std::vector<int>* formats;
};

Statement insert_statement(const Prepared& p) {
  return Statement{fmt::format("uw{}", static_cast<int>(kUweetInsert)), &p.values, &p.lengths, &p.formats};
}

// An element of a text[] literal: quoted, with " and \ escaped (the text is
// UTF-8 without NUL: refuse() saw to it).
void append_quoted(std::string& out, std::string_view s) {
  out += '"';
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  out += '"';
}

// kUweetInsertMany's parameters for a batch: the uweets' columns as array
// literals, and every mention as (place from 1, user id).
struct Many {
  std::vector<std::string> params;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;

  explicit Many(const std::vector<Prepared>& todo) : params(6, "{") {
    for (size_t k = 0; k < todo.size(); ++k) {
      const NewUweet& u = *todo[k].u;
      const char* sep = k ? "," : "";
      params[0] += fmt::format("{}{}", sep, u.author_id);
      params[1] += sep;
      append_quoted(params[1], u.text);
      params[2] += fmt::format("{}{}", sep, u.created_at);
      params[3] += sep;
      if (u.idempotency_key) {
        append_quoted(params[3], *u.idempotency_key);
      } else {
        params[3] += "NULL";
      }
      for (int64_t id : todo[k].mentioned) {
        const char* msep = params[4].size() > 1 ? "," : "";
        params[4] += fmt::format("{}{}", msep, k + 1);
        params[5] += fmt::format("{}{}", msep, id);
      }
    }
    for (auto& p : params) {
      p += '}';
      values.push_back(p.c_str());
      lengths.push_back(static_cast<int>(p.size()));
      formats.push_back(0);
    }
  }
  Many(const Many&) = delete;
  Many& operator=(const Many&) = delete;

  Statement statement() const {
    return Statement{fmt::format("uw{}", static_cast<int>(kUweetInsertMany)), &values, &lengths, &formats};
  }
};

// The insert answered no row: nothing was inserted. Why (reads only, so the
// transaction stays usable): the author's idempotency key was used before
// (then that uweet is the answer, or 410 if it was deleted since), or the
// author or a mentioned user does not exist.
Result<Uweet> explain_no_row(PgStore::Conn& c, const Prepared& p) {
  const NewUweet& u = *p.u;
  if (u.idempotency_key) {
    auto first = c.run(kUweetByKey, {u.author_id, *u.idempotency_key}, "insert uweet: idempotency key");
    if (!first) return first.error();
    if (first->size() > 0) return read_uweet(*first, 0);
    auto gone = c.run(kTombstoneByKey, {u.author_id, *u.idempotency_key}, "insert uweet: deleted key");
    if (!gone) return gone.error();
    if (gone->size() > 0) return uweet_deleted_error(gone->i64(0, 0));
  }
  auto author = c.run(kUserById, {u.author_id}, "insert uweet: author");
  if (!author) return author.error();
  if (author->size() == 0) return Error{404, "no_such_user", fmt::format("No user with id {}.", u.author_id)};
  for (int64_t id : p.mentioned) {
    auto m = c.run(kUserById, {id}, "insert uweet: mention");
    if (!m) return m.error();
    if (m->size() == 0)
      return Error{404, "no_such_user", fmt::format("Mentioned user {} does not exist.", id)};
  }
  // Only a write committed between the insert and these reads gets here.
  return Error{503, "db_busy", "insert uweet: a concurrent write got in the way, try again", kRetryBusyS};
}

Result<Uweet> insert_one(PgStore::Conn& c, const Prepared& p) {
  auto r = c.run(kUweetInsert, p.params, "insert uweet");
  if (!r) return r.error();
  if (r->size() == 0) return explain_no_row(c, p);
  return read_uweet(*r, 0);
}

// What one pipeline of insert statements came to.
struct Sent {
  enum State { kAllRan, kInsertFailed, kBroken } state = kAllRan;
  std::vector<Rows> rows;  // kAllRan: one per statement
  size_t failed = 0;       // kInsertFailed: which statement
  std::optional<Error> error;
};

// Sends the queued savepoint statements, SAVEPOINT uw_batch (when
// with_savepoint), every statement of todo and RELEASE SAVEPOINT uw_batch in
// one pipeline with one Sync, and reads the answers. The connection is in
// pipeline mode when called, and out of it after.
Sent send_pipeline(PgStore::Conn& c, const std::vector<Statement>& todo, bool with_savepoint) {
  Sent out;
  std::vector<std::string> head = c.take_pending();
  if (with_savepoint) head.push_back(fmt::format("SAVEPOINT {}", kBatchSavepoint));
  const std::string release = fmt::format("RELEASE SAVEPOINT {}", kBatchSavepoint);
  const size_t total = head.size() + todo.size() + 1;
  size_t sent = 0;
  for (const auto& s : head) {
    if (PQsendQueryParams(c.pg, s.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) != 1) break;
    ++sent;
  }
  for (size_t k = 0; sent == head.size() + k && k < todo.size(); ++k) {
    const Statement& p = todo[k];
    if (PQsendQueryPrepared(c.pg, p.name.c_str(), static_cast<int>(p.values->size()), p.values->data(),
                            p.lengths->data(), p.formats->data(), 0) == 1)
      ++sent;
  }
  if (sent == total - 1 &&
      PQsendQueryParams(c.pg, release.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) == 1)
    ++sent;
  // Sync even after a failed send: what was sent gets its answers (or the
  // connection is gone and every read below ends at once).
  const bool synced = PQpipelineSync(c.pg) == 1;
  if (sent < total || !synced) {
    out.state = Sent::kBroken;
    out.error = c.error(nullptr, "insert uweets");
  }
  out.rows.resize(todo.size());
  std::optional<size_t> first_failed;
  // Each statement's result, then a NULL; those after a failed one are
  // PGRES_PIPELINE_ABORTED; then the Sync's. (Without a Sync the server
  // would not answer: nothing is read, and the connection is given up below.)
  const auto is_insert = [&](size_t q) { return q >= head.size() && q < head.size() + todo.size(); };
  for (size_t q = 0; synced && q < sent; ++q) {
    PGresult* res = PQgetResult(c.pg);
    if (res == nullptr) {  // the connection went
      if (!out.error) out.error = c.error(nullptr, "insert uweets");
      out.state = Sent::kBroken;
      break;
    }
    const auto st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
      if (is_insert(q)) {
        out.rows[q - head.size()] = Rows(res);
        res = nullptr;
      }
    } else if (st != PGRES_PIPELINE_ABORTED && !first_failed) {
      first_failed = q;
      out.error = c.error(res, is_insert(q) ? "insert uweet" : "savepoint");
    }
    PQclear(res);
    if (PGresult* end = PQgetResult(c.pg)) PQclear(end);  // the NULL that ends this statement's results
  }
  while (synced) {
    PGresult* res = PQgetResult(c.pg);
    if (res == nullptr) break;
    const bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
    PQclear(res);
    if (sync) break;
  }
  if (PQexitPipelineMode(c.pg) != 1 && !c.lost()) {
    // Answers still due that will not come: this connection cannot go on,
    // and its transaction is over (Conn::transaction_lost).
    log::error("store: insert uweets: the pipeline could not be ended; reconnecting");
    c.transaction_lost = true;
    (void)c.connect();
    out.state = Sent::kBroken;
    out.error = Error{503, "db_unavailable", "insert uweets: the database connection was reset; try again",
                      kRetryUnavailableS};
    return out;
  }
  if (c.lost()) {
    out.state = Sent::kBroken;
    out.error = c.error(nullptr, "insert uweets");
  } else if (out.state == Sent::kBroken && !first_failed) {
    // A send failed on a live connection: what did run must not commit
    // unanswered. (Had the SAVEPOINT not gone out, this fails, and the
    // transaction with it: the batch fails, which is just as safe.)
    c.pending += fmt::format("ROLLBACK TO SAVEPOINT {0};RELEASE SAVEPOINT {0};", kBatchSavepoint);
  } else if (out.state != Sent::kBroken && first_failed) {
    const size_t q = *first_failed;
    if (q >= head.size() && q < head.size() + todo.size()) {
      out.state = Sent::kInsertFailed;
      out.failed = q - head.size();
    } else {
      out.state = Sent::kBroken;  // a savepoint statement: the transaction is aborted
    }
  }
  return out;
}

// Each insert in a savepoint of its own, one round trip each (the savepoint
// statements travel with the next statement).
void one_at_a_time(PgStore::Conn& c, const std::vector<Prepared>& todo,
                   std::vector<std::optional<Result<Uweet>>>& out) {
  for (const auto& p : todo) {
    c.pending += fmt::format("SAVEPOINT {};", kOneSavepoint);
    out[p.at] = insert_one(c, p);
    if (!out[p.at]->ok() && !c.lost()) c.pending += fmt::format("ROLLBACK TO SAVEPOINT {};", kOneSavepoint);
    c.pending += fmt::format("RELEASE SAVEPOINT {};", kOneSavepoint);
  }
}

void fail_all(const std::vector<Prepared>& todo, std::vector<std::optional<Result<Uweet>>>& out,
              const Error& e) {
  for (const auto& p : todo) out[p.at] = e;
}

// The batch as one kUweetInsertMany (N > 1); when that fails, one
// kUweetInsert each, in one pipeline, retried without each one that fails.
void insert_pipelined(PgStore::Conn& c, std::vector<Prepared>& todo,
                      std::vector<std::optional<Result<Uweet>>>& out) {
  if (PQenterPipelineMode(c.pg) != 1) {
    one_at_a_time(c, todo, out);  // not possible now (libpq says the connection is busy)
    return;
  }
  bool have_savepoint = false;
  if (todo.size() > 1) {
    const Many many(todo);
    Sent s = send_pipeline(c, {many.statement()}, true);
    if (s.state == Sent::kAllRan) {
      // Each inserted uweet's row, by its place; the others inserted nothing.
      std::vector<int> row_of(todo.size(), -1);
      const Rows& r = s.rows[0];
      for (int row = 0; row < r.size(); ++row) {
        const int64_t place = r.i64(row, 0);
        if (place >= 1 && place <= static_cast<int64_t>(todo.size()))
          row_of[static_cast<size_t>(place - 1)] = row;
      }
      for (size_t k = 0; k < todo.size(); ++k) {
        out[todo[k].at] =
            row_of[k] >= 0 ? Result<Uweet>(read_uweet(r, row_of[k], 1)) : explain_no_row(c, todo[k]);
      }
      return;
    }
    if (s.state == Sent::kBroken) {
      fail_all(todo, out, *s.error);
      return;
    }
    // A real error, and PostgreSQL does not say whose: back to before the
    // batch, and one statement each to find it.
    log::warn("store: insert uweets: the batch's statement failed ({}); sending its {} inserts one by one",
              s.error->message, todo.size());
    if (auto r = c.exec(fmt::format("ROLLBACK TO SAVEPOINT {}", kBatchSavepoint), "insert uweets: roll back");
        !r) {
      fail_all(todo, out, r.error());
      return;
    }
    have_savepoint = true;
    if (PQenterPipelineMode(c.pg) != 1) {
      fail_all(todo, out, c.error(nullptr, "insert uweets"));
      return;
    }
  }
  for (int errors = 0;;) {
    std::vector<Statement> statements;
    statements.reserve(todo.size());
    for (const auto& p : todo) statements.push_back(insert_statement(p));
    Sent s = send_pipeline(c, statements, !have_savepoint);
    if (s.state == Sent::kAllRan) {
      for (size_t k = 0; k < todo.size(); ++k) {
        out[todo[k].at] =
            s.rows[k].size() > 0 ? Result<Uweet>(read_uweet(s.rows[k], 0)) : explain_no_row(c, todo[k]);
      }
      return;
    }
    if (s.state == Sent::kBroken) {
      fail_all(todo, out, *s.error);
      return;
    }
    // One insert failed: it alone fails; the others go back to before
    // the batch and are sent again.
    have_savepoint = true;
    out[todo[s.failed].at] = *s.error;
    todo.erase(todo.begin() + static_cast<std::ptrdiff_t>(s.failed));
    if (auto r = c.exec(fmt::format("ROLLBACK TO SAVEPOINT {}", kBatchSavepoint), "insert uweets: roll back");
        !r) {
      fail_all(todo, out, r.error());
      return;
    }
    if (todo.empty() || ++errors >= kMaxPipelineRetries) {
      c.pending += fmt::format("RELEASE SAVEPOINT {};", kBatchSavepoint);
      if (!todo.empty())
        log::warn("store: {} failed inserts in one batch; the rest go one at a time", errors);
      one_at_a_time(c, todo, out);
      return;
    }
    if (PQenterPipelineMode(c.pg) != 1) {
      fail_all(todo, out, c.error(nullptr, "insert uweets"));
      return;
    }
  }
}

}  // namespace

Result<Uweet> PgStore::insert_uweet(const NewUweet& u) {
  if (auto e = refuse(u)) return *e;
  return insert_one(*c_, Prepared(u, 0));
}

std::vector<Result<Uweet>> PgStore::insert_uweets(const std::vector<const NewUweet*>& us) {
  std::vector<std::optional<Result<Uweet>>> out(us.size());
  std::vector<Prepared> todo;
  todo.reserve(us.size());
  for (size_t i = 0; i < us.size(); ++i) {
    if (auto e = refuse(*us[i])) {
      out[i] = *e;
    } else {
      todo.emplace_back(*us[i], i);
    }
  }
  Conn& c = *c_;
  if (todo.empty()) {
    // nothing to send
  } else if (auto r = c.ensure(); !r) {
    fail_all(todo, out, r.error());
  } else {
    insert_pipelined(c, todo, out);
  }
  std::vector<Result<Uweet>> results;
  results.reserve(out.size());
  for (auto& r : out) {
    results.push_back(r ? std::move(*r)
                        : Result<Uweet>(Error{500, "db_error", "insert uweets: no answer for this insert"}));
  }
  return results;
}

}  // namespace uw
