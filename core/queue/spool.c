/*
 * spool.c: see spool.h for the format and the contract (the bytes on disk are
 * read and written by spool_format.c).
 *
 * State, and who touches it:
 *   - sp->lock guards the segment list (oldest first; the last one may be the
 *     active segment being written), the counters, the watermark and the
 *     in-flight window of read entries;
 *   - the writer's fd, buffer and sizes (w_*) belong to the writer thread;
 *   - the reader's position and buffers (rd_*) belong to whoever holds
 *     sp->rlock (one reader at a time).
 * Disk I/O (write, fsync, pread) runs without sp->lock, so acks and stats
 * never wait for a disk.
 */
#include "queue/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "queue/spool_format.h"
#include "util/fs.h"
#include "util/ring.h"
#include "util/log.h"

#define WBUF_CAP (256u * 1024)
#define RBUF_CAP (256u * 1024)

/* ------------------------------------------------------------------------ */
/* The spool                                                                 */
/* ------------------------------------------------------------------------ */
typedef struct segment {
    uint32_t seq;
    uint64_t size;    /* committed (readable) bytes */
    uint64_t entries; /* committed entries */
    bool sealed;      /* no longer written */
} segment;

/* One entry read and not yet acknowledged. */
typedef struct window_slot {
    uint32_t seq;
    uint32_t frame; /* framed size */
    uint64_t end;   /* offset just past the entry */
    int64_t stamp;
    bool acked;
} window_slot;

struct lr_spool {
    char *dir;
    char *name;
    uint64_t max_bytes, seg_max;
    int64_t (*entry_time)(const void *payload, size_t len);
    int dir_fd, lock_fd;

    pthread_mutex_t lock;
    segment *segs;
    size_t nsegs, cap_segs;
    uint64_t committed_bytes; /* sum of segs[].size */
    uint64_t uncommitted;     /* appended by the writer, not yet committed */
    uint64_t unread_entries, unread_bytes, unacked_entries, unacked_bytes;
    uint64_t lost_bytes;
    uint64_t committed_total;
    uint32_t next_seq;
    uint32_t wm_seq; /* everything up to (wm_seq, wm_end) is delivered */
    uint64_t wm_end;
    uint32_t saved_seq; /* ... and that much is in spool.ack */
    uint64_t saved_end;
    bool saved_valid;
    window_slot *win;
    size_t win_cap, win_head, win_count;
    uint64_t win_base;  /* id of win[win_head] */
    bool active_broken; /* the reader found damage in the active segment */

    /* writer thread */
    int w_fd;
    uint32_t w_seq;
    uint64_t w_size;      /* bytes written or buffered into the active segment */
    uint64_t w_committed; /* bytes of it that are durable */
    uint64_t w_pending;   /* entries appended since the last commit */
    char *w_buf;
    size_t w_len;
    bool w_dir_dirty;

    /* the reader (under rlock) */
    pthread_mutex_t rlock;
    spf_reader rd;
    uint32_t rd_seq;
    uint64_t rd_count; /* entries of rd_seq before rd.pos */
    char *rd_out;      /* payload copies handed out by the last read */
    size_t rd_out_cap;
    size_t *rd_offs;
    size_t rd_offs_cap;
};

