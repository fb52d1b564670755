#pragma once
// The torture tests' pair of real daemons on one data folder: uwitter-notifier
// (UDP + HTTP on loopback, trusting the web app's key) and uwitter-web
// (SQLite under the folder, notifying the notifier). The notifier keeps its
// ports across restarts (as a supervisor restarting it would), so the web app
// never needs to hear of one. Test thread only.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "bench/kit/http_client.hpp"
#include "bench/kit/process.hpp"
#include "bench/kit/temp_dir.hpp"

#if defined(UWITTER_WEB_BIN) && defined(UWITTER_NOTIFIER_BIN)

namespace uw::torture {

class Daemons {
 public:
  explicit Daemons(std::vector<std::string> web_extra = {})
      : data_(dir_.file("data")), web_extra_(std::move(web_extra)) {}

  // The notifier on the ports it had before (the kernel's pick the first time).
  bool start_notifier() {
    using namespace std::chrono_literals;
    notifier_ = std::make_unique<kit::ChildProcess>();
    std::vector<std::string> argv{UWITTER_NOTIFIER_BIN,
                                  "--listen-udp",
                                  "127.0.0.1:" + std::to_string(udp_port_),
                                  "--listen-http",
                                  "127.0.0.1:" + std::to_string(http_port_),
                                  "--db",
                                  data_ + "/uwitter.db",
                                  "--trust",
                                  data_ + "/keys/uwitter.pub",
                                  "--allow",
                                  "127.0.0.0/8",
                                  "--log-file",
                                  dir_.file("notifier.log")};
    if (!notifier_->start(argv, dir_.file("notifier.stderr")) || !notifier_->wait_listening(2, 30s))
      return false;
    udp_port_ = notifier_->port("udp");
    http_port_ = notifier_->port("http");
    return true;
  }
  void kill_notifier() { kit::kill_and_reap(notifier_->pid()), notifier_.reset(); }

  // The web app (its key pair is written on its first start; the notifier
  // picks up the .pub file within a second).
  bool start_web() {
    using namespace std::chrono_literals;
    web_ = std::make_unique<kit::ChildProcess>();
    std::vector<std::string> argv{UWITTER_WEB_BIN,
                                  "--listen",
                                  "127.0.0.1:0",
                                  "--data",
                                  data_,
                                  "--notify",
                                  "udp://127.0.0.1:" + std::to_string(udp_port_),
                                  "--notifier-url",
                                  "http://127.0.0.1:" + std::to_string(http_port_)};
    argv.insert(argv.end(), web_extra_.begin(), web_extra_.end());
    if (!web_->start(argv, dir_.file("web.stderr")) || !web_->wait_listening(1, 30s)) return false;
    web_port_ = web_->port("http");
    return true;
  }

  kit::HttpClient web() const { return kit::HttpClient("http://127.0.0.1:" + std::to_string(web_port_)); }
  kit::HttpClient notifier() const {
    return kit::HttpClient("http://127.0.0.1:" + std::to_string(http_port_));
  }
  uint16_t http_port() const { return http_port_; }
  pid_t web_pid() const { return web_ ? web_->pid() : 0; }
  pid_t notifier_pid() const { return notifier_ ? notifier_->pid() : 0; }
  std::string tails() const {
    return "notifier: " + kit::read_file(dir_.file("notifier.stderr")).substr(0, 3000) +
           "\nweb: " + kit::read_file(dir_.file("web.stderr")).substr(0, 3000);
  }
  // SIGTERM to both; the first non-zero exit status, else 0.
  int terminate_all() {
    using namespace std::chrono_literals;
    int rw = web_ ? web_->terminate(30s) : 0;
    int rn = notifier_ ? notifier_->terminate(30s) : 0;
    return rw != 0 ? rw : rn;
  }

 private:
  kit::TempDir dir_;
  std::string data_;
  std::vector<std::string> web_extra_;
  std::unique_ptr<kit::ChildProcess> notifier_, web_;
  uint16_t udp_port_ = 0, http_port_ = 0, web_port_ = 0;
};

// An integer from the environment (the suite's knobs), or fallback.
inline int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

// Signs `name` up (password "password123") and returns an API token ("" on failure).
inline std::string signup(kit::HttpClient& http, const std::string& name) {
  EXPECT_EQ(http.json("POST", "/api/v1/accounts", {{"username", name}, {"password", "password123"}}).status,
            201);
  auto s = http.json("POST", "/api/v1/sessions", {{"username", name}, {"password", "password123"}});
  EXPECT_EQ(s.status, 201) << s.body;
  return s.status == 201 ? s.json()["token"].get<std::string>() : "";
}

}  // namespace uw::torture

#endif
