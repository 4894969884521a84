/*
 * lrhttp_client.c: one libcurl easy handle per worker. The handle is reused
 * for every request, so libcurl keeps the connection alive between batches
 * (and the TLS session); options that never change are set once at create,
 * the request-specific ones (URL, body, per-request headers) at each send.
 *
 * Secrets (basic password, bearer token, header values) are handed to
 * libcurl and never printed: error messages name options, not values.
 *
 * Threading: a client is used by one worker thread at a time. libcurl's
 * global state is initialised once through lrhttp_global_init; signals are
 * off (CURLOPT_NOSIGNAL), as a threaded program needs.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lrhttp.h"

#define RESPONSE_MAX_DEFAULT 4096

struct lrhttp_client {
    CURL *curl;
    char *method;
    char *bearer_header; /* "Authorization: Bearer ..." (secret) */
    char **headers;      /* "Name: value" lines sent with every request */
    size_t nheaders;
    char errbuf[CURL_ERROR_SIZE];
    lrhttp_buf body; /* captured response body (capped) */
    bool body_truncated;
    char retry_after[64]; /* raw Retry-After value of the last response */
};

/* ---- global init ------------------------------------------------------- */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int lrhttp_global_init(char *err, size_t errlen)
{
    pthread_once(&global_once, global_init_once);
    if (global_rc != CURLE_OK) {
        snprintf(err, errlen, "libcurl initialisation failed: %s", curl_easy_strerror(global_rc));
        return -1;
    }
    return 0;
}

/* ---- callbacks --------------------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    lrhttp_client *c = arg;
    size_t n = size * nmemb;
    /* Keep the first bytes for the reason; drop (but accept) the rest, so
     * the connection stays usable. */
    if (lrhttp_buf_append_some(&c->body, ptr, n) < n)
        c->body_truncated = true;
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *arg)
{
    lrhttp_client *c = arg;
    size_t n = size * nmemb;
    /* A new status line (after 100 Continue, or a redirect): forget the
     * previous response's headers. */
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        c->retry_after[0] = '\0';
        return n;
    }
    static const char name[] = "retry-after:";
    size_t nl = sizeof name - 1;
    if (n > nl && strncasecmp(ptr, name, nl) == 0) {
        size_t vlen = n - nl;
        while (vlen > 0 && (ptr[nl + vlen - 1] == '\r' || ptr[nl + vlen - 1] == '\n'))
            vlen--;
        if (vlen >= sizeof c->retry_after)
            vlen = 0; /* not a value we could read anyway */
        memcpy(c->retry_after, ptr + nl, vlen);
        c->retry_after[vlen] = '\0';
    }
    return n;
}

/* ---- create / destroy -------------------------------------------------- */

static char *header_line(const char *name, const char *value)
{
    size_t nlen = strlen(name), vlen = strlen(value);
    char *line = malloc(nlen + vlen + 3);
    if (!line)
        return NULL;
    memcpy(line, name, nlen);
    if (vlen) {
        memcpy(line + nlen, ": ", 2);
        memcpy(line + nlen + 2, value, vlen + 1);
    } else {
        /* libcurl sends "Name:" with an empty value only when written "Name;". */
        line[nlen] = ';';
        line[nlen + 1] = '\0';
    }
    return line;
}

static int add_line(lrhttp_client *c, char *line)
{
    char **h = line ? realloc(c->headers, (c->nheaders + 1) * sizeof *h) : NULL;
    if (!h) {
        free(line);
        return -1;
    }
    c->headers = h;
    c->headers[c->nheaders++] = line;
    return 0;
}

/* RFC 9110 token characters: what a header name may hold. */
static bool header_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", ch))
            return false;
    }
    return true;
}

/* No line breaks or other control characters (header injection). */
static bool header_value_ok(const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return false;
    }
    return true;
}

