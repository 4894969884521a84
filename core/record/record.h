/*
 * record.h: the record model. A record is one log message after parsing: the
 * raw bytes, typed fields (a tree of lr_value, see logrelay.h), metadata, and
 * one cached JSON encoding shared by every output.
 *
 * Memory: everything a record points to lives in its own arena and is freed
 * whole when the last reference goes (lr_record_unref). Parsers build fields
 * with lr_record_alloc/lr_record_str and never free anything.
 *
 * Threading: a record is built and encoded by the pipeline thread; after it
 * has been handed to output queues it is read-only, and only the reference
 * count and the completion count change (atomically).
 */
#ifndef LR_RECORD_H
#define LR_RECORD_H

#include <logrelay/logrelay.h>
#include <stdatomic.h>

#include "util/arena.h"
#include "util/buf.h"

typedef struct lr_record lr_record;

/* Top-level keys a parser may index for lookups (the cdn_access names): a
 * parser that sets rec->key_slots lets route conditions take a field by its
 * slot instead of searching the members. */
typedef enum lr_known_key {
    LR_KEY_TIMESTAMP,
    LR_KEY_CLIENTIP,
    LR_KEY_USER,
    LR_KEY_VOD_HOST,
    LR_KEY_VERB,
    LR_KEY_REQUEST,
    LR_KEY_HTTPVERSION,
    LR_KEY_STATUSCODE,
    LR_KEY_BYTES,
    LR_KEY_USERAGENT,
    LR_KEY_HITMISS,
    LR_KEY_CONTENT_TYPE,
    LR_KEY_LAYER,
    LR_KEY_REQUESTTIME,
    LR_KEY_CLIENTID,
    LR_KEY_REFERER,
    LR_KEY_FORWARDEDPROTO,
    LR_KEY_COUNTRY,
    LR_KNOWN_KEYS
} lr_known_key;

/* The known key spelled key[0..len), or -1. */
int lr_known_key_find(const char *key, size_t len);

/* Who to tell when every output has finished with a record (the Kafka
 * partition tracker, the replay counter). Called once, on whichever thread
 * finished last. */
typedef void (*lr_record_done_fn)(lr_record *rec, void *origin);

struct lr_record {
    lr_event ev;   /* the public view; ev.fields == &root */
    lr_value root; /* an object */
    atomic_uint refs;
    atomic_uint pending; /* outputs that still hold this record, +1 while routing */
    lr_record_done_fn done;
    void *origin; /* opaque to the record: passed to done and release */
    /* Called when the record is freed, finished or not: lets the owner of
     * `origin` drop its reference (a message tracker outlives none of its
     * records, and no record leaks it when it is released unfinished). */
    void (*release)(void *origin);
    /* The root object's keys are all distinct (cdn_access, raw and parse-error
     * records): lookups may remember where a key was. Objects from JSON input
     * can repeat keys, and the first one wins, so this stays false for them. */
    bool fields_unique_keys;
    /* key_slots is valid: every member whose key is a known key is indexed
     * there (member index + 1; 0 = no such member). Keys are then distinct. */
    bool has_key_slots;
    uint8_t key_slots[LR_KNOWN_KEYS];
    size_t block_cap; /* bytes of the record's memory block (record_pool.h) */
    lr_arena arena;
    char inline_buf[]; /* first arena block, sized at creation */
};

/* New record whose raw bytes are a copy of raw[0..raw_len) (NUL-terminated
 * in the arena). refs = 1, no fields (root is an empty object), timestamp =
 * now, partition/offset = -1. `arena_hint` sizes the first arena block beyond
 * the raw copy (0 picks a default). Caller owns the reference. */
lr_record *lr_record_new(const char *raw, size_t raw_len, size_t arena_hint);
/* Now, in Unix epoch milliseconds: the time a record gets when nothing
 * better is known. */
int64_t lr_record_wall_ms(void);
/* The same with the record time given (no clock read): the parsers' entry. */
lr_record *lr_record_new_at(const char *raw, size_t raw_len, size_t arena_hint, int64_t timestamp_ms);
/* ev.raw is followed by this many NUL bytes inside the record's memory, so a
 * scanner may load 16 bytes at a time up to the end of the line. */
