list(APPEND LR_CORE_SOURCES record/record.c record/record_pool.c record/json_encode.c record/source_names.c)
