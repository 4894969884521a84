/*
 * Disk spool tests: the on-disk framing read back by hand, recovery after a
 * cut at every byte of the last entry and after corruption in the middle of
 * a segment (with the warning naming the file and the bytes lost), a full
 * spool refusing appends until delivered segments are deleted, the
 * acknowledgement watermark surviving a reopen, segment deletion, the
 * one-process lock, damage found while reading, and the event codec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "queue/spool.h"
#include "queue/spool_codec.h"
#include "record/record.h"

static char root[256];
static int dir_counter;

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/lr-test-spool-XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void new_dir(char *out, size_t n)
{
    snprintf(out, n, "%s/s%d", root, ++dir_counter);
}

static lr_spool *open_spool(const char *dir, uint64_t max_bytes, uint64_t seg_bytes, lr_spool_recovery *rec)
{
    lr_spool_options o = {.dir = dir, .max_bytes = max_bytes, .segment_bytes = seg_bytes, .name = "test"};
    char err[512] = "";
    lr_spool *sp = lr_spool_open(&o, rec, err, sizeof err);
    if (!sp)
        fail_msg("open %s: %s", dir, err);
    return sp;
}

/* Entry i: "entry <i> " followed by a deterministic filler, `len` bytes in all. */
static size_t make_entry(char *buf, size_t cap, int i, size_t len)
{
    int l = snprintf(buf, cap, "entry %d ", i);
    for (size_t k = (size_t)l; k < len && k < cap; k++)
        buf[k] = (char)('a' + (i + k) % 26);
    return len < (size_t)l ? (size_t)l : len;
}

static void append_entries(lr_spool *sp, int from, int to, size_t len)
{
    char buf[1024], err[256];
    for (int i = from; i < to; i++) {
        size_t n = make_entry(buf, sizeof buf, i, len);
        assert_int_equal(lr_spool_append(sp, buf, n, err, sizeof err), 0);
    }
    assert_int_equal(lr_spool_commit(sp, err, sizeof err), 0);
}

/* Read everything readable; returns the count and checks each entry is the
 * next expected index (expected[] lists them in order). Acks when asked. */
static int read_all(lr_spool *sp, const int *expected, int nexpected, size_t len, bool ack)
{
    lr_spool_entry out[16];
    int got = 0;
    for (;;) {
        lr_spool_read_result r = lr_spool_read(sp, out, 16, 1 << 20);
        if (!r.count)
            break;
        for (size_t i = 0; i < r.count; i++) {
            char want[1024];
            assert_true(got < nexpected);
            size_t n = make_entry(want, sizeof want, expected[got], len);
            assert_int_equal(out[i].len, n);
            assert_memory_equal(out[i].data, want, n);
            if (ack)
                lr_spool_ack(sp, out[i].id);
            got++;
        }
    }
    return got;
}

