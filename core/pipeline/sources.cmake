list(APPEND LR_CORE_SOURCES pipeline/pipeline.c pipeline/agent.c)
