#include "bench/kit/sse_parser.hpp"

#include <cstdlib>
#include <cstring>

namespace uw::kit {

namespace {

// "HTTP/1.1 200 OK..." -> 200; -1 when the head does not start with a status line.
int status_of(std::string_view head) {
  if (head.rfind("HTTP/", 0) != 0) return -1;
  const auto sp = head.find(' ');
  if (sp == std::string_view::npos || head.size() < sp + 4) return -1;
  int code = 0;
  for (size_t i = sp + 1; i < sp + 4; ++i) {
    if (head[i] < '0' || head[i] > '9') return -1;
    code = code * 10 + (head[i] - '0');
  }
  return code;
}

}  // namespace

void SseParser::feed(std::string_view bytes, Sink& sink) {
  // The common case on a busy stream is whole events per read: parse straight
  // from the caller's bytes and keep only an incomplete tail.
  if (pending_.empty()) {
    const size_t used = parse(bytes, sink);
    pending_.assign(bytes.substr(used));
    return;
  }
  pending_.append(bytes);
  const size_t used = parse(pending_, sink);
  pending_.erase(0, used);
}

size_t SseParser::parse(std::string_view text, Sink& sink) {
  size_t pos = 0;
  if (!in_body_) {
    const auto end = text.find("\r\n\r\n");
    if (end == std::string_view::npos) return 0;
    const std::string_view head = text.substr(0, end);
    status_ = status_of(head);
    in_body_ = true;
    sink.on_head(status_, head);
    pos = end + 4;
  }
  for (;;) {
    const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
    if (nl == nullptr) break;
    const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - text.data());
    line(text.substr(pos, end - pos), sink);
    pos = end + 1;
  }
  return pos;
}

void SseParser::line(std::string_view text, Sink& sink) {
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.empty()) {  // a blank line ends the event
    if (!current_.data.empty()) sink.on_event(current_);
    current_.id.clear();
    current_.event.clear();
    current_.data.clear();
    has_data_ = false;
    return;
  }
  const auto colon = text.find(':');
  std::string_view value = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.remove_prefix(1);
  const std::string_view field = text.substr(0, colon);
  if (field.empty()) {
    sink.on_comment(value);
  } else if (field == "data") {
    if (has_data_) current_.data += '\n';
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "id") {
    current_.id.assign(value);
  } else if (field == "event") {
    current_.event.assign(value);
  }  // "retry" and unknown fields are ignored, as a browser does
}

}  // namespace uw::kit
