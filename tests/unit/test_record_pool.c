/* test_record_pool.c: the record memory pool (core/record/record_pool.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "record/record_pool.h"

/* Sizes map to the 2, 4 and 8 KiB classes; larger is a plain allocation. */
static void test_classes(void **state)
{
    (void)state;
    static const struct {
        size_t want, cap;
    } cases[] = {{1, 2048},    {2048, 2048}, {2049, 4096},    {4096, 4096},
                 {8192, 8192}, {8193, 8193}, {100000, 100000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t cap = 0;
        char *b = lr_record_pool_get(cases[i].want, &cap);
        assert_non_null(b);
        assert_int_equal(cap, cases[i].cap);
        memset(b, 0xab, cap); /* the whole reported size is usable (ASan checks) */
        lr_record_pool_put(b, cap);
    }
    lr_record_pool_trim();
}

/* A freed block is the next one handed out on the same thread. */
static void test_reuse_same_thread(void **state)
{
    (void)state;
    if (!lr_record_pool_enabled())
        skip();
    size_t cap;
    void *a = lr_record_pool_get(1500, &cap);
    lr_record_pool_put(a, cap);
    size_t cap2;
    void *b = lr_record_pool_get(1000, &cap2);
    assert_ptr_equal(a, b);
    assert_int_equal(cap, cap2);
    lr_record_pool_put(b, cap2);
    lr_record_pool_trim();
}

#define NBLOCKS 20000

typedef struct handoff {
    void **blocks;
    size_t n;
} handoff;

static void *free_all(void *arg)
{
    handoff *h = arg;
    for (size_t i = 0; i < h->n; i++) {
        /* the block still holds what its owner wrote */
        assert_int_equal(*(uint64_t *)((char *)h->blocks[i] + 64), (uint64_t)i);
        lr_record_pool_put(h->blocks[i], 2048);
    }
    return NULL;
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
    return (x > y) - (x < y);
}

/* Blocks freed on another thread (an output worker) come back to the
 * allocating thread, and no block is ever handed out twice at once. */
static void test_cross_thread(void **state)
{
    (void)state;
    void **first = calloc(NBLOCKS, sizeof *first), **second = calloc(NBLOCKS, sizeof *second);
    assert_non_null(first);
    assert_non_null(second);
    for (size_t i = 0; i < NBLOCKS; i++) {
        size_t cap;
        first[i] = lr_record_pool_get(1800, &cap);
        assert_int_equal(cap, 2048);
        *(uint64_t *)((char *)first[i] + 64) = i;
    }
    handoff h = {first, NBLOCKS};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, free_all, &h), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    size_t recycled = 0;
    for (size_t i = 0; i < NBLOCKS; i++) {
        size_t cap;
        second[i] = lr_record_pool_get(1800, &cap);
        memset(second[i], 0x5a, cap);
        for (size_t k = 0; k < NBLOCKS && !recycled; k++)
            recycled += second[i] == first[k];
    }
    /* all live at once: pairwise distinct */
    qsort(second, NBLOCKS, sizeof *second, cmp_ptr);
    for (size_t i = 1; i < NBLOCKS; i++)
        assert_true(second[i] != second[i - 1]);
    if (lr_record_pool_enabled())
        assert_true(recycled > 0);
    for (size_t i = 0; i < NBLOCKS; i++)
        lr_record_pool_put(second[i], 2048);
    lr_record_pool_trim();
    free(first);
    free(second);
}

/* Records live in pool blocks: an access-line-sized record fits 2 KiB. */
static void test_record_blocks(void **state)
{
    (void)state;
    char line[300];
    memset(line, 'x', sizeof line);
    lr_record *rec = lr_record_new(line, sizeof line, sizeof line + 1024);
    assert_int_equal(rec->block_cap, 2048);
    assert_memory_equal(rec->ev.raw, line, sizeof line);
    for (size_t i = 0; i < LR_RECORD_RAW_PAD; i++)
        assert_int_equal(rec->ev.raw[sizeof line + i], 0);
    lr_record_unref(rec);
    lr_record_pool_trim();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_reuse_same_thread),
        cmocka_unit_test(test_cross_thread),
        cmocka_unit_test(test_record_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
