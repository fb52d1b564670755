#include "web/service/auth.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace uw::web::auth {

namespace {

void wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

std::string hash_now(std::string_view password, bool* ok) {
  char out[crypto_pwhash_STRBYTES];
  *ok = crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
  return *ok ? std::string(out) : std::string();
}

// A threadpool job: `work` runs on a pool thread, `after` on the loop. The
// request lives inside the heap object freed in the after-work callback.
struct PoolJob {
  uv_work_t req{};
  std::function<void()> work;
  std::function<void()> after;
};

void run_on_pool(uv_loop_t* loop, std::function<void()> work, std::function<void()> after) {
  auto* job = new PoolJob;
  job->req.data = job;
  job->work = std::move(work);
  job->after = std::move(after);
  int rc = uv_queue_work(
      loop, &job->req, [](uv_work_t* r) { static_cast<PoolJob*>(r->data)->work(); },
      [](uv_work_t* r, int) {
        std::unique_ptr<PoolJob> j(static_cast<PoolJob*>(r->data));
        j->after();
      });
  if (rc != 0) {  // cannot happen for a live loop; run inline rather than lose the request
    job->work();
    std::unique_ptr<PoolJob> j(job);
    j->after();
  }
}

}  // namespace

std::string new_token() {
  unsigned char raw[kTokenBytes];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(kTokenBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return std::string(out);
}

std::string token_hash(std::string_view token) {
  std::string h(kTokenHashBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(h.data()), h.size(),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr, 0);
  return h;
}

void hash_password(uv_loop_t* loop, std::string password, std::function<void(Result<std::string>)> done) {
  auto st = std::make_shared<std::pair<std::string, bool>>();
  auto pw = std::make_shared<std::string>(std::move(password));
  run_on_pool(
      loop,
      [st, pw] {
        st->first = hash_now(*pw, &st->second);
        wipe(*pw);
      },
      [st, done = std::move(done)] {
        if (!st->second) {
          done(Error{500, "hash_failed", "Could not hash the password; please try again."});
        } else {
          done(std::move(st->first));
        }
      });
}

void verify_password(uv_loop_t* loop, std::string hash, std::string password,
                     std::function<void(Verdict)> done) {
  auto st = std::make_shared<Verdict>();
  auto in = std::make_shared<std::pair<std::string, std::string>>(std::move(hash), std::move(password));
  run_on_pool(
      loop,
      [st, in] {
        const std::string& h = in->first.empty() ? dummy_hash() : in->first;
        bool match = crypto_pwhash_str_verify(h.c_str(), in->second.data(), in->second.size()) == 0;
        st->ok = match && !in->first.empty();
        st->needs_rehash =
            st->ok && crypto_pwhash_str_needs_rehash(h.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                                     crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
        wipe(in->second);
      },
      [st, done = std::move(done)] { done(*st); });
}

const std::string& dummy_hash() {
  static const std::string h = [] {
    unsigned char raw[24];
    randombytes_buf(raw, sizeof raw);
    bool ok = false;
    std::string s = hash_now(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw), &ok);
    return s;
  }();
  return h;
}

Throttle::Throttle(int max_per_account, int max_per_address, int64_t window_s)
    : max_account_(max_per_account), max_address_(max_per_address), window_s_(window_s) {}

std::string Throttle::pair_key(const std::string& account_key, const std::string& ip) {
  // An address never holds '\n' (an account key may): the last one separates.
  return account_key + '\n' + ip;
}

int64_t Throttle::wait_for(Book& book, const std::string& key, int max, int64_t now_s) {
  auto it = book.find(key);
  if (it == book.end()) return 0;
  auto& q = it->second;
  while (!q.empty() && q.front() <= now_s - window_s_) q.pop_front();
  if (q.empty()) {
    book.erase(it);
    return 0;
  }
  if (static_cast<int>(q.size()) < max) return 0;
  // Allowed again once the oldest counted failure leaves the window.
  return std::max<int64_t>(1, q[q.size() - static_cast<size_t>(max)] + window_s_ - now_s);
}

int64_t Throttle::retry_after(const std::string& account_key, const std::string& ip, int64_t now_s) {
  return std::max(wait_for(pairs_, pair_key(account_key, ip), max_account_, now_s),
                  wait_for(addresses_, ip, max_address_, now_s));
}

void Throttle::failure(const std::string& account_key, const std::string& ip, int64_t now_s) {
  if (pairs_.size() > 100'000) prune(pairs_, now_s);
  if (addresses_.size() > 100'000) prune(addresses_, now_s);
  pairs_[pair_key(account_key, ip)].push_back(now_s);
  addresses_[ip].push_back(now_s);
}

bool Throttle::success(const std::string& account_key, const std::string& ip) {
  return pairs_.erase(pair_key(account_key, ip)) > 0;
}

void Throttle::prune(Book& book, int64_t now_s) {
  for (auto it = book.begin(); it != book.end();) {
    if (it->second.empty() || it->second.back() <= now_s - window_s_) {
      it = book.erase(it);
    } else {
      ++it;
    }
  }
}

namespace {

constexpr std::string_view kJournalHeader = "uwitter-login-throttle 2\n";

std::string hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> unhex(std::string_view s) {
  if (s.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// Splits a line into space-separated fields.
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const size_t sp = line.find(' ');
    out.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return out;
}

}  // namespace

std::string_view Throttle::journal_header() { return kJournalHeader; }

std::string Throttle::failure_line(const std::string& account_key, const std::string& ip, int64_t t) {
  return fmt::format("f {} {} {}\n", hex(account_key), hex(ip), t);
}

std::string Throttle::success_line(const std::string& account_key, const std::string& ip) {
  return fmt::format("s {} {}\n", hex(account_key), hex(ip));
}

// Start-up only (the compacted journal): pair failures carry the address
// failures too, so an address's failures that belong to no live pair (its
// pairs were cleared by a good password) are written as pairs with an
// account key no login can have ("\n"), which only feed the address's count.
std::string Throttle::snapshot(int64_t now_s) const {
  std::string out(kJournalHeader);
  std::unordered_map<std::string, size_t> covered;  // address -> failures written via its pairs
  for (const auto& [key, times] : pairs_) {
    const size_t nl = key.rfind('\n');
    const std::string account = key.substr(0, nl), ip = key.substr(nl + 1);
    for (int64_t t : times) {
      if (t <= now_s - window_s_) continue;
      out += failure_line(account, ip, t);
      ++covered[ip];
    }
  }
  for (const auto& [ip, times] : addresses_) {
    size_t live = 0;
    for (int64_t t : times) live += t > now_s - window_s_ ? 1 : 0;
    const size_t have = covered.count(ip) ? covered[ip] : 0;
    // Write the newest (live - have) address-only failures.
    size_t extra = live > have ? live - have : 0;
    for (auto it = times.rbegin(); it != times.rend() && extra > 0; ++it, --extra) {
      if (*it <= now_s - window_s_) break;
      out += failure_line("\n", ip, *it);
    }
  }
  return out;
}

Result<Unit> Throttle::restore(std::string_view text, int64_t now_s) {
  const auto bad = [](const std::string& why) {
    return Error{500, "bad_throttle_state", "login throttle state: " + why};
  };
  if (!text.starts_with(kJournalHeader)) return bad("unknown header");
  text.remove_prefix(kJournalHeader.size());
  Throttle t(max_account_, max_address_, window_s_);
  size_t line_no = 1;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    // A crash can cut the last line short: it is the only one that may be.
    if (nl == std::string_view::npos) break;
    const auto f = fields(text.substr(0, nl));
    text.remove_prefix(nl + 1);
    const bool fail = f.size() == 4 && f[0] == "f", ok = f.size() == 3 && f[0] == "s";
    if (!fail && !ok)
      return bad(fmt::format("line {} is neither 'f ACCOUNT ADDRESS TIME' nor 's ACCOUNT ADDRESS'", line_no));
    auto account = unhex(f[1]), ip = unhex(f[2]);
    if (!account || !ip) return bad(fmt::format("line {} has a bad key", line_no));
    if (ok) {
      t.success(*account, *ip);
      continue;
    }
    int64_t when = 0;
    auto [p, ec] = std::from_chars(f[3].data(), f[3].data() + f[3].size(), when);
    if (ec != std::errc() || p != f[3].data() + f[3].size())
      return bad(fmt::format("line {} has a bad time", line_no));
    if (when > now_s - window_s_) t.failure(*account, *ip, when);
  }
  for (Book* b : {&t.pairs_, &t.addresses_})
    for (auto& [k, q] : *b) std::sort(q.begin(), q.end());
  pairs_ = std::move(t.pairs_);
  addresses_ = std::move(t.addresses_);
  return Unit{};
}

}  // namespace uw::web::auth
