// sign/ microbenchmarks. The yardstick is BM_VerifyBare: one libsodium
// crypto_sign_verify_detached on a message the size of a one-event datagram.
// Everything else is read against it (docs/PERFORMANCE.md, section "sign"):
// cheap rejections must cost < 2% of it, a full accept < 105% of it.
#include <benchmark/benchmark.h>
#include <sodium.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "sign/envelope.hpp"
#include "sign/ticket.hpp"

namespace {

using namespace uw::sign;

constexpr int64_t kT0 = 1'795'824'000'000;
constexpr size_t kRing = 2048;  // pre-signed datagrams cycled through per verifier

SecretKey key_from(uint8_t first) {
  Seed s;
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<uint8_t>(first + i);
  return SecretKey::from_seed(s);
}

PostEvent post80(int64_t id) { return PostEvent{id, 7, "alice", kT0, std::string(80, 'x')}; }

// Events of 80-character uweets that fill one datagram.
size_t per_full_datagram() {
  return (kMaxDatagram - kHeaderBytes - kSignatureBytes) / encoded_size(post80(0));
}

struct Fixture {
  SecretKey key = key_from(0);
  SecretKey other = key_from(0x20);
  KeyRing ring;
  Fixture() { ring.add(key.public_key()); }
  // n consecutive datagrams of `events` 80-character posts each.
  std::vector<Datagram> series(size_t n, size_t events, uint64_t session = 1) {
    Encoder enc(key, session, 1);
    std::vector<Datagram> out(n);
    std::vector<Event> evs;
    for (size_t i = 0; i < events; ++i) evs.push_back(post80(static_cast<int64_t>(i)));
    for (auto& d : out) enc.seal(evs, kT0, &d);
    return out;
  }
};

Fixture& fx() {
  static Fixture f;
  return f;
}

void BM_SignOneEventDatagram(benchmark::State& state) {
  Encoder enc(fx().key, 1, 1);
  std::vector<Event> evs{post80(1)};
  Datagram d;
  for (auto _ : state) {
    enc.seal(evs, kT0, &d);
    benchmark::DoNotOptimize(d.data());
  }
}
BENCHMARK(BM_SignOneEventDatagram);

void BM_VerifyBare(benchmark::State& state) {
  // The yardstick: a bare verify of a message as long as domain + signed bytes
  // of a one-event datagram.
  Datagram d = fx().series(1, 1)[0];
  std::vector<uint8_t> msg(20 + d.size() - 64, 0x5a);
  uint8_t sig[64];
  crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), fx().key.bytes());
  for (auto _ : state) {
    int r = crypto_sign_verify_detached(sig, msg.data(), msg.size(), fx().key.public_key().data());
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_VerifyBare);

// Decode + every check + signature + window update of valid datagrams.
void accept_series(benchmark::State& state, size_t events) {
  auto ds = fx().series(kRing, events);
  std::optional<Verifier> v(std::in_place, fx().ring);
  size_t i = 0;
  uint64_t delivered = 0;
  for (auto _ : state) {
    if (i == ds.size()) {
      state.PauseTiming();
      v.emplace(fx().ring);  // a fresh window: the ring of sequence numbers restarts
      i = 0;
      state.ResumeTiming();
    }
    DatagramView view;
    if (v->accept(ds[i++], kT0, &view) != Reject::None) state.SkipWithError("rejected");
    view.visit_events([&](const EventView&) { ++delivered; });
  }
  state.SetItemsProcessed(static_cast<int64_t>(delivered));  // items = events
}
void BM_AcceptValidOneEvent(benchmark::State& state) { accept_series(state, 1); }
void BM_AcceptValidCoalesced(benchmark::State& state) { accept_series(state, per_full_datagram()); }
BENCHMARK(BM_AcceptValidOneEvent);
BENCHMARK(BM_AcceptValidCoalesced);

