#include "bench/kit/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
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

#include "bench/kit/temp_dir.hpp"

namespace uw::kit {

pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& options) {
  // Everything the child needs is prepared before fork: between fork and exec
  // only async-signal-safe calls are allowed (no allocation).
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const char* out_path = options.stdout_path.empty() ? nullptr : options.stdout_path.c_str();
  const char* err_path = options.stderr_path.empty() ? nullptr : options.stderr_path.c_str();
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (options.cpu >= 0 && options.cpu < CPU_SETSIZE) CPU_SET(options.cpu, &cpus);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return -errno;
  if (pid > 0) return pid;
  if (options.die_with_parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);  // the parent died before prctl
  }
  if (options.cpu >= 0 && ::sched_setaffinity(0, sizeof cpus, &cpus) != 0) _exit(127);
  if (options.stdout_fd >= 0) {
    ::dup2(options.stdout_fd, STDOUT_FILENO);
  } else if (out_path) {
    int fd = ::open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) ::dup2(fd, STDOUT_FILENO);
  }
  if (err_path) {
    int fd = ::open(err_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) ::dup2(fd, STDERR_FILENO);
  }
  int nul = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (nul >= 0) ::dup2(nul, STDIN_FILENO);
  if (args[0]) ::execv(args[0], args.data());
  _exit(127);
}

int exit_status(int raw) {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return -1;
}

std::optional<int> wait_until(pid_t pid, Clock::time_point deadline) {
  for (;;) {
    int st = 0;
    pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return exit_status(st);
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling an exit, not a readiness wait
  }
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) kill_and_reap(pid_);
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool ChildProcess::start(const std::vector<std::string>& argv, const std::string& stderr_path,
                         bool die_with_parent) {
  error_.clear();
  if (argv.empty()) {
    error_ = "no program";
    return false;
  }
  name_ = argv[0].substr(argv[0].rfind('/') + 1);
  stderr_path_ = stderr_path;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    error_ = std::strerror(errno);
    return false;
  }
  // The write end is dup2'ed onto the child's stdout (dup2 clears O_CLOEXEC on
  // the copy); both originals close at exec.
  SpawnOptions options;
  options.stdout_fd = fds[1];
  options.stderr_path = stderr_path;
  options.die_with_parent = die_with_parent;
  options.cpu = cpu_;
  pid_t pid = spawn(argv, options);
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    error_ = std::strerror(-pid);
    return false;
  }
  out_fd_ = fds[0];
  pid_ = pid;
  return true;
}

bool ChildProcess::read_line(std::string* line, Clock::time_point deadline) {
  for (;;) {
    if (auto nl = buf_.find('\n'); nl != std::string::npos) {
      *line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      lines_.push_back(*line);
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
    if (n <= 0) {  // the child closed stdout (exited)
      ::close(out_fd_);
      out_fd_ = -1;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

bool ChildProcess::wait_listening(size_t count, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  size_t seen = 0;
  std::string line;
  while (seen < count && read_line(&line, deadline)) {
    // "listening <proto> <host>:<port>"
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

uint16_t ChildProcess::port(const std::string& proto) const {
  auto it = ports_.find(proto);
  return it == ports_.end() ? 0 : it->second;
}

template <class Match>
std::optional<std::string> ChildProcess::wait_line_if(Match match, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string line;
  while (read_line(&line, deadline))
    if (match(line)) return line;
  return std::nullopt;
}

std::optional<std::string> ChildProcess::wait_line(const std::string& needle,
                                                   std::chrono::milliseconds timeout) {
  return wait_line_if([&](const std::string& l) { return l.find(needle) != std::string::npos; }, timeout);
}

std::optional<std::string> ChildProcess::wait_line_starting(const std::string& prefix,
                                                            std::chrono::milliseconds timeout) {
  return wait_line_if([&](const std::string& l) { return l.rfind(prefix, 0) == 0; }, timeout);
}

int ChildProcess::signal(int sig) const { return pid_ > 0 ? ::kill(pid_, sig) : -1; }

int ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  auto st = wait_until(pid_, Clock::now() + timeout);
  if (!st) return -1;
  pid_ = -1;
  return *st;
}

int ChildProcess::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto st = wait_until(pid_, Clock::now() + timeout);
  if (!st) kill_and_reap(pid_);
  pid_ = -1;
  return st.value_or(-1);
}

std::string ChildProcess::stderr_text() const {
  if (stderr_path_.empty()) return "";
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ChildProcess::stderr_tail(size_t bytes) const {
  std::string s = stderr_text();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  RunResult rr;
  TempDir tmp;
  SpawnOptions io;
  io.stdout_path = tmp.file("out");
  io.stderr_path = tmp.file("err");
  pid_t pid = spawn(argv, io);
  if (pid < 0) return rr;
  auto st = wait_until(pid, Clock::now() + timeout);
  if (!st) kill_and_reap(pid);
  rr.status = st.value_or(-1);
  rr.out = read_file(io.stdout_path);
  rr.err = read_file(io.stderr_path);
  return rr;
}

}  // namespace uw::kit
