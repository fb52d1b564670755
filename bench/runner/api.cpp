#include "bench/runner/api.hpp"

#include <curl/curl.h>

#include <atomic>
#include <thread>
#include <vector>

namespace uw::bench {

namespace {
ApiResponse from(kit::HttpResponse&& r, bool parse_json) {
  ApiResponse out;
  out.status = r.status;
  out.error = std::move(r.error);
  out.raw = std::move(r.body);
  // Discarded (not thrown) when not JSON; left null after a transport failure.
  if (parse_json && out.status != 0) out.body = nlohmann::json::parse(out.raw, nullptr, false);
  return out;
}
}  // namespace

void api_global_init() { curl_global_init(CURL_GLOBAL_DEFAULT); }

ApiResponse Api::call(const std::string& method, const std::string& path, const nlohmann::json& body,
                      const std::string& bearer) {
  std::vector<std::string> headers{"Content-Type: application/json"};
  if (!bearer.empty()) headers.push_back("Authorization: Bearer " + bearer);
  return from(http_.request(method, path, body.is_null() ? std::string() : body.dump(), headers), true);
}

ApiResponse Api::get_text(const std::string& path) { return from(http_.get(path), false); }

bool parallel_for(const std::string& base_url, size_t n, int threads,
                  const std::function<bool(Api&, size_t)>& fn) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < std::max(threads, 1); ++t)
    pool.emplace_back([&] {
      Api api(base_url);
      for (size_t i; !failed && (i = next.fetch_add(1)) < n;)
        if (!fn(api, i)) failed = true;
    });
  for (auto& th : pool) th.join();
  return !failed;
}

}  // namespace uw::bench
