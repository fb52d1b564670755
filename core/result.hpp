#pragma once
// A small expected-style result: either a value or an Error the caller must look at.
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace uw {

// An error that crosses a request boundary: `status` is the HTTP status it maps
// to, `code` a stable machine-readable word, `message` a sentence for people.
struct Error {
  int status = 500;
  std::string code;
  std::string message;
  // With 429 (and 503): whole seconds until trying again may work, sent as
  // Retry-After; 0 = not said.
  int64_t retry_after_s = 0;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Unit {};

}  // namespace uw
