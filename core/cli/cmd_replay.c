/*
 * cmd_replay.c: `logrelay replay -c PATH --format FMT [FILE...]`: push the
 * lines of files (or stdin) through the configured routes and outputs, as a
 * batch job: the backfill path, and the way to try a configuration before
 * Kafka exists. Exits when every record is delivered or dead-lettered (or at
 * --timeout), prints a summary per output; exit 0 when nothing was left
 * undelivered.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "config/options.h"
#include "pipeline/agent.h"
#include "util/linereader.h"
#include "util/log.h"

static atomic_uint_fast64_t finished_messages;

static void message_done(void *origin)
{
    (void)origin;
    atomic_fetch_add_explicit(&finished_messages, 1, memory_order_relaxed);
}

static void usage(void)
{
    puts("usage: logrelay replay [-c PATH] [--format FMT] [--source NAME] [--timeout DURATION] [FILE...]\n\n"
         "Push each line of the FILEs (stdin when none, or '-') through the configured\n"
         "routes and outputs, wait until every record is delivered or dead-lettered,\n"
         "print a summary per output.\n\n"
         "  -c, --config PATH     YAML file or conf.d directory (default " LR_DEFAULT_CONFIG ")\n"
         "  -f, --format FMT      cdn_access, waf_json, json or raw (default raw)\n"
         "  -s, --source NAME     source name the routes' `from:` sees (default: the file name)\n"
         "  -t, --timeout DUR     give up waiting for outputs after DUR (e.g. 30s; default: wait)\n"
         "      --no-split        waf_json: keep transaction.messages arrays in one record\n\n"
         "Exit status: 0 all delivered (or dead-lettered), 1 records left undelivered or\n"
         "an input could not be read, 2 usage error.");
}

/* Wait while outputs are congested: replay has no Kafka to pause, so it simply waits. */
static void wait_for_room(lr_agent *a)
{
    struct timespec ts = {0, 2 * 1000 * 1000};
    while (lr_agent_congested(a) && !lr_signal_stop_requested())
        nanosleep(&ts, NULL);
}

static int replay_fd(lr_agent *a, int fd, const char *source, int fmt, const lr_parse_options *popt)
{
    lr_linereader r;
    lr_linereader_init(&r, fd, 0);
    lr_pipeline *p = lr_agent_pipeline(a);
    const char *line;
    size_t len;
    int rc = 0;
    lr_msg_meta meta = {.source = source, .partition = -1, .offset = -1};
    uint64_t n = 0;
    for (;;) {
        if (lr_pipeline_pending(p) && !lr_linereader_ready(&r))
            lr_pipeline_flush(p); /* the next read may wait (a pipe): route what was read */
        if (lr_signal_stop_requested() || (rc = lr_linereader_next(&r, &line, &len, NULL)) != 1)
            break;
        if ((++n & 255) == 0 || lr_agent_congested(a))
            wait_for_room(a);
        if (lr_signal_take_reopen())
            lr_agent_reopen(a);
        lr_pipeline_submit(p, (lr_format)fmt, popt, line, len, &meta, message_done, NULL);
    }
    lr_pipeline_flush(p);
    int err = r.error;
    lr_linereader_free(&r);
    if (rc < 0) {
        fprintf(stderr, "logrelay replay: cannot read %s: %s\n", source, strerror(err));
        return -1;
    }
    return 0;
}

int lr_cmd_replay(int argc, char **argv)
{
    const char *path = LR_DEFAULT_CONFIG, *format = "raw", *source = NULL;
    int64_t timeout_ms = -1;
    lr_parse_options popt = {.split_messages = true};
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"source", required_argument, NULL, 's'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {"no-split", no_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    char err[256];
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:f:s:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 's':
            source = optarg;
            break;
        case 't':
            if (lr_parse_duration(optarg, &timeout_ms, err, sizeof err) != 0) {
                fprintf(stderr, "logrelay replay: --timeout: %s\n", err);
                return 2;
            }
            break;
        case 'n':
            popt.split_messages = false;
            break;
        case 'h':
            usage();
            return 0;
        default:
            return 2;
        }
    }
    int fmt = lr_format_from_name(format);
    if (fmt < 0) {
        fprintf(stderr, "logrelay replay: unknown format '%s' (use %s)\n", format, lr_format_names());
        return 2;
    }
    lr_errors errs;
    lr_errors_init(&errs);
    lr_agent *a = lr_agent_create(path, &errs);
    if (!a) {
        lr_cli_print_errors(&errs, path);
        lr_errors_free(&errs);
        return 1;
    }
    lr_errors_free(&errs);
    lr_signals_install();
    lr_agent_start(a);
    int64_t t0 = lr_monotonic_ms();
    int status = 0;
    if (optind >= argc) {
        if (replay_fd(a, STDIN_FILENO, source ? source : "stdin", fmt, &popt) != 0)
            status = 1;
    }
    for (int i = optind; i < argc; i++) {
        const char *file = argv[i];
        int fd = strcmp(file, "-") == 0 ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "logrelay replay: cannot open %s: %s\n", file, strerror(errno));
            status = 1;
            continue;
        }
        if (replay_fd(a, fd, source ? source : file, fmt, &popt) != 0)
            status = 1;
        if (fd != STDIN_FILENO)
            close(fd);
    }
    /* Batch job: wait for the outputs. A stop signal or the timeout ends the wait. */
    int64_t deadline = timeout_ms >= 0 ? lr_monotonic_ms() + timeout_ms : INT64_MAX;
    lr_pipeline *p = lr_agent_pipeline(a);
    /* Until delivered, not merely spooled: a disk queue's records count too. */
    while ((lr_pipeline_inflight(p) > 0 || lr_agent_undelivered(a) > 0) && lr_monotonic_ms() < deadline &&
           !lr_signal_stop_requested()) {
        int64_t step = lr_monotonic_ms() + 100;
        lr_agent_drain(a, step < deadline ? step : deadline);
        if (lr_pipeline_inflight(p) == 0) {
            struct timespec pause = {0, 20 * 1000 * 1000};
            nanosleep(&pause, NULL); /* spooled: the disk queues' workers deliver on their own */
        }
        if (lr_signal_take_reopen())
            lr_agent_reopen(a);
        if (lr_signal_take_stats())
            lr_agent_print_summary(a, stderr);
    }
    uint64_t left = lr_pipeline_inflight(p);
    uint64_t spooled = lr_agent_undelivered(a);
    double secs = (double)(lr_monotonic_ms() - t0) / 1000.0;
    lr_agent_print_summary(a, stderr);
    if (spooled && !left)
        fprintf(stderr,
                "replay: %llu records are safe in disk spools but not delivered yet; the next run "
                "delivers them first\n",
                (unsigned long long)spooled);
    fprintf(stderr, "replay: %llu messages finished, %llu left undelivered, %.2f s\n",
            (unsigned long long)atomic_load(&finished_messages), (unsigned long long)left, secs);
    if (left || spooled)
        status = 1;
    lr_agent_destroy(a);
    return status;
}
