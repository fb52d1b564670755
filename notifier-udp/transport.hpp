#pragma once
// uw::notifier::Transport — how an envelope reached the notifier. Every
// transport feeds the same Ingest::offer() (allow-list, size, verify, replay
// window, loss accounting); this tag only picks the allow-list and the
// per-transport counters on /metrics ({transport="udp"|"tcp"|"http"|"amqp"}).
// AMQP has no allow-list of ours: its peer is the broker, and who may publish
// is the broker's own access control (user, password, vhost).
// Any thread (plain values).
#include <cstddef>
#include <cstdint>

namespace uw::notifier {

enum class Transport : uint8_t { Udp, Tcp, Http, Amqp, Count_ };
inline constexpr size_t kTransports = static_cast<size_t>(Transport::Count_);

constexpr const char* transport_name(Transport t) {
  switch (t) {
    case Transport::Udp:
      return "udp";
    case Transport::Tcp:
      return "tcp";
    case Transport::Http:
      return "http";
    case Transport::Amqp:
      return "amqp";
    case Transport::Count_:
      break;
  }
  return "?";
}

// What offer() made of one envelope. Duplicate is a success for a sender that
// resends (a TCP reconnect, an HTTP retry): the notification went out once.
enum class Verdict : uint8_t { Accepted, Duplicate, Disallowed, Oversized, Rejected };

}  // namespace uw::notifier
