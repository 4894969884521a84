/*
 * expr_eval.c: evaluating route conditions. At load the tree (expr_tree.h)
 * becomes a flat program: one test per comparison, each with the step to
 * take when it holds and when it does not ("and", "or" and "not" are only
 * jumps, always forward). A test knows at load what it compares (a root key
 * with an integer literal, with a string, a list of strings, a regex that is
 * a set of plain strings, ...), so the common cases run without the general
 * type rules of expr_value.c, and give the same answers.
 *
 * Threading: lr_expr_eval only reads the program, except the slot hints
 * (relaxed atomics, verified on every use, so a stale or torn-between-threads
 * value only costs a scan). What a PCRE2 match needs per call (match data, a
 * buffer for number text) lives in per-thread state created once per thread,
 * so evaluation never allocates.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/json_encode.h"
#include "record/record.h"
#include "route/bytes.h"
#include "route/expr.h"
#include "route/expr_tree.h"
#include "util/buf.h"

/* ------------------------------------------------------------------------ */
/* The program                                                               */
/* ------------------------------------------------------------------------ */

typedef enum test_kind {
    T_CONST,
    T_EXISTS,
    T_INT,    /* field op integer literal */
    T_FLOAT,  /* field op float literal */
    T_STR_EQ, /* field == / != string literal */
    T_CMP,    /* anything else: the rules of expr_value.c */
    T_IN_STR, /* field in [strings] */
    T_IN_INT, /* field in [integers] */
    T_IN,     /* field in [mixed literals] */
    T_MATCH,  /* field =~ / !~ regex */
} test_kind;

/* Where a step goes after the last test. */
#define END_TRUE (-1)
#define END_FALSE (-2)
/* Slot hints of a test: one per record layout as far as a cheap signature
 * tells them apart (lr_expr_root_init), each remembering two slots where
 * the key was found (8 bits each: keys further than HINT_MAX_SLOT are always
 * searched). */
#define NHINTS LR_EXPR_LAYOUTS
#define HINT_MAX_SLOT 0xffu

/* One step of the program. What the common tests read (copied from the
 * tree) fills the first cache line: routing runs between the parsing of
 * records, which pushes it out of the nearest cache. */
struct test {
    _Alignas(64) uint8_t kind; /* test_kind */
    uint8_t op;                /* cmp_op */
    bool value;                /* T_CONST */
    bool top;                  /* the left operand is a key of the root object (a path of one segment) */
    uint8_t outcomes; /* op as a set: bit c + 1 set when a comparison result c (-1, 0, 1) satisfies it */
    int8_t known;     /* top: that key's lr_known_key, or -1 */
    int32_t on_true, on_false;
    uint32_t key_len;
    const char *key;       /* top: that key */
    lr_value lit;          /* T_INT, T_FLOAT, T_STR_EQ: the literal */
    const lr_litset *lits; /* T_MATCH: the pattern as plain strings, if it is */
    atomic_ushort hints[NHINTS];
    /* the rest */
    const lr_value *list; /* T_IN_*: the literals */
    size_t nlist;
    const operand *lo, *ro; /* left (a field, except in T_CONST / T_CMP) and right operands */
    const node *n;          /* lists and regexes */
};

static size_t count_tests(const node *n)
{
    if (n->kind != N_AND && n->kind != N_OR && n->kind != N_NOT)
        return 1;
    size_t c = 0;
    for (size_t i = 0; i < n->nkids; i++)
        c += count_tests(n->kids[i]);
    return c;
}

static cmp_op mirror(cmp_op op)
{
    switch (op) {
    case OP_LT:
        return OP_GT;
    case OP_LE:
        return OP_GE;
    case OP_GT:
        return OP_LT;
    case OP_GE:
        return OP_LE;
    default:
        return op;
    }
}

static bool all_of_kind(const lr_value *list, size_t n, uint8_t kind)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].kind != kind)
            return false;
    return true;
}

