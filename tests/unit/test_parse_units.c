/*
 * test_parse_units.c: the parsers' building blocks and API contracts that
 * the data-driven tests (test_parse_data.c) do not show: time and number
 * conversion checked against libc over many generated inputs, the JSON
 * reader's zero-copy strings and limits, statistics, format names, split
 * records' independence, and cdn_access's no-allocation-per-field promise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse/json_parse.h"
#include "parse/numparse.h"
#include "parse/parse.h"
#include "util/buf.h"
#include "record/json_encode.h"
#include "parse/timeparse.h"

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* libc's answer: seconds since the epoch of a broken-down UTC time */
static int64_t libc_epoch(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
    return (int64_t)timegm(&tm);
}

static void test_days_from_civil_matches_libc(void **state)
{
    (void)state;
    for (int y = 1900; y <= 2100; y++) {
        for (int m = 1; m <= 12; m++) {
            for (int d = 1; d <= 28; d += 9)
                assert_int_equal(lr_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400,
                                 libc_epoch(y, m, d, 0, 0, 0));
        }
    }
}

static void test_clf_matches_libc(void **state)
{
    (void)state;
    srand(42);
    for (int i = 0; i < 20000; i++) {
        int y = 1971 + rand() % 120, mo = 1 + rand() % 12, d = 1 + rand() % 28, h = rand() % 24,
            mi = rand() % 60, s = rand() % 60, oh = rand() % 15, om = (rand() % 4) * 15, ms = rand() % 1000;
        bool neg = rand() % 2, frac = rand() % 4 == 0;
        char buf[64];
        int n = frac ? snprintf(buf, sizeof buf, "%02d/%s/%04d:%02d:%02d:%02d.%03d %c%02d%02d]", d,
                                months[mo - 1], y, h, mi, s, ms, neg ? '-' : '+', oh, om)
                     : snprintf(buf, sizeof buf, "%02d/%s/%04d:%02d:%02d:%02d %c%02d%02d]", d, months[mo - 1],
                                y, h, mi, s, neg ? '-' : '+', oh, om);
        int64_t got;
        size_t used;
        assert_true(lr_time_parse_clf(buf, (size_t)n, &got, &used));
        assert_int_equal(used, (size_t)n - 1); /* stops before the ']' */
        int64_t off = ((int64_t)oh * 60 + om) * 60 * (neg ? -1 : 1);
        assert_int_equal(got, (libc_epoch(y, mo, d, h, mi, s) - off) * 1000 + (frac ? ms : 0));
    }
}

static void test_clf_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "14/sep/2020:12:44:19 +0000", "14/Sept/2020:12:44:19 +0000",
        "00/Sep/2020:12:44:19 +0000", "31/Sep/2020:12:44:19 +0000",
        "29/Feb/2021:12:44:19 +0000", "14/Sep/2020:24:44:19 +0000",
        "14/Sep/2020:12:60:19 +0000", "14/Sep/2020:12:44:61 +0000",
        "14/Sep/2020:12:44:19 0000",  "14/Sep/2020:12:44:19 +00",
        "14/Sep/2020:12:44:19",       "4/Sep/2020:12:44:19 +0000",
        "14/Sep/2020 12:44:19 +0000", "14/Sep/2020:12:44:19. +0000",
        "14/Sep/2020:12:44:19 +2400", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms;
        size_t used;
        if (lr_time_parse_clf(bad[i], strlen(bad[i]), &ms, &used))
            fail_msg("accepted bad CLF time '%s'", bad[i]);
    }
    int64_t ms;
    size_t used;
    assert_true(lr_time_parse_clf("29/Feb/2020:12:44:19 +0000", 26, &ms, &used));
    assert_true(lr_time_parse_clf("14/Sep/2020:23:59:60 +0000", 26, &ms, &used)); /* leap second */
    assert_int_equal(ms, libc_epoch(2020, 9, 15, 0, 0, 0) * 1000);
}

