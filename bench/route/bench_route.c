/*
 * bench_route.c: what routing adds to the parse cost. Five typical routes
 * per format (built in below, or --routes FILE), evaluated on every record
 * of a corpus, measured against parsing the same corpus in the same run:
 *
 *   bench_route --format cdn_access [--seconds 3] [--routes FILE] [--source TOPIC] FILE
 *
 * The corpus is loaded into memory once. Passes over it, alternating:
 *   parse         lr_parse_message, records freed
 *   parse_encode  the same plus each record's JSON (every output needs it):
 *                 what bench_parse measures, "the parse cost"
 *   parse_encode_held  the same with records kept in batches and freed a
 *                 batch at a time, as routing keeps them: what holding a
 *                 batch costs the parser (its blocks are no longer the one
 *                 just freed, hot in cache)
 *   routing       parse and encode, then lr_routes_dispatch_batch (conditions,
 *                 transforms and their views' JSON) on each batch of records
 *                 just parsed, as the pipeline does; only the dispatch calls
 *                 are timed (one clock read pair per batch, its cost
 *                 subtracted): the cost of routing alone
 *   parse_encode_route  the pipeline's order: records parsed and encoded
 *                 into a batch, each full batch dispatched at once; the
 *                 whole pass is timed, and what it takes more than
 *                 parse_encode is what routing adds to the parse cost
 *                 (added_ns, pct_added_to_parse_encode: fastest passes;
 *                 paired_added_ns: the median over rounds of the difference
 *                 between the two passes of one round, which run back to
 *                 back; paired_pct_added: that over the fastest parse_encode)
 *   parse_encode_route_each  the same with each record dispatched alone
 *                 as soon as it is parsed (lr_routes_dispatch): what
 *                 batching saves
 * Batches end as the pipeline's do: at LR_ROUTES_BATCH records (--batch N
 * for fewer) or LR_ROUTES_BATCH_BYTES of records (--batch-bytes N; 0: no
 * such bound); `mean_batch` tells how many records they held. --only MODE
 * runs passes of one kind alone (for a profiler); its figures then stand
 * alone.
 * Each figure is the fastest pass of its kind (the machine is shared),
 * except the paired ones;
 * routing is reported in ns per record and as a percentage of parse_encode
 * and of parse alone. Prints `key=value` lines. A --routes FILE holding one
 * route gives that route's own cost (docs/routes.md, "Performance", has
 * the figures and what makes a condition fast).
 *
 * Threading: single-threaded by design: the figures are per core.
 */
#include <errno.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "parse/parse.h"
#include "record/source_names.h"
#include "route/routes.h"

static const char *const outputs[] = {"datadog", "es", "archive", "bots", "secops", NULL};
#define NOUT 5

/* Five routes a CDN customer writes first (docs/routes.md has them explained). */
static const char *cdn_routes =
    "routes:\n"
    "  - name: errors-to-datadog\n"
    "    from: [c83]\n"
    "    when: 'statuscode >= 500 or (layer == \"L1\" and hitmiss == \"miss\")'\n"
    "    to: [datadog]\n"
    "  - name: slow-requests\n"
    "    when: 'requesttime > 1.5 and verb in [\"GET\", \"HEAD\"]'\n"
    "    to: [es]\n"
    "  - name: bots\n"
    "    when: 'useragent =~ \"(?i)bot|crawler|spider\"'\n"
    "    to: [bots]\n"
    "  - name: wordpress-probes\n"
    "    when: 'request =~ \"^/wp-(admin|login)\" and statuscode in [401, 403, 404]'\n"
    "    set: {team: secops}\n"
    "    to: [secops]\n"
    "  - name: archive-everything\n"
    "    to: [archive]\n";

