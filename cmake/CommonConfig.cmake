# One interface target that carries the language standard, warnings and Qt
# strictness flags. Every CacheLab target links it, so the rules live here once.
add_library(cachelab_options INTERFACE)
add_library(CacheLab::options ALIAS cachelab_options)

target_compile_features(cachelab_options INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)

target_compile_definitions(cachelab_options INTERFACE
  QT_NO_CAST_FROM_ASCII
  QT_NO_CAST_TO_ASCII
  QT_NO_NARROWING_CONVERSIONS_IN_CONNECT
  QT_NO_URL_CAST_FROM_STRING
  QT_USE_QSTRINGBUILDER
  QT_DISABLE_DEPRECATED_UP_TO=0x060400
  CACHELAB_VERSION="${PROJECT_VERSION}")

if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(cachelab_options INTERFACE -Wall -Wextra -Wpedantic)
endif()

option(CACHELAB_WERROR "Treat warnings as errors" OFF)
if(CACHELAB_WERROR)
  target_compile_options(cachelab_options INTERFACE -Werror)
endif()

option(CACHELAB_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
if(CACHELAB_SANITIZE)
  target_compile_options(cachelab_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(cachelab_options INTERFACE -fsanitize=address,undefined)
endif()

# Link with mold when it is installed (scripts/install-deps installs it): the
# suite is some fifty executables, and GNU ld spends minutes of a CI run
# linking them. Any other linker works the same, only slower.
option(CACHELAB_USE_MOLD "Link with mold when it is found" ON)
find_program(CACHELAB_MOLD mold)
if(CACHELAB_USE_MOLD AND CACHELAB_MOLD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU"
   AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12.1)
  target_link_options(cachelab_options INTERFACE -fuse-ld=mold)
endif()
