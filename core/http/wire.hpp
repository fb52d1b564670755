#pragma once
// Internal to core/http: turning a Response into bytes on the wire.
#include <ctime>
#include <string>
#include <string_view>

#include "core/http/server.hpp"

namespace uw::http::wire {

// "OK", "Not Found", ...; "Unknown" for codes without a phrase here.
std::string_view reason_phrase(int status);

// The value of a Date header (IMF-fixdate), recomputed at most once a second.
// One per server (loop thread only).
class DateCache {
 public:
  const std::string& now();

 private:
  std::time_t second_ = -1;
  std::string value_;
};

// True when the handler set "Connection: close" (the server then closes after
// this response).
bool asks_close(const Response& r);

// Appends the status line and headers (plus Date, Content-Length unless
// `streaming`, and Connection) and, unless `head_only`, the body to `out`.
// Content-Length, Date and Connection headers set by the handler are dropped.
void serialise(const Response& r, std::string_view date, bool keep_alive, bool head_only, bool streaming,
               std::string& out);

}  // namespace uw::http::wire
