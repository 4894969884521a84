/*
 * kafka.h: the Kafka input. It reads the `kafka:` section, checks the TLS
 * material itself at start-up (so a missing, unreadable or expired file, or
 * a wrong password, is reported by name before librdkafka is involved), runs
 * a librdkafka high-level consumer in a consumer group and feeds every
 * message to the pipeline. Offsets are committed at-least-once: per
 * partition only up to the contiguous watermark of finished messages (see
 * kafka_offsets.h). Congested outputs pause the assigned partitions.
 *
 * Threading: everything here runs on the thread that calls
 * lr_kafka_consumer_run (the input thread), except the pipeline's `done`
 * callbacks, which arrive on output workers and only touch the offset
 * tracker.
 */
#ifndef LR_KAFKA_H
#define LR_KAFKA_H

#include <logrelay/logrelay.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "parse/parse.h"
#include "pipeline/pipeline.h"

typedef struct lr_kafka_topic {
    char *name;
    lr_format format;
    lr_parse_options parse;
    uint64_t messages; /* counted by the consumer */
} lr_kafka_topic;

/* `tls:` exactly as written (secrets included); the checked result is in
 * lr_kafka_config. */
typedef struct lr_kafka_tls_conf {
    char *ca_file;
    char *cert_file;
    char *key_file;
    char *key_password;
    char *key_password_file;
    char *keystore_file;
    char *keystore_password;
    char *keystore_password_file;
    char *truststore_file;
    char *truststore_password;
    char *truststore_password_file;
    bool verify_hostname;
} lr_kafka_tls_conf;

/* One `librdkafka:` entry, with where it was written (for errors). */
typedef struct lr_kafka_prop {
    char *key;
    char *value;
    char *where; /* "FILE:LINE:COL" */
    bool secret;
} lr_kafka_prop;

enum { LR_KAFKA_START_NEWEST = 0, LR_KAFKA_START_OLDEST = 1 };

typedef struct lr_kafka_config {
    /* from the option table */
    lr_strlist brokers;
    char *group_id;
    char *client_id; /* default: the host name */
    int start_from;  /* LR_KAFKA_START_* */
    int64_t commit_interval_ms;
    int64_t auth_error_timeout_ms;
    lr_kafka_tls_conf tls;
    /* derived */
    bool tls_enabled;
    char *ca_pem;        /* CA certificates taken out of truststore_file (PEM) */
    char *key_pass;      /* resolved key password (from key_password or its file) */
    char *keystore_pass; /* resolved keystore password */
    /* keystore_file's certificate and key as PEM (the key unencrypted: a
     * secret): librdkafka gets them in memory, which also covers PKCS#12
     * algorithms only OpenSSL's legacy provider reads */
    char *client_cert_pem;
    char *client_key_pem;
    size_t ntopics;
    lr_kafka_topic *topics;
    size_t nprops;
    lr_kafka_prop *props;
} lr_kafka_config;

/* Validate the `kafka:` mapping (NULL: "missing" error) and check the TLS
 * files. Errors carry file:line:col and the key; warnings (group id not in
 * the provider's c<ID>_ form) are logged. NULL on error. */
lr_kafka_config *lr_kafka_config_parse(const lr_cfg_node *kafka, lr_errors *errs);
void lr_kafka_config_free(lr_kafka_config *c);
/* For `logrelay demo`: the topics (and group_id, if any) of a user's
 * `kafka:` mapping (NULL: c83 as cdn_access and c83_waf as waf_json), read
 * from `bootstrap` in plaintext from the oldest offset; brokers, tls and
 * librdkafka settings are ignored. NULL with errors. */
lr_kafka_config *lr_kafka_config_for_demo(const lr_cfg_node *kafka, const char *bootstrap, lr_errors *errs);
/* The option table of the `kafka:` section (for `logrelay describe`/docs). */
const lr_option *lr_kafka_options(void);

typedef struct lr_kafka_consumer lr_kafka_consumer;

/* Create the consumer (librdkafka handle) and subscribe. `conf` and `p`
 * are borrowed and must outlive the consumer. NULL with errors on failure. */
lr_kafka_consumer *lr_kafka_consumer_create(lr_kafka_config *conf, lr_pipeline *p, lr_errors *errs);

typedef struct lr_kafka_run_opts {
    /* Return (after draining and committing) once no message has arrived
     * for this long since the first assignment; 0 = run until stopped. */
    int64_t exit_when_idle_ms;
    /* Stop fetching after this many messages; 0 = no limit. */
    uint64_t max_records;
    /* On stop: how long outputs may take to finish what is in flight. */
    int64_t shutdown_timeout_ms;
    /* Polled between messages: true = stop (SIGTERM/SIGINT). May be NULL. */
    bool (*stop_requested)(void);
    /* Called about every 100 ms on the input thread (SIGHUP reopen, stats). May be NULL. */
    void (*tick)(void *arg);
    /* Let outputs deliver what they hold until deadline (monotonic ms);
     * returns records still undelivered. NULL: wait for the pipeline. */
    uint64_t (*drain)(void *arg, int64_t deadline_ms);
    /* Output congestion; NULL: lr_pipeline_congested. */
    bool (*congested)(void *arg);
    void *arg;
} lr_kafka_run_opts;

/* Consume until stopped, idle or max_records; then stop fetching, drain,
 * commit what is finished and leave the group. Returns 0, or 1 after a fatal
 * error (logged: the brokers refused authentication, librdkafka fatal error). */
int lr_kafka_consumer_run(lr_kafka_consumer *c, const lr_kafka_run_opts *opts);

typedef struct lr_kafka_stats {
    uint64_t messages;   /* handed to the pipeline */
    uint64_t duplicates; /* re-read offsets already in flight or finished */
    uint64_t commits;    /* successful commits */
    uint64_t pauses;     /* times the input paused for backpressure */
} lr_kafka_stats;
void lr_kafka_consumer_stats(const lr_kafka_consumer *c, lr_kafka_stats *out);

void lr_kafka_consumer_destroy(lr_kafka_consumer *c);

/* ---- the embedded cluster of `logrelay demo` ---------------------------- */

typedef struct lr_demo_cluster lr_demo_cluster;

/* librdkafka's mock cluster in this process, with `ntopics` topics of
 * `partitions` partitions each. NULL with a message in err. */
lr_demo_cluster *lr_demo_cluster_start(const char *const *topics, size_t ntopics, int partitions, char *err,
                                       size_t errlen);
/* "127.0.0.1:PORT" */
const char *lr_demo_cluster_bootstrap(const lr_demo_cluster *dc);
void lr_demo_cluster_stop(lr_demo_cluster *dc);

#endif
