/*
 * http_conf.c: the `http` output's option table, its instance context
 * (created by init on the main thread, read-only afterwards) and its worker
 * contexts (one libcurl handle and two buffers per worker thread).
 *
 * Secrets (auth.basic.password, auth.bearer.token, header values) are never
 * written to the log: messages name the option or the header, never a value.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http.h"

static const char *const http_methods[] = {"POST", "PUT", NULL};
static const char *const http_compressions[] = {"none", "gzip", NULL};

#define O(f) offsetof(http_config, f)
const lr_option http_options[] = {
    {"url", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_REQUIRED, O(url),
     "Where every batch is sent: http:// or https:// URL. Credentials in the URL are accepted but hidden in "
     "logs; prefer auth."},
    {"method", LR_OPT_ENUM, "POST", 0, 0, http_methods, 0, O(method), "HTTP method of each request."},
    {"format", LR_OPT_ENUM, "json_lines", 0, 0, lrhttp_format_names, 0, O(format),
     "Request body: json_lines (one JSON object per line, NDJSON), json_array (one JSON array of the "
     "records), raw_lines (the original lines, one per line)."},
    {"compression", LR_OPT_ENUM, "none", 0, 0, http_compressions, 0, O(compression),
     "gzip: compress each body and send Content-Encoding: gzip. Compressing takes the worker's CPU: with "
     "gzip, "
     "give the output workers: 2 or more."},
    {"compression_level", LR_OPT_INT, "6", 1, 9, NULL, 0, O(compression_level),
     "gzip level, 1 (fastest) to 9 (smallest); 6 is zlib's default. On access-log JSON lines level 1 "
     "compresses about twice as fast as 6, to 12% of the input instead of 7.5%."},
    {"headers", LR_OPT_MAP, NULL, 0, 0, NULL, 0, O(headers),
     "Extra request headers (name: value); values may use ${env:NAME} or ${file:/path}. Authorization, "
     "Content-Type and Content-Encoding are set through auth, content_type and compression."},
    {"auth.basic.user", LR_OPT_STRING, NULL, 0, 0, NULL, 0, O(basic_user),
     "HTTP basic authentication user name."},
    {"auth.basic.password", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_SECRET, O(basic_password),
     "HTTP basic authentication password (use ${file:...})."},
    {"auth.bearer.token", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_SECRET, O(bearer_token),
     "Sent as Authorization: Bearer TOKEN (use ${file:...}). Not together with auth.basic."},
    {"tls.ca_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, O(ca_file),
     "PEM file of the CAs that may sign the server's certificate (default: the system's store)."},
    {"tls.cert_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, O(cert_file),
     "Client certificate (PEM) for servers that require mutual TLS."},
    {"tls.key_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, O(key_file),
     "Private key (PEM) of tls.cert_file, when it is not in that file."},
    {"tls.verify", LR_OPT_BOOL, "true", 0, 0, NULL, 0, O(verify),
     "Check the server's certificate and host name. false is for tests only and logs a warning at start."},
    {"timeout", LR_OPT_DURATION, "30s", 1, 3600000, NULL, 0, O(timeout_ms),
     "Longest time for one request, from connecting to the end of the response; then it is retried."},
    {"connect_timeout", LR_OPT_DURATION, "10s", 1, 3600000, NULL, 0, O(connect_timeout_ms),
     "Longest time to establish the connection (TCP and TLS)."},
    {"content_type", LR_OPT_STRING, NULL, 0, 0, NULL, 0, O(content_type),
     "Content-Type header (default: application/x-ndjson, application/json or text/plain after format)."},
    {"max_body_bytes", LR_OPT_SIZE, "0", 0, (int64_t)HTTP_BODY_CAP, NULL, 0, O(max_body_bytes),
     "Most bytes in one request body, before compression; a batch that is larger goes in several requests "
     "and a single record that is larger is dead-lettered. 0 = one request per batch (up to 256MiB)."},
    LR_OPTIONS_END,
};
#undef O

/* ---- checks (main thread) -------------------------------------------- */

static bool starts_with_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Headers the module owns: a copy in `headers` would be sent twice or
 * contradict the options that set them. */
static int check_headers(lr_instance *inst, const lr_host *host, const http_config *conf)
{
    static const struct {
        const char *name, *instead;
    } owned[] = {
        {"Authorization", "auth.basic or auth.bearer.token"},
        {"Content-Type", "content_type"},
        {"Content-Encoding", "compression"},
        {"Content-Length", "nothing (it is computed)"},
        {"Transfer-Encoding", "nothing (it is computed)"},
    };
    for (size_t i = 0; i < conf->headers.count; i++) {
        const char *name = conf->headers.items[i].key;
        for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++) {
            if (strcasecmp(name, owned[k].name) == 0) {
                host->log(inst, LR_LOG_ERROR, "headers: '%s' is set by the module; use %s", name,
                          owned[k].instead);
                return -1;
            }
        }
    }
    return 0;
}

static int check_file(lr_instance *inst, const lr_host *host, const char *key, const char *path)
{
    if (path && access(path, R_OK) != 0) {
        host->log(inst, LR_LOG_ERROR, "%s: cannot read '%s'", key, path);
        return -1;
    }
    return 0;
}

