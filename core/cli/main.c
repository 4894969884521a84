/* main.c: `logrelay <command> [options]`: dispatch to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "record/record_pool.h"

typedef struct lr_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} lr_command;

static const lr_command commands[] = {
    {"check", "validate a configuration and print its outputs and routes", lr_cmd_check},
    {"replay", "push lines from files or stdin through the routes and outputs", lr_cmd_replay},
    {"plugins", "list the output modules found and the ones refused", lr_cmd_plugins},
    {"describe", "print the options of an output type", lr_cmd_describe},
    {"version", "print the version, ABI version and build signature", lr_cmd_version},
    {"parse", "parse lines from files or stdin and print the records as JSON", lr_cmd_parse},
    {"run", "consume Kafka and deliver every record to its outputs (the agent)", lr_cmd_run},
    {"demo", "run end to end against an embedded Kafka with sample data", lr_cmd_demo},
};

static void usage(FILE *out)
{
    fputs("usage: logrelay <command> [options]\n\ncommands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n`logrelay <command> --help` describes each command.\n", out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "-V"))
        name = "version";
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!strcmp(commands[i].name, name)) {
            int rc = commands[i].run(argc - 1, argv + 1);
            lr_record_pool_trim(); /* recycled record memory: nothing left for leak checkers */
            return rc;
        }
    }
    fprintf(stderr, "logrelay: unknown command '%s'\n\n", name);
    usage(stderr);
    return 2;
}
