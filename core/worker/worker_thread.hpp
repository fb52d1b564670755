#pragma once
// uw::WorkerThread — one thread of a worker (see job_queue.hpp): it names
// itself (as `top -H` and `ps -L` show it), lowers its own priority when asked
// (background work: on a busy machine the loop and the writer go first) and
// then runs its body, which loops on a JobQueue until the queue ends it.
//
// Threading: start() and join() on the owner's thread. The owner stops the
// body (JobQueue::stop) before join(); the destructor joins too, so a
// WorkerThread must be destroyed before anything its body uses.
#include <functional>
#include <string>
#include <thread>

namespace uw {

class WorkerThread {
 public:
  struct Options {
    std::string name;  // "writer", "indexer", ...: thread name and log prefix
    int nice = 0;      // > 0: setpriority() this thread alone (thread_priority.hpp)
  };

  WorkerThread() = default;
  ~WorkerThread() { join(); }
  WorkerThread(WorkerThread&&) = default;
  WorkerThread& operator=(WorkerThread&&) = delete;
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  void start(Options opts, std::function<void()> body);
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

}  // namespace uw
