/*
 * waf_json.c: ModSecurity v3 JSON audit records ({"transaction": {...}}).
 *
 * transaction.messages is one object in the provider's records (already split
 * per attack) and an array in plain ModSecurity's. With split_messages (the
 * default) an array of N >= 1 messages gives N records, each a full copy of
 * the transaction whose `messages` is that one message, as the provider does;
 * without it the array is kept. @timestamp comes from transaction.time_stamp
 * ("Mon May  9 12:03:16 2022", or ISO 8601); without a usable one the
 * ingestion time stays, and the record is not a failure.
 *
 * Everything else passes through as written: duplicate keys (two Set-Cookie),
 * numbers where strings are usual (http_version: 1.1), `id` or `unique_id`,
 * empty client_ip.
 *
 * Threading: stateless, any thread (the JSON reader has per-thread scratch).
 */
#include <stdio.h>
#include <string.h>

#include "parse/json_parse.h"
#include "parse/parse_internal.h"
#include "parse/timeparse.h"

#define KEY(s) s, sizeof s - 1

/* Parse rec->ev.raw and check it is a WAF record. On failure: the static
 * reason to count, and the record's own (more precise) text in detail. */
static bool load(lr_record *rec, lr_value *root, const char **reason, char *detail, size_t detail_cap)
{
    lr_json_error err;
    if (!lr_json_parse(rec, rec->ev.raw, rec->ev.raw_len, root, &err)) {
        *reason = "invalid JSON";
        snprintf(detail, detail_cap, "invalid JSON: %s at byte %zu", err.what, err.offset);
        return false;
    }
    if (root->kind != LR_VAL_OBJECT) {
        *reason = "not a JSON object";
        snprintf(detail, detail_cap, "%s", *reason);
        return false;
    }
    const lr_value *tx = lr_value_get_key(root, KEY("transaction"));
    if (!tx || tx->kind != LR_VAL_OBJECT) {
        *reason = "no transaction object";
        snprintf(detail, detail_cap, "%s", *reason);
        return false;
    }
    return true;
}

/* Record time: transaction.time_stamp, else a top-level @timestamp (then
 * *from_root), else the ingestion time. */
static int64_t record_time(const lr_record *rec, const lr_value *root, const lr_value *tx, bool *from_root)
{
    int64_t ms;
    *from_root = false;
    const lr_value *t = lr_value_get_key(tx, KEY("time_stamp"));
    if (t && t->kind == LR_VAL_STRING &&
        (lr_time_parse_ctime(t->u.s, t->len, &ms) || lr_time_parse_iso(t->u.s, t->len, &ms)))
        return ms;
    t = lr_value_get_key(root, KEY("@timestamp"));
    if (t && t->kind == LR_VAL_STRING && lr_time_parse_iso(t->u.s, t->len, &ms)) {
        *from_root = true;
        return ms;
    }
    return rec->ev.timestamp_ms;
}

/* Shallow copy of obj (record-owned) whose first member named key has value v. */
static lr_value replace_member(lr_record *rec, const lr_value *obj, const char *key, size_t klen, lr_value v)
{
    lr_member *m = lr_record_alloc(rec, (size_t)obj->len * sizeof *m + 1);
    memcpy(m, obj->u.members, (size_t)obj->len * sizeof *m);
    for (uint32_t i = 0; i < obj->len; i++) {
        if (m[i].key_len == klen && memcmp(m[i].key, key, klen) == 0) {
            m[i].value = v;
            break;
        }
    }
    lr_value r = {.kind = LR_VAL_OBJECT, .len = obj->len, .u.members = m};
    return r;
}

/* Build rec's fields from its parsed root; `message` >= 0 selects one
 * element of transaction.messages to stand in for the array. */
static void build(lr_record *rec, const lr_value *root, long message)
{
    const lr_value *tx = lr_value_get_key(root, KEY("transaction"));
    bool from_root;
    int64_t ts = record_time(rec, root, tx, &from_root);
    if (message < 0) {
        lr_parse_set_object_root(rec, root, ts, from_root);
        return;
    }
    const lr_value *msgs = lr_value_get_key(tx, KEY("messages"));
    lr_value ntx = replace_member(rec, tx, KEY("messages"), msgs->u.items[message]);
    lr_value nroot = replace_member(rec, root, KEY("transaction"), ntx);
    lr_parse_set_object_root(rec, &nroot, ts, from_root);
}

size_t lr_waf_json_parse(const lr_parse_options *opt, const char *msg, size_t len, int64_t ts_ms,
                         lr_parse_stats *st, lr_emit_fn emit, void *arg)
{
    lr_record *rec = lr_record_new_at(msg, len, 0, ts_ms);
    rec->ev.format = "waf_json";
    lr_value root;
    const char *reason = NULL;
    char detail[96];
    if (!load(rec, &root, &reason, detail, sizeof detail)) {
        lr_parse_fail(rec, LR_FORMAT_WAF_JSON, st, reason, detail);
        emit(rec, arg);
        return 1;
    }
    const lr_value *tx = lr_value_get_key(&root, KEY("transaction"));
    const lr_value *msgs = lr_value_get_key(tx, KEY("messages"));
    size_t n = opt->split_messages && msgs && msgs->kind == LR_VAL_ARRAY ? msgs->len : 0;
    if (n == 0) {
        build(rec, &root, -1);
        st->parsed++;
        emit(rec, arg);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            /* Each record owns its tree: read the message again into the new
             * record's arena (plain ModSecurity only; the provider pre-splits). */
            rec = lr_record_new_at(msg, len, 0, ts_ms);
            rec->ev.format = "waf_json";
            load(rec, &root, &reason, detail, sizeof detail); /* same bytes: cannot fail now */
        }
        build(rec, &root, (long)i);
        st->parsed++;
        emit(rec, arg);
    }
    return n;
}
