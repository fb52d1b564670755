// web/service/service_impl_reads.cpp in-process (service_fixture.hpp): pages past
// the caches from the readers, and the demo seed.
#include <gtest/gtest.h>

#include <string>

#include "tests/web/service/service_fixture.hpp"

namespace uw::web {
namespace {

using namespace test;

TEST(Service, DeepPagesFallBackToReadersAndAgreeWithTheCache) {
  Fixture f;
  CacheTuning t;
  t.per_author = 4;
  t.public_ring = 4;
  t.warm_per_author = 2;
  f.open(t);
  User erin = f.reg("erin");
  for (int i = 0; i < 11; ++i) ASSERT_TRUE(f.post(erin, "uweet " + std::to_string(i)));
  std::vector<std::string> seen;
  std::optional<int64_t> before;
  for (int pages = 0; pages < 10; ++pages) {
    auto p = f.home(erin, before, 3);
    for (auto& u : p.items) seen.push_back(u.text);
    if (!p.next_before) break;
    before = p.next_before;
  }
  ASSERT_EQ(seen.size(), 11u);
  EXPECT_EQ(seen.front(), "uweet 10");
  EXPECT_EQ(seen.back(), "uweet 0");
}

TEST(Service, DemoSeedFillsOnlyAnEmptyDatabase) {
  Fixture f;
  f.open();
  auto r = await<Unit>(&f.l.loop, [&](auto d) { f.svc->seed_demo(d); });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(f.svc->cache().user_count(), 4u);
  auto pub = await<Page<Uweet>>(&f.l.loop, [&](auto d) { f.svc->public_timeline(std::nullopt, 100, d); });
  ASSERT_TRUE(pub);
  EXPECT_EQ(pub->items.size(), 20u);
  auto again = await<Unit>(&f.l.loop, [&](auto d) { f.svc->seed_demo(d); });
  ASSERT_TRUE(again);
  EXPECT_EQ(f.svc->cache().user_count(), 4u);
  ASSERT_TRUE(f.login("alice", "password123"));
}

}  // namespace
}  // namespace uw::web
