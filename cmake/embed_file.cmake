# Turns one file into a C++ source defining `extern const std::string_view <SYMBOL>`
# in namespace <NAMESPACE>, with the file's bytes, so the binary carries it.
# Run at build time by web/CMakeLists.txt:
#   cmake -DIN=<file> -DOUT=<file.cpp> -DSYMBOL=<name> -DNAMESPACE=<ns> -P embed_file.cmake
# The bytes go in as \xNN escapes of one string literal: constant-initialized
# (no static-initialization order), any byte allowed, no tool besides cmake.
foreach(var IN ITEMS IN OUT SYMBOL NAMESPACE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: -D${var}=... is required")
  endif()
endforeach()
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
set(lines "")
set(chunk 128)  # hex digits per line: 64 bytes
set(pos 0)
while(pos LESS hex_len)
  string(SUBSTRING "${hex}" ${pos} ${chunk} part)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" part "${part}")
  string(APPEND lines "    \"${part}\"\n")
  math(EXPR pos "${pos} + ${chunk}")
endwhile()
if(lines STREQUAL "")
  set(lines "    \"\"\n")
endif()
math(EXPR size "${hex_len} / 2")
get_filename_component(name "${IN}" NAME)
file(WRITE "${OUT}.tmp"
"// Generated from ${name} by cmake/embed_file.cmake; do not edit.
#include <string_view>

namespace ${NAMESPACE} {
namespace {
constexpr char kBytes[] =
${lines};
static_assert(sizeof(kBytes) == ${size} + 1);
}  // namespace

extern const std::string_view ${SYMBOL};
const std::string_view ${SYMBOL}{kBytes, ${size}};

}  // namespace ${NAMESPACE}
")
# Rewrite only on change, so an unchanged asset does not recompile anything.
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