static void seg_path(const lr_spool *sp, uint32_t seq, char *out, size_t n)
{
    spf_segment_path(sp->dir, seq, out, n);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Lock held. The first segment with seq >= `seq`, or NULL. */
static segment *find_seg(lr_spool *sp, uint32_t seq)
{
    for (size_t i = 0; i < sp->nsegs; i++) {
        if (sp->segs[i].seq >= seq)
            return &sp->segs[i];
    }
    return NULL;
}

static segment *push_seg(lr_spool *sp, uint32_t seq)
{
    if (sp->nsegs == sp->cap_segs) {
        sp->cap_segs = sp->cap_segs ? sp->cap_segs * 2 : 16;
        sp->segs = realloc(sp->segs, sp->cap_segs * sizeof *sp->segs);
        if (!sp->segs)
            abort();
    }
    segment *s = &sp->segs[sp->nsegs++];
    memset(s, 0, sizeof *s);
    s->seq = seq;
    return s;
}

/* Lock held. Delete sealed segments from the front whose entries were all
 * delivered. True when something was deleted. */
static bool drop_finished(lr_spool *sp)
{
    size_t n = 0;
    while (n < sp->nsegs) {
        segment *s = &sp->segs[n];
        bool done = s->sealed && (s->entries == 0 || sp->wm_seq > s->seq ||
                                  (sp->wm_seq == s->seq && sp->wm_end >= s->size));
        if (!done)
            break;
        char path[4096];
        seg_path(sp, s->seq, path, sizeof path);
        if (unlink(path) != 0 && errno != ENOENT)
            lr_warn(sp->name, "spool: cannot delete delivered segment %s: %s", path, strerror(errno));
        sp->committed_bytes -= s->size;
        n++;
    }
    if (n) {
        memmove(sp->segs, sp->segs + n, (sp->nsegs - n) * sizeof *sp->segs);
        sp->nsegs -= n;
    }
    return n > 0;
}

/* Lock held. */
static void write_ack(lr_spool *sp)
{
    if (sp->saved_valid && sp->saved_seq == sp->wm_seq && sp->saved_end == sp->wm_end)
        return;
    if (spf_write_ack(sp->dir, sp->wm_seq, sp->wm_end) != 0) {
        lr_warn(sp->name,
                "spool: cannot write %s/" SPF_ACK_FILE ": %s (delivered entries may be delivered again)",
                sp->dir, strerror(errno));
        return;
    }
    sp->saved_seq = sp->wm_seq;
    sp->saved_end = sp->wm_end;
    sp->saved_valid = true;
}

/* ---- recovery ------------------------------------------------------------ */

static int recover(lr_spool *sp, lr_spool_recovery *out)
{
    uint32_t ack_seq = 0;
    uint64_t ack_end = 0;
    bool have_ack = spf_read_ack(sp->dir, sp->name, &ack_seq, &ack_end);
    size_t n;
    uint32_t *seqs = spf_list_segments(sp->dir, &n);
    uint32_t max_seq = have_ack ? ack_seq : 0;
    uint64_t acked_entries = 0, acked_end = 0;
    bool ack_seg_found = false;
    for (size_t i = 0; i < n; i++) {
        uint32_t seq = seqs[i];
        if (seq > max_seq)
            max_seq = seq;
        char path[4096];
        seg_path(sp, seq, path, sizeof path);
        if (have_ack && seq < ack_seq) {
            /* delivered; a crash came between the watermark and the delete */
            unlink(path);
            continue;
        }
        spf_scan sc;
        if (spf_scan_segment(sp->dir, sp->name, seq, have_ack && seq == ack_seq ? ack_end : 0, &sc) != 0)
            continue;
        sp->lost_bytes += sc.lost;
        if (sc.entries == 0) {
            unlink(path);
            continue;
        }
        segment *s = push_seg(sp, seq);
        s->size = sc.valid;
        s->entries = sc.entries;
        s->sealed = true;
        sp->committed_bytes += s->size;
        if (have_ack && seq == ack_seq) {
            ack_seg_found = true;
            acked_entries = sc.acked_entries;
            acked_end = sc.acked_end;
        }
    }
    free(seqs);
    sp->next_seq = max_seq + 1;
    if (have_ack) {
        sp->wm_seq = ack_seq;
        sp->wm_end = ack_seg_found ? acked_end : 0;
    }
    sp->saved_seq = sp->wm_seq;
    sp->saved_end = sp->wm_end;
    sp->saved_valid = have_ack;
    /* the reader starts at the watermark */
    if (sp->nsegs) {
        segment *first = &sp->segs[0];
        sp->rd_seq = first->seq;
        if (ack_seg_found && first->seq == ack_seq) {
            sp->rd.pos = acked_end;
            sp->rd_count = acked_entries;
        }
    } else {
        sp->rd_seq = sp->next_seq;
    }
    uint64_t entries = 0;
    for (size_t i = 0; i < sp->nsegs; i++)
        entries += sp->segs[i].entries;
    sp->unread_entries = sp->unacked_entries = entries - sp->rd_count;
    sp->unread_bytes = sp->unacked_bytes = sp->committed_bytes - sp->rd.pos;
    drop_finished(sp);
    out->entries = sp->unread_entries;
    out->bytes = sp->unread_bytes;
    out->lost_bytes = sp->lost_bytes;
    out->segments = (uint32_t)sp->nsegs;
    return 0;
}

lr_spool *lr_spool_open(const lr_spool_options *opt, lr_spool_recovery *rec, char *err, size_t errlen)
{
    lr_spool_recovery dummy;
    if (!rec)
        rec = &dummy;
    memset(rec, 0, sizeof *rec);
    if (lr_mkdir_p(opt->dir, 0750) != 0) {
        set_err(err, errlen, "cannot create spool directory %s: %s", opt->dir, strerror(errno));
        return NULL;
    }
    lr_spool *sp = calloc(1, sizeof *sp);
    if (!sp)
        abort();
    sp->dir = strdup(opt->dir);
    sp->name = strdup(opt->name ? opt->name : "spool");
    if (!sp->dir || !sp->name)
        abort();
    sp->max_bytes = opt->max_bytes;
    sp->seg_max = opt->segment_bytes;
    if (!sp->seg_max) {
        sp->seg_max = opt->max_bytes / 8;
        if (sp->seg_max < LR_SPOOL_SEGMENT_MIN)
            sp->seg_max = LR_SPOOL_SEGMENT_MIN;
        if (sp->seg_max > LR_SPOOL_SEGMENT_MAX)
            sp->seg_max = LR_SPOOL_SEGMENT_MAX;
    }
    /* a segment never outgrows the budget: a delivered active segment is then
     * always sealed (and deleted) before the spool could refuse an append */
    if (sp->max_bytes && sp->seg_max > sp->max_bytes)
        sp->seg_max = sp->max_bytes;
    sp->entry_time = opt->entry_time;
    sp->w_fd = -1;
    spf_reader_init(&sp->rd);
    pthread_mutex_init(&sp->lock, NULL);
    pthread_mutex_init(&sp->rlock, NULL);
    sp->dir_fd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    char path[4096];
    snprintf(path, sizeof path, "%s/" SPF_LOCK_FILE, sp->dir);
    sp->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (sp->dir_fd < 0 || sp->lock_fd < 0) {
        set_err(err, errlen, "cannot open spool directory %s: %s", sp->dir, strerror(errno));
        goto fail;
    }
    if (flock(sp->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        set_err(err, errlen, "spool directory %s is in use by another process (%s)", sp->dir,
                errno == EWOULDBLOCK ? "locked" : strerror(errno));
        goto fail;
    }
    sp->w_buf = malloc(WBUF_CAP);
    if (!sp->w_buf)
        abort();
    recover(sp, rec);
    return sp;
fail:
    if (sp->dir_fd >= 0)
        close(sp->dir_fd);
    if (sp->lock_fd >= 0)
        close(sp->lock_fd);
    pthread_mutex_destroy(&sp->lock);
    pthread_mutex_destroy(&sp->rlock);
    free(sp->dir);
    free(sp->name);
    free(sp);
    return NULL;
}

/* ---- writer -------------------------------------------------------------- */

/* Lock held. The active segment (the last one, unsealed) or NULL. */
static segment *active_seg(lr_spool *sp)
{
    if (sp->w_fd < 0 || !sp->nsegs)
        return NULL;
    segment *s = &sp->segs[sp->nsegs - 1];
    return s->seq == sp->w_seq && !s->sealed ? s : NULL;
}

/* Stop writing the active segment; it keeps its committed bytes. */
static void seal_active(lr_spool *sp)
{
    if (sp->w_fd < 0)
        return;
    close(sp->w_fd);
    sp->w_fd = -1;
    pthread_mutex_lock(&sp->lock);
    segment *s = find_seg(sp, sp->w_seq);
    if (s && s->seq == sp->w_seq)
        s->sealed = true;
    sp->active_broken = false;
    drop_finished(sp);
    pthread_mutex_unlock(&sp->lock);
}

/* An I/O error: what was appended since the last commit is discarded, the
 * file is cut back to its committed size and closed; the next append starts
 * a new segment. */
static void writer_fail(lr_spool *sp)
{
    if (sp->w_fd >= 0 && ftruncate(sp->w_fd, (off_t)sp->w_committed) != 0)
        lr_warn(sp->name, "spool: cannot cut segment %08" PRIu32 " back: %s (the next start will)", sp->w_seq,
                strerror(errno));
    sp->w_len = 0;
    sp->w_pending = 0;
    sp->w_size = sp->w_committed;
    pthread_mutex_lock(&sp->lock);
    sp->uncommitted = 0;
    pthread_mutex_unlock(&sp->lock);
    seal_active(sp);
}

static int flush_wbuf(lr_spool *sp)
{
    if (!sp->w_len)
        return 0;
    if (lr_write_all(sp->w_fd, sp->w_buf, sp->w_len) != 0)
        return -1;
    sp->w_len = 0;
    return 0;
}

static int open_new_segment(lr_spool *sp, char *err, size_t errlen)
{
    char path[4096];
    uint32_t seq = sp->next_seq;
    seg_path(sp, seq, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        set_err(err, errlen, "cannot create spool segment %s: %s", path, strerror(errno));
        return -1;
    }
    sp->w_fd = fd;
    sp->w_seq = seq;
    sp->w_size = sp->w_committed = 0;
    sp->w_pending = 0;
    sp->w_dir_dirty = true;
    pthread_mutex_lock(&sp->lock);
    sp->next_seq = seq + 1;
    push_seg(sp, seq);
    pthread_mutex_unlock(&sp->lock);
    return 0;
}

int lr_spool_append(lr_spool *sp, const void *payload, size_t len, char *err, size_t errlen)
{
    if (len == 0 || len > LR_SPOOL_MAX_ENTRY) {
        set_err(err, errlen, "spool entry of %zu bytes (limit %u)", len, LR_SPOOL_MAX_ENTRY);
        return -1;
    }
    uint64_t frame = LR_SPOOL_FRAME_HEADER + (uint64_t)len;
    pthread_mutex_lock(&sp->lock);
    bool broken = sp->active_broken;
    pthread_mutex_unlock(&sp->lock);
    if (sp->w_fd >= 0 && broken) {
        /* entries appended since the last commit went into a damaged segment */
        bool lose = sp->w_pending > 0;
        writer_fail(sp);
        if (lose) {
            set_err(err, errlen, "spool segment %08" PRIu32 " was found damaged; append again", sp->w_seq);
            return -1;
        }
    }
    if (sp->w_fd >= 0 && sp->w_size > 0 && sp->w_size + frame > sp->seg_max) {
        if (lr_spool_commit(sp, err, errlen) != 0)
            return -1;
        seal_active(sp);
    }
    pthread_mutex_lock(&sp->lock);
    uint64_t disk = sp->committed_bytes + sp->uncommitted;
    if (disk > 0 && disk + frame > sp->max_bytes) {
        pthread_mutex_unlock(&sp->lock);
        return LR_SPOOL_FULL;
    }
    sp->uncommitted += frame;
    pthread_mutex_unlock(&sp->lock);
    if (sp->w_fd < 0 && open_new_segment(sp, err, errlen) != 0) {
        pthread_mutex_lock(&sp->lock);
        sp->uncommitted -= frame;
        pthread_mutex_unlock(&sp->lock);
        return -1;
    }
    unsigned char hdr[LR_SPOOL_FRAME_HEADER];
    spf_frame_header(hdr, payload, len);
    if (sp->w_len + frame > WBUF_CAP && flush_wbuf(sp) != 0)
        goto io_error;
    if (frame > WBUF_CAP) {
        /* a big entry goes straight to the file */
        struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)payload, len}};
        size_t want = sizeof hdr + len, done = 0;
        while (done < want) {
            ssize_t w;
            if (done < sizeof hdr) {
                iov[0].iov_base = hdr + done;
                iov[0].iov_len = sizeof hdr - done;
                w = writev(sp->w_fd, iov, 2);
            } else {
                w = write(sp->w_fd, (const char *)payload + (done - sizeof hdr), want - done);
            }
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                goto io_error;
            done += (size_t)w;
        }
    } else {
        memcpy(sp->w_buf + sp->w_len, hdr, sizeof hdr);
        memcpy(sp->w_buf + sp->w_len + sizeof hdr, payload, len);
        sp->w_len += (size_t)frame;
    }
    sp->w_size += frame;
    sp->w_pending++;
    return 0;
