/*
 * routes.c: the route table: building it from the merged `routes:` list,
 * deciding per record which outputs get which view (fan-out), counters, and
 * the table `logrelay check` prints.
 *
 * Threading: build/free/print on the main thread at start-up. Dispatch runs
 * on the pipeline thread only; the counters it bumps are atomics so a stats
 * reader on another thread sees whole values.
 */
#include "route/routes.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "route/expr.h"
#include "route/transform.h"

typedef struct route {
    /* what dispatch reads first */
    size_t nfrom;
    char **from;       /* topics or format names; none = every record */
    lr_expr *when;     /* NULL = always */
    lr_transforms *tx; /* NULL = the record's own view */
    int *to;
    size_t nto;
    bool final;
    atomic_uint_fast64_t matched;
    /* for the table */
    char *name;
    char *file; /* where the route was written */
    int line;
    bool when_secret; /* holds a ${...} value: not printed */
} route;

struct lr_routes {
    route *r;
    size_t n;
    int unrouted_output;
    atomic_uint_fast64_t unrouted;
};

static const char *const route_keys[] = {"name",   "from", "when",  "set", "remove",
                                         "rename", "to",   "final", NULL};

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *d = xmalloc(n + 1);
    memcpy(d, s, n + 1);
    return d;
}

static void route_free(route *rt)
{
    free(rt->name);
    free(rt->file);
    for (size_t i = 0; i < rt->nfrom; i++)
        free(rt->from[i]);
    free(rt->from);
    lr_expr_free(rt->when);
    lr_transforms_free(rt->tx);
    free(rt->to);
}

void lr_routes_free(lr_routes *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        route_free(&r->r[i]);
    free(r->r);
    free(r);
}

/* ------------------------------------------------------------------------ */
/* Build                                                                     */
/* ------------------------------------------------------------------------ */

/* Edit distance, for "did you mean" on a mistyped key. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31)
        return 99;
    size_t d[32][32];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

static void unknown_key(const lr_cfg_node *key, const char *name, lr_errors *errs)
{
    const char *best = NULL;
    size_t best_d = 3;
    for (size_t i = 0; route_keys[i]; i++) {
        size_t d = edit_distance(key->str, route_keys[i]);
        if (d < best_d) {
            best_d = d;
            best = route_keys[i];
        }
    }
    if (best)
        lr_errorf(errs, key, "key '%s': route '%s': unknown key (did you mean '%s'?)", key->str, name, best);
    else
        lr_errorf(errs, key,
                  "key '%s': route '%s': unknown key (a route has name, from, when, set, remove, rename, to, "
                  "final)",
                  key->str, name);
}

static bool known_key(const char *k)
{
    for (size_t i = 0; route_keys[i]; i++)
        if (strcmp(k, route_keys[i]) == 0)
            return true;
    return false;
}

/* A scalar or a list of non-empty scalars; calls back per item. Returns errors added. */
typedef int (*item_fn)(route *rt, const lr_cfg_node *item, void *arg, lr_errors *errs);

static int each_name(route *rt, const lr_cfg_node *node, const char *key, item_fn fn, void *arg,
                     lr_errors *errs)
{
    if (node->kind == LR_CFG_MAP) {
        lr_errorf(errs, node, "key '%s': route '%s': expected a name or a list of names", key, rt->name);
        return 1;
    }
    int nerr = 0;
    size_t n = node->kind == LR_CFG_SEQ ? node->count : 1;
    for (size_t i = 0; i < n; i++) {
        const lr_cfg_node *item = node->kind == LR_CFG_SEQ ? node->items[i] : node;
        if (item->kind != LR_CFG_SCALAR || !item->str_len) {
            lr_errorf(errs, item, "key '%s': route '%s': expected a name", key, rt->name);
            nerr++;
            continue;
        }
        nerr += fn(rt, item, arg, errs);
    }
    return nerr;
}

static int add_from(route *rt, const lr_cfg_node *item, void *arg, lr_errors *errs)
{
    (void)arg;
    (void)errs;
    rt->from[rt->nfrom++] = xstrdup(item->str);
    return 0;
}

typedef struct lookup {
    lr_output_lookup_fn fn;
    void *arg;
} lookup;

