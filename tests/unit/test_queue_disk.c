/*
 * Disk queue tests (queue.type: disk) against the `flaky` test module:
 *   - with the sink down, every record is finished (acknowledged) once it is
 *     spooled although nothing was delivered; a NEW queue on the same spool
 *     directory with the sink up delivers everything exactly once, and the
 *     delivered segments are deleted;
 *   - records left by an earlier run are delivered before new ones;
 *   - retries, rejections and dead letters work on spooled records;
 *   - a full spool raises backpressure and drops nothing;
 *   - queue.fsync_interval holds acknowledgements back to one commit per
 *     interval.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "plugin/instance.h"
#include "plugin/plugin.h"
#include "queue/queue.h"
#include "record/record.h"

static lr_plugin_registry *reg;
static char tmpdir[256];
static atomic_int done_count;

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void on_done(lr_record *rec, void *origin)
{
    (void)rec;
    (void)origin;
    atomic_fetch_add(&done_count, 1);
}

static int setup(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/test-plugins", getenv("LR_BUILD"));
    reg = lr_plugins_load_dir(dir);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lr-test-qdisk-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lr_plugins_free(reg);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

typedef struct fixture {
    lr_config *cfg;
    lr_instance *inst;
    lr_queue *q;
    char out[512];
    char spool[512];
    char down[512];
} fixture;

/* A flaky output `name` with a disk queue in <tmpdir>/spool-<name>; the sink
 * is down while <tmpdir>/<name>.down exists. */
static void start(fixture *f, const char *name, const char *extra)
{
    snprintf(f->out, sizeof f->out, "%s/%s.out", tmpdir, name);
    snprintf(f->spool, sizeof f->spool, "%s/spool-%s", tmpdir, name);
    snprintf(f->down, sizeof f->down, "%s/%s.down", tmpdir, name);
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "outputs:\n  %s:\n    type: flaky\n    path: %s\n    down_file: %s\n"
             "    retry: {initial: 10ms, max: 50ms}\n    batch: {max_records: 50, timeout: 5ms}\n%s",
             name, f->out, f->down, extra);
    lr_errors errs;
    lr_errors_init(&errs);
    f->cfg = lr_config_load_string(yaml, "q.yaml", &errs);
    if (!f->cfg) {
        lr_buf_terminate(&errs.text);
        fail_msg("%s", errs.text.data);
    }
    const lr_cfg_node *outs = lr_cfg_get(f->cfg->root, "outputs");
    f->inst = lr_instance_create(lr_plugins_find(reg, "flaky"), name, outs->pairs[0].value, tmpdir, &errs);
    if (!f->inst) {
        lr_buf_terminate(&errs.text);
        fail_msg("%s", errs.text.data);
    }
    lr_errors_free(&errs);
    assert_int_equal(lr_instance_settings(f->inst)->queue_type, 1);
    f->q = lr_queue_create(f->inst);
}

static void stop(fixture *f)
{
    lr_queue_destroy(f->q);
    lr_instance_destroy(f->inst);
    lr_config_free(f->cfg);
}

static void sink_down(fixture *f, bool down)
{
    if (down) {
        FILE *d = fopen(f->down, "w");
        assert_non_null(d);
        fclose(d);
    } else {
        unlink(f->down);
    }
}

static void push_lines(fixture *f, int from, int to, const char *prefix)
{
    char line[128];
    for (int i = from; i < to; i++) {
        int l = snprintf(line, sizeof line, "%s %d", prefix, i);
        lr_record *rec = lr_record_new(line, (size_t)l, 0);
        lr_member *m = lr_record_members(rec, 1);
        m[0].key = "message";
        m[0].key_len = 7;
        m[0].value = lr_value_string(rec->ev.raw, rec->ev.raw_len);
        lr_record_set_root(rec, m, 1);
        lr_record_encode_json(rec);
        rec->done = on_done;
        lr_record_hold(rec, 1);
        lr_queue_push(f->q, rec, &rec->ev);
        lr_record_finish(rec);
        lr_record_unref(rec);
    }
}

