/*
 * http.c: the `http` output module: its descriptor and deliver. A batch is
 * serialised (json_lines, json_array or raw_lines), optionally gzipped, and
 * sent in one request, or in several when it is larger than
 * max_body_bytes. The response decides the records' fate (lrhttp_classify):
 * 2xx delivered; connection errors, timeouts, 408, 429 and 5xx retried by
 * the core (with the server's Retry-After); any other status rejected, so
 * the core dead-letters the records with "HTTP <status>: <body excerpt>".
 *
 * At-least-once: a request that timed out may have been accepted by the
 * server; its records are retried and may then arrive twice.
 *
 * Threading: deliver runs on every worker thread at once
 * (LR_PLUGIN_MULTI_WORKER); each uses only its own http_worker and reads
 * the instance context. See http.h for the file map.
 */
#include <stdio.h>

#include "http.h"

/* One request: body for events[0..n) already in w->body. Returns the
 * classification, reason filled, Retry-After passed to the core. */
static lr_result send_body(http_ctx *c, http_worker *w, lr_batch *batch, size_t n, char *reason, size_t rlen)
{
    const char *payload = w->body.data;
    size_t len = w->body.len;
    if (c->gzip) {
        lrhttp_buf_reset(&w->gz);
        if (lrhttp_gzip(&w->gz, w->body.data, w->body.len, (int)c->conf->compression_level) != 0) {
            snprintf(reason, rlen, "gzip of a %zu-byte body failed (out of memory)", w->body.len);
            return LR_RETRY;
        }
        payload = w->gz.data;
        len = w->gz.len;
    }
    lrhttp_response resp;
    lrhttp_client_send(w->client, c->conf->url, payload, len, c->gzip ? "gzip" : NULL, NULL, &resp);
    const lr_host *h = c->host;
    h->counter_add(c->c_requests, 1);
    h->counter_add(c->c_wire_bytes, resp.bytes_sent);
    lr_result r = lrhttp_classify(&resp, reason, rlen);
    if (r == LR_DELIVERED) {
        h->counter_add(c->c_records, n);
        h->counter_add(c->c_body_bytes, w->body.len);
    } else if (r == LR_RETRY) {
        h->counter_add(c->c_retryable, 1);
        if (resp.retry_after_ms >= 0)
            h->set_retry_after(batch, resp.retry_after_ms);
    } else {
        h->counter_add(c->c_rejected, 1);
    }
    return r;
}

static void set_range(http_ctx *c, lr_batch *batch, size_t from, size_t to, lr_result r, const char *reason)
{
    for (size_t i = from; i < to; i++)
        c->host->set_result(batch, i, r, r == LR_DELIVERED ? NULL : reason);
}

static lr_result http_deliver(void *ctx, void *worker, lr_batch *batch)
{
    http_ctx *c = ctx;
    http_worker *w = worker;
    const size_t n = batch->count;
    char reason[256];
    size_t i = 0;
    while (i < n) {
        size_t taken = 0;
        lrhttp_buf_reset(&w->body);
        int rc = lrhttp_serialize(&w->body, c->format, batch->events + i, n - i, c->budget, &taken);
        if (rc == LRHTTP_SER_TOO_LARGE) {
            /* No request can ever carry this record. */
            snprintf(reason, sizeof reason,
                     "record of %zu bytes does not fit in a request body of %zu bytes "
                     "(max_body_bytes)",
                     lrhttp_event_size(c->format, batch->events[i]), c->budget);
            if (n == 1) {
                c->host->set_batch_reason(batch, reason);
                return LR_REJECT;
            }
            set_range(c, batch, i, i + 1, LR_REJECT, reason);
            i++;
            continue;
        }
        lr_result r;
        if (rc != LRHTTP_SER_OK) {
            snprintf(reason, sizeof reason, "out of memory building a request body");
            r = LR_RETRY;
            taken = n - i;
        } else {
            r = send_body(c, w, batch, taken, reason, sizeof reason);
        }
        if (i == 0 && taken == n) {
            /* The usual case: the whole batch in one request. */
            if (r != LR_DELIVERED)
                c->host->set_batch_reason(batch, reason);
            return r;
        }
        set_range(c, batch, i, i + taken, r, reason);
        i += taken;
        if (r == LR_RETRY) {
            /* The server is unwell: the rest waits for the core's retry
             * instead of being sent into the same failure now. */
            set_range(c, batch, i, n, LR_RETRY, reason);
            break;
        }
    }
    return LR_PARTIAL;
}

/* ---- descriptor -------------------------------------------------------- */

LR_OUTPUT_PLUGIN = {
    .abi_version = LR_ABI_VERSION,
    .struct_size = sizeof(lr_output_plugin),
    .build_signature = LR_BUILD_SIGNATURE,
    .name = "http",
    .version = "1.0.0",
    .description = "Send batches to an HTTP endpoint (POST/PUT; JSON lines, JSON array or raw lines; gzip; "
                   "basic/bearer auth; TLS)",
    .flags = LR_PLUGIN_MULTI_WORKER | LR_PLUGIN_NEEDS_JSON,
    .options = http_options,
    .config_size = sizeof(http_config),
    .init = http_init,
    .worker_init = http_worker_init,
    .deliver = http_deliver,
    .tick = NULL,
    .flush = NULL,
    .reopen = NULL,
    .worker_fini = http_worker_fini,
    .fini = http_fini,
};
