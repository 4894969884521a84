/* cmd_check.c: `logrelay check -c PATH`: validate everything, print the plan. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "input/kafka.h"
#include "pipeline/agent.h"
#include "util/log.h"

int lr_cmd_check(int argc, char **argv)
{
    const char *path = LR_DEFAULT_CONFIG;
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'h':
            puts("usage: logrelay check [-c PATH]\n\nValidate the configuration (a YAML file or a directory "
                 "of "
                 "*.yaml files,\ndefault " LR_DEFAULT_CONFIG
                 "): every key, every output's options, the routes.\n"
                 "Exit 0 and print a summary when valid; exit 1 and list every error (file:line:col) "
                 "otherwise.");
            return 0;
        default:
            return 2;
        }
    }
    /* modules log their own refusals at error level; keep `check` quiet otherwise */
    lr_log_set_level(LR_LOG_WARN);
    lr_errors errs;
    lr_errors_init(&errs);
    lr_agent *a = lr_agent_create(path, &errs);
    if (a && lr_agent_kafka_node(a)) {
        /* the Kafka section and its TLS files, checked as `run` would at start-up */
        lr_kafka_config *kc = lr_kafka_config_parse(lr_agent_kafka_node(a), &errs);
        lr_kafka_config_free(kc);
    }
    if (!a || errs.count) {
        lr_cli_print_errors(&errs, path);
        lr_errors_free(&errs);
        lr_agent_destroy(a);
        return 1;
    }
    lr_agent_print_plan(a, stdout);
    printf("configuration OK\n");
    lr_agent_destroy(a);
    lr_errors_free(&errs);
    return 0;
}
