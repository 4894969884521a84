/*
 * http.h: shared declarations of the `http` output module (private to the
 * module; plugin authors only ever see include/logrelay/logrelay.h).
 *
 *   http.c       descriptor, deliver: body per request, send, results
 *   http_conf.c  option table, cross-option checks, instance and worker contexts
 *
 * The HTTP machinery (serialisation, gzip, libcurl, classification) is the
 * shared lrhttp library in outputs/common.
 *
 * Threading: the instance context (http_ctx) is written by init on the main
 * thread and only read afterwards, by every worker (LR_PLUGIN_MULTI_WORKER).
 * Each worker owns an http_worker: its libcurl handle (so its kept-alive
 * connection) and its body buffers.
 */
#ifndef LR_OUT_HTTP_H
#define LR_OUT_HTTP_H

#include <logrelay/logrelay.h>
#include <stdbool.h>
#include <stdint.h>

#include "lrhttp.h"

enum { HTTP_METHOD_POST = 0, HTTP_METHOD_PUT = 1 };
enum { HTTP_COMPRESS_NONE = 0, HTTP_COMPRESS_GZIP = 1 };

/* Hard cap on one request body (before compression), whatever the options
 * say: a bound on each worker's memory. */
#define HTTP_BODY_CAP ((size_t)256 << 20)

/* Filled by the core from the option table (http_conf.c). */
typedef struct http_config {
    char *url;
    int method;                /* HTTP_METHOD_* */
    int format;                /* lrhttp_format */
    int compression;           /* HTTP_COMPRESS_* */
    int64_t compression_level; /* gzip level, 1..9 */
    lr_kvlist headers;
    char *basic_user;
    char *basic_password; /* secret */
    char *bearer_token;   /* secret */
    char *ca_file;
    char *cert_file;
    char *key_file;
    bool verify;
    int64_t timeout_ms;
    int64_t connect_timeout_ms;
    char *content_type;
    uint64_t max_body_bytes;
} http_config;

extern const lr_option http_options[];

/* Instance context: read-only after init. */
typedef struct http_ctx {
    lr_instance *inst;
    const lr_host *host;
    const http_config *conf;
    lrhttp_format format;
    bool gzip;
    size_t budget;             /* body bytes per request (before compression) */
    lrhttp_client_opts client; /* points into conf */
    /* Counter handles: valid for the instance's lifetime, adding is thread-safe. */
    uint64_t *c_requests, *c_records, *c_body_bytes, *c_wire_bytes, *c_retryable, *c_rejected;
} http_ctx;

/* Worker context: one per worker thread. */
typedef struct http_worker {
    lrhttp_client *client;
    lrhttp_buf body; /* serialised records */
    lrhttp_buf gz;   /* the same, gzipped */
} http_worker;

/* ---- http_conf.c ------------------------------------------------------- */
int http_init(lr_instance *inst, const lr_host *host, const void *config, void **ctx);
void http_fini(void *ctx);
int http_worker_init(void *ctx, void **worker);
void http_worker_fini(void *ctx, void *worker);

#endif
