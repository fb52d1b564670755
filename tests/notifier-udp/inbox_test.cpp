#include "notifier-udp/inbox.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/rules.hpp"

namespace uw::notifier {
namespace {

std::shared_ptr<const Note> note(uint64_t id) {
  sign::FollowView f{7, "carol", 2, 1000};
  return make_note(id, f, 0);
}

TEST(Inboxes, KeepsTheNewestNNewestFirst) {
  Inboxes in(3);
  for (uint64_t id = 1; id <= 5; ++id) in.push(2, note(id));
  auto r = in.recent(2, 10);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].note->id, 5u);
  EXPECT_EQ(r[1].note->id, 4u);
  EXPECT_EQ(r[2].note->id, 3u);
  EXPECT_EQ(in.recent(2, 1).size(), 1u);
  EXPECT_TRUE(in.recent(99, 10).empty());
}

TEST(Inboxes, CatchUpReturnsOnlyNewerOldestFirst) {
  Inboxes in(10);
  for (uint64_t id = 1; id <= 4; ++id) in.push(2, note(id));
  auto a = in.after(2, 2);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].note->id, 3u);
  EXPECT_EQ(a[1].note->id, 4u);
  EXPECT_TRUE(in.after(2, 4).empty());
}

TEST(Inboxes, MemoryIsBoundedPerUser) {
  Inboxes in(4);
  for (uint64_t id = 1; id <= 1000; ++id) in.push(1, note(id));
  EXPECT_EQ(in.entries(), 4u);
  size_t b = in.bytes();
  for (uint64_t id = 1001; id <= 2000; ++id) in.push(1, note(id));
  EXPECT_EQ(in.bytes(), b);
}

TEST(Note, RendersSseBlockAndJson) {
  sign::PostView p{12, 1, 1700000000000, "alice", "hello \"bob\""};
  auto n = make_note(77, p, 0);
  EXPECT_EQ(n->kind, NoteKind::Uweet);
  const std::string json = n->json_at(77);
  EXPECT_NE(json.find("\"kind\":\"uweet\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"author\":\"alice\""), std::string::npos);
  EXPECT_NE(json.find("hello \\\"bob\\\""), std::string::npos);
  std::string sse;
  n->append_sse(sse, 77);
  EXPECT_EQ(sse.rfind("id: 77\nevent: uweet\ndata: {", 0), 0u) << sse;
  EXPECT_EQ(sse.substr(sse.size() - 2), "\n\n");
}

}  // namespace
}  // namespace uw::notifier

namespace uw::notifier {
namespace {

TEST(Note, JsonIsValidForAnyTextTable) {
  const std::string texts[] = {"plain",
                               "quote \" and \\ backslash",
                               "new\nline\ttab\r",
                               std::string("nul\0x", 5),
                               "\x01\x1f ctrl",
                               "héllo 🎉",
                               "bad \xff\xfe utf8",
                               "\xed\xa0\x80 surrogate",
                               ""};
  for (const auto& t : texts) {
    sign::MentionView m{5, 1, "alice", 2, 1000, t};
    auto n = make_note(9, m, 0);
    auto j = nlohmann::json::parse(n->json_at(9), nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << n->json_at(9);
    EXPECT_EQ(j["kind"], "mention");
    EXPECT_EQ(j["id"], 9);
    EXPECT_EQ(j["author"], "alice");
    if (rules::valid_utf8(t)) {
      EXPECT_EQ(j["text"], t) << n->json_at(9);
    }
  }
}

}  // namespace
}  // namespace uw::notifier
