# Build helpers shared by every room: one way to declare a module library and
# one way to declare a unit test.

include(GoogleTest)

find_program(TV_CCACHE ccache)
if(TV_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${TV_CCACHE})
endif()

find_program(TV_MOLD mold)
if(TV_MOLD)
  add_link_options(-fuse-ld=mold)
endif()

set(TV_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter)
# Clang checks every GUARDED_BY / REQUIRES / EXCLUDES in src/common/mutex.h;
# a violation fails the build. GCC builds the same tree without the check.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND TV_WARNINGS -Wthread-safety -Werror=thread-safety)
endif()

# tv_library(NAME SRCS ... DEPS ...)
# Declares a static module library rooted at src/ so includes read "http/router.h".
function(tv_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${TV_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# tv_test(NAME SRCS ... DEPS ...)
# Declares a GoogleTest binary and registers it with CTest.
function(tv_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_compile_options(${name} PRIVATE ${TV_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 30)
endfunction()
