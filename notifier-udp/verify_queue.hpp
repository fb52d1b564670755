#pragma once
// uw::notifier::VerifyQueue — UDP datagrams that passed every cheap check and
// wait for their signature check (~45 us each, the notifier's scarce resource),
// and the rule that picks the next one. Without it a flood of forged datagrams
// (a trusted key id, a fresh time, a made-up session id, a random signature)
// costs a full verify each and starves real senders (issue 13 item 1).
//
//  * Datagrams in a key's current session (sign::Verifier::Standing::
//    Established) are verified before any that claim a new session, and
//    sources (address and port) take turns, one datagram each (round robin),
//    so one busy source cannot delay another's.
//  * A datagram that claims a new session (the first of a sender process, or a
//    forgery: only the signature can tell) is admitted only at a bounded rate:
//    per source (`source_new_per_s`, burst `source_new_burst`) and over every
//    source together (`new_per_s`, burst `new_burst`); beyond that it is shed
//    before any verify. A real sender starts a session once per process start,
//    so its own allowance is always there. The datagrams that follow an
//    admitted claim of the same session from the same source before it was
//    verified (a restarted sender's first burst) queue behind it unpaid: the
//    caller checks them again when their turn comes (established by then, or
//    charge() them then).
//  * A source holds at most its fair share of the slots (all slots over the
//    sources that have something queued); beyond it, its datagrams are shed.
//
// What is shed is returned as a reason for the caller to count and log. Slots
// are allocated once (no allocation per datagram); a new source costs one map
// entry, and the source table is bounded (idle sources are forgotten first,
// which is why the total new-session rate exists).
// Threading: one thread (the notifier's loop). Owns its slots and copies.
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <deque>
#include <span>
#include <unordered_map>
#include <vector>

#include "sign/envelope.hpp"

namespace uw::notifier {

enum class Shed : uint8_t {
  SourceNewSessionRate,  // "new_session_source_rate": the source spent its new-session allowance
  NewSessionRate,        // "new_session_rate": every source together spent theirs
  SourceBacklog,         // "source_backlog": the source already holds its share of the queue
  QueueFull,             // "queue_full": no slot left at all
  Count_
};
inline constexpr size_t kShedReasons = static_cast<size_t>(Shed::Count_);
const char* shed_name(Shed s);

class VerifyQueue {
 public:
  struct Options {
    size_t slots = 4096;           // datagrams held at once (kMaxDatagram bytes each, allocated once)
    double source_new_per_s = 4;   // new-session datagrams admitted per source and second
    double source_new_burst = 16;  // ... at once
    double new_per_s = 256;        // over every source together
    double new_burst = 512;        // ... at once
    size_t max_sources = 16384;    // sources remembered (idle ones are forgotten past this)
  };
  // One datagram handed out by pop(): a copy, the caller's to keep.
  struct Item {
    std::array<uint8_t, sign::kMaxDatagram> bytes;
    size_t size = 0;
    sockaddr_storage from{};
    uint64_t received_ns = 0;  // when it was read from the socket
    // Queued as a new-session claim without paying (it followed a paid claim
    // of the same session): the caller must precheck it again and, if it still
    // claims a new session, charge() it before verifying.
    bool unpaid = false;
    std::span<const uint8_t> view() const { return {bytes.data(), size}; }
    const sockaddr* addr() const { return reinterpret_cast<const sockaddr*>(&from); }
  };
  struct Stats {
    uint64_t admitted = 0;  // pushed
    uint64_t taken = 0;     // popped
    std::array<uint64_t, kShedReasons> shed{};
  };

  VerifyQueue();  // default Options
  explicit VerifyQueue(Options opts);

  // Queues a datagram that passed sign::Verifier::precheck() with `standing`,
  // read from `from` at received_ns (now_ms: for the rate limits); `session`
  // names the sender session it claims (key id and session id folded
  // together). Shed::Count_ when it was queued; otherwise why it was shed
  // (counted in stats()).
  Shed push(const sockaddr* from, sign::Verifier::Standing standing, uint64_t session,
            std::span<const uint8_t> bytes, uint64_t received_ns, int64_t now_ms);
  // Spends the new-session allowance of `from` (and the total) for an unpaid
  // item that still claims a new session: Shed::Count_ when paid, otherwise
  // why it is shed (counted).
  Shed charge(const sockaddr* from, int64_t now_ms);
  // The next datagram to verify into *out: established sessions first, sources
  // in turn; then new sessions, sources in turn. False when empty.
  bool pop(Item* out);
  size_t size() const { return used_; }
  bool empty() const { return used_ == 0; }
  size_t free_slots() const { return slots_.size() - used_; }
  size_t capacity() const { return slots_.size(); }
  size_t sources() const { return index_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  // A source: family, address and port as bytes (an IPv6 address and a port fit).
  struct Key {
    std::array<uint8_t, 19> b{};
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Fifo {
    uint32_t head = kNone, tail = kNone;
    uint32_t count = 0;
  };
  struct Source {
    Key key;
    double tokens = 0;  // new-session allowance
    int64_t at_ms = 0;  // when tokens was computed
    Fifo queue[2];      // [0] established, [1] new session
    bool in_ring[2] = {false, false};
    uint64_t paid_session = 0;  // the session of the last paid new-session claim (while queue[1] holds some)
    uint32_t pending() const { return queue[0].count + queue[1].count; }
  };
  struct Slot {
    uint32_t next = kNone;
    uint32_t source = kNone;
    size_t size = 0;
    uint64_t received_ns = 0;
    bool unpaid = false;
    sockaddr_storage from{};
    uint8_t bytes[sign::kMaxDatagram];
  };
  static Key key_of(const sockaddr* from);
  uint32_t source_for(const sockaddr* from, int64_t now_ms);
  Shed spend_new_session(Source& s, int64_t now_ms);
  void forget_idle_sources(int64_t now_ms);
  static bool spend(double* tokens, int64_t* at_ms, double rate, double burst, int64_t now_ms);

  Options opts_;
  std::vector<Slot> slots_;
  uint32_t free_head_ = kNone;
  size_t used_ = 0;
  size_t busy_sources_ = 0;  // sources with something queued
  std::vector<Source> sources_;
  std::vector<uint32_t> free_sources_;
  std::unordered_map<Key, uint32_t, KeyHash> index_;
  std::deque<uint32_t> ring_[2];  // sources with something queued, per class, in turn order
  double new_tokens_;
  int64_t new_at_ms_ = 0;
  Stats stats_;
};

}  // namespace uw::notifier
