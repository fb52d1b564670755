#pragma once
// uw::amqp::Wakeup — an eventfd that another thread rings to end a blocking
// poll() early: the AMQP threads (web/emitter/amqp_sender, notifier-udp/
// amqp_consumer) sleep in poll() on their broker socket and this fd together,
// and the loop rings it when it hands them work (an envelope to publish, a
// delivery to acknowledge) or asks them to stop.
// Threading: ring() from any thread; fd() and drain() on the sleeping thread.
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace uw::amqp {

class Wakeup {
 public:
  Wakeup() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~Wakeup() {
    if (fd_ >= 0) ::close(fd_);
  }
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void ring() const {
    uint64_t one = 1;
    (void)!::write(fd_, &one, sizeof one);  // a full counter is still readable: nothing lost
  }
  void drain() const {
    uint64_t n = 0;
    (void)!::read(fd_, &n, sizeof n);
  }

 private:
  int fd_;
};

}  // namespace uw::amqp
