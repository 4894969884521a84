/*
 * cmd_parse.c: `logrelay parse --format F [--no-split] [FILE...]`: run the
 * parsers over lines from files or stdin and print each record's JSON (the
 * encoding every output shares), one per line, with a summary on stderr. The
 * users' debugging tool, and how tests and benchmarks reach the parsers
 * without Kafka.
 *
 * I/O: large read() calls into one growing buffer (a line may be any length
 * up to LR_PARSE_MAX_LINE), LF or CRLF line ends, output gathered in a 1 MiB
 * buffer and written with write(). Exit 0 when everything was read and
 * written (parse failures are data, not errors), 1 on an I/O error, 2 on a
 * usage error.
 *
 * Threading: single-threaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "config/config.h"
#include "parse/parse.h"
#include "route/routes.h"
#include "util/buf.h"

#define LR_PARSE_READ_CHUNK ((size_t)1 << 20)
#define LR_PARSE_OUT_FLUSH ((size_t)1 << 20)
#define LR_PARSE_MAX_LINE ((size_t)1 << 30)

typedef struct parse_run {
    lr_format format;
    lr_parse_options opt;
    lr_parse_stats stats;
    lr_buf out;
    bool write_failed;
    /* --route: print only what that route matches, as it would deliver it */
    const lr_routes *routes;
    int route;
    const char *source; /* what `from:` sees (a topic); NULL: none */
    uint64_t matched;
} parse_run;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: logrelay parse --format FORMAT [--no-split] [--quiet]\n"
            "                      [--route NAME -c CONFIG [--source TOPIC]] [FILE...]\n"
            "\n"
            "Parse each line of the FILEs (standard input when none, or for '-') and\n"
            "print one JSON object per record to stdout; a summary (lines, parsed,\n"
            "failed per reason) goes to stderr.\n"
            "\n"
            "  -f, --format FORMAT  one of: %s\n"
            "      --no-split       waf_json: keep transaction.messages as one array\n"
            "                       (default: one record per message)\n"
            "  -r, --route NAME     print only the records route NAME of the configuration\n"
            "                       matches (its `from` and `when`), with its transforms\n"
            "                       applied: how to test a rule before deploying it\n"
            "  -c, --config PATH    the configuration holding the route (file or conf.d)\n"
            "  -s, --source TOPIC   the topic the records come from, for `from:`\n"
            "  -q, --quiet          no summary\n"
            "  -h, --help           this text\n"
            "\n"
            "Exit status: 0 when all input was read and written (lines that do not\n"
            "parse are records with parse_error, not errors), 1 on an I/O error,\n"
            "2 on a usage error.\n",
            lr_format_names());
}

static bool flush_out(parse_run *run)
{
    size_t off = 0;
    while (off < run->out.len && !run->write_failed) {
        ssize_t w = write(STDOUT_FILENO, run->out.data + off, run->out.len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "logrelay parse: write error: %s\n", strerror(errno));
            run->write_failed = true;
            break;
        }
        off += (size_t)w;
    }
    lr_buf_reset(&run->out);
    return !run->write_failed;
}

static void emit(lr_record *rec, void *arg)
{
    parse_run *run = arg;
    const lr_event *ev = &rec->ev;
    if (run->routes) {
        if (run->source)
            lr_record_set_source(rec, run->source);
        if (!lr_routes_match(run->routes, (size_t)run->route, &rec->ev)) {
            lr_record_unref(rec);
            return;
        }
        run->matched++;
        ev = lr_routes_view(run->routes, (size_t)run->route, rec);
    } else {
        lr_record_encode_json(rec);
    }
    if (!run->write_failed) {
        lr_buf_append(&run->out, ev->json, ev->json_len);
        lr_buf_append_char(&run->out, '\n');
        if (run->out.len >= LR_PARSE_OUT_FLUSH || run->out.failed)
            flush_out(run);
    }
    lr_record_unref(rec);
}

static void parse_line(parse_run *run, const char *line, size_t len)
{
    if (len && line[len - 1] == '\r')
        len--;
    lr_parse_message(run->format, &run->opt, line, len, &run->stats, emit, run);
}

/* Every line of fd; false on a read error (what was read is still parsed). */
static bool parse_fd(parse_run *run, int fd, const char *name)
{
    size_t cap = LR_PARSE_READ_CHUNK;
    char *buf = malloc(cap);
    if (!buf) {
        fprintf(stderr, "logrelay parse: out of memory\n");
        return false;
    }
    size_t have = 0;  /* bytes in buf */
    size_t start = 0; /* start of the current (incomplete) line */
    size_t scan = 0;  /* bytes before this have no '\n' after start */
    bool ok = true;
    while (!run->write_failed) {
        if (have == cap) {
            if (start > 0) {
                memmove(buf, buf + start, have - start);
                have -= start;
                scan -= start;
                start = 0;
            } else if (cap >= LR_PARSE_MAX_LINE) {
                fprintf(stderr, "logrelay parse: %s: line longer than %zu bytes\n", name, LR_PARSE_MAX_LINE);
                ok = false;
                break;
            } else {
                char *nb = realloc(buf, cap * 2);
                if (!nb) {
                    fprintf(stderr, "logrelay parse: %s: out of memory for a %zu-byte line\n", name, cap);
                    ok = false;
                    break;
                }
                buf = nb;
                cap *= 2;
            }
        }
        ssize_t r = read(fd, buf + have, cap - have);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "logrelay parse: %s: read error: %s\n", name, strerror(errno));
            ok = false;
            break;
        }
        if (r == 0)
            break;
        have += (size_t)r;
        const char *nl;
        while ((nl = memchr(buf + scan, '\n', have - scan)) != NULL) {
            size_t end = (size_t)(nl - buf);
            parse_line(run, buf + start, end - start);
            start = scan = end + 1;
        }
        scan = have;
    }
    if (start < have && !run->write_failed)
        parse_line(run, buf + start, have - start); /* last line without '\n' */
    free(buf);
    return ok;
}

