/*
 * substitute.c: ${env:NAME} and ${file:PATH} in configuration values, so
 * secrets never have to sit in the YAML. A missing variable or unreadable
 * file is an error, never an empty string. Substituted text is a secret: no
 * message here ever contains it. `$${` writes a literal `${`.
 * Single-threaded (start-up, or a route compiling its `set:` values).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_internal.h"

char *lr_read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    lr_buf b;
    lr_buf_init(&b, max + 64);
    int err = 0;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        err = errno;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        err = EISDIR;
        goto out;
    }
    for (;;) {
        size_t room = max - b.len;
        if (room == 0) {
            /* Full: one more byte means the file is over the limit. */
            char c;
            ssize_t n = read(fd, &c, 1);
            if (n < 0 && errno == EINTR)
                continue;
            if (n != 0)
                err = n > 0 ? EFBIG : errno;
            break;
        }
        size_t want = room < 65536 ? room : 65536;
        if (!lr_buf_reserve(&b, want)) {
            err = ENOMEM;
            break;
        }
        ssize_t n = read(fd, b.data + b.len, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            err = errno;
            break;
        }
        if (n == 0)
            break;
        b.len += (size_t)n;
    }
out:
    close(fd);
    if (err) {
        lr_buf_free(&b);
        errno = err;
        return NULL;
    }
    char *data = lr_buf_steal(&b, len);
    if (!data)
        errno = ENOMEM;
    return data;
}

static const char *reason(int err)
{
    return err == EFBIG ? "file is too large" : strerror(err);
}

/* A relative ${file:...} path is relative to the YAML file that names it:
 * conf.d/kafka.yaml can say ${file:password.txt}. */
static char *resolve_path(const char *path, size_t len, const lr_cfg_node *where)
{
    lr_buf b;
    lr_buf_init(&b, 0);
    if (path[0] != '/' && where && where->file) {
        const char *slash = strrchr(where->file, '/');
        if (slash)
            lr_buf_append(&b, where->file, (size_t)(slash - where->file) + 1);
    }
    lr_buf_append(&b, path, len);
    return lr_buf_steal(&b, NULL);
}

static bool valid_env_name(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static int expand_env(const char *name, size_t n, const lr_cfg_node *where, const char *key, lr_buf *out,
                      lr_errors *errs)
{
    if (!valid_env_name(name, n)) {
        lr_errorf_key(errs, where, key, "invalid environment variable name '%.*s' in ${env:...}", (int)n,
                      name);
        return 1;
    }
    char var[256];
    if (n >= sizeof var) {
        lr_errorf_key(errs, where, key, "environment variable name '%.*s' is too long", (int)n, name);
        return 1;
    }
    memcpy(var, name, n);
    var[n] = '\0';
    const char *value = getenv(var);
    if (!value) {
        lr_errorf_key(errs, where, key, "environment variable '%s' is not set", var);
        return 1;
    }
    lr_buf_append_str(out, value);
    return 0;
}

static int expand_file(const char *path, size_t n, const lr_cfg_node *where, const char *key, lr_buf *out,
                       lr_errors *errs)
{
    if (n == 0) {
        lr_errorf_key(errs, where, key, "empty file name in ${file:}");
        return 1;
    }
    char *full = resolve_path(path, n, where);
    size_t len = 0;
    char *data = lr_read_file(full, LR_CFG_MAX_SECRET_FILE, &len);
    int nerr = 0;
    if (!data) {
        lr_errorf_key(errs, where, key, "cannot read file '%s' for ${file:...}: %s", full, reason(errno));
        nerr = 1;
        goto out;
    }
    if (memchr(data, '\0', len)) {
        lr_errorf_key(errs, where, key, "file '%s' for ${file:...} contains a NUL byte", full);
        nerr = 1;
        goto out;
    }
    /* Editors end files with a newline; a password never ends with one. */
    if (len && data[len - 1] == '\n') {
        len--;
        if (len && data[len - 1] == '\r')
            len--;
    }
    lr_buf_append(out, data, len);
out:
    if (data) {
        memset(data, 0, len); /* do not leave the secret in freed memory */
        free(data);
    }
    free(full);
    return nerr;
}

int lr_subst_expand(const char *in, size_t len, const lr_cfg_node *where, const char *key, lr_buf *out,
                    bool *substituted, lr_errors *errs)
{
    int nerr = 0;
    size_t i = 0;
    while (i < len) {
        if (in[i] != '$') {
            lr_buf_append_char(out, in[i++]);
            continue;
        }
        if (i + 2 < len && in[i + 1] == '$' && in[i + 2] == '{') {
            lr_buf_append(out, "${", 2);
            i += 3;
            continue;
        }
        if (i + 1 >= len || in[i + 1] != '{') {
            lr_buf_append_char(out, in[i++]);
            continue;
        }
        const char *ref = in + i + 2;
        const char *end = memchr(ref, '}', len - i - 2);
        if (!end) {
            lr_errorf_key(errs, where, key, "unterminated '${' (write '$${' for a literal '${')");
            return nerr + 1;
        }
        size_t n = (size_t)(end - ref);
        if (n >= 4 && !memcmp(ref, "env:", 4)) {
            nerr += expand_env(ref + 4, n - 4, where, key, out, errs);
        } else if (n >= 5 && !memcmp(ref, "file:", 5)) {
            nerr += expand_file(ref + 5, n - 5, where, key, out, errs);
        } else {
            lr_errorf_key(errs, where, key,
                          "unknown substitution '${%.*s}' (use ${env:NAME} or ${file:/path}; "
                          "write '$${' for a literal '${')",
                          (int)n, ref);
            nerr++;
        }
        if (substituted)
            *substituted = true;
        i = (size_t)(end - in) + 1;
    }
    return nerr;
}

char *lr_config_substitute(const char *in, const lr_cfg_node *where, lr_errors *errs, bool *substituted)
{
    lr_buf out;
    lr_buf_init(&out, 0);
    bool subst = false;
    int nerr = lr_subst_expand(in, strlen(in), where, NULL, &out, &subst, errs);
    if (substituted)
        *substituted = subst;
    if (nerr) {
        if (out.data)
            memset(out.data, 0, out.cap);
        lr_buf_free(&out);
        return NULL;
    }
    return lr_buf_steal(&out, NULL);
}
