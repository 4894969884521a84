/*
 * test_parse_data.c: the table-driven parser tests. Each
 * tests/data/parse/<dir>/<case>.in holds messages one per line; the
 * matching <case>.expected holds the JSON of every record they produce, one
 * per line, compared byte for byte. <dir> names the format (cdn_access,
 * waf_json, json, raw; waf_json-nosplit is waf_json with split_messages off).
 *
 * A record's ingestion time cannot be written down in advance: where the
 * expected text has "@timestamp":"<ingest>", the record's time must lie
 * within the test's own run (checked), and is compared as that placeholder.
 *
 * Besides the text, every record is checked for what users rely on: the
 * encoding is valid JSON (read back with jansson), @timestamp is the first
 * member and says the record's timestamp_ms, a failed record carries the raw
 * line as `message` and a `parse_error`, and the statistics add up.
 *
 * LR_PARSE_REGEN=1 rewrites the .expected files from the current output (for
 * review with git diff, never to make a failing test pass unread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse/parse.h"
#include "record/json_encode.h"

#define INGEST "<ingest>"

typedef struct rec_list {
    lr_record **v;
    size_t n, cap;
} rec_list;

static void collect(lr_record *rec, void *arg)
{
    rec_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    l->v[l->n++] = rec;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The record's JSON as the .expected file spells it. */
static char *expected_form(const lr_record *rec, int64_t t0, int64_t t1)
{
    const lr_event *ev = &rec->ev;
    char ts[25];
    lr_format_rfc3339_ms(ev->timestamp_ms, ts);
    /* @timestamp first, and it is the record's time */
    char head[64];
    snprintf(head, sizeof head, "{\"@timestamp\":\"%s\"", ts);
    if (strncmp(ev->json, head, strlen(head)) != 0)
        fail_msg("record does not start with its @timestamp %s: %s", ts, ev->json);
    bool ingest = ev->timestamp_ms >= t0 && ev->timestamp_ms <= t1;
    size_t extra = strlen(INGEST);
    char *out = malloc(ev->json_len + extra + 1);
    assert_non_null(out);
    if (ingest) {
        int k = snprintf(out, extra + 32, "{\"@timestamp\":\"%s\"", INGEST);
        memcpy(out + k, ev->json + strlen(head), ev->json_len - strlen(head) + 1);
    } else {
        memcpy(out, ev->json, ev->json_len + 1);
    }
    return out;
}

