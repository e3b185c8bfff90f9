# install.cmake - run by `cmake --install` (and so `make install`): the systemd unit, the
# sysusers entry and the example configuration, with paths decided by the install prefix
# (PREFIX=/usr puts the configuration in /etc, any other prefix in PREFIX/etc). DESTDIR is
# honoured. FG_SOURCE_DIR is set by the install(CODE) line before this script.
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
    set(sysconfdir "/etc")
else()
    set(sysconfdir "${prefix}/etc")
endif()
set(BINDIR "${prefix}/bin")
set(SYSCONFDIR "${sysconfdir}")
set(DOCDIR "${prefix}/share/doc/fundgate")
set(root "$ENV{DESTDIR}")
configure_file("${FG_SOURCE_DIR}/packaging/fundgate.service.in"
               "${root}${prefix}/lib/systemd/system/fundgate.service" @ONLY)
configure_file("${FG_SOURCE_DIR}/packaging/fundgate.sysusers"
               "${root}${prefix}/lib/sysusers.d/fundgate.conf" COPYONLY)
configure_file("${FG_SOURCE_DIR}/README.md" "${root}${DOCDIR}/README.md" COPYONLY)
set(conf "${root}${sysconfdir}/fundgate/fundgate.json")
if(EXISTS "${conf}")
    message(STATUS "Keeping: ${conf} (the example is ${conf}.example)")
    set(conf "${conf}.example")
endif()
configure_file("${FG_SOURCE_DIR}/packaging/fundgate.json" "${conf}" COPYONLY)
message(STATUS "Installed: the unit, sysusers entry and ${conf}")
