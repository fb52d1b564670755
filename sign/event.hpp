#pragma once
// The events a datagram carries. Owning forms (for the sender) and views into
// a received buffer (for the receiver: no allocation per datagram).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace uw::sign {

enum class EventType : uint8_t { Post = 1, Follow = 2, Mention = 3, Delete = 4 };

struct PostEvent {
  int64_t uweet_id = 0;
  int64_t author_id = 0;
  std::string author;  // username, <= 15 bytes
  int64_t created_at_ms = 0;
  std::string text;  // <= 141 code points of UTF-8
};
struct FollowEvent {
  int64_t follower_id = 0;
  std::string follower;  // username
  int64_t followee_id = 0;
  int64_t created_at_ms = 0;
};
struct MentionEvent {
  int64_t uweet_id = 0;
  int64_t author_id = 0;
  std::string author;
  int64_t mentioned_id = 0;
  int64_t created_at_ms = 0;
  std::string text;
};
// The author deleted a uweet: it goes where the uweet went (the author's
// followers when recipient_id is 0; else the one user it mentioned), so an
// open page can drop it.
struct DeleteEvent {
  int64_t uweet_id = 0;
  int64_t author_id = 0;
  std::string author;
  int64_t recipient_id = 0;  // 0 = the author's followers
  int64_t deleted_at_ms = 0;
};
using Event = std::variant<PostEvent, FollowEvent, MentionEvent, DeleteEvent>;

struct PostView {
  int64_t uweet_id, author_id, created_at_ms;
  std::string_view author, text;
};
struct FollowView {
  int64_t follower_id;
  std::string_view follower;
  int64_t followee_id, created_at_ms;
};
struct MentionView {
  int64_t uweet_id, author_id;
  std::string_view author;
  int64_t mentioned_id, created_at_ms;
  std::string_view text;
};
struct DeleteView {
  int64_t uweet_id, author_id;
  std::string_view author;
  int64_t recipient_id, deleted_at_ms;
};
using EventView = std::variant<PostView, FollowView, MentionView, DeleteView>;

// Bytes the event takes inside a datagram (docs/PROTOCOL.md section 3). Any thread.
size_t encoded_size(const Event& e);
// True if every field is within the wire limits: usernames 1..15 bytes, text at
// most 564 bytes. An event outside them is never sealed. Any thread.
bool within_limits(const Event& e);

}  // namespace uw::sign
