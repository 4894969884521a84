/*
 * Tests of the `file` output module (outputs/file), loaded from the build's
 * plugin directory (LR_TEST_PLUGIN_DIR) and driven through the real host
 * with lr_instance_deliver_sync: records in, exact bytes on disk out.
 *
 * Covers: raw and json lines, strftime paths per record time (UTC), size
 * rotation boundaries and keep, gzip of rotated files and crash leftovers,
 * file and directory modes, reopen (SIGHUP) and an outside rename, retry vs
 * reject classification (ENOTDIR, EACCES as an unprivileged child, EISDIR,
 * ENOSPC on a small tmpfs with per-record results), and 100,000 lines
 * written exactly once. Single-threaded; each test works in its own mkdtemp
 * directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "config/config.h"
#include "config/options.h"
#include "plugin/host.h"
#include "plugin/instance.h"
#include "plugin/plugin.h"
#include "record/record.h"

/* 2020-09-14T12:44:19.475Z, a time from the provider's sample logs. */
#define T0 1600087459475LL
#define DAY_MS 86400000LL

static lr_plugin_registry *g_reg;
static const lr_plugin_entry *g_file;

/* ---- fixture: a fresh directory per test ----------------------------- */

typedef struct fixture {
    char dir[64];
    char mnt[128]; /* tmpfs mounted by a test, unmounted in teardown */
} fixture;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int fx_setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    if (!fx)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/lr_out_file.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fixture *fx = *state;
    if (fx->mnt[0])
        umount2(fx->mnt, MNT_DETACH);
    chmod(fx->dir, 0700);
    nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    const char *dir = getenv("LR_TEST_PLUGIN_DIR");
    if (!dir) {
        fprintf(stderr, "LR_TEST_PLUGIN_DIR is not set (run through ctest)\n");
        return -1;
    }
    g_reg = lr_plugins_load_dir(dir);
    g_file = lr_plugins_find(g_reg, "file");
    if (!g_file) {
        for (size_t i = 0; i < lr_plugins_count(g_reg); i++) {
            const lr_plugin_entry *e = lr_plugins_at(g_reg, i);
            fprintf(stderr, "%s: %s\n", e->path, e->refused ? e->refused : "loaded");
        }
        fprintf(stderr, "no usable 'file' module in %s\n", dir);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    lr_plugins_free(g_reg);
    return 0;
}

/* ---- instances ---------------------------------------------------------- */

typedef struct tinst {
    lr_config *cfg;
    lr_instance *inst;
    char errors[2048];
} tinst;

/* Build `outputs: {t: {type: file, <options>}}`; `opts` holds one option per
 * line ("path: /x\nformat: raw"), indented here. NULL with t->errors set
 * when the configuration is refused. */