static void test_ctime_and_iso_match_libc(void **state)
{
    (void)state;
    srand(7);
    for (int i = 0; i < 20000; i++) {
        int y = 1971 + rand() % 120, mo = 1 + rand() % 12, d = 1 + rand() % 28, h = rand() % 24,
            mi = rand() % 60, s = rand() % 60;
        int64_t want = libc_epoch(y, mo, d, h, mi, s) * 1000, got;
        char buf[64];
        /* space-padded day, as ModSecurity writes it; the weekday is not checked */
        int n = snprintf(buf, sizeof buf, "%s %s %2d %02d:%02d:%02d %04d", wdays[rand() % 7], months[mo - 1],
                         d, h, mi, s, y);
        assert_true(lr_time_parse_ctime(buf, (size_t)n, &got));
        assert_int_equal(got, want);
        n = snprintf(buf, sizeof buf, "%s %s %02d %02d:%02d:%02d %04d", wdays[rand() % 7], months[mo - 1], d,
                     h, mi, s, y);
        assert_true(lr_time_parse_ctime(buf, (size_t)n, &got));
        assert_int_equal(got, want);
        int oh = rand() % 14, om = rand() % 60, ms = rand() % 1000;
        n = snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+%02d:%02d", y, mo, d, h, mi, s, ms,
                     oh, om);
        assert_true(lr_time_parse_iso(buf, (size_t)n, &got));
        assert_int_equal(got, want + ms - ((int64_t)oh * 60 + om) * 60000);
    }
    static const char *const bad_ctime[] = {"Mon May  9 12:03:16 22",       "Mon May 9 12:03:16 2022",
                                            "Mon Mai  9 12:03:16 2022",     "Mon May 32 12:03:16 2022",
                                            "Mon May  9 12:03:16 2022 UTC", "2022-05-09T12:03:16Z"};
    static const char *const bad_iso[] = {"2022-05-09",           "2022-13-09T12:03:16Z",
                                          "2022-05-09T12:03:16X", "2022-05-09T12:03:16+2",
                                          "2022/05/09 12:03:16",  "Mon May  9 12:03:16 2022"};
    int64_t ms;
    for (size_t i = 0; i < sizeof bad_ctime / sizeof bad_ctime[0]; i++)
        assert_false(lr_time_parse_ctime(bad_ctime[i], strlen(bad_ctime[i]), &ms));
    for (size_t i = 0; i < sizeof bad_iso / sizeof bad_iso[0]; i++)
        assert_false(lr_time_parse_iso(bad_iso[i], strlen(bad_iso[i]), &ms));
}

static void test_double_matches_strtod(void **state)
{
    (void)state;
    srand(3);
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        int n;
        switch (i % 4) {
        case 0: /* request times as CDNs write them */
            n = snprintf(buf, sizeof buf, "%d.%06d", rand() % 100, rand() % 1000000);
            break;
        case 1: /* long mantissas: beyond the fast path */
            n = snprintf(buf, sizeof buf, "%d%09d.%09d", rand(), rand() % 1000000000, rand() % 1000000000);
            break;
        case 2: /* exponents */
            n = snprintf(buf, sizeof buf, "%d.%de%c%d", rand() % 1000, rand() % 1000, rand() % 2 ? '-' : '+',
                         rand() % 340);
            break;
        default: /* anything printf makes of a random double */
            n = snprintf(buf, sizeof buf, "%.17g",
                         (double)rand() / (double)(rand() + 1) * (rand() % 2 ? 1 : -1));
        }
        double got, want = strtod(buf, NULL);
        assert_true(lr_num_parse_double(buf, (size_t)n, false, &got));
        if (memcmp(&got, &want, sizeof got) != 0)
            fail_msg("'%s' read as %.17g, strtod says %.17g", buf, got, want);
    }
    double d;
    static const char *const bad[] = {"",   "-",    ".5",    "5.",  "1e",  "1e+",
                                      "+1", "0x10", "1.2.3", "nan", "inf", " 1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (lr_num_parse_double(bad[i], strlen(bad[i]), false, &d))
            fail_msg("accepted '%s'", bad[i]);
    }
    assert_true(lr_num_parse_double("007.5", 5, false, &d));
    assert_false(lr_num_parse_double("007.5", 5, true, &d)); /* JSON forbids leading zeros */
}

