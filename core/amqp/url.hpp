#pragma once
// uw::amqp::Url — an amqp:// URL as RabbitMQ's clients spell it:
//
//   amqp://USER:PASSWORD@HOST:PORT/VHOST?queue=NAME
//
// USER, PASSWORD and VHOST are percent-decoded (the default vhost "/" is
// written %2F, or left out: amqp://u:p@h:5672 and amqp://u:p@h:5672/ mean
// vhost "/"); PORT defaults to 5672; the queue (our addition, for running
// several setups on one broker) defaults to "uwitter.notify". The password is
// kept for login only: text() leaves it out, so a URL can be logged and used
// as a metrics label. Any thread (plain values).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace uw::amqp {

inline constexpr const char* kDefaultQueue = "uwitter.notify";

struct Url {
  std::string user = "guest";
  std::string password = "guest";
  std::string host;
  uint16_t port = 5672;
  std::string vhost = "/";
  std::string queue = kDefaultQueue;
  // "amqp://USER@HOST:PORT/VHOST?queue=NAME" (vhost and queue encoded): never the password.
  std::string text() const;
};

// An Error (400 "bad_amqp_url", naming what is wrong and never the password)
// for anything else than the form above.
Result<Url> parse_url(std::string_view url);

}  // namespace uw::amqp