static lr_instance *inst_try(tinst *t, const char *fx_dir, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static lr_instance *inst_try(tinst *t, const char *fx_dir, const char *fmt, ...)
{
    char opts[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(opts, sizeof opts, fmt, ap);
    va_end(ap);
    char yaml[16384];
    size_t len = (size_t)snprintf(yaml, sizeof yaml, "outputs:\n  t:\n    type: file\n");
    for (char *line = opts; *line;) {
        char *end = strchr(line, '\n');
        size_t l = end ? (size_t)(end - line) : strlen(line);
        len += (size_t)snprintf(yaml + len, sizeof yaml - len, "    %.*s\n", (int)l, line);
        line += l + (end ? 1 : 0);
    }
    memset(t, 0, sizeof *t);
    lr_errors errs;
    lr_errors_init(&errs);
    t->cfg = lr_config_load_string(yaml, "test.yaml", &errs);
    if (t->cfg) {
        const lr_cfg_node *node = lr_cfg_get(lr_cfg_get(t->cfg->root, "outputs"), "t");
        t->inst = lr_instance_create(g_file, "t", node, fx_dir, &errs);
    }
    if (errs.text.data)
        snprintf(t->errors, sizeof t->errors, "%.*s", (int)errs.text.len, errs.text.data);
    lr_errors_free(&errs);
    return t->inst;
}

#define INST(t, fx, ...)                                                                                     \
    do {                                                                                                     \
        if (!inst_try((t), (fx)->dir, __VA_ARGS__))                                                          \
            fail_msg("configuration refused: %s", (t)->errors);                                              \
    } while (0)

static void inst_destroy(tinst *t)
{
    if (t->inst)
        lr_instance_destroy(t->inst);
    if (t->cfg)
        lr_config_free(t->cfg);
    memset(t, 0, sizeof *t);
}

typedef struct counter_query {
    const char *name;
    uint64_t value;
    bool found;
} counter_query;

static void counter_cb(void *arg, const char *name, uint64_t value)
{
    counter_query *q = arg;
    if (strcmp(name, q->name) == 0) {
        q->value = value;
        q->found = true;
    }
}

static uint64_t counter(lr_instance *inst, const char *name)
{
    counter_query q = {.name = name};
    lr_instance_each_counter(inst, counter_cb, &q);
    assert_true(q.found);
    return q.value;
}

/* ---- records ------------------------------------------------------------ */

/* A record whose raw bytes are s[0..len) (fields: none, JSON "{}"). */
static lr_record *raw_rec(const char *s, size_t len, int64_t ts)
{
    lr_record *r = lr_record_new(s, len, 0);
    r->ev.timestamp_ms = ts;
    lr_record_encode_json(r);
    return r;
}

/* A record with fields {"msg": msg, "n": n} and raw bytes "raw:<msg>". */
static lr_record *json_rec(const char *msg, int64_t n, int64_t ts)
{
    char raw[256];
    int rl = snprintf(raw, sizeof raw, "raw:%s", msg);
    lr_record *r = lr_record_new(raw, (size_t)rl, 0);
    lr_member *m = lr_record_members(r, 2);
    m[0].key = "msg";
    m[0].key_len = 3;
    m[0].value = lr_value_string(lr_record_str(r, msg, strlen(msg)), strlen(msg));
    m[1].key = "n";
    m[1].key_len = 1;
    m[1].value = lr_value_int(n);
    lr_record_set_root(r, m, 2);
    r->ev.timestamp_ms = ts;
    lr_record_encode_json(r);
    return r;
}

static void recs_free(lr_record **recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        lr_record_unref(recs[i]);
}

static lr_result deliver(lr_instance *inst, lr_record *const *recs, size_t n, lr_delivery *out)
{
    const lr_event **evs = calloc(n ? n : 1, sizeof *evs);
    assert_non_null(evs);
    for (size_t i = 0; i < n; i++)
        evs[i] = &recs[i]->ev;
    lr_result r = lr_instance_deliver_sync(inst, evs, n, out);
    free(evs);
    return r;
}

/* Deliver and require every record to be delivered. */
static void deliver_all(lr_instance *inst, lr_record *const *recs, size_t n)
{
    lr_delivery *out = calloc(n ? n : 1, sizeof *out);
    assert_non_null(out);
    lr_result r = deliver(inst, recs, n, out);
    for (size_t i = 0; i < n; i++)
        if (out[i].result != LR_DELIVERED)
            fail_msg("record %zu: result %d (%s)", i, (int)out[i].result, out[i].reason);
    assert_int_equal(r, LR_DELIVERED);
    free(out);
}

/* Line i of a numbered set, exactly `width` bytes with its newline. */
static void numbered_line(char *out, size_t i, size_t width)
{
    int l = snprintf(out, width, "line %07zu ", i);
    memset(out + l, 'x', width - 1 - (size_t)l);
    out[width - 1] = '\n';
}

static lr_record *numbered_rec(size_t i, size_t width, int64_t ts)
{
    char buf[4096];
    assert_true(width <= sizeof buf);
    numbered_line(buf, i, width);
    return raw_rec(buf, width - 1, ts); /* the module adds the newline */
}

/* Lines [from, to) as the file should hold them. Caller frees. */
static char *numbered_text(size_t from, size_t to, size_t width, size_t *len)
{
    *len = (to - from) * width;
    char *s = malloc(*len + 1);
    assert_non_null(s);
    for (size_t i = from; i < to; i++)
        numbered_line(s + (i - from) * width, i, width);
    return s;
}

/* ---- files -------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static char *gunzip_all(const char *path, size_t *len)
{
    gzFile g = gzopen(path, "rb");
    if (!g)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    int r;
    while ((r = gzread(g, buf + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    assert_int_equal(r, 0);
    assert_int_equal(gzclose(g), Z_OK);
    *len = n;
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void assert_bytes(const char *path, const char *want, size_t want_len, bool gz)
{
    size_t len = 0;
    char *got = gz ? gunzip_all(path, &len) : read_all(path, &len);
    if (!got)
        fail_msg("%s: cannot read (%s)", path, strerror(errno));
    if (len != want_len || memcmp(got, want, len) != 0)
        fail_msg("%s: %zu bytes, expected %zu; got \"%.*s\"", path, len, want_len,
                 (int)(len > 300 ? 300 : len), got);
    free(got);
}

static void assert_text(const char *path, const char *want)
{
    assert_bytes(path, want, strlen(want), false);
}

static void assert_numbered(const char *path, size_t from, size_t to, size_t width, bool gz)
{
    size_t len;
    char *want = numbered_text(from, to, width, &len);
    assert_bytes(path, want, len, gz);
    free(want);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(close(fd), 0);
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* ---- serialise-only: records in, exact bytes out ------------------------ */

static void test_raw_format_exact(void **state)
{
    fixture *fx = *state;
    tinst t;
    INST(&t, fx, "path: %s/out.log\nformat: raw", fx->dir);
    lr_record *recs[] = {
        raw_rec("alpha", 5, T0),
        raw_rec("beta with  spaces\t", 18, T0),
        raw_rec("", 0, T0),                   /* an empty line stays a line */
        raw_rec("ends in newline\n", 16, T0), /* not doubled */
        raw_rec("\xff\xfe bytes", 8, T0),     /* invalid UTF-8 written as is */
        raw_rec("nul\0inside", 10, T0),       /* NUL bytes kept: raw_len counts */
        raw_rec("{\"not\":\"json-encoded\"}", 22, T0),
    };
    size_t n = sizeof recs / sizeof *recs;
    deliver_all(t.inst, recs, n);
    char path[256];
    snprintf(path, sizeof path, "%s/out.log", fx->dir);
    static const char want[] = "alpha\n"
                               "beta with  spaces\t\n"
                               "\n"
                               "ends in newline\n"
                               "\xff\xfe bytes\n"
                               "nul\0inside\n"
                               "{\"not\":\"json-encoded\"}\n";
    assert_bytes(path, want, sizeof want - 1, false);
    assert_int_equal(counter(t.inst, "records_written"), n);
    assert_int_equal(counter(t.inst, "bytes_written"), sizeof want - 1);
    recs_free(recs, n);
    inst_destroy(&t);
}

static void test_json_format_exact(void **state)
{
    fixture *fx = *state;
    tinst t;
    /* format defaults to json */
    INST(&t, fx, "path: %s/out.jsonl", fx->dir);
    lr_record *recs[] = {
        json_rec("hello", 1, T0),
        json_rec("quote \" and \\ back", -7, T0),
        json_rec("line\nbreak", 3, T0),
    };
    size_t n = sizeof recs / sizeof *recs;
    deliver_all(t.inst, recs, n);
    char path[256];
    snprintf(path, sizeof path, "%s/out.jsonl", fx->dir);
    /* One JSON object per line: the record's shared encoding, never the raw line. */
    assert_text(path, "{\"msg\":\"hello\",\"n\":1}\n"
                      "{\"msg\":\"quote \\\" and \\\\ back\",\"n\":-7}\n"
                      "{\"msg\":\"line\\nbreak\",\"n\":3}\n");
    /* Appending continues the file. */
    lr_record *more = json_rec("again", 2, T0);
    deliver_all(t.inst, &more, 1);
    assert_text(path, "{\"msg\":\"hello\",\"n\":1}\n"
                      "{\"msg\":\"quote \\\" and \\\\ back\",\"n\":-7}\n"
                      "{\"msg\":\"line\\nbreak\",\"n\":3}\n"
                      "{\"msg\":\"again\",\"n\":2}\n");
    recs_free(recs, n);
    recs_free(&more, 1);
    inst_destroy(&t);
}

/* ---- strftime paths --------------------------------------------------- */

static void test_strftime_paths_by_record_time(void **state)
{
    fixture *fx = *state;
    tinst t;
    /* max_open_files 2 with three files interleaved: the LRU closes and
     * reopens files mid-batch, which must not lose or reorder anything. */
    INST(&t, fx, "path: %s/%%Y-%%m-%%d/%%H/access.log\nformat: raw\nmax_open_files: 2", fx->dir);
    const int64_t late = 1600127999999LL; /* 2020-09-14T23:59:59.999Z */
    const int64_t midnight = late + 1;    /* 2020-09-15T00:00:00.000Z */
    const int64_t next_day = T0 + DAY_MS; /* 2020-09-15T12:44:19.475Z */
    lr_record *recs[] = {
        raw_rec("a1", 2, T0),       raw_rec("b1", 2, midnight), raw_rec("c1", 2, next_day),
        raw_rec("a2", 2, T0 + 1),   raw_rec("d1", 2, late),     raw_rec("b2", 2, midnight + 3599999),
        raw_rec("c2", 2, next_day), raw_rec("a3", 2, T0 + 999),
    };
    size_t n = sizeof recs / sizeof *recs;
    deliver_all(t.inst, recs, n);
    char p[256];
    snprintf(p, sizeof p, "%s/2020-09-14/12/access.log", fx->dir);
    assert_text(p, "a1\na2\na3\n");
    snprintf(p, sizeof p, "%s/2020-09-14/23/access.log", fx->dir);
    assert_text(p, "d1\n");
    snprintf(p, sizeof p, "%s/2020-09-15/00/access.log", fx->dir);
    assert_text(p, "b1\nb2\n");
    snprintf(p, sizeof p, "%s/2020-09-15/12/access.log", fx->dir);
    assert_text(p, "c1\nc2\n");
    /* Created directories get 0750 whatever the umask. */
    snprintf(p, sizeof p, "%s/2020-09-15", fx->dir);
    assert_int_equal(mode_of(p), 0750);
    snprintf(p, sizeof p, "%s/2020-09-15/12", fx->dir);
    assert_int_equal(mode_of(p), 0750);
    recs_free(recs, n);
    inst_destroy(&t);
}

/* ---- rotation ----------------------------------------------------------- */

static void test_rotation_exact_boundaries(void **state)
{
    fixture *fx = *state;
    tinst t;
    INST(&t, fx, "path: %s/r.log\nformat: raw\nrotate_every: 1000\nkeep: 3", fx->dir);
    /* 45 lines of exactly 100 bytes, in batches of 7 so rotations fall
     * inside batches and between them. */
    const size_t W = 100, N = 45;
    lr_record *recs[45];
    for (size_t i = 0; i < N; i++)
        recs[i] = numbered_rec(i, W, T0);
    for (size_t i = 0; i < N; i += 7)
        deliver_all(t.inst, recs + i, i + 7 <= N ? 7 : N - i);

    char p[256];
    /* 1000-byte files of 10 whole lines; lines 0-9 went with the oldest file. */
    snprintf(p, sizeof p, "%s/r.log.3", fx->dir);
    assert_numbered(p, 10, 20, W, false);
    snprintf(p, sizeof p, "%s/r.log.2", fx->dir);
    assert_numbered(p, 20, 30, W, false);
    snprintf(p, sizeof p, "%s/r.log.1", fx->dir);
    assert_numbered(p, 30, 40, W, false);
    snprintf(p, sizeof p, "%s/r.log", fx->dir);
    assert_numbered(p, 40, 45, W, false);
    snprintf(p, sizeof p, "%s/r.log.4", fx->dir);
    assert_false(exists(p));
    assert_int_equal(counter(t.inst, "rotations"), 4);
    recs_free(recs, N);
    inst_destroy(&t);
}

static void test_rotation_never_splits_a_record(void **state)
{
    fixture *fx = *state;
    tinst t;
    INST(&t, fx, "path: %s/s.log\nformat: raw\nrotate_every: 1000\nkeep: 5", fx->dir);
    /* 300-byte lines: three fit (900), a fourth would pass 1000. */
    lr_record *recs[7];
    for (size_t i = 0; i < 7; i++)
        recs[i] = numbered_rec(i, 300, T0);
    deliver_all(t.inst, recs, 7);
    char p[256];
    snprintf(p, sizeof p, "%s/s.log.2", fx->dir);
    assert_numbered(p, 0, 3, 300, false);
    snprintf(p, sizeof p, "%s/s.log.1", fx->dir);
    assert_numbered(p, 3, 6, 300, false);
    snprintf(p, sizeof p, "%s/s.log", fx->dir);
    assert_numbered(p, 6, 7, 300, false);
    recs_free(recs, 7);

    /* A record larger than rotate_every gets a file of its own: 500 joins
     * the live 300-byte file, 1500 starts a new one alone, 500 another. */
    lr_record *big[3] = {numbered_rec(100, 500, T0), numbered_rec(101, 1500, T0), numbered_rec(102, 500, T0)};
    deliver_all(t.inst, big, 3);
    char want[800];
    numbered_line(want, 6, 300);
    numbered_line(want + 300, 100, 500);
    snprintf(p, sizeof p, "%s/s.log.4", fx->dir);
    assert_numbered(p, 0, 3, 300, false);
    snprintf(p, sizeof p, "%s/s.log.3", fx->dir);
    assert_numbered(p, 3, 6, 300, false);
    snprintf(p, sizeof p, "%s/s.log.2", fx->dir);
    assert_bytes(p, want, 800, false);
    snprintf(p, sizeof p, "%s/s.log.1", fx->dir);
    assert_numbered(p, 101, 102, 1500, false);
    snprintf(p, sizeof p, "%s/s.log", fx->dir);
    assert_numbered(p, 102, 103, 500, false);
    recs_free(big, 3);
    inst_destroy(&t);
}

static void test_rotation_continues_existing_size(void **state)
{
    fixture *fx = *state;
    char p[256], p1[256];
    snprintf(p, sizeof p, "%s/e.log", fx->dir);
    snprintf(p1, sizeof p1, "%s/e.log.1", fx->dir);
    /* An existing 950-byte file: the next 100-byte line would pass 1000. */
    char old[951];
    memset(old, 'o', 949);
    old[949] = '\n';
    old[950] = '\0';
    write_text(p, old, 0604);
    tinst t;
    INST(&t, fx, "path: %s\nformat: raw\nrotate_every: 1000", p);
    lr_record *r = numbered_rec(1, 100, T0);
    deliver_all(t.inst, &r, 1);
    assert_text(p1, old);
    assert_numbered(p, 1, 2, 100, false);
    lr_record_unref(r);
    inst_destroy(&t);
}

static void test_compress_rotated_files(void **state)
{
    fixture *fx = *state;
    tinst t;
    INST(&t, fx, "path: %s/z.log\nformat: raw\nrotate_every: 1000\nkeep: 2\ncompress: true", fx->dir);
    const size_t W = 100, N = 35;
    lr_record *recs[35];
    for (size_t i = 0; i < N; i++)
        recs[i] = numbered_rec(i, W, T0);
    for (size_t i = 0; i < N; i += 5)
        deliver_all(t.inst, recs + i, 5);
    char p[256];
    snprintf(p, sizeof p, "%s/z.log.2.gz", fx->dir);
    assert_numbered(p, 10, 20, W, true);
    snprintf(p, sizeof p, "%s/z.log.1.gz", fx->dir);
    assert_numbered(p, 20, 30, W, true);
    snprintf(p, sizeof p, "%s/z.log", fx->dir);
    assert_numbered(p, 30, 35, W, false);
    /* Nothing else: no uncompressed rotated copy, no temporary, no .3. */
    const char *absent[] = {"z.log.1", "z.log.2", "z.log.3.gz", "z.log.1.gz.tmp"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s", fx->dir, absent[i]);
        if (exists(p))
            fail_msg("%s should not exist", p);
    }
    /* Rotated files keep the file's mode. */
    snprintf(p, sizeof p, "%s/z.log.1.gz", fx->dir);
    assert_int_equal(mode_of(p), 0640);
    assert_int_equal(counter(t.inst, "files_compressed"), 3);
    recs_free(recs, N);
    inst_destroy(&t);
}

static void test_compress_finishes_interrupted_rotation(void **state)
{
    fixture *fx = *state;
    char p[256], p1[256], gz[256], tmp[256];
    snprintf(p, sizeof p, "%s/c.log", fx->dir);
    snprintf(p1, sizeof p1, "%s/c.log.1", fx->dir);
    snprintf(gz, sizeof gz, "%s/c.log.1.gz", fx->dir);
    snprintf(tmp, sizeof tmp, "%s/c.log.1.gz.tmp", fx->dir);

    /* Crash while compressing: path.1 holds the data, a half-written .tmp lies next to it. */
    write_text(p1, "rotated before the crash\n", 0640);
    write_text(tmp, "\x1f\x8b garbage", 0640);
    tinst t;
    INST(&t, fx, "path: %s\nformat: raw\nrotate_every: 1MB\ncompress: true", p);
    lr_record *r = raw_rec("after restart", 13, T0);
    deliver_all(t.inst, &r, 1);
    assert_false(exists(p1));
    assert_false(exists(tmp));
    assert_text(p, "after restart\n");
    size_t len;
    char *data = gunzip_all(gz, &len);
    assert_non_null(data);
    assert_int_equal(len, 25);
    assert_memory_equal(data, "rotated before the crash\n", 25);
    free(data);
    inst_destroy(&t);

    /* Crash after the .gz got its name but before path.1 was removed: the
     * .gz is complete and wins; path.1 goes. */
    write_text(p1, "rotated before the crash\n", 0640);
    INST(&t, fx, "path: %s\nformat: raw\nrotate_every: 1MB\ncompress: true", p);
    deliver_all(t.inst, &r, 1);
    assert_false(exists(p1));
    assert_bytes(gz, "rotated before the crash\n", 25, true);
    assert_text(p, "after restart\nafter restart\n");
    lr_record_unref(r);
    inst_destroy(&t);
}

/* ---- permissions ------------------------------------------------------ */

static void test_file_mode_exact(void **state)
{
    fixture *fx = *state;
    mode_t old = umask(0077);
    tinst t;
    INST(&t, fx, "path: %s/m/default.log\nformat: raw", fx->dir);
    lr_record *r = raw_rec("x", 1, T0);
    deliver_all(t.inst, &r, 1);
    inst_destroy(&t);
    char p[256];
    snprintf(p, sizeof p, "%s/m/default.log", fx->dir);
    assert_int_equal(mode_of(p), 0640); /* the default, not cut by umask 077 */
    snprintf(p, sizeof p, "%s/m", fx->dir);
    assert_int_equal(mode_of(p), 0750);

    umask(0022);
    INST(&t, fx, "path: %s/m/open.log\nformat: raw\nmode: \"0666\"", fx->dir);
    deliver_all(t.inst, &r, 1);
    inst_destroy(&t);
    snprintf(p, sizeof p, "%s/m/open.log", fx->dir);
    assert_int_equal(mode_of(p), 0666);

    /* An existing file keeps the permissions its owner chose. */
    snprintf(p, sizeof p, "%s/m/existing.log", fx->dir);
    write_text(p, "", 0604);
    chmod(p, 0604);
    INST(&t, fx, "path: %s\nformat: raw\nmode: \"0600\"", p);
    deliver_all(t.inst, &r, 1);
    inst_destroy(&t);
    assert_int_equal(mode_of(p), 0604);
    assert_text(p, "x\n");
    umask(old);
    lr_record_unref(r);
}

/* ---- reopen ------------------------------------------------------------- */

static void test_reopen_after_rename(void **state)
{
    fixture *fx = *state;
    char p[256], moved[256], moved2[256];
    snprintf(p, sizeof p, "%s/app.log", fx->dir);
    snprintf(moved, sizeof moved, "%s/app.log.rotated", fx->dir);
    snprintf(moved2, sizeof moved2, "%s/app.log.rotated2", fx->dir);
    tinst t;
    INST(&t, fx, "path: %s\nformat: raw", p);
    lr_record *recs[6];
    for (size_t i = 0; i < 6; i++)
        recs[i] = numbered_rec(i, 20, T0);
    deliver_all(t.inst, recs, 3);

    /* logrotate: rename, then SIGHUP. */
    assert_int_equal(rename(p, moved), 0);
    lr_instance_reopen_sync(t.inst);
    deliver_all(t.inst, recs + 3, 2);
    assert_numbered(moved, 0, 3, 20, false);
    assert_numbered(p, 3, 5, 20, false);

    /* Without the signal, the rename is noticed within a second. */
    assert_int_equal(rename(p, moved2), 0);
    struct timespec ts = {1, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
    deliver_all(t.inst, recs + 5, 1);
    assert_numbered(moved2, 3, 5, 20, false);
    assert_numbered(p, 5, 6, 20, false);
    recs_free(recs, 6);
    inst_destroy(&t);
}

/* ---- errors: retry or reject ---------------------------------------------- */

/* A directory component is a regular file: ENOTDIR. Deliberately a retry:
 * moving the stray file away fixes it without a configuration change, and
 * the same records are then delivered. */
static void test_parent_is_a_file_retries_then_delivers(void **state)
{
    fixture *fx = *state;
    char blocker[256], p[256];
    snprintf(blocker, sizeof blocker, "%s/blocker", fx->dir);
    snprintf(p, sizeof p, "%s/blocker/sub/out.log", fx->dir);
    write_text(blocker, "not a directory\n", 0644);
    tinst t;
    INST(&t, fx, "path: %s\nformat: raw", p);
    lr_record *recs[2] = {raw_rec("one", 3, T0), raw_rec("two", 3, T0)};
    lr_delivery out[2];
    assert_int_equal(deliver(t.inst, recs, 2, out), LR_RETRY);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(out[i].result, LR_RETRY);
        assert_non_null(strstr(out[i].reason, blocker));
        assert_non_null(strstr(out[i].reason, strerror(ENOTDIR)));
    }
    assert_int_equal(unlink(blocker), 0);
    deliver_all(t.inst, recs, 2);
    assert_text(p, "one\ntwo\n");
    recs_free(recs, 2);
    inst_destroy(&t);
}

/* A directory the agent may not write to: EACCES. As root permissions do not
 * apply, so the delivery runs in a child that drops to uid/gid 65534. */
static int child_expect(lr_instance *inst, lr_record *const *recs, size_t n, lr_result want,
                        const char *needle)
{
    lr_delivery out[4];
    lr_result r = deliver(inst, recs, n, out);
    if (r != want) {
        fprintf(stderr, "child: result %d, expected %d (%s)\n", (int)r, (int)want, out[0].reason);
        return -1;
    }
    for (size_t i = 0; needle && i < n; i++) {
        if (!strstr(out[i].reason, needle)) {
            fprintf(stderr, "child: reason '%s' lacks '%s'\n", out[i].reason, needle);
            return -1;
        }
    }
    return 0;
}

static void test_unwritable_dir_retries_then_delivers(void **state)
{
    fixture *fx = *state;
    char logs[256], p[256], want[512];
    snprintf(logs, sizeof logs, "%s/logs", fx->dir);
    snprintf(p, sizeof p, "%s/logs/app/out.log", fx->dir);
    snprintf(want, sizeof want, "mkdir %s/app: %s", logs, strerror(EACCES));
    assert_int_equal(chmod(fx->dir, 0755), 0);
    assert_int_equal(mkdir(logs, 0755), 0);
    assert_int_equal(chmod(logs, 0555), 0); /* nobody may create app/ */
    tinst t;
    INST(&t, fx, "path: %s\nformat: raw", p);
    lr_record *recs[2] = {raw_rec("one", 3, T0), raw_rec("two", 3, T0)};

    if (geteuid() != 0) {
        assert_int_equal(child_expect(t.inst, recs, 2, LR_RETRY, want), 0);
        assert_int_equal(chmod(logs, 0755), 0);
        assert_int_equal(child_expect(t.inst, recs, 2, LR_DELIVERED, NULL), 0);
    } else {
        int go[2], ready[2];
        assert_int_equal(pipe(go), 0);
        assert_int_equal(pipe(ready), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            char b = 0;
            if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
                _exit(77);
            int rc = child_expect(t.inst, recs, 2, LR_RETRY, want);
            b = rc == 0 ? 'r' : 'x';
            if (write(ready[1], &b, 1) != 1 || read(go[0], &b, 1) != 1)
                _exit(2);
            if (rc == 0)
                rc = child_expect(t.inst, recs, 2, LR_DELIVERED, NULL);
            _exit(rc == 0 ? 0 : 1);
        }
        char b = 0;
        assert_int_equal(read(ready[0], &b, 1), 1);
        /* the operator fixes the permissions */
        assert_int_equal(chmod(logs, 0777), 0);
        assert_int_equal(write(go[1], "g", 1), 1);
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77) {
            inst_destroy(&t);
            recs_free(recs, 2);
            print_message("skipped: cannot drop privileges to uid 65534 for the EACCES case\n");
            skip();
        }
        assert_int_equal(b, 'r');
        assert_int_equal(WEXITSTATUS(status), 0);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_uid, 65534);
        close(go[0]);
        close(go[1]);
        close(ready[0]);
        close(ready[1]);
    }
    assert_text(p, "one\ntwo\n");
    recs_free(recs, 2);
    inst_destroy(&t);
}