static int add_to(route *rt, const lr_cfg_node *item, void *arg, lr_errors *errs)
{
    const lookup *lk = arg;
    int idx = lk->fn ? lk->fn(lk->arg, item->str) : -1;
    if (idx < 0) {
        lr_errorf(errs, item, "key 'to': route '%s': unknown output '%s' (define it under outputs:)",
                  rt->name, item->str);
        return 1;
    }
    for (size_t i = 0; i < rt->nto; i++)
        if (rt->to[i] == idx)
            return 0; /* named twice: delivered once anyway */
    rt->to[rt->nto++] = idx;
    return 0;
}

static size_t list_len(const lr_cfg_node *n)
{
    return n->kind == LR_CFG_SEQ ? n->count : 1;
}

static int parse_final(route *rt, const lr_cfg_node *node, lr_errors *errs)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "on", NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no", "off", NULL};
    if (node->kind == LR_CFG_SCALAR) {
        for (size_t i = 0; yes[i]; i++) {
            if (strcmp(node->str, yes[i]) == 0) {
                rt->final = true;
                return 0;
            }
        }
        for (size_t i = 0; no[i]; i++) {
            if (strcmp(node->str, no[i]) == 0) {
                rt->final = false;
                return 0;
            }
        }
    }
    lr_errorf(errs, node, "key 'final': route '%s': expected true or false", rt->name);
    return 1;
}

static int compile_when(route *rt, const lr_cfg_node *node, lr_errors *errs)
{
    if (node->kind != LR_CFG_SCALAR) {
        lr_errorf(errs, node, "key 'when': route '%s': expected a condition such as 'statuscode >= 500'",
                  rt->name);
        return 1;
    }
    char msg[320];
    int col = 0;
    rt->when_secret = node->substituted;
    rt->when = lr_expr_compile(node->str, &col, msg, sizeof msg);
    if (rt->when)
        return 0;
    if (node->substituted) /* the text holds a ${...} value: never echo it */
        lr_errorf(
            errs, node,
            "key 'when': route '%s': invalid condition at column %d (not shown: it contains a ${...} value)",
            rt->name, col);
    else
        lr_errorf(errs, node, "key 'when': route '%s': column %d of the condition: %s", rt->name, col, msg);
    return 1;
}

static const lr_cfg_node *get_key(const lr_cfg_node *map, const char *key)
{
    for (size_t i = 0; i < map->count; i++)
        if (strcmp(map->pairs[i].key->str, key) == 0)
            return map->pairs[i].value;
    return NULL;
}

/* One route from its mapping. Returns errors added. */
static int build_route(route *rt, const lr_cfg_node *map, size_t index, const lookup *lk, lr_errors *errs)
{
    int nerr = 0;
    const lr_cfg_node *name = get_key(map, "name");
    if (name && name->kind == LR_CFG_SCALAR && name->str_len) {
        rt->name = xstrdup(name->str);
    } else {
        char tmp[32];
        snprintf(tmp, sizeof tmp, "route-%zu", index + 1);
        rt->name = xstrdup(tmp);
        if (name) {
            lr_errorf(errs, name, "key 'name': route %zu: expected a non-empty name", index + 1);
            nerr++;
        }
    }
    rt->file = xstrdup(map->file ? map->file : "");
    rt->line = map->line;

    /* keys in the order written, so errors come out in file order */
    const lr_cfg_node *to = NULL;
    for (size_t i = 0; i < map->count; i++) {
        const char *k = map->pairs[i].key->str;
        const lr_cfg_node *v = map->pairs[i].value;
        if (!v) {
            lr_errorf(errs, map->pairs[i].key, "key '%s': route '%s': no value", k, rt->name);
            nerr++;
            continue;
        }
        if (!strcmp(k, "from")) {
            rt->from = xmalloc(list_len(v) * sizeof *rt->from);
            nerr += each_name(rt, v, "from", add_from, NULL, errs);
        } else if (!strcmp(k, "when")) {
            nerr += compile_when(rt, v, errs);
        } else if (!strcmp(k, "final")) {
            nerr += parse_final(rt, v, errs);
        } else if (!strcmp(k, "to")) {
            to = v;
            rt->to = xmalloc(list_len(v) * sizeof *rt->to);
            nerr += each_name(rt, v, "to", add_to, (void *)lk, errs);
        } else if (!known_key(k)) {
            unknown_key(map->pairs[i].key, rt->name, errs);
            nerr++;
        }
    }
    nerr += lr_transforms_build(get_key(map, "set"), get_key(map, "remove"), get_key(map, "rename"), rt->name,
                                &rt->tx, errs);
    if ((!to || (to->kind == LR_CFG_SEQ && to->count == 0)) && !rt->final) {
        lr_errorf(errs, map,
                  "route '%s': no outputs: add `to: [output, ...]` (or `final: true` to drop the records it "
                  "matches)",
                  rt->name);
        nerr++;
    }
    atomic_init(&rt->matched, 0);
    return nerr;
}

