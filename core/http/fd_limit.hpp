#pragma once
// uw::http::raise_fd_limit — a daemon's open-file limit, raised as far as it
// may go. Each connection is a descriptor; a soft limit below the connection
// limit means connections the server cannot even accept (it answers them 503
// through its spare descriptor, see server.hpp, but it cannot serve them).
//
// Threading: call once at start, before other threads open files.
#include <cstdint>

#include "core/result.hpp"

namespace uw::http {

struct FdLimit {
  uint64_t soft = 0;  // after raising
  uint64_t hard = 0;
  uint64_t before = 0;  // the soft limit found at start
};

// Sets the soft RLIMIT_NOFILE to the hard one (Linux caps an unlimited hard
// limit at /proc/sys/fs/nr_open). An Error when the limit cannot be read; a
// limit that cannot be raised is reported as it is (soft == before).
[[nodiscard]] Result<FdLimit> raise_fd_limit();

// Descriptors a daemon needs besides its connections (store, readers, logs,
// pipes, the spare): what a connection limit must leave free.
inline constexpr uint64_t kFdsBesidesConnections = 64;

}  // namespace uw::http