static bool wait_done(int n, int timeout_ms)
{
    int64_t until = mono() + timeout_ms;
    while (atomic_load(&done_count) < n && mono() < until)
        sleep_ms(5);
    return atomic_load(&done_count) >= n;
}

/* Lines of the output file, in order; *n set. */
static char **read_lines(const char *path, int *n)
{
    *n = 0;
    FILE *fp = fopen(path, "r");
    if (!fp)
        return NULL;
    char **lines = NULL, buf[256];
    int cap = 0;
    while (fgets(buf, sizeof buf, fp)) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            lines = realloc(lines, (size_t)cap * sizeof *lines);
        }
        buf[strcspn(buf, "\n")] = '\0';
        lines[(*n)++] = strdup(buf);
    }
    fclose(fp);
    return lines;
}

static void free_lines(char **lines, int n)
{
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

/* Every "<prefix> i" for i in [0, n) appears exactly once. */
static void check_exactly_once(const char *path, int n, const char *prefix)
{
    int nl;
    char **lines = read_lines(path, &nl);
    int *seen = calloc((size_t)n, sizeof *seen);
    size_t pl = strlen(prefix);
    for (int k = 0; k < nl; k++) {
        if (strncmp(lines[k], prefix, pl) != 0 || lines[k][pl] != ' ')
            continue;
        int i = atoi(lines[k] + pl + 1);
        assert_true(i >= 0 && i < n);
        seen[i]++;
    }
    for (int i = 0; i < n; i++) {
        if (seen[i] != 1)
            fail_msg("\"%s %d\" delivered %d times", prefix, i, seen[i]);
    }
    free(seen);
    free_lines(lines, nl);
}

static int count_segments(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l > 4 && strcmp(de->d_name + l - 4, ".seg") == 0)
            n++;
    }
    closedir(d);
    return n;
}

static long segments_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    long total = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l > 4 && strcmp(de->d_name + l - 4, ".seg") == 0) {
            char p[1024];
            struct stat st;
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            if (stat(p, &st) == 0)
                total += (long)st.st_size;
        }
    }
    closedir(d);
    return total;
}

/* ------------------------------------------------------------------------ */

static void test_spooled_is_acknowledged_then_delivered_after_restart(void **state)
{
    (void)state;
    fixture f;
    atomic_store(&done_count, 0);
    start(&f, "outage", "    queue: {type: disk}\n");
    /* the default path is <data_dir>/spool/<output> */
    char want[600];
    snprintf(want, sizeof want, "%s/spool/outage", tmpdir);
    assert_string_equal(lr_instance_settings(f.inst)->queue_path, want);
    stop(&f);

    snprintf(want, sizeof want, "%s/spool-outage", tmpdir);
    char extra[700];
    snprintf(extra, sizeof extra, "    queue: {type: disk, path: %s}\n", want);
    start(&f, "outage", extra);
    sink_down(&f, true);
    push_lines(&f, 0, 300, "line");
    /* acknowledged once spooled, although the sink never took anything */
    assert_true(wait_done(300, 10000));
    lr_queue_stats st;
    int64_t until = mono() + 5000;
    do {
        sleep_ms(10);
        lr_queue_get_stats(f.q, &st);
    } while (st.retried == 0 && mono() < until);
    assert_true(st.retried > 0);
    assert_int_equal(st.received, 300);
    assert_int_equal(st.delivered, 0);
    assert_int_equal(st.depth_records, 300);
    assert_int_equal(lr_queue_unfinished(f.q), 0); /* a stop now would lose nothing and redo nothing */
    assert_true(st.depth_bytes > 300 * 20);
    assert_true(st.oldest_age_ms >= 0);
    assert_string_equal(st.last_error, "sink is down (down_file exists)");
    assert_false(lr_queue_congested(f.q));
    assert_false(lr_queue_drain(f.q, mono() + 200));
    assert_int_equal(access(f.out, F_OK), -1);
    assert_true(count_segments(f.spool) >= 1);
    stop(&f); /* the spool keeps them */

    /* a new queue on the same directory, the sink back up */
    sink_down(&f, false);
    atomic_store(&done_count, 0);
    start(&f, "outage", extra);
    assert_true(lr_queue_drain(f.q, mono() + 20000));
    lr_queue_get_stats(f.q, &st);
    assert_int_equal(st.received, 0);
    assert_int_equal(st.delivered, 300);
    assert_int_equal(st.depth_records, 0);
    assert_int_equal(st.depth_bytes, 0);
    assert_int_equal(atomic_load(&done_count), 0); /* those records were finished in the first run */
    check_exactly_once(f.out, 300, "line");
    int n;
    char **lines = read_lines(f.out, &n);
    free_lines(lines, n);
    assert_int_equal(n, 300);
    stop(&f);
    assert_int_equal(count_segments(f.spool), 0);

    /* and a third start has nothing left to deliver */
    start(&f, "outage", extra);
    assert_true(lr_queue_drain(f.q, mono() + 2000));
    lr_queue_get_stats(f.q, &st);
    assert_int_equal(st.delivered, 0);
    stop(&f);
    lines = read_lines(f.out, &n);
    free_lines(lines, n);
    assert_int_equal(n, 300);
}