static void test_int64_limits(void **state)
{
    (void)state;
    int64_t v;
    assert_true(lr_num_parse_int64("9223372036854775807", 19, &v));
    assert_true(v == INT64_MAX);
    assert_true(lr_num_parse_int64("-9223372036854775808", 20, &v));
    assert_true(v == INT64_MIN);
    assert_false(lr_num_parse_int64("9223372036854775808", 19, &v));
    assert_false(lr_num_parse_int64("-9223372036854775809", 20, &v));
    assert_false(lr_num_parse_int64("", 0, &v));
    assert_false(lr_num_parse_int64("-", 1, &v));
    assert_false(lr_num_parse_int64("12a", 3, &v));
}

/* Parse text as JSON into a fresh record whose raw bytes are that text. */
static lr_record *json_record(const char *text, lr_value *out, bool *ok, lr_json_error *err)
{
    lr_record *rec = lr_record_new(text, strlen(text), 0);
    *ok = lr_json_parse(rec, rec->ev.raw, rec->ev.raw_len, out, err);
    return rec;
}

static void test_json_strings_zero_copy_and_duplicates(void **state)
{
    (void)state;
    lr_value v;
    lr_json_error err;
    bool ok;
    lr_record *rec = json_record("{\"h\":{\"Set-Cookie\":\"a=1\",\"Set-Cookie\":\"b=2\"},\"e\":\"x\\\"y\"}",
                                 &v, &ok, &err);
    assert_true(ok);
    assert_int_equal(v.kind, LR_VAL_OBJECT);
    assert_int_equal(v.len, 2);
    const lr_value *h = &v.u.members[0].value;
    assert_int_equal(h->len, 2);
    assert_memory_equal(h->u.members[0].value.u.s, "a=1", 3);
    assert_memory_equal(h->u.members[1].value.u.s, "b=2", 3);
    /* unescaped strings are not copied: they point into the record's raw bytes */
    const char *raw = rec->ev.raw, *end = raw + rec->ev.raw_len;
    assert_true(h->u.members[0].value.u.s > raw && h->u.members[0].value.u.s < end);
    assert_true(h->u.members[1].key > raw && h->u.members[1].key < end);
    /* an escaped one is decoded elsewhere */
    const lr_value *e = &v.u.members[1].value;
    assert_int_equal(e->len, 3);
    assert_memory_equal(e->u.s, "x\"y", 3);
    assert_false(e->u.s > raw && e->u.s < end);
    lr_record_unref(rec);

    rec = json_record("\"\\ud83d\\ude00\\u00e9\\u0000\"", &v, &ok, &err);
    assert_true(ok);
    assert_int_equal(v.len, 4 + 2 + 1);
    assert_memory_equal(v.u.s, "\xf0\x9f\x98\x80\xc3\xa9\0", 7);
    lr_record_unref(rec);
}

static void test_json_depth_limit(void **state)
{
    (void)state;
    for (int depth = LR_JSON_MAX_DEPTH; depth <= LR_JSON_MAX_DEPTH + 1; depth++) {
        char *text = malloc((size_t)depth * 2 + 1);
        assert_non_null(text);
        memset(text, '[', (size_t)depth);
        memset(text + depth, ']', (size_t)depth);
        text[depth * 2] = '\0';
        lr_value v;
        lr_json_error err;
        bool ok;
        lr_record *rec = json_record(text, &v, &ok, &err);
        if (depth <= LR_JSON_MAX_DEPTH) {
            assert_true(ok);
        } else {
            assert_false(ok);
            assert_string_equal(err.what, "nesting too deep");
            assert_int_equal(err.offset, LR_JSON_MAX_DEPTH);
        }
        lr_record_unref(rec);
        free(text);
    }
}

