/* cmd_describe.c: `logrelay describe TYPE [--markdown]`: a module's options, from its option table. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "config/options.h"
#include "input/kafka.h"
#include "plugin/plugin.h"

const lr_option *lr_output_core_options(void);
const lr_option *lr_agent_options(void);

int lr_cmd_describe(int argc, char **argv)
{
    const char *dir = NULL;
    bool markdown = false;
    static const struct option opts[] = {{"plugin-dir", required_argument, NULL, 'p'},
                                         {"markdown", no_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:mh", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            dir = optarg;
            break;
        case 'm':
            markdown = true;
            break;
        case 'h':
            puts("usage: logrelay describe [--markdown] [--plugin-dir DIR] TYPE\n\nPrint the options of "
                 "output "
                 "module TYPE (as its option table declares them),\nthen the options every output accepts "
                 "(queue, batch, retry, dead letter).\n`logrelay describe agent` and `logrelay describe "
                 "kafka` print those sections.");
            return 0;
        default:
            return 2;
        }
    }
    if (optind >= argc) {
        fputs("logrelay describe: which type? (see `logrelay plugins`)\n", stderr);
        return 2;
    }
    const char *type = argv[optind];
    void (*print)(FILE *, const lr_option *) = markdown ? lr_options_markdown : lr_options_describe;
    if (strcmp(type, "agent") == 0) {
        printf(markdown ? "## agent\n\n" : "agent: agent-wide settings\n\n");
        print(stdout, lr_agent_options());
        return 0;
    }
    if (strcmp(type, "kafka") == 0) {
        printf(markdown ? "## kafka\n\n" : "kafka: the Kafka input (see docs/kafka.md)\n\n");
        print(stdout, lr_kafka_options());
        return 0;
    }
    if (!dir)
        dir = lr_plugins_default_dir();
    lr_plugin_registry *reg = lr_plugins_load_dir(dir);
    const lr_plugin_entry *e = lr_plugins_find(reg, type);
    if (!e) {
        fprintf(stderr, "logrelay describe: no usable module '%s' in %s (see `logrelay plugins`)\n", type,
                dir);
        lr_plugins_free(reg);
        return 1;
    }
    const lr_output_plugin *p = e->desc;
    if (markdown) {
        printf("## Options of `%s`\n\n", p->name);
        print(stdout, p->options);
        printf("\n## Options every output accepts\n\n");
    } else {
        printf("%s %s: %s\nmodule: %s\n\n", p->name, p->version ? p->version : "",
               p->description ? p->description : "", e->path);
        print(stdout, p->options);
        printf("\noptions every output accepts:\n\n");
    }
    print(stdout, lr_output_core_options());
    lr_plugins_free(reg);
    return 0;
}
