# Run by tst_install: installs BUILD_DIR into PREFIX and checks the result.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}):\n${out}\n${err}")
endif()

set(expected
  "bin/cachelab"
  "share/applications/${APP_ID}.desktop"
  "share/icons/hicolor/scalable/apps/${APP_ID}.svg"
  "share/metainfo/${APP_ID}.metainfo.xml")
file(GLOB_RECURSE installed LIST_DIRECTORIES false RELATIVE "${PREFIX}" "${PREFIX}/*")
list(SORT installed)
list(SORT expected)
if(NOT installed STREQUAL expected)
  message(FATAL_ERROR "installed files differ.\n  expected: ${expected}\n  installed: ${installed}")
endif()
# The installed program runs (--version needs no display and no Redis).
execute_process(COMMAND "${PREFIX}/bin/cachelab" --version RESULT_VARIABLE rc OUTPUT_VARIABLE version)
if(NOT rc EQUAL 0 OR NOT version MATCHES "^cachelab [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "the installed bin/cachelab --version failed (${rc}): ${version}")
endif()

# The metainfo names the program's version and the desktop entry; the entry the icon.
file(READ "${PREFIX}/share/metainfo/${APP_ID}.metainfo.xml" metainfo)
if(NOT metainfo MATCHES "<release version=\"[0-9]+\\.[0-9]+\\.[0-9]+\" date=\"[0-9]+-[0-9]+-[0-9]+\"")
  message(FATAL_ERROR "the metainfo has no release with a version and date:\n${metainfo}")
endif()
if(NOT metainfo MATCHES "<launchable type=\"desktop-id\">${APP_ID}.desktop</launchable>")
  message(FATAL_ERROR "the metainfo does not launch ${APP_ID}.desktop")
endif()
file(READ "${PREFIX}/share/applications/${APP_ID}.desktop" desktop)
foreach(line "Exec=cachelab" "Icon=${APP_ID}" "Type=Application")
  if(NOT desktop MATCHES "(^|\n)${line}\n")
    message(FATAL_ERROR "the desktop entry lacks ${line}:\n${desktop}")
  endif()
endforeach()

foreach(tool APPSTREAMCLI DESKTOP_FILE_VALIDATE)
  if(NOT ${tool})
    message(FATAL_ERROR "${tool} not found: scripts/install-deps installs it (appstream, desktop-file-utils)")
  endif()
endforeach()
execute_process(COMMAND "${APPSTREAMCLI}" validate --no-net --explain "${PREFIX}/share/metainfo/${APP_ID}.metainfo.xml"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "appstreamcli validate failed:\n${out}\n${err}")
endif()
execute_process(COMMAND "${DESKTOP_FILE_VALIDATE}" "${PREFIX}/share/applications/${APP_ID}.desktop"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT "${out}${err}" STREQUAL "")
  message(FATAL_ERROR "desktop-file-validate complained:\n${out}\n${err}")
endif()
message(STATUS "installed and validated: ${installed}")
