list(APPEND LR_CORE_SOURCES route/path.c route/expr_value.c route/expr.c route/transform.c route/routes.c)
