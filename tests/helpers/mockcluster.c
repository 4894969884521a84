/*
 * mockcluster.c: test helper around librdkafka's mock cluster, so the Kafka
 * tests speak the real protocol to a cluster that lives in its own process
 * (the agent can be killed and restarted against the same cluster).
 *
 *   mockcluster serve [--brokers N] [--topic NAME:PARTITIONS]... [--bootstrap-file F]
 *       Start the cluster, create the topics, print "BOOTSTRAP host:port,..."
 *       (and write it to F), run until SIGTERM/SIGINT.
 *   mockcluster produce -b BOOTSTRAP -t TOPIC [-p PARTITION] [-X key=value]...
 *                       [--file F | --seq N [--prefix P] [--size BYTES] [--start K]
 *                        | --access N | --waf N] [--rate N]
 *       Produce lines from F (or stdin when none is given), N numbered records
 *       "P-00000001 ..." padded to BYTES, or N generated access lines / WAF
 *       records; --rate limits records per second. Waits for every delivery,
 *       prints "PRODUCED n", exits 1 if any failed.
 *   mockcluster offsets -b BOOTSTRAP -g GROUP -t TOPIC [-X key=value]...
 *       Print "TOPIC PARTITION COMMITTED HIGH" for each partition (COMMITTED
 *       is -1 when the group has none).
 *
 * Single-threaded apart from librdkafka's own threads.
 */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "input/demo_gen.h"

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int usage(void)
{
    fputs("usage: mockcluster serve [--brokers N] [--topic NAME:PARTITIONS]... [--bootstrap-file F]\n"
          "       mockcluster produce -b BOOTSTRAP -t TOPIC [-p PART] [-X k=v]... [--file F | --seq N "
          "[--prefix P]\n"
          "                   [--size BYTES] [--start K] | --access N | --waf N] [--rate N]\n"
          "       mockcluster offsets -b BOOTSTRAP -g GROUP -t TOPIC [-X k=v]...\n",
          stderr);
    return 2;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- serve */

static int cmd_serve(int argc, char **argv)
{
    int brokers = 1;
    const char *bootfile = NULL;
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* this handle only hosts the cluster; keep its "no bootstrap.servers" quiet */
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--brokers") && i + 1 < argc)
            brokers = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--bootstrap-file") && i + 1 < argc)
            bootfile = argv[++i];
        else if (!strcmp(argv[i], "--topic") && i + 1 < argc)
            i++; /* after the cluster exists */
        else {
            rd_kafka_conf_destroy(conf);
            return usage();
        }
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "mockcluster: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "mockcluster: cannot create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--topic"))
            continue;
        char name[256];
        const char *colon = strrchr(argv[++i], ':');
        int parts = colon ? atoi(colon + 1) : 1;
        size_t n = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);
        snprintf(name, sizeof name, "%.*s", (int)n, argv[i]);
        rd_kafka_resp_err_t err =
            rd_kafka_mock_topic_create(mc, name, parts > 0 ? parts : 1, brokers < 3 ? brokers : 3);
        if (err) {
            fprintf(stderr, "mockcluster: topic %s: %s\n", name, rd_kafka_err2str(err));
            rc = 1;
        }
    }
    const char *boot = rd_kafka_mock_cluster_bootstraps(mc);
    if (!rc && bootfile) {
        FILE *f = fopen(bootfile, "w");
        if (!f || fprintf(f, "%s\n", boot) < 0 || fclose(f)) {
            fprintf(stderr, "mockcluster: %s: %s\n", bootfile, strerror(errno));
            rc = 1;
        }
    }
    if (!rc) {
        struct sigaction sa = {.sa_handler = on_signal};
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        printf("BOOTSTRAP %s\n", boot);
        fflush(stdout);
        while (!g_stop)
            pause();
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return rc;
}

/* ------------------------------------------------------ client options */

typedef struct client_opts {
    const char *bootstrap, *topic, *group;
    int32_t partition;
    rd_kafka_conf_t *conf;
} client_opts;