/* The path names a directory (EISDIR): no retry can help, the record is
 * rejected with the reason; records for other files in the batch are delivered. */
static void test_path_is_directory_rejects(void **state)
{
    fixture *fx = *state;
    char dir2020[256], p2021[256];
    snprintf(dir2020, sizeof dir2020, "%s/2020.log", fx->dir);
    snprintf(p2021, sizeof p2021, "%s/2021.log", fx->dir);
    assert_int_equal(mkdir(dir2020, 0755), 0);
    tinst t;
    INST(&t, fx, "path: %s/%%Y.log\nformat: raw", fx->dir);
    const int64_t y2021 = 1610000000000LL; /* 2021-01-07 */
    lr_record *recs[3] = {raw_rec("a", 1, T0), raw_rec("b", 1, y2021), raw_rec("c", 1, T0)};
    lr_delivery out[3];
    assert_int_equal(deliver(t.inst, recs, 3, out), LR_PARTIAL);
    assert_int_equal(out[0].result, LR_REJECT);
    assert_int_equal(out[1].result, LR_DELIVERED);
    assert_int_equal(out[2].result, LR_REJECT);
    char want[512];
    snprintf(want, sizeof want, "open %s: %s", dir2020, strerror(EISDIR));
    assert_string_equal(out[0].reason, want);
    assert_string_equal(out[2].reason, want);
    assert_text(p2021, "b\n");
    recs_free(recs, 3);
    inst_destroy(&t);
}

