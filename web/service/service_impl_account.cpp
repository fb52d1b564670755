// ServiceImpl: deleting an account (delete_account) and the password check
// it shares the login throttle with. The other account settings (profile,
// password) are in service_impl.cpp.
#include <sodium.h>

#include <memory>
#include <utility>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/rules.hpp"
#include "web/service/service_impl.hpp"

namespace uw::web {

void ServiceImpl::check_own_password(int64_t user_id, std::string password, const std::string& peer_ip,
                                     Done<Unit> then) {
  const CachedUser* cu = cache_.user(user_id);
  if (!cu) return then(Error{404, "no_such_user", "No such user."});
  const int64_t now = clock::now_s();
  std::string key = rules::username_key(cu->user.username);
  if (int64_t wait = throttle_.retry_after(key, peer_ip, now); wait > 0) {
    if (logins_throttled_) logins_throttled_->inc();
    return then(Error{429, "too_many_attempts",
                      "Too many wrong passwords; try again in " + std::to_string(wait) + " seconds.", wait});
  }
  if (password.size() > rules::kMaxPasswordBytes) password.resize(rules::kMaxPasswordBytes + 1);
  auto pw = std::make_shared<std::string>(std::move(password));
  pool_started();
  auth::verify_password(
      loop_, cu->password_hash, *pw,
      [this, pw, key = std::move(key), peer_ip, now, then = std::move(then)](auth::Verdict v) {
        sodium_memzero(pw->data(), pw->size());
        if (!v.ok) {
          throttle_.failure(key, peer_ip, now);
          journal(auth::Throttle::failure_line(key, peer_ip, now));
          share_login(true, key, peer_ip, now);
          then(Error{401, "wrong_password", "The password is wrong."});
        } else {
          then(Unit{});
        }
        pool_finished();
      });
}

void ServiceImpl::delete_account(const Viewer& v, std::string password, std::string peer_ip,
                                 Done<Unit> done) {
  if (!cache_.user(v.user_id)) return done(no_such_user(v.username));
  check_own_password(v.user_id, std::move(password), peer_ip,
                     [this, uid = v.user_id, done = std::move(done)](const Result<Unit>& ok) {
                       if (!ok) return done(ok.error());
                       const int64_t until = clock::now_s() + cfg_.name_reserved_s;
                       auto xid = std::make_shared<int64_t>(0);
                       writer_->call<DeletedAccount>(
                           [uid, now = clock::now_ms(), until, xid, feed = feed_ != nullptr](Store& s) {
                             auto d = s.delete_user(uid, now, until);
                             if (d && feed)
                               if (auto x = s.feed_xid(); x) *xid = x.value();
                             return d;
                           },
                           [this, xid, done](Result<DeletedAccount> r) {
                             if (!r) return done(r.error());
                             forget_account(r.value());
                             after_peers_applied(*xid, [done] { done(Unit{}); });
                           });
                     });
}

void ServiceImpl::forget_account(const DeletedAccount& d) {
  cache_.remove_user(d.user.id, d.follower_ids);
  if (accounts_deleted_) accounts_deleted_->inc();
  if (uweets_deleted_) uweets_deleted_->inc(d.uweet_ids.size());
  log::info("account deleted: user_id={} uweets={} followers={}", d.user.id, d.uweet_ids.size(),
            d.follower_ids.size());
  // The follow rows are gone, so the notifier cannot find the followers
  // itself: one delete per follower, naming no uweet (0 = every uweet of the
  // author). Coalesced, ~25 to a datagram.
  if (d.uweet_ids.empty()) return;
  const int64_t now = clock::now_ms();
  for (int64_t f : d.follower_ids) emit(sign::DeleteEvent{0, d.user.id, d.user.username, f, now});
}

}  // namespace uw::web
