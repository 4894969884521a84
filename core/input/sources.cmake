list(APPEND LR_CORE_SOURCES input/kafka_offsets.c input/demo_gen.c)
