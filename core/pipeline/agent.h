/*
 * agent.h: assembling a running agent from a configuration: the `agent:`
 * section, the plugin registry, one instance + queue per output, the route
 * table and the pipeline. Inputs (Kafka, replay, demo) feed the pipeline and
 * call lr_agent_shutdown when they are done.
 *
 * Threading: main thread only, except lr_agent_pipeline's submit (the input
 * thread) and the signal flags.
 */
#ifndef LR_AGENT_H
#define LR_AGENT_H

#include <stdbool.h>
#include <stdio.h>

#include "config/config.h"
#include "pipeline/pipeline.h"
#include "plugin/plugin.h"

typedef struct lr_agent lr_agent;

typedef struct lr_agent_settings {
    char *data_dir;
    char *plugin_dir;
    int log_level;
    int64_t shutdown_timeout_ms;
    char *unrouted; /* "drop" or an output name */
} lr_agent_settings;

/* Load and validate everything (config, plugins, outputs' options and init,
 * routes); no thread is started. NULL with errors on failure. The kafka
 * section is not interpreted here (the Kafka input does that). */
lr_agent *lr_agent_create(const char *config_path, lr_errors *errs);
/* Same from an already loaded config (takes ownership of cfg). */
lr_agent *lr_agent_create_from(lr_config *cfg, lr_errors *errs);
/* Start the output queues and build the pipeline. */
void lr_agent_start(lr_agent *a);
lr_pipeline *lr_agent_pipeline(lr_agent *a);
const lr_agent_settings *lr_agent_get_settings(const lr_agent *a);
const lr_config *lr_agent_config(const lr_agent *a);
const lr_cfg_node *lr_agent_kafka_node(const lr_agent *a); /* NULL when absent */
const lr_plugin_registry *lr_agent_plugins(const lr_agent *a);

/* Let every queue finish what it holds until the deadline (monotonic ms):
 * memory queues deliver (or dead-letter), disk queues at least spool.
 * Returns the number of records the input would have to read again (0 = all
 * finished). */
uint64_t lr_agent_drain(lr_agent *a, int64_t deadline_mono_ms);
/* Records in any queue (memory or disk) not yet delivered or dead-lettered. */
uint64_t lr_agent_undelivered(lr_agent *a);
/* Any output queue congested (the input should pause). */
bool lr_agent_congested(lr_agent *a);
/* SIGHUP: reopen files in every output. */
void lr_agent_reopen(lr_agent *a);
/* Summary: parse counters, routes, and per-output counters. */
void lr_agent_print_summary(lr_agent *a, FILE *out);
/* `logrelay check` listing: outputs (name, type, key options) and routes. */
void lr_agent_print_plan(lr_agent *a, FILE *out);
/* Stop workers and free everything. */
void lr_agent_destroy(lr_agent *a);

/* Signal plumbing shared by run/replay/demo: SIGTERM/SIGINT set the stop
 * flag, SIGHUP the reopen flag, SIGUSR1 the stats flag. */
void lr_signals_install(void);
bool lr_signal_stop_requested(void);
bool lr_signal_take_reopen(void);
bool lr_signal_take_stats(void);

int64_t lr_monotonic_ms(void);

#endif