static bool parse_path(parse_run *run, const char *path)
{
    if (strcmp(path, "-") == 0)
        return parse_fd(run, STDIN_FILENO, "<stdin>");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "logrelay parse: cannot open '%s': %s\n", path, strerror(errno));
        return false;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    bool ok = parse_fd(run, fd, path);
    close(fd);
    return ok;
}

static void print_summary(const parse_run *run)
{
    const lr_parse_stats *st = &run->stats;
    fprintf(stderr, "%s: %llu lines, %llu records: %llu parsed, %llu failed\n", lr_format_name(run->format),
            (unsigned long long)st->messages, (unsigned long long)st->records, (unsigned long long)st->parsed,
            (unsigned long long)st->failed);
    /* reasons, most frequent first */
    bool shown[LR_PARSE_REASON_MAX] = {false};
    for (;;) {
        int best = -1;
        for (int i = 0; i < LR_PARSE_REASON_MAX && st->reason[i]; i++) {
            if (!shown[i] && (best < 0 || st->reason_count[i] > st->reason_count[best]))
                best = i;
        }
        if (best < 0)
            break;
        shown[best] = true;
        fprintf(stderr, "  %10llu  %s\n", (unsigned long long)st->reason_count[best], st->reason[best]);
    }
}

/* Route lookups for --route: any output the configuration declares exists;
 * the outputs themselves are not started. */
static int lookup_declared_output(void *arg, const char *name)
{
    const lr_cfg_node *outs = arg;
    for (size_t i = 0; outs && outs->kind == LR_CFG_MAP && i < outs->count; i++) {
        if (strcmp(outs->pairs[i].key->str, name) == 0)
            return (int)i;
    }
    return -1;
}

/* 0, or the exit status of the failure (messages printed). */
static int load_route(parse_run *run, const char *config, const char *route, lr_config **cfg_out,
                      lr_routes **routes_out)
{
    if (!config) {
        fprintf(stderr, "logrelay parse: --route needs the configuration that holds it (-c PATH)\n");
        return 2;
    }
    lr_errors errs;
    lr_errors_init(&errs);
    lr_config *cfg = lr_config_load(config, &errs);
    lr_routes *routes = NULL;
    if (cfg) {
        const lr_cfg_node *outs = lr_cfg_get(cfg->root, "outputs");
        routes =
            lr_routes_build(lr_cfg_get(cfg->root, "routes"), lookup_declared_output, (void *)outs, -1, &errs);
    }
    if (!cfg || !routes || errs.count) {
        lr_cli_print_errors(&errs, config);
        lr_errors_free(&errs);
        lr_routes_free(routes);
        lr_config_free(cfg);
        return 1;
    }
    lr_errors_free(&errs);
    run->route = lr_routes_find(routes, route);
    if (run->route < 0) {
        fprintf(stderr, "logrelay parse: %s has no route named '%s' (routes:", config, route);
        for (size_t i = 0; i < lr_routes_count(routes); i++)
            fprintf(stderr, " %s", lr_routes_name(routes, i));
        fprintf(stderr, ")\n");
        lr_routes_free(routes);
        lr_config_free(cfg);
        return 1;
    }
    run->routes = routes;
    *cfg_out = cfg;
    *routes_out = routes;
    return 0;
}

int lr_cmd_parse(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {"no-split", no_argument, NULL, 'S'},
        {"quiet", no_argument, NULL, 'q'},        {"route", required_argument, NULL, 'r'},
        {"config", required_argument, NULL, 'c'}, {"source", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *format = NULL, *route = NULL, *config = NULL;
    bool quiet = false;
    parse_run run;
    memset(&run, 0, sizeof run);
    run.opt.split_messages = true;
    optind = 0; /* glibc: full re-initialisation, whatever ran before */
    int c;
    while ((c = getopt_long(argc, argv, "+f:qr:c:s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            route = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 's':
            run.source = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'S':
            run.opt.split_messages = false;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!format) {
        fprintf(stderr, "logrelay parse: --format is required (%s)\n\n", lr_format_names());
        usage(stderr);
        return 2;
    }
    int f = lr_format_from_name(format);
    if (f < 0) {
        fprintf(stderr, "logrelay parse: unknown format '%s' (expected one of: %s)\n", format,
                lr_format_names());
        return 2;
    }
    run.format = (lr_format)f;
    lr_config *cfg = NULL;
    lr_routes *routes = NULL;
    if (route) {
        int rc = load_route(&run, config, route, &cfg, &routes);
        if (rc)
            return rc;
    }
    lr_buf_init(&run.out, 0);

    bool ok = true;
    if (optind >= argc) {
        ok = parse_path(&run, "-");
    } else {
        for (int i = optind; i < argc && !run.write_failed; i++)
            ok = parse_path(&run, argv[i]) && ok;
    }
    ok = flush_out(&run) && ok;
    lr_buf_free(&run.out);
    if (!quiet) {
        print_summary(&run);
        if (routes)
            fprintf(stderr, "route %s: %llu of %llu records matched\n", route,
                    (unsigned long long)run.matched, (unsigned long long)run.stats.records);
    }
    lr_routes_free(routes);
    lr_config_free(cfg);
    return ok && !run.write_failed ? 0 : 1;
}
