#pragma once
// uw::web::NotifyTarget — one --notify entry: which transport carries the
// signed envelopes to one notifier. A bare HOST:PORT (and udp://HOST:PORT) is
// the UDP datagram path it always was; tcp://HOST:PORT is one persistent
// connection of length-prefixed envelopes; http://HOST:PORT[/PATH] is a POST
// of each envelope (PATH defaults to /ingest, the notifier's route);
// amqp://USER:PASSWORD@HOST:PORT/VHOST[?queue=NAME] publishes each envelope to
// a durable RabbitMQ queue (core/amqp/url.hpp; web/emitter/amqp_sender.hpp).
// Any thread (plain values).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/amqp/url.hpp"
#include "core/flags.hpp"
#include "core/result.hpp"

namespace uw::web {

enum class NotifyScheme : uint8_t { Udp, Tcp, Http, Amqp };
const char* notify_scheme_name(NotifyScheme s);  // "udp", "tcp", "http", "amqp"

struct NotifyTarget {
  NotifyScheme scheme = NotifyScheme::Udp;
  HostPort addr;
  std::string path;  // http:// only: the request target ("/ingest" unless given)
  amqp::Url amqp;    // amqp:// only: broker, credentials, vhost, queue (addr is its host and port)
  // "tcp://127.0.0.1:7702" and the like: the metrics label, log lines (never
  // an amqp:// password).
  std::string text() const;
};

// Parses one entry. The host must be an IP literal (IPv6 in brackets in a
// URL; amqp:// takes a host name too, resolved when connecting); other
// schemes are an Error naming what is accepted.
Result<NotifyTarget> parse_notify_target(std::string_view entry);

}  // namespace uw::web