static void check_record(const lr_record *rec, lr_format fmt)
{
    const lr_event *ev = &rec->ev;
    assert_string_equal(ev->format, lr_format_name(fmt));
    /* valid JSON, whatever the input bytes */
    json_error_t jerr;
    json_t *j = json_loadb(ev->json, ev->json_len, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (!j)
        fail_msg("encoding is not valid JSON (%s): %s", jerr.text, ev->json);
    json_decref(j);
    /* a parser that writes the JSON while scanning (cdn_access) writes
     * exactly what the generic encoder makes of its fields */
    lr_buf generic;
    lr_buf_init(&generic, 0);
    assert_true(lr_json_encode_value(&generic, ev->fields));
    if (generic.len != ev->json_len || memcmp(generic.data, ev->json, generic.len) != 0)
        fail_msg("the record's JSON differs from its fields' encoding\n  record: %s\n  fields: %.*s",
                 ev->json, (int)generic.len, generic.data);
    lr_buf_free(&generic);
    const lr_value *pe = lr_value_get_key(ev->fields, "parse_error", 11);
    if (ev->parse_failed) {
        assert_non_null(pe);
        const lr_value *msg = lr_value_get_key(ev->fields, "message", 7);
        assert_non_null(msg);
        assert_int_equal(msg->len, ev->raw_len);
        assert_memory_equal(msg->u.s, ev->raw, ev->raw_len);
    } else if (fmt != LR_FORMAT_JSON) {
        assert_null(pe);
    }
}

static void run_case(const char *dir, const char *name, lr_format fmt, const lr_parse_options *opt,
                     bool regen)
{
    char in_path[2048], exp_path[2048];
    snprintf(in_path, sizeof in_path, "%s/%s", dir, name);
    snprintf(exp_path, sizeof exp_path, "%s/%.*s.expected", dir, (int)(strlen(name) - 3), name);
    size_t in_len;
    char *in = slurp(in_path, &in_len);
    assert_non_null(in);

    lr_parse_stats st;
    memset(&st, 0, sizeof st);
    rec_list recs = {0};
    uint64_t lines = 0;
    int64_t t0 = wall_ms();
    for (size_t p = 0; p < in_len;) {
        const char *nl = memchr(in + p, '\n', in_len - p);
        size_t e = nl ? (size_t)(nl - in) : in_len;
        size_t got = lr_parse_message(fmt, opt, in + p, e - p, &st, collect, &recs);
        assert_true(got >= 1);
        lines++;
        p = e + 1;
    }
    int64_t t1 = wall_ms();

    /* statistics add up */
    assert_int_equal(st.messages, lines);
    assert_int_equal(st.records, recs.n);
    assert_int_equal(st.parsed + st.failed, recs.n);
    uint64_t by_reason = 0, failed = 0;
    for (int i = 0; i < LR_PARSE_REASON_MAX && st.reason[i]; i++)
        by_reason += st.reason_count[i];
    assert_int_equal(by_reason, st.failed);

    size_t exp_len = 0;
    char *exp = regen ? NULL : slurp(exp_path, &exp_len);
    if (!regen && !exp)
        fail_msg("missing %s", exp_path);
    FILE *out = regen ? fopen(exp_path, "wb") : NULL;
    size_t ep = 0;
    for (size_t i = 0; i < recs.n; i++) {
        lr_record *rec = recs.v[i];
        lr_record_encode_json(rec);
        check_record(rec, fmt);
        failed += rec->ev.parse_failed;
        char *got = expected_form(rec, t0, t1);
        if (regen) {
            fprintf(out, "%s\n", got);
        } else {
            const char *nl = ep < exp_len ? memchr(exp + ep, '\n', exp_len - ep) : NULL;
            if (!nl)
                fail_msg("%s: record %zu is not in the expected file:\n  got: %s", exp_path, i + 1, got);
            size_t el = (size_t)(nl - (exp + ep));
            if (el != strlen(got) || memcmp(exp + ep, got, el) != 0)
                fail_msg("%s line %zu differs\n  want: %.*s\n  got:  %s", exp_path, i + 1, (int)el, exp + ep,
                         got);
            ep += el + 1;
        }
        free(got);
        lr_record_unref(rec);
    }
    if (!regen && ep != exp_len)
        fail_msg("%s: expects more records than the %zu produced", exp_path, recs.n);
    assert_int_equal(failed, st.failed);
    if (out)
        fclose(out);
    free(recs.v);
    free(exp);
    free(in);
}

static int is_input(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 3 && strcmp(d->d_name + n - 3, ".in") == 0;
}

static void run_dir(const char *sub, lr_format fmt, bool split)
{
    const char *base = getenv("LR_TEST_DATA");
    if (!base)
        fail_msg("LR_TEST_DATA is not set (run through ctest)");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/parse/%s", base, sub);
    lr_parse_options opt = {.split_messages = split};
    bool regen = getenv("LR_PARSE_REGEN") && strcmp(getenv("LR_PARSE_REGEN"), "1") == 0;
    struct dirent **names;
    int n = scandir(dir, &names, is_input, alphasort);
    if (n <= 0)
        fail_msg("no *.in cases in %s", dir);
    for (int i = 0; i < n; i++) {
        run_case(dir, names[i]->d_name, fmt, &opt, regen);
        free(names[i]);
    }
    free(names);
}

static void test_cdn_access(void **state)
{
    (void)state;
    run_dir("cdn_access", LR_FORMAT_CDN_ACCESS, true);
}

static void test_waf_json(void **state)
{
    (void)state;
    run_dir("waf_json", LR_FORMAT_WAF_JSON, true);
}

static void test_waf_json_nosplit(void **state)
{
    (void)state;
    run_dir("waf_json-nosplit", LR_FORMAT_WAF_JSON, false);
}

static void test_json(void **state)
{
    (void)state;
    run_dir("json", LR_FORMAT_JSON, true);
}

static void test_raw(void **state)
{
    (void)state;
    run_dir("raw", LR_FORMAT_RAW, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cdn_access),
        cmocka_unit_test(test_waf_json),
        cmocka_unit_test(test_waf_json_nosplit),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
