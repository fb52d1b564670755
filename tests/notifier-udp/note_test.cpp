// notifier-udp/note.cpp: a verified event becomes one shared Note whose JSON
// and SSE block are what every recipient gets.
#include "notifier-udp/note.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace uw::notifier {
namespace {

using nlohmann::json;

TEST(Note, PostBecomesAUweetNoteWithItsFieldsAsJson) {
  auto n = make_note(7, sign::PostView{42, 3, 1700000000123, "alice", "hello \"world\"\n"}, 99);
  EXPECT_EQ(n->kind, NoteKind::Uweet);
  EXPECT_EQ(n->recipient_id, 0);
  EXPECT_EQ(n->received_ns, 99u);
  const auto j = json::parse(n->json_at(n->id));
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j["kind"], "uweet");
  EXPECT_EQ(j["uweet_id"], 42);
  EXPECT_EQ(j["author"], "alice");
  EXPECT_EQ(j["author_id"], 3);
  EXPECT_EQ(j["text"], "hello \"world\"\n");
  EXPECT_EQ(j["created_at"], 1700000000123);
}

TEST(Note, FollowNamesTheFollowerAndTheOneRecipient) {
  auto n = make_note(1, sign::FollowView{5, "bob", 3, 1000}, 0);
  EXPECT_EQ(n->kind, NoteKind::Follow);
  EXPECT_EQ(n->recipient_id, 3);
  const auto j = json::parse(n->json_at(n->id));
  EXPECT_EQ(j["kind"], "follow");
  EXPECT_EQ(j["follower"], "bob");
  EXPECT_EQ(j["follower_id"], 5);
  EXPECT_FALSE(j.contains("text"));
}

TEST(Note, MentionGoesToTheMentionedUser) {
  auto n = make_note(2, sign::MentionView{9, 3, "alice", 4, 1000, "hi @carol"}, 0);
  EXPECT_EQ(n->kind, NoteKind::Mention);
  EXPECT_EQ(n->recipient_id, 4);
  const auto j = json::parse(n->json_at(n->id));
  EXPECT_EQ(j["kind"], "mention");
  EXPECT_EQ(j["uweet_id"], 9);
  EXPECT_EQ(j["text"], "hi @carol");
}

TEST(Note, DeleteNamesTheUweetAndGoesToFollowersOrOneUser) {
  auto fan = make_note(3, sign::DeleteView{9, 3, "alice", 0, 2000}, 0);
  EXPECT_EQ(fan->kind, NoteKind::Delete);
  EXPECT_EQ(fan->recipient_id, 0);
  auto one = make_note(4, sign::DeleteView{9, 3, "alice", 4, 2000}, 0);
  EXPECT_EQ(one->recipient_id, 4);
  const auto j = json::parse(fan->json_at(fan->id));
  EXPECT_EQ(j["kind"], "delete");
  EXPECT_EQ(j["uweet_id"], 9);
  EXPECT_EQ(j["author"], "alice");
  EXPECT_EQ(j["author_id"], 3);
  EXPECT_EQ(j["created_at"], 2000);
  EXPECT_FALSE(j.contains("text"));
  std::string sse;
  fan->append_sse(sse, 5);
  EXPECT_EQ(sse.substr(0, 22), "id: 5\nevent: delete\nda");
}

TEST(Note, SseBlockCarriesIdKindAndJson) {
  auto n = make_note(12, sign::PostView{1, 2, 3, "alice", "x"}, 0);
  std::string sse;
  n->append_sse(sse, 12);  // the recipient's position is the SSE id and the JSON id
  EXPECT_EQ(sse, "id: 12\nevent: uweet\ndata: " + n->json_at(12) + "\n\n");
}

TEST(Note, KindNamesAreTheSseEventNames) {
  EXPECT_STREQ(note_kind_name(NoteKind::Uweet), "uweet");
  EXPECT_STREQ(note_kind_name(NoteKind::Follow), "follow");
  EXPECT_STREQ(note_kind_name(NoteKind::Mention), "mention");
  EXPECT_STREQ(note_kind_name(NoteKind::Delete), "delete");
}

// The signature vouches for the sender, not for valid UTF-8: a bad name or
// text still gives parseable JSON (replacement characters), never a throw.
TEST(Note, InvalidUtf8NameOrTextStillGivesValidJson) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"al\xff"
       "ce",
       "fine"},
      {"alice", "bad \xc3 text"},
      {"\xed\xa0\x80", "\xf8\x88\x80\x80\x80"},
  };
  for (const auto& [name, text] : cases) {
    auto n = make_note(1, sign::PostView{1, 2, 3, name, text}, 0);
    const auto j = json::parse(n->json_at(n->id), nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << n->json_at(n->id);
    EXPECT_NE(j["author"].get<std::string>(), name == "alice" ? "" : name);
    EXPECT_EQ(j["id"], 1);
  }
}

TEST(Note, ControlCharactersAreEscapedInTheJson) {
  auto n = make_note(1, sign::PostView{1, 2, 3, "alice", std::string("a\x01\tb", 4)}, 0);
  EXPECT_NE(n->json_at(n->id).find("\\u0001"), std::string::npos) << n->json_at(n->id);
  EXPECT_EQ(n->json_at(n->id).find('\x01'), std::string::npos);
  EXPECT_EQ(json::parse(n->json_at(n->id))["text"], std::string("a\x01\tb", 4));
}

TEST(Note, LiveBytesCountEveryNoteUntilItIsDropped) {
  const size_t before = live_note_bytes();
  {
    auto n = make_note(1, sign::PostView{1, 2, 3, "alice", std::string(500, 'x')}, 0);
    EXPECT_GE(live_note_bytes(), before + 500);
    EXPECT_EQ(live_note_bytes() - before, n->counted_bytes);
  }
  EXPECT_EQ(live_note_bytes(), before);
}

}  // namespace
}  // namespace uw::notifier
