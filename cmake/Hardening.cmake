# Warnings and exploit mitigations for every target in the tree.
set(AIRLOCK_WARNINGS
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wformat=2 -Werror)
add_compile_options(${AIRLOCK_WARNINGS})

if(AIRLOCK_FUZZ)
  # libFuzzer mode: sanitizers instead of fortify (they do not mix well).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(AIRLOCK_SANITIZE)
  add_compile_options(-fsanitize=${AIRLOCK_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${AIRLOCK_SANITIZE})
else()
  # _FORTIFY_SOURCE needs optimisation; every build type here optimises
  # except Debug, which gets level 0 explicitly.
  if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
    add_compile_options(-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3)
  endif()
endif()

add_compile_options(-fstack-protector-strong -fstack-clash-protection)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64|i.86")
  add_compile_options(-fcf-protection)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  # Pointer authentication and branch target identification.
  add_compile_options(-mbranch-protection=standard)
endif()
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
add_link_options(-pie LINKER:-z,relro LINKER:-z,now LINKER:-z,noexecstack)
