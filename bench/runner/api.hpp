#pragma once
// uw::bench::Api — a small JSON-over-HTTP client of uwitter-web's API: the
// kit's HttpClient (libcurl, one keep-alive connection) with JSON bodies and a
// bearer token. One Api per thread; parallel_for runs work on a few threads,
// each with its own Api.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/kit/http_client.hpp"

namespace uw::bench {

// NOLINTNEXTLINE(bugprone-exception-escape): false positive, the implicit move of nlohmann::json is noexcept
struct ApiResponse {
  long status = 0;  // 0: transport failure (see error)
  nlohmann::json body;
  std::string raw, error;
  bool ok() const { return status >= 200 && status < 300; }
};

class Api {
 public:
  explicit Api(std::string base_url) : http_(std::move(base_url)) {}  // "http://127.0.0.1:PORT"
  // method "GET", "POST", "PUT", "DELETE"; body is sent unless null.
  ApiResponse call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr,
                   const std::string& bearer = "");
  // A GET returning the raw body (for /metrics).
  ApiResponse get_text(const std::string& path);

 private:
  kit::HttpClient http_;  // not copyable: neither is Api
};

// Runs fn(api, i) for i in [0, n) on `threads` threads, each with its own Api
// to base_url. Stops handing out work once fn returns false; returns false then.
bool parallel_for(const std::string& base_url, size_t n, int threads,
                  const std::function<bool(Api&, size_t)>& fn);

// libcurl global init; call once from main before any thread starts.
void api_global_init();

}  // namespace uw::bench
