/*
 * parse.c: format table, the lr_parse_message dispatcher, parse statistics,
 * and the two small formats: `raw` (the line as `message`) and `json` (any
 * JSON object, its members at the top level).
 *
 * Threading: stateless; stats belong to the caller.
 */
#include "parse/parse.h"

#include <stdio.h>
#include <string.h>

#include "parse/json_parse.h"
#include "parse/parse_internal.h"
#include "parse/timeparse.h"

static const char *const format_names[LR_FORMAT_COUNT] = {
    [LR_FORMAT_RAW] = "raw",
    [LR_FORMAT_JSON] = "json",
    [LR_FORMAT_CDN_ACCESS] = "cdn_access",
    [LR_FORMAT_WAF_JSON] = "waf_json",
};

int lr_format_from_name(const char *name)
{
    for (int f = 0; f < LR_FORMAT_COUNT; f++) {
        if (name && strcmp(name, format_names[f]) == 0)
            return f;
    }
    return -1;
}

const char *lr_format_name(lr_format f)
{
    return (unsigned)f < LR_FORMAT_COUNT ? format_names[f] : "unknown";
}

const char *lr_format_names(void)
{
    return "cdn_access, waf_json, json, raw";
}

/* ------------------------------------------------------------------------ */
/* Statistics                                                                */
/* ------------------------------------------------------------------------ */
#define LR_PARSE_REASON_OTHER "other reasons"

void lr_parse_stats_add_failure(lr_parse_stats *st, const char *reason)
{
    st->failed++;
    size_t i;
    for (i = 0; i < LR_PARSE_REASON_MAX && st->reason[i]; i++) {
        /* reasons are static strings: pointer equality is the common case */
        if (st->reason[i] == reason || strcmp(st->reason[i], reason) == 0) {
            st->reason_count[i]++;
            return;
        }
    }
    /* the last slot collects whatever does not fit */
    if (i >= LR_PARSE_REASON_MAX - 1) {
        i = LR_PARSE_REASON_MAX - 1;
        st->reason[i] = LR_PARSE_REASON_OTHER;
    } else {
        st->reason[i] = reason;
    }
    st->reason_count[i]++;
}

void lr_parse_fail(lr_record *rec, lr_format fmt, lr_parse_stats *st, const char *reason, const char *detail)
{
    lr_record_set_parse_error(rec, lr_format_name(fmt), detail ? detail : reason);
    lr_parse_stats_add_failure(st, reason);
}

/* ------------------------------------------------------------------------ */
/* Record building helpers                                                  */
/* ------------------------------------------------------------------------ */
/* Consecutive records nearly always share their second: keep the last
 * formatted one per thread and only rewrite the milliseconds. */
static _Thread_local struct {
    int64_t sec;
    char text[25];
} ts_cache = {.sec = INT64_MIN};

void lr_parse_format_timestamp(int64_t ts_ms, char out[25])
{
    /* 1970-01-01 .. 9999-12-31: the formatter's normal range, where only the
     * last three digits depend on the milliseconds */
    if (ts_ms < 0 || ts_ms > INT64_C(253402300799999)) {
        lr_format_rfc3339_ms(ts_ms, out);
        return;
    }
    int64_t sec = ts_ms / 1000;
    int ms = (int)(ts_ms % 1000);
    if (sec != ts_cache.sec) {
        lr_format_rfc3339_ms(sec * 1000, ts_cache.text);
        ts_cache.sec = sec;
    }
    memcpy(out, ts_cache.text, 25);
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
}

lr_member lr_parse_timestamp_member(lr_record *rec, int64_t ts_ms)
{
    char *ts = lr_record_alloc(rec, 25);
    lr_parse_format_timestamp(ts_ms, ts);
    lr_member m = {.key = "@timestamp", .key_len = 10, .value = lr_value_string(ts, 24)};
    return m;
}

void lr_parse_set_object_root(lr_record *rec, const lr_value *obj, int64_t ts_ms, bool drop_ts)
{
    lr_member *m = lr_record_members(rec, (size_t)obj->len + 1);
    size_t n = 0;
    m[n++] = lr_parse_timestamp_member(rec, ts_ms);
    for (uint32_t i = 0; i < obj->len; i++) {
        lr_member mm = obj->u.members[i];
        if (mm.key_len == 10 && memcmp(mm.key, "@timestamp", 10) == 0) {
            if (drop_ts) {
                drop_ts = false; /* only the one that gave the time */
                continue;
            }
            /* keep the value without a second @timestamp (as Logstash does) */
            mm.key = "_@timestamp";
            mm.key_len = 11;
        }
        m[n++] = mm;
    }
    rec->ev.timestamp_ms = ts_ms;
    lr_record_set_root(rec, m, n);
}

