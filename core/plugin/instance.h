/*
 * instance.h: one configured output (`outputs.<name>` in the YAML): the
 * module's validated config and context, the core's per-output settings
 * (queue, batch, retry, workers, dead letter), counters, and the host
 * services (lr_host) handed to the module.
 *
 * Threading: create/destroy on the main thread. The queue (core/queue) runs
 * the worker callbacks. The *_sync functions drive a module directly on the
 * calling thread: for tests and one-shot tools, never mixed with a running
 * queue on the same instance.
 */
#ifndef LR_INSTANCE_H
#define LR_INSTANCE_H

#include <logrelay/logrelay.h>

#include "config/config.h"
#include "plugin/plugin.h"

/* The core's own options for every output, validated with the same option
 * engine as a module's table (see instance.c for the table). */
typedef struct lr_output_settings {
    int64_t workers;
    int queue_type;   /* 0 memory, 1 disk */
    char *queue_path; /* disk spool directory */
    uint64_t queue_max_bytes;
    int64_t queue_max_records;
    int64_t batch_max_records;
    uint64_t batch_max_bytes;
    int64_t batch_timeout_ms;
    int64_t retry_initial_ms;
    int64_t retry_max_ms;
    int64_t retry_max_attempts; /* 0 = unlimited */
    char *deadletter_path;      /* default <data_dir>/deadletter/<name>.jsonl */
    uint64_t deadletter_max_bytes;
    int64_t spool_fsync_ms; /* 0 = fsync every batch */
} lr_output_settings;

typedef struct lr_instance_counters {
    uint64_t received, delivered, retried, failed, deadlettered;
} lr_instance_counters;

/* Validate `node` (the output's mapping, with `type:`) against the core
 * table and the module's table, then call the module's init. NULL with
 * errors (file:line:col + key) on failure. `data_dir` is agent.data_dir. */
lr_instance *lr_instance_create(const lr_plugin_entry *plugin, const char *name, const lr_cfg_node *node,
                                const char *data_dir, lr_errors *errs);
/* Calls fini and frees the config. Workers must have ended. */
void lr_instance_destroy(lr_instance *inst);

const char *lr_instance_get_name(const lr_instance *inst);
const lr_output_plugin *lr_instance_plugin(const lr_instance *inst);
const lr_output_settings *lr_instance_settings(const lr_instance *inst);
void *lr_instance_context(const lr_instance *inst);
const lr_host *lr_instance_host(void);

/* Per-event outcome of a synchronous delivery. */
typedef struct lr_delivery {
    lr_result result;
    char reason[256];
    int64_t retry_after_ms; /* the server's hint for the batch, 0 if none */
} lr_delivery;

/* Deliver one batch on the calling thread (worker_init on first use) and
 * fill out[i] for each event. LR_PENDING events stay pending until a later
 * tick/flush completes them (out[] is then updated through `complete`... so
 * tests call lr_instance_flush_sync and read lr_instance_take_completions). */
lr_result lr_instance_deliver_sync(lr_instance *inst, const lr_event *const *events, size_t n,
                                   lr_delivery *out);
void lr_instance_tick_sync(lr_instance *inst, int64_t now_ms);
void lr_instance_reopen_sync(lr_instance *inst);
void lr_instance_flush_sync(lr_instance *inst);
/* End the sync worker (worker_fini) if one was started. */
void lr_instance_stop_sync(lr_instance *inst);

#endif
