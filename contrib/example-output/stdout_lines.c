/*
 * stdout_lines.c: an example out-of-tree logrelay output module, the copy-me
 * template for your own. It writes every event to standard output, one per
 * line, as JSON or as the original raw line, with an optional prefix.
 *
 * Build against an installed logrelay (pkg-config logrelay): see Makefile.
 * Load: put stdout_lines.so in agent.plugin_dir, then in YAML:
 *     outputs:
 *       console: {type: stdout_lines, format: raw, prefix: "cdn: "}
 *
 * Threading: init/fini on the main thread; deliver on the single worker
 * thread (no LR_PLUGIN_MULTI_WORKER), so the FILE* needs no lock.
 */
#include <errno.h>
#include <logrelay/logrelay.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The config struct the option table fills. */
typedef struct stdout_conf {
    int format; /* index into formats[] */
    char *prefix;
    bool flush;
} stdout_conf;

static const char *const formats[] = {"json", "raw", NULL};

static const lr_option stdout_options[] = {
    {"format", LR_OPT_ENUM, "json", 0, 0, formats, 0, offsetof(stdout_conf, format),
     "json: the record's JSON encoding; raw: the original line."},
    {"prefix", LR_OPT_STRING, "", 0, 0, NULL, 0, offsetof(stdout_conf, prefix),
     "Text written before each line."},
    {"flush", LR_OPT_BOOL, "true", 0, 0, NULL, 0, offsetof(stdout_conf, flush),
     "Flush stdout after each batch."},
    LR_OPTIONS_END,
};

/* Instance context: read-only after init. */
typedef struct stdout_ctx {
    const lr_host *host;
    lr_instance *inst;
    const stdout_conf *conf;
    uint64_t *lines; /* counter */
} stdout_ctx;

static int stdout_init(lr_instance *inst, const lr_host *host, const void *config, void **ctx_out)
{
    stdout_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) {
        host->log(inst, LR_LOG_ERROR, "out of memory");
        return -1;
    }
    ctx->host = host;
    ctx->inst = inst;
    ctx->conf = config;
    ctx->lines = host->counter(inst, "lines");
    *ctx_out = ctx;
    return 0;
}

static lr_result stdout_deliver(void *vctx, void *worker, lr_batch *batch)
{
    (void)worker;
    stdout_ctx *ctx = vctx;
    const stdout_conf *c = ctx->conf;
    for (size_t i = 0; i < batch->count; i++) {
        const lr_event *ev = batch->events[i];
        const char *text = c->format == 1 ? ev->raw : ev->json;
        size_t len = c->format == 1 ? ev->raw_len : ev->json_len;
        if (fputs(c->prefix, stdout) == EOF || fwrite(text, 1, len, stdout) != len ||
            fputc('\n', stdout) == EOF) {
            /* Events before i are written; the rest are retried by the core. */
            char reason[128];
            snprintf(reason, sizeof reason, "write to stdout failed: %s", strerror(errno));
            for (size_t k = 0; k < batch->count; k++)
                ctx->host->set_result(batch, k, k < i ? LR_DELIVERED : LR_RETRY, k < i ? NULL : reason);
            return LR_PARTIAL;
        }
    }
    if (c->flush && fflush(stdout) != 0) {
        ctx->host->set_batch_reason(batch, "flush of stdout failed");
        return LR_RETRY;
    }
    ctx->host->counter_add(ctx->lines, batch->count);
    return LR_DELIVERED;
}

static void stdout_fini(void *vctx)
{
    free(vctx);
}

LR_OUTPUT_PLUGIN = {
    .abi_version = LR_ABI_VERSION,
    .struct_size = sizeof(lr_output_plugin),
    .build_signature = LR_BUILD_SIGNATURE,
    .name = "stdout_lines",
    .version = "1.0.0",
    .description = "example: write events to standard output",
    .flags = LR_PLUGIN_NEEDS_JSON,
    .options = stdout_options,
    .config_size = sizeof(stdout_conf),
    .init = stdout_init,
    .deliver = stdout_deliver,
    .fini = stdout_fini,
};
