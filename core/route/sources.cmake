list(APPEND LR_CORE_SOURCES route/path.c route/expr_value.c route/expr.c route/transform.c route/view_json.c route/routes.c)
