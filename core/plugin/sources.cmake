list(APPEND LR_CORE_SOURCES plugin/loader.c plugin/instance.c)
