/*
 * spool_codec.h: an output's event as a disk-spool payload, and back.
 *
 * Payload, version 1 (integers little-endian):
 *   u8 version (1), u8 flags (1 parse_failed, 2 has key), u16 zero,
 *   i32 partition, i64 offset, i64 timestamp_ms, i64 spooled_at_ms,
 *   u32 source_len, u32 format_len, u32 key_len, u32 raw_len, u32 json_len,
 *   then the source, format, key, raw and json bytes.
 *
 * The event's JSON is stored as it was encoded (outputs get the identical
 * bytes after a restart); the typed fields are rebuilt from it by the JSON
 * reader, so host->event_get works on spooled events (an integral number
 * comes back as an int, others as floats).
 *
 * Threading: no shared state; any thread.
 */
#ifndef LR_SPOOL_CODEC_H
#define LR_SPOOL_CODEC_H

#include <logrelay/logrelay.h>
#include <stdbool.h>
#include <stdint.h>

#include "record/record.h"
#include "util/buf.h"

#define LR_SPOOL_CODEC_HEADER 52u

/* Replace out's contents with the payload for `ev`. An event without JSON
 * gets its fields encoded. False when out's cap was hit. */
bool lr_spool_encode_event(lr_buf *out, const lr_event *ev, int64_t spooled_at_ms);

/* A new record (one reference, no holds, no done callback) holding the
 * event stored in payload. NULL with err filled when the payload is not a
 * valid version-1 event. */
lr_record *lr_spool_decode_event(const void *payload, size_t len, char *err, size_t errlen);

/* spooled_at_ms of a payload (0 when it is not a valid header). */
int64_t lr_spool_payload_time(const void *payload, size_t len);

#endif
