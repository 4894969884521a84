/*
 * json_parse.h: a strict RFC 8259 reader that builds an lr_value tree in a
 * record's arena. Why not jansson: its object model keeps one value per key,
 * and real ModSecurity records carry duplicate keys (two Set-Cookie headers)
 * that must survive; here objects are ordered member arrays, duplicates kept.
 *
 * - Strings without escapes point into the input (which must be record-owned,
 *   normally rec->ev.raw); escaped ones are decoded into the arena. \u escapes
 *   include surrogate pairs; a lone surrogate becomes U+FFFD. Bytes >= 0x80 are
 *   passed through as they are (the encoder repairs invalid UTF-8).
 * - Integral numbers that fit become LR_VAL_INT, all others LR_VAL_FLOAT.
 * - Nesting is limited to LR_JSON_MAX_DEPTH; a UTF-8 BOM at the start is skipped.
 *
 * Threading: uses a per-thread scratch stack; any thread may call it.
 */
#ifndef LR_JSON_PARSE_H
#define LR_JSON_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "record/record.h"

#define LR_JSON_MAX_DEPTH 64

typedef struct lr_json_error {
    const char *what; /* static text: "unexpected character", ... */
    size_t offset;    /* byte offset in the input */
} lr_json_error;

/* Parse s[0..n) (exactly one JSON value, surrounding whitespace allowed) into
 * *out, everything owned by rec. On failure returns false and fills *err. */
bool lr_json_parse(lr_record *rec, const char *s, size_t n, lr_value *out, lr_json_error *err);

#endif
