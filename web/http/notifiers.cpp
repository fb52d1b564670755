#include "web/http/notifiers.hpp"

#include <algorithm>

#include "core/flags.hpp"

namespace uw::web {

namespace {

uint64_t fnv1a(std::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

Result<std::vector<std::string>> parse_notifier_urls(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string url(
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
      return bad_value("expects http:// or https:// URLs, separated by commas");
    const size_t host = url.find("//") + 2;  // after the scheme's "//"
    while (url.size() > host && url.back() == '/') url.pop_back();
    if (url.size() <= host || url[host] == '/') return bad_value("expects a host after http:// or https://");
    if (std::find(out.begin(), out.end(), url) == out.end()) out.push_back(std::move(url));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

uint64_t rendezvous_score(std::string_view url, int64_t user_id) {
  return mix(fnv1a(url) ^ mix(static_cast<uint64_t>(user_id)));
}

std::vector<std::string> notifier_order(const std::vector<std::string>& urls, int64_t user_id) {
  std::vector<std::pair<uint64_t, const std::string*>> scored;
  scored.reserve(urls.size());
  for (const auto& u : urls) scored.emplace_back(rendezvous_score(u, user_id), &u);
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : *a.second < *b.second;
  });
  std::vector<std::string> out;
  out.reserve(urls.size());
  for (const auto& [score, u] : scored) out.push_back(*u);
  return out;
}

}  // namespace uw::web
