/* cmd_version.c: `logrelay version`. */
#include <librdkafka/rdkafka.h>
#include <logrelay/logrelay.h>
#include <stdio.h>

#include "cli/commands.h"

int lr_cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("logrelay %s\n", LOGRELAY_VERSION);
    printf("plugin ABI %u, build signature %s\n", LR_ABI_VERSION, LR_BUILD_SIGNATURE);
    printf("librdkafka %s\n", rd_kafka_version_str());
    return 0;
}
