list(APPEND LR_CORE_SOURCES input/kafka_offsets.c input/demo_gen.c input/kafka_conf.c input/kafka_tls.c input/kafka.c input/demo_cluster.c)
