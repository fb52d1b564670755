// uw::PgStore: deleting an account (delete_user) and the account deletion log.
#include <algorithm>

#include "core/log.hpp"
#include "core/store/postgres/conn.hpp"
#include "core/store/postgres/store.hpp"

namespace uw {

using namespace pg;

namespace {
constexpr int kMaxPageLimit = 1000;
}  // namespace

Result<DeletedAccount> PgStore::delete_user(int64_t user_id, int64_t now_ms, int64_t reserved_until_s) {
  auto user = user_by_id(user_id);
  if (!user) {
    if (auto down = take_unavailable()) return *down;
    return Error{404, "no_such_user", "No such user."};
  }
  auto r = c_->run(kAccountDelete, {user_id, now_ms, reserved_until_s}, "delete user");
  if (!r) return r.error();
  DeletedAccount out;
  out.user = std::move(*user);
  bool logged = false;
  for (int i = 0; i < r->size(); ++i) {
    const int64_t v = r->i64(i, 1);
    switch (r->i64(i, 0)) {
      case 0:
        out.seq = v;
        logged = true;
        break;
      case 1:
        out.uweet_ids.push_back(v);
        break;
      case 2:
        out.follower_ids.push_back(v);
        break;
      default:
        out.followee_ids.push_back(v);
        break;
    }
  }
  // Gone between the look-up and the delete (another instance deleted it).
  if (!logged) return Error{404, "no_such_user", "No such user."};
  for (auto* v : {&out.uweet_ids, &out.follower_ids, &out.followee_ids}) std::sort(v->begin(), v->end());
  return out;
}

std::vector<AccountDeletion> PgStore::account_deletions_after(int64_t after_seq, int limit) {
  std::vector<AccountDeletion> out;
  if (limit <= 0) return out;
  auto r = c_->run(kAccountDeletionsAfter, {after_seq, static_cast<int64_t>(std::min(limit, kMaxPageLimit))},
                   "account deletions after");
  if (!r) {
    log::error("store: {}", r.error().message);
    return out;
  }
  for (int i = 0; i < r->size(); ++i)
    out.push_back(AccountDeletion{r->i64(i, 0), r->i64(i, 1), r->text(i, 2), r->i64(i, 3), r->i64(i, 4)});
  return out;
}

}  // namespace uw
