/*
 * queue.h: one queue per output instance, with its own worker threads.
 *
 *   push (pipeline thread) -> bounded FIFO -> worker: batch (records, bytes,
 *   timeout) -> module deliver -> per-event result:
 *     delivered        -> finished (acknowledged towards the input)
 *     retry            -> held by that worker, redelivered after exponential
 *                         backoff with full jitter (and at least Retry-After);
 *                         only the failed events of a batch are retried
 *     reject / retries exhausted -> dead-letter file with the reason -> finished
 *     pending          -> finished later when the module calls host->complete
 *
 * Backpressure: lr_queue_congested() is true from the moment the queue holds
 * max_records or max_bytes (queued + in flight + held for retry) until it
 * drains below 3/4 of both; the input pauses meanwhile. push never blocks and
 * never drops.
 *
 * Shutdown: lr_queue_drain delivers what it can until a deadline; anything
 * left is simply not finished (so Kafka re-delivers it on the next start).
 *
 * queue.type disk (queue_disk.c, docs/queue.md): events are finished once
 * they are fsynced to the output's spool; workers deliver from the spool;
 * what is not delivered at shutdown stays spooled for the next start.
 *
 * Threading: push/congested/stats from any thread; workers are internal.
 */
#ifndef LR_QUEUE_H
#define LR_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "plugin/instance.h"
#include "record/record.h"

typedef struct lr_queue lr_queue;

typedef struct lr_queue_stats {
    uint64_t received; /* events pushed */
    uint64_t delivered;
    uint64_t retried; /* delivery attempts that failed transiently */
    uint64_t failed;  /* permanent failures (rejected or attempts exhausted) */
    uint64_t deadlettered;
    uint64_t depth_records; /* queued + in flight */
    uint64_t depth_bytes;
    int64_t oldest_age_ms; /* age of the oldest unfinished event, 0 if none */
    char last_error[256];
} lr_queue_stats;

/* Create the queue and start its workers. The instance stays owned by the caller. */
lr_queue *lr_queue_create(lr_instance *inst);
/* Stop workers (after lr_queue_drain, or at once) and free. Unfinished events
 * are released without being finished. */
void lr_queue_destroy(lr_queue *q);

/* Enqueue `ev` (a view of `rec`; takes one reference on rec and one pending
 * hold, which the queue releases with lr_record_finish when the event is
 * finished). */
void lr_queue_push(lr_queue *q, lr_record *rec, const lr_event *ev);

bool lr_queue_congested(lr_queue *q);
/* Deliver until empty or until deadline_ms (monotonic); true when empty. */
bool lr_queue_drain(lr_queue *q, int64_t deadline_ms);
/* Ask the workers to call the module's reopen (SIGHUP). */
void lr_queue_reopen(lr_queue *q);
void lr_queue_get_stats(lr_queue *q, lr_queue_stats *out);
/* Events held that are not finished yet, i.e. what the input would have to
 * deliver again if the agent stopped now: a memory queue's whole depth; for a
 * disk queue only the events not yet spooled (spooled ones are finished and
 * wait on disk for the next start). */
uint64_t lr_queue_unfinished(lr_queue *q);
const lr_instance *lr_queue_instance(const lr_queue *q);

#endif