static void fill_test(test *t, const node *n)
{
    t->n = n;
    t->op = (uint8_t)n->op;
    t->lo = &n->l;
    t->ro = &n->r;
    switch (n->kind) {
    case N_CONST:
        t->kind = T_CONST;
        t->value = n->value;
        break;
    case N_EXISTS:
        t->kind = T_EXISTS;
        break;
    case N_IN:
        t->kind = all_of_kind(n->list, n->nlist, LR_VAL_STRING) ? T_IN_STR
                  : all_of_kind(n->list, n->nlist, LR_VAL_INT)  ? T_IN_INT
                                                                : T_IN;
        break;
    default: /* N_CMP */
        if (n->op == OP_MATCH || n->op == OP_NMATCH) {
            t->kind = T_MATCH;
            break;
        }
        /* `500 <= statuscode` is `statuscode >= 500`: every rule of
         * expr_value.h is symmetric */
        if (!n->l.is_field && n->r.is_field) {
            t->lo = &n->r;
            t->ro = &n->l;
            t->op = (uint8_t)mirror(n->op);
        }
        t->kind = T_CMP;
        if (t->lo->is_field && !t->ro->is_field) {
            if (t->ro->lit.kind == LR_VAL_INT)
                t->kind = T_INT;
            else if (t->ro->lit.kind == LR_VAL_FLOAT)
                t->kind = T_FLOAT;
            else if (t->ro->lit.kind == LR_VAL_STRING && (t->op == OP_EQ || t->op == OP_NE))
                t->kind = T_STR_EQ;
        }
        break;
    }
    t->top = t->kind != T_CONST && t->lo->is_field && t->lo->path.nseg == 1;
    t->known = -1;
    if (t->top) {
        t->key = t->lo->path.text;
        t->key_len = (uint32_t)t->lo->path.len;
        t->known = (int8_t)lr_known_key_find(t->key, t->key_len);
    }
    if (t->kind == T_INT || t->kind == T_FLOAT || t->kind == T_STR_EQ)
        t->lit = t->ro->lit;
    for (int c = -1; c <= 1; c++)
        if (t->op <= OP_GE && lr_cmp_holds(c, (lr_cmp)t->op))
            t->outcomes |= (uint8_t)(1u << (c + 1));
    t->lits = n->lits;
    t->list = n->list;
    t->nlist = n->nlist;
}

/* What evaluating n may cost, as a rank: comparisons of root keys, of
 * nested paths, anchored literal sets, other literal sets; COST_PCRE2 when n
 * holds a regex only PCRE2 runs. */
enum { COST_ROOT, COST_PATH, COST_ANCHORED, COST_SEARCH, COST_PCRE2 };

static int cost(const node *n)
{
    int c = COST_ROOT;
    for (size_t i = 0; i < n->nkids; i++) {
        int k = cost(n->kids[i]);
        c = k > c ? k : c;
    }
    if (n->kind == N_CMP && (n->op == OP_MATCH || n->op == OP_NMATCH))
        return !n->lits ? COST_PCRE2 : lr_litset_anchored_only(n->lits) ? COST_ANCHORED : COST_SEARCH;
    if ((n->l.is_field && n->l.path.nseg > 1) || (n->r.is_field && n->r.path.nseg > 1))
        c = c > COST_PATH ? c : COST_PATH;
    return c;
}

/* Emits the tests of n from `at` on: when n holds go to `yes`, else to `no`.
 * The operands of `and` / `or` go cheapest first (`request =~ "^/wp-" and
 * statuscode in [...]` tests the status first), unless one holds a regex
 * only PCRE2 runs: whether such a regex runs is visible (a match that hits
 * a limit is counted). Nothing else is: tests have no effects, and a
 * literal set never comes near PCRE2's limits. */
static size_t emit(test *prog, size_t at, const node *n, int32_t yes, int32_t no)
{
    switch (n->kind) {
    case N_AND:
    case N_OR: {
        size_t *order = malloc(n->nkids * sizeof *order);
        int *costs = malloc(n->nkids * sizeof *costs);
        if (!order || !costs) {
            fputs("logrelay: out of memory\n", stderr);
            abort();
        }
        bool pinned = false;
        for (size_t i = 0; i < n->nkids; i++) {
            order[i] = i;
            costs[i] = cost(n->kids[i]);
            pinned |= costs[i] == COST_PCRE2;
        }
        for (size_t i = 1; i < n->nkids && !pinned; i++) /* stable: equal costs keep their order */
            for (size_t j = i; j > 0 && costs[order[j - 1]] > costs[order[j]]; j--) {
                size_t x = order[j];
                order[j] = order[j - 1];
                order[j - 1] = x;
            }
        for (size_t i = 0; i < n->nkids; i++) {
            const node *k = n->kids[order[i]];
            bool last = i + 1 == n->nkids;
            int32_t next = (int32_t)(at + count_tests(k));
            if (n->kind == N_AND)
                at = emit(prog, at, k, last ? yes : next, no);
            else
                at = emit(prog, at, k, yes, last ? no : next);
        }
        free(order);
        free(costs);
        return at;
    }
    case N_NOT:
        return emit(prog, at, n->kids[0], no, yes);
    default:
        fill_test(&prog[at], n);
        prog[at].on_true = yes;
        prog[at].on_false = no;
        return at + 1;
    }
}

