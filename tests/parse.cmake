# Parsers (core/parse): unit and data-driven tests, the `logrelay parse`
# command, the grok cross-check, and the parse benchmark's build and smoke run.
add_executable(bench_parse ${PROJECT_SOURCE_DIR}/bench/parse/bench_parse.c)
target_link_libraries(bench_parse PRIVATE lrcore)

logrelay_unit_test(test_parse_data)
logrelay_unit_test(test_parse_units)
logrelay_script_test(parse.cli ${CMAKE_CURRENT_SOURCE_DIR}/parse/test_parse_cli.py)
logrelay_script_test(parse.grok_crosscheck ${CMAKE_CURRENT_SOURCE_DIR}/parse/grok_crosscheck.py)
logrelay_script_test(parse.bench_smoke ${CMAKE_CURRENT_SOURCE_DIR}/parse/test_bench_smoke.py)
