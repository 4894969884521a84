/*
 * queue_disk.c: the disk side of an output queue with `queue.type: disk`.
 *
 *   lr_queue_push (pipeline thread) -> stage (memory, bounded by
 *   queue.max_records) -> spool writer thread: encode, append a group,
 *   commit (write + fsync) -> finish those records: acknowledged towards the
 *   input. A long sink outage therefore holds neither Kafka offsets nor
 *   memory: the records wait in the spool.
 *
 *   workers (queue.c) -> read a batch of spool entries, decode them into new
 *   records -> deliver with the usual retry/backoff/dead letter -> delivered
 *   or dead-lettered: acknowledge the entry -> after each delivery a
 *   checkpoint persists the acknowledged watermark and deletes segments that
 *   were delivered completely.
 *
 * fsync policy (queue.fsync_interval): 0 commits every group the writer takes
 * (everything staged while the previous fsync ran: group commit, never one
 * fsync per record); N ms commits at most once every N ms. Draining skips the
 * wait.
 *
 * Backpressure: the queue is congested while the spool refuses appends
 * (full), while bytes on disk plus staged bytes reach queue.max_bytes, or
 * while queue.max_records events are staged (the spool cannot be written);
 * it clears below 3/4 of those bounds.
 *
 * Threading: everything here is guarded by q->lock, except the spool (which
 * has its own locks) and the writer's group buffer. One worker reads the
 * spool at a time (d->reading).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/queue_internal.h"
#include "util/ring.h"
#include "queue/spool.h"
#include "queue/spool_codec.h"
#include "util/buf.h"
#include "util/log.h"

#define GROUP_MAX 4096
#define RETRY_MS 1000 /* writer after a full spool or an I/O error; reader after a read error */
#define OPEN_RETRY_MS 5000

struct qdisk {
    lr_spool *spool; /* NULL while it cannot be opened */
    int64_t open_retry_at;
    bool open_error_logged;
    qitem *stage; /* ring: pushed events waiting for the writer */
    size_t stage_cap, stage_head, stage_count;
    uint64_t stage_bytes;
    pthread_cond_t wake; /* writer: staged, room freed, drain, stop */
    pthread_t writer;
    bool writer_started;
    bool blocked; /* the spool refused an append: full */
    bool write_error_logged;
    int64_t write_retry_at;
    bool reading; /* a worker is reading the spool */
    int64_t read_retry_at;
    uint64_t unread, unread_bytes, disk_bytes; /* the spool's counters as of the last sync */
    int64_t avail_since;                       /* mono: unread entries have been waiting since */
    lr_spool_entry *entries;                   /* the reading worker's buffer */
    size_t entries_cap;
};

/* Lock held. Copy the spool's counters and recompute the queue's totals. */
static void sync_counts(lr_queue *q)
{
    qdisk *d = q->disk;
    lr_spool_stats st = {0};
    if (d->spool)
        lr_spool_get_stats(d->spool, &st);
    if (!d->unread && st.unread_entries)
        d->avail_since = lr_queue_mono_ms();
    d->unread = st.unread_entries;
    d->unread_bytes = st.unread_bytes;
    d->disk_bytes = st.disk_bytes;
    q->total_records = d->stage_count + st.unacked_entries;
    q->total_bytes = d->stage_bytes + st.unacked_bytes;
    lr_qdisk_update_congestion(q);
    if (q->total_records == 0)
        pthread_cond_broadcast(&q->idle);
}

void lr_qdisk_update_congestion(lr_queue *q)
{
    qdisk *d = q->disk;
    uint64_t maxr = (uint64_t)q->set->queue_max_records, maxb = q->set->queue_max_bytes;
    uint64_t bytes = d->disk_bytes + d->stage_bytes;
    if (d->blocked || d->stage_count >= maxr || bytes >= maxb)
        atomic_store(&q->congested, true);
    else if (d->stage_count < maxr / 4 * 3 && bytes < maxb / 4 * 3)
        atomic_store(&q->congested, false);
}

/* ---- opening the spool ---------------------------------------------------- */

