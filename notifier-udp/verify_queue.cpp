#include "notifier-udp/verify_queue.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace uw::notifier {

const char* shed_name(Shed s) {
  switch (s) {
    case Shed::SourceNewSessionRate:
      return "new_session_source_rate";
    case Shed::NewSessionRate:
      return "new_session_rate";
    case Shed::SourceBacklog:
      return "source_backlog";
    case Shed::QueueFull:
      return "queue_full";
    case Shed::Count_:
      break;
  }
  return "?";
}

size_t VerifyQueue::KeyHash::operator()(const Key& k) const {
  // FNV-1a over 19 bytes: the key is chosen by the sender, but a bucket
  // collision costs a little time, not a wrong answer (the map compares keys).
  uint64_t h = 1469598103934665603ull;
  for (uint8_t c : k.b) h = (h ^ c) * 1099511628211ull;
  return static_cast<size_t>(h);
}

VerifyQueue::VerifyQueue() : VerifyQueue(Options{}) {}

VerifyQueue::VerifyQueue(Options opts) : opts_(opts), slots_(std::max<size_t>(opts.slots, 1)) {
  // Every slot on the free list, in order.
  for (size_t i = slots_.size(); i-- > 0;) {
    slots_[i].next = free_head_;
    free_head_ = static_cast<uint32_t>(i);
  }
  new_tokens_ = opts_.new_burst;
  index_.reserve(std::min<size_t>(opts_.max_sources, 1024));
}

VerifyQueue::Key VerifyQueue::key_of(const sockaddr* from) {
  Key k;
  if (from == nullptr) return k;
  if (from->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(from);
    k.b[0] = 4;
    std::memcpy(&k.b[1], &in->sin_addr, 4);
    std::memcpy(&k.b[17], &in->sin_port, 2);
  } else if (from->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(from);
    k.b[0] = 6;
    std::memcpy(&k.b[1], &in6->sin6_addr, 16);
    std::memcpy(&k.b[17], &in6->sin6_port, 2);
  }
  return k;
}

bool VerifyQueue::spend(double* tokens, int64_t* at_ms, double rate, double burst, int64_t now_ms) {
  if (now_ms > *at_ms) {
    *tokens = std::min(burst, *tokens + rate * static_cast<double>(now_ms - *at_ms) / 1000.0);
    *at_ms = now_ms;
  }
  if (*tokens < 1.0) return false;
  *tokens -= 1.0;
  return true;
}

void VerifyQueue::forget_idle_sources(int64_t now_ms) {
  // Sources with nothing queued whose allowance has refilled are the same as
  // unknown ones; if that is not enough, every idle one goes (a source seen
  // again then starts with a full allowance: the total rate still binds).
  for (int pass = 0; pass < 2 && index_.size() >= opts_.max_sources; ++pass) {
    for (auto it = index_.begin(); it != index_.end();) {
      Source& s = sources_[it->second];
      bool refilled = s.tokens + opts_.source_new_per_s * static_cast<double>(now_ms - s.at_ms) / 1000.0 >=
                      opts_.source_new_burst;
      if (s.pending() == 0 && (pass == 1 || refilled)) {
        free_sources_.push_back(it->second);
        it = index_.erase(it);
      } else {
        ++it;
      }
    }
  }
}

uint32_t VerifyQueue::source_for(const sockaddr* from, int64_t now_ms) {
  Key k = key_of(from);
  if (auto it = index_.find(k); it != index_.end()) return it->second;
  if (index_.size() >= opts_.max_sources) forget_idle_sources(now_ms);
  uint32_t id;
  if (!free_sources_.empty()) {
    id = free_sources_.back();
    free_sources_.pop_back();
    sources_[id] = Source{};
  } else {
    id = static_cast<uint32_t>(sources_.size());
    sources_.emplace_back();
  }
  Source& s = sources_[id];
  s.key = k;
  s.tokens = opts_.source_new_burst;
  s.at_ms = now_ms;
  index_.emplace(k, id);
  return id;
}

