// tests for bench/lossy/truth.cpp: the relay's ground-truth file format.
#include "bench/lossy/truth.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "bench/kit/temp_dir.hpp"

namespace uw::lossy {
namespace {

TEST(Truth, FormatThenParseRoundTrips) {
  TruthRecord r;
  r.index = 17;
  r.length = 312;
  r.hash = 0x0123456789abcdefull;
  r.decision.index = 17;
  r.decision.duplicate = true;
  r.decision.corrupt = true;
  r.decision.corrupt_byte = 12;
  r.decision.corrupt_bit = 3;
  r.decision.delay_us = 2500;
  r.session = 0xabcdef;
  r.seq = 99;
  r.events = "p5,m5:7,f1:2";
  const std::string line = format_truth(r);
  EXPECT_EQ(line, "17 312 0123456789abcdef corrupt@12.3,dup 2500 abcdef 99 p5,m5:7,f1:2");
  auto back = parse_truth(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(format_truth(*back), line);
  EXPECT_FALSE(back->delivered_intact());
}

TEST(Truth, ParsesGoodLinesAndRejectsBadOnes) {
  const char* good[] = {"0 10 0000000000000001 pass 0 - -", "5 1200 ffffffffffffffff drop,burst 0 1f 3",
                        "9 1 00000000000000aa reorder,dup 15000 - 7",
                        "9 1 00000000000000aa pass 0 a 7 p1,m1:2"};
  const char* bad[] = {"",
                       "# comment",
                       "0 10 0000000000000001 pass 0 -",
                       "0 10 01 pass 0 - -",
                       "0 10 000000000000000g pass 0 - -",
                       "x 10 0000000000000001 pass 0 - -",
                       "0 10 0000000000000001 explode 0 - -",
                       "0 10 0000000000000001 corrupt@1.8 0 - -",
                       "0 10 0000000000000001 corrupt@1 0 - -",
                       "0 10 0000000000000001 pass 0 - - - extra",
                       "0 -10 0000000000000001 pass 0 - -",
                       "0 10 0000000000000001 pass 0 zz -"};
  for (const char* l : good) EXPECT_TRUE(parse_truth(l)) << l;
  for (const char* l : bad) EXPECT_FALSE(parse_truth(l)) << l;
}

TEST(Truth, SummaryMergesCopiesByHash) {
  // Two copies of datagram A (one dropped, one through), B corrupted, C dropped, D duplicated.
  const char* lines[] = {"0 10 000000000000000a drop 0 - -", "1 10 000000000000000a pass 0 - -",
                         "2 10 000000000000000b corrupt@0.0 0 - -", "3 10 000000000000000c burst 0 - -",
                         "4 10 000000000000000d dup,reorder 0 - -"};
  std::vector<TruthRecord> recs;
  for (const char* l : lines) recs.push_back(*parse_truth(l));
  const TruthSummary s = summarize(recs);
  EXPECT_EQ(s.received, 5u);
  EXPECT_EQ(s.forwarded, 4u);  // A once, B once, D twice
  EXPECT_EQ(s.dropped, 2u);
  EXPECT_EQ(s.dropped_independent, 1u);
  EXPECT_EQ(s.dropped_burst, 1u);
  EXPECT_EQ(s.corrupted, 1u);
  EXPECT_EQ(s.duplicated, 1u);
  EXPECT_EQ(s.reordered, 1u);
  EXPECT_EQ(s.distinct, 4u);
  EXPECT_EQ(s.distinct_delivered, 2u);  // A and D
  EXPECT_EQ(s.intact_forwarded, 3u);
}

TEST(Truth, ReadFileCountsMalformedLines) {
  kit::TempDir dir;
  {
    std::ofstream f(dir.file("t"));
    f << "# header\n0 10 000000000000000a pass 0 - -\ngarbage\n1 10 000000000000000b drop 0 - -\n";
  }
  size_t bad = 0;
  auto recs = read_truth_file(dir.file("t"), &bad);
  EXPECT_EQ(recs.size(), 2u);
  EXPECT_EQ(bad, 1u);
}

TEST(Truth, Fnv1aMatchesKnownVectors) {
  const uint8_t a[] = {'a'};
  EXPECT_EQ(fnv1a64({}), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64(a), 0xaf63dc4c8601ec8cull);
}

}  // namespace
}  // namespace uw::lossy
