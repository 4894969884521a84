/* timeparse.c: see timeparse.h. Hot path for cdn_access (one call per line). */
#include "parse/timeparse.h"

int64_t lr_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil: exact for any proleptic Gregorian date. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Exactly `w` decimal digits at s; false if any is not a digit. */
static bool digits(const char *s, unsigned w, unsigned *out)
{
    unsigned v = 0;
    for (unsigned i = 0; i < w; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/* English month abbreviation, case-sensitive as every log writes it; 0 if unknown. */
static unsigned month_from_abbr(const char *s)
{
    /* pack three bytes into one integer and switch on it */
#define M3(a, b, c) (((unsigned)(a) << 16) | ((unsigned)(b) << 8) | (unsigned)(c))
    switch (M3((unsigned char)s[0], (unsigned char)s[1], (unsigned char)s[2])) {
    case M3('J', 'a', 'n'):
        return 1;
    case M3('F', 'e', 'b'):
        return 2;
    case M3('M', 'a', 'r'):
        return 3;
    case M3('A', 'p', 'r'):
        return 4;
    case M3('M', 'a', 'y'):
        return 5;
    case M3('J', 'u', 'n'):
        return 6;
    case M3('J', 'u', 'l'):
        return 7;
    case M3('A', 'u', 'g'):
        return 8;
    case M3('S', 'e', 'p'):
        return 9;
    case M3('O', 'c', 't'):
        return 10;
    case M3('N', 'o', 'v'):
        return 11;
    case M3('D', 'e', 'c'):
        return 12;
    default:
        return 0;
    }
#undef M3
}

static bool valid_date_time(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s)
{
    /* second 60 is a leap second: accepted, it lands on the next minute */
    return mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo) && h <= 23 && mi <= 59 && s <= 60;
}

static int64_t epoch_ms(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
                        unsigned msec)
{
    int64_t secs = lr_days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s;
    return secs * 1000 + msec;
}

/* Optional ".ddd..." fraction at s[*i]: milliseconds (truncated), advances *i. */
static unsigned fraction_ms(const char *s, size_t n, size_t *i)
{
    if (*i >= n || (s[*i] != '.' && s[*i] != ','))
        return 0;
    size_t j = *i + 1;
    unsigned ms = 0, k = 0;
    while (j < n && (unsigned)(unsigned char)s[j] - '0' <= 9) {
        if (k < 3)
            ms = ms * 10 + (unsigned)(s[j] - '0');
        k++;
        j++;
    }
    if (k == 0)
        return 0; /* a lone dot is not a fraction: leave it for the caller to reject */
    while (k < 3) {
        ms *= 10;
        k++;
    }
    *i = j;
    return ms;
}

bool lr_time_parse_clf(const char *s, size_t n, int64_t *ms, size_t *used)
{
    /* dd/Mon/yyyy:HH:MM:SS = 20 bytes, then [.fff] ' ' (+|-)hhmm */
    unsigned d, y, h, mi, sec, oh, om;
    if (n < 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' || s[14] != ':' || s[17] != ':')
        return false;
    if (!digits(s, 2, &d) || !digits(s + 7, 4, &y) || !digits(s + 12, 2, &h) || !digits(s + 15, 2, &mi) ||
        !digits(s + 18, 2, &sec))
        return false;
    unsigned mo = month_from_abbr(s + 3);
    if (!valid_date_time(y, mo, d, h, mi, sec))
        return false;
    size_t i = 20;
    unsigned msec = fraction_ms(s, n, &i);
    if (n - i < 6 || s[i] != ' ' || (s[i + 1] != '+' && s[i + 1] != '-'))
        return false;
    if (!digits(s + i + 2, 2, &oh) || !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
        return false;
    int64_t off = ((int64_t)oh * 60 + om) * 60000;
    /* local = UTC + offset, so UTC = local - offset */
    *ms = epoch_ms(y, mo, d, h, mi, sec, msec) - (s[i + 1] == '+' ? off : -off);
    *used = i + 6;
    return true;
}

bool lr_time_parse_iso(const char *s, size_t n, int64_t *ms)
{
    unsigned y, mo, d, h, mi, sec;
    if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        s[13] != ':' || s[16] != ':')
        return false;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) ||
        !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
        return false;
    if (!valid_date_time(y, mo, d, h, mi, sec))
        return false;
    size_t i = 19;
    unsigned msec = fraction_ms(s, n, &i);
    int64_t off = 0;
    if (i < n) {
        if (s[i] == 'Z' || s[i] == 'z') {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            unsigned oh, om;
            size_t j = i + 1;
            if (n - j < 4 || !digits(s + j, 2, &oh))
                return false;
            j += 2;
            if (s[j] == ':')
                j++;
            if (n - j < 2 || !digits(s + j, 2, &om) || oh > 23 || om > 59)
                return false;
            off = ((int64_t)oh * 60 + om) * 60000;
            if (s[i] == '-')
                off = -off;
            i = j + 2;
        }
    }
    if (i != n)
        return false;
    *ms = epoch_ms(y, mo, d, h, mi, sec, msec) - off;
    return true;
}

bool lr_time_parse_ctime(const char *s, size_t n, int64_t *ms)
{
    /* "Www Mmm dd HH:MM:SS YYYY", 24 bytes; the weekday is not checked
     * against the date (it adds nothing and some writers get it wrong). */
    unsigned d, h, mi, sec, y;
    if (n != 24 || s[3] != ' ' || s[7] != ' ' || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[19] != ' ')
        return false;
    for (int k = 0; k < 3; k++) {
        unsigned char c = (unsigned char)s[k];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return false;
    }
    unsigned mo = month_from_abbr(s + 4);
    if (s[8] == ' ') {
        if (!digits(s + 9, 1, &d))
            return false;
    } else if (!digits(s + 8, 2, &d)) {
        return false;
    }
    if (!digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec) ||
        !digits(s + 20, 4, &y))
        return false;
    if (!valid_date_time(y, mo, d, h, mi, sec))
        return false;
    *ms = epoch_ms(y, mo, d, h, mi, sec, 0);
    return true;
}