void lr_expr_program_build(lr_expr *e)
{
    e->nprog = count_tests(e->root);
    e->prog = aligned_alloc(_Alignof(test), e->nprog * sizeof *e->prog);
    if (!e->prog) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    memset(e->prog, 0, e->nprog * sizeof *e->prog);
    for (size_t i = 0; i < e->nprog; i++)
        for (size_t h = 0; h < NHINTS; h++)
            atomic_init(&e->prog[i].hints[h], 0);
    emit(e->prog, 0, e->root, END_TRUE, END_FALSE);
}

void lr_expr_program_free(lr_expr *e)
{
    free(e->prog);
    e->prog = NULL;
    e->nprog = 0;
}

/* ------------------------------------------------------------------------ */
/* Per-thread regex state                                                    */
/* ------------------------------------------------------------------------ */

/* What one thread needs to run regexes without allocating per call. */
typedef struct eval_tls {
    pcre2_match_data *md;
    lr_buf text; /* number text for a regex applied to a number */
} eval_tls;

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static _Thread_local eval_tls *tls_state;

static void tls_destroy(void *arg)
{
    eval_tls *t = arg;
    pcre2_match_data_free(t->md);
    lr_buf_free(&t->text);
    free(t);
}

static void tls_make_key(void)
{
    (void)pthread_key_create(&tls_key, tls_destroy);
}

static eval_tls *tls_get(void)
{
    if (tls_state)
        return tls_state;
    pthread_once(&tls_once, tls_make_key);
    eval_tls *t = calloc(1, sizeof *t);
    /* one ovector pair: we only ask "does it match" (rc 0 still means a match) */
    if (!t || !(t->md = pcre2_match_data_create(1, NULL))) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    lr_buf_init(&t->text, 4096);
    (void)pthread_setspecific(tls_key, t);
    tls_state = t;
    return t;
}

/* ------------------------------------------------------------------------ */
/* Field lookup                                                              */
/* ------------------------------------------------------------------------ */

/* The test's field, a key of the root object; the first member with that
 * key wins, as in lr_path_get. A parser's records put their keys in a few
 * fixed orders, so the slots where the key was found in records of this
 * layout (a signature of the root, see LR_EXPR_LAYOUTS) are tried first: the one a search found last, then
 * the one before (a hit there is not promoted, so two layouts sharing a signature do not evict each other).
 * That shortcut is only exact when no earlier member has the same key, so it is taken only when the root's
 * keys are distinct (r->unique_keys, from lr_record's fields_unique_keys: true for cdn_access, raw and
 * parse-error records; JSON input can repeat keys). Comparing key pointers would need no flag but is not
 * safe: arenas are reused, so a JSON record may hold a key at the very address a parser's static key had,
 * with a duplicate of it before. */
static __attribute__((noinline)) const lr_value *top_search(const lr_expr_root *r, const test *t)
{
    const char *k = t->key;
    uint32_t n = t->key_len;
    const lr_member *m = r->members;
    unsigned layout = (r->n + (r->n > 2 ? r->members[2].key_len : 0)) % LR_EXPR_LAYOUTS;
    atomic_ushort *hint = (atomic_ushort *)&t->hints[layout];
    unsigned h = 0;
    if (r->unique_keys) {
        h = atomic_load_explicit(hint, memory_order_relaxed);
        unsigned a = h & HINT_MAX_SLOT, b = h >> 8;
        if (a < r->n && m[a].key_len == n && lr_bytes_eq(m[a].key, k, n))
            return &m[a].value;
        if (b < r->n && m[b].key_len == n && lr_bytes_eq(m[b].key, k, n))
            return &m[b].value;
    }
    for (uint32_t i = 0; i < r->n; i++) {
        if (m[i].key_len == n && lr_bytes_eq(m[i].key, k, n)) {
            if (r->unique_keys && i <= HINT_MAX_SLOT)
                atomic_store_explicit(hint, (unsigned short)(i | (h & HINT_MAX_SLOT) << 8),
                                      memory_order_relaxed);
            return &m[i].value;
        }
    }
    return NULL;
}

