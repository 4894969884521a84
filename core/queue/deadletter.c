/* deadletter.c: see deadletter.h. */
#include "queue/deadletter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "record/json_encode.h"
#include "record/record.h"
#include "util/buf.h"
#include "util/fs.h"

struct lr_deadletter {
    pthread_mutex_t lock;
    char *path;
    char *output;
    uint64_t max_bytes;
    uint64_t size;
    int fd;
    lr_buf line;
};

lr_deadletter *lr_deadletter_create(const char *path, uint64_t max_bytes, const char *output_name)
{
    lr_deadletter *dl = calloc(1, sizeof *dl);
    if (!dl)
        abort();
    pthread_mutex_init(&dl->lock, NULL);
    dl->path = strdup(path);
    dl->output = strdup(output_name);
    dl->max_bytes = max_bytes;
    dl->fd = -1;
    lr_buf_init(&dl->line, 0);
    return dl;
}

void lr_deadletter_destroy(lr_deadletter *dl)
{
    if (!dl)
        return;
    if (dl->fd >= 0)
        close(dl->fd);
    lr_buf_free(&dl->line);
    pthread_mutex_destroy(&dl->lock);
    free(dl->path);
    free(dl->output);
    free(dl);
}

const char *lr_deadletter_path(const lr_deadletter *dl)
{
    return dl->path;
}

static void append_time(lr_buf *b, int64_t ms)
{
    char ts[25];
    lr_format_rfc3339_ms(ms, ts);
    lr_buf_append_char(b, '"');
    lr_buf_append(b, ts, 24);
    lr_buf_append_char(b, '"');
}

int lr_deadletter_write(lr_deadletter *dl, const lr_event *ev, const char *reason, uint32_t attempts,
                        int64_t first_failure_ms, int64_t last_failure_ms, char *err, size_t errlen)
{
    int rc = -1;
    pthread_mutex_lock(&dl->lock);
    if (dl->fd < 0) {
        if (lr_mkdir_parents(dl->path, 0750) != 0) {
            snprintf(err, errlen, "cannot create the directory of dead-letter file %s: %s", dl->path,
                     strerror(errno));
            goto out;
        }
        dl->fd = open(dl->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (dl->fd < 0) {
            snprintf(err, errlen, "cannot open dead-letter file %s: %s", dl->path, strerror(errno));
            goto out;
        }
        struct stat st;
        dl->size = fstat(dl->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    }
    lr_buf *b = &dl->line;
    lr_buf_reset(b);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    lr_buf_append_str(b, "{\"time\":");
    append_time(b, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    lr_buf_append_str(b, ",\"output\":");
    lr_json_encode_string(b, dl->output, strlen(dl->output));
    lr_buf_append_str(b, ",\"reason\":");
    lr_json_encode_string(b, reason ? reason : "", reason ? strlen(reason) : 0);
    lr_buf_printf(b, ",\"attempts\":%u,\"first_failure\":", attempts);
    append_time(b, first_failure_ms);
    lr_buf_append_str(b, ",\"last_failure\":");
    append_time(b, last_failure_ms);
    lr_buf_append_str(b, ",\"source\":");
    lr_json_encode_string(b, ev->source ? ev->source : "", ev->source ? strlen(ev->source) : 0);
    lr_buf_printf(b, ",\"partition\":%d,\"offset\":%lld,\"record\":", (int)ev->partition,
                  (long long)ev->offset);
    if (ev->json)
        lr_buf_append(b, ev->json, ev->json_len);
    else
        lr_json_encode_string(b, ev->raw, ev->raw_len);
    lr_buf_append_str(b, "}\n");
    if (b->failed) {
        snprintf(err, errlen, "dead-letter entry too large");
        goto out;
    }
    if (dl->max_bytes && dl->size + b->len > dl->max_bytes) {
        snprintf(err, errlen, "dead-letter file %s is full (deadletter.max_bytes %llu)", dl->path,
                 (unsigned long long)dl->max_bytes);
        goto out;
    }
    if (lr_write_all(dl->fd, b->data, b->len) != 0) {
        snprintf(err, errlen, "cannot write dead-letter file %s: %s", dl->path, strerror(errno));
        goto out;
    }
    dl->size += b->len;
    rc = 0;
out:
    pthread_mutex_unlock(&dl->lock);
    return rc;
}
