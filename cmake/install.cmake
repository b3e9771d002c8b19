# `cmake --install`: the CLI, libcorridorkey.so, the modules it loads, the public headers, a
# CMake package (find_package(corridorkey) -> corridorkey::corridorkey) and a pkg-config file;
# and `cpack` makes the same a Debian package whose dependencies dpkg-shlibdeps computes.
include(CMakePackageConfigHelpers)

install(TARGETS corridorkey_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS corridorkey_shared EXPORT corridorkeyTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Unspecified)
# Image files and video are modules loaded on first use, from <libdir>/corridorkey.
install(TARGETS ck_image_io ck_video_io LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/corridorkey)
install(DIRECTORY include/corridorkey DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES samples/plate.png samples/hint.png DESTINATION ${CMAKE_INSTALL_DATADIR}/corridorkey/samples)
install(FILES models/corridorkey_demo.safetensors models/README.md DESTINATION ${CMAKE_INSTALL_DATADIR}/corridorkey/models)

set(CK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/corridorkey)
install(EXPORT corridorkeyTargets NAMESPACE corridorkey:: DESTINATION ${CK_CMAKE_DIR})
configure_package_config_file(cmake/corridorkeyConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/corridorkeyConfig.cmake
                              INSTALL_DESTINATION ${CK_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/corridorkeyConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/corridorkeyConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/corridorkeyConfigVersion.cmake
        DESTINATION ${CK_CMAKE_DIR})
# The prefix relative to the .pc file, so that the install works wherever --prefix puts it.
file(RELATIVE_PATH CK_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(cmake/corridorkey.pc.in ${CMAKE_CURRENT_BINARY_DIR}/corridorkey.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/corridorkey.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The Debian package (cpack -G DEB in the build folder).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME corridorkey)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "corridorkey-cpp maintainers <corridorkey-cpp@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "CorridorKey neural green-screen keyer: native engine, CLI and library")
set(CPACK_PACKAGE_DESCRIPTION "A native C++ engine for CorridorKey, Corridor Digital's neural green-screen keyer: \
the corridorkey command (frames, sequences, video, render farms), libcorridorkey.so with its C and C++ API, \
headers, a CMake package and a pkg-config file.")
set(CPACK_DEBIAN_PACKAGE_SECTION graphics)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The modules in <libdir>/corridorkey are private: dpkg-shlibdeps finds libcorridorkey there.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/src)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
