/*
 * kafka_offsets.c: per-partition contiguous watermark tracking (see
 * kafka_offsets.h for the contract and the threading rules).
 *
 * Each partition keeps a ring of the offsets it has begun, in order, plus a
 * bitmap of which ring slots are finished. Ring positions are absolute
 * sequence numbers (slot = seq & mask), so a token only needs its sequence
 * number to find its slot after the ring has grown. The oldest slot in the
 * ring is always unfinished: finishing it pops every finished slot behind it,
 * and the watermark is the offset of the new oldest slot (or last begun + 1
 * when the ring is empty).
 */
#include "input/kafka_offsets.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct lr_offsets_part {
    pthread_mutex_t mu;
    atomic_uint refs; /* 1 while in the table + 1 per token in flight */
    char *topic;
    int32_t partition;
    lr_offsets_part *next; /* hash chain */

    /* under mu */
    bool revoked;
    bool dirty;         /* watermark changed since the last collect */
    int64_t *offs;      /* ring of begun offsets */
    uint64_t *done;     /* one bit per ring slot */
    size_t cap;         /* power of two, or 0 before the first begin */
    uint64_t head;      /* seq of the oldest unfinished slot */
    uint64_t tail;      /* seq of the next slot to fill */
    int64_t last_begun; /* -1 before the first begin */
    int64_t watermark;  /* -1 before the first begin */
    uint64_t inflight;
};

struct lr_offsets_token {
    lr_offsets_part *part;
    uint64_t seq;
};

struct lr_offsets {
    lr_offsets_part **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
};

#define LR_OFFSETS_MIN_CAP 64

static uint64_t part_hash(const char *topic, int32_t partition)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    h = (h ^ (uint32_t)partition) * 1099511628211ull;
    return h ^ (h >> 29);
}

static void part_unref(lr_offsets_part *part)
{
    if (atomic_fetch_sub(&part->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&part->mu);
    free(part->offs);
    free(part->done);
    free(part->topic);
    free(part);
}

lr_offsets *lr_offsets_new(void)
{
    lr_offsets *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->nbuckets = 16;
    o->buckets = calloc(o->nbuckets, sizeof *o->buckets);
    if (!o->buckets) {
        free(o);
        return NULL;
    }
    return o;
}

static void part_detach(lr_offsets_part *part)
{
    pthread_mutex_lock(&part->mu);
    part->revoked = true;
    pthread_mutex_unlock(&part->mu);
    part_unref(part);
}

void lr_offsets_free(lr_offsets *o)
{
    if (!o)
        return;
    for (size_t i = 0; i < o->nbuckets; i++) {
        lr_offsets_part *p = o->buckets[i];
        while (p) {
            lr_offsets_part *next = p->next;
            part_detach(p);
            p = next;
        }
    }
    free(o->buckets);
    free(o);
}

lr_offsets_part *lr_offsets_find(lr_offsets *o, const char *topic, int32_t partition)
{
    size_t b = part_hash(topic, partition) & (o->nbuckets - 1);
    for (lr_offsets_part *p = o->buckets[b]; p; p = p->next)
        if (p->partition == partition && !strcmp(p->topic, topic))
            return p;
    return NULL;
}

/* Keep chains short: double the bucket array when it is fuller than 1. */
static void table_grow(lr_offsets *o)
{
    size_t n = o->nbuckets * 2;
    lr_offsets_part **nb = calloc(n, sizeof *nb);
    if (!nb)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < o->nbuckets; i++) {
        lr_offsets_part *p = o->buckets[i];
        while (p) {
            lr_offsets_part *next = p->next;
            size_t b = part_hash(p->topic, p->partition) & (n - 1);
            p->next = nb[b];
            nb[b] = p;
            p = next;
        }
    }
    free(o->buckets);
    o->buckets = nb;
    o->nbuckets = n;
}

lr_offsets_part *lr_offsets_assign(lr_offsets *o, const char *topic, int32_t partition)
{
    lr_offsets_part *p = lr_offsets_find(o, topic, partition);
    if (p)
        return p;
    p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->topic = strdup(topic);
    if (!p->topic) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    atomic_init(&p->refs, 1);
    p->partition = partition;
    p->last_begun = -1;
    p->watermark = -1;
    if (o->count >= o->nbuckets)
        table_grow(o);
    size_t b = part_hash(topic, partition) & (o->nbuckets - 1);
    p->next = o->buckets[b];
    o->buckets[b] = p;
    o->count++;
    return p;
}

int64_t lr_offsets_revoke(lr_offsets *o, const char *topic, int32_t partition)
{
    size_t b = part_hash(topic, partition) & (o->nbuckets - 1);
    for (lr_offsets_part **pp = &o->buckets[b]; *pp; pp = &(*pp)->next) {
        lr_offsets_part *p = *pp;
        if (p->partition != partition || strcmp(p->topic, topic))
            continue;
        *pp = p->next;
        o->count--;
        pthread_mutex_lock(&p->mu);
        int64_t wm = p->watermark;
        p->revoked = true;
        pthread_mutex_unlock(&p->mu);
        part_unref(p);
        return wm;
    }
    return -1;
}

