/*
 * host.h: core-internal side of the host services. A batch handed to a
 * module carries an lr_batch_ctl in core_private; the host's result setters
 * write into it, and lr_instance_call_deliver turns whatever the module
 * answered into one result per event. Used by the queue and the *_sync
 * drivers alike, so both see identical semantics.
 */
#ifndef LR_HOST_H
#define LR_HOST_H

#include "plugin/instance.h"

typedef struct lr_batch_ctl {
    lr_delivery *out;
    size_t n;
    char batch_reason[256];
    int64_t retry_after_ms;
} lr_batch_ctl;

/* Called for host->complete (LR_PENDING events finished later). */
typedef void (*lr_complete_fn)(void *arg, const lr_event *ev, lr_result result, const char *reason);
void lr_instance_set_complete_handler(lr_instance *inst, lr_complete_fn fn, void *arg);

/* Run the module's deliver on `worker` and fill out[0..n). Returns the
 * batch-level answer (LR_PARTIAL when results differ). An event left without
 * a result by a LR_PARTIAL answer is treated as LR_RETRY (never lost). */
lr_result lr_instance_call_deliver(lr_instance *inst, void *worker, const lr_event *const *events, size_t n,
                                   uint32_t attempt, lr_delivery *out);

/* Counters kept by the core for this instance (queue statistics live in the queue). */
lr_instance_counters *lr_instance_counters_of(lr_instance *inst);
/* Named module counters, for summaries: calls fn for each. */
void lr_instance_each_counter(lr_instance *inst, void (*fn)(void *arg, const char *name, uint64_t value),
                              void *arg);

#endif
