// uwitter-feed-bench: cross-instance staleness (docs/SCALING.md
// "Cross-instance staleness"). Starts a throwaway PostgreSQL (kit::PgServer,
// fsync on) and two uwitter-web on it; a client posts through A, one post at
// a time, and as soon as A answers polls B's public timeline (keep-alive,
// back to back) until the uweet shows: that delay, per post, is the
// client-observed visibility. B's own uwitter_feed_lag_seconds histogram
// (write on A to application on B) is printed beside it, and the cost of a
// logout that waits for the peer (the revocation guarantee) against a
// single-instance logout.
//
//   uwitter-feed-bench --web-bin build/web/uwitter-web [--posts 500] [--logouts 100]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/kit/http_client.hpp"
#include "bench/kit/pg_server.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::lround(p * static_cast<double>(v.size() - 1)));
  return v[std::min(i, v.size() - 1)];
}

struct Web {
  uw::kit::TempDir dir;
  uw::kit::ChildProcess proc;
  std::unique_ptr<uw::kit::HttpClient> http;
  bool start(const std::string& bin, const std::string& uri, const std::string& name) {
    if (!proc.start({bin, "--listen", "127.0.0.1:0", "--data", dir.file("data"), "--db", uri,
                     "--instance-name", name, "--post-rate", "off", "--signup-rate", "off"},
                    dir.file("web.stderr")) ||
        !proc.wait_listening(1)) {
      std::fprintf(stderr, "%s did not start: %s\n", name.c_str(), proc.stderr_tail().c_str());
      return false;
    }
    http = std::make_unique<uw::kit::HttpClient>("http://127.0.0.1:" + std::to_string(proc.port("http")));
    return true;
  }
  std::string token(const std::string& user) {
    auto r = http->json("POST", "/api/v1/sessions", {{"username", user}, {"password", "correct horse"}});
    return r.status == 201 ? r.json().value("token", "") : "";
  }
};

}  // namespace

static int run(int argc, char** argv) {
  std::string web_bin;
  int posts = 500, logouts = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--web-bin")
      web_bin = v;
    else if (k == "--posts")
      posts = std::atoi(v.c_str());
    else if (k == "--logouts")
      logouts = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "usage: %s --web-bin PATH [--posts N] [--logouts N]\n", argv[0]);
      return 2;
    }
  }
  if (web_bin.empty()) {
    std::fprintf(stderr, "usage: %s --web-bin PATH [--posts N] [--logouts N]\n", argv[0]);
    return 2;
  }
  uw::kit::PgServer pg;
  uw::kit::PgServer::Options po;
  po.fsync = true;
  if (!pg.start(po)) {
    std::fprintf(stderr, "PostgreSQL: %s\n", pg.error().c_str());
    return 1;
  }
  const std::string uri = pg.create_database("uwitter");
  Web a, b;
  if (uri.empty() || !a.start(web_bin, uri, "bench-a") || !b.start(web_bin, uri, "bench-b")) return 1;
  if (a.http->json("POST", "/api/v1/accounts", {{"username", "poster"}, {"password", "correct horse"}})
          .status != 201)
    return 1;
  const std::string tok = a.token("poster");

  // Visibility: post on A, poll B until it shows.
  std::vector<double> seen;
  int polls = 0, lost = 0;
  for (int i = 0; i < posts; ++i) {
    auto r = a.http->request("POST", "/api/v1/uweets", json{{"text", fmt::format("bench {}", i)}}.dump(),
                             {"Content-Type: application/json", "Authorization: Bearer " + tok});
    if (r.status != 201) return 1;
    const int64_t id = r.json()["id"];
    const auto t0 = Clock::now();
    bool shown = false;
    while (ms_since(t0) < 2000) {
      ++polls;
      auto p = b.http->get("/api/v1/timelines/public?limit=1");
      if (p.status == 200 && !p.json()["items"].empty() && p.json()["items"][0]["id"].get<int64_t>() >= id) {
        shown = true;
        break;
      }
    }
    if (shown) {
      seen.push_back(ms_since(t0));
    } else {
      ++lost;
    }
  }
  std::printf(
      "cross-instance visibility, post answered on A -> shown on B (client polls back to back), %d posts:\n",
      posts);
  std::printf("  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms  (not seen within 2 s: %d; polls %d)\n",
              pct(seen, 0.5), pct(seen, 0.9), pct(seen, 0.99), pct(seen, 1.0), lost, polls);
  // B's own view: write on A -> applied on B.
  std::printf("B's uwitter_feed_lag_seconds (write on A -> applied on B):\n");
  const std::string m = b.http->get("/metrics").body;
  size_t pos = 0;
  while ((pos = m.find("uwitter_feed_lag_seconds", pos)) != std::string::npos) {
    const size_t end = m.find('\n', pos);
    const std::string line = m.substr(pos, end - pos);
    if (line.find("_bucket") != std::string::npos || line.find("_count") != std::string::npos ||
        line.find("_sum") != std::string::npos)
      std::printf("  %s\n", line.c_str());
    pos = end;
  }

  // The revocation guarantee's cost: a logout on A waits until B applied it.
  std::vector<double> with_peer;
  for (int i = 0; i < logouts; ++i) {
    const std::string t = a.token("poster");
    const auto t0 = Clock::now();
    auto r = a.http->request("DELETE", "/api/v1/sessions", "", {"Authorization: Bearer " + t});
    if (r.status != 200) return 1;
    with_peer.push_back(ms_since(t0));
    if (b.http->get("/api/v1/me", {"Authorization: Bearer " + t}).status != 401) {
      std::fprintf(stderr, "a logged-out token still worked on B\n");
      return 1;
    }
  }
  b.proc.terminate();  // alone now: the logout waits for nobody
  std::vector<double> alone;
  for (int i = 0; i < logouts; ++i) {
    const std::string t = a.token("poster");
    const auto t0 = Clock::now();
    auto r = a.http->request("DELETE", "/api/v1/sessions", "", {"Authorization: Bearer " + t});
    if (r.status != 200) return 1;
    alone.push_back(ms_since(t0));
  }
  std::printf("logout (DELETE /api/v1/sessions) on A, %d each:\n", logouts);
  std::printf("  waiting for B to apply it: p50 %.2f ms  p99 %.2f ms\n", pct(with_peer, 0.5),
              pct(with_peer, 0.99));
  std::printf("  no live peer:              p50 %.2f ms  p99 %.2f ms\n", pct(alone, 0.5), pct(alone, 0.99));
  return lost == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {  // a kit failure (JSON, files): say it, fail
    std::fprintf(stderr, "uwitter-feed-bench: %s\n", e.what());
    return 1;
  }
}
