#include "bench/kit/haproxy_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/kit/pg_server.hpp"  // free_tcp_port

#ifndef UWITTER_HAPROXY_TEMPLATE
#error \
    "UWITTER_HAPROXY_TEMPLATE (the path of scripts/cluster/haproxy.cfg.in) is set by bench/kit/CMakeLists.txt"
#endif

namespace uw::kit {

namespace {

namespace fs = std::filesystem;

void replace_all(std::string* s, const std::string& from, const std::string& to) {
  for (size_t at = s->find(from); at != std::string::npos; at = s->find(from, at + to.size())) {
    s->replace(at, from.size(), to);
  }
}

bool tcp_accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string HaproxyServer::binary() {
  std::error_code ec;
  if (fs::exists("/usr/sbin/haproxy", ec)) return "/usr/sbin/haproxy";
  const RunResult r = run({"/bin/sh", "-c", "command -v haproxy"}, std::chrono::seconds(5));
  std::string path = r.out.substr(0, r.out.find('\n'));
  return r.status == 0 ? path : "";
}

std::string HaproxyServer::template_path() { return UWITTER_HAPROXY_TEMPLATE; }

std::string HaproxyServer::config_text(const std::string& listen, const std::string& stats_socket,
                                       const Options& options) {
  std::string text = read_file(template_path());
  std::string servers;
  for (size_t i = 0; i < options.backends.size(); ++i) {
    servers += "    server web" + std::to_string(i + 1) +
               " 127.0.0.1:" + std::to_string(options.backends[i]) + " check\n";
  }
  replace_all(&text, "@LISTEN@", listen);
  replace_all(&text, "@STATS_SOCKET@", stats_socket);
  replace_all(&text, "@INTER_MS@", std::to_string(options.check_interval_ms));
  replace_all(&text, "@FALL@", std::to_string(options.fall));
  replace_all(&text, "@RISE@", std::to_string(options.rise));
  replace_all(&text, "@SERVERS@\n", servers);
  replace_all(&text, "@FORWARD_FOR@", options.forward_for ? "option forwardfor" : "");
  return text;
}

HaproxyServer::~HaproxyServer() { stop(); }

bool HaproxyServer::start(const Options& options) {
  error_.clear();
  if (running()) return true;
  if (bin_.empty()) bin_ = binary();
  if (bin_.empty()) {
    error_ = "haproxy not found (/usr/sbin/haproxy); run .ci/install-deps, which installs Debian's haproxy";
    return false;
  }
  if (read_file(template_path()).empty()) {
    error_ = "cannot read the HAProxy template " + template_path();
    return false;
  }
  if (!dir_) dir_ = std::make_unique<TempDir>();
  socket_ = dir_->file("stats.sock");
  const std::string cfg = dir_->file("haproxy.cfg");
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_tcp_port();  // haproxy binds it right after; a collision is retried
    {
      std::ofstream out(cfg, std::ios::trunc);
      out << config_text("127.0.0.1:" + std::to_string(port_), socket_, options);
      if (!out) {
        error_ = "cannot write " + cfg;
        return false;
      }
    }
    const RunResult check = run({bin_, "-c", "-q", "-f", cfg}, std::chrono::seconds(20));
    if (check.status != 0) {
      error_ = "haproxy rejects the configuration: " + check.err.substr(0, 2000) + check.out.substr(0, 2000);
      return false;
    }
    if (!proc_.start({bin_, "-db", "-f", cfg}, dir_->file("haproxy.log"))) {
      error_ = "cannot start haproxy: " + proc_.error();
      return false;
    }
    if (wait_ready(std::chrono::seconds(20))) return true;
    error_ = "haproxy did not accept connections on 127.0.0.1:" + std::to_string(port_) + ": " +
             proc_.stderr_tail(2000);
    stop();
  }
  return false;
}

bool HaproxyServer::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (tcp_accepts(port_) && !stats_command("show info").empty()) return true;
    if (proc_.wait_exit(std::chrono::milliseconds(20)) != -1) return false;  // it exited
  }
  return false;
}

bool HaproxyServer::stop(std::chrono::milliseconds timeout) {
  if (!proc_.running()) return true;
  proc_.signal(SIGTERM);
  if (proc_.wait_exit(timeout) != -1) return true;
  proc_.signal(SIGKILL);
  proc_.wait_exit(std::chrono::seconds(10));
  return false;
}

std::string HaproxyServer::stats_command(const std::string& command) const {
  if (socket_.empty()) return "";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof a.sun_path) {
    ::close(fd);
    return "";
  }
  std::memcpy(a.sun_path, socket_.c_str(), socket_.size() + 1);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string line = command + "\n";
    if (::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) {
      char buf[4096];
      for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

std::map<std::string, std::string> HaproxyServer::backend_states() const {
  // `show stat` is CSV: "# pxname,svname,...,status,..." then one row per
  // proxy and server; the status column's index comes from the header.
  std::map<std::string, std::string> out;
  std::istringstream in(stats_command("show stat"));
  std::string line;
  int status_col = -1;
  auto split = [](const std::string& l) {
    std::vector<std::string> cols;
    std::string cell;
    std::istringstream cs(l);
    while (std::getline(cs, cell, ',')) cols.push_back(cell);
    return cols;
  };
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0) {
      const auto cols = split(line.substr(2));
      for (size_t i = 0; i < cols.size(); ++i) {
        if (cols[i] == "status") status_col = static_cast<int>(i);
      }
      continue;
    }
    const auto cols = split(line);
    if (status_col < 0 || cols.size() <= static_cast<size_t>(status_col) || cols[0] != "uwitter") continue;
    if (cols[1] == "BACKEND") continue;
    out[cols[1]] = cols[static_cast<size_t>(status_col)];
  }
  return out;
}

}  // namespace uw::kit
