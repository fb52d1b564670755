#include "bench/kit/rabbitmq_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "bench/kit/pg_server.hpp"
#include "bench/kit/process.hpp"
#include "core/amqp/session.hpp"

namespace uw::kit {

namespace {

namespace fs = std::filesystem;

constexpr const char* kScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";

bool accepts(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

std::string random_hex(size_t n) {
  std::random_device rd;
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(hex[rd() & 15]);
  return s;
}

void stop_pid(pid_t* pid, int sig, std::chrono::milliseconds timeout) {
  if (*pid <= 0) return;
  ::kill(*pid, sig);
  if (!wait_until(*pid, Clock::now() + timeout)) kill_and_reap(*pid);
  *pid = -1;
}

}  // namespace

std::string RabbitMqServer::server_script() { return fs::exists(kScript) ? kScript : ""; }

RabbitMqServer::~RabbitMqServer() {
  stop();
  stop_pid(&epmd_pid_, SIGTERM, std::chrono::seconds(5));
}

std::vector<std::string> RabbitMqServer::env() const {
  const std::string d = dir_->path();
  return {"/usr/bin/env", "HOME=" + d,
          "RABBITMQ_CONF_ENV_FILE=/dev/null",  // not /etc/rabbitmq's
          "RABBITMQ_CONFIG_FILE=" + d + "/rabbitmq.conf",
          "RABBITMQ_ADVANCED_CONFIG_FILE=" + d + "/advanced.config",
          "RABBITMQ_ENABLED_PLUGINS_FILE=" + d + "/enabled_plugins",
          "RABBITMQ_PLUGINS_EXPAND_DIR=" + d + "/plugins-expand", "RABBITMQ_MNESIA_BASE=" + d + "/mnesia",
          "RABBITMQ_LOG_BASE=" + d + "/log", "RABBITMQ_PID_FILE=" + d + "/broker.pid",
          "RABBITMQ_NODENAME=" + node_, "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
          "RABBITMQ_NODE_PORT=" + std::to_string(amqp_port_),
          "RABBITMQ_DIST_PORT=" + std::to_string(dist_port_), "ERL_EPMD_PORT=" + std::to_string(epmd_port_),
          // The script then execs the VM (its pid is the broker's), without
          // an Erlang shell and without starting an epmd of its own.
          "RABBITMQ_ALLOW_INPUT=1", "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-noinput -start_epmd false"};
}

bool RabbitMqServer::start(std::chrono::milliseconds timeout) {
  error_.clear();
  if (running()) return true;
  if (script_.empty()) {
    script_ = server_script();
    if (script_.empty()) {
      error_ = std::string("RabbitMQ not found (") + kScript +
               "); run .ci/install-deps, which installs Debian's rabbitmq-server package";
      return false;
    }
  }
  if (!dir_) {
    dir_ = std::make_unique<TempDir>();
    node_ = "uwitter-" + std::to_string(::getpid()) + "-" + random_hex(6) + "@localhost";
    password_ = random_hex(24);
    amqp_port_ = free_tcp_port();
    dist_port_ = free_tcp_port();
    epmd_port_ = free_tcp_port();
    std::ofstream conf(dir_->file("rabbitmq.conf"));
    conf << "listeners.tcp.default = 127.0.0.1:" << amqp_port_ << "\n"
         << "default_user = " << user_ << "\n"
         << "default_pass = " << password_ << "\n"
         << "loopback_users = none\n"
         << "log.console = false\n"
         << "log.file.level = warning\n";
    std::ofstream(dir_->file("enabled_plugins")) << "[].\n";
    std::ofstream(dir_->file("advanced.config")) << "[].\n";
  }
  if (epmd_pid_ <= 0 || wait_until(epmd_pid_, Clock::now()).has_value()) {
    SpawnOptions so;
    so.stdout_path = dir_->file("epmd.log");
    so.stderr_path = dir_->file("epmd.log");
    so.die_with_parent = true;
    epmd_pid_ = spawn({"/usr/bin/epmd", "-port", std::to_string(epmd_port_)}, so);
    if (epmd_pid_ <= 0) {
      error_ = "cannot start epmd";
      return false;
    }
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!accepts(epmd_port_)) {
      if (Clock::now() > deadline || wait_until(epmd_pid_, Clock::now()).has_value()) {
        epmd_pid_ = -1;
        error_ = "epmd did not listen on 127.0.0.1:" + std::to_string(epmd_port_) + ": " +
                 read_file(dir_->file("epmd.log"));
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::vector<std::string> argv = env();
  argv.push_back(script_);
  SpawnOptions so;
  so.stdout_path = dir_->file("broker.out");
  so.stderr_path = dir_->file("broker.out");
  so.die_with_parent = true;
  broker_pid_ = spawn(argv, so);
  if (broker_pid_ <= 0) {
    broker_pid_ = -1;
    error_ = "cannot start " + script_;
    return false;
  }
  if (wait_ready(timeout)) return true;
  error_ =
      "RabbitMQ did not accept AMQP logins on 127.0.0.1:" + std::to_string(amqp_port_) + ": " + log_tail();
  stop(std::chrono::seconds(10));
  return false;
}

bool RabbitMqServer::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  amqp::Url u;
  u.host = "127.0.0.1";
  u.port = amqp_port_;
  u.user = user_;
  u.password = password_;
  u.queue = "uwitter.kit.ready";
  while (Clock::now() < deadline) {
    if (auto st = wait_until(broker_pid_, Clock::now()); st.has_value()) {
      broker_pid_ = -1;  // it exited
      return false;
    }
    if (accepts(amqp_port_)) {
      amqp::Session s;
      if (s.open(u, 2000, 0)) {
        s.close();
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool RabbitMqServer::stop(std::chrono::milliseconds timeout) {
  if (broker_pid_ <= 0) return true;
  ::kill(broker_pid_, SIGTERM);  // the broker's orderly shutdown
  if (wait_until(broker_pid_, Clock::now() + timeout).has_value()) {
    broker_pid_ = -1;
    return true;
  }
  kill_and_reap(broker_pid_);
  broker_pid_ = -1;
  return false;
}

std::string RabbitMqServer::url(const std::string& queue) const {
  return "amqp://" + user_ + ":" + password_ + "@127.0.0.1:" + std::to_string(amqp_port_) +
         "/%2F?queue=" + queue;
}

std::string RabbitMqServer::log_tail(size_t bytes) const {
  if (!dir_) return "";
  std::string all = read_file(dir_->file("broker.out"));
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_->file("log"), ec))
    if (e.path().extension() == ".log") all += read_file(e.path().string());
  return all.size() > bytes ? all.substr(all.size() - bytes) : all;
}

}  // namespace uw::kit
