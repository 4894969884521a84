/*
 * fuzz_cdn_access.c: libFuzzer target for the cdn_access scanner. Any bytes
 * make exactly one record whose JSON is valid; a parsed record's strings lie
 * inside its raw copy or its arena (ASan checks the reads).
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_check.h"

static void check(lr_record *rec, void *arg)
{
    (*(size_t *)arg)++;
    fuzz_check_record(rec);
    if (!rec->ev.parse_failed) {
        /* every member a parsed line can have is one of the grok names */
        static const char *const names[] = {
            "@timestamp",  "clientip",    "user",     "vod_host",  "verb",           "request",
            "httpversion", "statuscode",  "bytes",    "useragent", "hitmiss",        "content-type",
            "layer",       "requesttime", "clientid", "referer",   "forwardedproto", "country"};
        for (uint32_t i = 0; i < rec->ev.fields->len; i++) {
            const lr_member *m = &rec->ev.fields->u.members[i];
            int known = 0;
            for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
                known |= m->key_len == strlen(names[k]) && memcmp(m->key, names[k], m->key_len) == 0;
            fuzz_require(known, "only grok field names", rec);
        }
    }
    lr_record_unref(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lr_parse_stats st;
    memset(&st, 0, sizeof st);
    size_t n = 0;
    size_t got = lr_parse_message(LR_FORMAT_CDN_ACCESS, NULL, (const char *)data, size, &st, check, &n);
    fuzz_require(got == 1 && n == 1 && st.parsed + st.failed == 1, "one line, one record", NULL);
    return 0;
}
