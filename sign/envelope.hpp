#pragma once
// The signed datagram envelope (docs/PROTOCOL.md is the byte-for-byte spec).
// Encoder/Coalescer: sender side. DatagramView/Verifier: receiver side.
// None of these are thread-safe: each instance belongs to one thread.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <vector>

#include "sign/event.hpp"
#include "sign/keys.hpp"
#include "sign/window.hpp"

// Signatures, key ids and the 1200-byte limit: see docs/PROTOCOL.md.

namespace uw::sign {

inline constexpr size_t kMaxDatagram = 1200;
// magic 4, version 1, key id 8, session 8, seq 8, time 8, count 2 (sign/wire.hpp has the offsets)
inline constexpr size_t kHeaderBytes = 4 + 1 + kKeyIdBytes + 8 + 8 + 8 + 2;
// Header and signature: what a datagram carries besides its events.
inline constexpr size_t kOverheadBytes = kHeaderBytes + kSignatureBytes;
// Smallest possible datagram: header, one follow event with a 1-byte name, signature.
inline constexpr size_t kMinDatagram = kHeaderBytes + 27 + kSignatureBytes;
inline constexpr uint8_t kVersion = 1;
// Version 2 is version 1 plus one thing: the event count may be 0, which makes
// the datagram a heartbeat (header and signature, 103 bytes). A sender seals
// only heartbeats as version 2, so a receiver that knows only version 1 still
// takes every event and refuses heartbeats cheaply as unsupported_version.
inline constexpr uint8_t kHeartbeatVersion = 2;
inline constexpr size_t kHeartbeatBytes = kOverheadBytes;
static_assert(kHeaderBytes == 39 && kOverheadBytes == 103, "PROTOCOL.md section 2");
static_assert(kMinDatagram <= kMaxDatagram);

struct Header {
  uint8_t version = 0;
  KeyId key_id{};
  uint64_t session_id = 0;
  uint64_t seq = 0;
  int64_t sent_at_ms = 0;
  uint16_t event_count = 0;
};

using Datagram = std::vector<uint8_t>;

// Numbers and signs datagrams within one sender session. One thread (the
// emitter's); the SecretKey must outlive the Encoder.
class Encoder {
 public:
  // session_id 0 picks a random non-zero one (per process start). Keeps a reference to key.
  explicit Encoder(const SecretKey& key, uint64_t session_id = 0, uint64_t first_seq = 1);
  // Seals events into one datagram (out is overwritten; its capacity is reused).
  // Returns false (and leaves seq unchanged) if events is empty, an event is
  // outside the wire limits (within_limits) or they do not fit in kMaxDatagram.
  bool seal(std::span<const Event> events, int64_t now_ms, Datagram* out);
  // Seals a heartbeat (version 2, no events) with the next sequence number: it
  // tells a receiver the highest number sent so far, so the loss of the last
  // datagrams before a quiet spell shows as a gap (docs/NOTIFIER.md "Loss").
  void seal_heartbeat(int64_t now_ms, Datagram* out);
  uint64_t session_id() const { return session_id_; }
  uint64_t next_seq() const { return next_seq_; }

 private:
  const SecretKey& key_;
  uint64_t session_id_;
  uint64_t next_seq_;
};

// Fills one datagram with pending events; the owner flushes on a timer. Same
// thread as its Encoder, which must outlive it. Sealed datagrams are appended
// to the caller's vector, in sequence order.
class Coalescer {
 public:
  explicit Coalescer(Encoder& enc, size_t max_bytes = kMaxDatagram);
  // Adds an event; if it does not fit beside the pending ones, the pending ones
  // are sealed into `out` first. Returns false only for an event that can never fit.
  bool add(Event e, int64_t now_ms, std::vector<Datagram>* out);
  // Seals whatever is pending (nothing if empty).
  void flush(int64_t now_ms, std::vector<Datagram>* out);
  bool empty() const { return pending_.empty(); }
  size_t pending_events() const { return pending_.size(); }

