list(APPEND LR_CORE_SOURCES util/arena.c util/buf.c)
