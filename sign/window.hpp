#pragma once
// Sliding anti-replay window in the style of RFC 6479: a ring of 64-bit blocks,
// no bit shifting of the whole window. Also counts sequence numbers that left
// the window unseen (lost). docs/PROTOCOL.md section 5 defines the arithmetic.
// Not thread-safe: one window belongs to one Verifier on one thread.
#include <cstdint>
#include <vector>

namespace uw::sign {

class ReplayWindow {
 public:
  enum class Check { Fresh, TooOld, Duplicate };
  // bits is rounded up to a multiple of 64, and to at least 1024. The ring holds
  // bits/64 + 1 blocks, so any seq within `bits` of the highest seen is accepted.
  explicit ReplayWindow(uint64_t bits = 4096);
  // Pure check, no change (call before paying for a signature verify).
  // Seq 0 is never valid (TooOld).
  Check check(uint64_t seq) const;
  // Marks seq as seen (after the signature verified; seq must have checked Fresh).
  // Returns how many sequence numbers were newly counted lost because they slid
  // out of the window unseen (numbers expire_through() already counted are not
  // counted again).
  uint64_t update(uint64_t seq);
  // Before the first update(): the receiver joined a session already running.
  // The numbers below the first one accepted are still taken if they arrive
  // (a reordered start), but those that never do are counted in before_start()
  // when they would have been counted lost: they may have gone to a previous
  // receiver before this one started.
  void join() { joined_ = true; }
  uint64_t before_start() const { return before_start_; }
  // Counts every unseen number up to min(mark, highest()) that is still in the
  // window and not counted yet as lost now (a gap that stayed open too long);
  // returns that count. Such a number stays acceptable once: if it arrives
  // after all it is taken (and counted in late()), never counted lost twice.
  uint64_t expire_through(uint64_t mark);
  // Unseen numbers in the window up to highest() not yet counted lost.
  uint64_t open() const;
  uint64_t late() const { return late_; }
  // Counts every unseen number between the lowest in-window number and the
  // highest seen as lost (sender session ended); returns that count. A second
  // call returns 0.
  uint64_t settle();
  uint64_t highest() const { return top_; }
  uint64_t received() const { return received_; }
  uint64_t lost() const { return lost_; }
  // The lowest sequence number the window accounts for: 1 if the first number
  // seen was within one window of the start, else that first number (a receiver
  // that joins a long-running session does not count its past as lost).
  uint64_t floor() const { return floor_; }
  uint64_t width() const { return bits_; }
  // First number of the most recent run counted lost by update() or settle().
  uint64_t last_gap_first() const { return last_gap_first_; }

 private:
  uint64_t low() const { return low_for(top_); }  // lowest number still inside the window (>= floor_)
  uint64_t low_for(uint64_t top) const;
  // Unseen numbers in [from, to] (both inside [low(), top_]), and the first one (0 if none).
  uint64_t unseen(uint64_t from, uint64_t to, uint64_t* first) const;
  // unseen(), except that numbers below join_below_ go to before_start_:
  // returns the lost ones only.
  uint64_t unseen_lost(uint64_t from, uint64_t to, uint64_t* first);
  uint64_t bits_;
  uint64_t nblocks_;
  std::vector<uint64_t> blocks_;
  uint64_t top_ = 0;  // highest seq seen (0 = none)
  uint64_t floor_ = 1;
  uint64_t received_ = 0;
  uint64_t lost_ = 0;
  uint64_t expired_to_ = 0;  // every unseen number <= this was counted lost by expire_through()
  uint64_t late_ = 0;
  uint64_t last_gap_first_ = 0;
  bool settled_ = false;
  bool joined_ = false;
  uint64_t join_below_ = 0;  // joined: the first number accepted (0 = not joined)
  uint64_t before_start_ = 0;
};

}  // namespace uw::sign
