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

// Delete: the author took a uweet back (sent where the uweet went, so a page
// showing it can drop it).
enum class NoteKind : uint8_t { Uweet, Follow, Mention, Delete };
// "uweet" | "follow" | "mention" | "delete" (the SSE event name)
const char* note_kind_name(NoteKind k);

struct Note {
  Note() = default;
  Note(const Note&) = delete;
  Note& operator=(const Note&) = delete;
  ~Note();
  uint64_t id = 0;  // notification id: increasing within one notifier process (log lines)
  NoteKind kind = NoteKind::Uweet;
  int64_t uweet_id = 0;  // uweet / mention / delete
  int64_t actor_id = 0;  // author (uweet, mention, delete) or follower (follow)
  std::string actor;     // their username
  // follow / mention: the one recipient; uweet: 0 (the followers); delete: either
  int64_t recipient_id = 0;
  int64_t created_at_ms = 0;  // delete: when it was deleted
  std::string text;           // uweet / mention
  uint64_t received_ns = 0;   // uv_hrtime() when the datagram arrived
  // The JSON object after its "id" member: `,"kind":...}`. The id a recipient
  // sees is its own inbox position (Inboxes::push), so the one shared note is
  // rendered per recipient by json_at()/append_sse() from this tail.
  std::string json_tail;

  // `{"id":pos,"kind":...}`: the SSE data / inbox item for the recipient at pos.
  std::string json_at(uint64_t pos) const;
  // Appends "id: pos\nevent: K\ndata: JSON\n\n" to out.
  void append_sse(std::string& out, uint64_t pos) const;

  size_t bytes() const { return sizeof(Note) + actor.capacity() + text.capacity() + json_tail.capacity(); }
  size_t counted_bytes = 0;  // what live_note_bytes() holds for this note
};

// Bytes held by every Note alive in this process (inbox memory metric).
size_t live_note_bytes();

// Builds a Note from a verified event view (copies the strings out of the datagram).
std::shared_ptr<Note> make_note(uint64_t id, const sign::EventView& ev, uint64_t received_ns);

}  // namespace uw::notifier