io_error:
    set_err(err, errlen, "cannot write spool segment %08" PRIu32 " in %s: %s", sp->w_seq, sp->dir,
            strerror(errno));
    writer_fail(sp);
    return -1;
}

int lr_spool_commit(lr_spool *sp, char *err, size_t errlen)
{
    if (sp->w_fd < 0 || sp->w_pending == 0)
        return 0;
    const char *what = "write";
    if (flush_wbuf(sp) != 0)
        goto io_error;
    what = "fsync";
    if (fdatasync(sp->w_fd) != 0)
        goto io_error;
    if (sp->w_dir_dirty) {
        if (sp->dir_fd >= 0 && fsync(sp->dir_fd) != 0)
            goto io_error;
        sp->w_dir_dirty = false;
    }
    pthread_mutex_lock(&sp->lock);
    segment *s = active_seg(sp);
    if (sp->active_broken || !s) {
        pthread_mutex_unlock(&sp->lock);
        set_err(err, errlen, "spool segment %08" PRIu32 " was found damaged; append again", sp->w_seq);
        writer_fail(sp);
        return -1;
    }
    uint64_t bytes = sp->w_size - sp->w_committed;
    s->size = sp->w_size;
    s->entries += sp->w_pending;
    sp->committed_bytes += bytes;
    sp->uncommitted -= bytes;
    sp->unread_entries += sp->w_pending;
    sp->unread_bytes += bytes;
    sp->unacked_entries += sp->w_pending;
    sp->unacked_bytes += bytes;
    sp->committed_total += sp->w_pending;
    pthread_mutex_unlock(&sp->lock);
    sp->w_committed = sp->w_size;
    sp->w_pending = 0;
    return 0;
io_error:
    set_err(err, errlen, "cannot %s spool segment %08" PRIu32 " in %s: %s", what, sp->w_seq, sp->dir,
            strerror(errno));
    writer_fail(sp);
    return -1;
}

