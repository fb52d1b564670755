#pragma once
// The one Server-Sent Events reader of the test-and-bench kit (uwitter::kit):
// an incremental parser of one HTTP response that carries an event stream —
// the status line and header block first, then "field: value" lines where a
// blank line ends an event. Bytes may arrive split at any point.
//
// Threading: a parser belongs to one thread (the one feeding it); the sink is
// called on that thread, from inside feed().
#include <string>
#include <string_view>

namespace uw::kit {

// One dispatched event. Repeated data lines are joined with '\n'.
struct SseEvent {
  std::string id, event, data;
};

class SseParser {
 public:
  // What feed() reports. The event passed to on_event is only valid during
  // the call (the parser reuses its buffers: no allocation per event).
  class Sink {
   public:
    virtual ~Sink() = default;
    // The response head arrived: its status code (-1 if the status line is not
    // HTTP) and the head's text without the blank line.
    virtual void on_head(int status, std::string_view head) = 0;
    virtual void on_event(const SseEvent& event) = 0;
    // A comment line (": connected", ": heartbeat") without its colon and space.
    virtual void on_comment(std::string_view text) = 0;
  };

  // Parses `bytes`, calling `sink` for the head, each complete event (one with
  // data) and each comment.
  void feed(std::string_view bytes, Sink& sink);
  // 0 until the head arrived, then its status (-1 when not HTTP).
  int status() const { return status_; }

 private:
  size_t parse(std::string_view text, Sink& sink);  // returns the bytes consumed
  void line(std::string_view text, Sink& sink);

  int status_ = 0;
  bool in_body_ = false;
  std::string pending_;  // an incomplete head or line, kept between feeds
  SseEvent current_;     // the event being assembled
  bool has_data_ = false;
};

}  // namespace uw::kit