static void test_earlier_run_delivered_first(void **state)
{
    (void)state;
    fixture f;
    atomic_store(&done_count, 0);
    char extra[700];
    snprintf(extra, sizeof extra, "    queue: {type: disk, path: %s/spool-order}\n", tmpdir);
    start(&f, "order", extra);
    sink_down(&f, true);
    push_lines(&f, 0, 120, "old");
    assert_true(wait_done(120, 10000));
    stop(&f);
    sink_down(&f, false);
    start(&f, "order", extra);
    push_lines(&f, 0, 80, "new");
    assert_true(lr_queue_drain(f.q, mono() + 20000));
    assert_int_equal(atomic_load(&done_count), 200);
    stop(&f);
    int n;
    char **lines = read_lines(f.out, &n);
    assert_int_equal(n, 200);
    for (int i = 0; i < n; i++)
        assert_true(strncmp(lines[i], i < 120 ? "old " : "new ", 4) == 0);
    free_lines(lines, n);
    check_exactly_once(f.out, 120, "old");
    check_exactly_once(f.out, 80, "new");
}

static void test_retries_and_dead_letters_from_the_spool(void **state)
{
    (void)state;
    fixture f;
    atomic_store(&done_count, 0);
    char extra[700];
    snprintf(extra, sizeof extra,
             "    queue: {type: disk, path: %s/spool-mixed}\n    fail_batches: 2\n    fail_every: 7\n",
             tmpdir);
    start(&f, "mixed", extra);
    push_lines(&f, 0, 500, "line");
    push_lines(&f, 0, 100, "BAD");
    assert_true(lr_queue_drain(f.q, mono() + 30000));
    lr_queue_stats st;
    lr_queue_get_stats(f.q, &st);
    assert_int_equal(st.received, 600);
    assert_int_equal(st.deadlettered, 0);
    assert_int_equal(st.delivered, 600);
    assert_true(st.retried >= 2 + 600 / 7);
    assert_int_equal(atomic_load(&done_count), 600);
    check_exactly_once(f.out, 500, "line");
    check_exactly_once(f.out, 100, "BAD");
    stop(&f);

    /* rejections: the reason and the record reach the dead-letter file */
    atomic_store(&done_count, 0);
    snprintf(extra, sizeof extra,
             "    queue: {type: disk, path: %s/spool-reject}\n    reject_contains: \"D 7\"\n", tmpdir);
    start(&f, "reject", extra);
    push_lines(&f, 0, 100, "BAD");
    assert_true(lr_queue_drain(f.q, mono() + 20000));
    lr_queue_get_stats(f.q, &st);
    assert_int_equal(st.deadlettered, 11); /* BAD 7, BAD 70..79 */
    assert_int_equal(st.failed, 11);
    assert_int_equal(st.delivered, 89);
    assert_int_equal(atomic_load(&done_count), 100);
    stop(&f);
    char dl[600], buf[2048];
    snprintf(dl, sizeof dl, "%s/deadletter/reject.jsonl", tmpdir);
    FILE *fp = fopen(dl, "r");
    assert_non_null(fp);
    int n = 0;
    while (fgets(buf, sizeof buf, fp)) {
        assert_non_null(strstr(buf, "\"reason\":\"HTTP 400: scripted rejection\""));
        assert_non_null(strstr(buf, "\"record\":{\"message\":\"BAD 7"));
        n++;
    }
    fclose(fp);
    assert_int_equal(n, 11);
}

