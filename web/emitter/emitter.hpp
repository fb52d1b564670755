#pragma once
// uw::web::Emitter — fire-and-forget UDP sender of signed events (sign/).
// emit() is called on the loop thread right after a commit; it never blocks,
// never fails the request: events are coalesced into datagrams, signed, and
// sent with non-blocking sendto to every target (k copies each). A full socket
// buffer drops and counts. Emitted/dropped/send-error counts go to /metrics.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/flags.hpp"
#include "core/result.hpp"
#include "sign/event.hpp"

namespace uw::metrics {
class Registry;
}
namespace uw::sign {
class SecretKey;
}

namespace uw::web {

struct EmitterConfig {
  std::vector<HostPort> targets;  // --notify
  int copies = 1;                 // --udp-copies k
  uint64_t copy_spacing_us = 0;   // 0: copies back to back; else spread over this interval
  size_t send_buffer_bytes = 4 << 20;
};

class Emitter {
 public:
  static Result<std::unique_ptr<Emitter>> create(uv_loop_t* loop, const sign::SecretKey& key,
                                                 EmitterConfig cfg, metrics::Registry* metrics);
  virtual ~Emitter() = default;
  virtual void emit(const sign::Event& e) = 0;
  virtual uint64_t session_id() const = 0;
  // Flushes what is pending, closes handles, then calls done (loop thread).
  virtual void close(std::function<void()> done) = 0;
};

}  // namespace uw::web