/* ------------------------------------------------------------------------ */
/* raw, json, cdn_access                                                      */
/* ------------------------------------------------------------------------ */
/* The record time when the message itself has none: the caller's (Kafka's
 * timestamp), else now. Read only when needed: a parsed access line has its
 * own time and never pays for the clock. */
static int64_t time_or_now(int64_t ts_ms)
{
    return ts_ms > 0 ? ts_ms : lr_record_wall_ms();
}

static void parse_raw(lr_record *rec, lr_parse_stats *st)
{
    lr_member *m = lr_record_members(rec, 2);
    m[0] = lr_parse_timestamp_member(rec, rec->ev.timestamp_ms);
    m[1].key = "message";
    m[1].key_len = 7;
    m[1].value = lr_value_string(rec->ev.raw, rec->ev.raw_len);
    lr_record_set_root(rec, m, 2);
    rec->fields_unique_keys = true;
    st->parsed++;
}

static void parse_json(lr_record *rec, lr_parse_stats *st)
{
    lr_value v;
    lr_json_error err;
    if (!lr_json_parse(rec, rec->ev.raw, rec->ev.raw_len, &v, &err)) {
        char detail[96];
        snprintf(detail, sizeof detail, "invalid JSON: %s at byte %zu", err.what, err.offset);
        lr_parse_fail(rec, LR_FORMAT_JSON, st, "invalid JSON", detail);
        return;
    }
    if (v.kind != LR_VAL_OBJECT) {
        lr_parse_fail(rec, LR_FORMAT_JSON, st, "not a JSON object", NULL);
        return;
    }
    int64_t ts = rec->ev.timestamp_ms;
    const lr_value *t = lr_value_get_key(&v, "@timestamp", 10);
    bool used = t && t->kind == LR_VAL_STRING && lr_time_parse_iso(t->u.s, t->len, &ts);
    lr_parse_set_object_root(rec, &v, ts, used);
    st->parsed++;
}

static void parse_cdn_access(lr_record *rec, lr_parse_stats *st)
{
    const char *reason;
    if (!lr_cdn_access_fill(rec, &reason)) {
        rec->ev.timestamp_ms = time_or_now(rec->ev.timestamp_ms);
        lr_parse_fail(rec, LR_FORMAT_CDN_ACCESS, st, reason, NULL);
        return;
    }
    st->parsed++;
}

size_t lr_parse_message_at(lr_format fmt, const lr_parse_options *opt, const char *msg, size_t len,
                           int64_t fallback_ts_ms, lr_parse_stats *stats, lr_emit_fn emit, void *arg)
{
    static const lr_parse_options defaults = {.split_messages = true};
    if (!opt)
        opt = &defaults;
    stats->messages++;
    if (fmt == LR_FORMAT_WAF_JSON) {
        size_t n = lr_waf_json_parse(opt, msg, len, time_or_now(fallback_ts_ms), stats, emit, arg);
        stats->records += n;
        return n;
    }
    /* cdn_access reads the clock only for a line that fails */
    int64_t ts = fmt == LR_FORMAT_CDN_ACCESS ? fallback_ts_ms : time_or_now(fallback_ts_ms);
    /* an access line's fields and JSON take about its length plus 1 KiB (the
     * members, the keys): sized so that a typical line's record fits a 2 KiB
     * pool block */
    size_t hint = fmt == LR_FORMAT_CDN_ACCESS ? len + 1024 : 0;
    lr_record *rec = lr_record_new_at(msg, len, hint, ts);
    rec->ev.format = lr_format_name(fmt);
    switch (fmt) {
    case LR_FORMAT_CDN_ACCESS:
        parse_cdn_access(rec, stats);
        break;
    case LR_FORMAT_JSON:
        parse_json(rec, stats);
        break;
    case LR_FORMAT_RAW:
    default:
        rec->ev.format = "raw";
        parse_raw(rec, stats);
        break;
    }
    stats->records++;
    emit(rec, arg);
    return 1;
}

size_t lr_parse_message(lr_format fmt, const lr_parse_options *opt, const char *msg, size_t len,
                        lr_parse_stats *stats, lr_emit_fn emit, void *arg)
{
    return lr_parse_message_at(fmt, opt, msg, len, 0, stats, emit, arg);
}