// Everything accept() does for a valid datagram except the signature check:
// view, key lookup, time, window check, event walk, message copy, window update.
// The end-to-end difference AcceptValid - VerifyBare is within the run-to-run
// noise of a shared machine; this isolates the part that is ours.
void BM_AcceptWorkExceptSignature(benchmark::State& state) {
  Datagram d = fx().series(1, 1)[0];
  ReplayWindow w;
  uint64_t seq = 1;
  uint8_t msg[20 + kMaxDatagram];
  for (auto _ : state) {
    DatagramView view(d);
    const PublicKey* pk = fx().ring.find(view.header().key_id);
    bool ok = view.well_formed() && pk != nullptr && view.header().sent_at_ms >= kT0 - 30'000 &&
              w.check(seq) == ReplayWindow::Check::Fresh && view.events_valid();
    auto sb = view.signed_bytes();
    std::memcpy(msg + 20, sb.data(), sb.size());
    benchmark::DoNotOptimize(msg);
    benchmark::DoNotOptimize(w.update(seq++));
    size_t n = 0;
    view.visit_events([&](const EventView&) { ++n; });
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_AcceptWorkExceptSignature);

void BM_RejectBadSignature(benchmark::State& state) {
  Datagram d = fx().series(1, 1)[0];
  d[d.size() - 10] ^= 1;
  Verifier v(fx().ring);
  for (auto _ : state) benchmark::DoNotOptimize(v.accept(d, kT0, nullptr));
  if (v.stats().accepted != 0) state.SkipWithError("accepted a bad signature");
}
BENCHMARK(BM_RejectBadSignature);

void BM_RejectTooOld(benchmark::State& state) {
  Encoder enc(fx().key, 9, 1);
  std::vector<Event> evs{post80(1)};
  Datagram old_one, newest;
  enc.seal(evs, kT0, &old_one);
  Encoder later(fx().key, 9, 100'000);
  later.seal(evs, kT0, &newest);
  Verifier v(fx().ring);
  if (v.accept(newest, kT0, nullptr) != Reject::None) state.SkipWithError("setup");
  for (auto _ : state) benchmark::DoNotOptimize(v.accept(old_one, kT0, nullptr));
}
BENCHMARK(BM_RejectTooOld);

void BM_RejectDuplicate(benchmark::State& state) {
  Datagram d = fx().series(1, 1)[0];
  Verifier v(fx().ring);
  if (v.accept(d, kT0, nullptr) != Reject::None) state.SkipWithError("setup");
  for (auto _ : state) benchmark::DoNotOptimize(v.accept(d, kT0, nullptr));
}
BENCHMARK(BM_RejectDuplicate);

void BM_RejectUnknownKey(benchmark::State& state) {
  Encoder enc(fx().other, 1, 1);
  std::vector<Event> evs{post80(1)};
  Datagram d;
  enc.seal(evs, kT0, &d);
  Verifier v(fx().ring);
  for (auto _ : state) benchmark::DoNotOptimize(v.accept(d, kT0, nullptr));
}
BENCHMARK(BM_RejectUnknownKey);

void BM_RejectMalformed(benchmark::State& state) {
  // A datagram-sized buffer of noise (wrong magic) and a valid one cut short.
  Datagram noise(300, 0xab);
  Datagram cut = fx().series(1, 1)[0];
  cut.resize(cut.size() - 30);
  Verifier v(fx().ring);
  bool flip = false;
  for (auto _ : state) {
    benchmark::DoNotOptimize(v.accept(flip ? noise : cut, kT0, nullptr));
    flip = !flip;
  }
}
BENCHMARK(BM_RejectMalformed);

void BM_VerifyTicket(benchmark::State& state) {
  std::string t = mint_ticket(fx().key, Ticket{7, kT0 / 1000 + 60});
  Ticket out;
  for (auto _ : state) benchmark::DoNotOptimize(verify_ticket(t, fx().ring, kT0 / 1000, &out));
}
BENCHMARK(BM_VerifyTicket);

}  // namespace

BENCHMARK_MAIN();