/* Lock NOT held. */
static void open_spool(lr_queue *q)
{
    qdisk *d = q->disk;
    lr_spool_options o = {.dir = q->set->queue_path,
                          .max_bytes = q->set->queue_max_bytes,
                          .name = q->name,
                          .entry_time = lr_spool_payload_time};
    lr_spool_recovery rec;
    char err[512];
    lr_spool *sp = lr_spool_open(&o, &rec, err, sizeof err);
    pthread_mutex_lock(&q->lock);
    if (!sp) {
        if (!d->open_error_logged)
            lr_error(q->name,
                     "%s; records wait in memory (the input pauses when queue.max_records are "
                     "waiting) and the spool is tried again every %d s",
                     err, OPEN_RETRY_MS / 1000);
        d->open_error_logged = true;
        lr_queue_set_last_error(q, err);
        d->open_retry_at = lr_queue_mono_ms() + OPEN_RETRY_MS;
        pthread_mutex_unlock(&q->lock);
        return;
    }
    d->spool = sp;
    if (d->open_error_logged)
        lr_info(q->name, "spool %s is open now", q->set->queue_path);
    if (rec.entries)
        lr_info(q->name,
                "spool %s: %" PRIu64 " records (%" PRIu64 " bytes) from an earlier run are delivered first",
                q->set->queue_path, rec.entries, rec.bytes);
    sync_counts(q);
    pthread_cond_broadcast(&q->work);
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&q->lock);
}

/* ---- the writer ------------------------------------------------------------ */

/* Lock held. Drop n events from the front of the stage. */
static void stage_drop(qdisk *d, const qitem *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d->stage_bytes -= items[i].bytes;
    d->stage_head = (d->stage_head + n) % d->stage_cap;
    d->stage_count -= n;
}

/* An event too large for a spool entry: dead-letter it here, it cannot wait
 * anywhere. Lock NOT held. */
static void spool_refused(lr_queue *q, qitem *it)
{
    char err[512];
    const char *reason = "record too large for the disk spool";
    int64_t now = lr_queue_wall_ms();
    if (lr_deadletter_write(q->dl, it->ev, reason, 0, now, now, err, sizeof err) != 0) {
        lr_error(q->name, "%s: %s; it is not acknowledged (the input delivers it again after a restart)",
                 reason, err);
        lr_record_unref(it->rec);
        return;
    }
    lr_warn(q->name, "dead-lettered a record from %s[%d]@%lld: %s", it->ev->source, (int)it->ev->partition,
            (long long)it->ev->offset, reason);
    lr_record_finish(it->rec);
    lr_record_unref(it->rec);
    pthread_mutex_lock(&q->lock);
    q->stats.failed++;
    q->stats.deadlettered++;
    lr_queue_set_last_error(q, reason);
    pthread_mutex_unlock(&q->lock);
}

/* Append and commit one group; finish what became durable. Lock NOT held
 * on entry, held on return. */
static void write_group(lr_queue *q, qitem *group, size_t n, lr_buf *payload)
{
    qdisk *d = q->disk;
    lr_spool_stats st;
    lr_spool_get_stats(d->spool, &st);
    uint64_t before = st.committed_total;
    char err[512] = "";
    int rc = 0;
    size_t i = 0;
    bool too_big = false;
    int64_t wall = lr_queue_wall_ms();
    for (; i < n; i++) {
        if (!lr_spool_encode_event(payload, group[i].ev, wall)) {
            too_big = true;
            break;
        }
        rc = lr_spool_append(d->spool, payload->data, payload->len, err, sizeof err);
        if (rc != 0)
            break;
    }
    if (rc != -1 && lr_spool_commit(d->spool, err, sizeof err) != 0)
        rc = -1;
    lr_spool_get_stats(d->spool, &st);
    size_t durable = (size_t)(st.committed_total - before);
    /* Completion before the totals drop (as for memory queues): drain sees every done() */
    for (size_t k = 0; k < durable; k++) {
        lr_record_finish(group[k].rec);
        lr_record_unref(group[k].rec);
    }
    size_t dropped = durable;
    if (too_big && rc == 0 && durable == i) {
        spool_refused(q, &group[i]);
        dropped++;
    }
    pthread_mutex_lock(&q->lock);
    stage_drop(d, group, dropped);
    int64_t now = lr_queue_mono_ms();
    if (rc == LR_SPOOL_FULL) {
        d->blocked = true;
        d->write_retry_at = now + RETRY_MS; /* or sooner, when a checkpoint frees room */
    } else if (rc != 0) {
        if (!d->write_error_logged)
            lr_error(q->name, "%s; records wait in memory and the write is retried every %d s", err,
                     RETRY_MS / 1000);
        d->write_error_logged = true;
        lr_queue_set_last_error(q, err);
        d->write_retry_at = now + RETRY_MS;
    } else {
        if (d->write_error_logged)
            lr_info(q->name, "spool %s: writing works again", q->set->queue_path);
        d->write_error_logged = false;
        d->blocked = false;
        d->write_retry_at = 0;
    }
    sync_counts(q);
    if (durable)
        pthread_cond_broadcast(&q->work);
}

