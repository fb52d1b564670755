// web/http/notifiers.cpp: the --notifier-url list and the rendezvous order
// that names each user's notifier and its fallbacks.
#include "web/http/notifiers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace uw::web {
namespace {

TEST(NotifierUrls, ParsesACommaListDropsTrailingSlashesAndRepeats) {
  auto one = parse_notifier_urls("http://127.0.0.1:7701");
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, std::vector<std::string>{"http://127.0.0.1:7701"});
  auto list = parse_notifier_urls("http://a:1/,https://b:2//,http://a:1");
  ASSERT_TRUE(list);
  EXPECT_EQ(*list, (std::vector<std::string>{"http://a:1", "https://b:2"}));
  for (const char* bad : {"", "ftp://a", "http://a:1,", ",http://a:1", "http://", "a:1"}) {
    auto r = parse_notifier_urls(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, "bad_flag") << bad;
    }
  }
}

TEST(NotifierOrder, IsStableAPermutationAndIndependentOfTheListsOrder) {
  const std::vector<std::string> urls{"http://n1:7701", "http://n2:7701", "http://n3:7701"};
  std::vector<std::string> reversed(urls.rbegin(), urls.rend());
  for (int64_t user = 1; user <= 200; ++user) {
    auto order = notifier_order(urls, user);
    ASSERT_EQ(order.size(), urls.size());
    EXPECT_TRUE(std::is_permutation(order.begin(), order.end(), urls.begin()));
    EXPECT_EQ(order, notifier_order(urls, user));      // the same every time
    EXPECT_EQ(order, notifier_order(reversed, user));  // whatever order the flags gave
    EXPECT_GT(rendezvous_score(order[0], user), rendezvous_score(order[1], user));
  }
  // Pinned: every instance (and every build) must agree, so the hash is fixed.
  EXPECT_EQ(rendezvous_score("http://127.0.0.1:7701", 1), rendezvous_score("http://127.0.0.1:7701", 1));
  EXPECT_NE(rendezvous_score("http://127.0.0.1:7701", 1), rendezvous_score("http://127.0.0.1:7701", 2));
  EXPECT_TRUE(notifier_order({}, 7).empty());
}

TEST(NotifierOrder, SpreadsUsersAndMovesOnlyTheDeadNotifiersUsers) {
  const std::vector<std::string> urls{"http://n1:7701", "http://n2:7701", "http://n3:7701", "http://n4:7701"};
  std::map<std::string, int> held;
  const int users = 4000;
  for (int64_t user = 1; user <= users; ++user) ++held[notifier_order(urls, user).front()];
  for (const auto& u : urls) {
    EXPECT_GT(held[u], users / 4 * 8 / 10) << u;  // within 20 % of a quarter each
    EXPECT_LT(held[u], users / 4 * 12 / 10) << u;
  }
  // n2 gone: its users go to their second choice, nobody else moves; and the
  // second choice in the full order is exactly where the page falls back to.
  const std::vector<std::string> without{"http://n1:7701", "http://n3:7701", "http://n4:7701"};
  for (int64_t user = 1; user <= users; ++user) {
    const auto full = notifier_order(urls, user);
    const auto rest = notifier_order(without, user);
    if (full[0] != "http://n2:7701") {
      EXPECT_EQ(rest[0], full[0]) << user;
    } else {
      EXPECT_EQ(rest[0], full[1]) << user;
    }
  }
}

}  // namespace
}  // namespace uw::web
