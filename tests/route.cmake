# Routes: conditions, fan-out, transforms (core/route).
logrelay_unit_test(test_expr)
logrelay_unit_test(test_routes)
