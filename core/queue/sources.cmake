list(APPEND LR_CORE_SOURCES queue/queue.c queue/deadletter.c)
