#pragma once
// A real HTTP client for tests and benchmarks (libcurl); part of the
// test-and-bench kit (uwitter::kit). One Client keeps its own cookie jar,
// so it behaves like one browser. Not thread-safe.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

typedef void CURL;

namespace uw::kit {

struct HttpResponse {
  long status = 0;                                  // 0 = transport failure (see error)
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string error;
  std::string header(const std::string& lower_name) const;  // first, or ""
  nlohmann::json json() const;                              // parses body (throws on bad JSON)
};

class HttpClient {
 public:
  explicit HttpClient(std::string base_url);  // e.g. "http://127.0.0.1:8080"
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse get(const std::string& path, const std::vector<std::string>& headers = {});
  HttpResponse post_form(const std::string& path,
                         const std::vector<std::pair<std::string, std::string>>& fields,
                         const std::vector<std::string>& headers = {});
  HttpResponse request(const std::string& method, const std::string& path, const std::string& body = "",
                       const std::vector<std::string>& headers = {});
  // JSON helpers: sets Content-Type and, when bearer is non-empty, Authorization.
  HttpResponse json(const std::string& method, const std::string& path, const nlohmann::json& body,
                    const std::string& bearer = "");
  // Cookie value from the jar ("" if absent).
  std::string cookie(const std::string& name) const;
  void clear_cookies();
  // Call before the first request: connects from this local address (e.g. "127.0.0.2": all of
  // 127.0.0.0/8 is loopback on Linux), so a test can play several clients.
  void set_source_address(const std::string& ip);
  const std::string& base() const { return base_; }

 private:
  std::string base_;
  std::string source_;  // CURLOPT_INTERFACE keeps the pointer
  CURL* curl_ = nullptr;
};

// Sends raw bytes on a fresh TCP connection to 127.0.0.1:port, half-closes after
// writing if shutdown_write, and returns everything read until the server
// closes or timeout_ms passes. For malformed and smuggling-style requests.
std::string raw_exchange(uint16_t port, const std::string& bytes, int timeout_ms = 3000,
                         bool shutdown_write = false);

// Extracts the value of <input name="NAME" value="..."> from HTML ("" if absent).
std::string html_input_value(const std::string& html, const std::string& name);

}  // namespace uw::kit
