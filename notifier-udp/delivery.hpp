#pragma once
// uw::notifier::Delivery — turns verified events into notifications on the
// loop: makes the Note, asks the FanoutWorker for recipients, and delivers the
// chunks it hands back (inbox push + write to open streams) a bounded number
// per loop turn (uv_check, with a uv_idle so poll does not block while work is
// left). Small jobs (follow, mention, small follower lists) go first; a big
// fan-out takes the rest of each turn's budget, so it never stalls ingest or
// other deliveries. Jobs are named by id (a FanoutChunk for a finished job is dropped).
// Threading: loop thread only.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>

#include "notifier-udp/fanout_worker.hpp"
#include "notifier-udp/note.hpp"
#include "notifier-udp/repeats.hpp"

namespace uw::notifier {

class EventLog;
class Inboxes;
class Streams;

struct DeliveryStats {
  uint64_t fanouts = 0;        // post fan-outs finished
  uint64_t fanout_errors = 0;  // jobs that failed (no database, ...)
  uint64_t delivered = 0;      // notifications put in an inbox (one per recipient)
  uint64_t pending_ids = 0;    // recipients handed back but not yet delivered
  uint64_t active_jobs = 0;
  uint64_t suppressed_mentioned = 0;      // uweet not sent: the follower got the mention of it
  uint64_t suppressed_late_mention = 0;   // mention not sent: the uweet already reached them
  uint64_t suppressed_repeat_follow = 0;  // follow not sent: the same one notified within the window
};

class Delivery {
 public:
  struct Options {
    size_t per_turn = 512;  // deliveries per loop turn
    size_t small_job = 64;  // chunks up to this size are served first
    Repeats::Options repeats;
    size_t log_names_up_to = 16;  // info log names recipients of fan-outs up to this size
  };
  Delivery(uv_loop_t* loop, Options opts, FanoutWorker::Options worker_opts, Inboxes& inboxes,
           Streams& streams, EventLog& log);
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  void start();
  // A verified event (already made into a Note) enters here.
  void deliver(const std::shared_ptr<const Note>& note);
  const DeliveryStats& stats() const { return stats_; }
  void close(std::function<void()> done);

 private:
  struct Job {
    std::shared_ptr<const Note> note;
    uint64_t started_ns = 0;
    uint64_t recipients = 0;
    uint64_t online = 0;
    bool fetch_done = false;
    bool single = false;
    uint32_t queued_chunks = 0;  // chunks of this job waiting in small_/big_
    std::string to;              // recipients' names, for a small fan-out's log line
  };
  struct Pending {
    FanoutChunk chunk;
    size_t next = 0;
    bool from_worker = true;  // ids the worker counts as outstanding
  };
  void on_chunk(FanoutChunk&& c, bool from_worker = true);
  void turn();
  size_t run_chunk(Pending& p, size_t budget);
  void finish_if_done(uint64_t job_id);
  void chunk_done(uint64_t job_id);
  void arm();

  uv_loop_t* loop_;
  Options opts_;
  Inboxes& inboxes_;
  Streams& streams_;
  EventLog& log_;
  FanoutWorker worker_;
  Repeats repeats_;
  std::string sse_buf_;  // reused: one recipient's SSE block
  uv_check_t check_{};
  uv_idle_t idle_{};
  bool armed_ = false;
  int open_handles_ = 0;
  uint64_t next_job_ = 1;
  std::unordered_map<uint64_t, Job> jobs_;
  std::deque<Pending> small_, big_;
  DeliveryStats stats_;
  std::function<void()> close_done_;
};

}  // namespace uw::notifier
