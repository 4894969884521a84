/*
 * test_kafka_offsets.c: the contiguous watermark tracker behind the Kafka
 * input's at-least-once commits. Every case checks the watermark a commit
 * would use against what must be true: nothing at or above an unfinished
 * offset is ever committed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "input/kafka_offsets.h"

static lr_offsets_token *begin_ok(lr_offsets_part *p, int64_t off)
{
    lr_offsets_token *t = NULL;
    assert_int_equal(lr_offsets_begin(p, off, &t), LR_OFFSETS_TRACKED);
    assert_non_null(t);
    return t;
}

static void in_order(void **state)
{
    (void)state;
    lr_offsets *o = lr_offsets_new();
    lr_offsets_part *p = lr_offsets_assign(o, "c83", 0);
    assert_int_equal(lr_offsets_watermark(p), -1);
    lr_offsets_token *t[10];
    for (int i = 0; i < 10; i++)
        t[i] = begin_ok(p, i);
    assert_int_equal(lr_offsets_watermark(p), 0);
    assert_int_equal(lr_offsets_inflight(o), 10);
    for (int i = 0; i < 10; i++) {
        lr_offsets_finish(t[i]);
        assert_int_equal(lr_offsets_watermark(p), i + 1);
    }
    assert_int_equal(lr_offsets_inflight(o), 0);
    lr_offsets_free(o);
}

static void out_of_order_never_passes_unfinished(void **state)
{
    (void)state;
    lr_offsets *o = lr_offsets_new();
    lr_offsets_part *p = lr_offsets_assign(o, "c83", 1);
    lr_offsets_token *t[5];
    for (int i = 0; i < 5; i++)
        t[i] = begin_ok(p, 100 + i);
    lr_offsets_finish(t[3]);
    lr_offsets_finish(t[4]);
    assert_int_equal(lr_offsets_watermark(p), 100); /* 100..102 still in flight */
    lr_offsets_finish(t[1]);
    assert_int_equal(lr_offsets_watermark(p), 100);
    lr_offsets_finish(t[0]);
    assert_int_equal(lr_offsets_watermark(p), 102); /* 102 holds it back */
    lr_offsets_finish(t[2]);
    assert_int_equal(lr_offsets_watermark(p), 105);
    lr_offsets_free(o);
}

static void gaps_do_not_block(void **state)
{
    (void)state;
    lr_offsets *o = lr_offsets_new();
    lr_offsets_part *p = lr_offsets_assign(o, "c83", 0);
    /* offsets 11, 13, 14 never reach us (compaction, transaction markers) */
    lr_offsets_token *a = begin_ok(p, 10), *b = begin_ok(p, 12), *c = begin_ok(p, 15);
    lr_offsets_finish(b);
    lr_offsets_finish(c);
    assert_int_equal(lr_offsets_watermark(p), 10);
    lr_offsets_finish(a);
    assert_int_equal(lr_offsets_watermark(p), 16);
    /* a huge gap costs nothing */
    lr_offsets_token *d = begin_ok(p, 5000000000LL);
    assert_int_equal(lr_offsets_watermark(p), 5000000000LL);
    lr_offsets_finish(d);
    assert_int_equal(lr_offsets_watermark(p), 5000000001LL);
    lr_offsets_free(o);
}

static void rewind_is_duplicate(void **state)
{
    (void)state;
    lr_offsets *o = lr_offsets_new();
    lr_offsets_part *p = lr_offsets_assign(o, "c83", 0);
    lr_offsets_token *a = begin_ok(p, 5), *dup = (lr_offsets_token *)&dup;
    assert_int_equal(lr_offsets_begin(p, 5, &dup), LR_OFFSETS_DUPLICATE);
    assert_null(dup);
    assert_int_equal(lr_offsets_begin(p, 2, &dup), LR_OFFSETS_DUPLICATE);
    lr_offsets_finish(dup); /* NULL: no-op */
    assert_int_equal(lr_offsets_watermark(p), 5);
    lr_offsets_finish(a);
    assert_int_equal(lr_offsets_watermark(p), 6);
    lr_offsets_free(o);
}

