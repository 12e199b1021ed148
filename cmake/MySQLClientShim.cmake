# Debian's PocoDataMySQLTargets.cmake links `MySQL::client`, which nothing defines
# (STACK_NOTES.md). Define it from pkg-config's libmariadb before find_package(Poco).
if(NOT TARGET MySQL::client)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(WX_MARIADB REQUIRED IMPORTED_TARGET libmariadb)
  add_library(MySQL::client INTERFACE IMPORTED)
  set_target_properties(MySQL::client PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::WX_MARIADB)
endif()