 private:
  Encoder& enc_;
  size_t max_bytes_;
  size_t pending_bytes_ = 0;
  std::vector<Event> pending_;
};

// A read-only view over a received datagram. The constructor checks length and
// header bounds; nothing ever reads past the span. The view does not own the
// bytes: it is valid while the caller's buffer is.
class DatagramView {
 public:
  DatagramView() = default;  // an empty, not well-formed view (to be assigned)
  explicit DatagramView(std::span<const uint8_t> bytes);
  // Length within [kMinDatagram, kMaxDatagram], magic "UWTD", version kVersion,
  // event count >= 1: the header and the signature position are in bounds. Or
  // version kHeartbeatVersion, at least kHeartbeatBytes, any event count.
  bool well_formed() const { return ok_; }
  // Magic right and long enough to hold a version byte, but neither version.
  bool other_version() const { return other_version_; }
  // A well-formed datagram without events (version 2 only).
  bool heartbeat() const { return ok_ && h_.event_count == 0; }
  const Header& header() const { return h_; }
  std::span<const uint8_t> signed_bytes() const;  // every byte before the signature
  std::span<const uint8_t> signature() const;
  std::span<const uint8_t> bytes() const { return b_; }
  // Visits each event in order. Returns false (after visiting the good prefix)
  // if an event is malformed or the count/lengths do not match exactly.
  bool for_each_event(const std::function<void(const EventView&)>& fn) const;
  // Same without std::function (no allocation): fn(const EventView&).
  template <class F>
  bool visit_events(F&& fn) const {
    if (!ok_) return false;
    size_t pos = 0;
    EventView ev;
    for (uint16_t i = 0; i < h_.event_count; ++i) {
      if (!next_event(&pos, &ev)) return false;
      fn(static_cast<const EventView&>(ev));
    }
    return pos == events_end();
  }
  // Parses the event at byte *pos of the event area (0 = the first event) and
  // advances *pos past it. False if it is malformed or runs into the signature.
  bool next_event(size_t* pos, EventView* out) const;
  // True if exactly event_count well-formed events fill the space before the signature.
  bool events_valid() const;

