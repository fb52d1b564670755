// Tests of core/store/notifications.cpp: the cursor text of a
// NotificationKey, the uweet bound a key gives, and the merge of a page's two
// sources.
#include "core/store/notifications.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace uw::test {
namespace {

Notification at(int64_t pos, int64_t sub) {
  Notification n;
  n.key = NotificationKey{pos, sub};
  n.kind = sub == 0 ? NotificationKind::uweet : NotificationKind::follow;
  return n;
}

TEST(NotificationKeyText, RoundTripsAndRejectsOddInput) {
  EXPECT_EQ(notes::key_text({123, 0}), "123.0");
  EXPECT_EQ(notes::parse_key("123.7"), (NotificationKey{123, 7}));
  EXPECT_EQ(notes::parse_key(notes::key_text({0, 0})), (NotificationKey{0, 0}));
  for (const char* bad : {"", "1", "1.", ".1", "-1.0", "1.-1", "1.0.0", " 1.0", "1.0 ", "+1.0", "a.b",
                          "99999999999999999999.0", "1.99999999999999999999"}) {
    EXPECT_FALSE(notes::parse_key(bad).has_value()) << bad;
  }
}

TEST(NotificationKeyOrder, AFollowSitsJustAfterTheUweetItFollowed) {
  EXPECT_LT((NotificationKey{5, 0}), (NotificationKey{5, 1}));
  EXPECT_LT((NotificationKey{5, 9}), (NotificationKey{6, 0}));
  EXPECT_EQ(notes::uweet_upper_bound(std::nullopt), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(notes::uweet_upper_bound(NotificationKey{5, 0}), 5);  // uweet 5 is not below itself
  EXPECT_EQ(notes::uweet_upper_bound(NotificationKey{5, 2}), 6);  // but is below a follow after it
}

TEST(NotificationMerge, TakesTheNewestOfBothAndSaysWhereToGoOn) {
  auto page = notes::merge_page({at(7, 3), at(2, 1)}, {at(9, 0), at(7, 0), at(1, 0)}, 3);
  ASSERT_EQ(page.items.size(), 3u);
  EXPECT_EQ(page.items[0].key, (NotificationKey{9, 0}));
  EXPECT_EQ(page.items[1].key, (NotificationKey{7, 3}));
  EXPECT_EQ(page.items[2].key, (NotificationKey{7, 0}));
  ASSERT_TRUE(page.next_before.has_value());
  EXPECT_EQ(*page.next_before, (NotificationKey{7, 0}));

  auto last = notes::merge_page({at(2, 1)}, {at(1, 0)}, 3);
  EXPECT_EQ(last.items.size(), 2u);
  EXPECT_FALSE(last.next_before.has_value());
  auto exact = notes::merge_page({at(2, 1)}, {at(1, 0)}, 2);
  EXPECT_EQ(exact.items.size(), 2u);
  EXPECT_FALSE(exact.next_before.has_value());
  EXPECT_TRUE(notes::merge_page({}, {}, 5).items.empty());
}

}  // namespace
}  // namespace uw::test