static int *range(int from, int to)
{
    int *v = malloc(sizeof(int) * (size_t)(to - from + 1));
    for (int i = from; i < to; i++)
        v[i - from] = i;
    return v;
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

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Run `fn` with stderr captured into a file; returns what it logged. */
static char *capture_stderr(lr_spool *(*fn)(const char *, lr_spool_recovery *), const char *dir,
                            lr_spool_recovery *rec, lr_spool **sp)
{
    char path[512];
    snprintf(path, sizeof path, "%s/stderr.%d", root, ++dir_counter);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    dup2(fd, 2);
    close(fd);
    *sp = fn(dir, rec);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n;
    return read_file(path, &n);
}

static lr_spool *open_default(const char *dir, lr_spool_recovery *rec)
{
    return open_spool(dir, 1 << 24, 0, rec);
}

/* ------------------------------------------------------------------------ */

static void test_framing_round_trip(void **state)
{
    (void)state;
    char dir[512], err[256];
    new_dir(dir, sizeof dir);
    lr_spool_recovery rec;
    lr_spool *sp = open_spool(dir, 1 << 24, 0, &rec);
    assert_int_equal(rec.entries, 0);
    /* small entries, and one bigger than the write buffer */
    size_t big_len = 300 * 1024;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)(i * 7);
    append_entries(sp, 0, 3, 100);
    assert_int_equal(lr_spool_append(sp, big, big_len, err, sizeof err), 0);
    assert_int_equal(lr_spool_commit(sp, err, sizeof err), 0);
    append_entries(sp, 3, 5, 40);

    /* the segment on disk: [u32 len][u32 crc32][payload], little-endian */
    char seg[600];
    snprintf(seg, sizeof seg, "%s/00000001.seg", dir);
    size_t n;
    unsigned char *d = (unsigned char *)read_file(seg, &n);
    size_t pos = 0, lens[6] = {0};
    int count = 0;
    while (pos < n) {
        assert_true(pos + 8 <= n);
        uint32_t l = d[pos] | d[pos + 1] << 8 | d[pos + 2] << 16 | (uint32_t)d[pos + 3] << 24;
        uint32_t c = d[pos + 4] | d[pos + 5] << 8 | d[pos + 6] << 16 | (uint32_t)d[pos + 7] << 24;
        assert_true(pos + 8 + l <= n);
        assert_int_equal(c, crc32(crc32(0, NULL, 0), d + pos + 8, l));
        lens[count++] = l;
        pos += 8 + l;
    }
    free(d);
    assert_int_equal(count, 6);
    assert_int_equal(lens[0], 100);
    assert_int_equal(lens[3], big_len);
    assert_int_equal(lens[5], 40);

    /* read back in order */
    lr_spool_entry out[10];
    lr_spool_read_result r = lr_spool_read(sp, out, 10, 1 << 30);
    assert_int_equal(r.count, 6);
    char want[1024];
    for (int i = 0; i < 3; i++) {
        size_t wl = make_entry(want, sizeof want, i, 100);
        assert_int_equal(out[i].len, wl);
        assert_memory_equal(out[i].data, want, wl);
    }
    assert_int_equal(out[3].len, big_len);
    assert_memory_equal(out[3].data, big, big_len);
    size_t wl = make_entry(want, sizeof want, 4, 40);
    assert_memory_equal(out[5].data, want, wl);
    lr_spool_stats st;
    lr_spool_get_stats(sp, &st);
    assert_int_equal(st.unread_entries, 0);
    assert_int_equal(st.unacked_entries, 6);
    free(big);
    lr_spool_close(sp);
}

static void test_batch_limits(void **state)
{
    (void)state;
    char dir[512];
    new_dir(dir, sizeof dir);
    lr_spool *sp = open_spool(dir, 1 << 24, 0, NULL);
    append_entries(sp, 0, 10, 92); /* 100-byte frames */
    lr_spool_entry out[10];
    lr_spool_read_result r = lr_spool_read(sp, out, 4, 1 << 20);
    assert_int_equal(r.count, 4);
    r = lr_spool_read(sp, out, 10, 250); /* two frames fit */
    assert_int_equal(r.count, 2);
    assert_int_equal(r.bytes, 200);
    r = lr_spool_read(sp, out, 10, 10); /* less than one frame: still one */
    assert_int_equal(r.count, 1);
    char want[128];
    size_t n = make_entry(want, sizeof want, 6, 92);
    assert_memory_equal(out[0].data, want, n);
    lr_spool_close(sp);
}

/* Cut the file at every byte position of the last entry: the earlier
 * entries survive, the partial one is cut away and counted as lost. */
static void test_recovery_after_truncation_everywhere(void **state)
{
    (void)state;
    char src[512], seg[600];
    new_dir(src, sizeof src);
    lr_spool *sp = open_spool(src, 1 << 24, 0, NULL);
    append_entries(sp, 0, 5, 60);
    lr_spool_close(sp);
    snprintf(seg, sizeof seg, "%s/00000001.seg", src);
    size_t total;
    char *bytes = read_file(seg, &total);
    size_t last_start = total - (8 + 60);
    int *all = range(0, 5);
    for (size_t cut = last_start; cut <= total; cut++) {
        char dir[512], path[600];
        new_dir(dir, sizeof dir);
        mkdir(dir, 0700);
        snprintf(path, sizeof path, "%s/00000001.seg", dir);
        write_file(path, bytes, cut);
        lr_spool_recovery rec;
        lr_spool *s2 = open_spool(dir, 1 << 24, 0, &rec);
        bool whole = cut == total;
        assert_int_equal(rec.entries, whole ? 5 : 4);
        assert_int_equal(rec.lost_bytes, cut - last_start - (whole ? 8 + 60 : 0));
        assert_int_equal(file_size(path), whole ? (long)total : (long)last_start);
        assert_int_equal(read_all(s2, all, 5, 60, true), whole ? 5 : 4);
        lr_spool_close(s2);
        /* everything was delivered: nothing is left, and the cut is not reported again */
        s2 = open_spool(dir, 1 << 24, 0, &rec);
        assert_int_equal(rec.entries, 0);
        assert_int_equal(rec.lost_bytes, 0);
        lr_spool_close(s2);
        assert_int_equal(count_segments(dir), 0);
    }
    free(all);
    free(bytes);
}

