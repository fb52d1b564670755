// libFuzzer driver for uw::http::RequestParser, the socket-free request parser the
// Server runs on every connection. Input: 1 byte choosing where to split, then the
// bytes a client sends. Checks that
//  - feed() never consumes more than it is given and never stalls silently,
//  - every request it hands over respects the limits (body size, no smuggling),
//  - feeding the bytes whole or in two pieces gives the same requests and status.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/http/request_parser.hpp"

namespace {

struct Outcome {
  std::vector<std::string> requests;  // method, target, body, keep-alive, joined
  int error = 0;
};

uw::http::Limits limits() {
  uw::http::Limits l;
  l.max_header_bytes = 512;
  l.max_body_bytes = 256;
  return l;
}

void check(bool ok) {
  if (!ok) std::abort();
}

// Feeds `pieces` in order, collecting requests until the parser errors.
Outcome run(const std::vector<std::string>& pieces) {
  auto lim = limits();
  uw::http::RequestParser p(lim);
  Outcome out;
  for (const auto& piece : pieces) {
    size_t off = 0;
    while (off < piece.size() && out.error == 0) {
      size_t n = p.feed(piece.data() + off, piece.size() - off);
      check(n <= piece.size() - off);
      off += n;
      switch (p.state()) {
        case uw::http::RequestParser::State::Ready: {
          auto r = p.take_request();
          check(r.body.size() <= lim.max_body_bytes);
          int cl = 0, te = 0;
          for (const auto& [k, v] : r.headers) {
            cl += k == "content-length";
            te += k == "transfer-encoding";
          }
          check(cl <= 1 && !(cl && te) && te <= 1);
          out.requests.push_back(r.method + " " + r.target + " " + r.body +
                                 (r.keep_alive ? " ka" : " close"));
          if (!r.keep_alive) return out;  // the server reads nothing more
          break;
        }
        case uw::http::RequestParser::State::Error:
          out.error = p.error_status();
          check(out.error >= 400 && out.error <= 599);
          return out;
        case uw::http::RequestParser::State::NeedMore:
          check(n == piece.size() - (off - n));  // NeedMore means it took everything
          break;
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  size_t split = bytes.empty() ? 0 : data[0] % (bytes.size() + 1);
  Outcome whole = run({bytes});
  Outcome halves = run({bytes.substr(0, split), bytes.substr(split)});
  check(whole.requests == halves.requests);
  check(whole.error == halves.error);
  return 0;
}
