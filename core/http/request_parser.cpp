#include "core/http/request_parser.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <utility>

#include "core/ascii.hpp"

namespace uw::http {
namespace {

RequestParser* self(http_parser* p) { return static_cast<RequestParser*>(p->data); }

// RFC 9110 token characters: header names may contain nothing else.
bool is_tchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// RFC 9112 3: request-line = method SP request-target SP HTTP-version, exactly
// one SP between the parts, no other white space and no control characters
// (http_parser, built non-strict, lets TAB and form feed into the target and
// skips runs of spaces, so a target like "/a\fHTTP/0.9" would be taken whole).
// Bytes >= 0x80 are let through in the target: some clients send raw UTF-8,
// and the application percent-decodes and validates paths itself.
// Returns nullptr or why the line is refused.
const char* check_request_line(std::string_view line) {
  auto sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return "The request line is malformed.";
  for (size_t i = 0; i < sp1; ++i)
    if (!is_tchar(line[i])) return "The request method is not valid.";
  auto sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return "The request line is malformed.";
  if (sp2 == sp1 + 1) return "The request line has stray white space.";
  for (size_t i = sp1 + 1; i < sp2; ++i) {
    auto u = static_cast<unsigned char>(line[i]);
    if (u < 0x21 || u == 0x7f) return "The request target holds a control character or white space.";
    if (u == '#') return "The request target holds a fragment.";
  }
  std::string_view version = line.substr(sp2 + 1);
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" ||
      !std::isdigit(static_cast<unsigned char>(version[5])) || version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[7]))) {
    for (char c : version)
      if (c == ' ' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return "The request line has stray white space or a control character.";
    return "The HTTP version is not valid.";
  }
  return nullptr;
}

// RFC 9110 7.2 / RFC 3986 3.2.2: the characters a Host value (uri-host [":" port])
// may hold; empty is allowed.
bool valid_host_value(std::string_view v) {
  static constexpr std::string_view kExtra = "-._~%!$&'()*+,;=:[]";
  return std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kExtra.find(c) != std::string_view::npos;
  });
}

std::string trim(std::string s) {
  auto ws = [](char c) { return c == ' ' || c == '\t'; };
  size_t b = 0, e = s.size();
  while (b < e && ws(s[b])) ++b;
  while (e > b && ws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace

RequestParser::RequestParser(const Limits& limits) : limits_(limits) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

void RequestParser::fail(int status, std::string message) {
  if (state_ == State::Error) return;
  state_ = State::Error;
  expect_continue_ = false;  // a rejected request gets its error, not "100 Continue"
  error_status_ = status;
  error_message_ = std::move(message);
}

void RequestParser::fail_from_parser() {
  auto err = HTTP_PARSER_ERRNO(&parser_);
  switch (err) {
    case HPE_HEADER_OVERFLOW:
      fail(431, "The request headers are too large.");
      break;
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      fail(400, "The request has a conflicting or repeated Content-Length.");
      break;
    case HPE_INVALID_CONTENT_LENGTH:
      fail(400, "The request has an invalid Content-Length.");
      break;
    case HPE_INVALID_CHUNK_SIZE:
      fail(400, "The request has an invalid chunk size.");
      break;
    case HPE_INVALID_TRANSFER_ENCODING:
      fail(501, "Only the chunked transfer coding is supported.");
      break;
    case HPE_INVALID_METHOD:
      fail(400, "The request method is not valid.");
      break;
    case HPE_INVALID_VERSION:
      fail(400, "The HTTP version is not valid.");
      break;
    default:
      fail(400, std::string("The request is malformed: ") + http_errno_description(err) + ".");
      break;
  }
}

size_t RequestParser::feed(const char* data, size_t len) {
  size_t total = 0;
  while (total < len && state_ == State::NeedMore) {
    size_t chunk = len - total;
    if (!headers_done_) {
      // Header bytes are fed no further than the limit, so an endless header
      // section is rejected as soon as it passes max_header_bytes.
      size_t allowance =
          limits_.max_header_bytes > header_bytes_ ? limits_.max_header_bytes - header_bytes_ : 0;
      if (allowance == 0) {
        fail(431, "The request headers are too large.");
        break;
      }
      chunk = std::min(chunk, allowance);
    }
    if (!headers_done_) {
      if (const char* bad = scan_header_lines(data + total, chunk)) {
        fail(400, bad);
        break;
      }
    }
    bool was_done = headers_done_;
    size_t n = http_parser_execute(&parser_, &settings(), data + total, chunk);
    if (!was_done) header_bytes_ += n;
    total += n;
    if (state_ != State::NeedMore) break;  // Ready (paused) or failed in a callback
    auto err = HTTP_PARSER_ERRNO(&parser_);
    if (err != HPE_OK) {
      fail_from_parser();
      break;
    }
    if (n < chunk) {  // stopped without error or completion: should not happen
      fail(400, "The request is malformed.");
      break;
    }
  }
  return total;
}

// Debian's libhttp_parser is built non-strict (HTTP_PARSER_STRICT=0): it accepts
// obs-fold (a header line continued on a line starting with SP or HT) and a bare
// CR as a line end, and it is lax about the request line (see check_request_line).
// Front proxies disagree on these, which is what smuggling feeds on, so the header
// section is scanned here first and each one is refused. A bare LF is accepted as
// a line end (RFC 9112 2.2 allows it; a CR before it is optional): no CR is ever
// taken as anything but part of a CRLF, so there is nothing to disagree on.
// Tracks line starts up to the blank line ending the headers, across feeds; the
// request line is collected (bounded by max_header_bytes) and checked at its end.
const char* RequestParser::scan_header_lines(const char* data, size_t len) {
  for (size_t i = 0; i < len && !scan_done_; ++i) {
    char c = data[i];
    if (cr_pending_) {
      if (c != '\n') return "The request has a bare CR in its header section.";
      cr_pending_ = false;
    }
    if (c == '\r') {
      cr_pending_ = true;
    } else if (c == '\n') {
      if (line_len_ == 0 && lines_ > 0) scan_done_ = true;  // blank line: headers end
      if (line_len_ > 0 && lines_ == 0) {
        if (const char* bad = check_request_line(request_line_)) return bad;
      }
      if (line_len_ > 0) ++lines_;
      line_len_ = 0;
    } else {
      if (lines_ == 0) request_line_.push_back(c);
      if (line_len_ == 0 && lines_ > 0 && (c == ' ' || c == '\t'))
        return "The request has a folded (obs-fold) header line.";
      ++line_len_;
    }
  }
  return nullptr;
}

bool RequestParser::take_expect_continue() {
  bool v = expect_continue_;
  expect_continue_ = false;
  return v;
}

Request RequestParser::take_request() {
  Request out = std::move(req_);
  reset_request();
  state_ = State::NeedMore;
  http_parser_pause(&parser_, 0);
  return out;
}

void RequestParser::reset_request() {
  req_ = Request{};
  headers_done_ = false;
  last_was_value_ = false;
  expect_continue_ = false;
  header_bytes_ = 0;
  line_len_ = 0;
  lines_ = 0;
  scan_done_ = false;
  cr_pending_ = false;
  request_line_.clear();
}

int RequestParser::on_message_begin(http_parser* p) {
  (void)p;
  return 0;
}

int RequestParser::on_url(http_parser* p, const char* at, size_t len) {
  self(p)->req_.target.append(at, len);
  return 0;
}

int RequestParser::on_header_field(http_parser* p, const char* at, size_t len) {
  auto* s = self(p);
  if (s->headers_done_) return 0;  // trailers are read and dropped
  if (s->last_was_value_ || s->req_.headers.empty()) {
    s->req_.headers.emplace_back();
    s->last_was_value_ = false;
  }
  auto& name = s->req_.headers.back().first;
  for (size_t i = 0; i < len; ++i)
    name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(at[i]))));
  return 0;
}

