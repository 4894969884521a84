/*
 * pipeline.c: parse -> route -> enqueue, and the per-message completion
 * count that turns "every output finished every record of this message"
 * into one done() call for the input. Parsed records wait in a batch (up to
 * LR_ROUTES_BATCH records or LR_ROUTES_BATCH_BYTES of them) and are routed
 * together: lr_routes_dispatch_batch evaluates each condition over the whole
 * batch, several times cheaper per record than one record at a time. The
 * input flushes the batch whenever it has nothing more at hand.
 * Threading: submit on the input thread; record_done on any thread.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/pipeline_internal.h"
#include "record/source_names.h"

typedef struct msg_tracker {
    atomic_uint remaining; /* records of this message not yet finished */
    atomic_uint refs;      /* records still alive that point here (freed at zero) */
    lr_msg_done_fn done;
    void *origin;
    lr_pipeline *pipeline;
} msg_tracker;

struct lr_pipeline {
    const lr_routes *routes;
    lr_queue *const *queues;
    size_t nqueues;
    lr_record *batch[LR_ROUTES_BATCH]; /* parsed, waiting to be routed */
    size_t nbatch;
    size_t batch_bytes;       /* lr_record_bytes of the batch's records */
    lr_route_target *targets; /* LR_ROUTES_BATCH rows of nqueues + 1 */
    size_t counts[LR_ROUTES_BATCH];
    lr_record **emitted; /* records of the message being submitted */
    /* the last source seen, as given and as lr_source_name's copy */
    const char *source_given, *source_name;
    size_t nemitted, cap_emitted;
    lr_parse_stats stats;
    uint64_t messages, records;
    atomic_uint_fast64_t inflight;
};

lr_pipeline *lr_pipeline_create(const lr_routes *routes, lr_queue *const *queues, size_t nqueues)
{
    lr_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->routes = routes;
    p->queues = queues;
    p->nqueues = nqueues;
    p->targets = calloc(LR_ROUTES_BATCH * (nqueues + 1), sizeof *p->targets);
    p->cap_emitted = 8;
    p->emitted = malloc(p->cap_emitted * sizeof *p->emitted);
    if (!p->targets || !p->emitted)
        abort();
    return p;
}

void lr_pipeline_destroy(lr_pipeline *p)
{
    if (!p)
        return;
    /* Inputs flush before they stop (lr_agent_drain does too); a record
     * still here was never routed and its message never finished, so it is
     * read again on the next start. The queues may be gone: do not route. */
    for (size_t i = 0; i < p->nbatch; i++)
        lr_record_unref(p->batch[i]);
    free(p->targets);
    free(p->emitted);
    free(p);
}

static void collect(lr_record *rec, void *arg)
{
    lr_pipeline *p = arg;
    if (p->nemitted == p->cap_emitted) {
        p->cap_emitted *= 2;
        p->emitted = realloc(p->emitted, p->cap_emitted * sizeof *p->emitted);
        if (!p->emitted)
            abort();
    }
    p->emitted[p->nemitted++] = rec;
}

static void tracker_release(void *origin)
{
    msg_tracker *t = origin;
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
        free(t);
}

static void record_done(lr_record *rec, void *origin)
{
    (void)rec;
    msg_tracker *t = origin;
    if (atomic_fetch_sub_explicit(&t->remaining, 1, memory_order_acq_rel) != 1)
        return;
    lr_pipeline *p = t->pipeline;
    if (t->done)
        t->done(t->origin);
    atomic_fetch_sub_explicit(&p->inflight, 1, memory_order_relaxed);
}

/* lr_source_name(source), looked up again only when the input's string
 * changes (its pointer, or its text: an input may reuse its buffer). */
static const char *source_name(lr_pipeline *p, const char *source)
{
    if (source != p->source_given || strcmp(source, p->source_name) != 0) {
        p->source_name = lr_source_name(source);
        p->source_given = source;
    }
    return p->source_name;
}

void lr_pipeline_submit(lr_pipeline *p, lr_format fmt, const lr_parse_options *opt, const char *msg,
                        size_t len, const lr_msg_meta *meta, lr_msg_done_fn done, void *origin)
{
    p->nemitted = 0;
    lr_parse_message_at(fmt, opt, msg, len, meta ? meta->timestamp_ms : 0, &p->stats, collect, p);
    p->messages++;
    /* One record (nearly always): the tracker lives in that record's arena and
     * goes with it. Several: a shared tracker freed by the last of them. */
    bool shared = p->nemitted != 1;
    msg_tracker *t = shared ? malloc(sizeof *t) : lr_record_alloc(p->emitted[0], sizeof *t);
    if (!t)
        abort();
    atomic_init(&t->remaining, (unsigned)p->nemitted);
    atomic_init(&t->refs, (unsigned)p->nemitted);
    t->done = done;
    t->origin = origin;
    t->pipeline = p;
    atomic_fetch_add_explicit(&p->inflight, 1, memory_order_relaxed);
    if (p->nemitted == 0) { /* parsers always emit; be safe anyway */
        atomic_init(&t->remaining, 1);
        atomic_init(&t->refs, 1);
        record_done(NULL, t);
        tracker_release(t);
        return;
    }
    for (size_t i = 0; i < p->nemitted; i++) {
        lr_record *rec = p->emitted[i];
        if (meta) {
            if (meta->source)
                lr_record_set_source_name(rec, source_name(p, meta->source));
            rec->ev.partition = meta->partition;
            rec->ev.offset = meta->offset;
            if (meta->key)
                lr_record_set_key(rec, meta->key, meta->key_len);
        }
        rec->done = record_done;
        rec->release = shared ? tracker_release : NULL;
        rec->origin = t;
        lr_record_hold(rec, 1); /* routing guard: done cannot fire while we still push */
        p->batch[p->nbatch++] = rec;
        p->batch_bytes += lr_record_bytes(rec);
        if (p->nbatch == LR_ROUTES_BATCH || p->batch_bytes >= LR_ROUTES_BATCH_BYTES)
            lr_pipeline_flush(p);
    }
}

void lr_pipeline_flush(lr_pipeline *p)
{
    if (!p->nbatch)
        return;
    size_t width = p->nqueues + 1;
    lr_routes_dispatch_batch(p->routes, p->batch, p->nbatch, p->targets, width, p->counts);
    for (size_t i = 0; i < p->nbatch; i++) {
        lr_record *rec = p->batch[i];
        const lr_route_target *t = p->targets + i * width;
        for (size_t k = 0; k < p->counts[i]; k++)
            lr_queue_push(p->queues[t[k].output], rec, t[k].ev);
        p->records++;
        lr_record_finish(rec);
        lr_record_unref(rec);
    }
    p->nbatch = 0;
    p->batch_bytes = 0;
}

size_t lr_pipeline_pending(const lr_pipeline *p)
{
    return p->nbatch;
}

bool lr_pipeline_congested(lr_pipeline *p)
{
    for (size_t i = 0; i < p->nqueues; i++) {
        if (lr_queue_congested(p->queues[i]))
            return true;
    }
    return false;
}

uint64_t lr_pipeline_inflight(lr_pipeline *p)
{
    return atomic_load_explicit(&p->inflight, memory_order_relaxed);
}

const lr_parse_stats *lr_pipeline_parse_stats(const lr_pipeline *p)
{
    return &p->stats;
}

uint64_t lr_pipeline_messages(const lr_pipeline *p)
{
    return p->messages;
}

uint64_t lr_pipeline_records(const lr_pipeline *p)
{
    return p->records;
}
