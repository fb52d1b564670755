#include "notifier-udp/trust.hpp"

#include <sys/stat.h>

#include <fstream>

namespace uw::notifier {

std::string TrustStore::stamp() const {
  std::string s;
  for (const auto& f : files_) {
    struct stat st {};
    if (stat(f.c_str(), &st) != 0) {
      s += "-;";
      continue;
    }
    s += std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ";";
  }
  return s;
}

bool TrustStore::changed() const { return stamp() != last_stamp_; }

size_t TrustStore::reload(std::vector<std::string>* problems) {
  last_stamp_ = stamp();
  sign::KeyRing fresh;
  for (const auto& path : files_) {
    std::ifstream in(path);
    if (!in) {
      problems->push_back("cannot read trust file " + path);
      continue;
    }
    std::string line;
    int lineno = 0, keys = 0;
    while (std::getline(in, line)) {
      ++lineno;
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
        line.pop_back();
      size_t start = line.find_first_not_of(" \t");
      if (start == std::string::npos || line[start] == '#') continue;
      auto pk = sign::parse_public_key(std::string_view(line).substr(start));
      if (!pk) {
        problems->push_back(path + ":" + std::to_string(lineno) + ": not a public key");
        continue;
      }
      fresh.add(*pk);
      ++keys;
    }
    if (keys == 0) problems->push_back("no key in trust file " + path);
  }
  if (fresh.size() > 0) ring_ = fresh;
  return ring_.size();
}

}  // namespace uw::notifier