static void test_stats_reasons(void **state)
{
    (void)state;
    lr_parse_stats st;
    memset(&st, 0, sizeof st);
    char same[] = "bad bytes"; /* equal text at another address counts as the same reason */
    lr_parse_stats_add_failure(&st, "bad bytes");
    lr_parse_stats_add_failure(&st, same);
    lr_parse_stats_add_failure(&st, "bad timestamp");
    assert_int_equal(st.failed, 3);
    assert_string_equal(st.reason[0], "bad bytes");
    assert_int_equal(st.reason_count[0], 2);
    assert_int_equal(st.reason_count[1], 1);
    /* more distinct reasons than slots: the last slot gathers the rest */
    static char names[40][16];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "reason %d", i);
        lr_parse_stats_add_failure(&st, names[i]);
    }
    assert_int_equal(st.failed, 43);
    uint64_t sum = 0;
    for (int i = 0; i < LR_PARSE_REASON_MAX; i++) {
        assert_non_null(st.reason[i]);
        sum += st.reason_count[i];
    }
    assert_int_equal(sum, 43);
    assert_string_equal(st.reason[LR_PARSE_REASON_MAX - 1], "other reasons");
}

static void test_format_names(void **state)
{
    (void)state;
    for (int f = 0; f < LR_FORMAT_COUNT; f++) {
        assert_int_equal(lr_format_from_name(lr_format_name((lr_format)f)), f);
        assert_non_null(strstr(lr_format_names(), lr_format_name((lr_format)f)));
    }
    assert_int_equal(lr_format_from_name("cdn"), -1);
    assert_int_equal(lr_format_from_name(""), -1);
    assert_int_equal(lr_format_from_name(NULL), -1);
}

typedef struct recs {
    lr_record *v[8];
    size_t n;
} recs;

static void keep(lr_record *rec, void *arg)
{
    recs *r = arg;
    assert_true(r->n < 8);
    r->v[r->n++] = rec;
}

static const char waf_array[] = "{\"transaction\":{\"time_stamp\":\"Fri Jan 14 08:15:02 2022\",\"messages\":["
                                "{\"message\":\"a\",\"details\":{\"ruleId\":\"942100\"}},"
                                "{\"message\":\"b\",\"details\":{\"ruleId\":\"949110\"}},"
                                "{\"message\":\"c\",\"details\":{\"ruleId\":\"980130\"}}]}}";

