/* spool_codec.c: see spool_codec.h. */
#include "queue/spool_codec.h"

#include <stdio.h>
#include <string.h>

#include "parse/json_parse.h"
#include "record/json_encode.h"

#define CODEC_VERSION 1
#define FLAG_PARSE_FAILED 1u
#define FLAG_HAS_KEY 2u

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static size_t cstr_len(const char *s)
{
    return s ? strlen(s) : 0;
}

bool lr_spool_encode_event(lr_buf *out, const lr_event *ev, int64_t spooled_at_ms)
{
    lr_buf_reset(out);
    if (!lr_buf_reserve(out, LR_SPOOL_CODEC_HEADER))
        return false;
    out->len = LR_SPOOL_CODEC_HEADER;
    size_t src_len = cstr_len(ev->source), fmt_len = cstr_len(ev->format);
    size_t key_len = ev->key ? ev->key_len : 0;
    lr_buf_append(out, ev->source, src_len);
    lr_buf_append(out, ev->format, fmt_len);
    lr_buf_append(out, ev->key, key_len);
    lr_buf_append(out, ev->raw, ev->raw_len);
    size_t json_at = out->len, json_len;
    if (ev->json) {
        json_len = ev->json_len;
        lr_buf_append(out, ev->json, json_len);
    } else {
        static const lr_value empty = {.kind = LR_VAL_OBJECT};
        lr_json_encode_value(out, ev->fields ? ev->fields : &empty);
        json_len = out->len - json_at;
    }
    if (out->failed || src_len > UINT32_MAX || fmt_len > UINT32_MAX || key_len > UINT32_MAX ||
        ev->raw_len > UINT32_MAX || json_len > UINT32_MAX)
        return false;
    unsigned char *h = (unsigned char *)out->data;
    h[0] = CODEC_VERSION;
    h[1] = (unsigned char)((ev->parse_failed ? FLAG_PARSE_FAILED : 0) | (ev->key ? FLAG_HAS_KEY : 0));
    h[2] = h[3] = 0;
    put32(h + 4, (uint32_t)ev->partition);
    put64(h + 8, (uint64_t)ev->offset);
    put64(h + 16, (uint64_t)ev->timestamp_ms);
    put64(h + 24, (uint64_t)spooled_at_ms);
    put32(h + 32, (uint32_t)src_len);
    put32(h + 36, (uint32_t)fmt_len);
    put32(h + 40, (uint32_t)key_len);
    put32(h + 44, (uint32_t)ev->raw_len);
    put32(h + 48, (uint32_t)json_len);
    return true;
}

int64_t lr_spool_payload_time(const void *payload, size_t len)
{
    const unsigned char *h = payload;
    if (len < LR_SPOOL_CODEC_HEADER || h[0] != CODEC_VERSION)
        return 0;
    return (int64_t)get64(h + 24);
}

lr_record *lr_spool_decode_event(const void *payload, size_t len, char *err, size_t errlen)
{
    const unsigned char *h = payload;
    if (len < LR_SPOOL_CODEC_HEADER || h[0] != CODEC_VERSION) {
        snprintf(err, errlen, "not a version %d spool event (%zu bytes)", CODEC_VERSION, len);
        return NULL;
    }
    uint64_t lens[5], total = LR_SPOOL_CODEC_HEADER;
    for (int i = 0; i < 5; i++) {
        lens[i] = get32(h + 32 + 4 * i);
        total += lens[i];
    }
    if (total != len) {
        snprintf(err, errlen, "spool event lengths add up to %llu bytes, the entry has %zu",
                 (unsigned long long)total, len);
        return NULL;
    }
    const char *p = (const char *)h + LR_SPOOL_CODEC_HEADER;
    const char *src = p, *fmt = src + lens[0], *key = fmt + lens[1], *raw = key + lens[2],
               *json = raw + lens[3];
    size_t json_len = (size_t)lens[4];
    /* room for the copies and a parsed tree of about the JSON's size */
    lr_record *rec = lr_record_new(raw, (size_t)lens[3], 2 * json_len + lens[0] + lens[1] + lens[2] + 256);
    rec->ev.partition = (int32_t)get32(h + 4);
    rec->ev.offset = (int64_t)get64(h + 8);
    rec->ev.timestamp_ms = (int64_t)get64(h + 16);
    rec->ev.parse_failed = (h[1] & FLAG_PARSE_FAILED) != 0;
    rec->ev.source = lr_record_str(rec, src, (size_t)lens[0]);
    rec->ev.format = lr_record_str(rec, fmt, (size_t)lens[1]);
    if (h[1] & FLAG_HAS_KEY)
        lr_record_set_key(rec, key, (size_t)lens[2]);
    const char *j = lr_record_str(rec, json, json_len);
    lr_value root;
    lr_json_error jerr;
    if (lr_json_parse(rec, j, json_len, &root, &jerr) && root.kind == LR_VAL_OBJECT)
        rec->root = root; /* the record's fields: ev.fields already points at rec->root */
    rec->ev.json = j;
    rec->ev.json_len = json_len;
    return rec;
}
