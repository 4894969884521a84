/*
 * setters.c: the typed setters every option goes through: sizes, durations,
 * booleans, integers, numbers, enums and file modes, and their reverse
 * (formatting a size or a duration for messages). One syntax everywhere,
 * documented in docs/configuration.md.
 *
 * Messages written to `err` never repeat the whole input (the caller adds it
 * when the option is not a secret). Pure functions; thread-safe.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/options.h"

/* Fraction digits beyond this are refused rather than silently rounded. */
#define MAX_DECIMALS 9

typedef struct unit {
    const char *name;
    uint64_t mult;
} unit;

/* Sizes: decimal (K, KB = 1000) and binary (KiB = 1024) units, matched
 * case-insensitively; "" is bytes. */
static const unit size_units[] = {
    {"", 1},
    {"b", 1},
    {"k", 1000ull},
    {"kb", 1000ull},
    {"kib", 1ull << 10},
    {"m", 1000000ull},
    {"mb", 1000000ull},
    {"mib", 1ull << 20},
    {"g", 1000000000ull},
    {"gb", 1000000000ull},
    {"gib", 1ull << 30},
    {"t", 1000000000000ull},
    {"tb", 1000000000000ull},
    {"tib", 1ull << 40},
};
#define SIZE_UNITS_TEXT "B, K, KB, KiB, M, MB, MiB, G, GB, GiB, T, TB or TiB"

/* Durations in milliseconds; "" is seconds. */
static const unit duration_units[] = {
    {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
};
#define DURATION_UNITS_TEXT "ms, s, m, h or d"

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* [start, end) of s without surrounding white space. */
static void trim(const char *s, const char **start, const char **end)
{
    const char *b = s;
    const char *e = s + strlen(s);
    while (b < e && isspace((unsigned char)*b))
        b++;
    while (e > b && isspace((unsigned char)e[-1]))
        e--;
    *start = b;
    *end = e;
}

/* A decimal number "12", "1.5", ".5": integer part, fraction as
 * frac/scale (trailing zeros dropped). Returns the end of the number, or
 * NULL when there is no digit. *status: 0 ok, 1 too large, 2 too many decimals. */
static const char *parse_decimal(const char *p, const char *end, uint64_t *ip, uint64_t *frac,
                                 uint64_t *scale, int *status)
{
    bool digits = false;
    *ip = 0;
    *frac = 0;
    *scale = 1;
    *status = 0;
    while (p < end && isdigit((unsigned char)*p)) {
        unsigned d = (unsigned)(*p - '0');
        if (*ip > (UINT64_MAX - d) / 10)
            *status = 1;
        else
            *ip = *ip * 10 + d;
        digits = true;
        p++;
    }
    if (p < end && *p == '.') {
        p++;
        const char *fstart = p;
        while (p < end && isdigit((unsigned char)*p))
            p++;
        const char *fend = p;
        while (fend > fstart && fend[-1] == '0')
            fend--;
        if (p > fstart)
            digits = true;
        if (fend - fstart > MAX_DECIMALS) {
            *status = 2;
        } else {
            for (const char *q = fstart; q < fend; q++) {
                *frac = *frac * 10 + (uint64_t)(*q - '0');
                *scale *= 10;
            }
        }
    }
    return digits ? p : NULL;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* number * mult, exactly. Returns 0, 1 (too large) or 2 (not whole). */
static int scale_exact(uint64_t ip, uint64_t frac, uint64_t scale, uint64_t mult, uint64_t *out)
{
    /* frac/scale * mult is whole iff scale/g divides frac, g = gcd(mult, scale);
     * dividing first keeps every product below mult. */
    uint64_t g = gcd(mult, scale);
    uint64_t sc = scale / g;
    if (frac % sc)
        return 2;
    uint64_t part = (frac / sc) * (mult / g);
    if (ip > (UINT64_MAX - part) / mult)
        return 1;
    *out = ip * mult + part;
    return 0;
}

static const unit *find_unit(const unit *units, size_t n, const char *u, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(units[i].name) == len && !strncasecmp(units[i].name, u, len))
            return &units[i];
    }
    return NULL;
}

/* Shared by sizes and durations: "<decimal> [unit]". */
static int parse_scaled(const char *s, const unit *units, size_t nunits, uint64_t *out, const char *what,
                        const char *example, const char *unit_list, const char *whole, char *err,
                        size_t errlen)
{
    const char *p, *end;
    trim(s, &p, &end);
    if (p == end) {
        seterr(err, errlen, "empty value (expected %s such as %s)", what, example);
        return -1;
    }
    if (*p == '-') {
        seterr(err, errlen, "%s cannot be negative", what);
        return -1;
    }
    uint64_t ip, frac, scale;
    int status;
    const char *q = parse_decimal(p, end, &ip, &frac, &scale, &status);
    if (!q) {
        seterr(err, errlen, "expected %s such as %s", what, example);
        return -1;
    }
    if (status == 2) {
        seterr(err, errlen, "too many decimal places (at most %d)", MAX_DECIMALS);
        return -1;
    }
    while (q < end && isspace((unsigned char)*q))
        q++;
    const unit *u = find_unit(units, nunits, q, (size_t)(end - q));
    if (!u) {
        seterr(err, errlen, "unknown unit '%.*s' (use %s)", (int)(end - q), q, unit_list);
        return -1;
    }
    int r = status == 1 ? 1 : scale_exact(ip, frac, scale, u->mult, out);
    if (r == 1) {
        seterr(err, errlen, "too large");
        return -1;
    }
    if (r == 2) {
        seterr(err, errlen, "not a whole number of %s", whole);
        return -1;
    }
    return 0;
}

