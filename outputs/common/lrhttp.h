/*
 * lrhttp.h: the HTTP pieces every network output shares (http, and next
 * Elasticsearch, Datadog, S3), linked statically into each module as the
 * `lrhttp` library so no module copies them and none links the agent.
 *
 *   lrhttp_buf.c      growable byte buffer with a hard cap
 *   lrhttp_format.c   a batch as json_lines / json_array / raw_lines within a byte budget
 *   lrhttp_gzip.c     gzip (deflate with the gzip wrapper) into a buffer
 *   lrhttp_client.c   one libcurl easy handle per worker: keep-alive, timeouts, TLS,
 *                     auth and headers, capped response body, Retry-After
 *   lrhttp_status.c   result classification (retry / reject / delivered), Retry-After
 *                     parsing, URL redaction for messages
 *
 * Threading: a buffer or a client belongs to one worker thread at a time.
 * lrhttp_global_init may be called from any thread (pthread_once); the
 * rest holds no global state.
 */
#ifndef LRHTTP_H
#define LRHTTP_H

#include <logrelay/logrelay.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ------------------------------------------------------------------------ */
/* Growable buffer                                                           */
/* ------------------------------------------------------------------------ */

/* Bytes in data[0..len); data is NUL-terminated after len whenever it is not
 * NULL (handy for text). Appends that would take len past `max` fail. */
typedef struct lrhttp_buf {
    char *data;
    size_t len;
    size_t alloc; /* bytes allocated */
    size_t max;   /* hard cap on len */
} lrhttp_buf;

void lrhttp_buf_init(lrhttp_buf *b, size_t max);
void lrhttp_buf_free(lrhttp_buf *b);
/* Forget the content, keep the memory for the next use. */
void lrhttp_buf_reset(lrhttp_buf *b);
/* Room for `extra` more bytes. -1 when that passes the cap or memory runs out. */
int lrhttp_buf_reserve(lrhttp_buf *b, size_t extra);
/* Append n bytes: 0, or -1 (cap or memory) with the buffer unchanged. */
int lrhttp_buf_append(lrhttp_buf *b, const void *p, size_t n);
/* Append what fits under the cap (response capture). Returns the bytes taken. */
size_t lrhttp_buf_append_some(lrhttp_buf *b, const void *p, size_t n);

/* ------------------------------------------------------------------------ */
/* Batch serialisation                                                       */
/* ------------------------------------------------------------------------ */

typedef enum lrhttp_format {
    LRHTTP_JSON_LINES = 0, /* each record's JSON object + "\n" (NDJSON) */
    LRHTTP_JSON_ARRAY = 1, /* "[" obj "," obj ... "]" */
    LRHTTP_RAW_LINES = 2,  /* each original line + "\n" (none added when it already ends in one) */
} lrhttp_format;

/* {"json_lines", "json_array", "raw_lines", NULL}, in enum order: an option table's enum_values. */
extern const char *const lrhttp_format_names[];
/* Default Content-Type of a format. */
const char *lrhttp_format_content_type(lrhttp_format f);

enum {
    LRHTTP_SER_OK = 0,
    LRHTTP_SER_TOO_LARGE = 1, /* the first event alone does not fit the budget */
    LRHTTP_SER_NOMEM = -1,    /* out of memory, or the buffer's cap */
};

/* Append to `out` the body for events[0..n): as many whole events as fit in
 * `budget` bytes of body (framing included), in order. *taken is how many
 * went in. A body is never cut inside an event; n == 0 gives an empty body
 * ("[]" for json_array). Returns LRHTTP_SER_OK (taken >= 1 when n >= 1),
 * LRHTTP_SER_TOO_LARGE (taken 0: the caller rejects events[0]) or
 * LRHTTP_SER_NOMEM (taken 0, out unchanged). */
int lrhttp_serialize(lrhttp_buf *out, lrhttp_format f, const lr_event *const *events, size_t n, size_t budget,
                     size_t *taken);
/* Bytes one event takes in a body of format f, its separator included. */
size_t lrhttp_event_size(lrhttp_format f, const lr_event *ev);

/* ------------------------------------------------------------------------ */
/* gzip                                                                      */
/* ------------------------------------------------------------------------ */

