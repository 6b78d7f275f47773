# CPack: a Debian package of what cmake/Install.cmake installs, for
# Debian 12 (bookworm). `scripts/package` builds it and installs it into a
# fresh bookworm chroot to prove it starts there.
#
# Dependencies are Debian's package names. The libraries the binary links
# (Qt 6 Core/Gui/Widgets/Charts/Network/Sql/HttpServer/Svg, hiredis 0.14,
# SQLite, libstdc++) are read from the binary by dpkg-shlibdeps, so they
# cannot drift from what it really needs; what it only loads or runs at run
# time is listed by hand: the Qt SQLite driver and the redis-server it
# starts. (Debian's libqt6gui6 holds the xcb and offscreen platform plugins;
# Wayland sessions get qt6-wayland, recommended.)
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "cachelab")
set(CPACK_PACKAGE_VENDOR "The CacheLab developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON) # the RelWithDebInfo build's debug info stays out of the package
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # cachelab_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "The CacheLab developers <cachelab@invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION "devel")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the long part
# (one string: CMake would join separate arguments with ';').
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "CacheLab is a desktop dashboard that shows Redis caching in front of SQLite:
pick a strategy (cache-aside, read-through, write-through, write-behind),
edit products and watch every step in Redis and SQLite, the keys with their
TTLs, expiration and eviction events, hit ratios and latencies. It starts
its own private redis-server or connects to an existing one.")

# (libqt6svg6, which also holds the SVG icon plugin, comes from
# dpkg-shlibdeps: the chart export links Qt6::Svg.)
set(CACHELAB_DEB_RUNTIME_DEPENDS "libqt6sql6-sqlite, redis-server")
find_program(CACHELAB_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(CACHELAB_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${CACHELAB_DEB_RUNTIME_DEPENDS}")
else()
  # Not on Debian: the same libraries by name, without version bounds.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6, libstdc++6, libqt6core6, libqt6gui6, libqt6widgets6, libqt6charts6, libqt6network6, libqt6sql6, libqt6httpserver6, libqt6svg6, libhiredis0.14, libsqlite3-0, ${CACHELAB_DEB_RUNTIME_DEPENDS}")
endif()
# The window and its --screenshot need a font to draw text; qt6-wayland lets
# it run as a native Wayland client (without it Qt falls back to XWayland).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "fonts-dejavu-core, qt6-wayland")

include(CPack)
