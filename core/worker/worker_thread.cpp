#include "core/worker/worker_thread.hpp"

#include <pthread.h>

#include <utility>

#include "core/log.hpp"
#include "core/worker/thread_priority.hpp"

namespace uw {

void WorkerThread::start(Options opts, std::function<void()> body) {
  thread_ = std::thread([opts = std::move(opts), body = std::move(body)] {
    // Linux keeps 15 characters of a thread's name.
    const std::string name = ("uw-" + opts.name).substr(0, 15);
    pthread_setname_np(pthread_self(), name.c_str());
    if (opts.nice > 0 && !lower_this_thread_priority(opts.nice)) {
      log::debug("{}: cannot lower its priority", opts.name);
    }
    body();
  });
}

}  // namespace uw
