#include "notifier-udp/allow_list.hpp"

#include <utility>

namespace uw::notifier {

Result<AllowList> AllowList::parse(std::string_view text) {
  AllowList out;
  if (text.empty()) return out;
  auto list = CidrList::parse(text);
  if (!list) return Error{400, "bad_allow_list", list.error().message};
  out.list_ = std::move(*list);
  return out;
}

}  // namespace uw::notifier
