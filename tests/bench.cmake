# End-to-end benchmark (bench/e2e): the HTTP receiver of scenario 5, built
# with the tests when libmicrohttpd is there, and a smoke run of the harness
# that checks it works and writes a well-formed table (it asserts no speed).
option(LOGRELAY_BENCH_RECEIVER "Build bench/e2e's HTTP receiver (needs libmicrohttpd)" ON)
if(LOGRELAY_BENCH_RECEIVER)
  pkg_check_modules(MHD IMPORTED_TARGET libmicrohttpd)
  if(MHD_FOUND)
    add_executable(e2e_receiver ${PROJECT_SOURCE_DIR}/bench/e2e/receiver.c)
    target_link_libraries(e2e_receiver PRIVATE PkgConfig::MHD PkgConfig::ZLIB)
    set_target_properties(e2e_receiver PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  else()
    message(STATUS "libmicrohttpd not found: bench/e2e scenario 5 (HTTP) will be skipped")
  endif()
endif()
