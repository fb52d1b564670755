// libFuzzer driver for core/rules.cpp text handling: UTF-8 checks,
// normalize_uweet, extract_mentions, and the FTS5 query quoting of search.
// Invariants, not just "does not crash":
//  * valid_utf8(s) agrees with utf8_length(s);
//  * a normalised uweet is valid UTF-8, 1-141 code points, has no control
//    character but '\n', no '\r', no surrounding white space, and normalising
//    it again changes nothing;
//  * every mention is a valid username, appears in the text after '@', and no
//    two differ only in case;
//  * the FTS5 query of valid UTF-8 is valid UTF-8 with balanced quotes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/rules.hpp"
#include "core/store/sqlite/store.hpp"  // uw::fts_query

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace uw::rules;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  const bool valid = valid_utf8(in);
  const auto len = utf8_length(in);
  check(valid == len.has_value());
  if (valid) check(*len <= in.size());

  auto r = normalize_uweet(in);
  if (r.ok()) {
    const std::string& out = *r;
    check(valid);
    check(valid_utf8(out));
    const auto n = utf8_length(out);
    check(n && *n >= 1 && *n <= kMaxUweetCodePoints);
    check(!is_ascii_space(out.front()) && !is_ascii_space(out.back()));
    for (unsigned char c : out) check(c == '\n' || (c >= 0x20 && c != 0x7F));
    for (size_t i = 0; i + 1 < out.size(); ++i) {
      const auto a = static_cast<unsigned char>(out[i]), b = static_cast<unsigned char>(out[i + 1]);
      check(!(a == 0xC2 && b >= 0x80 && b <= 0x9F));  // no C1 control
    }
    auto again = normalize_uweet(out);
    check(again.ok() && *again == out);
  } else {
    const auto& e = r.error();
    check(e.status == 422 && !e.message.empty());
    check(e.code == "empty_uweet" || e.code == "uweet_too_long" || e.code == "invalid_utf8" ||
          e.code == "control_character");
    check((e.code == "invalid_utf8") == !valid);
  }

  const auto mentions = extract_mentions(in);
  for (size_t i = 0; i < mentions.size(); ++i) {
    check(check_username(mentions[i]).ok());
    check(in.find("@" + mentions[i]) != std::string_view::npos);
    for (size_t j = 0; j < i; ++j) check(username_key(mentions[i]) != username_key(mentions[j]));
  }

  const std::string q = uw::fts_query(in);
  if (valid) check(valid_utf8(q));
  size_t quotes = 0;
  for (char c : q) quotes += c == '"';
  check(quotes % 2 == 0);
  return 0;
}
