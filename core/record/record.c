/* record.c: see record.h. */
#include "record/record.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "record/json_encode.h"
#include "record/record_pool.h"

#define LR_RECORD_DEFAULT_ARENA 1024u

int64_t lr_record_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

lr_record *lr_record_new_at(const char *raw, size_t raw_len, size_t arena_hint, int64_t timestamp_ms)
{
    /* One block holds the record, its raw copy and the first arena block:
     * room for the fields of a typical line and its JSON encoding. */
    size_t want = sizeof(lr_record) + raw_len + LR_RECORD_RAW_PAD + 8 +
                  (arena_hint ? arena_hint : raw_len * 2 + LR_RECORD_DEFAULT_ARENA);
    size_t block_cap;
    lr_record *rec = lr_record_pool_get(want, &block_cap);
    memset(rec, 0, sizeof *rec);
    rec->block_cap = block_cap;
    size_t inline_cap = block_cap - sizeof *rec; /* a pool block's slack is arena room */
    lr_arena_init(&rec->arena, rec->inline_buf, inline_cap);
    atomic_init(&rec->refs, 1);
    atomic_init(&rec->pending, 0);
    rec->ev.size = sizeof rec->ev;
    /* the raw copy and its NUL padding (see LR_RECORD_RAW_PAD) */
    char *copy = lr_arena_alloc(&rec->arena, raw_len + LR_RECORD_RAW_PAD);
    if (raw_len)
        memcpy(copy, raw, raw_len);
    memset(copy + raw_len, 0, LR_RECORD_RAW_PAD);
    rec->ev.raw = copy;
    rec->ev.raw_len = raw_len;
    rec->ev.timestamp_ms = timestamp_ms;
    rec->ev.source = "";
    rec->ev.partition = -1;
    rec->ev.offset = -1;
    rec->ev.format = "raw";
    rec->root.kind = LR_VAL_OBJECT;
    rec->ev.fields = &rec->root;
    return rec;
}

lr_record *lr_record_new(const char *raw, size_t raw_len, size_t arena_hint)
{
    return lr_record_new_at(raw, raw_len, arena_hint, lr_record_wall_ms());
}

void lr_record_ref(lr_record *rec)
{
    atomic_fetch_add_explicit(&rec->refs, 1, memory_order_relaxed);
}

void lr_record_unref(lr_record *rec)
{
    if (!rec)
        return;
    if (atomic_fetch_sub_explicit(&rec->refs, 1, memory_order_acq_rel) == 1) {
        if (rec->release)
            rec->release(rec->origin);
        lr_arena_release(&rec->arena);
        lr_record_pool_put(rec, rec->block_cap);
    }
}

void lr_record_hold(lr_record *rec, unsigned n)
{
    atomic_fetch_add_explicit(&rec->pending, n, memory_order_relaxed);
}

void lr_record_finish(lr_record *rec)
{
    if (atomic_fetch_sub_explicit(&rec->pending, 1, memory_order_acq_rel) == 1 && rec->done)
        rec->done(rec, rec->origin);
}

void *lr_record_alloc(lr_record *rec, size_t n)
{
    return lr_arena_alloc(&rec->arena, n);
}

const char *lr_record_str(lr_record *rec, const char *s, size_t n)
{
    return lr_arena_memdup(&rec->arena, s, n);
}

lr_member *lr_record_members(lr_record *rec, size_t n)
{
    lr_member *m = lr_arena_alloc(&rec->arena, n * sizeof *m);
    memset(m, 0, n * sizeof *m);
    return m;
}

void lr_record_set_root(lr_record *rec, lr_member *members, size_t count)
{
    rec->root.kind = LR_VAL_OBJECT;
    rec->root.len = (uint32_t)count;
    rec->root.u.members = members;
    rec->fields_unique_keys = false;
    rec->has_key_slots = false;
    rec->ev.json = NULL;
    rec->ev.json_len = 0;
}

void lr_record_set_parse_error(lr_record *rec, const char *format, const char *reason)
{
    char ts[25];
    lr_format_rfc3339_ms(rec->ev.timestamp_ms, ts);
    lr_member *m = lr_record_members(rec, 3);
    m[0].key = "@timestamp";
    m[0].key_len = 10;
    m[0].value = lr_value_string(lr_record_str(rec, ts, 24), 24);
    m[1].key = "message";
    m[1].key_len = 7;
    m[1].value = lr_value_string(rec->ev.raw, rec->ev.raw_len);
    m[2].key = "parse_error";
    m[2].key_len = 11;
    size_t rl = strlen(reason);
    m[2].value = lr_value_string(lr_record_str(rec, reason, rl), rl);
    lr_record_set_root(rec, m, 3);
    rec->fields_unique_keys = true;
    rec->ev.parse_failed = true;
    if (format)
        rec->ev.format = format;
}

/* The encoding scratch buffer is freed when its thread ends. */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *arg)
{
    lr_buf_free(arg);
}

static void scratch_key_create(void)
{
    (void)pthread_key_create(&scratch_key, scratch_free);
}

static void scratch_track(lr_buf *b)
{
    pthread_once(&scratch_once, scratch_key_create);
    (void)pthread_setspecific(scratch_key, b);
}

