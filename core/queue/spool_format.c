/* spool_format.c: see spool_format.h. */
#include "queue/spool_format.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "queue/spool.h"
#include "util/fs.h"
#include "util/log.h"

#define ACK_TMP "spool.ack.tmp"
#define ACK_MAGIC 0x4b41534cu /* "LSAK" */
#define ACK_VERSION 1u
#define ACK_SIZE 28
#define RBUF_CAP (256u * 1024)

static void put_le64(unsigned char *p, uint64_t v)
{
    spf_put_le32(p, (uint32_t)v);
    spf_put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get_le64(const unsigned char *p)
{
    return (uint64_t)spf_get_le32(p) | (uint64_t)spf_get_le32(p + 4) << 32;
}

uint32_t spf_checksum(const void *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

void spf_frame_header(unsigned char hdr[8], const void *payload, size_t len)
{
    spf_put_le32(hdr, (uint32_t)len);
    spf_put_le32(hdr + 4, spf_checksum(payload, len));
}

/* ---- reading frames --------------------------------------------------------- */

void spf_reader_init(spf_reader *r)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

void spf_reader_reset(spf_reader *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->pos = r->buf_off = 0;
    r->buf_len = 0;
    if (r->cap > 4 * RBUF_CAP) { /* grown for a huge entry: give it back */
        free(r->buf);
        r->buf = NULL;
        r->cap = 0;
    }
}

void spf_reader_free(spf_reader *r)
{
    spf_reader_reset(r);
    free(r->buf);
    r->buf = NULL;
    r->cap = 0;
}

/* Make file bytes [pos, pos + n) available in the buffer, never reading past
 * `limit`. 0, -1 when the file is shorter than expected, -2 on an I/O error. */
static int ensure(spf_reader *r, uint64_t limit, size_t n)
{
    if (r->pos >= r->buf_off && r->pos + n <= r->buf_off + r->buf_len)
        return 0;
    size_t keep = 0;
    if (r->pos >= r->buf_off && r->pos < r->buf_off + r->buf_len) {
        keep = (size_t)(r->buf_off + r->buf_len - r->pos);
        memmove(r->buf, r->buf + (r->pos - r->buf_off), keep);
    }
    r->buf_off = r->pos;
    r->buf_len = keep;
    if (n > r->cap || !r->buf) {
        size_t ncap = r->cap ? r->cap : RBUF_CAP;
        while (ncap < n)
            ncap *= 2;
        char *nb = realloc(r->buf, ncap);
        if (!nb)
            abort();
        r->buf = nb;
        r->cap = ncap;
    }
    while (r->buf_len < n) {
        uint64_t at = r->buf_off + r->buf_len;
        size_t want = r->cap - r->buf_len;
        if (at >= limit)
            return -1;
        if (want > limit - at)
            want = (size_t)(limit - at);
        ssize_t got = pread(r->fd, r->buf + r->buf_len, want, (off_t)at);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -2;
        }
        if (got == 0)
            return -1;
        r->buf_len += (size_t)got;
    }
    return 0;
}

int spf_peek(spf_reader *r, uint64_t limit, const char **payload, uint32_t *len, const char **why)
{
    if (r->pos >= limit)
        return SPF_END;
    uint64_t avail = limit - r->pos;
    if (avail < LR_SPOOL_FRAME_HEADER) {
        *why = "torn entry header";
        return SPF_BAD;
    }
    int rc = ensure(r, limit, LR_SPOOL_FRAME_HEADER);
    if (rc != 0) {
        *why = "file shorter than expected";
        return rc == -2 ? SPF_IOERR : SPF_BAD;
    }
    const unsigned char *h = (const unsigned char *)r->buf + (r->pos - r->buf_off);
    uint32_t l = spf_get_le32(h), crc = spf_get_le32(h + 4);
    if (l == 0 || l > LR_SPOOL_MAX_ENTRY) {
        *why = "bad entry length";
        return SPF_BAD;
    }
    if (l > avail - LR_SPOOL_FRAME_HEADER) {
        *why = "entry cut short";
        return SPF_BAD;
    }
    rc = ensure(r, limit, LR_SPOOL_FRAME_HEADER + (size_t)l);
    if (rc != 0) {
        *why = "file shorter than expected";
        return rc == -2 ? SPF_IOERR : SPF_BAD;
    }
    const char *p = r->buf + (r->pos - r->buf_off) + LR_SPOOL_FRAME_HEADER;
    if (spf_checksum(p, l) != crc) {
        *why = "CRC mismatch";
        return SPF_BAD;
    }
    *payload = p;
    *len = l;
    return SPF_FRAME;
}

/* ---- segment files ------------------------------------------------------------ */

void spf_segment_path(const char *dir, uint32_t seq, char *out, size_t n)
{
    snprintf(out, n, "%s/%08" PRIu32 ".seg", dir, seq);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

uint32_t *spf_list_segments(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    size_t n = 0, cap = 16;
    uint32_t *seqs = malloc(cap * sizeof *seqs);
    if (!seqs)
        abort();
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (strlen(nm) != 12 || strcmp(nm + 8, ".seg") != 0)
            continue;
        uint32_t v = 0;
        bool ok = true;
        for (int i = 0; i < 8; i++) {
            if (nm[i] < '0' || nm[i] > '9')
                ok = false;
            v = v * 10 + (uint32_t)(nm[i] - '0');
        }
        if (!ok || v == 0)
            continue;
        if (n == cap) {
            cap *= 2;
            seqs = realloc(seqs, cap * sizeof *seqs);
            if (!seqs)
                abort();
        }
        seqs[n++] = v;
    }
    if (d)
        closedir(d);
    qsort(seqs, n, sizeof *seqs, cmp_u32);
    *count = n;
    return seqs;
}

int spf_scan_segment(const char *dir, const char *tag, uint32_t seq, uint64_t ack_end, spf_scan *out)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    spf_segment_path(dir, seq, path, sizeof path);
    spf_reader r;
    spf_reader_init(&r);
    r.fd = open(path, O_RDWR | O_CLOEXEC);
    struct stat st;
    if (r.fd < 0 || fstat(r.fd, &st) != 0) {
        lr_error(tag, "spool: cannot open %s: %s; its entries are skipped", path, strerror(errno));
        spf_reader_free(&r);
        return -1;
    }
    uint64_t size = (uint64_t)st.st_size;
    const char *why = NULL;
    for (;;) {
        const char *p;
        uint32_t len;
        int rc = spf_peek(&r, size, &p, &len, &why);
        if (rc != SPF_FRAME) {
            if (rc == SPF_IOERR) {
                lr_error(tag, "spool: cannot read %s: %s; keeping its first %" PRIu64 " bytes", path,
                         strerror(errno), r.pos);
                size = r.pos; /* the end for now, without cutting the file */
            }
            break;
        }
        r.pos += LR_SPOOL_FRAME_HEADER + len;
        out->entries++;
        if (r.pos <= ack_end) {
            out->acked_entries = out->entries;
            out->acked_end = r.pos;
        }
    }
    if (r.pos < size) {
        out->lost = size - r.pos;
        lr_warn(tag, "spool: %s: %s at offset %" PRIu64 "; truncated, %" PRIu64 " bytes lost", path, why,
                r.pos, out->lost);
        if (ftruncate(r.fd, (off_t)r.pos) != 0 || fdatasync(r.fd) != 0)
            lr_warn(tag, "spool: cannot truncate %s: %s", path, strerror(errno));
    }
    out->valid = r.pos;
    spf_reader_free(&r);
    return 0;
}

