/*
 * file_rotate.c: size rotation of the `file` output (Filebeat's naming:
 * path.1 is the newest rotated file, path.N the oldest) and gzip of rotated
 * files.
 *
 * Crash safety of compression: path is renamed to path.1 first (so the
 * written data always has a name), then path.1 is compressed into
 * path.1.gz.tmp, fsynced, renamed to path.1.gz, and only then path.1 is
 * removed. Whatever the moment of a crash, one of these holds:
 *   - path.1 only (maybe with a stale .tmp): compress it again;
 *   - path.1 and a complete path.1.gz: the rename happened, remove path.1;
 * file_rotate_recover does exactly that before each rotation and when a file
 * is first opened. A partial .gz never carries the final name.
 *
 * Threading: called from the worker thread (deliver) only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "file.h"

#define GZ_CHUNK (64 * 1024)

/* path.K, path.K.gz or path.K.gz.tmp. file_path_expand keeps room for the
 * suffix, so a name that fits PATH_MAX never gets cut here. */
static void rotated_name_sfx(char *out, size_t outlen, const char *path, int64_t k, const char *suffix)
{
    snprintf(out, outlen, "%s.%lld%s", path, (long long)k, suffix);
}

static void rotated_name(char *out, size_t outlen, const char *path, int64_t k, bool gz)
{
    rotated_name_sfx(out, outlen, path, k, gz ? ".gz" : "");
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* rename, treating a missing source as done (gaps in the numbering are normal). */
static int rename_if_exists(const char *from, const char *to, file_err *e)
{
    if (rename(from, to) == 0 || errno == ENOENT)
        return 0;
    file_err_set(e, errno, "rename", from);
    return -1;
}

/* ---- gzip ------------------------------------------------------------- */

static int write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Stream `in` through deflate into `out`. -1 with errno set. */
static int deflate_fd(int in, int out, time_t mtime)
{
    int rc = -1;
    unsigned char *ibuf = malloc(GZ_CHUNK), *obuf = malloc(GZ_CHUNK);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    bool zinit = false;
    if (!ibuf || !obuf) {
        errno = ENOMEM;
        goto out;
    }
    /* windowBits 15 + 16: a gzip wrapper, so `zcat`/`gunzip` read it. */
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        errno = ENOMEM;
        goto out;
    }
    zinit = true;
    gz_header hdr;
    memset(&hdr, 0, sizeof hdr);
    hdr.time = (uLong)mtime;
    hdr.os = 3; /* Unix */
    deflateSetHeader(&zs, &hdr);

    int flush = Z_NO_FLUSH;
    do {
        ssize_t n = read(in, ibuf, GZ_CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
        zs.next_in = ibuf;
        zs.avail_in = (uInt)n;
        do {
            zs.next_out = obuf;
            zs.avail_out = GZ_CHUNK;
            int zr = deflate(&zs, flush);
            if (zr == Z_STREAM_ERROR) {
                errno = EIO;
                goto out;
            }
            if (write_all(out, obuf, GZ_CHUNK - zs.avail_out) != 0)
                goto out;
        } while (zs.avail_out == 0);
    } while (flush != Z_FINISH);
    rc = 0;
out:
    if (zinit)
        deflateEnd(&zs);
    free(ibuf);
    free(obuf);
    return rc;
}

int file_gzip(const char *src, const char *dst, file_err *e)
{
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    int in = -1, out = -1, rc = -1;
    struct stat st;

    in = open(src, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (in < 0 || fstat(in, &st) != 0) {
        file_err_set(e, errno, "open", src);
        goto fail;
    }
    /* A .tmp is only ever a leftover of an interrupted compression. */
    if (unlink(tmp) != 0 && errno != ENOENT) {
        file_err_set(e, errno, "unlink", tmp);
        goto fail;
    }
    out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, st.st_mode & 07777);
    if (out < 0) {
        file_err_set(e, errno, "create", tmp);
        goto fail;
    }
    (void)fchmod(out, st.st_mode & 07777);
    if (deflate_fd(in, out, st.st_mtime) != 0) {
        file_err_set(e, errno, "compress into", tmp);
        goto fail;
    }
    /* Durable before it takes the final name, so the name never points at
     * data that a power cut could still take away. */
    if (fsync(out) != 0) {
        file_err_set(e, errno, "fsync", tmp);
        goto fail;
    }
    int fd = out;
    out = -1;
    if (close(fd) != 0) {
        file_err_set(e, errno, "close", tmp);
        goto fail;
    }
    if (rename(tmp, dst) != 0) {
        file_err_set(e, errno, "rename", tmp);
        goto fail;
    }
    rc = 0;
    goto done;
fail:
    if (out >= 0)
        close(out);
    (void)unlink(tmp);
done:
    if (in >= 0)
        close(in);
    return rc;
}

/* gzip path.1 to path.1.gz and drop path.1; a failure leaves path.1 as it is
 * (uncompressed data is still data) and is logged once, here. */
static void compress_first(file_ctx *c, const char *path)
{
    char plain[PATH_MAX + 32], gz[PATH_MAX + 32];
    rotated_name(plain, sizeof plain, path, 1, false);
    rotated_name(gz, sizeof gz, path, 1, true);
    file_err e;
    if (file_gzip(plain, gz, &e) != 0) {
        c->host->log(c->inst, LR_LOG_ERROR, "%s: %s (rotated file left uncompressed)", e.what,
                     strerror(e.err));
        return;
    }
    if (unlink(plain) != 0 && errno != ENOENT)
        c->host->log(c->inst, LR_LOG_ERROR, "unlink %s: %s (compressed copy is %s)", plain, strerror(errno),
                     gz);
    c->host->counter_add(c->c_compressed, 1);
}

void file_rotate_recover(file_ctx *c, const char *path)
{
    char plain[PATH_MAX + 32], gz[PATH_MAX + 32], tmp[PATH_MAX + 32];
    rotated_name(plain, sizeof plain, path, 1, false);
    rotated_name(gz, sizeof gz, path, 1, true);
    rotated_name_sfx(tmp, sizeof tmp, path, 1, ".gz.tmp");
    if (!exists(plain)) {
        (void)unlink(tmp);
        return;
    }
    if (exists(gz)) {
        /* The .gz got its name, so it is complete: only the unlink was missed. */
        if (unlink(plain) != 0)
            c->host->log(c->inst, LR_LOG_ERROR, "unlink %s: %s", plain, strerror(errno));
        (void)unlink(tmp);
        return;
    }
    c->host->log(c->inst, LR_LOG_INFO, "compressing %s left by an interrupted rotation", plain);
    compress_first(c, path);
}

/* ---- rotation ---------------------------------------------------------- */

int file_rotate(file_ctx *c, file_worker *w, file_slot *s, file_err *e)
{
    const file_config *conf = c->conf;
    const int64_t keep = conf->keep;
    char from[PATH_MAX + 32], to[PATH_MAX + 32];

    if (conf->compress)
        file_rotate_recover(c, s->path);

    /* Make room: the oldest goes (both forms: compress may have been toggled). */
    for (int gz = 0; gz <= 1; gz++) {
        rotated_name(to, sizeof to, s->path, keep, gz);
        if (unlink(to) != 0 && errno != ENOENT) {
            file_err_set(e, errno, "unlink", to);
            return -1;
        }
    }
    for (int64_t k = keep - 1; k >= 1; k--) {
        for (int gz = 0; gz <= 1; gz++) {
            rotated_name(from, sizeof from, s->path, k, gz);
            rotated_name(to, sizeof to, s->path, k + 1, gz);
            if (rename_if_exists(from, to, e) != 0)
                return -1;
        }
    }
    /* The live file takes the name path.1. Until this succeeds the slot keeps
     * its descriptor, so a failed rotation loses nothing. */
    rotated_name(to, sizeof to, s->path, 1, false);
    if (rename(s->path, to) != 0) {
        file_err_set(e, errno, "rename", s->path);
        return -1;
    }
    file_slot_close(c, s);
    c->host->counter_add(c->c_rotations, 1);
    c->host->log(c->inst, LR_LOG_DEBUG, "rotated %s (%llu bytes)", s->path, (unsigned long long)s->size);
    if (conf->compress)
        compress_first(c, s->path);
    s->size = 0;
    return file_slot_open(c, w, s, e);
}
