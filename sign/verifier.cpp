// The receive path: every check in cheapest-first order, each rejection counted
// by reason (docs/PROTOCOL.md section 4 explains the order).
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "sign/envelope.hpp"
#include "sign/wire.hpp"

namespace uw::sign {

const char* reject_name(Reject r) {
  switch (r) {
    case Reject::None:
      return "none";
    case Reject::Malformed:
      return "malformed";
    case Reject::UnsupportedVersion:
      return "unsupported_version";
    case Reject::UnknownKey:
      return "unknown_key";
    case Reject::Stale:
      return "stale";
    case Reject::Future:
      return "future";
    case Reject::TooOld:
      return "too_old";
    case Reject::Duplicate:
      return "duplicate";
    case Reject::BadSignature:
      return "bad_signature";
    case Reject::Count_:
      break;
  }
  return "unknown";
}

Verifier::Verifier(const KeyRing& keys) : Verifier(keys, Options{}) {}

Verifier::Verifier(const KeyRing& keys, Options opts) : keys_(keys), opts_(opts) { init(); }

Reject Verifier::reject(Reject r) {
  ++stats_.rejected[static_cast<size_t>(r)];
  return r;
}

Reject Verifier::check(const DatagramView& v, int64_t now_ms, Checked* out) const {
  // 1. Length, magic and header bounds; 2. version. No byte past the span is read.
  if (!v.well_formed()) return v.other_version() ? Reject::UnsupportedVersion : Reject::Malformed;
  const Header& h = v.header();
  // 3. Key id among the trusted keys (a short linear scan).
  out->pk = keys_.find(h.key_id);
  if (out->pk == nullptr) return Reject::UnknownKey;
  // 4. Send time within [now - max_age, now + max_future].
  if (h.sent_at_ms < now_ms - opts_.max_age_ms) return Reject::Stale;
  if (h.sent_at_ms > now_ms + opts_.max_future_ms) return Reject::Future;
  // 5. Session and sequence number against the window, before paying for a verify.
  out->sender = -1;
  for (size_t i = 0; i < senders_.size(); ++i)
    if (senders_[i].key == h.key_id) out->sender = static_cast<ptrdiff_t>(i);
  const Sender* s = out->sender < 0 ? nullptr : &senders_[static_cast<size_t>(out->sender)];
  out->fresh_key = s == nullptr;  // no session of this key heard yet
  out->new_session = out->fresh_key || s->session_id != h.session_id;
  if (!out->new_session) {
    switch (s->window.check(h.seq)) {
      case ReplayWindow::Check::TooOld:
        return Reject::TooOld;
      case ReplayWindow::Check::Duplicate:
        return Reject::Duplicate;
      case ReplayWindow::Check::Fresh:
        break;
    }
  } else {
    if (h.seq == 0) return Reject::TooOld;
    // Another session of a key we already follow: only a later one may replace
    // it. A datagram sent no later than the current session's first is a late
    // straggler of an earlier session (or a replay of one).
    if (s != nullptr && h.sent_at_ms <= s->start_ms) return Reject::Stale;
  }
  // 6. Event syntax: a cheap walk over the bytes, still before the signature.
  if (!v.events_valid()) return Reject::Malformed;
  return Reject::None;
}

Reject Verifier::precheck(std::span<const uint8_t> bytes, int64_t now_ms, Standing* standing) {
  DatagramView v(bytes);
  Checked c;
  if (Reject r = check(v, now_ms, &c); r != Reject::None) return reject(r);
  if (standing != nullptr) *standing = c.new_session ? Standing::NewSession : Standing::Established;
  return Reject::None;
}

Reject Verifier::accept(std::span<const uint8_t> bytes, int64_t now_ms, DatagramView* view) {
  DatagramView v(bytes);
  Checked c;
  if (Reject r = check(v, now_ms, &c); r != Reject::None) return reject(r);
  const Header& h = v.header();
  const PublicKey* pk = c.pk;
  const bool fresh_key = c.fresh_key;
  const bool new_session = c.new_session;
  Sender* s = c.sender < 0 ? nullptr : &senders_[static_cast<size_t>(c.sender)];
  // 7. The signature over domain || every byte before the signature.
  constexpr size_t kDom = sizeof wire::kDatagramDomain;
  uint8_t msg[kDom + kMaxDatagram];
  std::memcpy(msg, wire::kDatagramDomain, kDom);
  auto sb = v.signed_bytes();
  std::memcpy(msg + kDom, sb.data(), sb.size());
  ++stats_.verifies;
  if (crypto_sign_verify_detached(v.signature().data(), msg, kDom + sb.size(), pk->data()) != 0)
    return reject(Reject::BadSignature);
  // 8. Only an authentic datagram may change state.
  if (new_session) {
    if (s != nullptr) {
      uint64_t lost = s->window.settle();
      stats_.lost += lost;
      retired_before_start_ += s->window.before_start();
      if (note_)
        note_(SenderNote{SenderNote::SessionSettled, s->key, s->session_id, s->window.highest(), lost});
      s->session_id = h.session_id;
      s->start_ms = h.sent_at_ms;
      s->window = ReplayWindow(opts_.window_bits);
      s->gaps.clear();
    } else {
      senders_.push_back(Sender{h.key_id, h.session_id, h.sent_at_ms, ReplayWindow(opts_.window_bits), {}});
      s = &senders_.back();
    }
    // The first session of a key, heard at our start: it ran before us. Its
    // numbers below this one are still taken if they come (reordering), and
    // those that do not are before_start, not lost, once the gap timeout (or
    // the window, or the session's end) settles them.
    uint64_t before_start = 0;
    if (fresh_key && opts_.started_ms > 0 && h.seq > 1 &&
        h.sent_at_ms <= opts_.started_ms + opts_.join_grace_ms) {
      s->window.join();
      before_start = h.seq - 1;
      if (opts_.gap_timeout_ms > 0) s->gaps.emplace_back(now_ms, h.seq - 1);
    }
    ++stats_.sessions;
    if (note_) note_(SenderNote{SenderNote::SessionStarted, s->key, s->session_id, h.seq, before_start});
  }
  if (h.sent_at_ms < s->start_ms) s->start_ms = h.sent_at_ms;
  const uint64_t top_before = s->window.received() == 0 ? h.seq - 1 : s->window.highest();
  const uint64_t late_before = s->window.late();
  uint64_t lost = s->window.update(h.seq);
  stats_.late += s->window.late() - late_before;
  if (opts_.gap_timeout_ms > 0 && h.seq > top_before + 1) {
    // A gap opened: its numbers are lost if still missing gap_timeout_ms from now.
    // Bounded: dropping the oldest record only delays its numbers until the next
    // record's deadline (which covers every number below it).
    s->gaps.emplace_back(now_ms, h.seq - 1);
    if (s->gaps.size() > 4096) s->gaps.pop_front();
  }
  if (v.heartbeat()) ++stats_.heartbeats;
  if (lost > 0) {
    stats_.lost += lost;
    if (note_) note_(SenderNote{SenderNote::Gap, s->key, s->session_id, s->window.last_gap_first(), lost});
  }
  ++stats_.accepted;
  if (view != nullptr) *view = v;
  expire(now_ms);  // also brings stats_.before_start up to date
  return Reject::None;
}

void Verifier::sync_before_start() {
  uint64_t n = retired_before_start_;
  for (const Sender& s : senders_) n += s.window.before_start();
  stats_.before_start = n;
}

uint64_t Verifier::expire(int64_t now_ms) {
  uint64_t total = 0;
  for (Sender& s : senders_) {
    if (opts_.gap_timeout_ms <= 0) break;
    uint64_t mark = 0;
    while (!s.gaps.empty() && s.gaps.front().first + opts_.gap_timeout_ms <= now_ms) {
      mark = std::max(mark, s.gaps.front().second);
      s.gaps.pop_front();
    }
    if (mark == 0) continue;
    uint64_t n = s.window.expire_through(mark);
    if (n == 0) continue;
    total += n;
    stats_.lost += n;
    if (note_) note_(SenderNote{SenderNote::Gap, s.key, s.session_id, s.window.last_gap_first(), n});
  }
  sync_before_start();
  return total;
}

uint64_t Verifier::open_gaps() const {
  uint64_t n = 0;
  for (const Sender& s : senders_) n += s.window.open();
  return n;
}

}  // namespace uw::sign
