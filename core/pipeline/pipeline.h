/*
 * pipeline.h: the path of one message through the agent:
 *   submit -> parse (by the source's format) -> routes -> one queue per output
 *   -> output workers -> results -> `done` once every record of the message
 *   is finished (delivered, spooled or dead-lettered) by every output.
 *
 * Inputs (Kafka, replay, demo) call lr_pipeline_submit from one thread; `done`
 * may be called on any thread (an output worker), exactly once per message.
 */
#ifndef LR_PIPELINE_H
#define LR_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse/parse.h"

typedef struct lr_pipeline lr_pipeline;

/* Where a message came from. */
typedef struct lr_msg_meta {
    const char *source;   /* topic, or replay input name */
    int32_t partition;    /* -1 outside Kafka */
    int64_t offset;       /* -1 outside Kafka */
    int64_t timestamp_ms; /* Kafka message time, or 0 */
    const void *key;
    size_t key_len;
} lr_msg_meta;

typedef void (*lr_msg_done_fn)(void *origin);

/* Parse one message; its records join the batch waiting to be routed,
 * which is routed and enqueued when it is full (LR_ROUTES_BATCH records or
 * LR_ROUTES_BATCH_BYTES) or flushed. `done(origin)` is called once when every record the message
 * produced is finished by every output it was routed to (as soon as the
 * batch is routed when no route takes it). Never blocks on outputs: callers
 * check lr_pipeline_congested and pause their input. */
void lr_pipeline_submit(lr_pipeline *p, lr_format fmt, const lr_parse_options *opt, const char *msg,
                        size_t len, const lr_msg_meta *meta, lr_msg_done_fn done, void *origin);

/* Route and enqueue the records waiting in the batch. An input calls it
 * whenever it has no message at hand (before it blocks for more), and before
 * it waits for in-flight messages to finish: until then they cannot. */
void lr_pipeline_flush(lr_pipeline *p);
/* Records waiting in the batch (0 after a flush). */
size_t lr_pipeline_pending(const lr_pipeline *p);

/* True while any output queue is over its high watermark: the input should
 * pause until it is false again. */
bool lr_pipeline_congested(lr_pipeline *p);

/* Messages submitted whose done has not been called yet. */
uint64_t lr_pipeline_inflight(lr_pipeline *p);

#endif
