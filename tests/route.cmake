# Routes: conditions, fan-out, transforms (core/route).
logrelay_unit_test(test_expr)