static const char *waf_routes =
    "routes:\n"
    "  - name: waf-critical\n"
    "    from: [c83_waf]\n"
    "    when: 'transaction.messages.details.severity <= 2 and transaction.messages.details.ruleId =~ "
    "\"^94\"'\n"
    "    set: {team: secops}\n"
    "    remove: [transaction.request.headers.Cookie]\n"
    "    to: [secops, archive]\n"
    "  - name: blocked\n"
    "    when: 'transaction.response.http_code >= 400'\n"
    "    to: [datadog]\n"
    "  - name: scanners\n"
    "    when: 'transaction.request.headers.User-Agent =~ \"(?i)nikto|sqlmap|nmap|masscan\"'\n"
    "    to: [bots]\n"
    "  - name: our-hosts\n"
    "    when: 'transaction.request.headers.Host in [\"www.example.com\", \"shop.example.com\"]'\n"
    "    to: [es]\n"
    "  - name: archive-everything\n"
    "    to: [archive]\n";

typedef enum mode { M_PARSE, M_ENCODE, M_HELD, M_ROUTE, M_INLINE, M_EACH, M_COUNT } mode;

typedef struct sink {
    mode m;
    const char *source;
    const lr_routes *routes;
    uint64_t records;
    uint64_t targets_total;
    uint64_t batches;
    lr_record *batch[LR_ROUTES_BATCH]; /* M_ROUTE, M_INLINE: parsed, waiting to be routed */
    size_t nbatch, batch_size;
    size_t batch_bytes, batch_bytes_max; /* lr_record_bytes of the batch, and the pipeline's bound */
    lr_route_target targets[LR_ROUTES_BATCH * NOUT];
    size_t counts[LR_ROUTES_BATCH];
    double route_s; /* time inside dispatch */
    uint64_t timed_batches;
} sink;

