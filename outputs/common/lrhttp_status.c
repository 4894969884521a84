/*
 * lrhttp_status.c: what an HTTP outcome means for the records that were in
 * the request (deliver, retry, reject), the dead-letter reason that says
 * why, Retry-After, and URLs made safe to log.
 * Threading: pure functions.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "lrhttp.h"

/* Bytes of the response body quoted in a reason: enough to show an API's
 * error message, short enough for a dead-letter line and a log line. */
#define EXCERPT_MAX 200
/* Longest Retry-After honoured: a server asking for more is capped, so a
 * typo on its side cannot park an output for days. */
#define RETRY_AFTER_MAX_MS (3600 * 1000)

/* The first bytes of a body as one printable line: control characters
 * become spaces, runs of spaces collapse, a multi-byte UTF-8 character is
 * never cut in half, "..." marks a cut. */
static void excerpt(const char *body, size_t len, bool truncated, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    size_t limit = outlen > 4 ? outlen - 4 : 0; /* room for "..." and the NUL */
    if (limit > EXCERPT_MAX)
        limit = EXCERPT_MAX;
    bool space = true; /* drops leading blanks */
    for (; i < len && o < limit; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch < 0x20 || ch == 0x7f || ch == ' ') {
            if (!space)
                out[o++] = ' ';
            space = true;
            continue;
        }
        space = false;
        if (ch >= 0x80) {
            /* Copy a whole UTF-8 sequence or stop before it. */
            size_t n = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 1;
            if (o + n > limit || i + n > len)
                break;
            memcpy(out + o, body + i, n);
            o += n;
            i += n - 1;
            continue;
        }
        out[o++] = (char)ch;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    if ((i < len || truncated) && outlen >= 4) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    if (outlen)
        out[o < outlen ? o : outlen - 1] = '\0';
}

lr_result lrhttp_classify(const lrhttp_response *r, char *reason, size_t reasonlen)
{
    char dummy[1];
    if (!reason) {
        reason = dummy;
        reasonlen = sizeof dummy;
    }
    reason[0] = '\0';
    if (r->curl_code != CURLE_OK) {
        /* No usable response: the server may be down, slow, or may even have
         * accepted the body before the connection failed. Always transient. */
        const char *kind = r->curl_code == CURLE_OPERATION_TIMEDOUT ? "timeout" : "connection error";
        snprintf(reason, reasonlen, "%s: %s", kind,
                 r->error[0] ? r->error : curl_easy_strerror((CURLcode)r->curl_code));
        return LR_RETRY;
    }
    long st = r->status;
    if (st >= 200 && st < 300)
        return LR_DELIVERED;
    char ex[EXCERPT_MAX + 4];
    excerpt(r->body ? r->body : "", r->body ? r->body_len : 0, r->body_truncated, ex, sizeof ex);
    if (ex[0])
        snprintf(reason, reasonlen, "HTTP %ld: %s", st, ex);
    else
        snprintf(reason, reasonlen, "HTTP %ld", st);
    if (st == 408 || st == 429 || st >= 500 || st < 100)
        return LR_RETRY;
    /* Other 4xx (and 1xx/3xx: redirects are not followed for a POST) will
     * get the same answer however often the body is sent. */
    return LR_REJECT;
}

int64_t lrhttp_parse_retry_after(const char *value, time_t now)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t len = strlen(value);
    while (len > 0 && isspace((unsigned char)value[len - 1]))
        len--;
    if (len == 0)
        return -1;
    size_t digits = 0;
    while (digits < len && isdigit((unsigned char)value[digits]))
        digits++;
    if (digits == len) {
        /* delay-seconds; anything longer than 7 digits is past the cap anyway */
        int64_t secs = 0;
        for (size_t i = 0; i < len && secs <= RETRY_AFTER_MAX_MS / 1000; i++)
            secs = secs * 10 + (value[i] - '0');
        int64_t ms = secs * 1000;
        return ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : ms;
    }
    char date[64];
    if (len >= sizeof date)
        return -1;
    memcpy(date, value, len);
    date[len] = '\0';
    /* An HTTP-date (IMF-fixdate, or the obsolete RFC 850 / asctime forms). */
    time_t t = curl_getdate(date, NULL);
    if (t == (time_t)-1)
        return -1;
    if (t <= now)
        return 0;
    int64_t ms = ((int64_t)t - (int64_t)now) * 1000;
    return ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : ms;
}

void lrhttp_url_redact(const char *url, char *out, size_t outlen)
{
    if (!outlen)
        return;
    const char *scheme = strstr(url, "://");
    const char *auth = scheme ? scheme + 3 : url;
    size_t hostpart = strcspn(auth, "/?#");
    const char *at = memchr(auth, '@', hostpart);
    /* Use the last '@' of the authority: a password may contain one. */
    for (const char *p = at; p && p < auth + hostpart;
         p = memchr(p + 1, '@', (size_t)(auth + hostpart - p - 1)))
        at = p;
    if (!at) {
        snprintf(out, outlen, "%s", url);
        return;
    }
    snprintf(out, outlen, "%.*s***%s", (int)(auth - url), url, at);
}
