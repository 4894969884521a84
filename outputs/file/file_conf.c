/*
 * file_conf.c: the `file` output's option table, its instance context
 * (created by init on the main thread, read-only afterwards) and its worker
 * context (created by worker_init on the worker thread, which alone uses it).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file.h"

static const char *const file_formats[] = {"raw", "json", NULL};

#define O(f) offsetof(file_config, f)
const lr_option file_options[] = {
    {"path", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_REQUIRED, O(path),
     "File to append to. strftime tokens (%Y %m %d %H ...) are expanded from each record's own timestamp, "
     "in UTC, so a record lands in the file of its time; missing directories are created with mode 0750."},
    {"format", LR_OPT_ENUM, "json", 0, 0, file_formats, 0, O(format),
     "json: the record's JSON encoding, one object per line (Logstash json_lines); raw: the original "
     "line as received (Filebeat %{[message]}). Every line ends with a newline."},
    {"mode", LR_OPT_MODE, "0640", 0, 0, NULL, 0, O(mode),
     "Permissions of files the output creates, applied exactly (not reduced by the umask); existing files "
     "keep theirs."},
    {"rotate_every", LR_OPT_SIZE, "0", 0, 0, NULL, 0, O(rotate_every),
     "Rotate a file before a write would take it past this size (50MB, 1GiB); 0 = never. Records are "
     "never split across files."},
    {"keep", LR_OPT_INT, "7", 1, 1024, NULL, 0, O(keep),
     "Rotated files kept, named path.1 (newest) .. path.N; the oldest is removed."},
    {"compress", LR_OPT_BOOL, "false", 0, 0, NULL, 0, O(compress),
     "gzip rotated files to path.N.gz (written to a temporary name, fsynced, then renamed: a crash never "
     "leaves a partial .gz in place of data)."},
    {"fsync", LR_OPT_BOOL, "false", 0, 0, NULL, 0, O(fsync),
     "fsync each written file at the end of every batch before it is acknowledged."},
    {"max_open_files", LR_OPT_INT, "16", 1, 1024, NULL, 0, O(max_open_files),
     "With strftime tokens in path: files kept open at once (least recently used closed first)."},
    LR_OPTIONS_END,
};
#undef O

/* ---- instance context (main thread) ---------------------------------- */

int file_init(lr_instance *inst, const lr_host *host, const void *config, void **ctxp)
{
    const file_config *conf = config;
    size_t len = conf->path ? strlen(conf->path) : 0;
    if (len == 0) {
        host->log(inst, LR_LOG_ERROR, "path: must not be empty");
        return -1;
    }
    if (conf->path[len - 1] == '/') {
        host->log(inst, LR_LOG_ERROR, "path '%s': names a directory; give a file name", conf->path);
        return -1;
    }
    /* The template must expand to something usable; checked now so a typo is
     * a start-up error rather than a stream of rejected records. */
    char probe[PATH_MAX];
    if (file_path_expand(conf->path, host->now_ms(), probe, sizeof probe) != 0) {
        host->log(inst, LR_LOG_ERROR, "path '%s': expands to an empty or too long path", conf->path);
        return -1;
    }
    if (conf->compress && conf->rotate_every == 0)
        host->log(inst, LR_LOG_WARN, "compress: has no effect without rotate_every");

    file_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        host->log(inst, LR_LOG_ERROR, "out of memory");
        return -1;
    }
    c->inst = inst;
    c->host = host;
    c->conf = conf;
    c->has_tokens = file_path_has_tokens(conf->path);
    c->max_open = c->has_tokens ? (size_t)conf->max_open_files : 1;
    c->c_bytes = host->counter(inst, "bytes_written");
    c->c_records = host->counter(inst, "records_written");
    c->c_rotations = host->counter(inst, "rotations");
    c->c_opened = host->counter(inst, "files_opened");
    c->c_errors = host->counter(inst, "write_errors");
    c->c_compressed = host->counter(inst, "files_compressed");
    *ctxp = c;
    return 0;
}

void file_fini(void *ctx)
{
    free(ctx);
}

/* ---- worker context (worker thread) ---------------------------------- */

int file_worker_init(void *ctx, void **workerp)
{
    file_ctx *c = ctx;
    file_worker *w = calloc(1, sizeof *w);
    if (!w)
        goto oom;
    w->slots = calloc(c->max_open, sizeof *w->slots);
    if (!w->slots)
        goto oom;
    w->nslots = c->max_open;
    for (size_t i = 0; i < w->nslots; i++)
        w->slots[i].fd = -1;
    *workerp = w;
    return 0;
oom:
    free(w);
    c->host->log(c->inst, LR_LOG_ERROR, "out of memory");
    return -1;
}

void file_worker_fini(void *ctx, void *worker)
{
    file_ctx *c = ctx;
    file_worker *w = worker;
    if (!w)
        return;
    for (size_t i = 0; i < w->nslots; i++)
        file_slot_release(c, &w->slots[i]);
    free(w->slots);
    free(w->ev);
    for (size_t i = 0; i < w->nreasons; i++)
        free(w->reasons[i]);
    free(w->reasons);
    free(w);
}

int file_worker_reserve(file_worker *w, size_t n)
{
    if (n <= w->ev_cap)
        return 0;
    size_t cap = w->ev_cap ? w->ev_cap : 256;
    while (cap < n)
        cap *= 2;
    file_evstate *ev = realloc(w->ev, cap * sizeof *ev);
    if (!ev)
        return -1;
    w->ev = ev;
    w->ev_cap = cap;
    return 0;
}
