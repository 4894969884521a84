/*
 * routes.h: the route table (`routes:` across conf.d files, in file order).
 * A route has: name, from (topics or formats; absent = all), when (an
 * expression, absent = always), transforms (set / remove / rename), to
 * (output names), final. A record goes to every matching route's outputs,
 * each output at most once, until a final route matches. Records matched by
 * no route go to `agent.unrouted` (drop = finished at once, counted).
 *
 * Transforms are copy-on-write: a route with transforms gets its own view of
 * the record (a new root object whose unchanged members share the record's
 * values) and its own JSON encoding, allocated in the record's arena during
 * routing; other routes never see them.
 *
 * Threading: built at start-up; lr_routes_dispatch runs on the pipeline
 * thread only.
 */
#ifndef LR_ROUTES_H
#define LR_ROUTES_H

#include <logrelay/logrelay.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "record/record.h"

typedef struct lr_routes lr_routes;

/* Resolves an output name to its index; -1 when unknown. */
typedef int (*lr_output_lookup_fn)(void *arg, const char *name);

/* Build from the merged config's `routes` sequence (may be NULL: no routes).
 * `unrouted_output` is the index for agent.unrouted, or -1 for drop.
 * Returns NULL with errors (file:line:col, expression column, PCRE2 message,
 * unknown output names). */
lr_routes *lr_routes_build(const lr_cfg_node *routes_seq, lr_output_lookup_fn lookup, void *lookup_arg,
                           int unrouted_output, lr_errors *errs);
void lr_routes_free(lr_routes *r);

/* One delivery decided by routing: output index and the event view it gets
 * (the record's own ev, or a transformed view living in the record's arena).
 * Every view's json is encoded before dispatch returns. */
typedef struct lr_route_target {
    int output;
    const lr_event *ev;
} lr_route_target;

/* Decide where a record goes. Fills targets (capacity max_targets, at least
 * the number of outputs) and returns how many; 0 = unrouted and dropped. */
size_t lr_routes_dispatch(const lr_routes *r, lr_record *rec, lr_route_target *targets, size_t max_targets);
/* The same for n records at once (n <= LR_ROUTES_BATCH), what the pipeline
 * does: record i's targets are targets[i * max_targets ...], counts[i] of
 * them, exactly those lr_routes_dispatch would give it. Cheaper per record:
 * each condition runs over the whole batch (expr.h, lr_expr_eval_batch). */
#define LR_ROUTES_BATCH 64
/* A batch also ends once its records take this much memory
 * (lr_record_bytes): every condition reads every record of the batch, which
 * should stay in the core's nearer caches. Access-log records (about 1.7 KB)
 * fill LR_ROUTES_BATCH first; WAF records (several KB) end batches of 15-20. */
#define LR_ROUTES_BATCH_BYTES (128 * 1024)
void lr_routes_dispatch_batch(const lr_routes *r, lr_record *const *recs, size_t n, lr_route_target *targets,
                              size_t max_targets, size_t *counts);

/* Counters: per route matches, unrouted records. */
size_t lr_routes_count(const lr_routes *r);
const char *lr_routes_name(const lr_routes *r, size_t i);
uint64_t lr_routes_matched(const lr_routes *r, size_t i);
uint64_t lr_routes_unrouted(const lr_routes *r);
/* Route table for `logrelay check`. output_names[i] names output index i
 * (NULL: indexes are printed). */
void lr_routes_print(const lr_routes *r, FILE *out, const char *const *output_names);

/* For `logrelay parse --route NAME` and replay: the index of a route by
 * name (-1 when none), whether route i alone matches ev (from + when; no
 * counters, no `final` logic), and the view route i would deliver (its
 * transforms applied, JSON encoded, in rec's arena; the record's own view
 * when it has none). */
int lr_routes_find(const lr_routes *r, const char *name);
bool lr_routes_match(const lr_routes *r, size_t i, const lr_event *ev);
const lr_event *lr_routes_view(const lr_routes *r, size_t i, lr_record *rec);
/* Regex matches that hit their limit, over every route (see expr.h). */
uint64_t lr_routes_regex_failures(const lr_routes *r);

#endif
