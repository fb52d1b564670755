#include "bench/runner/sse_hub.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

namespace uw::bench {
double steady_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

SseHub::SseHub() : fleet_(*this) {}

SseHub::~SseHub() { fleet_.stop(); }

Result<Unit> SseHub::open(uint16_t port, const std::string& path, uint32_t user_id, uint16_t source_port) {
  uint64_t tag;
  {
    std::lock_guard lk(mu_);
    tag = streams_.size();
    streams_.push_back(Stream{user_id});
  }
  auto opened = fleet_.open(port, path, tag, {}, source_port);
  if (!opened) {
    std::lock_guard lk(mu_);
    if (tag + 1 == streams_.size()) streams_.pop_back();  // never opened: not a stream
  }
  return opened;
}

std::vector<Receipt> SseHub::take() {
  std::lock_guard lk(mu_);
  std::vector<Receipt> r;
  r.swap(out_);
  return r;
}

SseHub::Stream& SseHub::stream(uint64_t tag) {
  std::lock_guard lk(mu_);  // the vector may grow under open()
  return streams_[tag];
}

void SseHub::count_closed(Stream& s) {
  if (s.counted_closed) return;
  s.counted_closed = true;
  ++closed_;
}

void SseHub::on_head(uint64_t tag, int status, std::string_view) {
  if (status != 200) count_closed(stream(tag));
}

void SseHub::on_comment(uint64_t tag, std::string_view text) {
  Stream& s = stream(tag);
  if (!s.counted_connected && !s.counted_closed && text.find("connected") != std::string_view::npos) {
    s.counted_connected = true;
    ++connected_;
  }
}

std::string SseHub::last_event_id(uint32_t user_id) {
  std::lock_guard lk(mu_);
  auto it = last_id_.find(user_id);
  return it == last_id_.end() ? "" : it->second;
}

void SseHub::on_closed(uint64_t tag) { count_closed(stream(tag)); }

void SseHub::on_event(uint64_t tag, const kit::SseEvent& event) {
  const double now = steady_ms();
  Stream& s = stream(tag);
  if (s.counted_closed) return;  // the body of an error answer
  if (!event.id.empty()) {
    std::lock_guard lk(mu_);
    last_id_[s.user] = event.id;
  }
  auto j = nlohmann::json::parse(event.data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    ++bad_;
    return;
  }
  Receipt r;
  r.at_ms = now;
  r.key.recipient = s.user;
  const std::string kind = event.event.empty() ? j.value("kind", "") : event.event;
  if (kind == "uweet")
    r.key.kind = 'u';
  else if (kind == "mention")
    r.key.kind = 'm';
  else if (kind == "follow")
    return;  // the bench does not measure follow notifications
  else {
    ++bad_;
    return;
  }
  r.key.uweet_id = j.value("uweet_id", int64_t{0});
  std::lock_guard lk(mu_);
  out_.push_back(r);
  ++receipts_count_;
}

}  // namespace uw::bench
