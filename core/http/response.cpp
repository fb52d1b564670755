// Request/Response helpers and response serialisation.
#include <fmt/format.h>

#include "core/ascii.hpp"
#include "core/http/server.hpp"
#include "core/http/wire.hpp"

namespace uw::http {

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
  for (const auto& [n, v] : headers)
    if (n == lower_name) return std::string_view(v);
  return std::nullopt;
}

Response& Response::set(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

namespace {
Response with_type(int status, std::string body, const char* type) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", type);
  return r;
}
}  // namespace

Response Response::text(int status, std::string body) {
  return with_type(status, std::move(body), "text/plain; charset=utf-8");
}
Response Response::html(int status, std::string body) {
  return with_type(status, std::move(body), "text/html; charset=utf-8");
}
Response Response::json(int status, std::string body) {
  return with_type(status, std::move(body), "application/json");
}

namespace wire {

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

const std::string& DateCache::now() {
  std::time_t t = std::time(nullptr);
  if (t != second_) {
    second_ = t;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    value_.assign(buf, n);
  }
  return value_;
}

bool asks_close(const Response& r) {
  for (const auto& [n, v] : r.headers)
    if (ascii::iequals(n, "connection") && ascii::iequals(v, "close")) return true;
  return false;
}

void serialise(const Response& r, std::string_view date, bool keep_alive, bool head_only, bool streaming,
               std::string& out) {
  bool no_body_status = (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
  out += fmt::format("HTTP/1.1 {} {}\r\nDate: {}\r\n", r.status, reason_phrase(r.status), date);
  if (!streaming && !no_body_status)
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", r.body.size());
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [n, v] : r.headers) {
    if (ascii::iequals(n, "content-length") || ascii::iequals(n, "date") || ascii::iequals(n, "connection"))
      continue;
    // A CR or LF would let data from a request split the response (header injection).
    if (n.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos)
      continue;
    out += n;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += "\r\n";
  if (!head_only && !streaming && !no_body_status) out += r.body;
}

}  // namespace wire
}  // namespace uw::http