/* ---- reader -------------------------------------------------------------- */

static void window_push(lr_spool *sp, const window_slot *slot)
{
    sp->win = lr_ring_make_room(sp->win, sizeof *sp->win, &sp->win_cap, &sp->win_head, sp->win_count, 1024);
    sp->win[(sp->win_head + sp->win_count) % sp->win_cap] = *slot;
    sp->win_count++;
}

/* Reader found the rest of segment `seq` unusable from rd.pos on. */
static void lose_rest(lr_spool *sp, uint32_t seq, const char *why, lr_spool_read_result *res)
{
    pthread_mutex_lock(&sp->lock);
    segment *s = find_seg(sp, seq);
    if (!s || s->seq != seq) {
        pthread_mutex_unlock(&sp->lock);
        return;
    }
    uint64_t lost_b = s->size - sp->rd.pos, lost_e = s->entries - sp->rd_count;
    s->size = sp->rd.pos;
    s->entries = sp->rd_count;
    sp->committed_bytes -= lost_b;
    sp->unread_entries -= lost_e;
    sp->unread_bytes -= lost_b;
    sp->unacked_entries -= lost_e;
    sp->unacked_bytes -= lost_b;
    sp->lost_bytes += lost_b;
    if (!s->sealed)
        sp->active_broken = true;
    pthread_mutex_unlock(&sp->lock);
    res->lost_entries += lost_e;
    res->lost_bytes += lost_b;
    lr_error(sp->name,
             "spool: %s/%08" PRIu32 ".seg: %s at offset %" PRIu64 "; %" PRIu64 " entries (%" PRIu64
             " bytes) lost",
             sp->dir, seq, why, sp->rd.pos, lost_e, lost_b);
}

