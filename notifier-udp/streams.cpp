#include "notifier-udp/streams.hpp"

#include <algorithm>

#include "core/http/server.hpp"

namespace uw::notifier {

Streams::Streams(uv_loop_t* loop, http::Server& server, uint64_t heartbeat_ms, uint64_t backlog)
    : server_(server), backlog_(backlog) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
  uv_timer_start(
      &timer_, [](uv_timer_t* t) { static_cast<Streams*>(t->data)->heartbeat(); }, heartbeat_ms,
      heartbeat_ms);
  // The heartbeat alone must not keep the loop alive during shutdown.
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_));
}

void Streams::add(uint64_t conn_id, int64_t user_id, const std::string& peer_ip) {
  if (by_conn_.count(conn_id) != 0) remove(conn_id);
  by_conn_[conn_id] = Conn{user_id, peer_ip};
  by_user_[user_id].push_back(conn_id);
  ++by_address_[peer_ip];
  ++stats_.opened;
}

size_t Streams::count_for_user(int64_t user_id) const {
  auto u = by_user_.find(user_id);
  return u == by_user_.end() ? 0 : u->second.size();
}

size_t Streams::count_for_address(const std::string& peer_ip) const {
  auto a = by_address_.find(peer_ip);
  return a == by_address_.end() ? 0 : a->second;
}

void Streams::remove(uint64_t conn_id) {
  auto it = by_conn_.find(conn_id);
  if (it == by_conn_.end()) return;
  auto u = by_user_.find(it->second.user_id);
  if (u != by_user_.end()) {
    auto& v = u->second;
    v.erase(std::remove(v.begin(), v.end(), conn_id), v.end());
    if (v.empty()) by_user_.erase(u);
  }
  auto a = by_address_.find(it->second.peer_ip);
  if (a != by_address_.end() && --a->second == 0) by_address_.erase(a);
  by_conn_.erase(it);
  pending_.erase(conn_id);
}

bool Streams::write_one(uint64_t conn_id, std::string_view bytes) {
  http::WriteResult r = server_.stream_write(conn_id, bytes);
  if (r == http::WriteResult::Ok && server_.queued_bytes(conn_id) > backlog_) r = http::WriteResult::Overflow;
  switch (r) {
    case http::WriteResult::Ok:
      return true;
    case http::WriteResult::Gone:
      remove(conn_id);
      return false;
    case http::WriteResult::Overflow: {
      ++stats_.cut_slow;
      auto it = by_conn_.find(conn_id);
      if (on_cut_ && it != by_conn_.end())
        on_cut_(conn_id, it->second.user_id, server_.queued_bytes(conn_id));
      remove(conn_id);
      server_.close_connection(conn_id);
      return false;
    }
  }
  return false;
}

size_t Streams::push(int64_t user_id, std::string_view sse_bytes) {
  auto u = by_user_.find(user_id);
  if (u == by_user_.end()) return 0;
  for (uint64_t c : u->second) pending_[c].append(sse_bytes);
  stats_.events_sent += u->second.size();
  return u->second.size();
}

void Streams::flush() {
  if (pending_.empty()) return;
  // write_one may remove a connection (and its pending entry): take the map first.
  std::unordered_map<uint64_t, std::string> batch;
  batch.swap(pending_);
  for (auto& [conn, bytes] : batch) write_one(conn, bytes);
}

void Streams::heartbeat() {
  std::vector<uint64_t> conns;
  conns.reserve(by_conn_.size());
  for (const auto& [c, u] : by_conn_) conns.push_back(c);
  for (uint64_t c : conns) write_one(c, ": heartbeat\n\n");
}

void Streams::close(std::function<void()> done) {
  close_done_ = std::move(done);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), [](uv_handle_t* h) {
    auto* self = static_cast<Streams*>(h->data);
    if (self->close_done_) {
      auto d = std::move(self->close_done_);
      d();
    }
  });
}

}  // namespace uw::notifier
