#include "notifier-udp/delivery.hpp"

#include <algorithm>

#include "notifier-udp/event_log.hpp"
#include "notifier-udp/inbox.hpp"
#include "notifier-udp/streams.hpp"

namespace uw::notifier {

Delivery::Delivery(uv_loop_t* loop, Options opts, FanoutWorker::Options worker_opts, Inboxes& inboxes,
                   Streams& streams, EventLog& log)
    : loop_(loop),
      opts_(opts),
      inboxes_(inboxes),
      streams_(streams),
      log_(log),
      worker_(loop, std::move(worker_opts), [this](FanoutChunk&& c) { on_chunk(std::move(c)); }),
      repeats_(opts.repeats) {
  if (opts_.per_turn < 1) opts_.per_turn = 1;
  uv_check_init(loop_, &check_);
  uv_idle_init(loop_, &idle_);
  check_.data = idle_.data = this;
  open_handles_ = 2;
}

Delivery::~Delivery() = default;

void Delivery::start() { worker_.start(); }

void Delivery::deliver(const std::shared_ptr<const Note>& note) {
  // Registered before any recipient is served (docs/NOTIFIER.md "One
  // notification per thing"): a fan-out already under way skips them too.
  uint64_t now_ms = uv_now(loop_);
  if (note->kind == NoteKind::Mention) repeats_.note_mention(note->uweet_id, note->recipient_id, now_ms);
  if (note->kind == NoteKind::Follow && !repeats_.first_follow(note->actor_id, note->recipient_id, now_ms)) {
    ++stats_.suppressed_repeat_follow;
    log_.write(LogLevel::Debug, "suppressed",
               {{"what", "follow"}, {"from", note->actor}, {"to_id", note->recipient_id}, {"why", "repeat"}});
    return;
  }
  uint64_t id = next_job_++;
  Job j;
  j.note = note;
  j.started_ns = note->received_ns ? note->received_ns : uv_hrtime();
  FanoutJob fj;
  fj.job_id = id;
  // A uweet, and the delete of one, go to the author's followers; a delete
  // naming a recipient goes where that uweet's mention went.
  if (note->kind == NoteKind::Uweet || (note->kind == NoteKind::Delete && note->recipient_id == 0)) {
    fj.author_id = note->actor_id;
  } else {
    fj.single_user = note->recipient_id;
    j.single = true;
  }
  fj.want_names = log_.enabled(LogLevel::Debug);
  // The info-level log names the recipient of a follow or mention and those of
  // small fan-outs (so `tail --user bob` shows what bob was sent): the worker
  // looks the names up, from its cache.
  fj.names_up_to = opts_.log_names_up_to;
  jobs_.emplace(id, std::move(j));
  stats_.active_jobs = jobs_.size();
  worker_.submit(fj);
}

void Delivery::on_chunk(FanoutChunk&& c, bool from_worker) {
  auto it = jobs_.find(c.job_id);
  if (it == jobs_.end()) {
    if (from_worker) worker_.consumed(c.ids.size());
    return;
  }
  Job& j = it->second;
  if (!c.error.empty()) {
    ++stats_.fanout_errors;
    log_.write(LogLevel::Warn, "fanout_error",
               {{"author", j.note->actor}, {"uweet", j.note->uweet_id}, {"error", c.error}});
  }
  if (c.last) j.fetch_done = true;
  stats_.pending_ids += c.ids.size();
  uint64_t job_id = c.job_id;
  if (c.ids.empty()) {
    finish_if_done(job_id);
    return;
  }
  ++j.queued_chunks;
  (c.ids.size() <= opts_.small_job ? small_ : big_).push_back(Pending{std::move(c), 0, from_worker});
  arm();
}

void Delivery::arm() {
  if (armed_) return;
  armed_ = true;
  uv_check_start(&check_, [](uv_check_t* h) { static_cast<Delivery*>(h->data)->turn(); });
  uv_idle_start(&idle_, [](uv_idle_t*) {});
}

size_t Delivery::run_chunk(Pending& p, size_t budget) {
  auto it = jobs_.find(p.chunk.job_id);
  size_t done = 0;
  if (it == jobs_.end()) {
    done = p.chunk.ids.size() - p.next;
    p.next = p.chunk.ids.size();
    return done;
  }
  Job& j = it->second;
  const Note& n = *j.note;
  bool debug = log_.enabled(LogLevel::Debug);
  // One notification per recipient per uweet: the mentioned get the mention.
  const std::vector<int64_t>* mentioned =
      n.kind == NoteKind::Uweet ? repeats_.mentioned(n.uweet_id) : nullptr;
  while (p.next < p.chunk.ids.size() && done < budget) {
    size_t i = p.next++;
    int64_t user = p.chunk.ids[i];
    ++done;
    ++j.recipients;
    std::string_view name =
        i < p.chunk.names.size() ? std::string_view(p.chunk.names[i]) : std::string_view();
    if (mentioned != nullptr && std::find(mentioned->begin(), mentioned->end(), user) != mentioned->end()) {
      ++stats_.suppressed_mentioned;
      if (debug)
        log_.write(
            LogLevel::Debug, "suppressed",
            {{"what", "uweet"}, {"to", name}, {"to_id", user}, {"uweet", n.uweet_id}, {"why", "mentioned"}});
      continue;
    }
    // A mention after its uweet (or a second mention of one uweet) reached them: not again.
    if (n.kind == NoteKind::Mention && (inboxes_.holds(user, NoteKind::Uweet, n.uweet_id) ||
                                        inboxes_.holds(user, NoteKind::Mention, n.uweet_id))) {
      ++stats_.suppressed_late_mention;
      if (debug)
        log_.write(LogLevel::Debug, "suppressed",
                   {{"what", "mention"},
                    {"to", name},
                    {"to_id", user},
                    {"uweet", n.uweet_id},
                    {"why", "had_uweet"}});
      continue;
    }
    uint64_t pos = inboxes_.push(user, j.note);
    size_t s = 0;
    if (streams_.online(user)) {
      sse_buf_.clear();
      n.append_sse(sse_buf_, pos);
      s = streams_.push(user, sse_buf_);
    }
    ++stats_.delivered;
    if (s > 0) ++j.online;
    if (!name.empty() && j.recipients <= opts_.log_names_up_to) {
      if (!j.to.empty()) j.to += ',';
      j.to += name;
    }
    if (debug) {
      log_.write(LogLevel::Debug, "delivery",
                 {{"to", name},
                  {"to_id", user},
                  {"note", n.id},
                  {"pos", pos},
                  {"what", note_kind_name(n.kind)},
                  {"from", n.actor},
                  {"uweet", n.uweet_id},
                  {"streams", static_cast<uint64_t>(s)}});
    }
  }
  return done;
}

void Delivery::turn() {
  size_t budget = opts_.per_turn, used = 0, worker_used = 0;
  // Small chunks first (one recipient: follow, mention, small audiences).
  while (!small_.empty() && used < budget) {
    Pending& p = small_.front();
    size_t n = run_chunk(p, budget - used);
    used += n;
    if (p.from_worker) worker_used += n;
    if (p.next >= p.chunk.ids.size()) {
      uint64_t id = p.chunk.job_id;
      small_.pop_front();
      chunk_done(id);
    }
  }
  // Big chunks round-robin, so two large fan-outs progress together.
  while (!big_.empty() && used < budget) {
    Pending p = std::move(big_.front());
    big_.pop_front();
    size_t share = budget - used;
    if (!big_.empty()) share = std::max<size_t>(share / (big_.size() + 1), 1);
    size_t n = run_chunk(p, share);
    used += n;
    if (p.from_worker) worker_used += n;
    if (p.next >= p.chunk.ids.size())
      chunk_done(p.chunk.job_id);
    else
      big_.push_back(std::move(p));
  }
  stats_.pending_ids -= std::min<uint64_t>(stats_.pending_ids, used);
  if (worker_used > 0) worker_.consumed(worker_used);
  // One write per stream for everything this turn delivered to it.
  streams_.flush();
  if (small_.empty() && big_.empty() && armed_) {
    armed_ = false;
    uv_check_stop(&check_);
    uv_idle_stop(&idle_);
  }
}

void Delivery::chunk_done(uint64_t job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return;
  if (it->second.queued_chunks > 0) --it->second.queued_chunks;
  finish_if_done(job_id);
}

void Delivery::finish_if_done(uint64_t job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end() || !it->second.fetch_done || it->second.queued_chunks > 0) return;
  Job& j = it->second;
  const Note& n = *j.note;
  double ms = static_cast<double>(uv_hrtime() - j.started_ns) / 1e6;
  if (n.kind == NoteKind::Uweet) {
    ++stats_.fanouts;
    log_.write(LogLevel::Info, "fanout",
               {{"author", n.actor},
                {"author_id", n.actor_id},
                {"uweet", n.uweet_id},
                {"note", n.id},
                {"followers", j.recipients},
                {"online", j.online},
                {"to", j.recipients <= opts_.log_names_up_to ? j.to : std::string()},
                {"ms", ms}});
  } else {
    // One recipient, named (at info, so `tail --user NAME` follows what NAME
    // was sent without debug logging).
    log_.write(LogLevel::Info, "notify",
               {{"what", note_kind_name(n.kind)},
                {"from", n.actor},
                {"to", j.to},
                {"to_id", n.recipient_id},
                {"note", n.id},
                {"online", j.online},
                {"ms", ms}});
  }
  jobs_.erase(it);
  stats_.active_jobs = jobs_.size();
}

void Delivery::close(std::function<void()> done) {
  close_done_ = std::move(done);
  auto after = [this] {
    if (--open_handles_ == 0 && close_done_) {
      auto d = std::move(close_done_);
      d();
    }
  };
  ++open_handles_;  // the worker's mailbox
  worker_.stop(after);
  auto cb = [](uv_handle_t* h) {
    auto* self = static_cast<Delivery*>(h->data);
    if (--self->open_handles_ == 0 && self->close_done_) {
      auto d = std::move(self->close_done_);
      d();
    }
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), cb);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), cb);
}

}  // namespace uw::notifier
