#include "core/http/fd_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace uw::http {

Result<FdLimit> raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return Error{500, "rlimit", std::string("cannot read the open-file limit: ") + std::strerror(errno)};
  FdLimit out;
  out.before = lim.rlim_cur;
  rlim_t target = lim.rlim_max;
  if (target == RLIM_INFINITY) {
    // setrlimit refuses more than fs.nr_open.
    target = 1 << 20;
    if (FILE* f = std::fopen("/proc/sys/fs/nr_open", "r")) {
      unsigned long long n = 0;
      if (std::fscanf(f, "%llu", &n) == 1 && n > 0) target = static_cast<rlim_t>(n);
      std::fclose(f);
    }
  }
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < target) {
    rlimit raised = lim;
    raised.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim.rlim_cur = target;
  }
  out.soft = lim.rlim_cur;
  out.hard = lim.rlim_max;
  return out;
}

}  // namespace uw::http