lr_routes *lr_routes_build(const lr_cfg_node *routes_seq, lr_output_lookup_fn lookup_fn, void *lookup_arg,
                           int unrouted_output, lr_errors *errs)
{
    lr_routes *r = xmalloc(sizeof *r);
    memset(r, 0, sizeof *r);
    r->unrouted_output = unrouted_output;
    atomic_init(&r->unrouted, 0);
    if (!routes_seq)
        return r;
    if (routes_seq->kind != LR_CFG_SEQ) {
        lr_errorf(errs, routes_seq, "key 'routes': expected a list of routes (- name: ..., to: [...])");
        lr_routes_free(r);
        return NULL;
    }
    lookup lk = {lookup_fn, lookup_arg};
    int nerr = 0;
    r->r = xmalloc(routes_seq->count * sizeof *r->r);
    memset(r->r, 0, routes_seq->count * sizeof *r->r);
    for (size_t i = 0; i < routes_seq->count; i++) {
        const lr_cfg_node *map = routes_seq->items[i];
        if (map->kind != LR_CFG_MAP) {
            lr_errorf(errs, map,
                      "key 'routes': item %zu: expected a route (a mapping with name, when, to, ...)", i + 1);
            nerr++;
            continue;
        }
        route *rt = &r->r[r->n++];
        nerr += build_route(rt, map, i, &lk, errs);
        /* `logrelay parse --route NAME` and the counters need unique names */
        for (size_t j = 0; j + 1 < r->n; j++) {
            if (strcmp(r->r[j].name, rt->name) == 0) {
                lr_errorf(errs, get_key(map, "name") ? get_key(map, "name") : map,
                          "key 'name': route '%s' is already defined at %s:%d", rt->name, r->r[j].file,
                          r->r[j].line);
                nerr++;
                break;
            }
        }
    }
    if (nerr) {
        lr_routes_free(r);
        return NULL;
    }
    return r;
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                  */
/* ------------------------------------------------------------------------ */

/* strcmp(a, b) == 0 for the short names of `from:`, without a libc call. */
static inline bool name_eq(const char *a, const char *b)
{
    for (;; a++, b++) {
        if (*a != *b)
            return false;
        if (!*a)
            return true;
    }
}

static bool from_matches(const route *rt, const lr_event *ev)
{
    if (!rt->nfrom)
        return true;
    for (size_t i = 0; i < rt->nfrom; i++) {
        const char *f = rt->from[i];
        if ((ev->source && name_eq(f, ev->source)) || (ev->format && name_eq(f, ev->format)))
            return true;
    }
    return false;
}

static bool route_matches(const route *rt, const lr_event *ev, const lr_expr_root *root)
{
    return from_matches(rt, ev) && (!rt->when || lr_expr_eval_root(rt->when, root));
}

static void add_count(atomic_uint_fast64_t *c, uint64_t n)
{
    /* one writer (the pipeline thread): a plain load+store is enough */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

/* Outputs already given a view: a bit per output below 64, the targets
 * themselves for the others. */
static bool taken(uint64_t mask, const lr_route_target *t, size_t n, int output)
{
    if (output >= 0 && output < 64)
        return mask >> output & 1;
    for (size_t i = 0; i < n; i++)
        if (t[i].output == output)
            return true;
    return false;
}

/* Route rt matched rec: its outputs not given a view yet get rt's view
 * (appended to targets[0..*n), bits in *given). */
static void deliver(const route *rt, lr_record *rec, lr_route_target *targets, size_t *n, size_t max_targets,
                    uint64_t *given)
{
    const lr_event *view = NULL;
    for (size_t k = 0; k < rt->nto && *n < max_targets; k++) {
        int out = rt->to[k];
        if (taken(*given, targets, *n, out))
            continue; /* an earlier route already sends this output its view */
        if (!view) {
            if (rt->tx) {
                view = lr_transforms_apply(rt->tx, rec);
            } else {
                if (!rec->ev.json) /* the parsers encode as they scan: mostly done */
                    lr_record_encode_json(rec);
                view = &rec->ev;
            }
        }
        targets[(*n)++] = (lr_route_target){out, view};
        if (out >= 0 && out < 64)
            *given |= 1ull << out;
    }
}

_Static_assert(LR_ROUTES_BATCH <= LR_EXPR_BATCH, "a batch's records are the bits of one mask");

/* Route by route over the whole batch: a route's condition runs on every
 * record still open before the next route's does (lr_expr_eval_batch), and
 * each record's targets are appended in route order, so every record gets
 * what routing it alone would give it. */
void lr_routes_dispatch_batch(const lr_routes *r, lr_record *const *recs, size_t n, lr_route_target *targets,
                              size_t max_targets, size_t *counts)
{
    if (n == 0)
        return;
    const uint64_t all = n >= 64 ? ~0ull : (1ull << n) - 1;
    uint64_t open = all;             /* not stopped by a final route yet */
    uint64_t matched = 0;            /* matched by some route */
    uint64_t given[LR_ROUTES_BATCH]; /* per record: see taken() */
    lr_expr_root roots[LR_ROUTES_BATCH];
    bool roots_ready = false; /* worked out for the first condition, shared by the others */
    uint64_t indexed = 0;     /* lr_expr_roots_indexed, with the roots */
    for (size_t i = 0; i < n; i++) {
        counts[i] = 0;
        given[i] = 0;
    }
    for (size_t k = 0; k < r->n && open; k++) {
        route *rt = &r->r[k];
        uint64_t hit = open;
        /* conditions always read the record as parsed, never another route's view */
        if (rt->nfrom) {
            /* Records of one batch nearly all share a source and a format,
             * whose names are then the same pointers (lr_source_name, the
             * parsers' constants): the names are compared once. Two live
             * records never hold different names at one address. */
            const char *seen_source = NULL, *seen_format = NULL;
            bool seen = false, seen_hit = false;
            hit = 0;
            for (uint64_t b = open; b; b &= b - 1) {
                unsigned i = (unsigned)__builtin_ctzll(b);
                const lr_event *ev = &recs[i]->ev;
                if (!seen || ev->source != seen_source || ev->format != seen_format) {
                    seen_hit = from_matches(rt, ev);
                    seen_source = ev->source;
                    seen_format = ev->format;
                    seen = true;
                }
                hit |= (uint64_t)seen_hit << i;
            }
        }
        if (hit && rt->when) {
            if (!roots_ready) {
                for (size_t i = 0; i < n; i++)
                    lr_expr_root_init(&roots[i], recs[i]->ev.fields, recs[i]->fields_unique_keys,
                                      recs[i]->has_key_slots ? recs[i]->key_slots : NULL);
                indexed = lr_expr_roots_indexed(roots, n);
                roots_ready = true;
            }
            hit = lr_expr_eval_batch(rt->when, roots, hit, indexed);
        }
        if (!hit)
            continue;
        matched |= hit;
        add_count(&rt->matched, (uint64_t)__builtin_popcountll(hit));
        for (uint64_t b = hit; b; b &= b - 1) {
            unsigned i = (unsigned)__builtin_ctzll(b);
            deliver(rt, recs[i], targets + i * max_targets, &counts[i], max_targets, &given[i]);
        }
        if (rt->final)
            open &= ~hit;
    }
    uint64_t unrouted = all & ~matched;
    if (!unrouted)
        return;
    add_count(&((lr_routes *)r)->unrouted, (uint64_t)__builtin_popcountll(unrouted));
    if (r->unrouted_output < 0 || max_targets == 0)
        return;
    for (uint64_t b = unrouted; b; b &= b - 1) {
        unsigned i = (unsigned)__builtin_ctzll(b);
        lr_record_encode_json(recs[i]);
        targets[i * max_targets] = (lr_route_target){r->unrouted_output, &recs[i]->ev};
        counts[i] = 1;
    }
}

size_t lr_routes_dispatch(const lr_routes *r, lr_record *rec, lr_route_target *targets, size_t max_targets)
{
    size_t n;
    lr_routes_dispatch_batch(r, &rec, 1, targets, max_targets, &n);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Introspection                                                             */
/* ------------------------------------------------------------------------ */

size_t lr_routes_count(const lr_routes *r)
{
    return r->n;
}

const char *lr_routes_name(const lr_routes *r, size_t i)
{
    return i < r->n ? r->r[i].name : NULL;
}

uint64_t lr_routes_matched(const lr_routes *r, size_t i)
{
    return i < r->n ? atomic_load_explicit(&r->r[i].matched, memory_order_relaxed) : 0;
}

uint64_t lr_routes_unrouted(const lr_routes *r)
{
    return atomic_load_explicit(&r->unrouted, memory_order_relaxed);
}

int lr_routes_find(const lr_routes *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->r[i].name, name) == 0)
            return (int)i;
    return -1;
}

bool lr_routes_match(const lr_routes *r, size_t i, const lr_event *ev)
{
    if (i >= r->n)
        return false;
    lr_expr_root root;
    lr_expr_root_init(&root, ev->fields, false, NULL);
    return route_matches(&r->r[i], ev, &root);
}

const lr_event *lr_routes_view(const lr_routes *r, size_t i, lr_record *rec)
{
    if (i >= r->n || !r->r[i].tx) {
        lr_record_encode_json(rec);
        return &rec->ev;
    }
    return lr_transforms_apply(r->r[i].tx, rec);
}

uint64_t lr_routes_regex_failures(const lr_routes *r)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->r[i].when)
            n += lr_expr_regex_failures(r->r[i].when);
    return n;
}