static int add_header(lrhttp_client *c, const char *name, const char *value, char *err, size_t errlen)
{
    if (!value)
        value = "";
    if (!header_name_ok(name)) {
        snprintf(err, errlen, "header name '%s' is not a valid HTTP token", name);
        return -1;
    }
    if (!header_value_ok(value)) {
        /* The value may be a secret: name the header only. */
        snprintf(err, errlen, "header '%s': the value contains a line break or control character", name);
        return -1;
    }
    if (add_line(c, header_line(name, value)) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void lrhttp_client_destroy(lrhttp_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    for (size_t i = 0; i < c->nheaders; i++)
        free(c->headers[i]);
    free(c->headers);
    free(c->method);
    if (c->bearer_header) {
        /* Do not leave the token in freed memory. */
        volatile char *p = c->bearer_header;
        while (*p)
            *p++ = '\0';
        free(c->bearer_header);
    }
    lrhttp_buf_free(&c->body);
    free(c);
}

#define SETOPT(opt, val)                                                                                     \
    do {                                                                                                     \
        CURLcode rc_ = curl_easy_setopt(c->curl, opt, val);                                                  \
        if (rc_ != CURLE_OK) {                                                                               \
            snprintf(err, errlen, "libcurl refused %s: %s", #opt, curl_easy_strerror(rc_));                  \
            goto fail;                                                                                       \
        }                                                                                                    \
    } while (0)

lrhttp_client *lrhttp_client_create(const lrhttp_client_opts *o, char *err, size_t errlen)
{
    if (lrhttp_global_init(err, errlen) != 0)
        return NULL;
    lrhttp_client *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    lrhttp_buf_init(&c->body, o->response_max ? o->response_max : RESPONSE_MAX_DEFAULT);
    c->method = strdup(o->method ? o->method : "POST");
    c->curl = curl_easy_init();
    if (!c->method || !c->curl) {
        snprintf(err, errlen, "%s", c->curl ? "out of memory" : "curl_easy_init failed");
        goto fail;
    }

    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_ERRORBUFFER, c->errbuf);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, c);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, c);
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(CURLOPT_USERAGENT, o->user_agent ? o->user_agent : "logrelay");
    if (o->timeout_ms > 0)
        SETOPT(CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    if (o->connect_timeout_ms > 0)
        SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);

    /* TLS */
    if (o->ca_file)
        SETOPT(CURLOPT_CAINFO, o->ca_file);
    if (o->cert_file)
        SETOPT(CURLOPT_SSLCERT, o->cert_file);
    if (o->key_file)
        SETOPT(CURLOPT_SSLKEY, o->key_file);
    SETOPT(CURLOPT_SSL_VERIFYPEER, o->verify ? 1L : 0L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, o->verify ? 2L : 0L);

    /* Auth: basic credentials are sent with the first request (no 401
     * round trip); the bearer token is a header of its own. */
    if (o->basic_user) {
        SETOPT(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        SETOPT(CURLOPT_USERNAME, o->basic_user);
        SETOPT(CURLOPT_PASSWORD, o->basic_password ? o->basic_password : "");
    }
    if (o->bearer_token) {
        size_t len = strlen("Authorization: Bearer ") + strlen(o->bearer_token) + 1;
        c->bearer_header = malloc(len);
        if (!c->bearer_header)
            goto oom;
        snprintf(c->bearer_header, len, "Authorization: Bearer %s", o->bearer_token);
    }
    if (o->bearer_token && !header_value_ok(o->bearer_token)) {
        snprintf(err, errlen, "the bearer token contains a line break or control character");
        goto fail;
    }
    /* POSTFIELDS makes a POST; another method only renames the request. */
    if (strcmp(c->method, "POST") != 0)
        SETOPT(CURLOPT_CUSTOMREQUEST, c->method);

    /* Headers of every request. "Expect:" (no value) stops libcurl's
     * 100-continue wait for large bodies: a round trip per batch for
     * nothing, or a 1 s stall with servers that ignore it. */
    if (add_line(c, strdup("Expect:")) != 0)
        goto oom;
    if (o->content_type && add_header(c, "Content-Type", o->content_type, err, errlen) != 0)
        goto fail;
    if (o->headers)
        for (size_t i = 0; i < o->headers->count; i++)
            if (add_header(c, o->headers->items[i].key, o->headers->items[i].value, err, errlen) != 0)
                goto fail;
    return c;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    lrhttp_client_destroy(c);
    return NULL;
}

/* ---- send -------------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct curl_slist *append(struct curl_slist *list, const char *line, bool *failed)
{
    if (*failed)
        return list;
    struct curl_slist *l = curl_slist_append(list, line);
    if (!l) {
        *failed = true;
        return list;
    }
    return l;
}

int lrhttp_client_send(lrhttp_client *c, const char *url, const void *body, size_t len,
                       const char *content_encoding, const char *const *extra_headers, lrhttp_response *resp)
{
    memset(resp, 0, sizeof *resp);
    resp->retry_after_ms = -1;
    lrhttp_buf_reset(&c->body);
    c->body_truncated = false;
    c->retry_after[0] = '\0';
    c->errbuf[0] = '\0';

    /* The header list for this request: fixed ones, then this request's. */
    bool failed = false;
    struct curl_slist *hdrs = NULL;
    char ce[64];
    for (size_t i = 0; i < c->nheaders; i++)
        hdrs = append(hdrs, c->headers[i], &failed);
    if (c->bearer_header)
        hdrs = append(hdrs, c->bearer_header, &failed);
    if (content_encoding) {
        snprintf(ce, sizeof ce, "Content-Encoding: %s", content_encoding);
        hdrs = append(hdrs, ce, &failed);
    }
    for (size_t i = 0; extra_headers && extra_headers[i]; i++)
        hdrs = append(hdrs, extra_headers[i], &failed);

    CURLcode rc = failed ? CURLE_OUT_OF_MEMORY : CURLE_OK;
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c->curl, CURLOPT_URL, url);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, len ? body : "");
    int64_t t0 = mono_ms();
    if (rc == CURLE_OK)
        rc = curl_easy_perform(c->curl);
    resp->elapsed_ms = mono_ms() - t0;
    /* The list must outlive the transfer only. */
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);

    resp->body = c->body.data ? c->body.data : "";
    resp->body_len = c->body.len;
    resp->body_truncated = c->body_truncated;
    if (rc != CURLE_OK) {
        resp->curl_code = (int)rc;
        snprintf(resp->error, sizeof resp->error, "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc));
        size_t el = strlen(resp->error);
        if (el && resp->error[el - 1] == '\n')
            resp->error[el - 1] = '\0';
        return -1;
    }
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_off_t up = 0;
    if (curl_easy_getinfo(c->curl, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK && up > 0)
        resp->bytes_sent = (uint64_t)up;
    if (c->retry_after[0])
        resp->retry_after_ms = lrhttp_parse_retry_after(c->retry_after, time(NULL));
    return 0;
}
