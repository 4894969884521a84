/*
 * deadletter.h: an output's dead-letter file. One JSON object per line:
 *   {"time":"...","output":"es","reason":"HTTP 400: ...","attempts":3,
 *    "first_failure":"...","last_failure":"...","source":"c83","partition":0,
 *    "offset":1234,"record":{...the record's JSON...}}
 * (`record` holds the raw line as a string when the event has no JSON.)
 * Bounded by max_bytes: a full file refuses the write, and the caller keeps
 * the record (retries it) instead of losing it. Thread-safe (one mutex).
 */
#ifndef LR_DEADLETTER_H
#define LR_DEADLETTER_H

#include <logrelay/logrelay.h>
#include <stdint.h>

typedef struct lr_deadletter lr_deadletter;

/* Opens lazily on first write (directories created). Never NULL. */
lr_deadletter *lr_deadletter_create(const char *path, uint64_t max_bytes, const char *output_name);
void lr_deadletter_destroy(lr_deadletter *dl);
/* Append and flush one entry. 0 on success, -1 with err filled (full, I/O). */
int lr_deadletter_write(lr_deadletter *dl, const lr_event *ev, const char *reason, uint32_t attempts,
                        int64_t first_failure_ms, int64_t last_failure_ms, char *err, size_t errlen);
const char *lr_deadletter_path(const lr_deadletter *dl);

#endif