int RequestParser::on_header_value(http_parser* p, const char* at, size_t len) {
  auto* s = self(p);
  if (s->headers_done_) return 0;
  if (s->req_.headers.empty()) return 0;  // cannot happen: a value follows a field
  s->last_was_value_ = true;
  s->req_.headers.back().second.append(at, len);
  return 0;
}

// Request-smuggling rules on top of http_parser's own (which already rejects
// Content-Length together with chunked, and repeated Content-Length).
int RequestParser::check_headers() {
  int content_lengths = 0, transfer_encodings = 0, hosts = 0;
  const std::string* te = nullptr;
  for (auto& [name, value] : req_.headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) {
      fail(400, "The request has an invalid header name.");
      return -1;
    }
    value = trim(std::move(value));
    if (name == "host") {
      ++hosts;
      if (!valid_host_value(value)) {
        fail(400, "The request's Host header is not a valid host.");
        return -1;
      }
    }
    if (name == "content-length") ++content_lengths;
    if (name == "transfer-encoding") {
      ++transfer_encodings;
      te = &value;
    }
    if (name == "expect" && ascii::iequals(value, "100-continue")) expect_continue_ = true;
  }
  // RFC 9112 3.2: 400 for an HTTP/1.1 request without Host, and for any request
  // with more than one (two Hosts could route one request two ways).
  if (hosts > 1) {
    fail(400, "The request has more than one Host header.");
    return -1;
  }
  if (hosts == 0 && parser_.http_major == 1 && parser_.http_minor >= 1) {
    fail(400, "The request has no Host header, which version 1.1 requires.");
    return -1;
  }
  if (content_lengths > 1) {
    fail(400, "The request has a conflicting or repeated Content-Length.");
    return -1;
  }
  if (transfer_encodings > 0 && content_lengths > 0) {
    fail(400, "The request has both Content-Length and Transfer-Encoding.");
    return -1;
  }
  if (transfer_encodings > 1 || (te && !ascii::iequals(*te, "chunked"))) {
    fail(501, "Only the chunked transfer coding is supported.");
    return -1;
  }
  if (parser_.method == HTTP_CONNECT) {
    fail(501, "The CONNECT method is not supported.");
    return -1;
  }
  if ((parser_.flags & F_CONTENTLENGTH) && parser_.content_length > limits_.max_body_bytes) {
    fail(413, "The request body is too large.");
    return -1;
  }
  return 0;
}