lr_spool_read_result lr_spool_read(lr_spool *sp, lr_spool_entry *out, size_t max_n, uint64_t max_bytes)
{
    lr_spool_read_result res = {0};
    pthread_mutex_lock(&sp->rlock);
    if (sp->rd_offs_cap < max_n) {
        sp->rd_offs = realloc(sp->rd_offs, max_n * sizeof *sp->rd_offs);
        if (!sp->rd_offs)
            abort();
        sp->rd_offs_cap = max_n;
    }
    size_t out_len = 0;
    while (res.count < max_n) {
        pthread_mutex_lock(&sp->lock);
        segment *s = find_seg(sp, sp->rd_seq);
        if (!s) {
            pthread_mutex_unlock(&sp->lock);
            break;
        }
        if (s->seq != sp->rd_seq) {
            spf_reader_reset(&sp->rd);
            sp->rd_seq = s->seq;
            sp->rd_count = 0;
        }
        uint64_t limit = s->size;
        bool sealed = s->sealed;
        pthread_mutex_unlock(&sp->lock);
        if (sp->rd.pos >= limit) {
            if (!sealed)
                break;
            spf_reader_reset(&sp->rd);
            sp->rd_seq++;
            sp->rd_count = 0;
            continue;
        }
        if (sp->rd.fd < 0) {
            char path[4096];
            seg_path(sp, sp->rd_seq, path, sizeof path);
            sp->rd.fd = open(path, O_RDONLY | O_CLOEXEC);
            sp->rd.buf_off = sp->rd.pos;
            sp->rd.buf_len = 0;
            if (sp->rd.fd < 0) {
                lose_rest(sp, sp->rd_seq, strerror(errno), &res);
                continue;
            }
        }
        const char *p, *why = NULL;
        uint32_t len;
        int rc = spf_peek(&sp->rd, limit, &p, &len, &why);
        if (rc == SPF_IOERR) {
            lr_error(sp->name, "spool: cannot read %s/%08" PRIu32 ".seg: %s", sp->dir, sp->rd_seq,
                     strerror(errno));
            break;
        }
        if (rc == SPF_BAD) {
            lose_rest(sp, sp->rd_seq, why, &res);
            continue;
        }
        uint64_t frame = LR_SPOOL_FRAME_HEADER + (uint64_t)len;
        if (res.count && res.bytes + frame > max_bytes)
            break;
        if (out_len + len > sp->rd_out_cap) {
            size_t ncap = sp->rd_out_cap ? sp->rd_out_cap : RBUF_CAP;
            while (ncap < out_len + len)
                ncap *= 2;
            sp->rd_out = realloc(sp->rd_out, ncap);
            if (!sp->rd_out)
                abort();
            sp->rd_out_cap = ncap;
        }
        memcpy(sp->rd_out + out_len, p, len);
        sp->rd_offs[res.count] = out_len;
        out_len += len;
        sp->rd.pos += frame;
        sp->rd_count++;
        window_slot slot = {.seq = sp->rd_seq, .frame = (uint32_t)frame, .end = sp->rd.pos};
        slot.stamp = sp->entry_time ? sp->entry_time(p, len) : 0;
        pthread_mutex_lock(&sp->lock);
        out[res.count].id = sp->win_base + sp->win_count;
        window_push(sp, &slot);
        sp->unread_entries--;
        sp->unread_bytes -= frame;
        pthread_mutex_unlock(&sp->lock);
        out[res.count].len = len;
        res.count++;
        res.bytes += frame;
    }
    for (size_t i = 0; i < res.count; i++)
        out[i].data = sp->rd_out + sp->rd_offs[i];
    pthread_mutex_unlock(&sp->rlock);
    return res;
}