Shed VerifyQueue::spend_new_session(Source& s, int64_t now_ms) {
  // The source's own allowance first: a flood from one source must not spend
  // the allowance every other source shares.
  if (!spend(&s.tokens, &s.at_ms, opts_.source_new_per_s, opts_.source_new_burst, now_ms))
    return Shed::SourceNewSessionRate;
  if (!spend(&new_tokens_, &new_at_ms_, opts_.new_per_s, opts_.new_burst, now_ms))
    return Shed::NewSessionRate;
  return Shed::Count_;
}

Shed VerifyQueue::charge(const sockaddr* from, int64_t now_ms) {
  Shed why = spend_new_session(sources_[source_for(from, now_ms)], now_ms);
  if (why != Shed::Count_) ++stats_.shed[static_cast<size_t>(why)];
  return why;
}

Shed VerifyQueue::push(const sockaddr* from, sign::Verifier::Standing standing, uint64_t session,
                       std::span<const uint8_t> bytes, uint64_t received_ns, int64_t now_ms) {
  auto shed = [this](Shed s) {
    ++stats_.shed[static_cast<size_t>(s)];
    return s;
  };
  if (bytes.size() > sign::kMaxDatagram) return shed(Shed::QueueFull);  // the caller checked; never here
  const int cls = standing == sign::Verifier::Standing::Established ? 0 : 1;
  uint32_t id = source_for(from, now_ms);
  Source& s = sources_[id];
  // The fair share: every slot over the sources that hold some (this one included).
  const size_t sharers = busy_sources_ + (s.pending() == 0 ? 1 : 0);
  const size_t share = std::max<size_t>(slots_.size() / std::max<size_t>(sharers, 1), 16);
  if (s.pending() >= share) return shed(Shed::SourceBacklog);
  if (free_head_ == kNone) return shed(Shed::QueueFull);
  bool unpaid = false;
  if (cls == 1) {
    if (s.queue[1].count > 0 && s.paid_session == session) {
      unpaid = true;  // behind a paid claim of the same session: settled when its turn comes
    } else {
      if (Shed why = spend_new_session(s, now_ms); why != Shed::Count_) return shed(why);
      s.paid_session = session;
    }
  }
  uint32_t slot = free_head_;
  Slot& sl = slots_[slot];
  free_head_ = sl.next;
  sl.next = kNone;
  sl.source = id;
  sl.size = bytes.size();
  sl.received_ns = received_ns;
  sl.unpaid = unpaid;
  std::memcpy(sl.bytes, bytes.data(), bytes.size());
  if (from != nullptr) {
    size_t len = from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    std::memcpy(&sl.from, from, len);
  } else {
    sl.from = sockaddr_storage{};
  }
  if (s.pending() == 0) ++busy_sources_;
  Fifo& q = s.queue[cls];
  if (q.tail == kNone)
    q.head = slot;
  else
    slots_[q.tail].next = slot;
  q.tail = slot;
  ++q.count;
  if (!s.in_ring[cls]) {
    s.in_ring[cls] = true;
    ring_[cls].push_back(id);
  }
  ++used_;
  ++stats_.admitted;
  return Shed::Count_;
}

bool VerifyQueue::pop(Item* out) {
  for (int cls = 0; cls < 2; ++cls) {
    if (ring_[cls].empty()) continue;
    uint32_t id = ring_[cls].front();
    ring_[cls].pop_front();
    Source& s = sources_[id];
    Fifo& q = s.queue[cls];
    uint32_t slot = q.head;
    Slot& sl = slots_[slot];
    q.head = sl.next;
    if (q.head == kNone) q.tail = kNone;
    --q.count;
    // Its turn is over: to the back of the line if it has more.
    if (q.count > 0)
      ring_[cls].push_back(id);
    else
      s.in_ring[cls] = false;
    if (s.pending() == 0) --busy_sources_;
    out->size = sl.size;
    std::memcpy(out->bytes.data(), sl.bytes, sl.size);
    out->from = sl.from;
    out->received_ns = sl.received_ns;
    out->unpaid = sl.unpaid;
    sl.next = free_head_;
    sl.source = kNone;
    free_head_ = slot;
    --used_;
    ++stats_.taken;
    return true;
  }
  return false;
}

}  // namespace uw::notifier
