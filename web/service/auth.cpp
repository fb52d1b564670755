#include "web/service/auth.hpp"

#include <sodium.h>

#include <algorithm>
#include <memory>
#include <utility>

namespace uw::web::auth {

namespace {

void wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
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

std::string hash_now(std::string_view password, bool* ok) {
  char out[crypto_pwhash_STRBYTES];
  *ok = crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
  return *ok ? std::string(out) : std::string();
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
  return std::max(wait_for(accounts_, account_key, max_account_, now_s),
                  wait_for(addresses_, ip, max_address_, now_s));
}

void Throttle::failure(const std::string& account_key, const std::string& ip, int64_t now_s) {
  if (accounts_.size() > 100'000) prune(accounts_, now_s);
  if (addresses_.size() > 100'000) prune(addresses_, now_s);
  accounts_[account_key].push_back(now_s);
  addresses_[ip].push_back(now_s);
}

void Throttle::success(const std::string& account_key) { accounts_.erase(account_key); }

void Throttle::prune(Book& book, int64_t now_s) {
  for (auto it = book.begin(); it != book.end();) {
    if (it->second.empty() || it->second.back() <= now_s - window_s_) {
      it = book.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace uw::web::auth
