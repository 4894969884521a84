/*
 * parse.h: message parsers. One Kafka message (or one replayed line) becomes
 * one record, or several for ModSecurity arrays split per message. A message
 * that does not parse is never dropped: it becomes a record with the raw line,
 * `parse_error` set to the reason, and the failure is counted.
 *
 * Threading: parsers are stateless; stats are owned by the caller (one per
 * pipeline thread).
 */
#ifndef LR_PARSE_H
#define LR_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record/record.h"

typedef enum lr_format {
    LR_FORMAT_RAW = 0,
    LR_FORMAT_JSON,
    LR_FORMAT_CDN_ACCESS,
    LR_FORMAT_WAF_JSON,
    LR_FORMAT_COUNT
} lr_format;

typedef struct lr_parse_options {
    bool split_messages; /* waf_json: one record per element of transaction.messages (default true) */
} lr_parse_options;

#define LR_PARSE_REASON_MAX 32
typedef struct lr_parse_stats {
    uint64_t messages; /* inputs seen */
    uint64_t records;  /* records emitted */
    uint64_t parsed;   /* records that parsed */
    uint64_t failed;   /* records with parse_error */
    /* failures per reason; reasons are static strings from the parsers */
    const char *reason[LR_PARSE_REASON_MAX];
    uint64_t reason_count[LR_PARSE_REASON_MAX];
} lr_parse_stats;

/* Called for each record a message produces; ownership of the reference
 * passes to the callee. */
typedef void (*lr_emit_fn)(lr_record *rec, void *arg);

/* "cdn_access" -> LR_FORMAT_CDN_ACCESS; -1 when unknown. */
int lr_format_from_name(const char *name);
const char *lr_format_name(lr_format f);
/* Comma-separated list of the format names, for error messages. */
const char *lr_format_names(void);

/* Parse one message (no trailing newline) and emit its records. Returns the
 * number of records emitted (>= 1). */
size_t lr_parse_message(lr_format fmt, const lr_parse_options *opt, const char *msg, size_t len,
                        lr_parse_stats *stats, lr_emit_fn emit, void *arg);
/* The same with the time a record gets when its message carries none (a raw
 * line, a line that fails to parse, JSON without @timestamp): the Kafka
 * message timestamp. <= 0: the wall clock at parse time. */
size_t lr_parse_message_at(lr_format fmt, const lr_parse_options *opt, const char *msg, size_t len,
                           int64_t fallback_ts_ms, lr_parse_stats *stats, lr_emit_fn emit, void *arg);

void lr_parse_stats_add_failure(lr_parse_stats *st, const char *reason);

#endif
