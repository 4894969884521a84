/*
 * path.h: field paths as routes write them, shared by conditions (`when:`)
 * and transforms (`set` / `remove` / `rename`).
 *
 *   transaction.request.headers.User-Agent      dotted names; '-' belongs to the name
 *   transaction.request.headers["content-type"] a quoted segment (any bytes, even dots)
 *   @timestamp                                   '@' and '_' are name characters
 *
 * A name is [A-Za-z_@][A-Za-z0-9_@-]*. Lookup follows lr_value_get_path:
 * a key that itself contains dots ("a.b") matches the path a.b; arrays are
 * searched element by element and the first element holding the rest of the
 * path wins.
 *
 * Memory: lr_path_parse fills a caller-owned struct whose storage is freed by
 * lr_path_free. A parsed path is read-only and may be used from any thread.
 */
#ifndef LR_ROUTE_PATH_H
#define LR_ROUTE_PATH_H

#include <logrelay/logrelay.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lr_path {
    char *text; /* segments joined with '.', NUL-terminated */
    size_t len;
    size_t nseg;
    uint32_t *seg_off; /* start of segment i in text; seg_off[nseg] == len + 1 */
    bool dotted_seg;   /* a quoted segment contains '.': text cannot be split at every dot */
} lr_path;

/* Parse a path at the start of s[0..len). Returns the bytes consumed (the
 * path ends at the first byte that cannot continue it), or 0 on error with
 * *err_off set to the offending byte offset and a message in err. */
size_t lr_path_parse(const char *s, size_t len, lr_path *out, size_t *err_off, char *err, size_t errlen);
/* Parse a whole string as one path (transform keys). Returns 0 or -1. */
int lr_path_parse_all(const char *s, size_t len, lr_path *out, char *err, size_t errlen);
void lr_path_free(lr_path *p);

/* Segment i of a path. */
static inline const char *lr_path_seg(const lr_path *p, size_t i, size_t *seg_len)
{
    *seg_len = p->seg_off[i + 1] - 1 - p->seg_off[i];
    return p->text + p->seg_off[i];
}

/* Value at `p` under the object `root`; NULL when absent. */
const lr_value *lr_path_get(const lr_value *root, const lr_path *p);

/* How many segments of p, starting at segment `from`, the object key
 * key[0..key_len) stands for: 1 for a plain match, more for a key that holds
 * dots ("a.b" stands for the two segments a, b); 0 when it does not match. */
size_t lr_path_key_span(const lr_path *p, size_t from, const char *key, size_t key_len);

#endif
