list(APPEND LR_CORE_SOURCES route/path.c route/expr_value.c route/litset.c route/expr.c route/expr_eval.c route/transform.c route/view_json.c route/routes.c)
