list(APPEND LR_CLI_SOURCES cli/main.c cli/cmd_version.c)
list(APPEND LR_CLI_SOURCES cli/cmd_parse.c)