static void print_output(FILE *out, int idx, const char *const *names)
{
    if (names && names[idx])
        fputs(names[idx], out);
    else
        fprintf(out, "#%d", idx);
}

void lr_routes_print(const lr_routes *r, FILE *out, const char *const *output_names)
{
    if (!r->n) {
        fputs("Routes: none\n", out);
    } else {
        fprintf(out, "Routes (%zu, in order; a record goes to every matching route until a final one):\n",
                r->n);
    }
    for (size_t i = 0; i < r->n; i++) {
        const route *rt = &r->r[i];
        fprintf(out, "  %zu. %s%s    (%s:%d)\n", i + 1, rt->name, rt->final ? "  [final]" : "", rt->file,
                rt->line);
        fputs("       from:   ", out);
        if (!rt->nfrom)
            fputs("(any source)", out);
        for (size_t k = 0; k < rt->nfrom; k++)
            fprintf(out, "%s%s", k ? ", " : "", rt->from[k]);
        fputs("\n       when:   ", out);
        if (!rt->when)
            fputs("(always)", out);
        else if (rt->when_secret)
            fputs("(hidden: contains a ${...} value)", out);
        else
            for (const char *c = lr_expr_text(rt->when); *c; c++) /* a folded YAML condition: one line */
                fputc(*c == '\n' || *c == '\r' || *c == '\t' ? ' ' : *c, out);
        fputc('\n', out);
        lr_transforms_print(rt->tx, out, "       ");
        fputs("       to:     ", out);
        if (!rt->nto)
            fputs("(nothing: matching records are dropped)", out);
        for (size_t k = 0; k < rt->nto; k++) {
            if (k)
                fputs(", ", out);
            print_output(out, rt->to[k], output_names);
        }
        fputc('\n', out);
    }
    fputs("Unrouted records: ", out);
    if (r->unrouted_output < 0) {
        fputs("dropped (counted)\n", out);
    } else {
        print_output(out, r->unrouted_output, output_names);
        fputc('\n', out);
    }
}