static bool bit_get(const uint64_t *bits, size_t i)
{
    return (bits[i >> 6] >> (i & 63)) & 1u;
}

static void bit_set(uint64_t *bits, size_t i)
{
    bits[i >> 6] |= (uint64_t)1 << (i & 63);
}

static void bit_clear(uint64_t *bits, size_t i)
{
    bits[i >> 6] &= ~((uint64_t)1 << (i & 63));
}

/* Double the ring (or create it); slots keep their absolute seq. */
static bool ring_grow(lr_offsets_part *p)
{
    size_t ncap = p->cap ? p->cap * 2 : LR_OFFSETS_MIN_CAP;
    int64_t *noffs = malloc(ncap * sizeof *noffs);
    uint64_t *ndone = calloc(ncap / 64, sizeof *ndone);
    if (!noffs || !ndone) {
        free(noffs);
        free(ndone);
        return false;
    }
    for (uint64_t s = p->head; s < p->tail; s++) {
        size_t from = s & (p->cap - 1), to = s & (ncap - 1);
        noffs[to] = p->offs[from];
        if (bit_get(p->done, from))
            bit_set(ndone, to);
    }
    free(p->offs);
    free(p->done);
    p->offs = noffs;
    p->done = ndone;
    p->cap = ncap;
    return true;
}

/* Recompute the watermark after the ring changed; mark dirty if it moved. */
static void update_watermark(lr_offsets_part *p)
{
    int64_t wm = p->head < p->tail ? p->offs[p->head & (p->cap - 1)] : p->last_begun + 1;
    if (wm != p->watermark) {
        p->watermark = wm;
        p->dirty = true;
    }
}

lr_offsets_begin_result lr_offsets_begin(lr_offsets_part *p, int64_t offset, lr_offsets_token **token)
{
    *token = NULL;
    lr_offsets_token *t = malloc(sizeof *t);
    if (!t)
        return LR_OFFSETS_NOMEM;
    pthread_mutex_lock(&p->mu);
    if (p->last_begun >= 0 && offset <= p->last_begun) {
        pthread_mutex_unlock(&p->mu);
        free(t);
        return LR_OFFSETS_DUPLICATE;
    }
    if (p->tail - p->head == p->cap && !ring_grow(p)) {
        pthread_mutex_unlock(&p->mu);
        free(t);
        return LR_OFFSETS_NOMEM;
    }
    size_t slot = p->tail & (p->cap - 1);
    p->offs[slot] = offset;
    bit_clear(p->done, slot);
    t->part = p;
    t->seq = p->tail++;
    p->last_begun = offset;
    p->inflight++;
    update_watermark(p);
    atomic_fetch_add(&p->refs, 1);
    pthread_mutex_unlock(&p->mu);
    *token = t;
    return LR_OFFSETS_TRACKED;
}

void lr_offsets_finish(lr_offsets_token *t)
{
    if (!t)
        return;
    lr_offsets_part *p = t->part;
    pthread_mutex_lock(&p->mu);
    if (!p->revoked && t->seq >= p->head && t->seq < p->tail) {
        size_t mask = p->cap - 1;
        bit_set(p->done, t->seq & mask);
        p->inflight--;
        /* Pop the finished prefix. Whole 64-bit words are skipped at once
         * when they are aligned, so a long finished run costs little. */
        while (p->head < p->tail) {
            size_t slot = p->head & mask;
            if ((slot & 63) == 0 && p->tail - p->head >= 64 && p->done[slot >> 6] == UINT64_MAX) {
                p->done[slot >> 6] = 0;
                p->head += 64;
                continue;
            }
            if (!bit_get(p->done, slot))
                break;
            bit_clear(p->done, slot);
            p->head++;
        }
        update_watermark(p);
    }
    pthread_mutex_unlock(&p->mu);
    free(t);
    part_unref(p);
}

int64_t lr_offsets_watermark(lr_offsets_part *p)
{
    pthread_mutex_lock(&p->mu);
    int64_t wm = p->watermark;
    pthread_mutex_unlock(&p->mu);
    return wm;
}

size_t lr_offsets_collect(lr_offsets *o, lr_offsets_collect_fn fn, void *arg)
{
    size_t n = 0;
    for (size_t i = 0; i < o->nbuckets; i++) {
        for (lr_offsets_part *p = o->buckets[i]; p; p = p->next) {
            pthread_mutex_lock(&p->mu);
            bool dirty = p->dirty;
            int64_t wm = p->watermark;
            p->dirty = false;
            pthread_mutex_unlock(&p->mu);
            if (dirty && wm >= 0) {
                fn(p->topic, p->partition, wm, arg);
                n++;
            }
        }
    }
    return n;
}

uint64_t lr_offsets_inflight(lr_offsets *o)
{
    uint64_t n = 0;
    for (size_t i = 0; i < o->nbuckets; i++) {
        for (lr_offsets_part *p = o->buckets[i]; p; p = p->next) {
            pthread_mutex_lock(&p->mu);
            n += p->inflight;
            pthread_mutex_unlock(&p->mu);
        }
    }
    return n;
}

size_t lr_offsets_count(lr_offsets *o)
{
    return o->count;
}