static void test_truncation_warning_names_file_and_bytes(void **state)
{
    (void)state;
    char dir[512], seg[600];
    new_dir(dir, sizeof dir);
    lr_spool *sp = open_spool(dir, 1 << 24, 0, NULL);
    append_entries(sp, 0, 3, 50);
    lr_spool_close(sp);
    snprintf(seg, sizeof seg, "%s/00000001.seg", dir);
    long size = file_size(seg);
    assert_int_equal(truncate(seg, size - 20), 0); /* 38 of the last 58 bytes remain */
    lr_spool_recovery rec;
    char *log = capture_stderr(open_default, dir, &rec, &sp);
    assert_int_equal(rec.entries, 2);
    assert_int_equal(rec.lost_bytes, 38);
    char want[700];
    snprintf(want, sizeof want, "%s: entry cut short at offset %ld; truncated, 38 bytes lost", seg,
             size - 58);
    if (!strstr(log, want))
        fail_msg("log lacks \"%s\":\n%s", want, log);
    assert_non_null(strstr(log, "WARN"));
    free(log);
    lr_spool_close(sp);
}

/* A flipped byte in the middle of the first segment ends that segment's
 * valid data; the next segment is intact and still delivered. */
static void test_crc_corruption_in_the_middle(void **state)
{
    (void)state;
    char dir[512], seg1[600], seg2[600];
    new_dir(dir, sizeof dir);
    lr_spool *sp = open_spool(dir, 1 << 24, 1000, NULL);
    append_entries(sp, 0, 10, 92);  /* 10 x 100 bytes: segment 1 full */
    append_entries(sp, 10, 15, 92); /* rotates: segment 2 */
    lr_spool_close(sp);
    snprintf(seg1, sizeof seg1, "%s/00000001.seg", dir);
    snprintf(seg2, sizeof seg2, "%s/00000002.seg", dir);
    assert_int_equal(file_size(seg1), 1000);
    assert_int_equal(file_size(seg2), 500);
    /* entry 4's payload, one byte */
    int fd = open(seg1, O_RDWR);
    char c;
    assert_int_equal(pread(fd, &c, 1, 4 * 100 + 8 + 30), 1);
    c ^= 0x20;
    assert_int_equal(pwrite(fd, &c, 1, 4 * 100 + 8 + 30), 1);
    close(fd);
    lr_spool_recovery rec;
    char *log = capture_stderr(open_default, dir, &rec, &sp);
    assert_non_null(strstr(log, "00000001.seg: CRC mismatch at offset 400; truncated, 600 bytes lost"));
    free(log);
    assert_int_equal(rec.entries, 4 + 5);
    assert_int_equal(rec.lost_bytes, 600);
    int expected[] = {0, 1, 2, 3, 10, 11, 12, 13, 14};
    assert_int_equal(read_all(sp, expected, 9, 92, true), 9);
    lr_spool_close(sp);

    /* a damaged length field behaves the same */
    new_dir(dir, sizeof dir);
    sp = open_spool(dir, 1 << 24, 0, NULL);
    append_entries(sp, 0, 6, 92);
    lr_spool_close(sp);
    snprintf(seg1, sizeof seg1, "%s/00000001.seg", dir);
    fd = open(seg1, O_RDWR);
    unsigned char huge[4] = {0xff, 0xff, 0xff, 0x7f};
    assert_int_equal(pwrite(fd, huge, 4, 200), 4);
    close(fd);
    sp = open_spool(dir, 1 << 24, 0, &rec);
    assert_int_equal(rec.entries, 2);
    assert_int_equal(rec.lost_bytes, 400);
    lr_spool_close(sp);
}

/* A full spool refuses appends (nothing is dropped: the caller keeps the
 * entry) until delivered segments are deleted. */