/* ---- the acknowledgement record --------------------------------------------------
 * 28 bytes: u32 magic, u32 version, u32 segment, u32 zero, u64 offset,
 * u32 crc32 of the first 24 bytes. */

bool spf_read_ack(const char *dir, const char *tag, uint32_t *seq, uint64_t *end)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/" SPF_ACK_FILE, dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            lr_warn(tag, "spool: cannot read %s: %s; delivering the whole spool again", path,
                    strerror(errno));
        return false;
    }
    unsigned char b[ACK_SIZE];
    ssize_t got = read(fd, b, sizeof b);
    close(fd);
    if (got != ACK_SIZE || spf_get_le32(b) != ACK_MAGIC || spf_get_le32(b + 4) != ACK_VERSION ||
        spf_get_le32(b + 24) != spf_checksum(b, 24)) {
        lr_warn(tag, "spool: %s is damaged; delivering the whole spool again (duplicates possible)", path);
        return false;
    }
    *seq = spf_get_le32(b + 8);
    *end = get_le64(b + 16);
    return true;
}

int spf_write_ack(const char *dir, uint32_t seq, uint64_t end)
{
    unsigned char b[ACK_SIZE];
    spf_put_le32(b, ACK_MAGIC);
    spf_put_le32(b + 4, ACK_VERSION);
    spf_put_le32(b + 8, seq);
    spf_put_le32(b + 12, 0);
    put_le64(b + 16, end);
    spf_put_le32(b + 24, spf_checksum(b, 24));
    char tmp[4096], path[4096];
    snprintf(tmp, sizeof tmp, "%s/" ACK_TMP, dir);
    snprintf(path, sizeof path, "%s/" SPF_ACK_FILE, dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return -1;
    if (lr_write_all(fd, b, sizeof b) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0)
        return -1;
    return 0;
}
