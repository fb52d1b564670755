#pragma once
// Sliding anti-replay window in the style of RFC 6479: a ring of 64-bit blocks,
// no bit shifting of the whole window. Also counts sequence numbers that left
// the window unseen (lost).
#include <cstdint>
#include <vector>

namespace uw::sign {

class ReplayWindow {
 public:
  enum class Check { Fresh, TooOld, Duplicate };
  explicit ReplayWindow(uint64_t bits = 4096);  // rounded up to a multiple of 64, >= 1024
  // Pure check, no change (call before paying for a signature verify).
  Check check(uint64_t seq) const;
  // Marks seq as seen (after the signature verified). Returns how many sequence
  // numbers were newly counted lost because they slid out of the window unseen.
  uint64_t update(uint64_t seq);
  // Counts every unseen number between the lowest in-window number and the
  // highest seen as lost (sender session ended); returns that count.
  uint64_t settle();
  uint64_t highest() const { return top_; }
  uint64_t received() const { return received_; }
  uint64_t lost() const { return lost_; }
 private:
  uint64_t bits_;
  std::vector<uint64_t> blocks_;
  uint64_t top_ = 0;      // highest seq seen (0 = none)
  uint64_t received_ = 0;
  uint64_t lost_ = 0;
};

}  // namespace uw::sign
