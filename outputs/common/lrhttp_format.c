/*
 * lrhttp_format.c: a batch of events as one request body: json_lines
 * (NDJSON), json_array or raw_lines, taking whole events only, in order,
 * while they fit a byte budget. The JSON of an event is the core's shared
 * encoding (one object, no newline), copied as it is.
 * Threading: none of its own; the buffer belongs to the calling worker.
 */
#include <string.h>

#include "lrhttp.h"

const char *const lrhttp_format_names[] = {"json_lines", "json_array", "raw_lines", NULL};

const char *lrhttp_format_content_type(lrhttp_format f)
{
    switch (f) {
    case LRHTTP_JSON_ARRAY:
        return "application/json";
    case LRHTTP_RAW_LINES:
        return "text/plain";
    case LRHTTP_JSON_LINES:
        break;
    }
    return "application/x-ndjson";
}

/* The bytes of an event in format f, and whether a newline follows. */
static const char *event_bytes(lrhttp_format f, const lr_event *ev, size_t *len, bool *nl)
{
    if (f == LRHTTP_RAW_LINES) {
        *len = ev->raw_len;
        /* A line that already ends in a newline is not given a second one. */
        *nl = !(ev->raw_len > 0 && ev->raw[ev->raw_len - 1] == '\n');
        return ev->raw;
    }
    *len = ev->json ? ev->json_len : 0;
    *nl = f == LRHTTP_JSON_LINES;
    return ev->json;
}

size_t lrhttp_event_size(lrhttp_format f, const lr_event *ev)
{
    size_t len;
    bool nl;
    event_bytes(f, ev, &len, &nl);
    /* json_array: the separating comma (the first event's place is taken by
     * the closing bracket, so every event counts one byte of framing). */
    return len + (nl || f == LRHTTP_JSON_ARRAY ? 1 : 0);
}

int lrhttp_serialize(lrhttp_buf *out, lrhttp_format f, const lr_event *const *events, size_t n, size_t budget,
                     size_t *taken)
{
    bool array = f == LRHTTP_JSON_ARRAY;
    /* json_array: "[" here; each event then counts one byte for the comma
     * before it or, for the last one, the closing "]". */
    size_t used = array ? 1 : 0;
    size_t k = 0;
    *taken = 0;

    /* Measure first, so the buffer grows once. */
    for (; k < n && used <= budget; k++) {
        size_t sz = lrhttp_event_size(f, events[k]);
        if (sz > budget - used)
            break;
        used += sz;
    }
    if (k == 0 && n > 0)
        return LRHTTP_SER_TOO_LARGE;
    if (array && k == 0)
        used = 2; /* "[]" */
    if (lrhttp_buf_reserve(out, used) != 0)
        return LRHTTP_SER_NOMEM;

    /* The room is reserved: plain copies from here on. */
    char *p = out->data + out->len;
    if (array)
        *p++ = '[';
    for (size_t i = 0; i < k; i++) {
        size_t len;
        bool nl;
        const char *bytes = event_bytes(f, events[i], &len, &nl);
        if (array && i > 0)
            *p++ = ',';
        if (len)
            memcpy(p, bytes, len);
        p += len;
        if (nl)
            *p++ = '\n';
    }
    if (array)
        *p++ = ']';
    out->len = (size_t)(p - out->data);
    out->data[out->len] = '\0';
    *taken = k;
    return LRHTTP_SER_OK;
}
