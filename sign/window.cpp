// RFC 6479-style replay window: block b (= seq / 64) lives in slot b % nblocks_.
// Advancing the top clears the slots it reuses; the set bits it clears are the
// received numbers leaving the window, which is how loss is counted exactly:
//   lost = (numbers in [floor_, low()) ) - (received numbers that left).
#include "sign/window.hpp"

#include <bit>

namespace uw::sign {

ReplayWindow::ReplayWindow(uint64_t bits) {
  if (bits < 1024) bits = 1024;
  bits_ = (bits + 63) / 64 * 64;
  nblocks_ = bits_ / 64 + 1;
  blocks_.assign(nblocks_, 0);
}

uint64_t ReplayWindow::low() const {
  uint64_t tb = top_ >> 6;
  uint64_t l = tb + 1 >= nblocks_ ? (tb + 1 - nblocks_) * 64 : 0;
  return l < floor_ ? floor_ : l;
}

ReplayWindow::Check ReplayWindow::check(uint64_t seq) const {
  if (seq == 0 || settled_) return Check::TooOld;
  if (received_ == 0 || seq > top_) return Check::Fresh;
  if (seq < low()) return Check::TooOld;
  uint64_t bit = uint64_t{1} << (seq & 63);
  return (blocks_[(seq >> 6) % nblocks_] & bit) ? Check::Duplicate : Check::Fresh;
}

namespace {
// First unseen number in block b (numbers from..to inclusive), or 0.
uint64_t first_unseen(uint64_t bits, uint64_t b, uint64_t from, uint64_t to) {
  for (uint64_t s = from; s <= to; ++s)
    if (!(bits & (uint64_t{1} << (s & 63)))) return s;
  (void)b;
  return 0;
}
}  // namespace

uint64_t ReplayWindow::update(uint64_t seq) {
  if (seq == 0 || settled_) return 0;
  if (received_ == 0) floor_ = seq <= bits_ ? 1 : seq;
  uint64_t before_low = low();
  uint64_t gap_first = 0;
  if (seq > top_) {
    uint64_t tb = top_ >> 6, nb = seq >> 6;
    if (received_ == 0) tb = nb;  // empty ring: nothing to evict
    uint64_t steps = nb - tb;
    if (steps > nblocks_) steps = nblocks_;
    for (uint64_t i = 1; i <= steps; ++i) {
      uint64_t& slot = blocks_[(tb + i) % nblocks_];
      if (gap_first == 0 && tb + i >= nblocks_) {
        // Block tb+i-nblocks_ is leaving; note its first unseen number.
        uint64_t evicted = tb + i - nblocks_;
        uint64_t from = evicted * 64 < before_low ? before_low : evicted * 64;
        uint64_t to = evicted * 64 + 63 < top_ ? evicted * 64 + 63 : top_;
        if (from <= to) gap_first = first_unseen(slot, evicted, from, to);
      }
      received_left_ += static_cast<uint64_t>(std::popcount(slot));
      slot = 0;
    }
    top_ = seq;
  }
  blocks_[(seq >> 6) % nblocks_] |= uint64_t{1} << (seq & 63);
  ++received_;
  uint64_t lost_total = low() - floor_ - received_left_;
  uint64_t delta = lost_total - lost_;
  if (delta > 0) last_gap_first_ = gap_first != 0 ? gap_first : before_low;
  lost_ = lost_total;
  return delta;
}

uint64_t ReplayWindow::settle() {
  if (settled_) return 0;
  settled_ = true;
  if (received_ == 0) return 0;
  uint64_t l = low();
  uint64_t seen = 0;
  for (uint64_t b : blocks_) seen += static_cast<uint64_t>(std::popcount(b));
  uint64_t unseen = top_ + 1 - l - seen;
  if (unseen > 0) {
    for (uint64_t s = l; s <= top_; ++s) {
      if (!(blocks_[(s >> 6) % nblocks_] & (uint64_t{1} << (s & 63)))) {
        last_gap_first_ = s;
        break;
      }
    }
  }
  lost_ += unseen;
  return unseen;
}

}  // namespace uw::sign
