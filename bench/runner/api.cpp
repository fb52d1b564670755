#include "bench/runner/api.hpp"

#include <curl/curl.h>

#include <atomic>
#include <thread>
#include <vector>

namespace uw::bench {

namespace {
size_t on_body(char* p, size_t size, size_t n, void* ud) {
  static_cast<std::string*>(ud)->append(p, size * n);
  return size * n;
}
}  // namespace

void api_global_init() { curl_global_init(CURL_GLOBAL_DEFAULT); }

Api::Api(std::string base_url) : base_(std::move(base_url)), curl_(curl_easy_init()) {}
Api::~Api() {
  if (curl_) curl_easy_cleanup(curl_);
}

ApiResponse Api::call(const std::string& method, const std::string& path, const nlohmann::json& body,
                      const std::string& bearer) {
  ApiResponse r;
  CURL* c = curl_;
  curl_easy_reset(c);
  const std::string url = base_ + path;
  std::string payload = body.is_null() ? "" : body.dump();
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  std::string auth;
  if (!bearer.empty()) {
    auth = "Authorization: Bearer " + bearer;
    headers = curl_slist_append(headers, auth.c_str());
  }
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.raw);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  if (!body.is_null()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  } else if (method == "PUT" || method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
  }
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
    return r;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  r.body = nlohmann::json::parse(r.raw, nullptr, false);  // discarded (not thrown) when not JSON
  return r;
}

ApiResponse Api::get_text(const std::string& path) {
  ApiResponse r;
  curl_easy_reset(curl_);
  const std::string url = base_ + path;
  curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.raw);
  curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl_);
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
    return r;
  }
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

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