static void test_full_then_room_again(void **state)
{
    (void)state;
    char dir[512], buf[128], err[256];
    new_dir(dir, sizeof dir);
    lr_spool *sp = open_spool(dir, 4096, 1024, NULL);
    int appended = 0, rc;
    for (;;) {
        size_t n = make_entry(buf, sizeof buf, appended, 92);
        rc = lr_spool_append(sp, buf, n, err, sizeof err);
        if (rc != 0)
            break;
        appended++;
    }
    assert_int_equal(rc, LR_SPOOL_FULL);
    assert_int_equal(appended, 40); /* 4096 / 100 */
    assert_int_equal(lr_spool_commit(sp, err, sizeof err), 0);
    lr_spool_stats st;
    lr_spool_get_stats(sp, &st);
    assert_true(st.disk_bytes <= 4096);
    assert_true(st.disk_bytes + 100 > 4096);
    /* still full: nothing was delivered */
    size_t n = make_entry(buf, sizeof buf, appended, 92);
    assert_int_equal(lr_spool_append(sp, buf, n, err, sizeof err), LR_SPOOL_FULL);
    /* deliver the first 15 entries: segment 1 (10 entries) can go */
    lr_spool_entry out[15];
    lr_spool_read_result r = lr_spool_read(sp, out, 15, 1 << 20);
    assert_int_equal(r.count, 15);
    for (size_t i = 0; i < r.count; i++)
        lr_spool_ack(sp, out[i].id);
    assert_true(lr_spool_checkpoint(sp));
    lr_spool_get_stats(sp, &st);
    assert_int_equal(st.disk_bytes, 3000);
    assert_int_equal(st.unacked_entries, 25);
    append_entries(sp, appended, appended + 10, 92);
    int *rest = range(15, appended + 10);
    assert_int_equal(read_all(sp, rest, appended + 10 - 15, 92, true), appended + 10 - 15);
    free(rest);
    lr_spool_close(sp);
}

/* Only the contiguous delivered prefix is remembered: an entry delivered out
 * of order comes again after a restart (a duplicate), nothing is lost. */
static void test_ack_survives_reopen(void **state)
{
    (void)state;
    char dir[512];
    new_dir(dir, sizeof dir);
    lr_spool *sp = open_spool(dir, 1 << 24, 0, NULL);
    append_entries(sp, 0, 10, 30);
    lr_spool_entry out[10];
    lr_spool_read_result r = lr_spool_read(sp, out, 10, 1 << 20);
    assert_int_equal(r.count, 10);
    for (int i = 0; i < 4; i++)
        lr_spool_ack(sp, out[i].id);
    lr_spool_ack(sp, out[5].id);
    lr_spool_ack(sp, out[5].id); /* twice: harmless */
    lr_spool_stats st;
    lr_spool_get_stats(sp, &st);
    assert_int_equal(st.unacked_entries, 5);
    lr_spool_checkpoint(sp);
    lr_spool_close(sp);

    lr_spool_recovery rec;
    sp = open_spool(dir, 1 << 24, 0, &rec);
    assert_int_equal(rec.entries, 6);
    int *rest = range(4, 10);
    assert_int_equal(read_all(sp, rest, 6, 30, false), 6);
    free(rest);
    lr_spool_close(sp); /* nothing acknowledged this time */

    sp = open_spool(dir, 1 << 24, 0, &rec);
    assert_int_equal(rec.entries, 6);
    append_entries(sp, 10, 12, 30); /* new entries come after the old ones */
    rest = range(4, 12);
    assert_int_equal(read_all(sp, rest, 8, 30, true), 8);
    free(rest);
    lr_spool_close(sp);
    sp = open_spool(dir, 1 << 24, 0, &rec);
    assert_int_equal(rec.entries, 0);
    lr_spool_close(sp);
}

static void test_segments_deleted_once_delivered(void **state)
{
    (void)state;
    char dir[512];
    new_dir(dir, sizeof dir);
    lr_spool *sp = open_spool(dir, 1 << 24, 1000, NULL);
    append_entries(sp, 0, 55, 92); /* 5 full segments and a sixth */
    assert_int_equal(count_segments(dir), 6);
    int *all = range(0, 55);
    lr_spool_entry out[20];
    lr_spool_read_result r = lr_spool_read(sp, out, 20, 1 << 20);
    assert_int_equal(r.count, 20);
    /* acknowledging out of order frees nothing until the prefix is complete */
    for (size_t i = 10; i < 20; i++)
        lr_spool_ack(sp, out[i].id);
    assert_false(lr_spool_checkpoint(sp));
    assert_int_equal(count_segments(dir), 6);
    for (size_t i = 0; i < 10; i++)
        lr_spool_ack(sp, out[i].id);
    assert_true(lr_spool_checkpoint(sp));
    assert_int_equal(count_segments(dir), 4);
    assert_int_equal(read_all(sp, all + 20, 35, 92, true), 35);
    lr_spool_checkpoint(sp);
    assert_int_equal(count_segments(dir), 1); /* the one still being written */
    lr_spool_close(sp);
    assert_int_equal(count_segments(dir), 0);
    free(all);
}

