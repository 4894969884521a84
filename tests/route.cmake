# Routes: conditions, fan-out, transforms (core/route).
logrelay_unit_test(test_expr)
logrelay_unit_test(test_routes)

# The routing benchmark (bench/route): built with the tests, run by hand (docs/routes.md).
add_executable(bench_route ${PROJECT_SOURCE_DIR}/bench/route/bench_route.c)
target_link_libraries(bench_route PRIVATE lrcore)
