#pragma once
// Starting our own programs as child processes and talking to them through
// their stdout: what the integration tests (tests/) and the benchmarks
// (bench/runner, bench/notifier) all do. Part of the test-and-bench kit
// (uwitter::kit), never of a production program. A daemon is ready once it has printed its
// "listening <proto> <host>:<port>" lines (DESIGN.md "Readiness"), so callers
// wait for those lines, never for a fixed time.
//
// Nothing here is for an event-loop thread: every wait blocks the caller.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace uw::kit {

using Clock = std::chrono::steady_clock;

// Where a spawned program's standard streams go. stdin is always /dev/null.
struct SpawnOptions {
  int stdout_fd = -1;            // dup2'ed onto stdout when >= 0 (the caller keeps and closes it)
  std::string stdout_path;       // else: appended to when not empty (created 0644); else inherited
  std::string stderr_path;       // appended to when not empty (created 0644); else inherited
  bool die_with_parent = false;  // SIGKILL the child when the thread that spawned it exits
  int cpu = -1;                  // >= 0: the child runs on this CPU only (sched_setaffinity)
};

// fork + execv(argv[0], argv). Returns the child's pid, or -errno when it could
// not fork. A program that cannot be executed exits with status 127. Any thread.
pid_t spawn(const std::vector<std::string>& argv, const SpawnOptions& options);

// The exit code of a raw waitpid() status, or 128+signal when a signal ended it.
int exit_status(int raw);

// Waits for `pid` to exit until `deadline` (polling; not a readiness wait).
// Returns its exit_status(), -1 if waitpid failed, nullopt on timeout (the
// child is then still running and still the caller's to reap).
std::optional<int> wait_until(pid_t pid, Clock::time_point deadline);

// SIGKILL and reap `pid`.
void kill_and_reap(pid_t pid);

// A program started with its stdout on a pipe that is read line by line, and
// its stderr appended to a log file. Owns the process: the destructor kills
// and reaps it if it is still running. Used by one thread at a time.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILL + reap if still running

  // Starts argv[0] with argv; stderr is appended to stderr_path ("" = inherit).
  // With die_with_parent the child gets SIGKILL if this thread exits first
  // (PR_SET_PDEATHSIG), so a crashed runner leaves no daemons behind.
  // Returns false on failure, with the reason in error().
  bool start(const std::vector<std::string>& argv, const std::string& stderr_path = "",
             bool die_with_parent = false);
  // The next start() runs the program on CPU `cpu` only (-1: wherever this
  // process may run). For benchmarks that keep one program off the cores the
  // others use.
  void pin_to_cpu(int cpu) { cpu_ = cpu; }
  // Why the last start() failed ("" after a successful start).
  const std::string& error() const { return error_; }

  // Reads stdout until `count` lines starting with "listening " arrived (or the
  // child exited / timeout). Records each as proto -> port ("http", "udp", ...).
  bool wait_listening(size_t count = 1, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  uint16_t port(const std::string& proto) const;  // 0 if not announced
  // Reads stdout lines until one contains `needle`; returns it.
  std::optional<std::string> wait_line(const std::string& needle,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Reads stdout lines until one starts with `prefix`; returns it.
  std::optional<std::string> wait_line_starting(const std::string& prefix,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Every stdout line read so far by the waits above.
  const std::vector<std::string>& lines() const { return lines_; }

  // Sends SIGTERM and waits; returns the exit status (exit code, or 128+signal),
  // or -1 on timeout (the child is then killed).
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // kill(pid, sig): 0, or -1 when not running / on error.
  int signal(int sig) const;
  // Waits for exit without signalling; -1 on timeout (the child keeps running).
  int wait_exit(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  // The program's file name (argv[0] without its directory).
  const std::string& name() const { return name_; }
  // The stderr log ("" when stderr was inherited), whole or its last `bytes`.
  std::string stderr_text() const;
  std::string stderr_tail(size_t bytes = 2000) const;

 private:
  template <class Match>
  std::optional<std::string> wait_line_if(Match match, std::chrono::milliseconds timeout);
  bool read_line(std::string* line, Clock::time_point deadline);
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int cpu_ = -1;
  std::string buf_;
  std::string name_;
  std::string stderr_path_;
  std::string error_;
  std::vector<std::string> lines_;
  std::map<std::string, uint16_t> ports_;
};

// Runs a program to completion (stdout and stderr captured through files in a
// temporary directory); returns its exit status and both streams. A program
// still running after `timeout` is killed (status -1).
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};
RunResult run(const std::vector<std::string>& argv,
              std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace uw::kit