static void *writer_main(void *arg)
{
    lr_queue *q = arg;
    qdisk *d = q->disk;
    lr_buf payload;
    lr_buf_init(&payload, LR_SPOOL_MAX_ENTRY);
    qitem *group = malloc(GROUP_MAX * sizeof *group);
    if (!group)
        abort();
    int64_t last_commit = 0;
    int64_t fsync_ms = q->set->spool_fsync_ms;

    pthread_mutex_lock(&q->lock);
    while (!q->stopping) {
        int64_t now = lr_queue_mono_ms();
        if (!d->spool) {
            if (now >= d->open_retry_at) {
                pthread_mutex_unlock(&q->lock);
                open_spool(q);
                pthread_mutex_lock(&q->lock);
            } else {
                lr_queue_timed_wait(&d->wake, &q->lock, d->open_retry_at);
            }
            continue;
        }
        if (!d->stage_count) {
            lr_queue_timed_wait(&d->wake, &q->lock, now + 1000);
            continue;
        }
        int64_t due = d->write_retry_at;
        if (fsync_ms > 0 && !q->draining && last_commit + fsync_ms > due)
            due = last_commit + fsync_ms;
        if (now < due) {
            lr_queue_timed_wait(&d->wake, &q->lock, due);
            continue;
        }
        size_t n = d->stage_count < GROUP_MAX ? d->stage_count : GROUP_MAX;
        for (size_t i = 0; i < n; i++)
            group[i] = d->stage[(d->stage_head + i) % d->stage_cap];
        pthread_mutex_unlock(&q->lock);
        write_group(q, group, n, &payload);
        last_commit = lr_queue_mono_ms();
    }
    pthread_mutex_unlock(&q->lock);
    lr_buf_free(&payload);
    free(group);
    return NULL;
}

/* ---- the queue's hooks ------------------------------------------------------ */

void lr_qdisk_create(lr_queue *q)
{
    qdisk *d = calloc(1, sizeof *d);
    if (!d)
        abort();
    q->disk = d;
    d->stage_cap = 1024;
    d->stage = malloc(d->stage_cap * sizeof *d->stage);
    if (!d->stage)
        abort();
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->wake, &ca);
    pthread_condattr_destroy(&ca);
    open_spool(q);
    if (pthread_create(&d->writer, NULL, writer_main, q) != 0) {
        lr_error(q->name, "cannot start the spool writer thread");
        abort();
    }
    d->writer_started = true;
}

void lr_qdisk_destroy(lr_queue *q)
{
    qdisk *d = q->disk;
    pthread_mutex_lock(&q->lock);
    pthread_cond_broadcast(&d->wake);
    pthread_mutex_unlock(&q->lock);
    if (d->writer_started)
        pthread_join(d->writer, NULL);
    if (d->stage_count)
        lr_info(q->name, "%zu records were not spooled yet: not acknowledged, the input delivers them again",
                d->stage_count);
    for (size_t k = 0; k < d->stage_count; k++)
        lr_record_unref(d->stage[(d->stage_head + k) % d->stage_cap].rec);
    if (d->spool) {
        lr_spool_stats st;
        lr_spool_get_stats(d->spool, &st);
        if (st.unacked_entries)
            lr_info(q->name, "%" PRIu64 " records stay spooled in %s for the next start", st.unacked_entries,
                    q->set->queue_path);
        lr_spool_close(d->spool);
    }
    pthread_cond_destroy(&d->wake);
    free(d->stage);
    free(d->entries);
    free(d);
    q->disk = NULL;
}

void lr_qdisk_push(lr_queue *q, const qitem *it)
{
    qdisk *d = q->disk;
    d->stage =
        lr_ring_make_room(d->stage, sizeof *d->stage, &d->stage_cap, &d->stage_head, d->stage_count, 1024);
    d->stage[(d->stage_head + d->stage_count) % d->stage_cap] = *it;
    d->stage_count++;
    d->stage_bytes += it->bytes;
    /* the writer sleeps only when the stage is empty (or on a timer) */
    if (d->stage_count == 1)
        pthread_cond_signal(&d->wake);
}

void lr_qdisk_finish(lr_queue *q, qitem *it, bool delivered)
{
    qdisk *d = q->disk;
    lr_spool_ack(d->spool, it->spool_id);
    lr_record_unref(it->rec);
    pthread_mutex_lock(&q->lock);
    if (delivered)
        q->stats.delivered++;
    sync_counts(q);
    pthread_mutex_unlock(&q->lock);
}

static void lower(int64_t *wake, int64_t t)
{
    if (t < *wake)
        *wake = t;
}