/* The parser indexed the key: its slot, or absent. Else top_search. */
static inline __attribute__((always_inline)) const lr_value *top_get(const lr_expr_root *r, const test *t)
{
    if (r->key_slots && t->known >= 0) {
        unsigned slot = r->key_slots[t->known];
        return slot ? &r->members[slot - 1].value : NULL;
    }
    return top_search(r, t);
}

static inline __attribute__((always_inline)) const lr_value *left_value(const test *t, const lr_expr_root *r)
{
    if (t->top)
        return top_get(r, t);
    return t->lo->is_field ? lr_path_get(r->fields, &t->lo->path) : &t->lo->lit;
}

/* ------------------------------------------------------------------------ */
/* Tests                                                                     */
/* ------------------------------------------------------------------------ */

/* Returns 1 match, 0 no match, -1 no decision (no text, or a limit hit). */
/* PCRE2 (and the literal set for a number's text); a string's literal set
 * was tried by the caller. */
static __attribute__((noinline)) int regex_match(const lr_expr *e, const node *n, const lr_value *v)
{
    char tmp[24];
    const char *s;
    size_t len;
    eval_tls *t = tls_get();
    switch (v->kind) {
    case LR_VAL_STRING:
        s = v->u.s;
        len = v->len;
        break;
    case LR_VAL_INT:
        s = lr_expr_int_text(v->u.i, tmp, &len);
        break;
    case LR_VAL_FLOAT:
        lr_buf_reset(&t->text);
        if (!lr_json_encode_double(&t->text, v->u.f))
            return -1;
        s = t->text.data;
        len = t->text.len;
        break;
    case LR_VAL_BOOL:
        s = v->u.b ? "true" : "false";
        len = strlen(s);
        break;
    default:
        return -1;
    }
    if (v->kind != LR_VAL_STRING && n->lits) {
        int r = lr_litset_match(n->lits, s, len);
        if (r >= 0)
            return r;
    }
    /* pcre2_jit_match skips argument checks that hold by construction here */
    int rc = n->jit ? pcre2_jit_match(n->re, (PCRE2_SPTR)s, len, 0, 0, t->md, e->mctx)
                    : pcre2_match(n->re, (PCRE2_SPTR)s, len, 0, 0, t->md, e->mctx);
    if (rc >= 0)
        return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    atomic_fetch_add_explicit(&((lr_expr *)e)->regex_failures, 1, memory_order_relaxed);
    return -1;
}

/* Two numbers as compare_numbers in expr_value.c: NaN is unordered, so only
 * != holds. */
static inline bool double_holds(double a, double b, const test *t)
{
    if (a != a || b != b)
        return t->op == OP_NE;
    return t->outcomes >> ((a > b) - (a < b) + 1) & 1;
}

/* Lists up to this long are compared whole, without an early exit: which
 * element a record's value equals, if any, changes from record to record. */
#define FLAT_LIST_MAX 16

static inline __attribute__((always_inline)) bool in_list(const test *t, const lr_value *v)
{
    const lr_value *list = t->list;
    bool flat = t->nlist <= FLAT_LIST_MAX;
    switch (t->kind) {
    case T_IN_STR: {
        if (v->kind != LR_VAL_STRING)
            break;
        bool any = false;
        for (size_t i = 0; i < t->nlist; i++) {
            any |= lr_str_eq_flat(v->u.s, v->len, list[i].u.s, list[i].len);
            if (any && !flat)
                break;
        }
        return any;
    }
    case T_IN_INT: {
        if (v->kind != LR_VAL_INT)
            break;
        bool any = false;
        for (size_t i = 0; i < t->nlist; i++) {
            any |= v->u.i == list[i].u.i;
            if (any && !flat)
                break;
        }
        return any;
    }
    default:
        break;
    }
    for (size_t i = 0; i < t->nlist; i++)
        if (lr_expr_compare(v, &list[i], LR_CMP_EQ))
            return true;
    return false;
}

