#include "web/service/auth.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>
#include <utility>

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

}  // namespace

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
  // '\n' appears in neither an address nor (after the login form's trimming
  // to 64 bytes, where it could) a real username key; it only has to separate.
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
  dirty_ = true;
}

void Throttle::success(const std::string& account_key, const std::string& ip) {
  if (pairs_.erase(pair_key(account_key, ip)) > 0) dirty_ = true;
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

constexpr std::string_view kStateHeader = "uwitter-login-throttle 1\n";

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
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = nibble(s[i]), lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

// Lines: "p <hex pair key> <t1>,<t2>,..." and "a <hex address> <t1>,...".
std::string Throttle::snapshot(int64_t now_s) {
  prune(pairs_, now_s);
  prune(addresses_, now_s);
  std::string out(kStateHeader);
  auto book = [&](char tag, const Book& b) {
    for (const auto& [key, times] : b) {
      out += tag;
      out += ' ';
      out += hex(key);
      char sep = ' ';
      for (int64_t t : times) {
        if (t <= now_s - window_s_) continue;
        out += sep;
        out += std::to_string(t);
        sep = ',';
      }
      out += '\n';
    }
  };
  book('p', pairs_);
  book('a', addresses_);
  dirty_ = false;
  return out;
}

Result<Unit> Throttle::restore(std::string_view text, int64_t now_s) {
  const auto bad = [](const std::string& why) {
    return Error{500, "bad_throttle_state", "login throttle state: " + why};
  };
  if (!text.starts_with(kStateHeader)) return bad("unknown header");
  text.remove_prefix(kStateHeader.size());
  Book pairs, addresses;
  size_t line_no = 1;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return bad(fmt::format("line {} is cut short", line_no));
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    const size_t sp1 = line.find(' '), sp2 = line.find(' ', sp1 == std::string_view::npos ? 0 : sp1 + 1);
    if (line.size() < 3 || (line[0] != 'p' && line[0] != 'a') || sp1 != 1 || sp2 == std::string_view::npos)
      return bad(fmt::format("line {} is not 'p|a KEY TIMES'", line_no));
    auto key = unhex(line.substr(2, sp2 - 2));
    if (!key) return bad(fmt::format("line {} has a bad key", line_no));
    std::deque<int64_t> times;
    std::string_view rest = line.substr(sp2 + 1);
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view num = rest.substr(0, comma);
      int64_t t = 0;
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), t);
      if (ec != std::errc() || p != num.data() + num.size())
        return bad(fmt::format("line {} has a bad time", line_no));
      if (t > now_s - window_s_) times.push_back(t);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    std::sort(times.begin(), times.end());
    if (!times.empty()) (line[0] == 'p' ? pairs : addresses)[std::move(*key)] = std::move(times);
  }
  pairs_ = std::move(pairs);
  addresses_ = std::move(addresses);
  dirty_ = false;
  return Unit{};
}

}  // namespace uw::web::auth
