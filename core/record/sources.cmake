list(APPEND LR_CORE_SOURCES record/record.c record/json_encode.c)
