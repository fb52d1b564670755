#pragma once
// A real program started as a child process for integration tests. Its stdout
// is read line by line; readiness is the "listening <proto> <host>:<port>" line
// (never a fixed sleep). stderr goes to a log file kept for failure reports.
// The process plumbing itself is core/process.hpp, shared with bench/runner.
#include <chrono>
#include <string>
#include <vector>

#include "core/process.hpp"

namespace uw::test {

// The shared child-process class (core/process.hpp) under its test name.
using ChildProcess = uw::process::Child;

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

// The whole content of a file ("" when it cannot be read).
std::string read_file(const std::string& path);

// Where tests put artefacts (screenshots, logs): $UWITTER_ARTIFACTS or build/artifacts.
std::string artifacts_dir();

}  // namespace uw::test
