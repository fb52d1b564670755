// The docs/PROTOCOL.md test vectors, byte for byte, from tests/sign/vectors.txt.
// Ed25519 signatures are deterministic, so a fixed seed gives fixed bytes.
// To regenerate after a deliberate protocol change:
//   UWITTER_WRITE_VECTORS=tests/sign/vectors.txt uwitter-sign-tests --gtest_filter='Vectors.*'
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>

#include "sign/envelope.hpp"
#include "sign/ticket.hpp"
#include "tests/sign/fixtures.hpp"

namespace uw::sign {
namespace {

using namespace testing;

constexpr uint64_t kSession = 0x0123456789abcdefULL;

PostEvent vec_post() { return PostEvent{1001, 7, "alice", kT0 - 20, "Hello, Uwitter! First uweet."}; }
FollowEvent vec_follow() { return FollowEvent{9, "bob", 7, kT0 - 10}; }
MentionEvent vec_mention() {
  return MentionEvent{1002, 9, "bob", 7, kT0 - 5, "@alice h\xc3\xa9llo \xf0\x9f\x8c\x8d"};
}

// The vectors as (name, value) in file order.
std::vector<std::pair<std::string, std::string>> compute() {
  SecretKey k = key_a();
  std::vector<std::pair<std::string, std::string>> v;
  v.emplace_back("seed", hex(k.seed()));
  v.emplace_back("public_key", hex(k.public_key()));
  v.emplace_back("key_id", hex(k.id()));
  v.emplace_back("public_key_line", format_public_key(k.public_key()));
  Encoder enc(k, kSession, 1);
  Datagram d;
  EXPECT_TRUE(enc.seal(std::vector<Event>{vec_post()}, kT0, &d));
  v.emplace_back("datagram_post", hex(d.data(), d.size()));
  EXPECT_TRUE(enc.seal(std::vector<Event>{vec_follow()}, kT0 + 1, &d));
  v.emplace_back("datagram_follow", hex(d.data(), d.size()));
  EXPECT_TRUE(enc.seal(std::vector<Event>{vec_mention()}, kT0 + 2, &d));
  v.emplace_back("datagram_mention", hex(d.data(), d.size()));
  EXPECT_TRUE(enc.seal(std::vector<Event>{vec_post(), vec_follow(), vec_mention()}, kT0 + 3, &d));
  v.emplace_back("datagram_coalesced", hex(d.data(), d.size()));
  v.emplace_back("ticket", mint_ticket(k, Ticket{7, kT0 / 1000 + 3600}));
  return v;
}

std::map<std::string, std::string> load_file() {
  std::map<std::string, std::string> m;
  std::ifstream in(std::string(UWITTER_SOURCE_DIR) + "/tests/sign/vectors.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(": ");
    if (colon != std::string::npos) m[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return m;
}

TEST(Vectors, MatchTheGoldenFileByteForByte) {
  auto computed = compute();
  if (const char* out = std::getenv("UWITTER_WRITE_VECTORS")) {
    std::ofstream f(out);
    f << "# Uwitter protocol test vectors: docs/PROTOCOL.md section 9. Datagrams in lowercase hex,\n"
         "# the ticket in its text form (unpadded base64url). Checked by tests/sign/vectors_test.cpp.\n";
    for (const auto& [name, value] : computed) f << name << ": " << value << "\n";
  }
  auto golden = load_file();
  ASSERT_EQ(golden.size(), computed.size()) << "tests/sign/vectors.txt missing or incomplete";
  for (const auto& [name, value] : computed) EXPECT_EQ(golden[name], value) << name;
}

TEST(Vectors, GoldenDatagramsVerifyAndDecode) {
  auto g = load_file();
  auto pk = parse_public_key(g["public_key_line"]);
  ASSERT_TRUE(pk.has_value());
  KeyRing ring;
  ring.add(*pk);
  Verifier v(ring);
  uint64_t seq = 1;
  for (const char* name : {"datagram_post", "datagram_follow", "datagram_mention", "datagram_coalesced"}) {
    std::vector<uint8_t> bytes = unhex(g[name]);
    ASSERT_FALSE(bytes.empty()) << name;
    DatagramView view;
    ASSERT_EQ(v.accept(bytes, kT0 + 3, &view), Reject::None) << name;
    EXPECT_EQ(view.header().session_id, kSession);
    EXPECT_EQ(view.header().seq, seq++);
  }
  std::vector<uint8_t> c = unhex(g["datagram_coalesced"]);
  DatagramView view(c);
  std::vector<EventView> evs;
  ASSERT_TRUE(view.for_each_event([&](const EventView& e) { evs.push_back(e); }));
  ASSERT_EQ(evs.size(), 3u);
  EXPECT_EQ(std::get<PostView>(evs[0]).text, "Hello, Uwitter! First uweet.");
  EXPECT_EQ(std::get<FollowView>(evs[1]).follower, "bob");
  EXPECT_EQ(std::get<MentionView>(evs[2]).text, vec_mention().text);
  Ticket t;
  EXPECT_EQ(verify_ticket(g["ticket"], ring, kT0 / 1000, &t), TicketError::None);
  EXPECT_EQ(t.user_id, 7);
  EXPECT_EQ(t.expires_at_s, kT0 / 1000 + 3600);
}

TEST(Vectors, ProtocolDocCarriesTheSameHex) {
  // docs/PROTOCOL.md wraps long hex over lines; compare with whitespace removed.
  std::ifstream in(std::string(UWITTER_SOURCE_DIR) + "/docs/PROTOCOL.md");
  std::string doc, line;
  while (std::getline(in, line)) doc += line;
  std::erase_if(doc, [](char c) { return c == ' '; });
  ASSERT_FALSE(doc.empty());
  for (const auto& [name, value] : compute()) {
    std::string v = value;
    std::erase_if(v, [](char c) { return c == ' '; });
    EXPECT_NE(doc.find(v), std::string::npos) << name << " is not in docs/PROTOCOL.md";
  }
}

}  // namespace
}  // namespace uw::sign