/* -b -t -g -p -X; returns the index of the first argument it did not take, or -1. */
static int client_arg(client_opts *o, int argc, char **argv, int i)
{
    char errstr[512];
    if (i + 1 >= argc)
        return i;
    if (!strcmp(argv[i], "-b"))
        o->bootstrap = argv[i + 1];
    else if (!strcmp(argv[i], "-t"))
        o->topic = argv[i + 1];
    else if (!strcmp(argv[i], "-g"))
        o->group = argv[i + 1];
    else if (!strcmp(argv[i], "-p"))
        o->partition = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "-X")) {
        char *eq = strchr(argv[i + 1], '=');
        if (!eq) {
            fprintf(stderr, "mockcluster: -X needs key=value\n");
            return -1;
        }
        *eq = '\0';
        if (rd_kafka_conf_set(o->conf, argv[i + 1], eq + 1, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "mockcluster: %s\n", errstr);
            return -1;
        }
    } else
        return i;
    return i + 2;
}

static int set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "mockcluster: %s\n", errstr);
        return -1;
    }
    return 0;
}

/* -------------------------------------------------------------- produce */

static long g_failed, g_delivered;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        if (g_failed++ < 5)
            fprintf(stderr, "mockcluster: delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else
        g_delivered++;
}

static int produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int32_t part, const char *data, size_t len)
{
    for (;;) {
        if (rd_kafka_produce(rkt, part, RD_KAFKA_MSG_F_COPY, (void *)data, len, NULL, 0, NULL) == 0)
            return 0;
        if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            fprintf(stderr, "mockcluster: produce: %s\n", rd_kafka_err2str(rd_kafka_last_error()));
            return -1;
        }
        rd_kafka_poll(rk, 50);
    }
}

static int cmd_produce(int argc, char **argv)
{
    client_opts o = {.partition = RD_KAFKA_PARTITION_UA, .conf = rd_kafka_conf_new()};
    const char *file = NULL, *prefix = "rec";
    long seq = -1, access = -1, waf = -1, size = 0, start = 1, rate = 0;
    int i = 1;
    while (i < argc) {
        int next = client_arg(&o, argc, argv, i);
        if (next < 0)
            goto bad;
        if (next > i) {
            i = next;
            continue;
        }
        if (i + 1 >= argc)
            goto bad;
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--file"))
            file = v;
        else if (!strcmp(k, "--seq"))
            seq = atol(v);
        else if (!strcmp(k, "--prefix"))
            prefix = v;
        else if (!strcmp(k, "--size"))
            size = atol(v);
        else if (!strcmp(k, "--start"))
            start = atol(v);
        else if (!strcmp(k, "--access"))
            access = atol(v);
        else if (!strcmp(k, "--waf"))
            waf = atol(v);
        else if (!strcmp(k, "--rate"))
            rate = atol(v);
        else
            goto bad;
        i += 2;
    }
    if (!o.bootstrap || !o.topic)
        goto bad;
    if (set(o.conf, "bootstrap.servers", o.bootstrap) || set(o.conf, "linger.ms", "5") ||
        set(o.conf, "queue.buffering.max.messages", "200000") ||
        set(o.conf, "sticky.partitioning.linger.ms", "0")) /* spread keyless records */
        goto bad_conf;
    rd_kafka_conf_set_dr_msg_cb(o.conf, on_delivery);
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, o.conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "mockcluster: %s\n", errstr);
        return 1;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o.topic, NULL);
    lr_buf b;
    lr_buf_init(&b, 0);
    lr_demo_gen gen;
    lr_demo_gen_init(&gen, (uint64_t)time(NULL), 83, 0);
    long count = 0, limit = seq >= 0 ? seq : access >= 0 ? access : waf >= 0 ? waf : -1;
    FILE *in = NULL;
    if (limit < 0) {
        in = file ? fopen(file, "r") : stdin;
        if (!in) {
            fprintf(stderr, "mockcluster: %s: %s\n", file, strerror(errno));
            return 1;
        }
    }
    int64_t t0 = now_ms();
    int rc = 0;
    char *line = NULL;
    size_t cap = 0;
    while (!rc && (limit < 0 || count < limit)) {
        lr_buf_reset(&b);
        if (in) {
            ssize_t n = getline(&line, &cap, in);
            if (n < 0)
                break;
            if (n > 0 && line[n - 1] == '\n')
                n--;
            lr_buf_append(&b, line, (size_t)n);
        } else if (seq >= 0) {
            lr_buf_printf(&b, "%s-%08ld", prefix, start + count);
            while ((long)b.len < size)
                lr_buf_append_char(&b, (char)('a' + b.len % 26));
        } else if (access >= 0) {
            lr_demo_gen_access(&gen, -1, &b);
        } else {
            lr_demo_gen_waf(&gen, &b);
        }
        rc = produce_one(rk, rkt, o.partition, b.data ? b.data : "", b.len);
        count++;
        rd_kafka_poll(rk, 0);
        if (rate > 0) {
            int64_t due = t0 + count * 1000 / rate;
            while (now_ms() < due)
                rd_kafka_poll(rk, (int)(due - now_ms()));
        }
    }
    free(line);
    if (in && in != stdin)
        fclose(in);
    if (rd_kafka_flush(rk, 60000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "mockcluster: flush timed out\n");
        rc = 1;
    }
    printf("PRODUCED %ld\n", g_delivered);
    if (g_failed || g_delivered != count)
        rc = 1;
    lr_buf_free(&b);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return rc;
