// Tests for web/http/routes.cpp: the route table is well formed, every entry is
// found by its own path (with its label and captures), Allow lists every method
// of a path, and, against the real uwitter-web, a request to every entry is
// counted on /metrics under the entry's label and a wrong method gets 405 with
// that Allow.
#include "web/http/routes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/kit/http_client.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"

namespace uw::web {
namespace {

// A path the pattern matches: each ":x" segment replaced by a sample value.
std::string sample_path(std::string_view pattern) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    size_t end = pattern.find('/', i + 1);
    std::string_view seg =
        pattern.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (seg == "/:id")
      out += "/1";
    else if (seg == "/:file")
      out += "/app.css";
    else if (seg.starts_with("/:"))
      out += "/alice";
    else
      out += seg;
    if (end == std::string_view::npos) break;
    i = end;
  }
  return out;
}

size_t captures(std::string_view pattern) {
  return static_cast<size_t>(std::count(pattern.begin(), pattern.end(), ':'));
}

const std::vector<std::pair<unsigned, const char*>> kMethods = {
    {kGet, "GET"}, {kHead, "HEAD"}, {kPost, "POST"}, {kPut, "PUT"}, {kDelete, "DELETE"}, {kPatch, "PATCH"}};

// Methods of all entries with this pattern.
unsigned methods_of(std::string_view pattern) {
  unsigned m = 0;
  for (const Route& r : routes())
    if (r.pattern == pattern) m |= r.methods;
  return m;
}

// A method none of the pattern's entries takes (PATCH for most paths).
const char* wrong_method(std::string_view pattern) {
  for (const auto& [bit, name] : {std::pair{kPatch, "PATCH"}, {kPut, "PUT"}, {kDelete, "DELETE"}})
    if (!(methods_of(pattern) & bit)) return name;
  return "PATCH";
}

TEST(Routes, EveryEntryHasMethodsAPatternAndALabel) {
  std::map<std::string_view, std::string_view> label_of_pattern;
  std::map<std::pair<std::string_view, unsigned>, int> owners;  // (pattern, method bit) -> entries
  const auto labels = route_labels();
  for (const Route& r : routes()) {
    EXPECT_NE(r.methods, 0u) << r.pattern;
    ASSERT_FALSE(r.pattern.empty());
    EXPECT_EQ(r.pattern.front(), '/') << r.pattern;
    EXPECT_FALSE(r.label.empty()) << r.pattern;
    EXPECT_NE(r.label, "/other") << r.pattern;
    EXPECT_NE(r.label, "/api/v1/other") << r.pattern;
    EXPECT_NE(std::find(labels.begin(), labels.end(), r.label), labels.end()) << r.pattern;
    // One label per path, so a 405 is labelled like the route it missed.
    auto [it, fresh] = label_of_pattern.emplace(r.pattern, r.label);
    if (!fresh) {
      EXPECT_EQ(it->second, r.label) << r.pattern;
    }
    for (const auto& [bit, name] : kMethods) {
      if (!(r.methods & bit)) continue;
      const int n = ++owners[std::make_pair(r.pattern, bit)];
      EXPECT_EQ(n, 1) << name << " " << r.pattern << " twice";
    }
  }
}

TEST(Routes, EveryEntryIsFoundByItsOwnPathWithItsLabel) {
  for (const Route& r : routes()) {
    const std::string path = sample_path(r.pattern);
    for (const auto& [bit, name] : kMethods) {
      if (!(r.methods & bit)) continue;
      Match m = match(name, path);
      EXPECT_EQ(m.route, &r) << name << " " << path;
      EXPECT_EQ(m.params.size(), captures(r.pattern)) << path;
      EXPECT_EQ(route_labels()[m.label], r.label) << path;
      EXPECT_EQ(m.api, r.pattern.starts_with("/api/v1/")) << path;
    }
    // Empty segments are skipped, like a trailing slash.
    EXPECT_EQ(route_labels()[match("GET", path + "/").label], r.label) << path;
  }
}

TEST(Routes, WrongMethodListsEveryMethodOfThePath) {
  for (const Route& r : routes()) {
    const std::string path = sample_path(r.pattern);
    Match m = match(wrong_method(r.pattern), path);
    EXPECT_EQ(m.route, nullptr) << path;
    EXPECT_EQ(m.allowed, methods_of(r.pattern)) << path;
  }
  EXPECT_EQ(allow_header(kGet | kHead | kPost), "GET, HEAD, POST");
  EXPECT_EQ(allow_header(kPost | kDelete), "POST, DELETE");
  EXPECT_EQ(allow_header(kPut | kDelete), "PUT, DELETE");
}

TEST(Routes, UnknownPathsGetTheOtherLabels) {
  struct Case {
    std::string path, label;
    bool api;
  };
  const Case cases[] = {
      {"/no/such/page", "/other", false},         {"/u/", "/other", false},
      {"/api/v1/nothing", "/api/v1/other", true}, {"/api/v1", "/api/v1/other", true},
      {"/api/v1/", "/api/v1/other", true},        {"//api/v1/accounts", "/other", false},
      {"/a/b/c/d/e/f/g/h/i", "/other", false},
  };
  for (const auto& c : cases) {
    Match m = match("GET", c.path);
    EXPECT_EQ(m.route, nullptr) << c.path;
    EXPECT_EQ(m.allowed, 0u) << c.path;
    EXPECT_EQ(m.api, c.api) << c.path;
    EXPECT_EQ(route_labels()[m.label], c.label) << c.path;
  }
}

#ifdef UWITTER_WEB_BIN
TEST(Routes, TheRealServerLabelsEveryRouteAndAnswersWrongMethodsWithAllow) {
  kit::TempDir dir;
  kit::ChildProcess proc;
  ASSERT_TRUE(proc.start({UWITTER_WEB_BIN, "--listen", "127.0.0.1:0", "--data", dir.file("data")},
                         dir.file("stderr.log")));
  ASSERT_TRUE(proc.wait_listening()) << proc.stderr_text();
  kit::HttpClient http("http://127.0.0.1:" + std::to_string(proc.port("http")));
  for (const Route& r : routes()) {
    const std::string path = sample_path(r.pattern);
    for (const auto& [bit, name] : kMethods) {
      if (!(r.methods & bit) || bit == kHead) continue;
      auto res = http.request(name, path);
      EXPECT_NE(res.status, 0) << name << " " << path << ": " << res.error;
      // Found (a 404 here is the Service's "no such user"; /metrics shows the label).
      EXPECT_NE(res.status, 405) << name << " " << path << ": " << res.body;
    }
    auto wrong = http.request(wrong_method(r.pattern), path);
    EXPECT_EQ(wrong.status, 405) << path;
    EXPECT_EQ(wrong.header("allow"), allow_header(methods_of(r.pattern))) << path;
  }
  auto metrics = http.get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const Route& r : routes()) {
    EXPECT_NE(metrics.body.find("http_requests_total{route=\"" + std::string(r.label) + "\""),
              std::string::npos)
        << r.label;
  }
}
#endif

}  // namespace
}  // namespace uw::web
