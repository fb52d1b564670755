#pragma once
// Trusted public keys from files (--trust FILE, repeatable). A file holds one
// key per line in sign::format_public_key form ("uwitter-ed25519 <hex> id=<hex>");
// blank lines and lines starting with '#' are ignored. Rotation without restart:
// reload() (SIGHUP, or when a file's mtime changes) rebuilds the ring in place,
// so a Verifier holding a reference to it sees the new keys.
// Threading: loop thread only.
#include <cstdint>
#include <string>
#include <vector>

#include "sign/keys.hpp"

namespace uw::notifier {

class TrustStore {
 public:
  explicit TrustStore(std::vector<std::string> files) : files_(std::move(files)) {}
  // Rebuilds the ring from every file. Missing or bad files are reported in
  // *problems (one message each) and contribute no keys; the ring is replaced
  // only if at least one key loaded (a half-written file never empties it).
  // Returns the number of keys now trusted.
  size_t reload(std::vector<std::string>* problems);
  // True if any file's mtime/size changed since the last reload (cheap stat).
  bool changed() const;
  const sign::KeyRing& ring() const { return ring_; }
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::string stamp() const;
  std::vector<std::string> files_;
  sign::KeyRing ring_;
  std::string last_stamp_;
};

}  // namespace uw::notifier
