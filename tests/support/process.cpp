#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace uw::test {

namespace {

using Clock = std::chrono::steady_clock;

int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

std::vector<char*> to_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

// Waits for pid to exit, polling waitpid without blocking forever.
int wait_pid(pid_t pid, Clock::time_point deadline) {
  for (;;) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return decode_status(st);
    if (r < 0 && errno != EINTR) return -1;
    if (Clock::now() >= deadline) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // poll interval, not a readiness wait
  }
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

bool ChildProcess::start(const std::vector<std::string>& argv, const std::string& stderr_path) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  stderr_path_ = stderr_path;
  auto args = to_argv(argv);
  pid_t pid = fork();
  if (pid < 0) return false;
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    if (!stderr_path.empty()) {
      int fd = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) dup2(fd, STDERR_FILENO);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  ::close(fds[1]);
  out_fd_ = fds[0];
  pid_ = pid;
  return true;
}

bool ChildProcess::read_line(std::string* line, Clock::time_point deadline) {
  for (;;) {
    auto nl = buf_.find('\n');
    if (nl != std::string::npos) {
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
    if (n <= 0) {  // child closed stdout (exited)
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

std::optional<std::string> ChildProcess::wait_line(const std::string& needle,
                                                   std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string line;
  while (read_line(&line, deadline)) {
    if (line.find(needle) != std::string::npos) return line;
  }
  return std::nullopt;
}

int ChildProcess::signal(int sig) { return pid_ > 0 ? ::kill(pid_, sig) : -1; }

int ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  int st = wait_pid(pid_, Clock::now() + timeout);
  if (st == -2) return -1;
  pid_ = -1;
  return st;
}

int ChildProcess::terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int st = wait_pid(pid_, Clock::now() + timeout);
  if (st == -2) {
    ::kill(pid_, SIGKILL);
    int raw = 0;
    waitpid(pid_, &raw, 0);
    pid_ = -1;
    return -1;
  }
  pid_ = -1;
  return st;
}

std::string ChildProcess::stderr_text() const {
  if (stderr_path_.empty()) return "";
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RunResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  RunResult rr;
  TempDir tmp;
  std::string out = tmp.file("out"), err = tmp.file("err");
  auto args = to_argv(argv);
  pid_t pid = fork();
  if (pid < 0) return rr;
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  int st = wait_pid(pid, Clock::now() + timeout);
  if (st == -2) {
    ::kill(pid, SIGKILL);
    int raw = 0;
    waitpid(pid, &raw, 0);
    st = -1;
  }
  rr.status = st;
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  rr.out = slurp(out);
  rr.err = slurp(err);
  return rr;
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/uwitter-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) std::abort();
  path_ = buf.data();
}

TempDir::~TempDir() {
  if (std::getenv("UWITTER_KEEP_TMP")) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string artifacts_dir() {
  const char* a = std::getenv("UWITTER_ARTIFACTS");
  std::string dir = a && *a ? a : std::filesystem::current_path().string() + "/artifacts";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return dir;
}

}  // namespace uw::test
