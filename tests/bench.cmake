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

# Smoke run of the harness: a few thousand records, one run per scenario;
# checks that every record arrives and that the report is well formed.
logrelay_script_test(bench.e2e_smoke ${PROJECT_SOURCE_DIR}/bench/e2e/test_smoke.py)
set_tests_properties(bench.e2e_smoke PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 300 LABELS bench)
