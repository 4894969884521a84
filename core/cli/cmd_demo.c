/*
 * cmd_demo.c: `logrelay demo [--config PATH] [--records N] [--out DIR]`:
 * the newcomer's first command. With no network and no configuration it
 * starts an embedded Kafka (librdkafka's mock cluster) with the provider's
 * topics c83 and c83_waf (2 partitions each), produces sample CDN access
 * lines (the three layouts) and WAF audit records, consumes them through the
 * real consumer-group path, parses, routes and writes them with the file
 * output under DIR (default ./demo-out), prints a summary and exits 0.
 * --config runs a user's configuration (outputs, routes, topics) against
 * the embedded cluster instead of the configured brokers.
 */
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "config/options.h"
#include "input/demo_gen.h"
#include "input/kafka.h"
#include "pipeline/agent.h"
#include "util/fs.h"
#include "util/log.h"

static void usage(void)
{
    puts("usage: logrelay demo [--config PATH] [--records N] [--out DIR]\n\n"
         "Run logrelay end to end on this machine, with no broker and no network:\n"
         "an embedded Kafka holds topics c83 (CDN access logs) and c83_waf (WAF audit\n"
         "records); logrelay consumes them as a consumer group, parses, routes and\n"
         "writes JSON lines under DIR.\n\n"
         "  -c, --config PATH   use this configuration's topics, routes and outputs\n"
         "                      (its brokers and TLS settings are not used)\n"
         "  -n, --records N     records to produce (default 2000; 1 in 5 is a WAF record)\n"
         "  -o, --out DIR       where the built-in configuration writes (default ./demo-out)");
}

/* The built-in configuration: one JSON file per kind of record. */
static char *builtin_yaml(const char *out)
{
    lr_buf b;
    lr_buf_init(&b, 0);
    lr_buf_printf(&b,
                  "agent:\n"
                  "  data_dir: '%s/.state'\n"
                  "  shutdown_timeout: 10s\n"
                  "outputs:\n"
                  "  access:\n"
                  "    type: file\n"
                  "    path: '%s/access.json'\n"
                  "    format: json\n"
                  "  waf:\n"
                  "    type: file\n"
                  "    path: '%s/waf.json'\n"
                  "    format: json\n"
                  "  unparsed:\n"
                  "    type: file\n"
                  "    path: '%s/unparsed.json'\n"
                  "    format: json\n"
                  "routes:\n"
                  "  - name: unparsed\n"
                  "    when: 'exists(parse_error)'\n"
                  "    to: [unparsed]\n"
                  "    final: true\n"
                  "  - name: waf\n"
                  "    from: [waf_json]\n"
                  "    to: [waf]\n"
                  "    final: true\n"
                  "  - name: access\n"
                  "    to: [access]\n",
                  out, out, out, out);
    lr_buf_terminate(&b);
    return lr_buf_steal(&b, NULL);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    if (m->err)
        (*(uint64_t *)opaque)++;
}

/* Produce the sample corpus: WAF records to waf_json/json topics, access
 * lines to the others, `n` in all spread over the topics (1 in 5 WAF when
 * both kinds exist). Returns records produced, or 0 on failure. */
