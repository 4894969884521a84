list(APPEND LR_CORE_SOURCES util/arena.c util/buf.c util/log.c util/fs.c util/linereader.c util/ring.c)
