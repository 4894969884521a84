/* log.c: see log.h. */
#include "util/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record/record.h"

static atomic_int current_level = LR_LOG_INFO;

void lr_log_set_level(lr_log_level level)
{
    atomic_store(&current_level, (int)level);
}

lr_log_level lr_log_get_level(void)
{
    return (lr_log_level)atomic_load(&current_level);
}

int lr_log_level_from_name(const char *name)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0)
            return i;
    }
    if (strcmp(name, "warning") == 0)
        return LR_LOG_WARN;
    return -1;
}

void lr_vlog(lr_log_level level, const char *component, const char *fmt, va_list ap)
{
    if ((int)level > atomic_load(&current_level))
        return;
    static const char *const tags[] = {"ERROR", "WARN ", "INFO ", "DEBUG"};
    char line[2048];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char stamp[25];
    lr_format_rfc3339_ms((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, stamp);
    int n = snprintf(line, sizeof line, "%s %s [%s] ", stamp, tags[level], component ? component : "agent");
    if (n < 0)
        return;
    if ((size_t)n < sizeof line) {
        int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
        if (m > 0)
            n += m;
    }
    if ((size_t)n >= sizeof line - 1) {
        n = (int)sizeof line - 5;
        memcpy(line + n, "...", 3);
        n += 3;
    }
    line[n++] = '\n';
    /* one write per line: lines from several threads never interleave */
    ssize_t w = write(STDERR_FILENO, line, (size_t)n);
    (void)w;
}

void lr_log(lr_log_level level, const char *component, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lr_vlog(level, component, fmt, ap);
    va_end(ap);
}
