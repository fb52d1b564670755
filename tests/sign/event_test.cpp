// sign/event.cpp: the wire size of each event kind (docs/PROTOCOL.md
// section 3) and the field limits that keep an event out of a datagram.
#include "sign/event.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sign/envelope.hpp"

namespace uw::sign {
namespace {

TEST(Event, EncodedSizeIsTheFixedPartPlusTheStrings) {
  // type 1 + ids and times 8 each + a 1-byte name length (+ a 2-byte text length).
  EXPECT_EQ(encoded_size(PostEvent{1, 2, "alice", 3, "hello"}), 1 + 8 + 8 + 8 + 1 + 5 + 2 + 5u);
  EXPECT_EQ(encoded_size(FollowEvent{1, "bob", 2, 3}), 1 + 8 + 8 + 8 + 1 + 3u);
  EXPECT_EQ(encoded_size(MentionEvent{1, 2, "alice", 4, 3, "hi"}), 1 + 8 + 8 + 8 + 8 + 1 + 5 + 2 + 2u);
  // The smallest datagram is a follow with a 1-byte name.
  EXPECT_EQ(kHeaderBytes + encoded_size(FollowEvent{1, "b", 2, 3}) + kSignatureBytes, kMinDatagram);
}

TEST(Event, WithinLimitsAcceptsGoodAndRejectsBadFields) {
  struct Case {
    Event e;
    bool ok;
    const char* what;
  };
  const std::vector<Case> cases = {
      {PostEvent{1, 2, "alice", 3, "hi"}, true, "ordinary post"},
      {PostEvent{1, 2, std::string(15, 'a'), 3, std::string(564, 'x')}, true, "longest name and text"},
      {PostEvent{1, 2, "", 3, "hi"}, false, "empty author"},
      {PostEvent{1, 2, std::string(16, 'a'), 3, "hi"}, false, "16-byte author"},
      {PostEvent{1, 2, "alice", 3, std::string(565, 'x')}, false, "565-byte text"},
      {FollowEvent{1, "b", 2, 3}, true, "1-byte follower"},
      {FollowEvent{1, "", 2, 3}, false, "empty follower"},
      {FollowEvent{1, std::string(16, 'b'), 2, 3}, false, "16-byte follower"},
      {MentionEvent{1, 2, "alice", 4, 3, std::string(564, 'x')}, true, "longest mention"},
      {MentionEvent{1, 2, "alice", 4, 3, std::string(565, 'x')}, false, "565-byte mention"},
      {MentionEvent{1, 2, "", 4, 3, "hi"}, false, "mention without author"},
  };
  for (const auto& c : cases) EXPECT_EQ(within_limits(c.e), c.ok) << c.what;
}

}  // namespace
}  // namespace uw::sign
