// web/service/service_impl_notifications.cpp in-process (service_fixture.hpp): the
// stored notification history read by a reader thread, decorated from the caches,
// and the read marker moved by the writer.
#include <gtest/gtest.h>

#include <string>

#include "tests/web/service/service_fixture.hpp"

namespace uw::web {
namespace {

using namespace test;

Result<NotificationList> history(Fixture& f, const User& u,
                                 std::optional<NotificationKey> before = std::nullopt, int limit = 20) {
  return await<NotificationList>(&f.l.loop,
                                 [&](auto d) { f.svc->notifications(f.viewer(u), before, limit, d); });
}

Result<NotificationKey> mark_read(Fixture& f, const User& u, NotificationKey up_to) {
  return await<NotificationKey>(&f.l.loop,
                                [&](auto d) { f.svc->mark_notifications_read(f.viewer(u), up_to, d); });
}

TEST(ServiceNotifications, HistoryHasFollowsMentionsAndFolloweesUweetsNewestFirstWithTheAuthorsName) {
  Fixture f;
  f.open();
  User ann = f.reg("ann"), bo = f.reg("bo");
  auto named = await<User>(&f.l.loop, [&](auto d) { f.svc->update_profile(f.viewer(ann), "Ann A.", "", d); });
  ASSERT_TRUE(named) << named.error().message;
  ASSERT_TRUE(await<bool>(&f.l.loop, [&](auto d) { f.svc->follow(f.viewer(bo), "ann", d); }));
  ASSERT_TRUE(f.post(ann, "hello @bo"));
  ASSERT_TRUE(f.post(ann, "plain words"));

  auto b = history(f, bo);
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_EQ(b->page.items.size(), 2u);
  EXPECT_EQ(b->page.items[0].kind, NotificationKind::uweet);
  ASSERT_TRUE(b->page.items[0].uweet);
  EXPECT_EQ(b->page.items[0].uweet->text, "plain words");
  EXPECT_EQ(b->page.items[0].uweet->author_display, "Ann A.") << "decorated from the cache";
  EXPECT_EQ(b->page.items[1].kind, NotificationKind::mention) << "a followee's mention is one mention";
  EXPECT_EQ(b->page.items[1].actor, "ann");
  EXPECT_EQ(b->unread, 2);
  EXPECT_EQ(b->read_upto, NotificationKey{});

  auto a = history(f, ann);
  ASSERT_TRUE(a);
  ASSERT_EQ(a->page.items.size(), 1u);
  EXPECT_EQ(a->page.items[0].kind, NotificationKind::follow);
  EXPECT_EQ(a->page.items[0].actor, "bo");
  EXPECT_FALSE(a->page.items[0].uweet);
}

TEST(ServiceNotifications, PagesAreClampedAndContinueWhereTheyEnded) {
  Fixture f;
  f.open();
  User cy = f.reg("cy"), di = f.reg("di");
  ASSERT_TRUE(await<bool>(&f.l.loop, [&](auto d) { f.svc->follow(f.viewer(di), "cy", d); }));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.post(cy, "uweet " + std::to_string(i)));
  auto none = history(f, di, std::nullopt, 0);  // below 1: one entry
  ASSERT_TRUE(none);
  ASSERT_EQ(none->page.items.size(), 1u);
  EXPECT_EQ(none->page.items[0].uweet->text, "uweet 2");
  ASSERT_TRUE(none->page.next_before);
  auto rest = history(f, di, none->page.next_before, 1000);  // above 100: clamped, all that is left
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->page.items.size(), 2u);
  EXPECT_EQ(rest->page.items[0].uweet->text, "uweet 1");
  EXPECT_EQ(rest->page.items[1].uweet->text, "uweet 0");
  EXPECT_FALSE(rest->page.next_before);
}

TEST(ServiceNotifications, TheReadMarkerMovesForwardOnlyAndCountsWhatIsNewer) {
  Fixture f;
  f.open();
  User ed = f.reg("ed"), flo = f.reg("flo");
  ASSERT_TRUE(await<bool>(&f.l.loop, [&](auto d) { f.svc->follow(f.viewer(flo), "ed", d); }));
  ASSERT_TRUE(f.post(ed, "first"));
  ASSERT_TRUE(f.post(ed, "second"));
  auto h = history(f, flo);
  ASSERT_TRUE(h);
  ASSERT_EQ(h->page.items.size(), 2u);
  const NotificationKey newest = h->page.items[0].key, older = h->page.items[1].key;

  auto m = mark_read(f, flo, older);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(*m, older);
  EXPECT_EQ(history(f, flo)->unread, 1);
  m = mark_read(f, flo, newest);
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, newest);
  auto after = history(f, flo);
  EXPECT_EQ(after->unread, 0);
  EXPECT_EQ(after->read_upto, newest);
  m = mark_read(f, flo, older);  // never back
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, newest);
  // A new uweet of a followee is unread again; the marker stays.
  ASSERT_TRUE(f.post(ed, "third"));
  auto again = history(f, flo);
  EXPECT_EQ(again->unread, 1);
  EXPECT_EQ(again->read_upto, newest);
}

}  // namespace
}  // namespace uw::web