 private:
  size_t events_end() const;  // size of the event area
  std::span<const uint8_t> b_;
  Header h_{};
  bool ok_ = false;
  bool other_version_ = false;
};

enum class Reject : uint8_t {
  None = 0,
  Malformed,
  UnsupportedVersion,
  UnknownKey,
  Stale,
  Future,
  TooOld,
  Duplicate,
  BadSignature,
  Count_
};
// Why a datagram was refused (one counter each in VerifierStats::rejected).
const char* reject_name(Reject r);  // "malformed", "unsupported_version", ... "bad_signature"

struct VerifierStats {
  uint64_t accepted = 0;
  std::array<uint64_t, static_cast<size_t>(Reject::Count_)> rejected{};  // by reason
  uint64_t lost = 0;        // sequence numbers that left a window, timed out, or were settled unseen
  uint64_t late = 0;        // of those, how many arrived after all (after the gap timeout)
  uint64_t sessions = 0;    // sender sessions seen
  uint64_t heartbeats = 0;  // accepted datagrams without events
  uint64_t verifies = 0;    // signature checks paid for (accepted or bad_signature)
  // Sequence numbers of sessions that were already running when this receiver
  // started, sent before it could hear them: not known to be lost, not counted
  // as lost (a predecessor process may have received them).
  uint64_t before_start = 0;
};

// Something the operator's log should hear about.
struct SenderNote {
  enum Kind { SessionStarted, SessionSettled, Gap } kind;
  KeyId key_id;
  uint64_t session_id;
  uint64_t first_seq = 0;  // Gap: first missing; Settled/Started: highest seen / first seq
  uint64_t count = 0;      // Gap: how many lost; Settled: lost at settling; Started: before_start
};

// The receive path for one receiving thread (the notifier's UDP loop). Holds a
// reference to the KeyRing, which must outlive it and change only on the same
// thread between accept() calls. Keeps one sender session per key id.
class Verifier {
 public:
  struct Options {
    int64_t max_age_ms = 30'000;    // older send time -> Stale
    int64_t max_future_ms = 5'000;  // send time ahead of now -> Future
    uint64_t window_bits = 4096;    // replay window width per sender session (>= 1024)
    // A missing sequence number still missing this long after a later one was
    // accepted is counted lost (expire()); 0: only when it leaves the window.
    int64_t gap_timeout_ms = 0;
    // When this receiver started (unix ms; 0 = treat every session as seen from
    // its start). A key's first session whose first accepted datagram was sent
    // within join_grace_ms of that was running before us: its numbers below
    // that datagram's are counted in before_start, not lost. A running sender
    // heartbeats about once a second, so it is heard within the grace; a
    // session first heard later started while we ran, and its missing first
    // numbers are lost.
    int64_t started_ms = 0;
    int64_t join_grace_ms = 3'000;
  };
  // Where a datagram that passed precheck() stands: in the key's current
  // session (Established), or claiming a session not heard yet (NewSession:
  // the first datagram of a key, a restarted sender, or a forgery with a made-up
  // session id; only the signature can tell which).
  enum class Standing : uint8_t { Established, NewSession };
  explicit Verifier(const KeyRing& keys);  // default Options
  Verifier(const KeyRing& keys, Options opts);
  // Checks in cheapest-first order (docs/PROTOCOL.md section 4): bounds/header,
  // version, key id, send time, session and sequence against the window
  // (Stale/TooOld/Duplicate before paying for a verify), event syntax, the
  // signature, and only then updates the window. On None, *view (may be
  // nullptr) is the accepted datagram, a view over `bytes`. No allocation
  // except when a new sender session starts.
  Reject accept(std::span<const uint8_t> bytes, int64_t now_ms, DatagramView* view);
  // Every check of accept() but the signature (bounds, version, key, time,
  // session and window, event syntax), changing no state but the rejection
  // counters: a caller with more datagrams than verify time decides from
  // *standing (may be nullptr) which are worth a signature check. The state
  // may change before the caller calls accept(), which checks everything again
  // (cheaply) and counts what it rejects itself.
  Reject precheck(std::span<const uint8_t> bytes, int64_t now_ms, Standing* standing);
  const VerifierStats& stats() const { return stats_; }
  // Counts as lost every number that has been missing for gap_timeout_ms
  // (call it a few times a second; accept() calls it too). Returns how many.
  uint64_t expire(int64_t now_ms);
  // Missing numbers not yet counted lost, over every sender (a gauge).
  uint64_t open_gaps() const;
  // Called synchronously from accept() on session start/settle and on counted gaps.
  void on_note(std::function<void(const SenderNote&)> cb) { note_ = std::move(cb); }
  // The key ring may change between calls (SIGHUP reload); the Verifier holds a reference.
 private:
  struct Sender {
    KeyId key;
    uint64_t session_id;
    int64_t start_ms;  // earliest send time accepted in this session: orders sessions
    ReplayWindow window;
    // When gaps opened: (now_ms, highest number missing then), oldest first.
    std::deque<std::pair<int64_t, uint64_t>> gaps;
  };
  // What check() found on the way (valid when it returns None).
  struct Checked {
    const PublicKey* pk = nullptr;
    ptrdiff_t sender = -1;  // index in senders_, -1 = none for this key
    bool fresh_key = false;
    bool new_session = false;
  };
  // Checks 1-6 of accept() (everything but the signature); counts nothing.
  Reject check(const DatagramView& v, int64_t now_ms, Checked* out) const;
  Reject reject(Reject r);
  const KeyRing& keys_;
  Options opts_;
  VerifierStats stats_;
  std::vector<Sender> senders_;        // one per key id (a sender = a key)
  uint64_t retired_before_start_ = 0;  // before_start of the sessions settled so far
  void sync_before_start();            // stats_.before_start from the windows
  std::function<void(const SenderNote&)> note_;
};

}  // namespace uw::sign
