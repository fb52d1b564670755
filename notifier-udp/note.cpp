#include "notifier-udp/note.hpp"

#include <atomic>
#include <nlohmann/json.hpp>

#include "core/rules.hpp"
#include "notifier-udp/quote.hpp"

namespace uw::notifier {

namespace {
std::atomic<size_t> g_note_bytes{0};
}

Note::~Note() { g_note_bytes.fetch_sub(counted_bytes, std::memory_order_relaxed); }

size_t live_note_bytes() { return g_note_bytes.load(std::memory_order_relaxed); }

const char* note_kind_name(NoteKind k) {
  switch (k) {
    case NoteKind::Uweet:
      return "uweet";
    case NoteKind::Follow:
      return "follow";
    case NoteKind::Mention:
      return "mention";
    case NoteKind::Delete:
      return "delete";
  }
  return "uweet";
}

std::string Note::json_at(uint64_t pos) const {
  std::string o;
  o.reserve(24 + json_tail.size());
  o += "{\"id\":";
  o += std::to_string(pos);
  o += json_tail;
  return o;
}

void Note::append_sse(std::string& out, uint64_t pos) const {
  std::string p = std::to_string(pos);
  out += "id: ";
  out += p;
  out += "\nevent: ";
  out += note_kind_name(kind);
  out += "\ndata: {\"id\":";
  out += p;
  out += json_tail;
  out += "\n\n";
}

std::shared_ptr<Note> make_note(uint64_t id, const sign::EventView& ev, uint64_t received_ns) {
  auto n = std::make_shared<Note>();
  n->id = id;
  n->received_ns = received_ns;
  if (const auto* p = std::get_if<sign::PostView>(&ev)) {
    n->kind = NoteKind::Uweet;
    n->uweet_id = p->uweet_id;
    n->actor_id = p->author_id;
    n->actor = std::string(p->author);
    n->created_at_ms = p->created_at_ms;
    n->text = std::string(p->text);
  } else if (const auto* f = std::get_if<sign::FollowView>(&ev)) {
    n->kind = NoteKind::Follow;
    n->actor_id = f->follower_id;
    n->actor = std::string(f->follower);
    n->recipient_id = f->followee_id;
    n->created_at_ms = f->created_at_ms;
  } else if (const auto* m = std::get_if<sign::MentionView>(&ev)) {
    n->kind = NoteKind::Mention;
    n->uweet_id = m->uweet_id;
    n->actor_id = m->author_id;
    n->actor = std::string(m->author);
    n->recipient_id = m->mentioned_id;
    n->created_at_ms = m->created_at_ms;
    n->text = std::string(m->text);
  } else if (const auto* d = std::get_if<sign::DeleteView>(&ev)) {
    n->kind = NoteKind::Delete;
    n->uweet_id = d->uweet_id;
    n->actor_id = d->author_id;
    n->actor = std::string(d->author);
    n->recipient_id = d->recipient_id;
    n->created_at_ms = d->deleted_at_ms;
  }
  if (rules::valid_utf8(n->actor) && rules::valid_utf8(n->text)) {
    // Hand-written: this runs once per event on the ingest path.
    std::string& o = n->json_tail;
    o.reserve(96 + n->actor.size() + n->text.size());
    o += ",\"kind\":\"";
    o += note_kind_name(n->kind);
    o += '"';
    if (n->kind == NoteKind::Follow) {
      o += ",\"follower\":";
      append_quoted(o, n->actor, ControlEscape::Json);
      o += ",\"follower_id\":" + std::to_string(n->actor_id);
    } else {
      o += ",\"uweet_id\":" + std::to_string(n->uweet_id) + ",\"author\":";
      append_quoted(o, n->actor, ControlEscape::Json);
      o += ",\"author_id\":" + std::to_string(n->actor_id);
      if (n->kind != NoteKind::Delete) {
        o += ",\"text\":";
        append_quoted(o, n->text, ControlEscape::Json);
      }
    }
    o += ",\"created_at\":" + std::to_string(n->created_at_ms) + "}";
  } else {
    // The signature vouches for the sender, not for valid UTF-8: replace, never throw.
    nlohmann::ordered_json j;
    j["kind"] = note_kind_name(n->kind);
    if (n->kind == NoteKind::Follow) {
      j["follower"] = n->actor;
      j["follower_id"] = n->actor_id;
    } else {
      j["uweet_id"] = n->uweet_id;
      j["author"] = n->actor;
      j["author_id"] = n->actor_id;
      if (n->kind != NoteKind::Delete) j["text"] = n->text;
    }
    j["created_at"] = n->created_at_ms;
    // The id member goes first at render time: keep everything after the '{'.
    // Built by appending, not "," + string: GCC 12's false -Wrestrict at -O3 (bug 105329).
    const std::string body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    n->json_tail.reserve(body.size());
    n->json_tail = ',';
    n->json_tail.append(body, 1);
  }
  n->counted_bytes = n->bytes() + 16;  // + the shared_ptr control block
  g_note_bytes.fetch_add(n->counted_bytes, std::memory_order_relaxed);
  return n;
}

}  // namespace uw::notifier
