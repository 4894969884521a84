/*
 * file.c: the `file` output module: its descriptor and the deliver/reopen
 * callbacks. Records are appended one per line to a file whose path may hold
 * strftime tokens (expanded from each record's own time); files rotate by
 * size between records, never inside one.
 *
 * Delivery: consecutive records going to the same file form a "run" of
 * iovecs written with writev (short writes completed, EINTR resumed). When a
 * write fails, the records fully on disk are LR_DELIVERED, a partly written
 * one is cut off again (ftruncate), and it and everything after it is
 * LR_RETRY, so a retry neither duplicates nor loses a line. Errors that can
 * never succeed for a record (its path is a directory, too long...) reject
 * that record only. The module never sleeps or retries by itself.
 *
 * Threading: deliver and reopen run on the output's single worker thread
 * (no LR_PLUGIN_MULTI_WORKER) and touch only the worker context; the
 * instance context is read-only after init. See file.h for the file map.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

static char file_newline[] = "\n";

/* ---- per-batch results ------------------------------------------------ */

/* Remember a reason for this batch; returns its handle (0 when out of
 * memory: the record then goes without a reason, never without a result). */
static uint32_t add_reason(file_worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static uint32_t add_reason(file_worker *w, const char *fmt, ...)
{
    if (w->nreasons == w->reasons_cap) {
        size_t cap = w->reasons_cap ? w->reasons_cap * 2 : 8;
        char **r = realloc(w->reasons, cap * sizeof *r);
        if (!r)
            return 0;
        w->reasons = r;
        w->reasons_cap = cap;
    }
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char *copy = strdup(text);
    if (!copy)
        return 0;
    w->reasons[w->nreasons++] = copy;
    return (uint32_t)w->nreasons;
}

static uint32_t reason_of(file_worker *w, const file_err *e)
{
    return add_reason(w, "%s: %s", e->what, strerror(e->err));
}

static const char *reason_text(const file_worker *w, uint32_t r)
{
    return r ? w->reasons[r - 1] : NULL;
}

static void set_event(file_worker *w, size_t i, lr_result result, uint32_t reason)
{
    w->ev[i].result = (uint8_t)result;
    w->ev[i].reason = reason;
}

/* ---- records ----------------------------------------------------------- */

/* The bytes written for a record, and whether a newline must follow. A raw
 * line that already ends in '\n' is not given a second one. NULL when the
 * record has nothing to write in this format. */
static const char *record_bytes(const file_ctx *c, const lr_event *ev, size_t *len, bool *nl)
{
    if (c->conf->format == FILE_FORMAT_RAW) {
        *len = ev->raw_len;
        *nl = !(ev->raw_len > 0 && ev->raw[ev->raw_len - 1] == '\n');
        return ev->raw_len ? ev->raw : "";
    }
    *len = ev->json_len;
    *nl = true;
    return ev->json;
}

static uint64_t record_size(const file_ctx *c, const lr_event *ev)
{
    size_t len;
    bool nl;
    record_bytes(c, ev, &len, &nl);
    return (uint64_t)len + (nl ? 1 : 0);
}

/* The expanded path for a record time; the last expansion is reused for
 * every record of the same second (or always, without tokens). */
static const char *expand_path(const file_ctx *c, file_worker *w, int64_t ts_ms)
{
    int64_t sec = ts_ms / 1000 - (ts_ms % 1000 < 0 ? 1 : 0);
    if (w->exp_valid && (!c->has_tokens || sec == w->exp_sec))
        return w->exp_path;
    w->exp_valid = false;
    if (file_path_expand(c->conf->path, ts_ms, w->exp_path, sizeof w->exp_path) != 0)
        return NULL;
    w->exp_valid = true;
    w->exp_sec = sec;
    return w->exp_path;
}

/* ---- fsync ------------------------------------------------------------- */

/* fsync a written file (fsync: true). If it fails, the records this batch
 * wrote to it may not be on disk: they become LR_RETRY (a duplicate is
 * better than a loss) and the file is closed so the next use reopens it. */
static void sync_slot(file_ctx *c, file_worker *w, size_t batch_n, file_slot *s)
{
    if (!c->conf->fsync || !s->dirty || s->fd < 0 || !s->regular)
        return;
    s->dirty = false;
    if (fsync(s->fd) == 0)
        return;
    int err = errno;
    uint32_t r = add_reason(w, "fsync %s: %s", s->path, strerror(err));
    for (size_t i = 0; i < batch_n; i++)
        if (w->ev[i].gen == s->gen && w->ev[i].result == LR_DELIVERED)
            set_event(w, i, LR_RETRY, r);
    c->host->counter_add(c->c_errors, 1);
    file_slot_close(c, s);
}

/* ---- runs -------------------------------------------------------------- */

static void run_reset(file_worker *w)
{
    w->niov = 0;
    w->run_n = 0;
    w->run_bytes = 0;
}

/* Write the pending run. On failure, keeps what was written of whole records
 * (LR_DELIVERED), cuts a torn record off the end, and returns -1 with e: the
 * records from the failed one on are left undecided for the caller. */
static int run_flush(file_ctx *c, file_worker *w, const lr_batch *batch, file_err *e)
{
    if (w->run_n == 0)
        return 0;
    file_slot *s = &w->slots[w->run_slot];
    struct iovec *iov = w->iov;
    int cnt = w->niov;
    uint64_t done = 0;
    int err = 0;
    while (cnt > 0) {
        ssize_t r = writev(s->fd, iov, cnt);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            break;
        }
        if (r == 0) {
            err = EIO;
            break;
        }
        done += (uint64_t)r;
        size_t left = (size_t)r;
        while (cnt > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            cnt--;
        }
        if (left) {
            iov->iov_base = (char *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }

    size_t whole = w->run_n;
    if (err) {
        uint64_t kept = 0;
        for (whole = 0; whole < w->run_n; whole++) {
            uint64_t sz = record_size(c, batch->events[w->run_first + whole]);
            if (kept + sz > done)
                break;
            kept += sz;
        }
        if (done > kept && s->regular) {
            /* Half a line on disk would be followed by the whole line on
             * retry: take it back. */
            if (ftruncate(s->fd, (off_t)(s->size + kept)) == 0)
                done = kept;
            else
                c->host->log(c->inst, LR_LOG_ERROR,
                             "%s: could not cut a partly written record off the end (%s); the retry will "
                             "follow it",
                             s->path, strerror(errno));
        }
    }
    s->size += done;
    if (done)
        s->dirty = true;
    for (size_t k = 0; k < whole; k++)
        set_event(w, w->run_first + k, LR_DELIVERED, 0);
    c->host->counter_add(c->c_records, whole);
    c->host->counter_add(c->c_bytes, done);
    run_reset(w);
    if (!err)
        return 0;
    file_err_set(e, err, "write", s->path);
    c->host->counter_add(c->c_errors, 1);
    /* Reopen on the next attempt: the size is then re-read from the file and
     * a descriptor gone bad (ESTALE, EIO) is replaced. */
    sync_slot(c, w, batch->count, s);
    file_slot_close(c, s);
    return -1;
}

/* ---- slots ------------------------------------------------------------- */

enum { ACQ_OK = 0, ACQ_OPEN_FAILED = -1, ACQ_WRITE_FAILED = -2 };

/* The open slot for `path`: found, reopened, or taken from the least
 * recently used file. ACQ_OPEN_FAILED (classify e) or ACQ_WRITE_FAILED
 * (flushing the pending run before a reopen failed: always a retry). */
static int acquire_slot(file_ctx *c, file_worker *w, const lr_batch *batch, const char *path, int64_t now,
                        size_t *si, file_err *e)
{
    ssize_t idx = -1;
    if (w->slots[w->last_slot].path && strcmp(w->slots[w->last_slot].path, path) == 0)
        idx = (ssize_t)w->last_slot;
    else
        idx = file_slot_find(w, path);

    if (idx < 0) {
        /* A new file. The pending run (if any) is for another path and was
         * flushed by the caller, so evicting cannot drop unwritten records. */
        size_t v = file_slot_victim(w);
        file_slot *s = &w->slots[v];
        if (s->path) {
            sync_slot(c, w, batch->count, s);
            file_slot_release(c, s);
        }
        s->path = strdup(path);
        if (!s->path) {
            file_err_set(e, ENOMEM, "open", path);
            return ACQ_OPEN_FAILED;
        }
        if (c->conf->compress && c->conf->rotate_every > 0)
            file_rotate_recover(c, s->path);
        if (file_slot_open(c, w, s, e) != 0) {
            file_slot_release(c, s);
            return ACQ_OPEN_FAILED;
        }
        idx = (ssize_t)v;
    } else {
        file_slot *s = &w->slots[idx];
        if (s->fd < 0) {
            if (file_slot_open(c, w, s, e) != 0)
                return ACQ_OPEN_FAILED;
        } else if (file_slot_is_stale(c, s, now)) {
            /* Moved or removed behind our back (logrotate without HUP):
             * finish writing to the old file, then start the new one. */
            if (w->run_n && w->run_slot == (size_t)idx && run_flush(c, w, batch, e) != 0)
                return ACQ_WRITE_FAILED;
            c->host->log(c->inst, LR_LOG_INFO, "%s was moved or removed; reopening", s->path);
            sync_slot(c, w, batch->count, s);
            file_slot_close(c, s);
            if (file_slot_open(c, w, s, e) != 0)
                return ACQ_OPEN_FAILED;
        }
    }
    w->last_slot = (size_t)idx;
    *si = (size_t)idx;
    return ACQ_OK;
}

/* ---- deliver ----------------------------------------------------------- */

static lr_result finish_batch(file_ctx *c, file_worker *w, lr_batch *batch)
{
    size_t n = batch->count, nd = 0, nr = 0, nj = 0;
    bool same_reason = true;
    for (size_t i = 0; i < n; i++) {
        nd += w->ev[i].result == LR_DELIVERED;
        nr += w->ev[i].result == LR_RETRY;
        nj += w->ev[i].result == LR_REJECT;
        if (w->ev[i].reason != w->ev[0].reason)
            same_reason = false;
    }
    lr_result res;
    if (nd == n) {
        res = LR_DELIVERED;
    } else if ((nr == n || nj == n) && same_reason) {
        res = nr == n ? LR_RETRY : LR_REJECT;
        c->host->set_batch_reason(batch, reason_text(w, w->ev[0].reason));
    } else {
        res = LR_PARTIAL;
        for (size_t i = 0; i < n; i++)
            c->host->set_result(batch, i, (lr_result)w->ev[i].result, reason_text(w, w->ev[i].reason));
    }
    for (size_t i = 0; i < w->nreasons; i++)
        free(w->reasons[i]);
    w->nreasons = 0;
    return res;
}

static lr_result file_deliver(void *ctx, void *worker, lr_batch *batch)
{
    file_ctx *c = ctx;
    file_worker *w = worker;
    const file_config *conf = c->conf;
    const size_t n = batch->count;
    if (n == 0)
        return LR_DELIVERED;
    if (file_worker_reserve(w, n) != 0) {
        c->host->set_batch_reason(batch, "out of memory");
        return LR_RETRY;
    }
    for (size_t i = 0; i < n; i++)
        w->ev[i] = (file_evstate){.result = LR_PENDING};
    run_reset(w);

    const int64_t now = c->host->monotonic_ms();
    file_err e;
    bool failed = false;
    for (size_t i = 0; i < n; i++) {
        const lr_event *ev = batch->events[i];
        size_t len;
        bool nl;
        const char *data = record_bytes(c, ev, &len, &nl);
        const char *path = data ? expand_path(c, w, ev->timestamp_ms) : NULL;
        if (!path) {
            /* Rejected records end the run so that a run stays a contiguous
             * range of the batch. */
            if (run_flush(c, w, batch, &e) != 0) {
                failed = true;
                break;
            }
            if (!data)
                set_event(w, i, LR_REJECT, add_reason(w, "record has no JSON encoding"));
            else
                set_event(w, i, LR_REJECT,
                          add_reason(w,
                                     "path cannot be expanded for timestamp %lld ms (empty or too long): %s",
                                     (long long)ev->timestamp_ms, conf->path));
            continue;
        }
        if (w->run_n > 0 && strcmp(w->slots[w->run_slot].path, path) != 0 &&
            run_flush(c, w, batch, &e) != 0) {
            failed = true;
            break;
        }
        size_t si;
        int acq = acquire_slot(c, w, batch, path, now, &si, &e);
        if (acq != ACQ_OK) {
            if (acq == ACQ_OPEN_FAILED && file_err_permanent(e.err)) {
                c->host->counter_add(c->c_errors, 1);
                set_event(w, i, LR_REJECT, reason_of(w, &e));
                continue;
            }
            failed = true;
            break;
        }
        file_slot *s = &w->slots[si];
        const uint64_t rec = (uint64_t)len + (nl ? 1 : 0);

        /* Rotate between records: before the write that would pass the
         * limit. A record larger than the limit gets a file of its own. */
        if (conf->rotate_every && s->regular) {
            uint64_t cur = s->size + w->run_bytes;
            if (cur > 0 && cur + rec > conf->rotate_every) {
                if (run_flush(c, w, batch, &e) != 0) {
                    failed = true;
                    break;
                }
                sync_slot(c, w, n, s);
                if (file_rotate(c, w, s, &e) != 0) {
                    c->host->counter_add(c->c_errors, 1);
                    if (file_err_permanent(e.err)) {
                        set_event(w, i, LR_REJECT, reason_of(w, &e));
                        continue;
                    }
                    failed = true;
                    break;
                }
            }
        }
        if (w->niov + 2 > FILE_IOV_MAX && run_flush(c, w, batch, &e) != 0) {
            failed = true;
            break;
        }
        if (w->run_n == 0) {
            w->run_slot = si;
            w->run_first = i;
        }
        if (len)
            w->iov[w->niov++] = (struct iovec){.iov_base = (void *)data, .iov_len = len};
        if (nl)
            w->iov[w->niov++] = (struct iovec){.iov_base = file_newline, .iov_len = 1};
        w->run_n++;
        w->run_bytes += rec;
        w->ev[i].gen = s->gen;
        s->last_use = ++w->clock;
    }
    if (!failed && run_flush(c, w, batch, &e) != 0)
        failed = true;
    if (failed) {
        /* Everything not yet written waits for the core's retry, in order. */
        uint32_t r = reason_of(w, &e);
        for (size_t i = 0; i < n; i++)
            if (w->ev[i].result == LR_PENDING)
                set_event(w, i, LR_RETRY, r);
    }
    if (conf->fsync)
        for (size_t k = 0; k < w->nslots; k++)
            sync_slot(c, w, n, &w->slots[k]);
    return finish_batch(c, w, batch);
}

/* ---- reopen (SIGHUP) --------------------------------------------------- */

/* logrotate's "rename, then HUP": close everything; the next record opens
 * the path again, which creates a new file. Runs between deliveries, so no
 * run is pending and every written file was already fsynced (fsync: true). */
static void file_reopen(void *ctx, void *worker)
{
    file_ctx *c = ctx;
    file_worker *w = worker;
    size_t closed = 0;
    for (size_t i = 0; i < w->nslots; i++) {
        if (w->slots[i].path) {
            file_slot_release(c, &w->slots[i]);
            closed++;
        }
    }
    w->last_slot = 0;
    c->host->log(c->inst, LR_LOG_INFO, "reopen: closed %zu file(s)", closed);
}

/* ---- descriptor -------------------------------------------------------- */

LR_OUTPUT_PLUGIN = {
    .abi_version = LR_ABI_VERSION,
    .struct_size = sizeof(lr_output_plugin),
    .build_signature = LR_BUILD_SIGNATURE,
    .name = "file",
    .version = "1.0.0",
    .description = "Append records to local files (raw lines or JSON lines): strftime paths, size rotation, "
                   "gzip, reopen on SIGHUP",
    .flags = LR_PLUGIN_NEEDS_JSON,
    .options = file_options,
    .config_size = sizeof(file_config),
    .init = file_init,
    .worker_init = file_worker_init,
    .deliver = file_deliver,
    .tick = NULL,
    .flush = NULL,
    .reopen = file_reopen,
    .worker_fini = file_worker_fini,
    .fini = file_fini,
};
