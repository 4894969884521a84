/*
 * cmd_run.c: `logrelay run -c CONFIG [--exit-when-idle SECONDS]
 * [--max-records N]`: the agent. Reads the configured Kafka topics in the
 * consumer group and delivers every record through the routes and outputs;
 * offsets are committed only once outputs have finished with them. Runs
 * until SIGTERM/SIGINT (then drains for agent.shutdown_timeout, commits and
 * exits 0), or until idle / N records with the options tests and batch jobs
 * use. Exit 1 on a configuration error or a fatal Kafka error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "config/options.h"
#include "input/kafka.h"
#include "pipeline/agent.h"
#include "util/log.h"

static void usage(void)
{
    puts("usage: logrelay run [-c PATH] [--exit-when-idle SECONDS] [--max-records N]\n\n"
         "Consume the configured Kafka topics and deliver every record to its outputs.\n"
         "Offsets are committed only after delivery (at-least-once).\n\n"
         "  -c, --config PATH          YAML file or conf.d directory (default " LR_DEFAULT_CONFIG ")\n"
         "      --exit-when-idle DUR   stop once no message arrived for DUR (e.g. 10 or 10s)\n"
         "      --max-records N        stop after N messages\n\n"
         "Signals: TERM/INT stop (drain, commit, exit 0), HUP reopens output files,\n"
         "USR1 prints counters.\n"
         "Exit status: 0 stopped cleanly, 1 configuration or fatal Kafka error, 2 usage error.");
}

static void on_tick(void *arg)
{
    lr_agent *a = arg;
    if (lr_signal_take_reopen())
        lr_agent_reopen(a);
    if (lr_signal_take_stats())
        lr_agent_print_summary(a, stderr);
}

static uint64_t on_drain(void *arg, int64_t deadline)
{
    return lr_agent_drain(arg, deadline);
}

static bool on_congested(void *arg)
{
    return lr_agent_congested(arg);
}

int lr_cmd_run(int argc, char **argv)
{
    const char *path = LR_DEFAULT_CONFIG;
    int64_t idle_ms = 0;
    uint64_t max_records = 0;
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"exit-when-idle", required_argument, NULL, 'i'},
                                         {"max-records", required_argument, NULL, 'm'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int ch;
    char err[256];
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            path = optarg;
            break;
        case 'i':
            if (lr_parse_duration(optarg, &idle_ms, err, sizeof err) != 0 || idle_ms <= 0) {
                fprintf(stderr, "logrelay run: --exit-when-idle: %s\n",
                        idle_ms <= 0 ? "must be positive" : err);
                return 2;
            }
            break;
        case 'm': {
            int64_t n;
            if (lr_parse_int(optarg, &n, err, sizeof err) != 0 || n <= 0) {
                fprintf(stderr, "logrelay run: --max-records: expected a positive number\n");
                return 2;
            }
            max_records = (uint64_t)n;
            break;
        }
        case 'h':
            usage();
            return 0;
        default:
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "logrelay run: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }

    lr_errors errs;
    lr_errors_init(&errs);
    lr_config *cfg = lr_config_load(path, &errs);
    lr_kafka_config *kconf = NULL;
    lr_agent *a = NULL;
    if (cfg) {
        kconf = lr_kafka_config_parse(lr_cfg_get(cfg->root, "kafka"), &errs);
        a = lr_agent_create_from(cfg, &errs); /* takes cfg */
    }
    if (!a || !kconf) {
        lr_cli_print_errors(&errs, path);
        lr_errors_free(&errs);
        lr_kafka_config_free(kconf);
        lr_agent_destroy(a);
        return 1;
    }
    lr_signals_install();
    lr_agent_start(a);
    lr_kafka_consumer *c = lr_kafka_consumer_create(kconf, lr_agent_pipeline(a), &errs);
    if (!c) {
        lr_cli_print_errors(&errs, path);
        lr_errors_free(&errs);
        lr_kafka_config_free(kconf);
        lr_agent_destroy(a);
        return 1;
    }
    lr_errors_free(&errs);
    lr_kafka_run_opts ro = {
        .exit_when_idle_ms = idle_ms,
        .max_records = max_records,
        .shutdown_timeout_ms = lr_agent_get_settings(a)->shutdown_timeout_ms,
        .stop_requested = lr_signal_stop_requested,
        .tick = on_tick,
        .drain = on_drain,
        .congested = on_congested,
        .arg = a,
    };
    int64_t t0 = lr_monotonic_ms();
    int rc = lr_kafka_consumer_run(c, &ro);
    lr_kafka_stats ks;
    lr_kafka_consumer_stats(c, &ks);
    lr_kafka_consumer_destroy(c);
    lr_agent_print_summary(a, stderr);
    fprintf(stderr, "kafka: %llu messages", (unsigned long long)ks.messages);
    for (size_t i = 0; i < kconf->ntopics; i++)
        fprintf(stderr, "%s%s %llu", i ? ", " : " (", kconf->topics[i].name,
                (unsigned long long)kconf->topics[i].messages);
    fprintf(stderr, "%s, %llu re-read, %llu commits, paused %llu times, %.1f s\n", kconf->ntopics ? ")" : "",
            (unsigned long long)ks.duplicates, (unsigned long long)ks.commits, (unsigned long long)ks.pauses,
            (double)(lr_monotonic_ms() - t0) / 1000.0);
    lr_agent_destroy(a);
    lr_kafka_config_free(kconf);
    return rc;
}
