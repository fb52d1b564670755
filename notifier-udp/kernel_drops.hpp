#pragma once
// Kernel receive-queue drops of one UDP socket. libuv does not hand us the
// recvmsg control messages (SO_RXQ_OVFL), so we read the `drops` column of
// /proc/net/udp{,6} for the socket's inode. Cheap enough to call once a second
// or per /metrics scrape (a few lines per bound socket). Any thread.
#include <cstdint>
#include <optional>
#include <string>

namespace uw::notifier {

// Inode of a socket descriptor (st_ino of fstat), 0 on error.
uint64_t socket_inode(int fd);
// Parses a /proc/net/udp-style table and returns the drops of `inode`.
std::optional<uint64_t> drops_in_table(const std::string& table, uint64_t inode);
// Reads /proc/net/udp and /proc/net/udp6. nullopt if the socket is not found.
std::optional<uint64_t> kernel_drops(uint64_t inode);

}  // namespace uw::notifier
