#pragma once
// Whether this build runs under AddressSanitizer (the daemons the tests start
// come from the same build). There a process's RSS says nothing about what it
// holds: ASan's allocator keeps freed memory in quarantine and never hands it
// back, so memory bounds are checked on the programs' own figures only.
namespace uw::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kRssMeaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kRssMeaningful = false;
#else
inline constexpr bool kRssMeaningful = true;
#endif
#else
inline constexpr bool kRssMeaningful = true;
#endif

}  // namespace uw::test
