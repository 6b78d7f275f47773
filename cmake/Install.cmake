# Where `cmake --install` puts CacheLab, by the GNU conventions
# (GNUInstallDirs): the program in bin/, and what a desktop needs to show it
# in its menus and software centre in share/: the .desktop entry, the
# scalable icon and the AppStream metainfo, all named by the application id.
# The .deb (cmake/Packaging.cmake) ships exactly these files.
include(GNUInstallDirs)

# The date of the release named by PROJECT_VERSION, for the metainfo's
# <release>; set when the version is raised, so builds are reproducible.
set(CACHELAB_RELEASE_DATE "2026-12-02")

install(TARGETS cachelab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(_desktop_dir ${CMAKE_SOURCE_DIR}/resources/desktop)
install(FILES ${_desktop_dir}/${CACHELAB_APP_ID}.desktop
  DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${CMAKE_SOURCE_DIR}/resources/icons/cachelab.svg
  DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps
  RENAME ${CACHELAB_APP_ID}.svg)
configure_file(${_desktop_dir}/${CACHELAB_APP_ID}.metainfo.xml.in
  ${CMAKE_BINARY_DIR}/${CACHELAB_APP_ID}.metainfo.xml @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/${CACHELAB_APP_ID}.metainfo.xml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