int lr_parse_size(const char *s, uint64_t *out, char *err, size_t errlen)
{
    return parse_scaled(s, size_units, sizeof size_units / sizeof size_units[0], out, "a size",
                        "512KiB, 10MB or 1048576", SIZE_UNITS_TEXT, "bytes", err, errlen);
}

int lr_parse_duration(const char *s, int64_t *ms, char *err, size_t errlen)
{
    uint64_t v;
    if (parse_scaled(s, duration_units, sizeof duration_units / sizeof duration_units[0], &v, "a duration",
                     "500ms, 5s, 1m, 2h or 1d", DURATION_UNITS_TEXT, "milliseconds", err, errlen) < 0)
        return -1;
    if (v > INT64_MAX) {
        seterr(err, errlen, "too large");
        return -1;
    }
    *ms = (int64_t)v;
    return 0;
}

int lr_parse_bool(const char *s, bool *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    const char *p, *end;
    trim(s, &p, &end);
    size_t n = (size_t)(end - p);
    for (size_t i = 0; i < 3; i++) {
        if (strlen(yes[i]) == n && !strncasecmp(p, yes[i], n)) {
            *out = true;
            return 0;
        }
        if (strlen(no[i]) == n && !strncasecmp(p, no[i], n)) {
            *out = false;
            return 0;
        }
    }
    seterr(err, errlen, "expected true or false (also yes/no, on/off)");
    return -1;
}

int lr_parse_int(const char *s, int64_t *out, char *err, size_t errlen)
{
    const char *p, *end;
    trim(s, &p, &end);
    const char *d = p;
    if (d < end && (*d == '-' || *d == '+'))
        d++;
    if (d == end) {
        seterr(err, errlen, "expected an integer");
        return -1;
    }
    for (const char *q = d; q < end; q++) {
        if (!isdigit((unsigned char)*q)) {
            seterr(err, errlen, "expected an integer");
            return -1;
        }
    }
    char buf[32];
    if ((size_t)(end - p) >= sizeof buf) {
        seterr(err, errlen, "out of range for a 64-bit integer");
        return -1;
    }
    memcpy(buf, p, (size_t)(end - p));
    buf[end - p] = '\0';
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno == ERANGE) {
        seterr(err, errlen, "out of range for a 64-bit integer");
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

int lr_parse_double(const char *s, double *out, char *err, size_t errlen)
{
    const char *p, *end;
    trim(s, &p, &end);
    char buf[64];
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= sizeof buf) {
        seterr(err, errlen, "expected a number");
        return -1;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    /* strtod also takes hex, "inf" and "nan": a config wants none of them. */
    for (size_t i = 0; i < n; i++) {
        if (!strchr("0123456789+-.eE", buf[i])) {
            seterr(err, errlen, "expected a number");
            return -1;
        }
    }
    char *stop;
    errno = 0;
    double v = strtod(buf, &stop);
    if (*stop || stop == buf) {
        seterr(err, errlen, "expected a number");
        return -1;
    }
    if (errno == ERANGE || !isfinite(v)) {
        seterr(err, errlen, "out of range");
        return -1;
    }
    *out = v;
    return 0;
}

int lr_parse_enum(const char *s, const char *const *values, int *out, char *err, size_t errlen)
{
    size_t n = 0;
    for (; values && values[n]; n++) {
        if (!strcmp(values[n], s)) {
            *out = (int)n;
            return 0;
        }
    }
    char list[512];
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof list; i++) {
        int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", values[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    const char *hint = lr_suggest(s, values, n);
    if (hint)
        seterr(err, errlen, "expected one of: %s (did you mean '%s'?)", list, hint);
    else
        seterr(err, errlen, "expected one of: %s", list);
    return -1;
}

int lr_parse_mode(const char *s, uint32_t *out, char *err, size_t errlen)
{
    const char *p, *end;
    trim(s, &p, &end);
    if (end - p > 2 && p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
        p += 2;
    uint32_t v = 0;
    if (p == end) {
        seterr(err, errlen, "expected an octal file mode such as 0640");
        return -1;
    }
    for (const char *q = p; q < end; q++) {
        if (*q < '0' || *q > '7') {
            seterr(err, errlen, "expected an octal file mode such as 0640");
            return -1;
        }
        v = v * 8 + (uint32_t)(*q - '0');
        if (v > 07777) {
            seterr(err, errlen, "file mode above 07777");
            return -1;
        }
    }
    *out = v;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Formatting                                                                */
/* ------------------------------------------------------------------------ */

void lr_format_size(uint64_t bytes, char *out, size_t outlen)
{
    static const unit order[] = {
        {"TiB", 1ull << 40}, {"TB", 1000000000000ull}, {"GiB", 1ull << 30}, {"GB", 1000000000ull},
        {"MiB", 1ull << 20}, {"MB", 1000000ull},       {"KiB", 1ull << 10}, {"KB", 1000ull},
    };
    if (bytes) {
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
            if (bytes % order[i].mult == 0) {
                snprintf(out, outlen, "%" PRIu64 "%s", bytes / order[i].mult, order[i].name);
                return;
            }
        }
    }
    snprintf(out, outlen, "%" PRIu64 "B", bytes);
}

void lr_format_duration(int64_t ms, char *out, size_t outlen)
{
    static const unit order[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
    if (ms > 0) {
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
            if ((uint64_t)ms % order[i].mult == 0) {
                snprintf(out, outlen, "%" PRId64 "%s", ms / (int64_t)order[i].mult, order[i].name);
                return;
            }
        }
        snprintf(out, outlen, "%" PRId64 "ms", ms);
        return;
    }
    snprintf(out, outlen, ms == 0 ? "0s" : "%" PRId64 "ms", ms);
}
