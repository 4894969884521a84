/*
 * spool_format.h: the disk spool's bytes on disk, apart from its state
 * machine (spool.c): frames and how they are checked, the acknowledgement
 * record, segment names, and the check (and cut) of a segment left by an
 * earlier run. The layout is described in spool.h. Internal to core/queue.
 *
 * Threading: no shared state; a reader belongs to one thread at a time.
 */
#ifndef LR_SPOOL_FORMAT_H
#define LR_SPOOL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPF_ACK_FILE "spool.ack"
#define SPF_LOCK_FILE "spool.lock"

static inline void spf_put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static inline uint32_t spf_get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* zlib crc32 */
uint32_t spf_checksum(const void *p, size_t n);
/* The 8-byte header of a frame holding payload[0..len). */
void spf_frame_header(unsigned char hdr[8], const void *payload, size_t len);

/* Reads frames from one segment file through a buffer, never past a limit
 * (bytes beyond the committed size may still be in the making). */
typedef struct spf_reader {
    int fd;       /* -1 when closed */
    uint64_t pos; /* file offset of the next frame */
    char *buf;    /* file bytes [buf_off, buf_off + buf_len) */
    size_t cap;
    uint64_t buf_off;
    size_t buf_len;
} spf_reader;

void spf_reader_init(spf_reader *r);
/* Close the file and forget the cached bytes (pos = 0). */
void spf_reader_reset(spf_reader *r);
void spf_reader_free(spf_reader *r);

enum { SPF_FRAME = 1, SPF_END = 0, SPF_BAD = -1, SPF_IOERR = -2 };
/* The frame at r->pos, checked, not consumed: SPF_FRAME (payload and len
 * set; valid until the next call), SPF_END at `limit`, SPF_BAD (why set to
 * "torn entry header", "bad entry length", "entry cut short", "CRC
 * mismatch", ...) or SPF_IOERR (errno set). */
int spf_peek(spf_reader *r, uint64_t limit, const char **payload, uint32_t *len, const char **why);

/* <dir>/<8-digit seq>.seg */
void spf_segment_path(const char *dir, uint32_t seq, char *out, size_t n);
/* Segment numbers found in dir, ascending; *count set. Caller frees. */
uint32_t *spf_list_segments(const char *dir, size_t *count);

/* The acknowledged watermark: everything up to byte `end` of segment `seq`
 * was delivered. read: false when absent or damaged (logged under `tag`).
 * write: via a temporary file and rename, without fsync (a lost update means
 * entries delivered again, never entries lost); 0 or -1 with errno. */
bool spf_read_ack(const char *dir, const char *tag, uint32_t *seq, uint64_t *end);
int spf_write_ack(const char *dir, uint32_t seq, uint64_t end);

/* What the check of one segment found. */
typedef struct spf_scan {
    uint64_t valid; /* bytes of whole, intact frames from the start */
    uint64_t entries;
    uint64_t acked_entries; /* entries ending at or before the watermark */
    uint64_t acked_end;     /* ... and where the last of them ends */
    uint64_t lost;          /* bytes cut off the end */
} spf_scan;

/* Check a segment left by an earlier run frame by frame and cut it at the
 * first torn or corrupted frame, with a warning (under `tag`) naming the
 * file and the bytes lost. `ack_end` is the watermark's offset when it lies
 * in this segment, else 0. -1 when the file cannot be opened (logged; left
 * alone). */
int spf_scan_segment(const char *dir, const char *tag, uint32_t seq, uint64_t ack_end, spf_scan *out);

#endif