void lr_spool_ack(lr_spool *sp, uint64_t id)
{
    pthread_mutex_lock(&sp->lock);
    if (id < sp->win_base || id - sp->win_base >= sp->win_count) {
        pthread_mutex_unlock(&sp->lock);
        return;
    }
    window_slot *s = &sp->win[(sp->win_head + (id - sp->win_base)) % sp->win_cap];
    if (!s->acked) {
        s->acked = true;
        sp->unacked_entries--;
        sp->unacked_bytes -= s->frame;
    }
    while (sp->win_count && sp->win[sp->win_head].acked) {
        window_slot *h = &sp->win[sp->win_head];
        sp->wm_seq = h->seq;
        sp->wm_end = h->end;
        sp->win_head = (sp->win_head + 1) % sp->win_cap;
        sp->win_count--;
        sp->win_base++;
    }
    pthread_mutex_unlock(&sp->lock);
}

bool lr_spool_checkpoint(lr_spool *sp)
{
    pthread_mutex_lock(&sp->lock);
    write_ack(sp);
    bool freed = drop_finished(sp);
    pthread_mutex_unlock(&sp->lock);
    return freed;
}

void lr_spool_get_stats(lr_spool *sp, lr_spool_stats *st)
{
    pthread_mutex_lock(&sp->lock);
    st->disk_bytes = sp->committed_bytes + sp->uncommitted;
    st->segments = (uint32_t)sp->nsegs;
    st->unread_entries = sp->unread_entries;
    st->unread_bytes = sp->unread_bytes;
    st->unacked_entries = sp->unacked_entries;
    st->unacked_bytes = sp->unacked_bytes;
    st->oldest_ms = sp->win_count ? sp->win[sp->win_head].stamp : 0;
    st->lost_bytes = sp->lost_bytes;
    st->committed_total = sp->committed_total;
    pthread_mutex_unlock(&sp->lock);
}

const char *lr_spool_dir(const lr_spool *sp)
{
    return sp->dir;
}

void lr_spool_close(lr_spool *sp)
{
    if (!sp)
        return;
    if (sp->w_fd >= 0) {
        /* uncommitted entries were never acknowledged to anyone: drop them */
        if (sp->w_pending)
            writer_fail(sp);
        else
            seal_active(sp);
    }
    pthread_mutex_lock(&sp->lock);
    write_ack(sp);
    drop_finished(sp);
    pthread_mutex_unlock(&sp->lock);
    spf_reader_free(&sp->rd);
    if (sp->dir_fd >= 0)
        close(sp->dir_fd);
    if (sp->lock_fd >= 0)
        close(sp->lock_fd); /* releases the flock */
    pthread_mutex_destroy(&sp->lock);
    pthread_mutex_destroy(&sp->rlock);
    free(sp->segs);
    free(sp->win);
    free(sp->w_buf);
    free(sp->rd_out);
    free(sp->rd_offs);
    free(sp->dir);
    free(sp->name);
    free(sp);
}