static uint64_t produce_corpus(const char *bootstrap, const lr_kafka_config *kc, uint64_t n)
{
    char err[512];
    uint64_t failed = 0;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err) ||
        rd_kafka_conf_set(conf, "linger.ms", "10", err, sizeof err) ||
        rd_kafka_conf_set(conf, "sticky.partitioning.linger.ms", "0", err, sizeof err)) {
        fprintf(stderr, "logrelay demo: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return 0;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &failed);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "logrelay demo: %s\n", err);
        return 0;
    }
    size_t nwaf = 0, nacc = 0;
    for (size_t i = 0; i < kc->ntopics; i++) {
        bool waf = kc->topics[i].format == LR_FORMAT_WAF_JSON || kc->topics[i].format == LR_FORMAT_JSON;
        waf ? nwaf++ : nacc++;
    }
    lr_demo_gen gen;
    lr_demo_gen_init(&gen, 0x5eed, 83, 0);
    lr_buf b;
    lr_buf_init(&b, 0);
    uint64_t sent = 0;
    size_t wi = 0, ai = 0;
    for (uint64_t k = 0; k < n; k++) {
        bool waf = nwaf && (!nacc || k % 5 == 4);
        /* the next topic of that kind, round robin */
        const lr_kafka_topic *t = NULL;
        for (size_t i = 0, seen = 0; i < kc->ntopics && !t; i++) {
            bool tw = kc->topics[i].format == LR_FORMAT_WAF_JSON || kc->topics[i].format == LR_FORMAT_JSON;
            if (tw == waf && seen++ == (waf ? wi % nwaf : ai % nacc))
                t = &kc->topics[i];
        }
        waf ? wi++ : ai++;
        lr_buf_reset(&b);
        if (waf)
            lr_demo_gen_waf(&gen, &b);
        else
            lr_demo_gen_access(&gen, -1, &b);
        for (;;) {
            rd_kafka_resp_err_t e =
                rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(t->name), RD_KAFKA_V_VALUE(b.data, b.len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 20);
                continue;
            }
            if (e) {
                fprintf(stderr, "logrelay demo: producing to %s: %s\n", t->name, rd_kafka_err2str(e));
                failed++;
            } else
                sent++;
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    lr_buf_free(&b);
    if (rd_kafka_flush(rk, 30000))
        failed++;
    rd_kafka_destroy(rk);
    return failed ? 0 : sent;
}

static uint64_t on_drain(void *arg, int64_t deadline)
{
    return lr_agent_drain(arg, deadline);
}

static bool on_congested(void *arg)
{
    return lr_agent_congested(arg);
}

int lr_cmd_demo(int argc, char **argv)
{
    const char *config = NULL, *out = "./demo-out";
    int64_t records = 2000;
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"records", required_argument, NULL, 'n'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int ch;
    char err[512];
    optind = 1;
    while ((ch = getopt_long(argc, argv, "c:n:o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c':
            config = optarg;
            break;
        case 'n':
            if (lr_parse_int(optarg, &records, err, sizeof err) != 0 || records <= 0 || records > 10000000) {
                fprintf(stderr, "logrelay demo: --records: expected a number from 1 to 10000000\n");
                return 2;
            }
            break;
        case 'o':
            out = optarg;
            break;
        case 'h':
            usage();
            return 0;
        default:
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "logrelay demo: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    int64_t t0 = lr_monotonic_ms();
    lr_errors errs;
    lr_errors_init(&errs);
    lr_config *cfg;
    if (config) {
        cfg = lr_config_load(config, &errs);
    } else {
        if (lr_mkdir_p(out, 0755) != 0) {
            perror(out);
            return 1;
        }
        char *yaml = builtin_yaml(out);
        cfg = lr_config_load_string(yaml, "(built-in demo configuration)", &errs);
        free(yaml);
    }
    if (!cfg) {
        lr_cli_print_errors(&errs, config ? config : "demo");
        lr_errors_free(&errs);
        return 1;
    }
    /* Topics first: the cluster must exist before the consumer is made. */
    const lr_cfg_node *knode = lr_cfg_get(cfg->root, "kafka");
    lr_kafka_config *probe = lr_kafka_config_for_demo(knode, "127.0.0.1:0", &errs);
    if (!probe) {
        lr_cli_print_errors(&errs, config);
        lr_errors_free(&errs);
        lr_config_free(cfg);
        return 1;
    }
    const char **names = calloc(probe->ntopics, sizeof *names);
    if (!names)
        abort();
    for (size_t i = 0; i < probe->ntopics; i++)
        names[i] = probe->topics[i].name;
    lr_demo_cluster *dc = lr_demo_cluster_start(names, probe->ntopics, 2, err, sizeof err);
    free(names);
    if (!dc) {
        fprintf(stderr, "logrelay demo: %s\n", err);
        lr_kafka_config_free(probe);
        lr_config_free(cfg);
        return 1;
    }
    const char *boot = lr_demo_cluster_bootstrap(dc);
    lr_kafka_config *kc = lr_kafka_config_for_demo(knode, boot, &errs);
    lr_kafka_config_free(probe);
    lr_agent *a = lr_agent_create_from(cfg, &errs);
    if (!a || !kc) {
        lr_cli_print_errors(&errs, config ? config : "demo");
        lr_errors_free(&errs);
        lr_agent_destroy(a);
        lr_kafka_config_free(kc);
        lr_demo_cluster_stop(dc);
        return 1;
    }
    fprintf(stderr, "demo: embedded Kafka at %s with", boot);
    for (size_t i = 0; i < kc->ntopics; i++)
        fprintf(stderr, "%s %s (%s)", i ? "," : "", kc->topics[i].name, lr_format_name(kc->topics[i].format));
    fprintf(stderr, ", 2 partitions each\n");
    uint64_t produced = produce_corpus(boot, kc, (uint64_t)records);
    if (!produced) {
        lr_agent_destroy(a);
        lr_kafka_config_free(kc);
        lr_demo_cluster_stop(dc);
        return 1;
    }
    fprintf(stderr, "demo: produced %llu records; consuming as group %s\n", (unsigned long long)produced,
            kc->group_id);

    lr_signals_install();
    lr_agent_start(a);
    int rc = 1;
    lr_kafka_consumer *c = lr_kafka_consumer_create(kc, lr_agent_pipeline(a), &errs);
    if (c) {
        lr_kafka_run_opts ro = {
            .exit_when_idle_ms = 20000, /* a safety net: all records normally arrive within seconds */
            .max_records = produced,
            .shutdown_timeout_ms = lr_agent_get_settings(a)->shutdown_timeout_ms,
            .stop_requested = lr_signal_stop_requested,
            .drain = on_drain,
            .congested = on_congested,
            .arg = a,
        };
        rc = lr_kafka_consumer_run(c, &ro);
        lr_kafka_stats ks;
        lr_kafka_consumer_stats(c, &ks);
        lr_kafka_consumer_destroy(c);
        uint64_t left = lr_pipeline_inflight(lr_agent_pipeline(a));
        fprintf(stderr, "\ndemo summary\n");
        for (size_t i = 0; i < kc->ntopics; i++)
            fprintf(stderr, "topic %s: %llu records consumed\n", kc->topics[i].name,
                    (unsigned long long)kc->topics[i].messages);
        lr_agent_print_summary(a, stderr);
        fprintf(stderr, "elapsed: %.1f s\n", (double)(lr_monotonic_ms() - t0) / 1000.0);
        if (!config)
            fprintf(stderr,
                    "output: %s/access.json, %s/waf.json (%s/unparsed.json for lines that did not parse)\n",
                    out, out, out);
        if (!rc && (ks.messages < produced || left)) {
            fprintf(stderr, "demo: only %llu of %llu records were consumed and delivered\n",
                    (unsigned long long)ks.messages, (unsigned long long)produced);
            rc = 1;
        }
    } else {
        lr_cli_print_errors(&errs, "demo");
    }
    lr_errors_free(&errs);
    lr_agent_destroy(a);
    lr_kafka_config_free(kc);
    lr_demo_cluster_stop(dc);
    return rc;
}
