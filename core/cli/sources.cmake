list(APPEND LR_CLI_SOURCES cli/main.c cli/cmd_version.c)
list(APPEND LR_CLI_SOURCES cli/cmd_parse.c)
list(APPEND LR_CLI_SOURCES cli/cli_util.c cli/cmd_check.c cli/cmd_replay.c cli/cmd_plugins.c cli/cmd_describe.c)
list(APPEND LR_CLI_SOURCES cli/cmd_run.c cli/cmd_demo.c)