static void test_full_spool_backpressure(void **state)
{
    (void)state;
    fixture f;
    atomic_store(&done_count, 0);
    char extra[700];
    snprintf(extra, sizeof extra, "    queue: {type: disk, path: %s/spool-full, max_bytes: 8KiB}\n", tmpdir);
    start(&f, "full", extra);
    sink_down(&f, true);
    push_lines(&f, 0, 1000, "line");
    assert_true(lr_queue_congested(f.q));
    assert_true(lr_queue_unfinished(f.q) > 0);
    /* the writer fills the spool up to its budget, then stops */
    int64_t until = mono() + 10000;
    int last = -1;
    while (mono() < until) {
        sleep_ms(100);
        int now = atomic_load(&done_count);
        if (now == last && now > 0)
            break;
        last = now;
    }
    int spooled = atomic_load(&done_count);
    assert_true(spooled > 10);
    assert_true(spooled < 1000);
    assert_true(lr_queue_congested(f.q));
    assert_true(segments_bytes(f.spool) <= 8192);
    lr_queue_stats st;
    lr_queue_get_stats(f.q, &st);
    assert_int_equal(st.depth_records, 1000); /* staged + spooled: nothing dropped */
    assert_int_equal(lr_queue_unfinished(f.q), (uint64_t)(1000 - spooled));
    assert_int_equal(st.delivered, 0);
    /* the sink comes back: everything flows through the small spool */
    sink_down(&f, false);
    assert_true(lr_queue_drain(f.q, mono() + 30000));
    assert_false(lr_queue_congested(f.q));
    assert_int_equal(atomic_load(&done_count), 1000);
    check_exactly_once(f.out, 1000, "line");
    stop(&f);
}

static void test_fsync_interval_groups_acknowledgements(void **state)
{
    (void)state;
    fixture f;
    atomic_store(&done_count, 0);
    char extra[700];
    snprintf(extra, sizeof extra, "    queue: {type: disk, path: %s/spool-interval, fsync_interval: 2s}\n",
             tmpdir);
    start(&f, "interval", extra);
    sink_down(&f, true);
    push_lines(&f, 0, 10, "line");
    assert_true(wait_done(10, 5000)); /* the first commit is not delayed */
    int64_t t0 = mono();
    push_lines(&f, 10, 20, "line");
    sleep_ms(300);
    if (mono() - t0 < 1500) /* unless this machine stalled, the next commit is still ahead */
        assert_int_equal(atomic_load(&done_count), 10);
    assert_true(wait_done(20, 5000));
    sink_down(&f, false);
    assert_true(lr_queue_drain(f.q, mono() + 20000));
    check_exactly_once(f.out, 20, "line");
    stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spooled_is_acknowledged_then_delivered_after_restart),
        cmocka_unit_test(test_earlier_run_delivered_first),
        cmocka_unit_test(test_retries_and_dead_letters_from_the_spool),
        cmocka_unit_test(test_full_spool_backpressure),
        cmocka_unit_test(test_fsync_interval_groups_acknowledgements),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
