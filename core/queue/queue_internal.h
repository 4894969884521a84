/*
 * queue_internal.h: what queue.c (the queue, its memory FIFO and workers)
 * and queue_disk.c (the disk spool side of `queue.type: disk`) share. Not
 * for use outside core/queue.
 *
 * Locking: q->lock guards everything in struct lr_queue and in its qdisk.
 */
#ifndef LR_QUEUE_INTERNAL_H
#define LR_QUEUE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "queue/deadletter.h"
#include "queue/queue.h"

typedef struct qitem {
    lr_record *rec;
    const lr_event *ev;
    size_t bytes;
    int64_t enq_mono_ms;
    uint32_t attempts;
    int64_t first_fail_ms; /* wall clock, for the dead letter */
    int64_t last_fail_ms;
    uint64_t spool_id; /* disk queue: the entry to acknowledge */
} qitem;

typedef struct qdisk qdisk;

struct lr_queue {
    lr_instance *inst;
    const lr_output_settings *set;
    const lr_output_plugin *plugin;
    const char *name;
    lr_deadletter *dl;

    pthread_mutex_t lock;
    pthread_cond_t work; /* workers: items arrived, stop, reopen */
    pthread_cond_t idle; /* drain: totals reached zero */
    qitem *ring;         /* memory queue: the FIFO; disk queue: events handed back by host->complete */
    size_t cap, head, count;
    uint64_t queued_bytes;
    uint64_t total_records; /* queued + in flight + held + pending (disk: staged + not yet delivered) */
    uint64_t total_bytes;
    qitem *pending; /* LR_PENDING events, finished via host->complete */
    size_t npending, cap_pending;
    int64_t resume_at_mono; /* output-level pause after a pending event came back as retry */
    bool stopping, draining;
    atomic_bool congested;
    atomic_uint reopen_gen;
    lr_queue_stats stats;

    struct worker **workers;
    int nworkers;
    qdisk *disk; /* queue.type disk, else NULL */
};

static inline int64_t lr_queue_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t lr_queue_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Conditions use CLOCK_MONOTONIC. */
static inline void lr_queue_timed_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t until_mono_ms)
{
    struct timespec ts = {.tv_sec = until_mono_ms / 1000, .tv_nsec = (until_mono_ms % 1000) * 1000000};
    pthread_cond_timedwait(c, m, &ts);
}

/* queue.c, lock held. */
void lr_queue_set_last_error(lr_queue *q, const char *reason);
/* queue.c, lock NOT held. Write the event to the dead-letter file and finish
 * it; false (event kept, for a retry) when the dead letter cannot be written. */
bool lr_queue_deadletter_item(lr_queue *q, qitem *it, const char *reason);

/* ---- queue_disk.c --------------------------------------------------------- */

/* Set q->disk: open the spool (recovering what a previous run left) and
 * start the spool writer thread. A spool that cannot be opened is retried by
 * the writer; meanwhile pushed events wait in memory (and raise backpressure). */
void lr_qdisk_create(lr_queue *q);
/* After the workers have ended: stop the writer, release staged events
 * without finishing them, close the spool (undelivered entries stay). */
void lr_qdisk_destroy(lr_queue *q);

/* Lock held. Stage a pushed event for the writer. */
void lr_qdisk_push(lr_queue *q, const qitem *it);
/* Lock held. Backpressure for a disk queue. */
void lr_qdisk_update_congestion(lr_queue *q);
/* Lock NOT held. The entry was delivered or dead-lettered. */
void lr_qdisk_finish(lr_queue *q, qitem *it, bool delivered);
/* Lock held. Whether a worker should read a batch from the spool now;
 * lowers *wake to when it should look again. */
bool lr_qdisk_batch_ready(lr_queue *q, int64_t now, int64_t *wake);
/* Lock held (dropped while reading). Read and decode up to max entries. */
size_t lr_qdisk_take_batch(lr_queue *q, qitem *out, size_t max);
/* Lock NOT held. Persist acknowledgements, delete delivered segments. */
void lr_qdisk_checkpoint(lr_queue *q);
/* Lock held. Nothing staged and nothing left to read. */
bool lr_qdisk_empty(lr_queue *q);
/* Lock held. Wake the writer (drain, stop). */
void lr_qdisk_wake(lr_queue *q);
/* Lock held. Events waiting for the writer (not finished yet). */
uint64_t lr_qdisk_staged(lr_queue *q);
/* Lock held. Depth and age for lr_queue_get_stats. */
void lr_qdisk_stats(lr_queue *q, lr_queue_stats *out);

#endif