static void test_one_process_per_spool(void **state)
{
    (void)state;
    char dir[512], err[512] = "";
    new_dir(dir, sizeof dir);
    lr_spool *sp = open_spool(dir, 1 << 24, 0, NULL);
    /* flock is per open file description: a second open conflicts like a second process would */
    lr_spool_options o = {.dir = dir, .max_bytes = 1 << 24, .name = "test"};
    assert_null(lr_spool_open(&o, NULL, err, sizeof err));
    assert_non_null(strstr(err, "in use by another process"));
    lr_spool_close(sp);
    sp = lr_spool_open(&o, NULL, err, sizeof err);
    assert_non_null(sp);
    lr_spool_close(sp);
}

/* Damage that appears while running (found when reading) loses the damaged
 * entries only; writing continues in a new segment. */
static void test_damage_found_while_reading(void **state)
{
    (void)state;
    char dir[512], seg[600];
    new_dir(dir, sizeof dir);
    lr_spool *sp = open_spool(dir, 1 << 24, 0, NULL);
    append_entries(sp, 0, 5, 92);
    snprintf(seg, sizeof seg, "%s/00000001.seg", dir);
    int fd = open(seg, O_RDWR);
    char c = 'X';
    assert_int_equal(pwrite(fd, &c, 1, 3 * 100 + 20), 1);
    close(fd);
    lr_spool_entry out[10];
    lr_spool_read_result r = lr_spool_read(sp, out, 10, 1 << 20);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.lost_entries, 2);
    assert_int_equal(r.lost_bytes, 200);
    for (size_t i = 0; i < r.count; i++)
        lr_spool_ack(sp, out[i].id);
    append_entries(sp, 5, 7, 92);
    int expected[] = {5, 6};
    assert_int_equal(read_all(sp, expected, 2, 92, true), 2);
    lr_spool_stats st;
    lr_spool_get_stats(sp, &st);
    assert_int_equal(st.unacked_entries, 0);
    lr_spool_checkpoint(sp);
    assert_int_equal(file_size(seg), -1); /* the damaged segment is gone */
    lr_spool_close(sp);
}

/* ---- event codec --------------------------------------------------------- */

static lr_record *sample_record(void)
{
    const char raw[] = "GET /a?b=1 \"quoted\"\ttab";
    lr_record *rec = lr_record_new(raw, sizeof raw - 1, 0);
    lr_member *inner = lr_record_members(rec, 2);
    inner[0].key = "ip";
    inner[0].key_len = 2;
    inner[0].value = lr_value_string("10.0.0.1", 8);
    inner[1].key = "port";
    inner[1].key_len = 4;
    inner[1].value = lr_value_int(443);
    lr_member *m = lr_record_members(rec, 4);
    m[0].key = "message";
    m[0].key_len = 7;
    m[0].value = lr_value_string(rec->ev.raw, rec->ev.raw_len);
    m[1].key = "client";
    m[1].key_len = 6;
    m[1].value.kind = LR_VAL_OBJECT;
    m[1].value.len = 2;
    m[1].value.u.members = inner;
    m[2].key = "ratio";
    m[2].key_len = 5;
    m[2].value = lr_value_float(0.25);
    m[3].key = "ok";
    m[3].key_len = 2;
    m[3].value = lr_value_bool(true);
    lr_record_set_root(rec, m, 4);
    lr_record_encode_json(rec);
    lr_record_set_source(rec, "cdn-logs");
    lr_record_set_key(rec, "k\0y", 3);
    rec->ev.partition = 7;
    rec->ev.offset = 123456789012LL;
    rec->ev.timestamp_ms = 1600000000123LL;
    rec->ev.format = "cdn_access";
    return rec;
}