/* Append the gzip encoding (RFC 1952) of in[0..len) to out at `level`
 * (1..9, or -1 for zlib's default). 0, or -1 (zlib error, cap, memory) with
 * out unchanged. */
int lrhttp_gzip(lrhttp_buf *out, const void *in, size_t len, int level);

/* ------------------------------------------------------------------------ */
/* Client: one libcurl easy handle                                           */
/* ------------------------------------------------------------------------ */

/* curl_global_init, once per process image of this library (pthread_once).
 * Call from a module's init (main thread). 0, or -1 with err filled. */
int lrhttp_global_init(char *err, size_t errlen);

typedef struct lrhttp_client_opts {
    const char *method;         /* "POST" (default when NULL) or "PUT" */
    int64_t timeout_ms;         /* whole request; 0 = none */
    int64_t connect_timeout_ms; /* 0 = libcurl's default */
    const char *ca_file;        /* NULL: the system's CA store */
    const char *cert_file;      /* client certificate (PEM) */
    const char *key_file;       /* its key (PEM); NULL: in cert_file */
    bool verify;                /* check the server's certificate and host name */
    const char *basic_user;     /* HTTP basic auth when not NULL */
    const char *basic_password;
    const char *bearer_token; /* "Authorization: Bearer ..." when not NULL */
    const lr_kvlist *headers; /* extra headers sent with every request (NULL: none) */
    const char *content_type; /* NULL: no Content-Type header */
    size_t response_max;      /* response body bytes kept; 0 = 4 KiB */
    const char *user_agent;   /* NULL: "logrelay" */
} lrhttp_client_opts;

typedef struct lrhttp_response {
    long status;      /* HTTP status; 0 when no response arrived */
    int curl_code;    /* CURLcode of the transfer; 0 = a response arrived */
    char error[256];  /* libcurl's message when curl_code != 0 */
    const char *body; /* response body (first response_max bytes), NUL-terminated */
    size_t body_len;
    bool body_truncated;    /* the server sent more than was kept */
    int64_t retry_after_ms; /* Retry-After as a delay from now; -1 when absent or unreadable */
    int64_t elapsed_ms;
    uint64_t bytes_sent; /* request body bytes on the wire */
} lrhttp_response;

typedef struct lrhttp_client lrhttp_client;

/* A client with the given options, copied (the strings may go away after).
 * NULL with err filled (never a secret in it). */
lrhttp_client *lrhttp_client_create(const lrhttp_client_opts *opts, char *err, size_t errlen);
void lrhttp_client_destroy(lrhttp_client *c);
/* Send body[0..len) to url, reusing the kept-alive connection when there is
 * one. content_encoding (e.g. "gzip") and extra_headers ("Name: value"
 * strings, NULL-terminated; NULL for none) apply to this request only.
 * Fills *resp, whose body stays valid until the next send or destroy.
 * Returns 0 when a response arrived (whatever its status), -1 on a transport
 * failure (resp->curl_code, resp->error). */
int lrhttp_client_send(lrhttp_client *c, const char *url, const void *body, size_t len,
                       const char *content_encoding, const char *const *extra_headers, lrhttp_response *resp);

/* ------------------------------------------------------------------------ */
/* Classification                                                            */
/* ------------------------------------------------------------------------ */

/* What a response means for the records in its body:
 *   no response (connection refused/reset/closed, DNS, TLS), timeout,
 *   408, 429, 5xx                          -> LR_RETRY
 *   any other status outside 2xx           -> LR_REJECT
 *   2xx                                    -> LR_DELIVERED
 * `reason` (may be NULL) gets "HTTP <status>: <first bytes of the body>",
 * "timeout: ..." or "connection error: ..."; "" when delivered. */
lr_result lrhttp_classify(const lrhttp_response *r, char *reason, size_t reasonlen);

/* Retry-After (RFC 9110): delay-seconds or an HTTP-date, as milliseconds
 * from `now` (a date in the past gives 0), capped at one hour. -1 when the
 * value is neither. */
int64_t lrhttp_parse_retry_after(const char *value, time_t now);

/* Copy url into out with any user:password@ replaced by "***@", for logs. */
void lrhttp_url_redact(const char *url, char *out, size_t outlen);

#endif
