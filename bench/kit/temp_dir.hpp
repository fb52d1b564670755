#pragma once
// Scratch files for tests and benchmarks: a temporary directory that cleans
// up after itself, whole-file reads, and where artefacts go. Part of the
// test-and-bench kit (uwitter::kit). Any thread; nothing is shared.
#include <string>

namespace uw::kit {

// A fresh directory under $TMPDIR, removed (recursively) on destruction unless
// UWITTER_KEEP_TMP is set. Aborts when it cannot be created (nothing useful can
// follow in a test).
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The whole content of a file ("" when it cannot be read).
std::string read_file(const std::string& path);

// Where tests put artefacts (screenshots, logs): $UWITTER_ARTIFACTS or ./artifacts.
std::string artifacts_dir();

}  // namespace uw::kit
