// Key files: dir/uwitter.key (mode 0600, the seed in hex) and dir/uwitter.pub
// (the pasteable public-key line). docs/PROTOCOL.md section 6 gives the formats.
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "sign/keys.hpp"

namespace uw::sign {

namespace {

constexpr std::string_view kSecretPrefix = "uwitter-ed25519-secret ";

Error file_error(std::string message) { return Error{500, "key_file", std::move(message)}; }

Error errno_error(const std::string& what, const std::string& path) {
  return file_error(what + " " + path + ": " + std::strerror(errno));
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Reads a small file (at most 4 KiB) through an already-open fd into out.
bool read_small(int fd, std::string* out) {
  char buf[4096];
  size_t got = 0;
  for (;;) {
    ssize_t r = ::read(fd, buf + got, sizeof buf - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) break;
    got += static_cast<size_t>(r);
    if (got == sizeof buf) return false;
  }
  out->assign(buf, got);
  sodium_memzero(buf, sizeof buf);
  return true;
}

}  // namespace

Result<Unit> write_keypair(const std::string& dir, const SecretKey& key) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("cannot create", dir);
  std::string sec_path = dir + "/uwitter.key", pub_path = dir + "/uwitter.pub";
  // O_EXCL: never overwrite a key; 0600 from the start so there is no window
  // in which the file is readable by others.
  int fd = ::open(sec_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("cannot create", sec_path);
  Seed seed = key.seed();
  std::string line = std::string(kSecretPrefix) + hex(seed) + "\n";
  sodium_memzero(seed.data(), seed.size());
  bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, line.data(), line.size()) && ::fsync(fd) == 0;
  sodium_memzero(line.data(), line.size());
  ::close(fd);
  if (!ok) return errno_error("cannot write", sec_path);

  std::string pub = format_public_key(key.public_key()) + "\n";
  int pfd = ::open(pub_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (pfd < 0) return errno_error("cannot create", pub_path);
  ok = write_all(pfd, pub.data(), pub.size());
  ::close(pfd);
  if (!ok) return errno_error("cannot write", pub_path);
  return Unit{};
}

Result<SecretKey> load_secret_key(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno_error("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Error e = errno_error("cannot stat", path);
    ::close(fd);
    return e;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return file_error("secret key " + path + " is not a regular file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return file_error("secret key " + path + " is accessible by group or others (mode " + mode +
                      "); run: chmod 600 " + path);
  }
  std::string text;
  bool ok = read_small(fd, &text);
  ::close(fd);
  if (!ok) return file_error("cannot read " + path);
  std::optional<SecretKey> key;
  Seed seed{};
  std::string_view body(text);
  if (body.substr(0, kSecretPrefix.size()) == kSecretPrefix &&
      parse_hex(body.substr(kSecretPrefix.size()), seed.data(), seed.size()))
    key.emplace(SecretKey::from_seed(seed));
  sodium_memzero(seed.data(), seed.size());
  sodium_memzero(text.data(), text.size());
  if (!key) return file_error("secret key " + path + " is not a uwitter-ed25519-secret line");
  return std::move(*key);
}

Result<PublicKey> load_public_key(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("cannot open", path);
  std::string text;
  bool ok = read_small(fd, &text);
  ::close(fd);
  if (!ok) return file_error("cannot read " + path);
  // The first line that is neither blank nor a # comment holds the key.
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line(text.data() + pos, (nl == std::string::npos ? text.size() : nl) - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || line[first] == '#') continue;
    auto pk = parse_public_key(line);
    if (!pk) return file_error("public key " + path + " is not a \"uwitter-ed25519 <hex> id=<hex>\" line");
    return *pk;
  }
  return file_error("public key " + path + " is empty");
}

}  // namespace uw::sign
