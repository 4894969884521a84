/*
 * receiver.c: the HTTP sink of the end-to-end benchmark (scenario 5). Accepts
 * any POST/PUT on 127.0.0.1, reads and discards the body, answers 200 with an
 * empty body; GET /stats returns what it saw as JSON:
 *
 *   {"requests":N,"bytes":B,"lines":L,"first_mono":S,"last_mono":S}
 *
 * bytes are body bytes as received (compressed when the client gzips);
 * lines counts '\n' in the bodies, inflating gzip bodies first, only with
 * --count-lines (off by default so the receiver costs next to nothing);
 * first_mono/last_mono are CLOCK_MONOTONIC seconds when the first request
 * began and the last one ended, comparable with Python's time.monotonic().
 *
 *   e2e_receiver [--port N] [--count-lines]
 *
 * Prints "LISTEN 127.0.0.1:PORT" once it accepts connections (--port 0, the
 * default, takes a free port) and runs until SIGTERM/SIGINT.
 *
 * Threading: libmicrohttpd's internal epoll thread runs every callback; the
 * counters are atomics only because the main thread never touches them.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

static volatile sig_atomic_t g_stop;
static bool g_count_lines;
static atomic_uint_fast64_t g_requests, g_bytes, g_lines;
static _Atomic double g_first_mono = -1.0, g_last_mono = -1.0;

/* Per-request state: only needed to inflate gzip bodies for line counting. */
typedef struct req_state {
    bool started;
    bool gzip;
    bool zinit;
    z_stream z;
} req_state;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t count_nl(const char *p, size_t n)
{
    uint64_t c = 0;
    const char *end = p + n;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

static void count_body(req_state *st, const char *data, size_t len)
{
    if (!st->gzip) {
        atomic_fetch_add(&g_lines, count_nl(data, len));
        return;
    }
    if (!st->zinit) {
        memset(&st->z, 0, sizeof st->z);
        if (inflateInit2(&st->z, 16 + MAX_WBITS) != Z_OK)
            return;
        st->zinit = true;
    }
    unsigned char out[65536];
    st->z.next_in = (unsigned char *)data;
    st->z.avail_in = (uInt)len;
    do {
        st->z.next_out = out;
        st->z.avail_out = sizeof out;
        int rc = inflate(&st->z, Z_NO_FLUSH);
        atomic_fetch_add(&g_lines, count_nl((const char *)out, sizeof out - st->z.avail_out));
        if (rc == Z_STREAM_END) /* a body may hold several gzip members */
            inflateReset(&st->z);
        else if (rc != Z_OK && rc != Z_BUF_ERROR)
            break;
    } while (st->z.avail_in > 0 || st->z.avail_out == 0);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *body, const char *type)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)cls;
    (void)version;
    if (!strcmp(method, "GET")) {
        if (strcmp(url, "/stats"))
            return reply(conn, MHD_HTTP_NOT_FOUND, "", NULL);
        char body[256];
        snprintf(body, sizeof body,
                 "{\"requests\":%llu,\"bytes\":%llu,\"lines\":%llu,\"first_mono\":%.6f,\"last_mono\":%.6f}\n",
                 (unsigned long long)atomic_load(&g_requests), (unsigned long long)atomic_load(&g_bytes),
                 (unsigned long long)atomic_load(&g_lines), atomic_load(&g_first_mono),
                 atomic_load(&g_last_mono));
        return reply(conn, MHD_HTTP_OK, body, "application/json");
    }
    if (strcmp(method, "POST") && strcmp(method, "PUT"))
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "", NULL);

    req_state *st = *con_cls;
    if (!st) {
        /* first call: headers only */
        st = calloc(1, sizeof *st);
        if (!st)
            return MHD_NO;
        const char *enc = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Encoding");
        st->gzip = enc && !strcasecmp(enc, "gzip");
        *con_cls = st;
        if (atomic_load(&g_first_mono) < 0)
            atomic_store(&g_first_mono, mono_now());
        return MHD_YES;
    }
    if (*upload_data_size) {
        atomic_fetch_add(&g_bytes, *upload_data_size);
        if (g_count_lines)
            count_body(st, upload_data, *upload_data_size);
        *upload_data_size = 0; /* consumed: discarded */
        return MHD_YES;
    }
    atomic_fetch_add(&g_requests, 1);
    atomic_store(&g_last_mono, mono_now());
    return reply(conn, MHD_HTTP_OK, "", NULL);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    req_state *st = *con_cls;
    if (!st)
        return;
    if (st->zinit)
        inflateEnd(&st->z);
    free(st);
    *con_cls = NULL;
}

int main(int argc, char **argv)
{
    unsigned port = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc)
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--count-lines"))
            g_count_lines = true;
        else {
            fputs("usage: e2e_receiver [--port N] [--count-lines]\n", stderr);
            return 2;
        }
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, (uint16_t)port, NULL, NULL,
        on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "e2e_receiver: cannot listen on 127.0.0.1:%u\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("LISTEN 127.0.0.1:%u\n", info ? (unsigned)info->port : port);
    fflush(stdout);
    while (!g_stop)
        pause();
    MHD_stop_daemon(d);
    return 0;
}