static void test_codec_round_trip(void **state)
{
    (void)state;
    lr_record *rec = sample_record();
    lr_buf b;
    lr_buf_init(&b, 0);
    assert_true(lr_spool_encode_event(&b, &rec->ev, 1700000000000LL));
    assert_int_equal(lr_spool_payload_time(b.data, b.len), 1700000000000LL);
    char err[256];
    lr_record *back = lr_spool_decode_event(b.data, b.len, err, sizeof err);
    assert_non_null(back);
    const lr_event *e = &back->ev;
    assert_int_equal(e->json_len, rec->ev.json_len);
    assert_memory_equal(e->json, rec->ev.json, e->json_len);
    assert_int_equal(e->json[e->json_len], '\0');
    assert_int_equal(e->raw_len, rec->ev.raw_len);
    assert_memory_equal(e->raw, rec->ev.raw, e->raw_len);
    assert_string_equal(e->source, "cdn-logs");
    assert_string_equal(e->format, "cdn_access");
    assert_int_equal(e->key_len, 3);
    assert_memory_equal(e->key, "k\0y", 3);
    assert_int_equal(e->partition, 7);
    assert_int_equal(e->offset, 123456789012LL);
    assert_int_equal(e->timestamp_ms, 1600000000123LL);
    assert_false(e->parse_failed);
    /* fields rebuilt from the JSON: what host->event_get sees */
    const lr_value *v = lr_value_get_path(e->fields, "client.port", 11);
    assert_non_null(v);
    assert_int_equal(v->kind, LR_VAL_INT);
    assert_int_equal(v->u.i, 443);
    v = lr_value_get_path(e->fields, "client.ip", 9);
    assert_non_null(v);
    assert_int_equal(v->len, 8);
    assert_memory_equal(v->u.s, "10.0.0.1", 8);
    v = lr_value_get_path(e->fields, "message", 7);
    assert_non_null(v);
    assert_int_equal(v->len, rec->ev.raw_len);
    assert_memory_equal(v->u.s, rec->ev.raw, v->len); /* escapes decoded back */
    v = lr_value_get_path(e->fields, "ratio", 5);
    assert_non_null(v);
    assert_int_equal(v->kind, LR_VAL_FLOAT);
    assert_true(v->u.f == 0.25);
    lr_record_unref(back);

    /* no key, a parse failure, negative partition/offset */
    rec->ev.key = NULL;
    rec->ev.key_len = 0;
    rec->ev.partition = -1;
    rec->ev.offset = -1;
    rec->ev.parse_failed = true;
    assert_true(lr_spool_encode_event(&b, &rec->ev, 5));
    back = lr_spool_decode_event(b.data, b.len, err, sizeof err);
    assert_non_null(back);
    assert_null(back->ev.key);
    assert_int_equal(back->ev.partition, -1);
    assert_int_equal(back->ev.offset, -1);
    assert_true(back->ev.parse_failed);
    lr_record_unref(back);

    /* damaged payloads are refused, not misread */
    assert_null(lr_spool_decode_event(b.data, b.len - 1, err, sizeof err));
    assert_non_null(strstr(err, "lengths add up"));
    b.data[0] = 9;
    assert_null(lr_spool_decode_event(b.data, b.len, err, sizeof err));
    assert_null(lr_spool_decode_event(b.data, 10, err, sizeof err));
    lr_buf_free(&b);
    lr_record_unref(rec);
}

/* An event without JSON (a module that does not ask for it) still spools its fields. */
static void test_codec_encodes_fields_when_no_json(void **state)
{
    (void)state;
    lr_record *rec = sample_record();
    lr_event ev = rec->ev;
    ev.json = NULL;
    ev.json_len = 0;
    lr_buf b;
    lr_buf_init(&b, 0);
    assert_true(lr_spool_encode_event(&b, &ev, 1));
    char err[256];
    lr_record *back = lr_spool_decode_event(b.data, b.len, err, sizeof err);
    assert_non_null(back);
    assert_int_equal(back->ev.json_len, rec->ev.json_len);
    assert_memory_equal(back->ev.json, rec->ev.json, rec->ev.json_len);
    lr_record_unref(back);
    lr_buf_free(&b);
    lr_record_unref(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing_round_trip),
        cmocka_unit_test(test_batch_limits),
        cmocka_unit_test(test_recovery_after_truncation_everywhere),
        cmocka_unit_test(test_truncation_warning_names_file_and_bytes),
        cmocka_unit_test(test_crc_corruption_in_the_middle),
        cmocka_unit_test(test_full_then_room_again),
        cmocka_unit_test(test_ack_survives_reopen),
        cmocka_unit_test(test_segments_deleted_once_delivered),
        cmocka_unit_test(test_one_process_per_spool),
        cmocka_unit_test(test_damage_found_while_reading),
        cmocka_unit_test(test_codec_round_trip),
        cmocka_unit_test(test_codec_encodes_fields_when_no_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