/* A record whose time expands the path past PATH_MAX is rejected; the
 * others are written. */
static void test_unexpandable_path_rejects(void **state)
{
    fixture *fx = *state;
    /* "%Y/" components: 5 bytes each today, 7 for a year >= 100000. */
    size_t base = strlen(fx->dir) + 1 + strlen("x.log");
    size_t tokens = (4080 - base) / 6;
    size_t cap = tokens * 3 + base + 16;
    char *tmpl = malloc(cap);
    assert_non_null(tmpl);
    size_t l = (size_t)snprintf(tmpl, cap, "%s/", fx->dir);
    for (size_t i = 0; i < tokens; i++)
        l += (size_t)snprintf(tmpl + l, cap - l, "%%Y/");
    snprintf(tmpl + l, cap - l, "x.log");
    tinst t;
    INST(&t, fx, "path: %s\nformat: raw", tmpl);
    const int64_t far = 3250000000000000LL; /* year ~104960 */
    lr_record *recs[2] = {raw_rec("now", 3, T0), raw_rec("far", 3, far)};
    lr_delivery out[2];
    assert_int_equal(deliver(t.inst, recs, 2, out), LR_PARTIAL);
    assert_int_equal(out[0].result, LR_DELIVERED);
    assert_int_equal(out[1].result, LR_REJECT);
    assert_non_null(strstr(out[1].reason, "cannot be expanded"));
    free(tmpl);
    recs_free(recs, 2);
    inst_destroy(&t);
}

