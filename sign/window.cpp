// RFC 6479-style replay window: block b (= seq / 64) lives in slot b % nblocks_.
// Advancing the top clears the slots it reuses; the set bits it clears are the
// received numbers leaving the window, so loss is counted exactly: each unseen
// number once, when it leaves the window, or earlier when expire_through()
// (the gap timeout) reaches it; expired_to_ keeps the two from both counting it.
#include "sign/window.hpp"

#include <algorithm>
#include <bit>

namespace uw::sign {

ReplayWindow::ReplayWindow(uint64_t bits) {
  if (bits < 1024) bits = 1024;
  bits_ = (bits + 63) / 64 * 64;
  nblocks_ = bits_ / 64 + 1;
  blocks_.assign(nblocks_, 0);
}

uint64_t ReplayWindow::low_for(uint64_t top) const {
  uint64_t tb = top >> 6;
  uint64_t l = tb + 1 >= nblocks_ ? (tb + 1 - nblocks_) * 64 : 0;
  return l < floor_ ? floor_ : l;
}

uint64_t ReplayWindow::unseen(uint64_t from, uint64_t to, uint64_t* first) const {
  if (from > to) return 0;
  uint64_t seen = 0;
  if (first) *first = 0;
  for (uint64_t b = from >> 6; b <= (to >> 6); ++b) {
    uint64_t lo = b == (from >> 6) ? (from & 63) : 0;
    uint64_t hi = b == (to >> 6) ? (to & 63) : 63;
    uint64_t mask = (hi == 63 ? ~uint64_t{0} : ((uint64_t{1} << (hi + 1)) - 1)) & ~((uint64_t{1} << lo) - 1);
    uint64_t bits = blocks_[b % nblocks_] & mask;
    seen += static_cast<uint64_t>(std::popcount(bits));
    if (first && *first == 0 && (bits | ~mask) != ~uint64_t{0})
      *first = b * 64 + static_cast<uint64_t>(std::countr_one(bits | ~mask));
  }
  return (to - from + 1) - seen;
}

ReplayWindow::Check ReplayWindow::check(uint64_t seq) const {
  if (seq == 0 || settled_) return Check::TooOld;
  if (received_ == 0 || seq > top_) return Check::Fresh;
  if (seq < low()) return Check::TooOld;
  uint64_t bit = uint64_t{1} << (seq & 63);
  return (blocks_[(seq >> 6) % nblocks_] & bit) ? Check::Duplicate : Check::Fresh;
}

uint64_t ReplayWindow::update(uint64_t seq) {
  if (seq == 0 || settled_) return 0;
  uint64_t delta = 0;
  if (received_ == 0) {
    floor_ = seq <= bits_ ? 1 : seq;
    if (joined_ && seq > floor_) join_below_ = seq;
    top_ = seq;  // empty ring: nothing to evict
  } else if (seq > top_) {
    // Numbers in [old low, new low) leave the window: the unseen ones not yet
    // counted (above expired_to_) are lost now. Those up to the old top have
    // bits in the ring; those above it were never seen at all.
    uint64_t old_low = low(), new_low = low_for(seq);
    if (new_low > old_low) {
      uint64_t from = std::max(old_low, expired_to_ + 1);
      uint64_t first = 0;
      delta += unseen_lost(from, std::min(new_low - 1, top_), &first);
      uint64_t beyond = std::max(top_ + 1, from);
      if (beyond < new_low) {
        delta += new_low - beyond;
        if (first == 0) first = beyond;
      }
      if (delta > 0) last_gap_first_ = first != 0 ? first : from;
    }
    uint64_t tb = top_ >> 6, nb = seq >> 6;
    uint64_t steps = std::min(nb - tb, nblocks_);
    for (uint64_t i = 1; i <= steps; ++i) blocks_[(tb + i) % nblocks_] = 0;
    top_ = seq;
  }
  if (seq <= expired_to_ && seq >= join_below_) ++late_;  // below: counted as before_start, not lost
  blocks_[(seq >> 6) % nblocks_] |= uint64_t{1} << (seq & 63);
  ++received_;
  lost_ += delta;
  return delta;
}

uint64_t ReplayWindow::expire_through(uint64_t mark) {
  if (settled_ || received_ == 0) return 0;
  uint64_t to = std::min(mark, top_);
  uint64_t from = std::max(low(), expired_to_ + 1);
  uint64_t first = 0;
  uint64_t n = unseen_lost(from, to, &first);
  if (to > expired_to_) expired_to_ = to;
  if (n > 0) last_gap_first_ = first;
  lost_ += n;
  return n;
}

uint64_t ReplayWindow::open() const {
  if (settled_ || received_ == 0) return 0;
  return unseen(std::max({low(), expired_to_ + 1, join_below_}), top_, nullptr);
}

uint64_t ReplayWindow::settle() {
  if (settled_) return 0;
  settled_ = true;
  if (received_ == 0) return 0;
  uint64_t first = 0;
  uint64_t n = unseen_lost(std::max(low(), expired_to_ + 1), top_, &first);
  if (n > 0) last_gap_first_ = first;
  lost_ += n;
  return n;
}

uint64_t ReplayWindow::unseen_lost(uint64_t from, uint64_t to, uint64_t* first) {
  if (first) *first = 0;
  if (from > to) return 0;
  if (join_below_ > from) {
    const uint64_t below = std::min(to, join_below_ - 1);
    before_start_ += unseen(from, below, nullptr);
    if (below == to) return 0;
    from = below + 1;
  }
  return unseen(from, to, first);
}

}  // namespace uw::sign