bool lr_qdisk_batch_ready(lr_queue *q, int64_t now, int64_t *wake)
{
    qdisk *d = q->disk;
    if (!d->spool || !d->unread || d->reading)
        return false;
    if (now < q->resume_at_mono) {
        lower(wake, q->resume_at_mono);
        return false;
    }
    if (now < d->read_retry_at) {
        lower(wake, d->read_retry_at);
        return false;
    }
    if (d->unread >= (uint64_t)q->set->batch_max_records || d->unread_bytes >= q->set->batch_max_bytes ||
        q->draining)
        return true;
    int64_t due = d->avail_since + q->set->batch_timeout_ms;
    if (now >= due)
        return true;
    lower(wake, due);
    return false;
}

/* An entry whose frame is intact but whose payload is not an event (written
 * by a newer version?): it goes to the dead-letter file, as its raw bytes. */
static void undecodable(lr_queue *q, const lr_spool_entry *e, const char *why)
{
    lr_record *rec = lr_record_new(e->data, e->len, 0);
    lr_record_set_parse_error(rec, "spool", why);
    lr_record_encode_json(rec);
    qitem it = {.rec = rec,
                .ev = &rec->ev,
                .bytes = e->len + LR_SPOOL_FRAME_HEADER,
                .enq_mono_ms = lr_queue_mono_ms(),
                .spool_id = e->id};
    char reason[400];
    snprintf(reason, sizeof reason, "undecodable spool entry: %s", why);
    if (!lr_queue_deadletter_item(q, &it, reason)) {
        lr_error(q->name, "a spool entry that can be neither decoded nor dead-lettered is dropped (%s)", why);
        lr_qdisk_finish(q, &it, false);
    }
}

size_t lr_qdisk_take_batch(lr_queue *q, qitem *out, size_t max)
{
    qdisk *d = q->disk;
    lr_spool *sp = d->spool;
    d->reading = true;
    pthread_mutex_unlock(&q->lock);
    if (d->entries_cap < max) {
        free(d->entries);
        d->entries = malloc(max * sizeof *d->entries);
        if (!d->entries)
            abort();
        d->entries_cap = max;
    }
    lr_spool_read_result r = lr_spool_read(sp, d->entries, max, q->set->batch_max_bytes);
    int64_t now = lr_queue_mono_ms();
    size_t n = 0;
    for (size_t i = 0; i < r.count; i++) {
        const lr_spool_entry *e = &d->entries[i];
        char err[256];
        lr_record *rec = lr_spool_decode_event(e->data, e->len, err, sizeof err);
        if (!rec) {
            undecodable(q, e, err);
            continue;
        }
        qitem it = {.rec = rec,
                    .ev = &rec->ev,
                    .bytes = e->len + LR_SPOOL_FRAME_HEADER,
                    .enq_mono_ms = now,
                    .spool_id = e->id};
        out[n++] = it;
    }
    pthread_mutex_lock(&q->lock);
    d->reading = false;
    sync_counts(q);
    if (!r.count && !r.lost_entries && d->unread)
        d->read_retry_at = now + RETRY_MS; /* a read error (logged by the spool): not in a tight loop */
    if (d->unread)
        pthread_cond_broadcast(&q->work); /* another worker may take the next batch */
    return n;
}

void lr_qdisk_checkpoint(lr_queue *q)
{
    qdisk *d = q->disk;
    pthread_mutex_lock(&q->lock);
    lr_spool *sp = d->spool;
    pthread_mutex_unlock(&q->lock);
    if (!sp || !lr_spool_checkpoint(sp))
        return;
    pthread_mutex_lock(&q->lock);
    sync_counts(q);
    if (d->blocked) {
        d->write_retry_at = 0;
        pthread_cond_signal(&d->wake);
    }
    pthread_mutex_unlock(&q->lock);
}

bool lr_qdisk_empty(lr_queue *q)
{
    return q->disk->stage_count == 0 && q->disk->unread == 0;
}

uint64_t lr_qdisk_staged(lr_queue *q)
{
    return q->disk->stage_count;
}

void lr_qdisk_wake(lr_queue *q)
{
    pthread_cond_broadcast(&q->disk->wake);
}

void lr_qdisk_stats(lr_queue *q, lr_queue_stats *out)
{
    qdisk *d = q->disk;
    int64_t age = out->oldest_age_ms, mono = lr_queue_mono_ms();
    if (d->stage_count && mono - d->stage[d->stage_head].enq_mono_ms > age)
        age = mono - d->stage[d->stage_head].enq_mono_ms;
    lr_spool_stats st = {0};
    if (d->spool)
        lr_spool_get_stats(d->spool, &st);
    if (st.oldest_ms > 0 && lr_queue_wall_ms() - st.oldest_ms > age)
        age = lr_queue_wall_ms() - st.oldest_ms;
    else if (!st.oldest_ms && d->unread && mono - d->avail_since > age)
        age = mono - d->avail_since;
    out->oldest_age_ms = age;
}