/* Disk full in the middle of a batch (a 64 KiB tmpfs): the records wholly
 * written are delivered, the rest retried; no partial line stays on disk;
 * once space is freed the retried records complete the file exactly once. */
static void test_enospc_partial_then_complete(void **state)
{
    fixture *fx = *state;
    char mnt[128], filler[192], p[192];
    snprintf(mnt, sizeof mnt, "%s/small", fx->dir);
    assert_int_equal(mkdir(mnt, 0755), 0);
    if (mount("lr-test", mnt, "tmpfs", 0, "size=64k,mode=0755") != 0) {
        print_message("skipped: cannot mount a 64k tmpfs here (%s); ENOSPC not simulated\n", strerror(errno));
        skip();
    }
    snprintf(fx->mnt, sizeof fx->mnt, "%s", mnt);
    snprintf(filler, sizeof filler, "%s/filler", mnt);
    snprintf(p, sizeof p, "%s/out.log", mnt);
    char block[32 * 1024];
    memset(block, 'f', sizeof block);
    int fd = open(filler, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, block, sizeof block), (ssize_t)sizeof block);
    close(fd);

    tinst t;
    INST(&t, fx, "path: %s\nformat: raw", p);
    const size_t W = 1000, N = 60; /* 60 KB: more than is left */
    lr_record *recs[60];
    for (size_t i = 0; i < N; i++)
        recs[i] = numbered_rec(i, W, T0);
    lr_delivery out[60];
    lr_result r = deliver(t.inst, recs, N, out);
    size_t k = 0;
    while (k < N && out[k].result == LR_DELIVERED)
        k++;
    assert_true(k > 0 && k < N);
    assert_int_equal(r, LR_PARTIAL);
    char want[256];
    snprintf(want, sizeof want, "write %s: %s", p, strerror(ENOSPC));
    for (size_t i = k; i < N; i++) {
        assert_int_equal(out[i].result, LR_RETRY);
        assert_string_equal(out[i].reason, want);
    }
    /* Exactly the delivered lines, no torn tail. */
    assert_numbered(p, 0, k, W, false);

    /* The operator frees space; the core retries the rest. */
    assert_int_equal(unlink(filler), 0);
    deliver_all(t.inst, recs + k, N - k);
    assert_numbered(p, 0, N, W, false);
    recs_free(recs, N);
    inst_destroy(&t);
    assert_int_equal(umount(mnt), 0);
    fx->mnt[0] = '\0';
}