static int check_config(lr_instance *inst, const lr_host *host, const http_config *conf)
{
    if (!conf->url || !(starts_with_ci(conf->url, "http://") || starts_with_ci(conf->url, "https://"))) {
        char safe[512];
        lrhttp_url_redact(conf->url ? conf->url : "", safe, sizeof safe);
        host->log(inst, LR_LOG_ERROR, "url '%s': must start with http:// or https://", safe);
        return -1;
    }
    bool basic = conf->basic_user || conf->basic_password;
    if (basic && conf->bearer_token) {
        host->log(inst, LR_LOG_ERROR, "auth: basic and bearer are mutually exclusive; set one of them");
        return -1;
    }
    if (conf->basic_password && !conf->basic_user) {
        host->log(inst, LR_LOG_ERROR, "auth.basic.password: needs auth.basic.user");
        return -1;
    }
    if (conf->key_file && !conf->cert_file) {
        host->log(inst, LR_LOG_ERROR, "tls.key_file: needs tls.cert_file");
        return -1;
    }
    if (check_file(inst, host, "tls.ca_file", conf->ca_file) != 0 ||
        check_file(inst, host, "tls.cert_file", conf->cert_file) != 0 ||
        check_file(inst, host, "tls.key_file", conf->key_file) != 0)
        return -1;
    if (check_headers(inst, host, conf) != 0)
        return -1;
    bool https = starts_with_ci(conf->url, "https://");
    if (!https && (conf->ca_file || conf->cert_file || conf->key_file || !conf->verify))
        host->log(inst, LR_LOG_WARN,
                  "tls.*: no effect with an http:// url (the connection is not encrypted)");
    else if (!conf->verify)
        host->log(inst, LR_LOG_WARN,
                  "tls.verify is false: output '%s' does not check the server's certificate or host name; "
                  "anyone on the path can read and change what it sends",
                  host->instance_name(inst));
    if (!https && (basic || conf->bearer_token))
        host->log(inst, LR_LOG_WARN, "auth: credentials are sent over an unencrypted http:// connection");
    return 0;
}

/* ---- instance context (main thread) ---------------------------------- */

int http_init(lr_instance *inst, const lr_host *host, const void *config, void **ctxp)
{
    const http_config *conf = config;
    char err[256];
    if (check_config(inst, host, conf) != 0)
        return -1;
    if (lrhttp_global_init(err, sizeof err) != 0) {
        host->log(inst, LR_LOG_ERROR, "%s", err);
        return -1;
    }
    http_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        host->log(inst, LR_LOG_ERROR, "out of memory");
        return -1;
    }
    c->inst = inst;
    c->host = host;
    c->conf = conf;
    c->format = (lrhttp_format)conf->format;
    c->gzip = conf->compression == HTTP_COMPRESS_GZIP;
    c->budget = conf->max_body_bytes ? (size_t)conf->max_body_bytes : HTTP_BODY_CAP;
    c->client = (lrhttp_client_opts){
        .method = conf->method == HTTP_METHOD_PUT ? "PUT" : "POST",
        .timeout_ms = conf->timeout_ms,
        .connect_timeout_ms = conf->connect_timeout_ms,
        .ca_file = conf->ca_file,
        .cert_file = conf->cert_file,
        .key_file = conf->key_file,
        .verify = conf->verify,
        .basic_user = conf->basic_user,
        .basic_password = conf->basic_password,
        .bearer_token = conf->bearer_token,
        .headers = &conf->headers,
        .content_type = conf->content_type ? conf->content_type : lrhttp_format_content_type(c->format),
        .response_max = 4096,
        .user_agent = "logrelay-http",
    };
    /* Build (and drop) one client now, so a header libcurl would refuse is
     * a start-up error rather than a failure in every worker. */
    lrhttp_client *probe = lrhttp_client_create(&c->client, err, sizeof err);
    if (!probe) {
        host->log(inst, LR_LOG_ERROR, "%s", err);
        free(c);
        return -1;
    }
    lrhttp_client_destroy(probe);

    c->c_requests = host->counter(inst, "http_requests");
    c->c_records = host->counter(inst, "records_sent");
    c->c_body_bytes = host->counter(inst, "body_bytes");
    c->c_wire_bytes = host->counter(inst, "wire_bytes");
    c->c_retryable = host->counter(inst, "requests_retryable");
    c->c_rejected = host->counter(inst, "requests_rejected");

    char safe[512];
    lrhttp_url_redact(conf->url, safe, sizeof safe);
    host->log(inst, LR_LOG_DEBUG, "%s %s, %s%s", c->client.method, safe, lrhttp_format_names[c->format],
              c->gzip ? ", gzip" : "");
    *ctxp = c;
    return 0;
}

void http_fini(void *ctx)
{
    free(ctx);
}

/* ---- worker context (worker thread) ---------------------------------- */

int http_worker_init(void *ctx, void **workerp)
{
    http_ctx *c = ctx;
    char err[256];
    http_worker *w = calloc(1, sizeof *w);
    if (!w) {
        c->host->log(c->inst, LR_LOG_ERROR, "out of memory");
        return -1;
    }
    lrhttp_buf_init(&w->body, HTTP_BODY_CAP);
    lrhttp_buf_init(&w->gz, HTTP_BODY_CAP + (HTTP_BODY_CAP >> 8) + 1024); /* deflate's worst case */
    w->client = lrhttp_client_create(&c->client, err, sizeof err);
    if (!w->client) {
        c->host->log(c->inst, LR_LOG_ERROR, "%s", err);
        free(w);
        return -1;
    }
    *workerp = w;
    return 0;
}

void http_worker_fini(void *ctx, void *worker)
{
    (void)ctx;
    http_worker *w = worker;
    if (!w)
        return;
    lrhttp_client_destroy(w->client);
    lrhttp_buf_free(&w->body);
    lrhttp_buf_free(&w->gz);
    free(w);
}
