# Checks that tests/ mirrors the sources (docs/ARCHITECTURE.md, tests/README.md):
# every core/, web/, sign/, notifier-udp/ and bench/ source FOLDER/NAME.cpp has
# tests/FOLDER/NAME_test.cpp (a FOLDER/NAME_main.cpp may have
# tests/FOLDER/NAME_test.cpp), or is listed with its reason in a table of
# tests/README.md. A listed file that is gone, that has a test after all, or
# whose row names a `tests/...` suite that does not exist fails too, so the
# lists stay true.
#
#   cmake -DSOURCE_DIR=<repo root> -P tests/mirror_check.cmake
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=<repo root> -P tests/mirror_check.cmake")
endif()

# The exceptions: table rows "| `path/to/file.cpp` | reason |".
file(STRINGS ${SOURCE_DIR}/tests/README.md rows REGEX "^\\| `[^`]+\\.cpp` \\|")
set(excepted "")
set(stale "")
foreach(row ${rows})
  string(REGEX REPLACE "^\\| `([^`]+)`.*" "\\1" path "${row}")
  list(APPEND excepted ${path})
  # A row that names the suites testing the file: each must exist.
  string(REGEX MATCHALL "`tests/[^`]+`" suites "${row}")
  foreach(suite ${suites})
    string(REPLACE "`" "" suite "${suite}")
    if(NOT EXISTS ${SOURCE_DIR}/${suite})
      list(APPEND stale "${path} (tests/README.md names ${suite}, which does not exist)")
    endif()
  endforeach()
endforeach()

set(sources "")
foreach(folder core web sign notifier-udp bench)
  file(GLOB_RECURSE found RELATIVE ${SOURCE_DIR} ${SOURCE_DIR}/${folder}/*.cpp)
  list(APPEND sources ${found})
endforeach()
list(SORT sources)

set(missing "")
set(mirrored 0)
foreach(src ${sources})
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(name ${src} NAME_WE)
  set(test_file tests/${dir}/${name}_test.cpp)
  string(REGEX REPLACE "_main$" "" program ${name})
  set(main_test tests/${dir}/${program}_test.cpp)
  set(has_test FALSE)
  if(EXISTS ${SOURCE_DIR}/${test_file})
    set(has_test TRUE)
  elseif(name MATCHES "_main$" AND EXISTS ${SOURCE_DIR}/${main_test})
    set(has_test TRUE)
    set(test_file ${main_test})
  endif()
  list(FIND excepted ${src} at)
  if(has_test)
    math(EXPR mirrored "${mirrored} + 1")
    if(at GREATER -1)
      list(APPEND stale "${src} (has ${test_file}: take it off the list)")
    endif()
  elseif(at EQUAL -1)
    list(APPEND missing "${src} (no ${test_file}, not in tests/README.md's list)")
  endif()
endforeach()
foreach(path ${excepted})
  if(NOT EXISTS ${SOURCE_DIR}/${path})
    list(APPEND stale "${path} (listed in tests/README.md but gone)")
  endif()
endforeach()

list(LENGTH sources total)
list(LENGTH excepted n_excepted)
message(STATUS "${mirrored} of ${total} sources have a test of their own; ${n_excepted} listed without one")
if(missing OR stale)
  foreach(line ${missing} ${stale})
    message(STATUS "  ${line}")
  endforeach()
  message(FATAL_ERROR "tests/ does not mirror the sources (see tests/README.md)")
endif()
