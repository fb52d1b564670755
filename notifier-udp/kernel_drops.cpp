#include "notifier-udp/kernel_drops.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace uw::notifier {

uint64_t socket_inode(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_ino);
}

std::optional<uint64_t> drops_in_table(const std::string& table, uint64_t inode) {
  // Columns: sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops
  std::istringstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string col[13];
    int n = 0;
    while (n < 13 && ls >> col[n]) ++n;
    if (n < 13) continue;
    try {
      if (std::stoull(col[9]) != inode) continue;
      return std::stoull(col[12]);
    } catch (...) {
      continue;
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> kernel_drops(uint64_t inode) {
  if (inode == 0) return std::nullopt;
  for (const char* path : {"/proc/net/udp", "/proc/net/udp6"}) {
    std::ifstream f(path);
    if (!f) continue;
    std::stringstream ss;
    ss << f.rdbuf();
    if (auto d = drops_in_table(ss.str(), inode)) return d;
  }
  return std::nullopt;
}

}  // namespace uw::notifier
