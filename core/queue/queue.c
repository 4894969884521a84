/*
 * queue.c: see queue.h. Locking: one mutex per queue guards the FIFO, the
 * totals, the pending list and the stats; workers deliver without holding
 * it. A worker that got a transient failure keeps the failed events itself
 * and sleeps (interruptibly) until their retry time: the rest of the queue
 * waits behind them, the totals keep counting them, so a down sink fills the
 * queue and pauses the input instead of growing memory.
 *
 * A disk queue (queue_disk.c) differs in where events wait: pushed events
 * are staged for the spool writer, which appends and fsyncs them and then
 * finishes them; workers read their batches from the spool instead of the
 * FIFO and acknowledge spool entries instead of finishing records. Retry,
 * backoff, dead letters and pending events work the same for both.
 */
#include "queue/queue.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/host.h"
#include "queue/deadletter.h"
#include "queue/queue_internal.h"
#include "util/ring.h"
#include "util/log.h"

typedef struct worker worker;

static int64_t mono_ms(void)
{
    return lr_queue_mono_ms();
}

/* For enqueue times: a coarse clock (a few ms of resolution) costs a fraction
 * of a precise read, and batching only compares ages against timeouts. Never
 * used to compute a wait deadline (a coarse "now" could lie in the past). */
static int64_t mono_coarse_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    return lr_queue_wall_ms();
}

static void timed_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t until_mono_ms)
{
    lr_queue_timed_wait(c, m, until_mono_ms);
}

/* Called with the lock held after the totals changed. */
static void update_congestion(lr_queue *q)
{
    if (q->disk) {
        lr_qdisk_update_congestion(q);
        return;
    }
    uint64_t maxr = (uint64_t)q->set->queue_max_records, maxb = q->set->queue_max_bytes;
    if (q->total_records >= maxr || q->total_bytes >= maxb)
        atomic_store(&q->congested, true);
    else if (q->total_records < maxr / 4 * 3 && q->total_bytes < maxb / 4 * 3)
        atomic_store(&q->congested, false);
}

static void set_last_error(lr_queue *q, const char *reason)
{
    size_t l = strlen(reason);
    if (l >= sizeof q->stats.last_error)
        l = sizeof q->stats.last_error - 1;
    memcpy(q->stats.last_error, reason, l);
    q->stats.last_error[l] = '\0';
}

/* The event is done for this output: release it (lock NOT held). */
static void finish_item(lr_queue *q, qitem *it, bool delivered)
{
    if (q->disk) {
        lr_qdisk_finish(q, it, delivered);
        return;
    }
    /* Completion first, totals second: whoever waits for the queue to be
     * empty (drain) then also sees every completion callback done. */
    lr_record_finish(it->rec);
    pthread_mutex_lock(&q->lock);
    q->total_records--;
    q->total_bytes -= it->bytes;
    if (delivered)
        q->stats.delivered++;
    update_congestion(q);
    if (q->total_records == 0)
        pthread_cond_broadcast(&q->idle);
    pthread_mutex_unlock(&q->lock);
    lr_record_unref(it->rec);
}

/* Dead-letter then finish; if the dead letter cannot be written the event is
 * kept for retry (returns false). Lock NOT held. */
static bool deadletter_item(lr_queue *q, qitem *it, const char *reason)
{
    char err[512];
    int64_t now = wall_ms();
    if (!it->first_fail_ms)
        it->first_fail_ms = now;
    it->last_fail_ms = now;
    if (lr_deadletter_write(q->dl, it->ev, reason, it->attempts, it->first_fail_ms, it->last_fail_ms, err,
                            sizeof err) != 0) {
        lr_error(q->name, "%s; the record is kept and retried instead of being lost", err);
        pthread_mutex_lock(&q->lock);
        set_last_error(q, err);
        pthread_mutex_unlock(&q->lock);
        return false;
    }
    lr_warn(q->name, "dead-lettered a record from %s[%d]@%lld: %s", it->ev->source, (int)it->ev->partition,
            (long long)it->ev->offset, reason);
    pthread_mutex_lock(&q->lock);
    q->stats.failed++;
    q->stats.deadlettered++;
    set_last_error(q, reason);
    pthread_mutex_unlock(&q->lock);
    finish_item(q, it, false);
    return true;
}

