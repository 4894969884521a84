/*
 * bench_litset.c: the cost of one literal-set search (core/route/litset.c)
 * alone, per subject, without parsing or routing around it:
 *
 *   bench_litset [--sse2] [--passes N] PATTERN FILE
 *
 * Each line of FILE is a subject (without its newline), for example the
 * user agents of a cdn_access corpus:
 *   awk -F'"' '{print $4}' bench/results/parse/cdn_access.log > /tmp/ua.txt
 *   bench_litset '(?i)bot|crawler|spider' /tmp/ua.txt
 * Every subject is copied to its own allocation of exactly its length, so
 * a search that reads past the end shows under ASan. Prints the fastest
 * pass in ns per subject and the answers' counts, as `key=value`.
 *
 * Threading: single-threaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route/litset.h"

typedef struct subject {
    char *s;
    size_t len;
} subject;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    bool avx2 = true;
    long passes = 20;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--sse2") == 0)
            avx2 = false;
        else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc)
            passes = strtol(argv[++i], NULL, 10);
        else
            break;
    }
    if (argc - i != 2 || passes < 1) {
        fprintf(stderr, "usage: bench_litset [--sse2] [--passes N] PATTERN FILE\n");
        return 2;
    }
    const char *pattern = argv[i];
    lr_litset *ls = lr_litset_compile(pattern, strlen(pattern));
    if (!ls) {
        fprintf(stderr, "bench_litset: %s is not a literal set\n", pattern);
        return 2;
    }
    lr_litset_use_avx2(ls, avx2);
    FILE *f = fopen(argv[i + 1], "rb");
    if (!f) {
        perror(argv[i + 1]);
        return 2;
    }
    size_t n = 0, cap = 0;
    subject *subs = NULL;
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t got;
    while ((got = getline(&line, &line_cap, f)) >= 0) {
        size_t len = (size_t)got;
        if (len && line[len - 1] == '\n')
            len--;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            subject *grown = realloc(subs, cap * sizeof *subs);
            if (!grown)
                return 1;
            subs = grown;
        }
        subs[n].s = malloc(len ? len : 1);
        if (!subs[n].s)
            return 1;
        memcpy(subs[n].s, line, len);
        subs[n++].len = len;
    }
    free(line);
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "bench_litset: no subjects\n");
        return 2;
    }
    double best = 0;
    long counts[3] = {0, 0, 0}; /* -1, 0, 1 */
    for (long p = 0; p < passes; p++) {
        long c[3] = {0, 0, 0};
        double t0 = now_ns();
        for (size_t k = 0; k < n; k++)
            c[lr_litset_match(ls, subs[k].s, subs[k].len) + 1]++;
        double t = now_ns() - t0;
        if (p == 0 || t < best)
            best = t;
        memcpy(counts, c, sizeof c);
    }
    printf("bench=litset avx2=%d subjects=%zu passes=%ld ns_per_subject=%.2f match=%ld nomatch=%ld "
           "undecided=%ld\n",
           avx2, n, passes, best / (double)n, counts[2], counts[1], counts[0]);
    for (size_t k = 0; k < n; k++)
        free(subs[k].s);
    free(subs);
    lr_litset_free(ls);
    return 0;
}
