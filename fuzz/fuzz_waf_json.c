/*
 * fuzz_waf_json.c: libFuzzer target for the JSON reader and the waf_json and
 * json formats. Besides the record properties, a differential check against
 * jansson: whatever jansson accepts, our reader accepts too (ours is more
 * lenient on purpose: duplicate keys, invalid UTF-8, lone surrogates, big
 * numbers, a BOM), unless it is nested deeper than LR_JSON_MAX_DEPTH or
 * holds a NUL byte (see below).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_check.h"
#include "parse/json_parse.h"

static void check(lr_record *rec, void *arg)
{
    (*(size_t *)arg)++;
    fuzz_check_record(rec);
    lr_record_unref(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    lr_parse_stats st;
    memset(&st, 0, sizeof st);
    size_t n = 0;
    lr_parse_options split = {.split_messages = true}, keep = {.split_messages = false};
    size_t got = lr_parse_message(LR_FORMAT_WAF_JSON, &split, s, size, &st, check, &n);
    fuzz_require(got >= 1 && got == n && st.records == n && st.parsed + st.failed == n, "records counted",
                 NULL);
    n = 0;
    got = lr_parse_message(LR_FORMAT_WAF_JSON, &keep, s, size, &st, check, &n);
    fuzz_require(got == 1 && n == 1, "no-split gives one record", NULL);
    n = 0;
    got = lr_parse_message(LR_FORMAT_JSON, NULL, s, size, &st, check, &n);
    fuzz_require(got == 1 && n == 1, "json gives one record", NULL);

    /* jansson 2.14 skips a NUL byte right after a number ("[1\0,2]" reads as
     * [1,2]); RFC 8259 has no NUL outside strings, and we reject it. Inputs
     * with a NUL are left out of the comparison. */
    if (memchr(s, 0, size))
        return 0;
    json_error_t jerr;
    json_t *j = json_loadb(s, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (j) {
        lr_record *rec = lr_record_new(s, size, 0);
        lr_value v;
        lr_json_error err;
        bool ok = lr_json_parse(rec, rec->ev.raw, rec->ev.raw_len, &v, &err);
        if (!ok && strcmp(err.what, "nesting too deep") != 0) {
            fprintf(stderr, "jansson accepts, we reject: %s at %zu\n", err.what, err.offset);
            abort();
        }
        lr_record_unref(rec);
        json_decref(j);
    }
    return 0;
}