/* For queue_disk.c (see queue_internal.h). */
void lr_queue_set_last_error(lr_queue *q, const char *reason)
{
    set_last_error(q, reason);
}

bool lr_queue_deadletter_item(lr_queue *q, qitem *it, const char *reason)
{
    return deadletter_item(q, it, reason);
}

static uint64_t next_random(uint64_t *state)
{
    /* xorshift64*: jitter only, not security */
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Full-jitter exponential backoff: uniform in [0, min(max, initial * 2^(attempt-1))]. */
static int64_t backoff_ms(const lr_output_settings *s, uint32_t attempt, uint64_t *rng)
{
    int64_t cap = s->retry_initial_ms;
    for (uint32_t i = 1; i < attempt && cap < s->retry_max_ms; i++)
        cap *= 2;
    if (cap > s->retry_max_ms)
        cap = s->retry_max_ms;
    return (int64_t)(next_random(rng) % (uint64_t)(cap + 1));
}

struct worker {
    lr_queue *q;
    pthread_t thread;
    bool started;
    int index;
    void *wctx;
    qitem *batch; /* items being delivered */
    size_t nbatch;
    const lr_event **evs;
    lr_delivery *out;
    qitem *held;           /* transient failures waiting for their retry */
    size_t *delivered_idx; /* indexes of a batch's delivered events */
    size_t nheld;
    int64_t retry_at_mono;
    uint64_t rng;
    unsigned seen_reopen;
};

/* Keep a transiently failed event with this worker for its next attempt. */
static void hold_for_retry(worker *w, qitem *it, const lr_delivery *d)
{
    lr_queue *q = w->q;
    int64_t now = wall_ms();
    if (!it->first_fail_ms)
        it->first_fail_ms = now;
    it->last_fail_ms = now;
    w->held[w->nheld++] = *it;
    pthread_mutex_lock(&q->lock);
    q->stats.retried++;
    if (d->reason[0])
        set_last_error(q, d->reason);
    pthread_mutex_unlock(&q->lock);
}

/* Finish many delivered events of a memory queue with one lock: a worker
 * finishing a batch must not fight the pipeline thread's pushes record by
 * record (that contention, not the work, was the cost). */
static void finish_delivered(lr_queue *q, qitem *items, const size_t *idx, size_t n)
{
    if (!n)
        return;
    uint64_t bytes = 0;
    for (size_t k = 0; k < n; k++) {
        lr_record_finish(items[idx[k]].rec);
        bytes += items[idx[k]].bytes;
    }
    pthread_mutex_lock(&q->lock);
    q->total_records -= n;
    q->total_bytes -= bytes;
    q->stats.delivered += n;
    update_congestion(q);
    if (q->total_records == 0)
        pthread_cond_broadcast(&q->idle);
    pthread_mutex_unlock(&q->lock);
    for (size_t k = 0; k < n; k++)
        lr_record_unref(items[idx[k]].rec);
}

/* Sort one delivery's results out. Items that must be retried go to w->held. */
static void handle_results(worker *w, qitem *items, size_t n)
{
    lr_queue *q = w->q;
    const lr_output_settings *s = q->set;
    int64_t retry_after = 0;
    size_t nretry = 0;
    uint32_t max_attempts_seen = 0;
    const char *first_reason = NULL;
    size_t ndelivered = 0;
    for (size_t i = 0; i < n; i++) {
        qitem it = items[i];
        const lr_delivery *d = &w->out[i];
        bool retry = false;
        switch (d->result) {
        case LR_DELIVERED:
            if (q->disk)
                finish_item(q, &it, true);
            else
                w->delivered_idx[ndelivered++] = i;
            break;
        case LR_PENDING:
            pthread_mutex_lock(&q->lock);
            if (q->npending == q->cap_pending) {
                q->cap_pending = q->cap_pending ? q->cap_pending * 2 : 64;
                q->pending = realloc(q->pending, q->cap_pending * sizeof *q->pending);
                if (!q->pending)
                    abort();
            }
            q->pending[q->npending++] = it;
            pthread_mutex_unlock(&q->lock);
            break;
        case LR_REJECT:
            it.attempts++;
            retry = !deadletter_item(q, &it, d->reason[0] ? d->reason : "rejected by the output");
            break;
        default: /* LR_RETRY */
            it.attempts++;
            retry = true;
            if (s->retry_max_attempts > 0 && it.attempts >= (uint32_t)s->retry_max_attempts) {
                char reason[320];
                snprintf(reason, sizeof reason, "gave up after %u attempts: %s", it.attempts,
                         d->reason[0] ? d->reason : "transient failure");
                retry = !deadletter_item(q, &it, reason);
            }
            break;
        }
        if (!retry)
            continue;
        hold_for_retry(w, &it, d);
        nretry++;
        if (!first_reason)
            first_reason = d->reason;
        if (it.attempts > max_attempts_seen)
            max_attempts_seen = it.attempts;
        if (d->retry_after_ms > retry_after)
            retry_after = d->retry_after_ms;
    }
    finish_delivered(q, items, w->delivered_idx, ndelivered);
    if (nretry) {
        int64_t delay = backoff_ms(s, max_attempts_seen, &w->rng);
        if (delay < retry_after)
            delay = retry_after;
        w->retry_at_mono = mono_ms() + delay;
        lr_warn(q->name, "%zu record(s) failed transiently (%s); attempt %u, next in %lld ms", nretry,
                first_reason && first_reason[0] ? first_reason : "no reason given", max_attempts_seen + 1,
                (long long)delay);
    }
}

static void deliver_items(worker *w, qitem *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        w->evs[i] = items[i].ev;
    uint32_t attempt = 1;
    for (size_t i = 0; i < n; i++) {
        if (items[i].attempts + 1 > attempt)
            attempt = items[i].attempts + 1;
    }
    lr_instance_call_deliver(w->q->inst, w->wctx, w->evs, n, attempt, w->out);
    handle_results(w, items, n);
    if (w->q->disk)
        lr_qdisk_checkpoint(w->q);
}

/* Called with the lock held; drops it around the module's reopen. */
static void check_reopen(worker *w)
{
    unsigned g = atomic_load(&w->q->reopen_gen);
    if (g == w->seen_reopen)
        return;
    w->seen_reopen = g;
    if (w->q->plugin->reopen) {
        pthread_mutex_unlock(&w->q->lock);
        w->q->plugin->reopen(lr_instance_context(w->q->inst), w->wctx);
        pthread_mutex_lock(&w->q->lock);
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    lr_queue *q = w->q;
    const lr_output_settings *s = q->set;
    void *ctx = lr_instance_context(q->inst);
    size_t bmax = (size_t)s->batch_max_records;
    int64_t last_tick = mono_ms();
    bool flushed_for_drain = false;

    pthread_mutex_lock(&q->lock);
    for (;;) {
        check_reopen(w);
        if (q->stopping)
            break;
        int64_t now = mono_ms();
        if (!q->plugin->tick)
            last_tick = now; /* nothing to pace: never let a past tick time make a wait return at once */
        if (q->plugin->tick && now - last_tick >= 1000) {
            pthread_mutex_unlock(&q->lock);
            q->plugin->tick(ctx, w->wctx, wall_ms());
            if (q->disk)
                lr_qdisk_checkpoint(q);
            pthread_mutex_lock(&q->lock);
            last_tick = now;
            continue;
        }
        /* 1. failed events first, when their time has come */
        if (w->nheld) {
            if (now < w->retry_at_mono && !q->stopping) {
                timed_wait(&q->work, &q->lock,
                           w->retry_at_mono < last_tick + 1000 ? w->retry_at_mono : last_tick + 1000);
                continue;
            }
            size_t n = w->nheld;
            memcpy(w->batch, w->held, n * sizeof *w->batch);
            w->nheld = 0;
            pthread_mutex_unlock(&q->lock);
            deliver_items(w, w->batch, n);
            pthread_mutex_lock(&q->lock);
            continue;
        }
        /* 2. a batch from the queue when full enough, old enough, or draining */
        bool ready = false;
        int64_t wake = last_tick + 1000;
        if (q->count && now >= q->resume_at_mono) {
            int64_t oldest = q->ring[q->head].enq_mono_ms;
            ready = q->count >= bmax || q->queued_bytes >= s->batch_max_bytes || q->draining ||
                    now - oldest >= s->batch_timeout_ms;
            if (!ready && oldest + s->batch_timeout_ms < wake)
                wake = oldest + s->batch_timeout_ms;
        } else if (q->count && q->resume_at_mono < wake) {
            wake = q->resume_at_mono;
        } else if (!q->count && q->disk && lr_qdisk_batch_ready(q, now, &wake)) {
            /* a disk queue's batches come from the spool */
            size_t n = lr_qdisk_take_batch(q, w->batch, bmax);
            if (!n)
                continue;
            pthread_mutex_unlock(&q->lock);
            deliver_items(w, w->batch, n);
            last_tick = mono_ms();
            pthread_mutex_lock(&q->lock);
            continue;
        }
        if (!ready) {
            if (q->draining && !flushed_for_drain && q->count == 0 && (!q->disk || lr_qdisk_empty(q)) &&
                q->plugin->flush) {
                flushed_for_drain = true;
                pthread_mutex_unlock(&q->lock);
                q->plugin->flush(ctx, w->wctx);
                if (q->disk)
                    lr_qdisk_checkpoint(q);
                pthread_mutex_lock(&q->lock);
                continue;
            }
            timed_wait(&q->work, &q->lock, wake);
            continue;
        }
        size_t n = 0;
        uint64_t bytes = 0;
        while (q->count && n < bmax) {
            qitem *it = &q->ring[q->head];
            if (n && bytes + it->bytes > s->batch_max_bytes)
                break;
            w->batch[n++] = *it;
            bytes += it->bytes;
            q->head = (q->head + 1) % q->cap;
            q->count--;
            q->queued_bytes -= it->bytes;
        }
        pthread_mutex_unlock(&q->lock);
        deliver_items(w, w->batch, n);
        last_tick = mono_ms(); /* a delivery counts as activity for tick pacing */
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    if (q->plugin->flush && !flushed_for_drain)
        q->plugin->flush(ctx, w->wctx);
    /* events still held for retry are released without being finished: the
     * input never acknowledges them, so they are read again next time */
    for (size_t i = 0; i < w->nheld; i++)
        lr_record_unref(w->held[i].rec);
    w->nheld = 0;
    if (q->plugin->worker_fini)
        q->plugin->worker_fini(ctx, w->wctx);
    return NULL;
}

/* The FIFO's next free slot, growing the ring when full (push never blocks:
 * the bound is enforced by backpressure, not here). Lock held. */
static qitem *ring_slot(lr_queue *q)
{
    q->ring = lr_ring_make_room(q->ring, sizeof *q->ring, &q->cap, &q->head, q->count, 1024);
    return &q->ring[(q->head + q->count) % q->cap];
}

static void ring_append(lr_queue *q, const qitem *it)
{
    *ring_slot(q) = *it;
}

static void complete_handler(void *arg, const lr_event *ev, lr_result result, const char *reason)
{
    lr_queue *q = arg;
    pthread_mutex_lock(&q->lock);
    size_t i = 0;
    while (i < q->npending && q->pending[i].ev != ev)
        i++;
    if (i == q->npending) {
        pthread_mutex_unlock(&q->lock);
        lr_error(q->name, "module completed an event that is not pending (ignored)");
        return;
    }
    qitem it = q->pending[i];
    q->pending[i] = q->pending[--q->npending];
    if (result == LR_RETRY) {
        /* back into the queue; the whole output waits a backoff period */
        it.attempts++;
        static _Thread_local uint64_t rng = 0x9e3779b97f4a7c15ULL;
        q->resume_at_mono = mono_ms() + backoff_ms(q->set, it.attempts, &rng);
        q->stats.retried++;
        if (reason)
            set_last_error(q, reason);
        ring_append(q, &it);
        q->count++;
        q->queued_bytes += it.bytes;
        pthread_cond_broadcast(&q->work);
        pthread_mutex_unlock(&q->lock);
        return;
    }
    pthread_mutex_unlock(&q->lock);
    if (result == LR_DELIVERED || result == LR_PENDING) {
        finish_item(q, &it, true);
    } else {
        it.attempts++;
        if (!deadletter_item(q, &it, reason && *reason ? reason : "rejected by the output")) {
            /* cannot dead-letter: keep it, as a retry */
            complete_handler(arg, ev, LR_RETRY, reason);
        }
    }
}

lr_queue *lr_queue_create(lr_instance *inst)
{
    lr_queue *q = calloc(1, sizeof *q);
    if (!q)
        abort();
    q->inst = inst;
    q->set = lr_instance_settings(inst);
    q->plugin = lr_instance_plugin(inst);
    q->name = lr_instance_get_name(inst);
    q->dl = lr_deadletter_create(q->set->deadletter_path, q->set->deadletter_max_bytes, q->name);
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->work, &ca);
    pthread_cond_init(&q->idle, &ca);
    pthread_condattr_destroy(&ca);
    q->cap = 1024;
    q->ring = malloc(q->cap * sizeof *q->ring);
    if (!q->ring)
        abort();
    lr_instance_set_complete_handler(inst, complete_handler, q);
    if (q->set->queue_type == 1)
        lr_qdisk_create(q); /* before the workers: they read what it recovered */

    q->nworkers = (int)q->set->workers;
    q->workers = calloc((size_t)q->nworkers, sizeof *q->workers);
    if (!q->workers)
        abort();
    size_t bmax = (size_t)q->set->batch_max_records;
    for (int i = 0; i < q->nworkers; i++) {
        worker *w = calloc(1, sizeof *w);
        if (!w)
            abort();
        q->workers[i] = w;
        w->q = q;
        w->index = i;
        w->batch = malloc(bmax * sizeof *w->batch);
        w->held = malloc(bmax * sizeof *w->held);
        w->delivered_idx = malloc(bmax * sizeof *w->delivered_idx);
        w->evs = malloc(bmax * sizeof *w->evs);
        w->out = malloc(bmax * sizeof *w->out);
        if (!w->batch || !w->held || !w->delivered_idx || !w->evs || !w->out)
            abort();
        w->rng = (uint64_t)wall_ms() * 2654435761u + (uint64_t)i + 1;
        if (q->plugin->worker_init && q->plugin->worker_init(lr_instance_context(inst), &w->wctx) != 0) {
            lr_error(q->name, "worker %d failed to start", i);
            continue;
        }
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            lr_error(q->name, "cannot start worker thread %d", i);
            abort();
        }
        w->started = true;
    }
    return q;
}

void lr_queue_push(lr_queue *q, lr_record *rec, const lr_event *ev)
{
    size_t bytes = ev->json_len + ev->raw_len + 64;
    lr_record_ref(rec);
    lr_record_hold(rec, 1);
    pthread_mutex_lock(&q->lock);
    if (q->disk) {
        qitem it = {.rec = rec, .ev = ev, .bytes = bytes, .enq_mono_ms = mono_ms()};
        lr_qdisk_push(q, &it);
        q->total_records++;
        q->total_bytes += bytes;
        q->stats.received++;
        update_congestion(q);
        pthread_mutex_unlock(&q->lock);
        return;
    }
    qitem *it = ring_slot(q);
    it->rec = rec;
    it->ev = ev;
    it->bytes = bytes;
    it->enq_mono_ms = mono_coarse_ms();
    it->attempts = 0;
    it->first_fail_ms = it->last_fail_ms = 0;
    q->count++;
    q->queued_bytes += bytes;
    q->total_records++;
    q->total_bytes += bytes;
    q->stats.received++;
    update_congestion(q);
    /* Wake a worker only when it has something to decide: the first item
     * (arms the batch timeout) or a full batch. Avoids a wake-up per record. */
    if (q->count == 1 || q->count == (size_t)q->set->batch_max_records ||
        q->queued_bytes >= q->set->batch_max_bytes)
        pthread_cond_signal(&q->work);
    pthread_mutex_unlock(&q->lock);
}

bool lr_queue_congested(lr_queue *q)
{
    return atomic_load(&q->congested);
}

bool lr_queue_drain(lr_queue *q, int64_t deadline_ms)
{
    pthread_mutex_lock(&q->lock);
    q->draining = true;
    pthread_cond_broadcast(&q->work);
    if (q->disk)
        lr_qdisk_wake(q);
    while (q->total_records > 0 && mono_ms() < deadline_ms)
        timed_wait(&q->idle, &q->lock, deadline_ms < mono_ms() + 200 ? deadline_ms : mono_ms() + 200);
    bool empty = q->total_records == 0;
    pthread_mutex_unlock(&q->lock);
    return empty;
}

void lr_queue_reopen(lr_queue *q)
{
    atomic_fetch_add(&q->reopen_gen, 1);
    pthread_mutex_lock(&q->lock);
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
}

void lr_queue_get_stats(lr_queue *q, lr_queue_stats *out)
{
    pthread_mutex_lock(&q->lock);
    *out = q->stats;
    out->depth_records = q->total_records;
    out->depth_bytes = q->total_bytes;
    out->oldest_age_ms = q->count ? mono_ms() - q->ring[q->head].enq_mono_ms : 0;
    if (q->disk)
        lr_qdisk_stats(q, out);
    pthread_mutex_unlock(&q->lock);
}

uint64_t lr_queue_unfinished(lr_queue *q)
{
    pthread_mutex_lock(&q->lock);
    uint64_t n = q->disk ? lr_qdisk_staged(q) : q->total_records;
    pthread_mutex_unlock(&q->lock);
    return n;
}

const lr_instance *lr_queue_instance(const lr_queue *q)
{
    return q->inst;
}

void lr_queue_destroy(lr_queue *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    q->stopping = true;
    pthread_cond_broadcast(&q->work);
    if (q->disk)
        lr_qdisk_wake(q);
    pthread_mutex_unlock(&q->lock);
    for (int i = 0; i < q->nworkers; i++) {
        worker *w = q->workers[i];
        if (w->started)
            pthread_join(w->thread, NULL);
        free(w->batch);
        free(w->held);
        free(w->delivered_idx);
        free(w->evs);
        free(w->out);
        free(w);
    }
    /* Workers are gone; release whatever was never finished. (Disk queue:
     * their entries stay in the spool, unacknowledged.) */
    for (size_t k = 0; k < q->count; k++)
        lr_record_unref(q->ring[(q->head + k) % q->cap].rec);
    for (size_t k = 0; k < q->npending; k++)
        lr_record_unref(q->pending[k].rec);
    if (q->disk)
        lr_qdisk_destroy(q);
    lr_instance_set_complete_handler(q->inst, NULL, NULL);
    lr_deadletter_destroy(q->dl);
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->idle);
    pthread_mutex_destroy(&q->lock);
    free(q->ring);
    free(q->pending);
    free(q->workers);
    free(q);
}
