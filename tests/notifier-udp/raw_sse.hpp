#pragma once
// A raw TCP connection to the notifier's SSE endpoint, for tests that need to
// misbehave as a subscriber (never read, vanish mid-stream) in ways a real
// HTTP client does not.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace uw::test {

// Connects to 127.0.0.1:port and sends `GET target` asking for an event
// stream. rcvbuf > 0 sets SO_RCVBUF before connect() (so the advertised window
// stays small). Returns the socket, or -1 if any step failed.
inline int open_raw_sse(uint16_t port, const std::string& target, int rcvbuf = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (rcvbuf > 0 && ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string req =
      "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace uw::test
