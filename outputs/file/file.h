/*
 * file.h: shared declarations of the `file` output module (private to the
 * module; plugin authors only ever see include/logrelay/logrelay.h).
 *
 *   file.c         descriptor, deliver/reopen callbacks, result mapping
 *   file_conf.c    option table, instance context, worker context
 *   file_open.c    path expansion, the LRU of open files, mkdir -p, open
 *   file_rotate.c  size rotation (path.1 .. path.N), gzip of rotated files
 *
 * Threading: the instance context (file_ctx) is written by init on the main
 * thread and only read afterwards. Everything that changes while writing
 * (open descriptors, sizes, iovecs, per-batch state) lives in the worker
 * context (file_worker), touched by the one worker thread only: the module
 * does not set LR_PLUGIN_MULTI_WORKER, so the core never runs two workers.
 */
#ifndef LR_OUT_FILE_H
#define LR_OUT_FILE_H

#include <logrelay/logrelay.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

enum { FILE_FORMAT_RAW = 0, FILE_FORMAT_JSON = 1 };

/* Filled by the core from the option table (file_conf.c). */
typedef struct file_config {
    char *path;
    int format;
    uint32_t mode;
    uint64_t rotate_every;
    int64_t keep;
    bool compress;
    bool fsync;
    int64_t max_open_files;
} file_config;

extern const lr_option file_options[];

/* Instance context: read-only after init. */
typedef struct file_ctx {
    lr_instance *inst;
    const lr_host *host;
    const file_config *conf;
    bool has_tokens; /* path contains strftime conversions: one file per expansion */
    size_t max_open; /* slots in the worker's LRU (1 without tokens) */
    /* Counter handles: valid for the instance's lifetime, adding is thread-safe. */
    uint64_t *c_bytes, *c_records, *c_rotations, *c_opened, *c_errors, *c_compressed;
} file_ctx;

/* One open output file. */
typedef struct file_slot {
    char *path;    /* expanded path; NULL = free slot */
    int fd;        /* -1 = closed (failed reopen, write error): reopened on next use */
    uint64_t size; /* bytes in the file, continued from fstat at open */
    bool regular;  /* rotation only makes sense for a regular file */
    bool dirty;    /* written since the last fsync (fsync: true) */
    dev_t dev;     /* identity at open: an outside rename/unlink is noticed */
    ino_t ino;
    uint32_t gen;       /* which open this is: per-event bookkeeping for fsync failures */
    uint64_t last_use;  /* LRU clock */
    int64_t checked_ms; /* monotonic time of the last identity check */
} file_slot;

/* Per-event state of the batch being delivered. */
typedef struct file_evstate {
    uint8_t result;  /* lr_result; LR_PENDING = not decided yet */
    uint32_t reason; /* index into file_worker.reasons + 1; 0 = none */
    uint32_t gen;    /* file_slot.gen the event was written to; 0 = none */
} file_evstate;

#define FILE_IOV_MAX 1024

/* Worker context: everything that changes while delivering. */
typedef struct file_worker {
    file_slot *slots;
    size_t nslots;
    uint64_t clock; /* LRU clock */
    uint32_t next_gen;
    /* last expansion: events of the same second share one path */
    int64_t exp_sec;
    bool exp_valid;
    char exp_path[PATH_MAX];
    size_t last_slot; /* slot of the previous event (fast path) */
    /* the pending run: consecutive events [run_first, run_first+run_n) for run_slot */
    struct iovec iov[FILE_IOV_MAX];
    int niov;
    size_t run_slot;
    size_t run_first;
    size_t run_n;
    uint64_t run_bytes;
    /* per-batch */
    file_evstate *ev;
    size_t ev_cap;
    char **reasons;
    size_t nreasons, reasons_cap;
} file_worker;

/* A failure while writing: errno and the operation/path text for the reason. */
typedef struct file_err {
    int err;
    char what[PATH_MAX + 64]; /* "open /var/log/x/access.log" */
} file_err;

/* ---- file_conf.c ------------------------------------------------------- */
int file_init(lr_instance *inst, const lr_host *host, const void *config, void **ctx);
void file_fini(void *ctx);
int file_worker_init(void *ctx, void **worker);
void file_worker_fini(void *ctx, void *worker);
/* Grow the per-event state to n entries; -1 when out of memory. */
int file_worker_reserve(file_worker *w, size_t n);

/* ---- file_open.c ------------------------------------------------------- */
/* True when `path` holds a strftime conversion ("%%" is a literal percent). */
bool file_path_has_tokens(const char *path);
/* Expand the configured path for a record time (UTC) into out. -1 when the
 * expansion is empty or too long to leave room for ".NNNN.gz.tmp". */
int file_path_expand(const char *tmpl, int64_t timestamp_ms, char *out, size_t outlen);
/* Index of the slot holding `path`, or -1. */
ssize_t file_slot_find(const file_worker *w, const char *path);
/* A free slot, else the least recently used one (the caller closes it). */
size_t file_slot_victim(const file_worker *w);
/* Open s->path for appending (creating it and its directories when needed)
 * and continue the size count from the file's current size. -1 with e. */
int file_slot_open(file_ctx *c, file_worker *w, file_slot *s, file_err *e);
/* Close the descriptor (no fsync: see sync_slot in file.c); keeps the path. */
void file_slot_close(file_ctx *c, file_slot *s);
/* Close and forget the path: the slot becomes free. */
void file_slot_release(file_ctx *c, file_slot *s);
/* True when s->path no longer names the file we hold open (renamed or
 * removed behind our back, e.g. logrotate without a HUP). Checks at most once
 * a second per file, so the cost is one stat(2) per file per second. */
bool file_slot_is_stale(file_ctx *c, file_slot *s, int64_t now_ms);
/* Create the parent directories of `path` with mode 0750. -1 with e. */
int file_mkdir_parents(const char *path, file_err *e);

/* ---- file_rotate.c ----------------------------------------------------- */
/* Rotate the slot's file: path.N removed, path.K -> path.K+1, path -> path.1,
 * gzip of path.1 when compress is set, then a fresh path opened. -1 with e
 * filled when the rotation could not be done (the slot stays usable when the
 * old file could not be moved). */
int file_rotate(file_ctx *c, file_worker *w, file_slot *s, file_err *e);
/* Finish a compression a crash interrupted (path.1 left next to or instead
 * of path.1.gz). Called when a file is first opened and before each rotation. */
void file_rotate_recover(file_ctx *c, const char *path);
/* gzip src into dst through dst.tmp + fsync + rename (src is left alone);
 * the .gz gets src's permissions. 0, or -1 with e filled. */
int file_gzip(const char *src, const char *dst, file_err *e);

/* ---- helpers ----------------------------------------------------------- */
/* Fill e->what with "op path" and e->err with err. */
void file_err_set(file_err *e, int err, const char *op, const char *path);
/* Errors that cannot succeed however long the core retries (the path is a
 * directory, too long, a symlink loop...): the records are rejected. All
 * others (ENOSPC, EDQUOT, EIO, EACCES, ENOENT, EMFILE, ...) are retried. */
bool file_err_permanent(int err);

#endif
