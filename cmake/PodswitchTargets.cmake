# Helpers that give every Podswitch target the same warnings, sanitizers and test labels.

set(PODSWITCH_WARNINGS -Wall -Wextra -Werror)

if(PODSWITCH_SANITIZE)
  add_compile_options(-fsanitize=${PODSWITCH_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${PODSWITCH_SANITIZE})
endif()

# Applies our warning policy to a target of our own code (never to generated code).
function(podswitch_strict target)
  target_compile_options(${target} PRIVATE ${PODSWITCH_WARNINGS})
endfunction()

# podswitch_library(NAME SOURCES ... DEPS ...): a static library of our own code.
function(podswitch_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  podswitch_strict(${name})
endfunction()

# podswitch_test(NAME SOURCES ... DEPS ... LABELS unit|root|e2e [TIMEOUT s]): a GoogleTest
# binary registered with ctest under the given labels.
function(podswitch_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  podswitch_strict(${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
  # Tests on real kernel objects and DPDK share hugepages, CPUs and netns names: one at a time.
  if("root" IN_LIST ARG_LABELS OR "e2e" IN_LIST ARG_LABELS)
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()

# podswitch_fuzz(NAME SOURCES ... DEPS ... [RUNS n]): a libFuzzer target when built with
# clang, else linked with a replay driver that feeds seeded random inputs. Both run under the
# `fuzz` label for a bounded number of inputs.
function(podswitch_fuzz name)
  cmake_parse_arguments(ARG "" "RUNS" "SOURCES;DEPS" ${ARGN})
  if(NOT PODSWITCH_BUILD_FUZZ)
    return()
  endif()
  if(NOT ARG_RUNS)
    set(ARG_RUNS 200000)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  podswitch_strict(${name})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    add_test(NAME ${name} COMMAND ${name} -runs=${ARG_RUNS} -seed=1 -max_len=4096)
  else()
    target_sources(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_driver.cc)
    add_test(NAME ${name} COMMAND ${name} ${ARG_RUNS})
  endif()
  set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()
