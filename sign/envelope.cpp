// Sender side (Encoder, Coalescer) and the receive-side DatagramView.
// Layout by byte offset: sign/wire.hpp and docs/PROTOCOL.md section 2.
#include "sign/envelope.hpp"

#include <sodium.h>

#include <cstring>

#include "sign/event_codec.hpp"
#include "sign/wire.hpp"

namespace uw::sign {

static_assert(wire::kOffEvents == kHeaderBytes, "the wire offsets and the public header size agree");

namespace {
uint64_t random_session_id() {
  init();
  uint64_t id = 0;
  while (id == 0) randombytes_buf(&id, sizeof id);
  return id;
}
}  // namespace

Encoder::Encoder(const SecretKey& key, uint64_t session_id, uint64_t first_seq)
    : key_(key),
      session_id_(session_id != 0 ? session_id : random_session_id()),
      next_seq_(first_seq != 0 ? first_seq : 1) {}

bool Encoder::seal(std::span<const Event> events, int64_t now_ms, Datagram* out) {
  if (events.empty() || events.size() > 0xffff) return false;
  size_t total = kOverheadBytes;
  for (const Event& e : events) {
    if (!within_limits(e)) return false;
    total += encoded_size(e);
    if (total > kMaxDatagram) return false;
  }
  // The domain string sits right before the datagram so one contiguous buffer
  // is exactly the signed message: domain || every byte before the signature.
  constexpr size_t kDom = sizeof wire::kDatagramDomain;
  uint8_t buf[kDom + kMaxDatagram];
  std::memcpy(buf, wire::kDatagramDomain, kDom);
  uint8_t* d = buf + kDom;
  std::memcpy(d + wire::kOffMagic, wire::kMagic, 4);
  d[wire::kOffVersion] = kVersion;
  std::memcpy(d + wire::kOffKeyId, key_.id().data(), kKeyIdBytes);
  wire::put_u64(d + wire::kOffSession, session_id_);
  wire::put_u64(d + wire::kOffSeq, next_seq_);
  wire::put_i64(d + wire::kOffSentAt, now_ms);
  wire::put_u16(d + wire::kOffCount, static_cast<uint16_t>(events.size()));
  size_t pos = kHeaderBytes;
  for (const Event& e : events) pos += codec::encode(e, d + pos);
  crypto_sign_detached(d + pos, nullptr, buf, kDom + pos, key_.bytes());
  pos += kSignatureBytes;
  out->assign(d, d + pos);
  ++next_seq_;
  return true;
}

void Encoder::seal_heartbeat(int64_t now_ms, Datagram* out) {
  constexpr size_t kDom = sizeof wire::kDatagramDomain;
  uint8_t buf[kDom + kHeartbeatBytes];
  std::memcpy(buf, wire::kDatagramDomain, kDom);
  uint8_t* d = buf + kDom;
  std::memcpy(d + wire::kOffMagic, wire::kMagic, 4);
  d[wire::kOffVersion] = kHeartbeatVersion;
  std::memcpy(d + wire::kOffKeyId, key_.id().data(), kKeyIdBytes);
  wire::put_u64(d + wire::kOffSession, session_id_);
  wire::put_u64(d + wire::kOffSeq, next_seq_);
  wire::put_i64(d + wire::kOffSentAt, now_ms);
  wire::put_u16(d + wire::kOffCount, 0);
  crypto_sign_detached(d + kHeaderBytes, nullptr, buf, kDom + kHeaderBytes, key_.bytes());
  out->assign(d, d + kHeartbeatBytes);
  ++next_seq_;
}

Coalescer::Coalescer(Encoder& enc, size_t max_bytes)
    : enc_(enc), max_bytes_(max_bytes > kMaxDatagram ? kMaxDatagram : max_bytes) {}

bool Coalescer::add(Event e, int64_t now_ms, std::vector<Datagram>* out) {
  size_t n = encoded_size(e);
  if (!within_limits(e) || kOverheadBytes + n > max_bytes_) return false;
  if (!pending_.empty() && (kOverheadBytes + pending_bytes_ + n > max_bytes_ || pending_.size() == 0xffff)) {
    flush(now_ms, out);
  }
  pending_.push_back(std::move(e));
  pending_bytes_ += n;
  return true;
}

void Coalescer::flush(int64_t now_ms, std::vector<Datagram>* out) {
  if (pending_.empty()) return;
  Datagram d;
  // Cannot fail: add() kept every pending event within limits and the total within max_bytes_.
  if (enc_.seal(pending_, now_ms, &d)) out->push_back(std::move(d));
  pending_.clear();
  pending_bytes_ = 0;
}

DatagramView::DatagramView(std::span<const uint8_t> bytes) : b_(bytes) {
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  if (n < wire::kOffVersion + 1 || std::memcmp(p, wire::kMagic, 4) != 0) return;
  h_.version = p[wire::kOffVersion];
  if (h_.version != kVersion && h_.version != kHeartbeatVersion) {
    other_version_ = true;
    return;
  }
  if (n < (h_.version == kVersion ? kMinDatagram : kHeartbeatBytes) || n > kMaxDatagram) return;
  std::memcpy(h_.key_id.data(), p + wire::kOffKeyId, kKeyIdBytes);
  h_.session_id = wire::get_u64(p + wire::kOffSession);
  h_.seq = wire::get_u64(p + wire::kOffSeq);
  h_.sent_at_ms = wire::get_i64(p + wire::kOffSentAt);
  h_.event_count = wire::get_u16(p + wire::kOffCount);
  ok_ = h_.event_count >= 1 || h_.version == kHeartbeatVersion;
}

size_t DatagramView::events_end() const { return b_.size() - kOverheadBytes; }

std::span<const uint8_t> DatagramView::signed_bytes() const {
  if (!ok_) return {};
  return b_.first(b_.size() - kSignatureBytes);
}

std::span<const uint8_t> DatagramView::signature() const {
  if (!ok_) return {};
  return b_.last(kSignatureBytes);
}

bool DatagramView::next_event(size_t* pos, EventView* out) const {
  if (!ok_ || *pos >= events_end()) return false;
  size_t used = 0;
  if (!codec::parse(b_.data() + kHeaderBytes + *pos, events_end() - *pos, out, &used)) return false;
  *pos += used;
  return true;
}

bool DatagramView::events_valid() const {
  return visit_events([](const EventView&) {});
}

bool DatagramView::for_each_event(const std::function<void(const EventView&)>& fn) const {
  return visit_events([&fn](const EventView& ev) { fn(ev); });
}

}  // namespace uw::sign
