/*
 * flaky.c: a test output module with scripted failures, for the queue and
 * replay tests. Delivered events' raw lines are appended to `path`, so a
 * test can check that every record arrived exactly once.
 *   fail_batches: the first N deliveries answer LR_RETRY (whole batch)
 *   fail_every:   every Nth event of a batch answers LR_RETRY (per event, LR_PARTIAL)
 *   reject_contains: events whose raw line contains this text are LR_REJECT
 *   retry_after:  Retry-After hint given with retries
 *   down_file:    while this file exists, every delivery answers LR_RETRY
 */
#include <logrelay/logrelay.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct flaky_conf {
    char *path;
    int64_t fail_batches;
    int64_t fail_every;
    char *reject_contains;
    int64_t retry_after_ms;
    char *down_file;
} flaky_conf;

static const lr_option flaky_options[] = {
    {"path", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_REQUIRED, offsetof(flaky_conf, path), "Output file."},
    {"fail_batches", LR_OPT_INT, "0", 0, 1000000, NULL, 0, offsetof(flaky_conf, fail_batches),
     "Fail N batches."},
    {"fail_every", LR_OPT_INT, "0", 0, 1000000, NULL, 0, offsetof(flaky_conf, fail_every),
     "Fail every Nth event once."},
    {"reject_contains", LR_OPT_STRING, NULL, 0, 0, NULL, 0, offsetof(flaky_conf, reject_contains),
     "Reject these."},
    {"retry_after", LR_OPT_DURATION, "0", 0, 60000, NULL, 0, offsetof(flaky_conf, retry_after_ms), "Hint."},
    {"down_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, offsetof(flaky_conf, down_file),
     "Down while it exists."},
    LR_OPTIONS_END,
};

typedef struct flaky_ctx {
    const lr_host *host;
    lr_instance *inst;
    const flaky_conf *conf;
    int64_t batches_failed;
    uint64_t seen;
} flaky_ctx;

static int flaky_init(lr_instance *inst, const lr_host *host, const void *config, void **out)
{
    flaky_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return -1;
    c->host = host;
    c->inst = inst;
    c->conf = config;
    *out = c;
    return 0;
}

static lr_result flaky_deliver(void *vctx, void *worker, lr_batch *b)
{
    (void)worker;
    flaky_ctx *c = vctx;
    const flaky_conf *cf = c->conf;
    if (cf->down_file && access(cf->down_file, F_OK) == 0) {
        c->host->set_batch_reason(b, "sink is down (down_file exists)");
        return LR_RETRY;
    }
    if (c->batches_failed < cf->fail_batches) {
        c->batches_failed++;
        c->host->set_batch_reason(b, "scripted batch failure");
        if (cf->retry_after_ms)
            c->host->set_retry_after(b, cf->retry_after_ms);
        return LR_RETRY;
    }
    FILE *f = fopen(cf->path, "a");
    if (!f) {
        c->host->set_batch_reason(b, "cannot open output");
        return LR_RETRY;
    }
    for (size_t i = 0; i < b->count; i++) {
        const lr_event *ev = b->events[i];
        c->seen++;
        if (cf->reject_contains &&
            memmem(ev->raw, ev->raw_len, cf->reject_contains, strlen(cf->reject_contains))) {
            c->host->set_result(b, i, LR_REJECT, "HTTP 400: scripted rejection");
            continue;
        }
        if (cf->fail_every && c->seen % (uint64_t)cf->fail_every == 0 && b->attempt == 1) {
            c->host->set_result(b, i, LR_RETRY, "scripted event failure");
            continue;
        }
        fwrite(ev->raw, 1, ev->raw_len, f);
        fputc('\n', f);
        c->host->set_result(b, i, LR_DELIVERED, NULL);
    }
    fclose(f);
    return LR_PARTIAL;
}

static void flaky_fini(void *vctx)
{
    free(vctx);
}

LR_OUTPUT_PLUGIN = {
    .abi_version = LR_ABI_VERSION,
    .struct_size = sizeof(lr_output_plugin),
    .build_signature = LR_BUILD_SIGNATURE,
    .name = FLAKY_NAME,
    .version = "test",
    .description = "test module with scripted failures",
    .flags = LR_PLUGIN_NEEDS_JSON,
    .options = flaky_options,
    .config_size = sizeof(flaky_conf),
    .init = flaky_init,
    .deliver = flaky_deliver,
    .fini = flaky_fini,
    .reserved = {RESERVED_0},
};
