#pragma once
// A real program started as a child process for integration tests. Its stdout
// is read line by line; readiness is the "listening <proto> <host>:<port>" line
// (never a fixed sleep). stderr goes to a log file kept for failure reports.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace uw::test {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILL if still running

  // Starts argv[0] with argv; stderr is appended to stderr_path ("" = inherit).
  bool start(const std::vector<std::string>& argv, const std::string& stderr_path = "");
  // Reads stdout until `count` lines starting with "listening " arrived (or the
  // child exited / timeout). Records each as proto -> port ("http", "udp", ...).
  bool wait_listening(size_t count = 1, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  uint16_t port(const std::string& proto) const;  // 0 if not seen
  // Reads stdout lines until one contains `needle`; returns it.
  std::optional<std::string> wait_line(const std::string& needle,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(20));
  const std::vector<std::string>& lines() const { return lines_; }

  // Sends SIGTERM and waits; returns the exit status (exit code, or 128+signal),
  // or -1 on timeout (the child is then killed).
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  int signal(int sig);
  // Waits for exit without signalling; -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  std::string stderr_text() const;

 private:
  bool read_line(std::string* line, std::chrono::steady_clock::time_point deadline);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string buf_;
  std::string stderr_path_;
  std::vector<std::string> lines_;
  std::map<std::string, uint16_t> ports_;
};

// Runs a program to completion; returns exit status and captured stdout+stderr.
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};
RunResult run(const std::vector<std::string>& argv,
              std::chrono::milliseconds timeout = std::chrono::seconds(60));

// A fresh directory under $TMPDIR, removed (recursively) on destruction unless
// UWITTER_KEEP_TMP is set.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Where tests put artefacts (screenshots, logs): $UWITTER_ARTIFACTS or build/artifacts.
std::string artifacts_dir();

}  // namespace uw::test
