/*
 * kafka_offsets.h: the at-least-once bookkeeping of the Kafka input. For each
 * assigned partition it remembers the offsets handed to the pipeline and
 * which of them are finished, and computes the contiguous watermark: the
 * lowest offset that is not finished yet (everything below it is). That
 * watermark is the only offset ever stored for commit, so a later success
 * never commits past an earlier record that is still in flight or failed.
 *
 * Offsets are tracked in submission order in a ring per partition (offsets
 * the broker never handed us, such as compacted ones or transaction markers,
 * take no space and never hold the watermark back). Finishing is O(1) and
 * the watermark advances in O(1) amortised.
 *
 * Threading: assign, begin, collect and revoke run on the consumer thread;
 * lr_offsets_finish may run on any thread (output workers). Each partition
 * has its own mutex. A partition that is revoked is detached at once: tokens
 * still in flight for it keep it alive (reference count) and their finish is
 * ignored, even if the same partition is assigned to us again later.
 */
#ifndef LR_KAFKA_OFFSETS_H
#define LR_KAFKA_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lr_offsets lr_offsets;
typedef struct lr_offsets_part lr_offsets_part;
/* One message in flight: the `origin` handed to the pipeline. */
typedef struct lr_offsets_token lr_offsets_token;

lr_offsets *lr_offsets_new(void);
/* Frees every partition; tokens still in flight stay valid (their finish is
 * then a no-op that frees them). */
void lr_offsets_free(lr_offsets *o);

/* Start tracking topic/partition (a new generation). Returns the existing
 * one when it is already assigned; NULL on out of memory. */
lr_offsets_part *lr_offsets_assign(lr_offsets *o, const char *topic, int32_t partition);
/* The assigned partition, or NULL. */
lr_offsets_part *lr_offsets_find(lr_offsets *o, const char *topic, int32_t partition);

/* Result of lr_offsets_begin. */
typedef enum lr_offsets_begin_result {
    LR_OFFSETS_TRACKED = 0,   /* *token set: pass it as origin, finish it exactly once */
    LR_OFFSETS_DUPLICATE = 1, /* offset at or below one already begun (a re-read after a
                                 rewind): covered by the first copy, *token = NULL */
    LR_OFFSETS_NOMEM = -1,
} lr_offsets_begin_result;

/* Register one offset of `part` as in flight. Offsets must be begun in
 * increasing order; gaps are allowed. */
lr_offsets_begin_result lr_offsets_begin(lr_offsets_part *part, int64_t offset, lr_offsets_token **token);

/* The message is finished (delivered, spooled or dead-lettered). Any thread;
 * frees the token; NULL is a no-op. Ignored when the partition was revoked. */
void lr_offsets_finish(lr_offsets_token *token);

/* Next offset to commit for `part` (every offset below it is finished), or
 * -1 when nothing was begun in this generation. */
int64_t lr_offsets_watermark(lr_offsets_part *part);

/* Call `fn` for each assigned partition whose watermark moved since the last
 * collect (or since assign), with the new watermark. Consumer thread. */
typedef void (*lr_offsets_collect_fn)(const char *topic, int32_t partition, int64_t watermark, void *arg);
size_t lr_offsets_collect(lr_offsets *o, lr_offsets_collect_fn fn, void *arg);

/* Stop tracking topic/partition: returns its final watermark (-1 when
 * nothing was begun or it was not assigned) and drops the bookkeeping;
 * finishes that arrive later are ignored. */
int64_t lr_offsets_revoke(lr_offsets *o, const char *topic, int32_t partition);

/* Messages begun and not finished, over all assigned partitions. */
uint64_t lr_offsets_inflight(lr_offsets *o);
/* Number of assigned partitions. */
size_t lr_offsets_count(lr_offsets *o);

#endif
