#include "bench/kit/sse_stream.hpp"

namespace uw::kit {

SseStream::SseStream(uint16_t port, const std::string& target, const std::vector<std::string>& headers)
    : fleet_(std::make_unique<SseFleet>(static_cast<SseFleet::Handler&>(*this))) {
  connected_ = fleet_->open(port, target, 0, headers).ok();
  if (!connected_) {
    std::lock_guard l(mu_);
    closed_ = true;
  }
}

SseStream::~SseStream() { close(); }

void SseStream::close() { fleet_->stop(); }

void SseStream::on_head(uint64_t, int status, std::string_view head) {
  std::lock_guard l(mu_);
  head_.assign(head);
  status_ = status;
  cv_.notify_all();
}

void SseStream::on_event(uint64_t, const SseEvent& event) {
  std::lock_guard l(mu_);
  events_.push_back(event);
  cv_.notify_all();
}

void SseStream::on_bytes(uint64_t, std::string_view bytes) {
  std::lock_guard l(mu_);
  raw_.append(bytes);
}

void SseStream::on_closed(uint64_t) {
  std::lock_guard l(mu_);
  closed_ = true;
  cv_.notify_all();
}

int SseStream::wait_status(std::chrono::milliseconds timeout) {
  std::unique_lock l(mu_);
  cv_.wait_for(l, timeout, [&] { return status_ != 0 || closed_; });
  return status_;
}

std::string SseStream::head() {
  std::lock_guard l(mu_);
  return head_;
}

std::string SseStream::raw() {
  std::lock_guard l(mu_);
  return raw_;
}

bool SseStream::wait_event(const std::function<bool(const SseEvent&)>& pred,
                           std::chrono::milliseconds timeout, SseEvent* out) {
  std::unique_lock l(mu_);
  bool found = false;
  cv_.wait_for(l, timeout, [&] {
    for (const auto& e : events_)
      if (pred(e)) {
        if (out) *out = e;
        found = true;
        return true;
      }
    return closed_;
  });
  return found;
}

size_t SseStream::count() {
  std::lock_guard l(mu_);
  return events_.size();
}

std::vector<SseEvent> SseStream::events() {
  std::lock_guard l(mu_);
  return events_;
}

bool SseStream::closed() {
  std::lock_guard l(mu_);
  return closed_;
}

bool SseStream::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock l(mu_);
  return cv_.wait_for(l, timeout, [&] { return closed_; });
}

}  // namespace uw::kit
