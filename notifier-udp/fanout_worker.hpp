#pragma once
// uw::notifier::FanoutWorker — the thread that reads the follow graph.
// It owns its own read-only Store (the web app stays the only writer) and
// turns a job ("followers of author A" or "this one user") into chunks of
// recipient ids, handed back to the loop through a LoopMailbox (core/worker/).
// Jobs are served round-robin one chunk at a time, so a million-follower
// fan-out never holds up a follow notification queued behind it.
// Backpressure: the worker stops reading while more than `max_outstanding` ids
// are waiting on the loop.
//
// Threading: the constructor, start(), submit(), consumed(), stop() and the
// destructor on the loop thread; the chunk callback runs on the loop thread.
// Jobs are named by id; the worker never sees a Note.
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "core/worker/job_queue.hpp"
#include "core/worker/loop_mailbox.hpp"
#include "core/worker/worker_thread.hpp"

namespace uw {
class Store;
}

namespace uw::notifier {

struct FanoutJob {
  uint64_t job_id = 0;
  int64_t author_id = 0;    // followers of this user (0: single recipient)
  int64_t single_user = 0;  // the one recipient when author_id == 0
  bool want_names = false;  // resolve recipient usernames (debug delivery lines)
  // Also resolve them when the whole job is one chunk of at most this many ids
  // (the info-level log names the recipients of small fan-outs: tail --user).
  size_t names_up_to = 0;
};

struct FanoutChunk {
  uint64_t job_id = 0;
  std::vector<int64_t> ids;
  std::vector<std::string> names;  // parallel to ids when names were wanted, else empty
  bool last = false;
  std::string error;  // non-empty: the job failed (no database, ...)
};

class FanoutWorker {
 public:
  struct Options {
    std::string db_path;  // "" = no database: post fan-outs fail, single recipients work
    size_t chunk = 4096;
    size_t max_outstanding = 65536;
  };
  FanoutWorker(uv_loop_t* loop, Options opts, std::function<void(FanoutChunk&&)> on_chunk);
  ~FanoutWorker();  // after stop() completed
  FanoutWorker(const FanoutWorker&) = delete;
  FanoutWorker& operator=(const FanoutWorker&) = delete;

  void start();
  void submit(const FanoutJob& job);
  // The loop has delivered n ids: lets the worker read more.
  void consumed(size_t n);
  // Joins the thread and closes the mailbox; done runs on the loop. Chunks not
  // yet handed to the loop are dropped.
  void stop(std::function<void()> done);

 private:
  struct Wake {};  // consumed() brought the outstanding ids down to half
  using Message = std::variant<FanoutJob, Wake>;
  struct Active {
    FanoutJob job;
    int64_t after_id = 0;
  };
  void run();
  // Opens the follower database on first use (worker thread); an Error whose
  // message goes into the chunk when it is not there (yet).
  Result<Unit> ensure_store();
  const std::string& name_of(int64_t id);

  Options opts_;
  std::function<void(FanoutChunk&&)> on_chunk_;
  LoopMailbox mailbox_;
  bool stopping_ = false;  // loop thread: late chunks are dropped
  JobQueue<Message> inbox_;
  // Ids handed to the loop and not yet consumed: added by the worker, taken
  // off by consumed().
  std::atomic<size_t> outstanding_{0};

  // Worker thread only.
  std::deque<Active> jobs_;     // follower fan-outs, round-robin, subject to backpressure
  std::deque<Active> singles_;  // one-recipient jobs: never wait behind a big fan-out
  std::unique_ptr<Store> store_;
  std::unordered_map<int64_t, std::string> names_;
  uint64_t last_open_attempt_ms_ = 0;

  WorkerThread thread_;  // last: joined before the members it uses go
};

}  // namespace uw::notifier