static void revoke_drops_bookkeeping(void **state)
{
    (void)state;
    lr_offsets *o = lr_offsets_new();
    lr_offsets_part *p = lr_offsets_assign(o, "c83", 0);
    assert_ptr_equal(lr_offsets_assign(o, "c83", 0), p); /* assigning twice: same partition */
    lr_offsets_part *q = lr_offsets_assign(o, "c83", 1);
    lr_offsets_token *t0 = begin_ok(p, 0), *t1 = begin_ok(p, 1), *t2 = begin_ok(p, 2);
    lr_offsets_token *u0 = begin_ok(q, 7);
    lr_offsets_finish(t0);
    assert_int_equal(lr_offsets_count(o), 2);
    assert_int_equal(lr_offsets_revoke(o, "c83", 0), 1); /* only offset 0 finished */
    assert_null(lr_offsets_find(o, "c83", 0));
    assert_int_equal(lr_offsets_count(o), 1);
    assert_int_equal(lr_offsets_inflight(o), 1); /* the revoked ones no longer count */
    assert_int_equal(lr_offsets_revoke(o, "c83", 9), -1);

    /* assigned to us again: a new generation; late finishes of the old one are ignored */
    lr_offsets_part *p2 = lr_offsets_assign(o, "c83", 0);
    assert_int_equal(lr_offsets_watermark(p2), -1);
    lr_offsets_token *n1 = begin_ok(p2, 1);
    lr_offsets_finish(t1);
    lr_offsets_finish(t2);
    assert_int_equal(lr_offsets_watermark(p2), 1);
    lr_offsets_finish(n1);
    assert_int_equal(lr_offsets_watermark(p2), 2);

    /* a partition revoked with nothing begun has no watermark */
    lr_offsets_assign(o, "c83_waf", 0);
    assert_int_equal(lr_offsets_revoke(o, "c83_waf", 0), -1);

    /* freeing the table with a token in flight: the token stays valid */
    lr_offsets_free(o);
    lr_offsets_finish(u0);
}

typedef struct collected {
    int n;
    int64_t wm[8];
    int32_t part[8];
} collected;

static void collect_cb(const char *topic, int32_t partition, int64_t wm, void *arg)
{
    collected *c = arg;
    assert_string_equal(topic, "c83");
    c->part[c->n] = partition;
    c->wm[c->n++] = wm;
}

static void collect_reports_only_moved(void **state)
{
    (void)state;
    lr_offsets *o = lr_offsets_new();
    lr_offsets_part *p0 = lr_offsets_assign(o, "c83", 0);
    lr_offsets_assign(o, "c83", 1);
    collected c = {0};
    assert_int_equal(lr_offsets_collect(o, collect_cb, &c), 0); /* nothing begun */
    lr_offsets_token *t = begin_ok(p0, 40);
    c.n = 0;
    assert_int_equal(lr_offsets_collect(o, collect_cb, &c), 1); /* the start position */
    assert_int_equal(c.part[0], 0);
    assert_int_equal(c.wm[0], 40);
    c.n = 0;
    assert_int_equal(lr_offsets_collect(o, collect_cb, &c), 0);
    lr_offsets_finish(t);
    assert_int_equal(lr_offsets_collect(o, collect_cb, &c), 1);
    assert_int_equal(c.wm[0], 41);
    lr_offsets_free(o);
}

static void offsets_near_int64_max(void **state)
{
    (void)state;
    lr_offsets *o = lr_offsets_new();
    lr_offsets_part *p = lr_offsets_assign(o, "c83", 0);
    int64_t base = INT64_MAX - 1000;
    lr_offsets_token *t[1000];
    for (int i = 0; i < 1000; i++)
        t[i] = begin_ok(p, base + i);
    for (int i = 999; i >= 1; i--)
        lr_offsets_finish(t[i]);
    assert_int_equal(lr_offsets_watermark(p), base);
    lr_offsets_finish(t[0]);
    assert_int_equal(lr_offsets_watermark(p), INT64_MAX); /* last begun was INT64_MAX - 1 */
    lr_offsets_free(o);
}

/* Reference model: the watermark is the smallest unfinished offset. */
static void shuffle(size_t *a, size_t n, unsigned *seed)
{
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)rand_r(seed) % (i + 1);
        size_t x = a[i];
        a[i] = a[j];
        a[j] = x;
    }
}