/* A named pipe: without a reader the open fails (ENXIO, retried) instead of
 * blocking the worker; with one, lines flow and size rotation stays off. */
static void test_fifo_path(void **state)
{
    fixture *fx = *state;
    char p[256], p1[256];
    snprintf(p, sizeof p, "%s/pipe", fx->dir);
    snprintf(p1, sizeof p1, "%s/pipe.1", fx->dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    tinst t;
    INST(&t, fx, "path: %s\nformat: raw\nrotate_every: 1", p);
    lr_record *recs[2] = {raw_rec("one", 3, T0), raw_rec("two", 3, T0)};
    lr_delivery out[2];
    assert_int_equal(deliver(t.inst, recs, 2, out), LR_RETRY);
    assert_non_null(strstr(out[0].reason, strerror(ENXIO)));
    int rd = open(p, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    deliver_all(t.inst, recs, 2);
    char buf[16];
    assert_int_equal(read(rd, buf, sizeof buf), 8);
    assert_memory_equal(buf, "one\ntwo\n", 8);
    assert_false(exists(p1));
    close(rd);
    recs_free(recs, 2);
    inst_destroy(&t);
}

static void test_fsync_option(void **state)
{
    fixture *fx = *state;
    tinst t;
    INST(&t, fx, "path: %s/f.log\nformat: raw\nfsync: true\nrotate_every: 250", fx->dir);
    lr_record *recs[5];
    for (size_t i = 0; i < 5; i++)
        recs[i] = numbered_rec(i, 100, T0);
    deliver_all(t.inst, recs, 5);
    char p[256];
    snprintf(p, sizeof p, "%s/f.log.2", fx->dir);
    assert_numbered(p, 0, 2, 100, false);
    snprintf(p, sizeof p, "%s/f.log.1", fx->dir);
    assert_numbered(p, 2, 4, 100, false);
    snprintf(p, sizeof p, "%s/f.log", fx->dir);
    assert_numbered(p, 4, 5, 100, false);
    recs_free(recs, 5);
    inst_destroy(&t);
}

/* ---- configuration -------------------------------------------------------- */

static void test_config_errors(void **state)
{
    fixture *fx = *state;
    tinst t;
    assert_null(inst_try(&t, fx->dir, "format: raw"));
    assert_non_null(strstr(t.errors, "path"));
    inst_destroy(&t);
    assert_null(inst_try(&t, fx->dir, "path: %s/\nformat: raw", fx->dir));
    inst_destroy(&t);
    assert_null(inst_try(&t, fx->dir, "path: %s/x.log\nformat: xml", fx->dir));
    assert_non_null(strstr(t.errors, "format"));
    inst_destroy(&t);
    assert_null(inst_try(&t, fx->dir, "path: %s/x.log\nkeep: 0", fx->dir));
    assert_non_null(strstr(t.errors, "keep"));
    inst_destroy(&t);
    assert_null(inst_try(&t, fx->dir, "path: %s/x.log\nrotate_every: lots", fx->dir));
    assert_non_null(strstr(t.errors, "rotate_every"));
    inst_destroy(&t);
}

/* The README's option table is the module's own table, rendered. */
static void test_readme_lists_the_options(void **state)
{
    (void)state;
    const char *src = getenv("LR_SRC");
    if (!src)
        skip();
    char path[1024];
    snprintf(path, sizeof path, "%s/outputs/file/README.md", src);
    size_t len;
    char *readme = read_all(path, &len);
    assert_non_null(readme);
    readme = realloc(readme, len + 1);
    readme[len] = '\0';
    char *table = NULL;
    size_t tlen = 0;
    FILE *m = open_memstream(&table, &tlen);
    assert_non_null(m);
    lr_options_markdown(m, g_file->desc->options);
    fclose(m);
    if (!strstr(readme, table))
        fail_msg("outputs/file/README.md does not hold the option table; expected:\n%s", table);
    free(table);
    free(readme);
}

/* ---- volume --------------------------------------------------------------- */

static void run_100k(fixture *fx, bool json)
{
    const size_t N = 100000, B = 500;
    tinst t;
    if (json)
        INST(&t, fx, "path: %s/v.log\nformat: json\nrotate_every: 1MiB\nkeep: 20", fx->dir);
    else
        INST(&t, fx, "path: %s/v.log\nformat: raw\nrotate_every: 1MiB\nkeep: 20", fx->dir);
    lr_record **recs = calloc(B, sizeof *recs);
    assert_non_null(recs);
    size_t want_cap = N * 64, want_len = 0;
    char *want = malloc(want_cap);
    assert_non_null(want);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t base = 0; base < N; base += B) {
        for (size_t i = 0; i < B; i++) {
            char msg[64];
            snprintf(msg, sizeof msg, "line %zu of the volume test", base + i);
            recs[i] = json ? json_rec(msg, (int64_t)(base + i), T0) : raw_rec(msg, strlen(msg), T0);
            const lr_event *ev = &recs[i]->ev;
            const char *bytes = json ? ev->json : ev->raw;
            size_t len = json ? ev->json_len : ev->raw_len;
            assert_true(want_len + len + 1 <= want_cap);
            memcpy(want + want_len, bytes, len);
            want_len += len;
            want[want_len++] = '\n';
        }
        deliver_all(t.inst, recs, B);
        recs_free(recs, B);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    print_message("%zu %s lines in %.0f ms\n", N, json ? "json" : "raw",
                  (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
    assert_int_equal(counter(t.inst, "records_written"), N);

    /* Oldest rotated file first, the live file last: every line once, in order. */
    size_t got_len = 0;
    char *got = malloc(want_len + 1);
    assert_non_null(got);
    char p[256];
    for (int k = 20; k >= 0; k--) {
        if (k)
            snprintf(p, sizeof p, "%s/v.log.%d", fx->dir, k);
        else
            snprintf(p, sizeof p, "%s/v.log", fx->dir);
        size_t len;
        char *part = read_all(p, &len);
        if (!part)
            continue;
        assert_true(len <= 1024 * 1024);
        assert_true(len > 0 && part[len - 1] == '\n');
        assert_true(got_len + len <= want_len);
        memcpy(got + got_len, part, len);
        got_len += len;
        free(part);
    }
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    free(got);
    free(want);
    free(recs);
    inst_destroy(&t);
}

static void test_100k_lines_raw(void **state)
{
    run_100k(*state, false);
}

static void test_100k_lines_json(void **state)
{
    run_100k(*state, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_raw_format_exact, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_json_format_exact, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_strftime_paths_by_record_time, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rotation_exact_boundaries, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rotation_never_splits_a_record, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rotation_continues_existing_size, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_compress_rotated_files, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_compress_finishes_interrupted_rotation, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_file_mode_exact, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_reopen_after_rename, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_parent_is_a_file_retries_then_delivers, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_dir_retries_then_delivers, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_path_is_directory_rejects, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_unexpandable_path_rejects, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_enospc_partial_then_complete, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fifo_path, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fsync_option, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_config_errors, fx_setup, fx_teardown),
        cmocka_unit_test(test_readme_lists_the_options),
        cmocka_unit_test_setup_teardown(test_100k_lines_raw, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_100k_lines_json, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
