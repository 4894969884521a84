/*
 * json_encode.h: the one JSON encoder every output shares. Output is always
 * valid JSON whatever the input bytes:
 *   - `"` and `\` are escaped; \b \f \n \r \t by name; other bytes < 0x20 as \u00XX;
 *   - valid UTF-8 passes through unchanged (including U+2028/U+2029, escaped as
 *     \u2028/\u2029 so the text is also safe inside JavaScript);
 *   - each byte of an invalid UTF-8 sequence (stray continuation, overlong form,
 *     surrogate, > U+10FFFF, truncated) becomes U+FFFD; the raw bytes are kept
 *     in the record's raw message for outputs that want them.
 *   - NaN and infinite floats are encoded as null.
 * Member order is the order the parser built (stable).
 */
#ifndef LR_JSON_ENCODE_H
#define LR_JSON_ENCODE_H

#include <logrelay/logrelay.h>

#include "util/buf.h"

bool lr_json_encode_value(lr_buf *out, const lr_value *v);
bool lr_json_encode_string(lr_buf *out, const char *s, size_t n);
/* Shortest text that reads back as the same double ("0.000193", not 0.00019300000000000001). */
bool lr_json_encode_double(lr_buf *out, double d);

/* In-place writers for parsers that encode while they scan (cdn_access):
 * each writes at d and returns the new end. The caller guarantees room:
 * n * 6 + 2 + 16 bytes for a string (16 of slack for whole-vector stores),
 * 24 for an integer, 48 for a double. Same output as the functions above. */
char *lr_json_put_string(char *d, const char *s, size_t n);
char *lr_json_put_int(char *d, int64_t v);
char *lr_json_put_double(char *d, double v);
/* The encoding of the one character at s (s[0] is '"', '\\', < 0x20 or
 * >= 0x80; avail bytes readable from s): an escape, a valid UTF-8 sequence
 * as is, or U+FFFD for an invalid byte. *used = input bytes consumed. Needs
 * 6 bytes of room. */
char *lr_json_put_special(char *d, const unsigned char *s, size_t avail, size_t *used);

#endif
