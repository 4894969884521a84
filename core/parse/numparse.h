/*
 * numparse.h: strict decimal number parsing for the parsers' typed fields
 * (status codes, byte counts, request times, JSON numbers). Inputs are byte
 * spans, not NUL-terminated strings. Each function accepts the whole span or
 * fails.
 *
 * Threading: pure functions.
 */
#ifndef LR_NUMPARSE_H
#define LR_NUMPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* [-]digits that fit an int64 ("007" is accepted, "+1" and "" are not). */
bool lr_num_parse_int64(const char *s, size_t n, int64_t *out);

/* A JSON-grammar number: -?digits[.digits][(e|E)[+-]digits], leading zeros
 * allowed unless `strict_json` (then "01" fails as RFC 8259 wants).
 * Correctly rounded: "0.000193" reads back as the double nearest 0.000193. */
bool lr_num_parse_double(const char *s, size_t n, bool strict_json, double *out);

/* Length of the JSON number starting at s (0 if none), and whether it is
 * integral (no fraction or exponent). */
size_t lr_num_scan_json(const char *s, size_t n, bool *integral);

#endif
