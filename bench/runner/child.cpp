#include "bench/runner/child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace uw::bench {

namespace {
using Clock = std::chrono::steady_clock;

int decode(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}
}  // namespace

Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

std::string Child::start(const std::vector<std::string>& argv, const std::string& stderr_path) {
  if (argv.empty()) return "no program";
  name_ = argv[0].substr(argv[0].rfind('/') + 1);
  stderr_path_ = stderr_path;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::strerror(errno);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return std::strerror(errno);
  }
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);
    ::dup2(fds[1], STDOUT_FILENO);
    int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    int nul = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nul >= 0) ::dup2(nul, STDIN_FILENO);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(fds[1]);
  out_fd_ = fds[0];
  pid_ = pid;
  return "";
}

bool Child::read_line(std::string* line, Clock::time_point deadline) {
  for (;;) {
    if (auto nl = buf_.find('\n'); nl != std::string::npos) {
      *line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return true;
    }
    if (out_fd_ < 0) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{out_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    char tmp[4096];
    ssize_t n = ::read(out_fd_, tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(out_fd_);
      out_fd_ = -1;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

bool Child::wait_listening(size_t count, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  size_t seen = 0;
  std::string line;
  while (seen < count && read_line(&line, deadline)) {
    if (line.rfind("listening ", 0) != 0) continue;
    std::istringstream in(line.substr(10));
    std::string proto, addr;
    in >> proto >> addr;
    auto colon = addr.rfind(':');
    if (colon == std::string::npos) continue;
    ports_[proto] = static_cast<uint16_t>(std::atoi(addr.c_str() + colon + 1));
    ++seen;
  }
  return seen >= count;
}

uint16_t Child::port(const std::string& proto) const {
  auto it = ports_.find(proto);
  return it == ports_.end() ? 0 : it->second;
}

std::optional<std::string> Child::wait_line(const std::string& prefix, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string line;
  while (read_line(&line, deadline))
    if (line.rfind(prefix, 0) == 0) return line;
  return std::nullopt;
}

int Child::signal(int sig) const { return pid_ > 0 ? ::kill(pid_, sig) : -1; }

int Child::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return decode(st);
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling an exit, not a readiness wait
  }
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
  return -1;
}

std::string Child::stderr_tail(size_t bytes) const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

}  // namespace uw::bench