bad_conf:
    rd_kafka_conf_destroy(o.conf);
    return 1;
bad:
    rd_kafka_conf_destroy(o.conf);
    return usage();
}

/* -------------------------------------------------------------- offsets */

static int cmd_offsets(int argc, char **argv)
{
    client_opts o = {.conf = rd_kafka_conf_new()};
    for (int i = 1; i < argc;) {
        int next = client_arg(&o, argc, argv, i);
        if (next <= i) {
            rd_kafka_conf_destroy(o.conf);
            return next < 0 ? 1 : usage();
        }
        i = next;
    }
    if (!o.bootstrap || !o.topic || !o.group) {
        rd_kafka_conf_destroy(o.conf);
        return usage();
    }
    if (set(o.conf, "bootstrap.servers", o.bootstrap) || set(o.conf, "group.id", o.group) ||
        set(o.conf, "enable.auto.commit", "false")) {
        rd_kafka_conf_destroy(o.conf);
        return 1;
    }
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, o.conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "mockcluster: %s\n", errstr);
        return 1;
    }
    int rc = 1;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o.topic, NULL);
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
    if (err || md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "mockcluster: metadata for %s: %s\n", o.topic,
                rd_kafka_err2str(err             ? err
                                 : md->topic_cnt ? md->topics[0].err
                                                 : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        goto out;
    }
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int p = 0; p < md->topics[0].partition_cnt; p++)
        rd_kafka_topic_partition_list_add(parts, o.topic, md->topics[0].partitions[p].id);
    err = rd_kafka_committed(rk, parts, 10000);
    if (err) {
        fprintf(stderr, "mockcluster: committed offsets: %s\n", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(parts);
        goto out;
    }
    rc = 0;
    for (int p = 0; p < parts->cnt; p++) {
        int64_t lo, hi;
        err = rd_kafka_query_watermark_offsets(rk, o.topic, parts->elems[p].partition, &lo, &hi, 10000);
        if (err) {
            fprintf(stderr, "mockcluster: watermarks: %s\n", rd_kafka_err2str(err));
            rc = 1;
            continue;
        }
        int64_t committed = parts->elems[p].offset >= 0 ? parts->elems[p].offset : -1;
        printf("%s %d %lld %lld\n", o.topic, (int)parts->elems[p].partition, (long long)committed,
               (long long)hi);
    }
    rd_kafka_topic_partition_list_destroy(parts);
out:
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "serve"))
        return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(argv[1], "produce"))
        return cmd_produce(argc - 1, argv + 1);
    if (!strcmp(argv[1], "offsets"))
        return cmd_offsets(argc - 1, argv + 1);
    return usage();
}
