# Every dependency comes from the system through pkg-config
# (scripts/deps.sh installs Debian's packages).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(SIGNAL REQUIRED IMPORTED_TARGET libsignal-protocol-c)
pkg_check_modules(SQLITE REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(CURSES REQUIRED IMPORTED_TARGET ncursesw)
pkg_check_modules(LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto>=3.0)
pkg_check_modules(UTF8PROC REQUIRED IMPORTED_TARGET libutf8proc)
pkg_check_modules(STROPHE REQUIRED IMPORTED_TARGET libstrophe)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)

# airlock_layer(NAME DEPS ...): one static library per layer directory from
# the .c files in it; dependencies point down the ladder only.
function(airlock_layer name)
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  if(NOT srcs)
    return()
  endif()
  add_library(airlock_${name} STATIC ${srcs})
  target_include_directories(airlock_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(airlock_${name} PUBLIC ${ARGN})
endfunction()