/* The tests by kind, on the test's left value v (NULL: the field is
 * missing). Shared by the per-record and the batch evaluators, so both give
 * the same answers. */
#define INLINE static inline __attribute__((always_inline))

INLINE bool int_holds(const test *t, const lr_value *v)
{
    cmp_op op = (cmp_op)t->op;
    if (!v)
        return op == OP_NE;
    if (v->kind == LR_VAL_INT)
        return t->outcomes >> ((v->u.i > t->lit.u.i) - (v->u.i < t->lit.u.i) + 1) & 1;
    if (v->kind == LR_VAL_FLOAT)
        return double_holds(v->u.f, (double)t->lit.u.i, t);
    return lr_expr_compare(v, &t->ro->lit, (lr_cmp)op);
}

INLINE bool float_holds(const test *t, const lr_value *v)
{
    cmp_op op = (cmp_op)t->op;
    if (!v)
        return op == OP_NE;
    if (v->kind == LR_VAL_FLOAT)
        return double_holds(v->u.f, t->lit.u.f, t);
    if (v->kind == LR_VAL_INT)
        return double_holds((double)v->u.i, t->lit.u.f, t);
    return lr_expr_compare(v, &t->ro->lit, (lr_cmp)op);
}

INLINE bool str_eq_holds(const test *t, const lr_value *v)
{
    cmp_op op = (cmp_op)t->op;
    if (!v)
        return op == OP_NE;
    if (v->kind == LR_VAL_STRING) {
        const lr_value *lit = &t->lit;
        bool eq = lr_str_eq_flat(v->u.s, v->len, lit->u.s, lit->len);
        return op == OP_EQ ? eq : !eq;
    }
    return lr_expr_compare(v, &t->ro->lit, (lr_cmp)op);
}

INLINE bool in_holds(const test *t, const lr_value *v)
{
    return v && in_list(t, v);
}

INLINE bool match_holds(const lr_expr *e, const test *t, const lr_value *v)
{
    if (!v)
        return false;
    int m;
    if (v->kind != LR_VAL_STRING || !t->lits || (m = lr_litset_match(t->lits, v->u.s, v->len)) < 0)
        m = regex_match(e, t->n, v);
    if (m < 0)
        return false;
    return t->op == OP_MATCH ? m == 1 : m == 0;
}

/* T_CMP: anything the typed tests do not cover (a field on both sides, ...). */
static bool cmp_holds(const test *t, const lr_expr_root *root, const lr_value *v)
{
    cmp_op op = (cmp_op)t->op;
    const lr_value *r = t->ro->is_field ? lr_path_get(root->fields, &t->ro->path) : &t->ro->lit;
    if (!v || !r)
        return op == OP_NE;
    return lr_expr_compare(v, r, (lr_cmp)op);
}

INLINE bool run_test(const lr_expr *e, const test *t, const lr_expr_root *root)
{
    switch (t->kind) {
    case T_CONST:
        return t->value;
    case T_EXISTS:
        return left_value(t, root) != NULL;
    case T_INT:
        return int_holds(t, left_value(t, root));
    case T_FLOAT:
        return float_holds(t, left_value(t, root));
    case T_STR_EQ:
        return str_eq_holds(t, left_value(t, root));
    case T_IN_STR:
    case T_IN_INT:
    case T_IN:
        return in_holds(t, left_value(t, root));
    case T_MATCH:
        return match_holds(e, t, left_value(t, root));
    default:
        return cmp_holds(t, root, left_value(t, root));
    }
}

bool lr_expr_eval_root(const lr_expr *e, const lr_expr_root *root)
{
    const test *prog = e->prog;
    int32_t i = 0;
    for (;;) {
        const test *t = &prog[i];
        i = run_test(e, t, root) ? t->on_true : t->on_false;
        if (i < 0)
            return i == END_TRUE;
    }
}

/* ------------------------------------------------------------------------ */
/* Batches                                                                   */
/* ------------------------------------------------------------------------ */

/* Bit i of `set`, lowest first: BODY runs with i bound. */
#define FOR_EACH_BIT(i, set, BODY)                                                                           \
    for (uint64_t each_ = (set); each_; each_ &= each_ - 1) {                                                \
        unsigned i = (unsigned)__builtin_ctzll(each_);                                                       \
        BODY                                                                                                 \
    }

