#pragma once
// uw::http::RequestParser — the per-connection HTTP/1.x request parser: Debian's
// http_parser plus our limits and request-smuggling rules, with no sockets, so the
// Server, the unit tests and the fuzzer all drive the same code.
//
// Threading: one parser belongs to one connection; not thread-safe.
//
// Use: feed() bytes; it consumes them until one request is complete (state Ready:
// take_request(), then feed the rest), the bytes run out (NeedMore) or the request
// is rejected (Error: error_status()/error_message(); the connection must then be
// answered and closed — the parser accepts no more bytes).
#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/http/server.hpp"

namespace uw::http {

class RequestParser {
 public:
  enum class State { NeedMore, Ready, Error };

  explicit RequestParser(const Limits& limits);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Consumes bytes of data (copying what it keeps); returns how many it consumed.
  // Stops early when a request completes or on error; never consumes past the end
  // of a request.
  size_t feed(const char* data, size_t len);
  State state() const { return state_; }

  // In state Ready: hands over the request and resets for the next one.
  Request take_request();

  // True once any byte of the current request arrived (start the request timer).
  bool in_progress() const { return header_bytes_ > 0 || headers_done_; }
  // True between the end of the headers and the end of the current request's body.
  bool headers_done() const { return headers_done_; }
  // True once per request when it asked for "Expect: 100-continue" and passed
  // the header checks (the server then sends "100 Continue").
  bool take_expect_continue();

  // In state Error: the status to answer (400, 413, 431, 501) and a sentence.
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }
  // What is known of the current request so far (may be empty).
  const std::string& method() const { return req_.method; }
  const std::string& path() const { return req_.path; }

 private:
  static const http_parser_settings& settings();
  static int on_message_begin(http_parser* p);
  static int on_url(http_parser* p, const char* at, size_t len);
  static int on_header_field(http_parser* p, const char* at, size_t len);
  static int on_header_value(http_parser* p, const char* at, size_t len);
  static int on_headers_complete(http_parser* p);
  static int on_body(http_parser* p, const char* at, size_t len);
  static int on_message_complete(http_parser* p);
  static int on_chunk_header(http_parser* p);

  void fail(int status, std::string message);
  void fail_from_parser();
  int check_headers();
  int to_origin_form();
  const char* scan_header_lines(const char* data, size_t len);  // nullptr or why it is refused
  void reset_request();

  Limits limits_;
  http_parser parser_;
  State state_ = State::NeedMore;
  Request req_;
  bool headers_done_ = false;
  bool last_was_value_ = false;
  bool expect_continue_ = false;
  size_t header_bytes_ = 0;
  size_t line_len_ = 0;  // obs-fold scan state (scan_header_lines)
  size_t lines_ = 0;
  bool scan_done_ = false;
  bool cr_pending_ = false;
  std::string request_line_;  // the request line so far, without CR/LF
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace uw::http
