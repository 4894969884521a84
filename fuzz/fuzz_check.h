/*
 * fuzz_check.h: what every fuzz target asserts about a record, whatever the
 * input: its JSON encoding is valid JSON (read back by jansson, an
 * independent parser), @timestamp is its first member, and a failed record
 * carries the raw input as `message`. A violated property aborts, which is
 * how libFuzzer learns about it.
 *
 * Threading: libFuzzer calls the target on one thread.
 */
#ifndef LR_FUZZ_CHECK_H
#define LR_FUZZ_CHECK_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"
#include "record/json_encode.h"

static inline void fuzz_require(int ok, const char *what, const lr_record *rec)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz property violated: %s\n", what);
    if (rec && rec->ev.json)
        fprintf(stderr, "record: %.*s\n", (int)(rec->ev.json_len > 4000 ? 4000 : rec->ev.json_len),
                rec->ev.json);
    abort();
}

static inline void fuzz_check_record(lr_record *rec)
{
    lr_record_encode_json(rec);
    const lr_event *ev = &rec->ev;
    /* the JSON a parser wrote while scanning (cdn_access) is exactly the
     * generic encoding of the record's fields */
    lr_buf generic;
    lr_buf_init(&generic, 0);
    fuzz_require(lr_json_encode_value(&generic, ev->fields), "fields encode", rec);
    fuzz_require(generic.len == ev->json_len && memcmp(generic.data, ev->json, generic.len) == 0,
                 "the record's JSON is its fields' encoding", rec);
    lr_buf_free(&generic);
    fuzz_require(ev->json && ev->json_len == strlen(ev->json), "json is NUL-terminated at json_len", rec);
    json_error_t err;
    json_t *j = json_loadb(ev->json, ev->json_len, JSON_ALLOW_NUL, &err);
    if (!j && strstr(err.text, "NUL byte in object key")) {
        /* jansson cannot hold a NUL in a key (valid JSON all the same): check
         * the same text with every \u0000 escape read as \u0001 */
        char *copy = malloc(ev->json_len + 1);
        memcpy(copy, ev->json, ev->json_len + 1);
        for (char *p = copy; (p = strstr(p, "\\u0000")) != NULL; p += 6)
            p[5] = '1';
        j = json_loadb(copy, ev->json_len, JSON_ALLOW_NUL, &err);
        free(copy);
    }
    fuzz_require(j != NULL && json_is_object(j), "encoding is a valid JSON object", rec);
    json_decref(j);
    char ts[25];
    lr_format_rfc3339_ms(ev->timestamp_ms, ts);
    fuzz_require(ev->fields->len >= 1 && ev->fields->u.members[0].key_len == 10 &&
                     memcmp(ev->fields->u.members[0].key, "@timestamp", 10) == 0,
                 "@timestamp is the first member", rec);
    const lr_value *t = &ev->fields->u.members[0].value;
    fuzz_require(t->kind == LR_VAL_STRING && t->len == 24 && memcmp(t->u.s, ts, 24) == 0,
                 "@timestamp says timestamp_ms", rec);
    if (ev->parse_failed) {
        const lr_value *m = lr_value_get_key(ev->fields, "message", 7);
        fuzz_require(m && m->len == ev->raw_len && memcmp(m->u.s, ev->raw, ev->raw_len) == 0,
                     "a failed record keeps the raw input as message", rec);
        fuzz_require(lr_value_get_key(ev->fields, "parse_error", 11) != NULL,
                     "a failed record has parse_error", rec);
    }
}

#endif
