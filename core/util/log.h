/*
 * log.h: the agent's own log (stderr, one line per message):
 *   2026-11-27T06:20:01.123Z INFO  [kafka] Assigned partitions: c83[0], c83[1]
 * Thread-safe (one write(2) per line). Secrets never go through here: callers
 * pass names and causes, not values.
 */
#ifndef LR_LOG_H
#define LR_LOG_H

#include <logrelay/logrelay.h>
#include <stdarg.h>

void lr_log_set_level(lr_log_level level);
lr_log_level lr_log_get_level(void);
/* "error" "warn" "info" "debug" -> level; -1 if unknown. */
int lr_log_level_from_name(const char *name);
void lr_log(lr_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lr_vlog(lr_log_level level, const char *component, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define lr_error(comp, ...) lr_log(LR_LOG_ERROR, comp, __VA_ARGS__)
#define lr_warn(comp, ...) lr_log(LR_LOG_WARN, comp, __VA_ARGS__)
#define lr_info(comp, ...) lr_log(LR_LOG_INFO, comp, __VA_ARGS__)
#define lr_debug(comp, ...) lr_log(LR_LOG_DEBUG, comp, __VA_ARGS__)

#endif
