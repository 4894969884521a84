/*
 * commands.h: the `logrelay` subcommands. Each lives in its own cmd_*.c and
 * is listed once in the table in main.c. A command returns the process exit
 * status (0 ok, 1 failure, 2 usage error).
 */
#ifndef LR_COMMANDS_H
#define LR_COMMANDS_H

int lr_cmd_version(int argc, char **argv);
int lr_cmd_check(int argc, char **argv);
int lr_cmd_replay(int argc, char **argv);
int lr_cmd_plugins(int argc, char **argv);
int lr_cmd_describe(int argc, char **argv);
int lr_cmd_parse(int argc, char **argv);
int lr_cmd_run(int argc, char **argv);
int lr_cmd_demo(int argc, char **argv);

#endif
