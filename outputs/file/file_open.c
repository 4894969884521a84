/*
 * file_open.c: from a record's timestamp to an open file descriptor: strftime
 * expansion of the path, the small LRU of open files, creation of missing
 * directories, opening in append mode with the configured permissions, and
 * noticing a file that was moved away behind our back.
 *
 * Threading: path helpers are pure; everything taking a file_worker runs on
 * the output's one worker thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"

/* Room kept after an expanded path for the rotated names: ".1024.gz.tmp". */
#define FILE_SUFFIX_ROOM 16

/* ---- path expansion --------------------------------------------------- */

bool file_path_has_tokens(const char *path)
{
    for (const char *p = path; *p; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '%') {
            p++;
            continue;
        }
        if (p[1])
            return true;
    }
    return false;
}

int file_path_expand(const char *tmpl, int64_t timestamp_ms, char *out, size_t outlen)
{
    if (outlen <= FILE_SUFFIX_ROOM)
        return -1;
    /* Floor division: a record from before 1970 still gets its own second. */
    int64_t sec = timestamp_ms / 1000;
    if (timestamp_ms % 1000 < 0)
        sec--;
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return -1;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    /* The template is the user's path: that is the point of the option. */
    size_t n = strftime(out, outlen - FILE_SUFFIX_ROOM, tmpl, &tm);
#pragma GCC diagnostic pop
    return n == 0 ? -1 : 0;
}

/* ---- errors ----------------------------------------------------------- */

void file_err_set(file_err *e, int err, const char *op, const char *path)
{
    e->err = err;
    snprintf(e->what, sizeof e->what, "%s %s", op, path);
}

bool file_err_permanent(int err)
{
    switch (err) {
    case EISDIR:       /* the path names a directory */
    case ENAMETOOLONG: /* the expanded path or a rotated name is too long */
    case ELOOP:        /* symlink loop in the path */
    case EINVAL:       /* the file system refuses the name */
        return true;
    default:
        /* ENOSPC, EDQUOT, EIO, EAGAIN, EMFILE, ENFILE, EACCES, EPERM, ENOENT,
         * ENOTDIR, EROFS, EFBIG...: an operator can fix the sink (free space,
         * fix permissions, move a stray file) and the same write then works.
         * Retrying keeps the records; the core owns the backoff. */
        return false;
    }
}

/* ---- directories ------------------------------------------------------ */

int file_mkdir_parents(const char *path, file_err *e)
{
    char dir[PATH_MAX];
    size_t len = strlen(path);
    if (len >= sizeof dir) {
        file_err_set(e, ENAMETOOLONG, "mkdir", path);
        return -1;
    }
    memcpy(dir, path, len + 1);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0; /* relative name in the cwd, or a file in "/" */
    *slash = '\0';
    /* Walk down from the first component: mkdir of an existing directory is
     * a cheap EEXIST, and this only runs after an open failed with ENOENT. */
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0750) == 0) {
            /* Exactly 0750 whatever the umask: the directories hold logs. */
            (void)chmod(dir, 0750);
        } else if (errno != EEXIST) {
            file_err_set(e, errno, "mkdir", dir);
            return -1;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    return 0;
}

/* ---- slots ------------------------------------------------------------ */

ssize_t file_slot_find(const file_worker *w, const char *path)
{
    for (size_t i = 0; i < w->nslots; i++)
        if (w->slots[i].path && strcmp(w->slots[i].path, path) == 0)
            return (ssize_t)i;
    return -1;
}

size_t file_slot_victim(const file_worker *w)
{
    size_t best = 0;
    for (size_t i = 0; i < w->nslots; i++) {
        if (!w->slots[i].path)
            return i;
        if (w->slots[i].last_use < w->slots[best].last_use)
            best = i;
    }
    return best;
}

/* open(2) the path for appending. Creating with O_EXCL tells us whether the
 * file is new: only a file we created gets `mode` (exactly, via fchmod); an
 * existing file keeps the permissions its owner gave it. */
static int open_append(const char *path, uint32_t mode, bool *created, file_err *e)
{
    bool made_dirs = false;
    for (int attempt = 0; attempt < 4; attempt++) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, (mode_t)mode);
        if (fd >= 0) {
            (void)fchmod(fd, (mode_t)mode);
            *created = true;
            return fd;
        }
        int err = errno;
        if (err == EEXIST) {
            /* O_NONBLOCK only for the open: a FIFO without a reader fails
             * with ENXIO (retried) instead of blocking the worker forever. */
            fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
            if (fd >= 0) {
                int fl = fcntl(fd, F_GETFL);
                if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
                    file_err_set(e, errno, "fcntl", path);
                    close(fd);
                    return -1;
                }
                *created = false;
                return fd;
            }
            err = errno;
            if (err == ENOENT)
                continue; /* removed between the two opens: create it */
        } else if (err == ENOENT && !made_dirs) {
            if (file_mkdir_parents(path, e) != 0)
                return -1;
            made_dirs = true;
            continue;
        } else if (err == EINTR) {
            continue;
        }
        file_err_set(e, err, "open", path);
        return -1;
    }
    file_err_set(e, ENOENT, "open", path);
    return -1;
}

int file_slot_open(file_ctx *c, file_worker *w, file_slot *s, file_err *e)
{
    bool created = false;
    int fd = open_append(s->path, c->conf->mode, &created, e);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        file_err_set(e, errno, "fstat", s->path);
        close(fd);
        return -1;
    }
    s->fd = fd;
    s->regular = S_ISREG(st.st_mode);
    s->size = s->regular ? (uint64_t)st.st_size : 0;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->dirty = false;
    s->gen = ++w->next_gen;
    if (s->gen == 0) /* 0 means "not written" in file_evstate */
        s->gen = ++w->next_gen;
    s->checked_ms = c->host->monotonic_ms();
    c->host->counter_add(c->c_opened, 1);
    c->host->log(c->inst, LR_LOG_DEBUG, "%s %s (%llu bytes)", created ? "created" : "opened", s->path,
                 (unsigned long long)s->size);
    return 0;
}

void file_slot_close(file_ctx *c, file_slot *s)
{
    if (s->fd < 0)
        return;
    /* close(2) can report a delayed write error (NFS); the data was already
     * acknowledged, so the best we can do is say so. */
    if (close(s->fd) != 0 && errno != EINTR)
        c->host->log(c->inst, LR_LOG_ERROR, "close %s: %s", s->path, strerror(errno));
    s->fd = -1;
    s->dirty = false;
}

void file_slot_release(file_ctx *c, file_slot *s)
{
    file_slot_close(c, s);
    free(s->path);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

bool file_slot_is_stale(file_ctx *c, file_slot *s, int64_t now_ms)
{
    (void)c;
    if (s->fd < 0 || now_ms - s->checked_ms < 1000)
        return false;
    s->checked_ms = now_ms;
    struct stat st;
    if (stat(s->path, &st) != 0)
        return errno == ENOENT || errno == ENOTDIR; /* removed, or its directory moved */
    return st.st_dev != s->dev || st.st_ino != s->ino;
}
