// Event encoding: type byte, fixed-width big-endian integers, then
// length-prefixed strings (docs/PROTOCOL.md section 3).
#include "sign/event.hpp"

#include <cstring>

#include "sign/event_codec.hpp"
#include "sign/wire.hpp"

namespace uw::sign {

namespace {

using namespace wire;

constexpr size_t kPostFixed = 1 + 8 + 8 + 8 + 1 + 2;         // + author + text
constexpr size_t kFollowFixed = 1 + 8 + 8 + 8 + 1;           // + follower
constexpr size_t kMentionFixed = 1 + 8 + 8 + 8 + 8 + 1 + 2;  // + author + text
constexpr size_t kDeleteFixed = 1 + 8 + 8 + 8 + 8 + 1;       // + author

bool name_ok(size_t n) { return n >= 1 && n <= kMaxUsername; }

uint8_t* put_name(uint8_t* p, std::string_view s) {
  *p++ = static_cast<uint8_t>(s.size());
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}
uint8_t* put_text(uint8_t* p, std::string_view s) {
  put_u16(p, static_cast<uint16_t>(s.size()));
  p += 2;
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// A bounds-checked reader over [p, end). Every read checks first.
struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;
  size_t left() const { return static_cast<size_t>(end - p); }
  int64_t i64() {
    if (!ok || left() < 8) return ok = false, 0;
    int64_t v = get_i64(p);
    p += 8;
    return v;
  }
  std::string_view name() {
    if (!ok || left() < 1) return ok = false, std::string_view{};
    size_t n = *p;
    if (!name_ok(n) || left() < 1 + n) return ok = false, std::string_view{};
    std::string_view s(reinterpret_cast<const char*>(p + 1), n);
    p += 1 + n;
    return s;
  }
  std::string_view text() {
    if (!ok || left() < 2) return ok = false, std::string_view{};
    size_t n = get_u16(p);
    if (n > kMaxText || left() < 2 + n) return ok = false, std::string_view{};
    std::string_view s(reinterpret_cast<const char*>(p + 2), n);
    p += 2 + n;
    return s;
  }
};

}  // namespace

size_t encoded_size(const Event& e) {
  struct V {
    size_t operator()(const PostEvent& x) const { return kPostFixed + x.author.size() + x.text.size(); }
    size_t operator()(const FollowEvent& x) const { return kFollowFixed + x.follower.size(); }
    size_t operator()(const MentionEvent& x) const { return kMentionFixed + x.author.size() + x.text.size(); }
    size_t operator()(const DeleteEvent& x) const { return kDeleteFixed + x.author.size(); }
  };
  return std::visit(V{}, e);
}

bool within_limits(const Event& e) {
  struct V {
    bool operator()(const PostEvent& x) const {
      return name_ok(x.author.size()) && x.text.size() <= kMaxText;
    }
    bool operator()(const FollowEvent& x) const { return name_ok(x.follower.size()); }
    bool operator()(const MentionEvent& x) const {
      return name_ok(x.author.size()) && x.text.size() <= kMaxText;
    }
    bool operator()(const DeleteEvent& x) const { return name_ok(x.author.size()); }
  };
  return std::visit(V{}, e);
}

namespace codec {

size_t encode(const Event& e, uint8_t* out) {
  uint8_t* p = out;
  if (const auto* x = std::get_if<PostEvent>(&e)) {
    *p++ = static_cast<uint8_t>(EventType::Post);
    put_i64(p, x->uweet_id);
    put_i64(p + 8, x->author_id);
    put_i64(p + 16, x->created_at_ms);
    p = put_text(put_name(p + 24, x->author), x->text);
  } else if (const auto* f = std::get_if<FollowEvent>(&e)) {
    *p++ = static_cast<uint8_t>(EventType::Follow);
    put_i64(p, f->follower_id);
    put_i64(p + 8, f->followee_id);
    put_i64(p + 16, f->created_at_ms);
    p = put_name(p + 24, f->follower);
  } else if (const auto* d = std::get_if<DeleteEvent>(&e)) {
    *p++ = static_cast<uint8_t>(EventType::Delete);
    put_i64(p, d->uweet_id);
    put_i64(p + 8, d->author_id);
    put_i64(p + 16, d->recipient_id);
    put_i64(p + 24, d->deleted_at_ms);
    p = put_name(p + 32, d->author);
  } else {
    const auto& m = std::get<MentionEvent>(e);
    *p++ = static_cast<uint8_t>(EventType::Mention);
    put_i64(p, m.uweet_id);
    put_i64(p + 8, m.author_id);
    put_i64(p + 16, m.mentioned_id);
    put_i64(p + 24, m.created_at_ms);
    p = put_text(put_name(p + 32, m.author), m.text);
  }
  return static_cast<size_t>(p - out);
}

bool parse(const uint8_t* p, size_t n, EventView* out, size_t* used) {
  if (n < 1) return false;
  Reader r{p + 1, p + n};
  switch (static_cast<EventType>(p[0])) {
    case EventType::Post: {
      PostView v{};
      v.uweet_id = r.i64();
      v.author_id = r.i64();
      v.created_at_ms = r.i64();
      v.author = r.name();
      v.text = r.text();
      if (!r.ok) return false;
      *out = v;
      break;
    }
    case EventType::Follow: {
      FollowView v{};
      v.follower_id = r.i64();
      v.followee_id = r.i64();
      v.created_at_ms = r.i64();
      v.follower = r.name();
      if (!r.ok) return false;
      *out = v;
      break;
    }
    case EventType::Mention: {
      MentionView v{};
      v.uweet_id = r.i64();
      v.author_id = r.i64();
      v.mentioned_id = r.i64();
      v.created_at_ms = r.i64();
      v.author = r.name();
      v.text = r.text();
      if (!r.ok) return false;
      *out = v;
      break;
    }
    case EventType::Delete: {
      DeleteView v{};
      v.uweet_id = r.i64();
      v.author_id = r.i64();
      v.recipient_id = r.i64();
      v.deleted_at_ms = r.i64();
      v.author = r.name();
      if (!r.ok) return false;
      *out = v;
      break;
    }
    default:
      return false;
  }
  *used = static_cast<size_t>(r.p - p);
  return true;
}

}  // namespace codec
}  // namespace uw::sign
