/*
 * spool.h: the disk spool behind `queue.type: disk`. A directory of segment
 * files (00000001.seg, 00000002.seg, ...) holding opaque entries, each framed
 * as
 *     [u32 length, LE][u32 zlib crc32 of the payload, LE][payload]
 * plus `spool.ack` (the delivered watermark: segment and byte offset, written
 * by rename) and `spool.lock` (flock: one process per spool).
 *
 *   writer: append (buffered) ... commit (write + fsync) -> entries readable
 *   reader: read the next committed entries, each with an id
 *   anyone: ack(id) as entries are delivered, in any order; checkpoint()
 *           persists the contiguous watermark and deletes segments whose
 *           entries were all delivered.
 *
 * A restart re-reads everything after the persisted watermark: entries that
 * were delivered out of order or after the last checkpoint come again
 * (duplicates bounded by what was in flight), nothing committed is lost.
 *
 * Recovery (lr_spool_open): every segment left by a previous run is checked
 * frame by frame; at the first torn or corrupted frame (bad length, short
 * payload, CRC mismatch) the segment is truncated there, with a warning that
 * names the file and the number of bytes lost. New entries always go to a
 * new segment.
 *
 * Full: an append that would take the segments past max_bytes is refused
 * (LR_SPOOL_FULL) and nothing is written; the caller keeps the entry and
 * applies backpressure. (An entry larger than the whole budget is accepted
 * into an empty spool, or it could never be stored.)
 *
 * Threading: one writer thread (append/commit), one reader at a time (read);
 * ack, checkpoint, stats from any thread. An internal mutex guards the
 * segment list and the watermark; write(2)/fsync(2) run without it.
 */
#ifndef LR_SPOOL_H
#define LR_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lr_spool lr_spool;

/* Largest entry accepted (a frame header is 8 bytes more). */
#define LR_SPOOL_MAX_ENTRY (256u * 1024 * 1024)
#define LR_SPOOL_FRAME_HEADER 8u
/* Default segment rotation size, and the smallest one picked automatically. */
#define LR_SPOOL_SEGMENT_MAX (8u * 1024 * 1024)
#define LR_SPOOL_SEGMENT_MIN (4u * 1024)

#define LR_SPOOL_FULL (-2)

typedef struct lr_spool_options {
    const char *dir;
    uint64_t max_bytes;     /* budget for all segments on disk */
    uint64_t segment_bytes; /* rotate after this; 0 = max_bytes/8 within [SEGMENT_MIN, SEGMENT_MAX] */
    const char *name;       /* log tag: the output's name */
    /* Optional: the wall-clock time (ms) an entry was made, from its payload;
     * gives lr_spool_stats.oldest_ms. */
    int64_t (*entry_time)(const void *payload, size_t len);
} lr_spool_options;

/* What lr_spool_open found. */
typedef struct lr_spool_recovery {
    uint64_t entries;    /* undelivered entries, to be read first */
    uint64_t bytes;      /* their framed size */
    uint64_t lost_bytes; /* cut from torn or corrupted segment tails */
    uint32_t segments;   /* segment files kept */
} lr_spool_recovery;

/* Create the directory if needed, take the lock, recover. NULL with err
 * filled (directory not writable, spool in use by another process). */
lr_spool *lr_spool_open(const lr_spool_options *opt, lr_spool_recovery *rec, char *err, size_t errlen);
/* Persist the watermark and close. Unacknowledged entries stay on disk.
 * Entries appended but not committed are discarded. */
void lr_spool_close(lr_spool *sp);

/* Writer: buffer one entry. 0; LR_SPOOL_FULL (nothing written); -1 with err
 * on an I/O error (the entries appended since the last commit are then
 * discarded: append them again). */
int lr_spool_append(lr_spool *sp, const void *payload, size_t len, char *err, size_t errlen);
/* Writer: write what is buffered and fsync it; the entries become readable.
 * 0, or -1 with err (the uncommitted entries are discarded, as above). */
int lr_spool_commit(lr_spool *sp, char *err, size_t errlen);

typedef struct lr_spool_entry {
    uint64_t id;      /* for lr_spool_ack */
    const char *data; /* valid until the next lr_spool_read */
    size_t len;
} lr_spool_entry;

typedef struct lr_spool_read_result {
    size_t count;          /* entries filled in out[] */
    uint64_t bytes;        /* their framed size */
    uint64_t lost_entries; /* skipped because of corruption found while reading (logged) */
    uint64_t lost_bytes;
} lr_spool_read_result;

/* Reader: the next committed entries in order, at most max_n, stopping
 * before max_bytes of frames unless that would return none. */
lr_spool_read_result lr_spool_read(lr_spool *sp, lr_spool_entry *out, size_t max_n, uint64_t max_bytes);
/* The entry was delivered (or dead-lettered): it need not be read again. */
void lr_spool_ack(lr_spool *sp, uint64_t id);
/* Persist the acknowledged watermark if it moved and delete finished
 * segments. Returns true when segments were deleted. */
bool lr_spool_checkpoint(lr_spool *sp);

typedef struct lr_spool_stats {
    uint64_t disk_bytes; /* all segments, including delivered entries not yet deleted */
    uint32_t segments;
    uint64_t unread_entries; /* committed, not yet read */
    uint64_t unread_bytes;
    uint64_t unacked_entries; /* committed and not delivered (unread + read and in flight) */
    uint64_t unacked_bytes;
    int64_t oldest_ms;        /* entry_time of the oldest entry in flight, 0 if none/unknown */
    uint64_t lost_bytes;      /* since open, including recovery */
    uint64_t committed_total; /* entries committed since open (tells a writer how much of a
                               * group became durable before an error) */
} lr_spool_stats;

void lr_spool_get_stats(lr_spool *sp, lr_spool_stats *st);
const char *lr_spool_dir(const lr_spool *sp);

#endif
