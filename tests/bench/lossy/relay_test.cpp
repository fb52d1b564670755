// Integration tests for bench/lossy/relay.cpp + lossy_main.cpp: the real
// uwitter-lossy between two UDP sockets on 127.0.0.1.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"
#include "bench/lossy/truth.hpp"
#include "bench/runner/stats.hpp"
#include "sign/envelope.hpp"
#include "sign/keys.hpp"

#ifdef UWITTER_LOSSY_BIN

namespace uw::lossy {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A UDP socket bound to 127.0.0.1:0, closed on destruction.
class Udp {
 public:
  Udp() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    int big = 4 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Udp() { ::close(fd_); }
  uint16_t port() const { return port_; }
  bool send_to(uint16_t port, const std::vector<uint8_t>& bytes) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Reads whatever is queued, waiting up to wait_ms for the first datagram.
  void drain(std::vector<std::vector<uint8_t>>* out, int wait_ms) {
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, wait_ms) > 0) {
      uint8_t buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0) break;
      out->emplace_back(buf, buf + n);
      wait_ms = 0;
    }
  }
  // Drains until `want` datagrams are in *out or the deadline passes.
  void drain_until(std::vector<std::vector<uint8_t>>* out, size_t want, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (out->size() < want && Clock::now() < deadline) drain(out, 50);
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

std::vector<uint8_t> payload(uint32_t i, size_t len) {
  std::vector<uint8_t> b(len);
  for (size_t j = 0; j < len; ++j)
    b[j] = static_cast<uint8_t>((i * 2654435761u) >> (8 * (j % 4))) ^ static_cast<uint8_t>(j);
  std::memcpy(b.data(), &i, sizeof i);
  return b;
}

uint32_t id_of(const std::vector<uint8_t>& b) {
  uint32_t i = 0;
  std::memcpy(&i, b.data(), sizeof i);
  return i;
}

struct RelayRun {
  kit::TempDir dir;
  kit::ChildProcess relay;
  Udp sender, receiver;
  std::vector<std::vector<uint8_t>> got;

  bool start(std::vector<std::string> extra) {
    std::vector<std::string> argv = {UWITTER_LOSSY_BIN,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--forward",
                                     "127.0.0.1:" + std::to_string(receiver.port()),
                                     "--truth",
                                     dir.file("truth")};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return relay.start(argv, dir.file("stderr")) && relay.wait_listening(1);
  }
  // Asks the relay (SIGUSR1 -> "stats ..." line) until it has received n
  // datagrams, or the deadline passes. Returns the last stats line.
  std::string wait_received(uint64_t n, std::chrono::milliseconds timeout = 10s) {
    std::string last;
    for (auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
      relay.signal(SIGUSR1);
      auto line = relay.wait_line("stats ", 1s);
      if (!line) continue;
      last = *line;
      if (last.find(" received=" + std::to_string(n) + " ") != std::string::npos) break;
    }
    return last;
  }
  // Sends n datagrams of len bytes in batches, draining the receiver in between
  // so neither socket buffer overflows on a stalled VM.
  void send(uint32_t n, size_t len) {
    for (uint32_t i = 0; i < n; ++i) {
      ASSERT_TRUE(sender.send_to(relay.port("udp"), payload(i, len)));
      if (i % 64 == 63) receiver.drain(&got, 1);
    }
  }
};

TEST(LossyRelay, ForwardsExactlyWhatTheTruthFileSays) {
  RelayRun r;
  ASSERT_TRUE(r.start({"--seed", "7", "--drop", "0.2"}));
  const uint32_t n = 3000;
  r.send(n, 200);
  r.wait_received(n);
  ASSERT_EQ(r.relay.terminate(), 0) << r.relay.stderr_text();
  auto recs = read_truth_file(r.dir.file("truth"));
  const TruthSummary s = summarize(recs);
  r.receiver.drain_until(&r.got, s.forwarded, 10s);
  ASSERT_GE(s.received, n * 99 / 100) << "the loopback lost too much on the way in";
  EXPECT_EQ(r.got.size(), s.forwarded);
  // The exact set: every datagram the truth file passes, none that it drops.
  std::map<uint64_t, bool> expect_by_hash;
  for (const auto& rec : recs) expect_by_hash[rec.hash] = !rec.decision.dropped();
  size_t matched = 0;
  for (const auto& g : r.got) {
    auto it = expect_by_hash.find(fnv1a64(g));
    ASSERT_NE(it, expect_by_hash.end());
    EXPECT_TRUE(it->second) << "a dropped datagram arrived";
    ++matched;
  }
  EXPECT_EQ(matched, s.received - s.dropped);
  const auto iv = bench::binomial_acceptance(s.received, 0.2, 0.999);
  EXPECT_TRUE(iv.contains(static_cast<double>(s.dropped))) << s.dropped << " of " << s.received;
  auto summary = r.relay.wait_line("summary", 2s);
  ASSERT_TRUE(summary);
  EXPECT_NE(summary->find("received=" + std::to_string(s.received) + " "), std::string::npos) << *summary;
}

TEST(LossyRelay, CorruptsOneBitAndDuplicatesAsRecorded) {
  RelayRun r;
  ASSERT_TRUE(r.start({"--seed", "11", "--corrupt", "0.3", "--duplicate", "0.3"}));
  const uint32_t n = 1000;
  r.send(n, 120);
  r.wait_received(n);
  ASSERT_EQ(r.relay.terminate(), 0);
  auto recs = read_truth_file(r.dir.file("truth"));
  const TruthSummary s = summarize(recs);
  r.receiver.drain_until(&r.got, s.forwarded, 10s);
  ASSERT_EQ(r.got.size(), s.forwarded);
  EXPECT_GT(s.corrupted, 0u);
  EXPECT_GT(s.duplicated, 0u);
  std::map<uint64_t, const TruthRecord*> by_hash;
  for (const auto& rec : recs) by_hash[rec.hash] = &rec;
  std::map<uint64_t, int> copies;
  for (const auto& g : r.got) {
    // Undo the recorded corruption (if any) and find the original by hash.
    const TruthRecord* rec = nullptr;
    if (auto it = by_hash.find(fnv1a64(g)); it != by_hash.end() && !it->second->decision.corrupt) {
      rec = it->second;
    } else {
      for (size_t byte = 0; byte < g.size() && !rec; ++byte)
        for (int bit = 0; bit < 8 && !rec; ++bit) {
          auto fixed = g;
          fixed[byte] ^= static_cast<uint8_t>(1u << bit);
          auto it2 = by_hash.find(fnv1a64(fixed));
          if (it2 != by_hash.end() && it2->second->decision.corrupt &&
              it2->second->decision.corrupt_byte == byte && it2->second->decision.corrupt_bit == bit)
            rec = it2->second;
        }
    }
    ASSERT_NE(rec, nullptr) << "a datagram arrived that is neither intact nor one recorded bit flip away";
    ++copies[rec->hash];
  }
  for (const auto& rec : recs) EXPECT_EQ(copies[rec.hash], rec.decision.copies_out()) << rec.index;
}

TEST(LossyRelay, ReordersHeldDatagramsAndDeliversAll) {
  RelayRun r;
  ASSERT_TRUE(r.start({"--seed", "3", "--reorder", "0.2", "--reorder-delay-ms", "30"}));
  const uint32_t n = 500;
  r.send(n, 64);
  r.receiver.drain_until(&r.got, n, 10s);
  ASSERT_EQ(r.relay.terminate(), 0);
  const TruthSummary s = summarize(read_truth_file(r.dir.file("truth")));
  EXPECT_EQ(r.got.size(), s.forwarded);
  EXPECT_GT(s.reordered, 0u);
  int inversions = 0;
  for (size_t i = 1; i < r.got.size(); ++i) inversions += id_of(r.got[i]) < id_of(r.got[i - 1]);
  EXPECT_GT(inversions, 0);
}

TEST(LossyRelay, SigtermSendsHeldDatagramsAndExitsZero) {
  RelayRun r;
  ASSERT_TRUE(r.start({"--delay-ms", "60000"}));
  r.send(10, 32);
  // Wait (by asking, with a deadline) until the relay holds all ten.
  const std::string stats = r.wait_received(10);
  ASSERT_NE(stats.find(" held_now=10 "), std::string::npos) << stats;
  r.receiver.drain(&r.got, 0);
  EXPECT_TRUE(r.got.empty());
  EXPECT_EQ(r.relay.terminate(), 0);
  r.receiver.drain_until(&r.got, 10, 5s);
  EXPECT_EQ(r.got.size(), 10u);
  EXPECT_EQ(read_truth_file(r.dir.file("truth")).size(), 10u);
}

TEST(LossyRelay, SameSeedSameInputGivesIdenticalTruthFiles) {
  std::string files[2];
  for (auto& out : files) {
    RelayRun r;
    ASSERT_TRUE(r.start({"--seed", "77", "--drop", "0.1", "--burst-loss", "0.05", "--burst-len", "3",
                         "--duplicate", "0.05", "--corrupt", "0.05", "--jitter-ms", "2"}));
    r.send(800, 100);
    r.wait_received(800);
    ASSERT_EQ(r.relay.terminate(), 0);
    out = kit::read_file(r.dir.file("truth"));
  }
  // Arrival order on loopback from one socket is send order; a datagram lost on
  // the way in would shift everything, so compare only when both got all 800.
  auto lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
  ASSERT_EQ(lines(files[0]), 801);
  ASSERT_EQ(lines(files[1]), 801);
  EXPECT_EQ(files[0], files[1]);
}

TEST(LossyRelay, TruthRecordsEnvelopeSessionSequenceAndEvents) {
  RelayRun r;
  ASSERT_TRUE(r.start({"--seed", "5", "--drop", "0.5"}));
  auto key = sign::SecretKey::generate();
  sign::Encoder enc(key, 0xfeed, 1);
  const uint32_t n = 200;
  for (uint32_t i = 0; i < n; ++i) {
    std::vector<sign::Event> events;
    events.push_back(sign::PostEvent{100 + i, 7, "alice", 1000, "hello"});
    if (i % 2) events.push_back(sign::MentionEvent{100 + i, 7, "alice", 9, 1000, "hi @bob"});
    sign::Datagram d;
    ASSERT_TRUE(enc.seal(events, 1000, &d));
    ASSERT_TRUE(r.sender.send_to(r.relay.port("udp"), d));
  }
  ASSERT_TRUE(r.sender.send_to(r.relay.port("udp"), {1, 2, 3}));  // not an envelope
  r.wait_received(n + 1);
  ASSERT_EQ(r.relay.terminate(), 0);
  auto recs = read_truth_file(r.dir.file("truth"));
  ASSERT_EQ(recs.size(), n + 1);
  for (uint32_t i = 0; i < n; ++i) {
    ASSERT_TRUE(recs[i].session && recs[i].seq) << i;
    EXPECT_EQ(*recs[i].session, 0xfeedu);
    EXPECT_EQ(*recs[i].seq, i + 1);
    const std::string want =
        "p" + std::to_string(100 + i) + (i % 2 ? ",m" + std::to_string(100 + i) + ":9" : "");
    EXPECT_EQ(recs[i].events, want);
  }
  EXPECT_FALSE(recs[n].session);
  EXPECT_EQ(recs[n].events, "-");
}

TEST(LossyRelay, RejectsBadFlagsWithOneLine) {
  struct Row {
    std::vector<std::string> args;
    int status;
    const char* needle;
  };
  const Row rows[] = {
      {{"--forward", "127.0.0.1:9", "--drop", "2"}, 2, "--drop"},
      {{"--forward", "127.0.0.1:9", "--drop", "x"}, 2, "not a number"},
      {{"--listen", "127.0.0.1:0"}, 2, "--forward"},
      {{"--forward", "nonsense"}, 2, "--forward"},
      {{"--forward", "127.0.0.1:9", "--burst-loss", "0.9", "--burst-len", "1"}, 2, "infeasible"},
      {{"--forward", "127.0.0.1:9", "--bogus", "1"}, 2, "unknown flag"},
      {{"--forward", "127.0.0.1:9", "--truth", "/nonexistent-dir/x"}, 1, "cannot open"},
  };
  for (const auto& row : rows) {
    std::vector<std::string> argv = {UWITTER_LOSSY_BIN};
    argv.insert(argv.end(), row.args.begin(), row.args.end());
    auto res = kit::run(argv, 10s);
    EXPECT_EQ(res.status, row.status) << row.needle << ": " << res.err;
    EXPECT_NE(res.err.find(row.needle), std::string::npos) << res.err;
  }
  auto help = kit::run({UWITTER_LOSSY_BIN, "--help"}, 10s);
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("--burst-len"), std::string::npos);
}

}  // namespace
}  // namespace uw::lossy

#endif  // UWITTER_LOSSY_BIN