lr_buf *lr_record_scratch(void)
{
    static _Thread_local lr_buf scratch;
    if (!scratch.max) {
        lr_buf_init(&scratch, 0);
        scratch_track(&scratch);
    }
    lr_buf_reset(&scratch);
    return &scratch;
}

void lr_record_encode_json(lr_record *rec)
{
    if (rec->ev.json)
        return;
    /* Encode into the per-thread scratch buffer, then one copy into the
     * arena: the record keeps a single allocation block in the common case. */
    lr_buf *scratch = lr_record_scratch();
    if (!lr_json_encode_value(scratch, &rec->root)) {
        rec->ev.json = "{\"parse_error\":\"record too large to encode\"}";
        rec->ev.json_len = strlen(rec->ev.json);
        return;
    }
    lr_record_set_json(rec, scratch->data, scratch->len);
}

void lr_record_set_json(lr_record *rec, const char *json, size_t len)
{
    rec->ev.json = lr_arena_memdup(&rec->arena, json, len);
    rec->ev.json_len = len;
}

void lr_record_set_source(lr_record *rec, const char *source)
{
    rec->ev.source = lr_arena_memdup(&rec->arena, source, strlen(source));
}

void lr_record_set_source_name(lr_record *rec, const char *name)
{
    rec->ev.source = name;
}

void lr_record_set_key(lr_record *rec, const void *key, size_t key_len)
{
    if (!key) {
        rec->ev.key = NULL;
        rec->ev.key_len = 0;
        return;
    }
    rec->ev.key = lr_arena_memdup(&rec->arena, key, key_len);
    rec->ev.key_len = key_len;
}

const lr_value *lr_value_get_key(const lr_value *obj, const char *key, size_t key_len)
{
    if (!obj || obj->kind != LR_VAL_OBJECT)
        return NULL;
    for (uint32_t i = 0; i < obj->len; i++) {
        const lr_member *m = &obj->u.members[i];
        if (m->key_len == key_len && memcmp(m->key, key, key_len) == 0)
            return &m->value;
    }
    return NULL;
}

const lr_value *lr_value_get_path(const lr_value *v, const char *path, size_t path_len)
{
    if (!v)
        return NULL;
    if (v->kind == LR_VAL_ARRAY) {
        for (uint32_t i = 0; i < v->len; i++) {
            const lr_value *r = lr_value_get_path(&v->u.items[i], path, path_len);
            if (r)
                return r;
        }
        return NULL;
    }
    if (v->kind != LR_VAL_OBJECT)
        return NULL;
    const lr_value *whole = lr_value_get_key(v, path, path_len);
    if (whole)
        return whole;
    /* Try each dot as a split point, shortest head first. */
    for (size_t i = 0; i < path_len; i++) {
        if (path[i] != '.')
            continue;
        const lr_value *head = lr_value_get_key(v, path, i);
        if (head) {
            const lr_value *r = lr_value_get_path(head, path + i + 1, path_len - i - 1);
            if (r)
                return r;
        }
    }
    return NULL;
}

int lr_known_key_find(const char *key, size_t len)
{
    static const char *const names[LR_KNOWN_KEYS] = {
        [LR_KEY_TIMESTAMP] = "@timestamp",
        [LR_KEY_CLIENTIP] = "clientip",
        [LR_KEY_USER] = "user",
        [LR_KEY_VOD_HOST] = "vod_host",
        [LR_KEY_VERB] = "verb",
        [LR_KEY_REQUEST] = "request",
        [LR_KEY_HTTPVERSION] = "httpversion",
        [LR_KEY_STATUSCODE] = "statuscode",
        [LR_KEY_BYTES] = "bytes",
        [LR_KEY_USERAGENT] = "useragent",
        [LR_KEY_HITMISS] = "hitmiss",
        [LR_KEY_CONTENT_TYPE] = "content-type",
        [LR_KEY_LAYER] = "layer",
        [LR_KEY_REQUESTTIME] = "requesttime",
        [LR_KEY_CLIENTID] = "clientid",
        [LR_KEY_REFERER] = "referer",
        [LR_KEY_FORWARDEDPROTO] = "forwardedproto",
        [LR_KEY_COUNTRY] = "country",
    };
    for (int k = 0; k < LR_KNOWN_KEYS; k++)
        if (strlen(names[k]) == len && memcmp(names[k], key, len) == 0)
            return k;
    return -1;
}

void lr_format_rfc3339_ms(int64_t ms, char out[25])
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int msec = (int)(ms - secs * 1000);
    /* civil-from-days (Howard Hinnant's algorithm): no gmtime_r, no locale, no TZ */
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t sod = secs - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    if (y < 0 || y > 9999) {
        memcpy(out, "0000-01-01T00:00:00.000Z", 25);
        return;
    }
    /* fixed layout, written by hand: this runs once per record */
    int fields[7] = {(int)y, (int)m, (int)d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), msec};
    static const char layout[] = "YYYY-MM-DDTHH:MM:SS.mmmZ";
    memcpy(out, layout, 25);
    static const int pos[7] = {0, 5, 8, 11, 14, 17, 20};
    static const int width[7] = {4, 2, 2, 2, 2, 2, 3};
    for (int f = 0; f < 7; f++) {
        int v = fields[f];
        for (int k = width[f] - 1; k >= 0; k--) {
            out[pos[f] + k] = (char)('0' + v % 10);
            v /= 10;
        }
    }
}
