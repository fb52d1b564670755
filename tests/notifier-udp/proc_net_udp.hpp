#pragma once
// Test helper: the kernel's own view of a UDP socket's drops, from the `drops`
// column of /proc/net/udp{,6}, found by socket inode. The notifier counts its
// drops from SO_RXQ_OVFL; tests hold that figure against this one.
// Header-only (only *_test.cpp files are compiled into the test program).
#include <dirent.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace uw::test {

// Parses a /proc/net/udp-style table and returns the drops of `inode`.
inline std::optional<uint64_t> drops_in_table(const std::string& table, uint64_t inode) {
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

// Drops of the UDP socket with this inode; nullopt if it is not a UDP socket.
inline std::optional<uint64_t> udp_drops(uint64_t inode) {
  for (const char* path : {"/proc/net/udp", "/proc/net/udp6"}) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    if (auto d = drops_in_table(ss.str(), inode)) return d;
  }
  return std::nullopt;
}

// Inodes of every socket process `pid` has open (from /proc/<pid>/fd).
inline std::vector<uint64_t> socket_inodes(pid_t pid) {
  std::vector<uint64_t> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char target[PATH_MAX];
    ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    unsigned long long inode = 0;
    if (std::sscanf(target, "socket:[%llu]", &inode) == 1) out.push_back(inode);
  }
  closedir(d);
  return out;
}

}  // namespace uw::test