#define LR_RECORD_RAW_PAD 16
void lr_record_ref(lr_record *rec);
/* Drops a reference; frees the record with its arena at zero (its block
 * goes back to the record pool). */
void lr_record_unref(lr_record *rec);

/* Completion: the pipeline sets `pending` to the number of holders (+1 while
 * routing); each holder calls lr_record_finish once when done with the
 * record. The last one calls rec->done(rec, rec->origin). Thread-safe. */
void lr_record_hold(lr_record *rec, unsigned n);
void lr_record_finish(lr_record *rec);

/* The memory the record's contents take (raw copy, fields, JSON, and what
 * routing added): its header and what its arena handed out. */
static inline size_t lr_record_bytes(const lr_record *rec)
{
    return sizeof *rec + rec->arena.used;
}

/* Arena memory owned by the record. */
void *lr_record_alloc(lr_record *rec, size_t n);
/* NUL-terminated arena copy of s[0..n). */
const char *lr_record_str(lr_record *rec, const char *s, size_t n);
/* A member array of n zeroed entries owned by the record. */
lr_member *lr_record_members(lr_record *rec, size_t n);
/* Set the root object (members must be record-owned or static). */
void lr_record_set_root(lr_record *rec, lr_member *members, size_t count);

/* Mark the record as not parsed: fields become {"@timestamp", "message":
 * raw, "parse_error": reason}; ev.parse_failed = true. `reason` is copied. */
void lr_record_set_parse_error(lr_record *rec, const char *format, const char *reason);

/* Encode ev.fields to ev.json once (no-op if already encoded). */
void lr_record_encode_json(lr_record *rec);
/* Set ev.json to a record-owned copy of json[0..len): for parsers that write
 * the encoding while they scan. It must be exactly what lr_record_encode_json
 * would produce from the fields (the parser tests and fuzz targets check
 * this). Call after lr_record_set_root, which clears ev.json. */
void lr_record_set_json(lr_record *rec, const char *json, size_t len);
/* This thread's encoding scratch buffer, emptied; valid until the thread's
 * next call of this function or of lr_record_encode_json. Owned by the
 * thread (freed when it ends). */
lr_buf *lr_record_scratch(void);

/* Record metadata setters (strings are copied into the arena). */
void lr_record_set_source(lr_record *rec, const char *source);
/* The same without a copy: `name` is lr_source_name's (source_names.h),
 * which outlives every record. */
void lr_record_set_source_name(lr_record *rec, const char *name);
void lr_record_set_key(lr_record *rec, const void *key, size_t key_len);

/* Value helpers for builders. */
static inline lr_value lr_value_string(const char *s, size_t n)
{
    lr_value v = {.kind = LR_VAL_STRING, .len = (uint32_t)n, .u.s = s};
    return v;
}
static inline lr_value lr_value_int(int64_t i)
{
    lr_value v = {.kind = LR_VAL_INT, .u.i = i};
    return v;
}
static inline lr_value lr_value_float(double f)
{
    lr_value v = {.kind = LR_VAL_FLOAT, .u.f = f};
    return v;
}
static inline lr_value lr_value_bool(bool b)
{
    lr_value v = {.kind = LR_VAL_BOOL, .u.b = b};
    return v;
}

/* Look a dotted path up under an object value. A key containing dots is
 * matched literally first ("a.b" as one key), then as a path. Arrays are
 * searched element by element (the first element that has the rest of the
 * path wins), so "transaction.messages.message" works whether messages is an
 * object (the provider's split records) or an array (plain ModSecurity).
 * With duplicate keys the first wins. NULL when absent. */
const lr_value *lr_value_get_path(const lr_value *obj, const char *path, size_t path_len);
/* One member of an object by exact key; NULL when absent. */
const lr_value *lr_value_get_key(const lr_value *obj, const char *key, size_t key_len);

/* "2020-09-14T12:44:19.000Z" (24 chars + NUL) from Unix epoch milliseconds. */
void lr_format_rfc3339_ms(int64_t ms, char out[25]);

#endif