static int lookup(void *arg, const char *name)
{
    (void)arg;
    for (int i = 0; outputs[i]; i++)
        if (!strcmp(outputs[i], name))
            return i;
    return -1;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What an empty timed block measures: subtracted once per batch. */
static double timer_cost(void)
{
    double best = 1.0;
    for (int r = 0; r < 2000; r++) {
        double a = mono_now();
        double b = mono_now();
        if (b - a < best)
            best = b - a;
    }
    return best;
}

static void route_batch(sink *s)
{
    s->batches++;
    s->batch_bytes = 0;
    if (s->m == M_HELD) {
        for (size_t i = 0; i < s->nbatch; i++)
            lr_record_unref(s->batch[i]);
        s->nbatch = 0;
        return;
    }
    double t0 = s->m == M_ROUTE ? mono_now() : 0;
    lr_routes_dispatch_batch(s->routes, s->batch, s->nbatch, s->targets, NOUT, s->counts);
    if (s->m == M_ROUTE) {
        s->route_s += mono_now() - t0;
        s->timed_batches++;
    }
    for (size_t i = 0; i < s->nbatch; i++) {
        s->targets_total += s->counts[i];
        lr_record_unref(s->batch[i]);
    }
    s->nbatch = 0;
}

static void emit(lr_record *rec, void *arg)
{
    sink *s = arg;
    s->records++;
    /* what the pipeline does for every record, whatever is measured */
    lr_record_set_source_name(rec, s->source);
    if (s->m >= M_ENCODE)
        lr_record_encode_json(rec);
    if (s->m == M_EACH) {
        lr_route_target t[NOUT];
        s->targets_total += lr_routes_dispatch(s->routes, rec, t, NOUT);
        lr_record_unref(rec);
        return;
    }
    if (s->m != M_HELD && s->m != M_ROUTE && s->m != M_INLINE) {
        lr_record_unref(rec);
        return;
    }
    s->batch[s->nbatch++] = rec;
    s->batch_bytes += lr_record_bytes(rec);
    if (s->nbatch == s->batch_size || s->batch_bytes >= s->batch_bytes_max)
        route_batch(s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts v. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static char *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0, r;
    char *buf = malloc(cap);
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* One pass over the corpus; returns CPU seconds. */
static double run_pass(lr_format fmt, const char *data, size_t len, sink *s, uint64_t *lines)
{
    lr_parse_options opt = {.split_messages = true};
    lr_parse_stats st;
    memset(&st, 0, sizeof st);
    double c0 = cpu_now();
    const char *p = data, *e = data + len;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        if (le > p) {
            lr_parse_message(fmt, &opt, p, (size_t)(le - p), &st, emit, s);
            (*lines)++;
        }
        p = le + 1;
    }
    return cpu_now() - c0;
}

int main(int argc, char **argv)
{
    const char *format = "cdn_access", *path = NULL, *routes_file = NULL, *source = NULL;
    double seconds = 3.0;
    size_t batch_size = LR_ROUTES_BATCH, batch_bytes_max = LR_ROUTES_BATCH_BYTES;
    const char *only = NULL; /* for profiling: passes of that kind alone */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc)
            format = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--routes") && i + 1 < argc)
            routes_file = argv[++i];
        else if (!strcmp(argv[i], "--source") && i + 1 < argc)
            source = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch_size = (size_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch-bytes") && i + 1 < argc)
            batch_bytes_max = (size_t)atol(argv[++i]);
        else if (argv[i][0] != '-' && !path)
            path = argv[i];
        else {
            fprintf(stderr, "usage: bench_route [--format F] [--seconds S] [--routes FILE] [--source TOPIC] "
                            "[--batch N] [--batch-bytes N] [--only MODE] FILE\n");
            return 2;
        }
    }
    int fmt = lr_format_from_name(format);
    if (!path || fmt < 0) {
        fprintf(stderr, "bench_route: need FILE and a known --format (%s)\n", lr_format_names());
        return 2;
    }
    if (!routes_file && fmt != LR_FORMAT_CDN_ACCESS && fmt != LR_FORMAT_WAF_JSON) {
        fprintf(stderr,
                "bench_route: built-in routes exist for cdn_access and waf_json; give --routes FILE\n");
        return 2;
    }
    if (batch_bytes_max == 0)
        batch_bytes_max = SIZE_MAX;
    if (batch_size < 1 || batch_size > LR_ROUTES_BATCH) {
        fprintf(stderr, "bench_route: --batch takes 1..%d\n", LR_ROUTES_BATCH);
        return 2;
    }
    if (!source)
        source = fmt == LR_FORMAT_WAF_JSON ? "c83_waf" : "c83";
    source = lr_source_name(source); /* as the pipeline names its records' sources */

    lr_errors errs;
    lr_errors_init(&errs);
    lr_config *cfg = routes_file ? lr_config_load(routes_file, &errs)
                                 : lr_config_load_string(fmt == LR_FORMAT_WAF_JSON ? waf_routes : cdn_routes,
                                                         "built-in", &errs);
    lr_routes *routes =
        cfg ? lr_routes_build(lr_cfg_get(cfg->root, "routes"), lookup, NULL, -1, &errs) : NULL;
    if (!routes) {
        fprintf(stderr, "bench_route: routes:\n%s", errs.text.data ? errs.text.data : "");
        return 1;
    }
    size_t len;
    char *data = load(path, &len);
    if (!data) {
        fprintf(stderr, "bench_route: cannot read %s: %s\n", path, strerror(errno));
        return 1;
    }

    static const char *const names[M_COUNT] = {"parse",   "parse_encode",       "parse_encode_held",
                                               "routing", "parse_encode_route", "parse_encode_route_each"};
    double tc = timer_cost();
    double best[M_COUNT] = {0};
    uint64_t lines = 0, records = 0, targets = 0, rounds = 0;
    double mean_batch = 0;
    /* every pass's time, by round: passes of one round run back to back, so
     * their differences hold less of the machine's noise than two bests */
    size_t cap_rounds = 64;
    double(*per_round)[M_COUNT] = calloc(cap_rounds, sizeof *per_round);
    double c0 = cpu_now();
    do {
        for (int m = M_PARSE; m < M_COUNT; m++) {
            if (only && strcmp(only, names[m]))
                continue;
            sink s = {.m = (mode)m,
                      .source = source,
                      .routes = routes,
                      .batch_size = batch_size,
                      .batch_bytes_max = batch_bytes_max};
            lines = 0;
            double t = run_pass((lr_format)fmt, data, len, &s, &lines);
            if (s.nbatch)
                route_batch(&s);
            if (m == M_ROUTE) {
                t = s.route_s - tc * (double)s.timed_batches;
                targets = s.targets_total;
                mean_batch = (double)s.records / (double)(s.batches ? s.batches : 1);
            }
            if (!rounds || t < best[m])
                best[m] = t;
            if (per_round)
                per_round[rounds][m] = t;
            records = s.records;
        }
        rounds++;
        if (per_round && rounds == cap_rounds) {
            cap_rounds *= 2;
            double(*grown)[M_COUNT] = realloc(per_round, cap_rounds * sizeof *per_round);
            if (!grown)
                free(per_round);
            per_round = grown;
        }
    } while (cpu_now() - c0 < seconds || rounds < 3);

    double ns[M_COUNT];
    for (int m = 0; m < M_COUNT; m++)
        ns[m] = best[m] * 1e9 / (double)records;
    for (int m = 0; m <= M_HELD; m++)
        printf("bench=%s format=%s lines=%llu records=%llu passes=%llu ns_per_record=%.1f\n", names[m],
               format, (unsigned long long)lines, (unsigned long long)records, (unsigned long long)rounds,
               ns[m]);
    printf("bench=routing format=%s routes=%zu records=%llu passes=%llu mean_batch=%.1f ns_per_record=%.1f "
           "pct_of_parse_encode=%.1f pct_of_parse=%.1f targets_per_record=%.2f\n",
           format, lr_routes_count(routes), (unsigned long long)records, (unsigned long long)rounds,
           mean_batch, ns[M_ROUTE], 100.0 * ns[M_ROUTE] / ns[M_ENCODE], 100.0 * ns[M_ROUTE] / ns[M_PARSE],
           (double)targets / (double)records);
    for (int m = M_INLINE; m <= M_EACH; m++) {
        double added = ns[m] - ns[M_ENCODE];
        /* the median of this pass minus the parse_encode pass of its round */
        double paired = NAN;
        if (per_round && !only) {
            double *d = malloc(rounds * sizeof *d);
            for (uint64_t r = 0; d && r < rounds; r++)
                d[r] = per_round[r][m] - per_round[r][M_ENCODE];
            if (d)
                paired = median(d, rounds) * 1e9 / (double)records;
            free(d);
        }
        printf("bench=%s format=%s records=%llu passes=%llu batch=%zu ns_per_record=%.1f added_ns=%.1f "
               "pct_added_to_parse_encode=%.1f added_to_held_ns=%.1f paired_added_ns=%.1f "
               "paired_pct_added=%.1f\n",
               names[m], format, (unsigned long long)records, (unsigned long long)rounds,
               m == M_EACH ? (size_t)1 : batch_size, ns[m], added, 100.0 * added / ns[M_ENCODE],
               ns[m] - ns[M_HELD], paired, 100.0 * paired / ns[M_ENCODE]);
    }
    free(per_round);
    /* three passes per round route records (M_ROUTE, M_INLINE, M_EACH) */
    for (size_t i = 0; i < lr_routes_count(routes); i++)
        printf("route=%s matched_per_pass=%llu\n", lr_routes_name(routes, i),
               (unsigned long long)(lr_routes_matched(routes, i) / (3 * rounds)));
    printf("unrouted_per_pass=%llu\n", (unsigned long long)(lr_routes_unrouted(routes) / (3 * rounds)));
    free(data);
    lr_routes_free(routes);
    lr_config_free(cfg);
    lr_errors_free(&errs);
    return 0;
}
