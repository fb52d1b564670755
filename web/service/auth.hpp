#pragma once
// uw::web::auth — password hashing off the loop, session tokens, and login
// throttling.
//
// Passwords: Argon2id through crypto_pwhash_str with the INTERACTIVE limits
// (~43 ms, 64 MiB), always on the libuv threadpool (uv_queue_work); completions
// run on the loop thread. Copies of passwords are wiped after use.
// Tokens: 256 random bits as base64url (43 characters); only their BLAKE2b-256
// hash is stored or kept in memory.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"

namespace uw::web::auth {

inline constexpr size_t kTokenBytes = 32;
inline constexpr size_t kTokenHashBytes = 32;

// Any thread. A fresh random session token (base64url, no padding).
std::string new_token();
// Any thread. The 32-byte BLAKE2b hash of a token (binary string).
std::string token_hash(std::string_view token);

// Loop thread. Hashes on the threadpool; done(hash) on the loop. Error 500 if
// libsodium fails (out of memory).
void hash_password(uv_loop_t* loop, std::string password, std::function<void(Result<std::string>)> done);

struct Verdict {
  bool ok = false;            // password matches
  bool needs_rehash = false;  // stored hash uses older parameters
};
// Loop thread. Verifies on the threadpool; done on the loop. An empty or
// malformed hash verifies as false (after spending the same work: callers
// pass dummy_hash() for unknown users).
void verify_password(uv_loop_t* loop, std::string hash, std::string password,
                     std::function<void(Verdict)> done);

// Any thread (computed once, synchronously, on first use: call it at start-up).
// A valid hash of a random password, verified against for unknown users so a
// login costs the same time whether or not the account exists.
const std::string& dummy_hash();

// Login throttling. Failures are counted per (account, address) pair and per
// address across accounts, within window_s: past max_per_account failures for
// a pair, that pair waits; past max_per_address failures from an address, every
// login from that address waits. So someone guessing a password slows only
// themselves: the owner, logging in from their own address, is never locked
// out by another address's failures, and spraying many accounts from one
// address is limited too. A good password clears its pair's failures (not the
// address's). Memory is bounded by pruning stale entries.
//
// The state survives a restart as a journal (ServiceImpl appends
// failure_line() / success_line() to DATA/login-throttle.state through a
// FileWriter, so the loop only formats a line), read back with restore() and
// rewritten compact, as snapshot(), at the next start. Timestamps are unix
// seconds, so a restored failure leaves the window when it would have.
// Loop thread only.
class Throttle {
 public:
  Throttle(int max_per_account, int max_per_address, int64_t window_s);
  // Seconds until a login for (account_key, ip) may be tried again; 0 = allowed now.
  int64_t retry_after(const std::string& account_key, const std::string& ip, int64_t now_s);
  void failure(const std::string& account_key, const std::string& ip, int64_t now_s);
  // A successful login clears the pair's failures (not the address's).
  // Returns whether there were any (then the journal needs a success_line).
  bool success(const std::string& account_key, const std::string& ip);

  // The journal: a header line, then one line per event ("f ACCOUNT ADDRESS
  // TIME" / "s ACCOUNT ADDRESS", both hex-encoded as keys are any bytes).
  static std::string_view journal_header();
  static std::string failure_line(const std::string& account_key, const std::string& ip, int64_t t);
  static std::string success_line(const std::string& account_key, const std::string& ip);
  // Every failure still inside the window as a journal (header included).
  std::string snapshot(int64_t now_s) const;
  // Replays a journal, keeping what is inside the window at now_s. An Error
  // (code "bad_throttle_state") on text it cannot read; nothing is restored
  // then.
  Result<Unit> restore(std::string_view text, int64_t now_s);
  size_t pairs() const { return pairs_.size(); }
  size_t addresses() const { return addresses_.size(); }

 private:
  using Book = std::unordered_map<std::string, std::deque<int64_t>>;
  static std::string pair_key(const std::string& account_key, const std::string& ip);
  int64_t wait_for(Book& book, const std::string& key, int max, int64_t now_s);
  void prune(Book& book, int64_t now_s);
  int max_account_, max_address_;
  int64_t window_s_;
  Book pairs_, addresses_;
};

}  // namespace uw::web::auth
