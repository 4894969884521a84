list(APPEND LR_CORE_SOURCES queue/queue.c queue/queue_disk.c queue/deadletter.c queue/spool.c queue/spool_format.c
  queue/spool_codec.c)