static void test_split_records_are_independent(void **state)
{
    (void)state;
    static const char *const rule[] = {"942100", "949110", "980130"};
    lr_parse_stats st;
    memset(&st, 0, sizeof st);
    recs r = {0};
    char *msg = strdup(waf_array);
    assert_int_equal(lr_parse_message(LR_FORMAT_WAF_JSON, NULL, msg, strlen(msg), &st, keep, &r), 3);
    /* the caller's buffer may go away: records own their bytes */
    memset(msg, 'x', strlen(msg));
    free(msg);
    assert_int_equal(r.n, 3);
    assert_int_equal(st.messages, 1);
    assert_int_equal(st.records, 3);
    assert_int_equal(st.parsed, 3);
    /* free out of order: each record lives on its own */
    lr_record_unref(r.v[1]);
    for (size_t i = 0; i < 3; i += 2) {
        const lr_value *v = lr_value_get_path(r.v[i]->ev.fields, "transaction.messages.details.ruleId", 35);
        assert_non_null(v);
        assert_int_equal(v->len, 6);
        assert_memory_equal(v->u.s, rule[i], 6);
        assert_int_equal(r.v[i]->ev.timestamp_ms, libc_epoch(2022, 1, 14, 8, 15, 2) * 1000);
        assert_string_equal(r.v[i]->ev.format, "waf_json");
        lr_record_encode_json(r.v[i]);
        lr_record_unref(r.v[i]);
    }

    /* without splitting: one record, the path finds the first message */
    lr_parse_options keep_array = {.split_messages = false};
    r.n = 0;
    assert_int_equal(
        lr_parse_message(LR_FORMAT_WAF_JSON, &keep_array, waf_array, strlen(waf_array), &st, keep, &r), 1);
    const lr_value *v = lr_value_get_path(r.v[0]->ev.fields, "transaction.messages.details.ruleId", 35);
    assert_non_null(v);
    assert_memory_equal(v->u.s, rule[0], 6);
    const lr_value *msgs = lr_value_get_path(r.v[0]->ev.fields, "transaction.messages", 20);
    assert_int_equal(msgs->kind, LR_VAL_ARRAY);
    assert_int_equal(msgs->len, 3);
    lr_record_unref(r.v[0]);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_cdn_no_allocation_per_field(void **state)
{
    (void)state;
    static const char line[] =
        "203.0.113.9 - - [14/Sep/2020:12:44:19 +0200] \"GET /static/app.js HTTP/1.1\" 200 621 "
        "\"Mozilla/5.0 (X11; Linux x86_64)\" hit \"application/javascript\" \"L1\" 0.000193 \"83\" "
        "\"https://www.example.com/\" https ES";
    lr_parse_stats st;
    memset(&st, 0, sizeof st);
    recs r = {0};
    lr_parse_message(LR_FORMAT_CDN_ACCESS, NULL, line, sizeof line - 1, &st, keep, &r);
    lr_record *rec = r.v[0];
    assert_false(rec->ev.parse_failed);
    assert_int_equal(rec->ev.timestamp_ms, (libc_epoch(2020, 9, 14, 12, 44, 19) - 7200) * 1000);
    /* every string field points into the record's copy of the line */
    const char *raw = rec->ev.raw, *end = raw + rec->ev.raw_len;
    const lr_value *root = rec->ev.fields;
    assert_int_equal(root->len, 16);
    for (uint32_t i = 1; i < root->len; i++) {
        const lr_value *v = &root->u.members[i].value;
        if (v->kind == LR_VAL_STRING && !(v->u.s >= raw && v->u.s + v->len <= end))
            fail_msg("field %s was copied", root->u.members[i].key);
    }
    /* fields and JSON fit the record's first block: no malloc beyond the record's own */
    lr_record_encode_json(rec);
    assert_null(rec->arena.chunks);
    lr_record_unref(rec);

    /* a line that fails after its time was read keeps the ingestion time */
    static const char bad[] = "203.0.113.9 - - [14/Sep/2020:12:44:19 +0200] \"GET / HTTP/1.1\" OK 621";
    r.n = 0;
    int64_t t0 = now_ms();
    lr_parse_message(LR_FORMAT_CDN_ACCESS, NULL, bad, sizeof bad - 1, &st, keep, &r);
    int64_t t1 = now_ms();
    assert_true(r.v[0]->ev.parse_failed);
    assert_true(r.v[0]->ev.timestamp_ms >= t0 && r.v[0]->ev.timestamp_ms <= t1);
    lr_record_unref(r.v[0]);
}

/* A message without a time of its own takes the time it came with (Kafka's
 * message timestamp); a parsed access line keeps its log time. */
static void test_fallback_time(void **state)
{
    (void)state;
    const int64_t kafka_ms = INT64_C(1600000000123);
    static const char good[] = "203.0.113.9 - - [14/Sep/2020:12:44:19 +0000] \"GET / HTTP/1.1\" 200 1 \"ua\" "
                               "hit \"t\" \"L1\" 0.1 \"83\" "
                               "\"-\" https";
    static const char bad[] = "203.0.113.9 - - [14/Sep/2020:12:44:19 +0000] \"GET / HTTP/1.1\" OK 621";
    static const char waf_no_time[] = "{\"transaction\":{\"client_ip\":\"203.0.113.9\"}}";
    struct {
        lr_format fmt;
        const char *msg;
        int64_t want;
        bool failed;
    } cases[] = {
        {LR_FORMAT_CDN_ACCESS, good, libc_epoch(2020, 9, 14, 12, 44, 19) * 1000, false},
        {LR_FORMAT_CDN_ACCESS, bad, kafka_ms, true},
        {LR_FORMAT_RAW, good, kafka_ms, false},
        {LR_FORMAT_JSON, "{\"a\":1}", kafka_ms, false},
        {LR_FORMAT_JSON, "not json", kafka_ms, true},
        {LR_FORMAT_WAF_JSON, waf_no_time, kafka_ms, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lr_parse_stats st;
        memset(&st, 0, sizeof st);
        recs r = {0};
        lr_parse_message_at(cases[i].fmt, NULL, cases[i].msg, strlen(cases[i].msg), kafka_ms, &st, keep, &r);
        assert_int_equal(r.n, 1);
        assert_int_equal(r.v[0]->ev.parse_failed, cases[i].failed);
        assert_int_equal(r.v[0]->ev.timestamp_ms, cases[i].want);
        /* and @timestamp says the same */
        char ts[25];
        lr_format_rfc3339_ms(cases[i].want, ts);
        const lr_value *t = lr_value_get_key(r.v[0]->ev.fields, "@timestamp", 10);
        assert_non_null(t);
        assert_int_equal(t->len, 24);
        assert_memory_equal(t->u.s, ts, 24);
        lr_record_unref(r.v[0]);
    }
}

/* cdn_access writes its JSON into the record's arena while it fits and
 * moves it to a scratch buffer on an escape or a long line: every way
 * through gives the generic encoding of the fields, and the @timestamp
 * member stays readable. */
static void test_cdn_json_paths(void **state)
{
    (void)state;
    static const char *const kinds[] = {"plain", "long url", "escapes", "escape late", "controls", "huge"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        lr_buf field, line;
        lr_buf_init(&field, 0);
        lr_buf_init(&line, 0);
        size_t n = k == 5 ? 300000 : 3000;
        for (size_t i = 0; i < n; i++) {
            switch (k) {
            case 0:
                lr_buf_append_char(&field, (char)('a' + i % 26));
                break;
            case 1:
                lr_buf_append(&field, i % 50 ? "a" : "/", 1);
                break;
            case 2:
                lr_buf_append(&field, i % 3 ? "x" : "\\\"", i % 3 ? 1 : 2);
                break;
            case 3:
                lr_buf_append(&field, i + 1 == n ? "\\\\" : "y", i + 1 == n ? 2 : 1);
                break;
            case 4:
                lr_buf_append_char(&field, (char)(i % 32 ? 'z' : 1 + (int)(i / 32 % 31)));
                break;
            default:
                lr_buf_append(&field, "\xe2\x80\xa8", 3);
                break;
            }
        }
        lr_buf_printf(
            &line,
            "203.0.113.9 - - [14/Sep/2020:12:44:19 +0000] \"GET /%.*s HTTP/1.1\" 200 1 \"%.*s\" hit "
            "\"t\" \"L1\" 0.5 \"83\" \"%.*s\" https ES",
            (int)(field.len > 100 ? 100 : field.len), field.data, (int)field.len, field.data, (int)field.len,
            field.data);
        lr_parse_stats st;
        memset(&st, 0, sizeof st);
        recs r = {0};
        lr_parse_message(LR_FORMAT_CDN_ACCESS, NULL, line.data, line.len, &st, keep, &r);
        assert_int_equal(r.n, 1);
        lr_record *rec = r.v[0];
        if (rec->ev.parse_failed)
            fail_msg("%s: did not parse", kinds[k]);
        lr_buf generic;
        lr_buf_init(&generic, 0);
        assert_true(lr_json_encode_value(&generic, rec->ev.fields));
        if (generic.len != rec->ev.json_len || memcmp(generic.data, rec->ev.json, generic.len) != 0)
            fail_msg("%s: the record's JSON is not its fields' encoding", kinds[k]);
        assert_int_equal(strlen(rec->ev.json), rec->ev.json_len);
        const lr_value *ts = lr_value_get_key(rec->ev.fields, "@timestamp", 10);
        assert_non_null(ts);
        assert_memory_equal(ts->u.s, "2020-09-14T12:44:19.000Z", 24);
        lr_buf_free(&generic);
        lr_buf_free(&field);
        lr_buf_free(&line);
        lr_record_unref(rec);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_from_civil_matches_libc),
        cmocka_unit_test(test_clf_matches_libc),
        cmocka_unit_test(test_clf_rejects),
        cmocka_unit_test(test_ctime_and_iso_match_libc),
        cmocka_unit_test(test_double_matches_strtod),
        cmocka_unit_test(test_int64_limits),
        cmocka_unit_test(test_json_strings_zero_copy_and_duplicates),
        cmocka_unit_test(test_json_depth_limit),
        cmocka_unit_test(test_stats_reasons),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_split_records_are_independent),
        cmocka_unit_test(test_cdn_no_allocation_per_field),
        cmocka_unit_test(test_fallback_time),
        cmocka_unit_test(test_cdn_json_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