static uint64_t run_test_batch(const lr_expr *e, const test *t, const lr_expr_root *roots, uint64_t active,
                               bool indexed)
{
    /* The test reads a known key and every record has the parser's key
     * index: the value is the slot's, the checks left_value makes being
     * settled for the whole batch. */
    const bool by_slot = indexed && t->top && t->known >= 0;
    const unsigned known = by_slot ? (unsigned)t->known : 0;
    uint64_t holds = 0;
/* bit i of holds: HOLDS(v) on record i's value v (one loop for each way to
 * find v, so the choice is not made per record) */
#define EACH_RECORD(HOLDS)                                                                                   \
    if (by_slot) {                                                                                           \
        FOR_EACH_BIT(i, active, {                                                                            \
            unsigned slot = roots[i].key_slots[known];                                                       \
            const lr_value *v = slot ? &roots[i].members[slot - 1].value : NULL;                             \
            holds |= (uint64_t)(HOLDS) << i;                                                                 \
        })                                                                                                   \
    } else {                                                                                                 \
        FOR_EACH_BIT(i, active, {                                                                            \
            const lr_value *v = left_value(t, &roots[i]);                                                    \
            holds |= (uint64_t)(HOLDS) << i;                                                                 \
        })                                                                                                   \
    }
    switch (t->kind) {
    case T_CONST:
        return t->value ? active : 0;
    case T_EXISTS:
        EACH_RECORD(v != NULL);
        break;
    case T_INT:
        EACH_RECORD(int_holds(t, v));
        break;
    case T_FLOAT:
        EACH_RECORD(float_holds(t, v));
        break;
    case T_STR_EQ:
        EACH_RECORD(str_eq_holds(t, v));
        break;
    case T_MATCH:
        EACH_RECORD(match_holds(e, t, v));
        break;
    case T_IN_INT:
    case T_IN_STR:
    case T_IN:
        EACH_RECORD(in_holds(t, v));
        break;
    default: /* T_CMP: also reads the root (a field on the right) */
        FOR_EACH_BIT(i, active, holds |= (uint64_t)run_test(e, t, &roots[i]) << i;)
        break;
    }
#undef EACH_RECORD
    return holds;
}

uint64_t lr_expr_roots_indexed(const lr_expr_root *roots, size_t n)
{
    uint64_t indexed = 0;
    for (size_t i = 0; i < n; i++)
        indexed |= (uint64_t)(roots[i].key_slots != NULL) << i;
    return indexed;
}

uint64_t lr_expr_eval_batch(const lr_expr *e, const lr_expr_root *roots, uint64_t active, uint64_t indexed)
{
    if (e->nprog > LR_EXPR_BATCH_TESTS) {
        /* a very long condition: record by record (its arrival sets would not fit on the stack) */
        uint64_t holds = 0;
        FOR_EACH_BIT(i, active, holds |= (uint64_t)lr_expr_eval_root(e, &roots[i]) << i;)
        return holds;
    }
    /* arrive[k]: the records that reach test k, valid where bit k of
     * `reached` is set (nothing is cleared up front). Jumps only go forward,
     * so when test k runs, every test that can jump to it has run. */
    uint64_t arrive[LR_EXPR_BATCH_TESTS];
    uint64_t reached = 1, yes = 0;
    bool all_indexed = (active & ~indexed) == 0; /* every record has the parser's key index */
    arrive[0] = active;
    for (size_t k = 0; k < e->nprog; k++) {
        if (!(reached >> k & 1))
            continue;
        uint64_t here = arrive[k];
        if (!here)
            continue;
        const test *t = &e->prog[k];
        uint64_t holds = run_test_batch(e, t, roots, here, all_indexed);
        uint64_t to[2] = {holds, here & ~holds}; /* on_true, on_false */
        int32_t next[2] = {t->on_true, t->on_false};
        for (int w = 0; w < 2; w++) {
            int32_t j = next[w];
            if (j == END_TRUE) {
                yes |= to[w];
            } else if (j >= 0) {
                arrive[j] = (reached >> j & 1) ? arrive[j] | to[w] : to[w];
                reached |= 1ull << j;
            }
        }
    }
    return yes;
}

bool lr_expr_eval(const lr_expr *e, const lr_value *fields)
{
    lr_expr_root root;
    lr_expr_root_init(&root, fields, false, NULL);
    return lr_expr_eval_root(e, &root);
}
