#include "core/worker/thread_priority.hpp"

#include <sys/resource.h>
#include <unistd.h>

namespace uw {

bool lower_this_thread_priority(int nice) {
  return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) == 0;
}

}  // namespace uw
