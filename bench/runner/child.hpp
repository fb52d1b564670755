#pragma once
// uw::bench::Child — a daemon (uwitter-web, -lossy, -notifier) started by the
// runner. stdout is a pipe read line by line for the "listening <proto>
// <host>:<port>" readiness lines; stderr goes to a log file. The child gets
// SIGKILL if the runner dies (PR_SET_PDEATHSIG) and on destruction, so every
// child is stopped at the end whatever happens. Used by one thread.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace uw::bench {

class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();  // SIGKILL + reap if still running

  // Starts argv[0]; stderr appended to stderr_path. Returns "" or an error.
  std::string start(const std::vector<std::string>& argv, const std::string& stderr_path);
  // Reads stdout until `count` "listening ..." lines (or exit / timeout).
  bool wait_listening(size_t count, std::chrono::milliseconds timeout);
  uint16_t port(const std::string& proto) const;  // 0 if not announced
  // Reads stdout lines until one starts with `prefix`.
  std::optional<std::string> wait_line(const std::string& prefix, std::chrono::milliseconds timeout);
  // SIGTERM, wait; exit status (128+signal if killed by one) or -1 after SIGKILL on timeout.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  int signal(int sig) const;
  bool running() const { return pid_ > 0; }
  const std::string& name() const { return name_; }
  std::string stderr_tail(size_t bytes = 2000) const;

 private:
  bool read_line(std::string* line, std::chrono::steady_clock::time_point deadline);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string name_, buf_, stderr_path_;
  std::map<std::string, uint16_t> ports_;
};

}  // namespace uw::bench
