# Routes: conditions, fan-out, transforms (core/route).
logrelay_unit_test(test_expr)
logrelay_unit_test(test_routes)
logrelay_unit_test(test_litset)

# The routing benchmark (bench/route): built with the tests, run by hand (docs/routes.md).
add_executable(bench_route ${PROJECT_SOURCE_DIR}/bench/route/bench_route.c)
target_link_libraries(bench_route PRIVATE lrcore)
add_executable(bench_litset ${PROJECT_SOURCE_DIR}/bench/route/bench_litset.c)
target_link_libraries(bench_litset PRIVATE lrcore)

# End to end: `logrelay check` and `logrelay replay` through routes into file outputs.
logrelay_script_test(route.replay ${CMAKE_CURRENT_SOURCE_DIR}/data/route/replay/run_replay.py)