// RFC 9112 3.2: origin-form ("/path?query") is what clients send to servers;
// absolute-form ("http://host:port/path?query") is what they send to proxies, and
// a server MUST accept it too. It is rewritten to origin-form here, and its
// authority replaces the Host header's value (3.2.2: the target's host wins), so
// handlers see one form. "*" is only for OPTIONS; anything else is refused.
int RequestParser::to_origin_form() {
  auto& r = req_;
  if (!r.target.empty() && r.target[0] == '/') return 0;
  if (r.target == "*" && parser_.method == HTTP_OPTIONS) return 0;
  http_parser_url u;
  http_parser_url_init(&u);
  auto part = [&](int f) {
    return (u.field_set & (1 << f))
               ? std::string_view(r.target).substr(u.field_data[f].off, u.field_data[f].len)
               : std::string_view();
  };
  if (http_parser_parse_url(r.target.data(), r.target.size(), 0, &u) != 0 ||
      !(u.field_set & (1 << UF_SCHEMA)) || !(u.field_set & (1 << UF_HOST))) {
    fail(400, "The request target is neither a path nor an absolute http URL.");
    return -1;
  }
  if (!ascii::iequals(part(UF_SCHEMA), "http") && !ascii::iequals(part(UF_SCHEMA), "https")) {
    fail(400, "The request target's scheme is not http or https.");
    return -1;
  }
  if (u.field_set & (1 << UF_USERINFO)) {
    fail(400, "The request target holds user information.");
    return -1;
  }
  // The authority as sent: from the host (or "[" of an IPv6 literal) to the path.
  size_t a_begin = u.field_data[UF_HOST].off;
  if (a_begin > 0 && r.target[a_begin - 1] == '[') --a_begin;
  size_t a_end = r.target.size();
  for (int f : {UF_PATH, UF_QUERY, UF_FRAGMENT})
    if (u.field_set & (1 << f)) a_end = std::min<size_t>(a_end, u.field_data[f].off - (f == UF_PATH ? 0 : 1));
  std::string authority = r.target.substr(a_begin, a_end - a_begin);
  std::string origin = (u.field_set & (1 << UF_PATH)) ? std::string(part(UF_PATH)) : "/";
  if (u.field_set & (1 << UF_QUERY)) {
    origin += '?';  // appended, not "?" + string: GCC 12's false -Wrestrict at -O3 (bug 105329)
    origin += part(UF_QUERY);
  }
  if (!valid_host_value(authority)) {
    fail(400, "The request target's host is not valid.");
    return -1;
  }
  for (auto& [name, value] : r.headers)
    if (name == "host") value = authority;
  r.target = std::move(origin);
  return 0;
}

int RequestParser::on_headers_complete(http_parser* p) {
  auto* s = self(p);
  auto& r = s->req_;
  r.method = http_method_str(static_cast<http_method>(p->method));
  s->headers_done_ = true;
  if (s->check_headers() != 0) return -1;
  if (s->to_origin_form() != 0) return -1;
  auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  if (q != std::string::npos) r.query = r.target.substr(q + 1);
  if (p->http_major != 1 || p->http_minor > 1) {
    s->fail(400, "Only HTTP versions 1.0 and 1.1 are supported.");
    return -1;
  }
  if (s->expect_continue_ && p->http_minor == 0) s->expect_continue_ = false;
  return 0;
}

int RequestParser::on_chunk_header(http_parser* p) {
  auto* s = self(p);
  // content_length holds this chunk's size: refuse before reading it.
  if (p->content_length >
      s->limits_.max_body_bytes - std::min(s->limits_.max_body_bytes, s->req_.body.size())) {
    s->fail(413, "The request body is too large.");
    return -1;
  }
  return 0;
}

int RequestParser::on_body(http_parser* p, const char* at, size_t len) {
  auto* s = self(p);
  if (s->req_.body.size() + len > s->limits_.max_body_bytes) {
    s->fail(413, "The request body is too large.");
    return -1;
  }
  s->req_.body.append(at, len);
  return 0;
}

int RequestParser::on_message_complete(http_parser* p) {
  auto* s = self(p);
  // Upgrade requests are answered as plain requests, then the connection closes:
  // the bytes after them are not HTTP.
  s->req_.keep_alive = http_should_keep_alive(p) != 0 && !p->upgrade;
  s->state_ = State::Ready;
  http_parser_pause(p, 1);
  return 0;
}

const http_parser_settings& RequestParser::settings() {
  static const http_parser_settings s = [] {
    http_parser_settings st{};
    st.on_message_begin = &RequestParser::on_message_begin;
    st.on_url = &RequestParser::on_url;
    st.on_header_field = &RequestParser::on_header_field;
    st.on_header_value = &RequestParser::on_header_value;
    st.on_headers_complete = &RequestParser::on_headers_complete;
    st.on_body = &RequestParser::on_body;
    st.on_message_complete = &RequestParser::on_message_complete;
    st.on_chunk_header = &RequestParser::on_chunk_header;
    return st;
  }();
  return s;
}

}  // namespace uw::http