static void random_order_matches_model(void **state)
{
    (void)state;
    enum { N = 100000 };
    lr_offsets *o = lr_offsets_new();
    lr_offsets_part *p = lr_offsets_assign(o, "c83", 0);
    lr_offsets_token **t = malloc(N * sizeof *t);
    int64_t *off = malloc(N * sizeof *off);
    bool *fin = calloc(N, 1);
    size_t *order = malloc(N * sizeof *order);
    unsigned seed = 12345;
    int64_t next = 0;
    for (size_t i = 0; i < N; i++) {
        next += 1 + (rand_r(&seed) % 4 == 0 ? rand_r(&seed) % 3 : 0); /* some gaps */
        off[i] = next;
        t[i] = begin_ok(p, off[i]);
        order[i] = i;
    }
    shuffle(order, N, &seed);
    size_t low = 0; /* model: index of the smallest unfinished */
    for (size_t k = 0; k < N; k++) {
        lr_offsets_finish(t[order[k]]);
        fin[order[k]] = true;
        while (low < N && fin[low])
            low++;
        int64_t expect = low < N ? off[low] : off[N - 1] + 1;
        if (lr_offsets_watermark(p) != expect)
            fail_msg("after %zu finishes: watermark %lld, expected %lld", k + 1,
                     (long long)lr_offsets_watermark(p), (long long)expect);
    }
    free(t);
    free(off);
    free(fin);
    free(order);
    lr_offsets_free(o);
}

static void many_partitions(void **state)
{
    (void)state;
    enum { P = 2000, M = 20 };
    lr_offsets *o = lr_offsets_new();
    lr_offsets_token **t = malloc(P * M * sizeof *t);
    char topic[16];
    for (int i = 0; i < P; i++) {
        snprintf(topic, sizeof topic, "t%d", i % 7);
        lr_offsets_part *p = lr_offsets_assign(o, topic, i);
        for (int j = 0; j < M; j++)
            t[i * M + j] = begin_ok(p, (int64_t)i * 1000 + j);
    }
    assert_int_equal(lr_offsets_count(o), P);
    assert_int_equal(lr_offsets_inflight(o), P * M);
    /* finish everything except offset 5 of every partition */
    for (int i = 0; i < P; i++)
        for (int j = M - 1; j >= 0; j--)
            if (j != 5)
                lr_offsets_finish(t[i * M + j]);
    for (int i = 0; i < P; i++) {
        snprintf(topic, sizeof topic, "t%d", i % 7);
        lr_offsets_part *p = lr_offsets_find(o, topic, i);
        assert_non_null(p);
        assert_int_equal(lr_offsets_watermark(p), (int64_t)i * 1000 + 5);
    }
    for (int i = 0; i < P; i++)
        lr_offsets_finish(t[i * M + 5]);
    assert_int_equal(lr_offsets_inflight(o), 0);
    for (int i = 0; i < P; i++) {
        snprintf(topic, sizeof topic, "t%d", i % 7);
        assert_int_equal(lr_offsets_revoke(o, topic, i), (int64_t)i * 1000 + M);
    }
    assert_int_equal(lr_offsets_count(o), 0);
    free(t);
    lr_offsets_free(o);
}

/* Output workers finish on their own threads. */
typedef struct worker_arg {
    lr_offsets_token **t;
    size_t from, to, step;
} worker_arg;

static void *finisher(void *arg)
{
    worker_arg *w = arg;
    for (size_t i = w->from; i < w->to; i += w->step)
        lr_offsets_finish(w->t[i]);
    return NULL;
}

static void concurrent_finish(void **state)
{
    (void)state;
    enum { N = 200000, T = 4 };
    lr_offsets *o = lr_offsets_new();
    lr_offsets_part *p = lr_offsets_assign(o, "c83", 0);
    lr_offsets_token **t = malloc(N * sizeof *t);
    for (size_t i = 0; i < N; i++)
        t[i] = begin_ok(p, (int64_t)i);
    pthread_t th[T];
    worker_arg wa[T];
    for (int i = 0; i < T; i++) {
        wa[i] = (worker_arg){t, (size_t)i, N, T};
        pthread_create(&th[i], NULL, finisher, &wa[i]);
    }
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(lr_offsets_watermark(p), N);
    assert_int_equal(lr_offsets_inflight(o), 0);
    free(t);
    lr_offsets_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(in_order),
        cmocka_unit_test(out_of_order_never_passes_unfinished),
        cmocka_unit_test(gaps_do_not_block),
        cmocka_unit_test(rewind_is_duplicate),
        cmocka_unit_test(revoke_drops_bookkeeping),
        cmocka_unit_test(collect_reports_only_moved),
        cmocka_unit_test(offsets_near_int64_max),
        cmocka_unit_test(random_order_matches_model),
        cmocka_unit_test(many_partitions),
        cmocka_unit_test(concurrent_finish),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
