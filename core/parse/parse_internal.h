/*
 * parse_internal.h: what the format parsers (cdn_access.c, waf_json.c,
 * parse.c) share. Not for use outside core/parse/.
 *
 * Threading: as parse.h (stateless; stats belong to the caller).
 */
#ifndef LR_PARSE_INTERNAL_H
#define LR_PARSE_INTERNAL_H

#include "parse/parse.h"

/* Fill rec's fields from rec->ev.raw as a CDN access line. On failure returns
 * false with a static reason and leaves rec untouched. */
bool lr_cdn_access_fill(lr_record *rec, const char **reason);

/* Parse one ModSecurity JSON audit record into one or more records;
 * `ts_ms` is their time when the record has no usable time stamp. */
size_t lr_waf_json_parse(const lr_parse_options *opt, const char *msg, size_t len, int64_t ts_ms,
                         lr_parse_stats *stats, lr_emit_fn emit, void *arg);

/* Mark rec as failed (fields: @timestamp, message, parse_error) and count the
 * failure. `detail` (may be NULL) is the record's parse_error text when it
 * says more than the counted `reason` (say, a byte offset). */
void lr_parse_fail(lr_record *rec, lr_format fmt, lr_parse_stats *st, const char *reason, const char *detail);

/* Root object {"@timestamp", obj's members...}: @timestamp first, formatted
 * from ts_ms. When `obj` has a top-level "@timestamp" it is dropped if
 * `drop_ts` (it was used as ts_ms), else renamed "_@timestamp". Sets
 * rec->ev.timestamp_ms and the root. */
void lr_parse_set_object_root(lr_record *rec, const lr_value *obj, int64_t ts_ms, bool drop_ts);

/* "2020-09-14T12:44:19.000Z" and a NUL (a per-thread cache makes records of
 * the same second cheap). */
void lr_parse_format_timestamp(int64_t ts_ms, char out[25]);

/* The @timestamp member, formatted into rec's arena. */
lr_member lr_parse_timestamp_member(lr_record *rec, int64_t ts_ms);

#endif
