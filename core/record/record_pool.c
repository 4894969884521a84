/* record_pool.c: see record_pool.h. */
#include "record/record_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__SANITIZE_ADDRESS__)
#define LR_POOL_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LR_POOL_DISABLED 1
#endif
#endif
#ifndef LR_POOL_DISABLED
#define LR_POOL_DISABLED 0
#endif

#define NCLASS 3
static const size_t class_size[NCLASS] = {2048, 4096, 8192};

typedef struct pool_node {
    struct pool_node *next;
} pool_node;

typedef struct shared_stack {
    _Atomic(pool_node *) head;
    /* blocks on the stack; approximate (a grab resets it while puts may
     * race with the reset), which is enough for a soft memory bound */
    atomic_uint count;
} shared_stack;

static shared_stack shared[NCLASS];

/* This thread's blocks, per class: `freed` holds what it freed last (up to
 * LOCAL_MAX; one more moves the whole list to the shared stack with a single
 * compare-and-swap, so a worker that only frees pays one atomic per
 * LOCAL_MAX blocks), `taken` what it took from the shared stack. A get
 * prefers `freed`: those blocks are still in this core's cache. Both are
 * freed when the thread ends. */
#define LOCAL_MAX 64u
typedef struct local_lists {
    pool_node *freed[NCLASS];
    pool_node *freed_tail[NCLASS]; /* last node of freed[k], to move the chain whole */
    unsigned nfreed[NCLASS];
    pool_node *taken[NCLASS];
} local_lists;
static _Thread_local local_lists local;
static _Thread_local bool local_tracked;
static pthread_key_t local_key;
static pthread_once_t local_once = PTHREAD_ONCE_INIT;

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void free_list(pool_node *n)
{
    while (n) {
        pool_node *next = n->next;
        free(n);
        n = next;
    }
}

static void local_release(void *arg)
{
    local_lists *l = arg;
    for (int k = 0; k < NCLASS; k++) {
        free_list(l->freed[k]);
        free_list(l->taken[k]);
        l->freed[k] = l->freed_tail[k] = l->taken[k] = NULL;
        l->nfreed[k] = 0;
    }
}

static void local_key_create(void)
{
    (void)pthread_key_create(&local_key, local_release);
}

static void local_track(void)
{
    if (local_tracked)
        return;
    pthread_once(&local_once, local_key_create);
    (void)pthread_setspecific(local_key, &local);
    local_tracked = true;
}

static int class_of(size_t size)
{
    for (int k = 0; k < NCLASS; k++)
        if (size <= class_size[k])
            return k;
    return -1;
}

void *lr_record_pool_get(size_t size, size_t *cap)
{
    int k = class_of(size);
    if (k < 0) {
        *cap = size;
        return xmalloc(size);
    }
    *cap = class_size[k];
    if (LR_POOL_DISABLED) /* same sizes, no reuse */
        return xmalloc(class_size[k]);
    pool_node *n = local.freed[k];
    if (n) {
        local.freed[k] = n->next;
        if (--local.nfreed[k] == 0)
            local.freed_tail[k] = NULL;
        return n;
    }
    n = local.taken[k];
    if (!n) {
        n = atomic_exchange_explicit(&shared[k].head, NULL, memory_order_acquire);
        if (!n)
            return xmalloc(class_size[k]);
        atomic_store_explicit(&shared[k].count, 0, memory_order_relaxed);
        local_track();
    }
    local.taken[k] = n->next;
    return n;
}

/* Move this thread's freed list of class k to the shared stack, or free it
 * when the stack already holds its share of memory. */
static void flush_freed(int k)
{
    pool_node *head = local.freed[k], *tail = local.freed_tail[k];
    unsigned n = local.nfreed[k];
    local.freed[k] = local.freed_tail[k] = NULL;
    local.nfreed[k] = 0;
    if (!head)
        return;
    if (atomic_load_explicit(&shared[k].count, memory_order_relaxed) >=
        LR_RECORD_POOL_CLASS_BYTES / class_size[k]) {
        free_list(head);
        return;
    }
    atomic_fetch_add_explicit(&shared[k].count, n, memory_order_relaxed);
    tail->next = atomic_load_explicit(&shared[k].head, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(&shared[k].head, &tail->next, head, memory_order_release,
                                                  memory_order_relaxed))
        ;
}

void lr_record_pool_put(void *block, size_t cap)
{
    int k = LR_POOL_DISABLED ? -1 : class_of(cap);
    if (k < 0 || class_size[k] != cap) {
        free(block);
        return;
    }
    if (local.nfreed[k] >= LOCAL_MAX)
        flush_freed(k);
    local_track();
    pool_node *n = block;
    n->next = local.freed[k];
    if (!n->next)
        local.freed_tail[k] = n;
    local.freed[k] = n;
    local.nfreed[k]++;
}

bool lr_record_pool_enabled(void)
{
    return !LR_POOL_DISABLED;
}

void lr_record_pool_trim(void)
{
    for (int k = 0; k < NCLASS; k++) {
        free_list(atomic_exchange_explicit(&shared[k].head, NULL, memory_order_acquire));
        atomic_store_explicit(&shared[k].count, 0, memory_order_relaxed);
    }
    local_release(&local);
}
