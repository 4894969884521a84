/*
 * timeparse.h: the log time formats the parsers meet, to Unix epoch
 * milliseconds (UTC). Hand-written: no strptime, no locale, no TZ lookups, no
 * allocation. Each function parses the whole input or fails (returns false).
 *
 * Threading: pure functions.
 */
#ifndef LR_TIMEPARSE_H
#define LR_TIMEPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date (no range check). */
int64_t lr_days_from_civil(int64_t y, unsigned m, unsigned d);

/* Common Log Format time, as inside the brackets of an access log:
 * "14/Sep/2020:12:44:19 +0000", optionally with a fraction of a second
 * ("...:19.123 +0000"). The offset is applied: the result is UTC.
 * Parses a prefix of s[0..n): *used receives the bytes consumed. */
bool lr_time_parse_clf(const char *s, size_t n, int64_t *ms, size_t *used);

/* ISO 8601 / RFC 3339: "2022-05-09T12:03:16Z", "2022-05-09 12:03:16",
 * "2022-05-09T12:03:16.123+02:00" (also "+0200"). No zone means UTC. */
bool lr_time_parse_iso(const char *s, size_t n, int64_t *ms);

/* C asctime layout as ModSecurity writes it: "Mon May  9 12:03:16 2022" (day
 * space-padded, or zero-padded "May 09"). There is no zone in it: read as UTC. */
bool lr_time_parse_ctime(const char *s, size_t n, int64_t *ms);

#endif
