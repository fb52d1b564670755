#pragma once
// uw::notifier::Note — one notification as delivered: made once per received
// event and shared (immutable) by every recipient's inbox and stream, so a
// fan-out to a million followers costs a pointer per follower, not a copy.
// Threading: created and destroyed on the loop thread only.
#include <cstdint>
#include <memory>
#include <string>

#include "sign/event.hpp"

namespace uw::notifier {

enum class NoteKind : uint8_t { Uweet, Follow, Mention };
const char* note_kind_name(NoteKind k);  // "uweet" | "follow" | "mention" (the SSE event name)

struct Note {
  Note() = default;
  Note(const Note&) = delete;
  Note& operator=(const Note&) = delete;
  ~Note();
  uint64_t id = 0;  // SSE id: increasing within one notifier process
  NoteKind kind = NoteKind::Uweet;
  int64_t uweet_id = 0;      // uweet / mention
  int64_t actor_id = 0;      // author (uweet, mention) or follower (follow)
  std::string actor;         // their username
  int64_t recipient_id = 0;  // follow / mention: the one recipient; uweet: 0 (the followers)
  int64_t created_at_ms = 0;
  std::string text;          // uweet / mention
  uint64_t received_ns = 0;  // uv_hrtime() when the datagram arrived
  std::string json;          // the SSE data / inbox item
  std::string sse;           // "id: N\nevent: K\ndata: JSON\n\n"

  size_t bytes() const {
    return sizeof(Note) + actor.capacity() + text.capacity() + json.capacity() + sse.capacity();
  }
  size_t counted_bytes = 0;  // what live_note_bytes() holds for this note
};

// Bytes held by every Note alive in this process (inbox memory metric).
size_t live_note_bytes();

// Builds a Note from a verified event view (copies the strings out of the datagram).
std::shared_ptr<Note> make_note(uint64_t id, const sign::EventView& ev, uint64_t received_ns);

}  // namespace uw::notifier
