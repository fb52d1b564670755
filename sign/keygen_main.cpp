// uwitter-keygen: writes an Ed25519 key pair for the web app's datagrams and
// tickets, and prints the public-key line the notifier's --trust file takes.
// Flags are parsed inline: sign/ depends on nothing of ours.
#include <cstdio>
#include <cstring>
#include <string>

#include "sign/keys.hpp"

namespace {

constexpr const char* kUsage =
    "usage: uwitter-keygen --out DIR\n"
    "\n"
    "Writes a new Ed25519 key pair: DIR/uwitter.key (secret, mode 0600, never\n"
    "overwritten) and DIR/uwitter.pub (public). DIR is created (mode 0700) if\n"
    "missing. Prints the public-key line, with its key id, to paste into a file\n"
    "the notifier trusts (uwitter-notifier --trust FILE).\n"
    "\n"
    "  --out DIR    where to write the key pair (required)\n"
    "  --help       show this help\n"
    "  --version    show the version\n";

int bad(const std::string& why) {
  std::fprintf(stderr, "uwitter-keygen: %s (try --help)\n", why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--version") {
      std::printf("uwitter-keygen %s\n", UWITTER_VERSION);
      return 0;
    }
    if (a == "--out") {
      if (i + 1 >= argc) return bad("--out needs a directory");
      out = argv[++i];
    } else if (a.rfind("--out=", 0) == 0) {
      out = a.substr(6);
    } else {
      return bad("unknown argument: " + a);
    }
    if (out.empty()) return bad("--out needs a directory");
  }
  if (out.empty()) return bad("missing --out DIR");
  if (!uw::sign::init()) {
    std::fprintf(stderr, "uwitter-keygen: libsodium failed to start\n");
    return 1;
  }
  uw::sign::SecretKey key = uw::sign::SecretKey::generate();
  if (auto written = uw::sign::write_keypair(out, key); !written) {
    std::fprintf(stderr, "uwitter-keygen: %s\n", written.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", uw::sign::format_public_key(key.public_key()).c_str());
  std::fprintf(stderr, "wrote %s/uwitter.key (secret, mode 0600) and %s/uwitter.pub\n", out.c_str(),
               out.c_str());
  return 0;
}
