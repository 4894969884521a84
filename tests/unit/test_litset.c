/*
 * Unit tests for the literal fast path of route regexes
 * (core/route/litset.c). PCRE2 is the source of truth: for every pattern of
 * the subset, generated subjects (random ASCII and bytes, mixed case, the
 * strings at the start, the end, overlapping, non-ASCII characters whose
 * case folds to ASCII letters, invalid UTF-8, NUL bytes, long subjects) must
 * get PCRE2's answer, or "ask PCRE2" only where that is allowed. Patterns
 * outside the subset must not be taken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route/litset.h"

/* ------------------------------------------------------------------------ */
/* PCRE2 as route conditions compile it                                      */
/* ------------------------------------------------------------------------ */

typedef struct ref {
    pcre2_code *re;
    bool jit;
    pcre2_match_data *md;
} ref;

static void ref_init(ref *r, const char *pattern)
{
    int code = 0;
    PCRE2_SIZE off = 0;
    r->re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                          &code, &off, NULL);
    if (!r->re)
        fail_msg("PCRE2 refuses %s", pattern);
    r->jit = pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE) == 0;
    r->md = pcre2_match_data_create(1, NULL);
}

static void ref_free(ref *r)
{
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->re);
}

/* PCRE2's answer; the interpreter and the JIT must agree. */
static int ref_match(const ref *r, const char *s, size_t len)
{
    int a = pcre2_match(r->re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_JIT, r->md, NULL);
    if (a < PCRE2_ERROR_NOMATCH)
        fail_msg("PCRE2 error %d", a);
    if (r->jit) {
        int b = pcre2_jit_match(r->re, (PCRE2_SPTR)s, len, 0, 0, r->md, NULL);
        assert_int_equal(a >= 0, b >= 0);
    }
    return a >= 0;
}

/* ------------------------------------------------------------------------ */
/* Subjects                                                                  */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

/* Byte sequences that matter to caseless UTF matching or to invalid UTF-8. */
static const char *const specials[] = {
    "\xE2\x84\xAA", /* U+212A KELVIN SIGN: caseless k */
    "\xC5\xBF",     /* U+017F LATIN SMALL LETTER LONG S: caseless s */
    "\xE2\x84\xAB", /* U+212B ANGSTROM SIGN */
    "\xC4\xB0",     /* U+0130 I WITH DOT ABOVE */
    "\xC4\xB1",     /* U+0131 DOTLESS I */
    "\xE1\xBA\x9E", /* U+1E9E CAPITAL SHARP S */
    "\xC3\xA9",     /* e acute */
    "\xC3",         /* truncated sequence */
    "\xFF",         /* never valid */
    "\x80",         /* lone continuation byte */
    "\xED\xA0\x80", /* surrogate */
    "\xC0\xAF",     /* overlong '/' */
    "\xF0\x9F\x98", /* truncated 4-byte sequence */
    "\n",
};

typedef struct subject {
    char s[4096];
    size_t len;
} subject;

static void put(subject *sub, const char *s, size_t n)
{
    if (sub->len + n > sizeof sub->s)
        n = sizeof sub->s - sub->len;
    memcpy(sub->s + sub->len, s, n);
    sub->len += n;
}

/* A word, with its letters' case changed at random (or not). */
static void put_word(subject *sub, const char *w, bool recase)
{
    for (size_t i = 0; w[i]; i++) {
        char c = w[i];
        if (recase && rnd(2)) {
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 32);
            else if (c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
        }
        put(sub, &c, 1);
    }
}

/* One generated subject: pieces of the pattern's words (whole, cut, with
 * letters swapped for special characters), filler from their alphabet,
 * random bytes and special sequences, in random order and length. */
static void make_subject(subject *sub, const char *const *words, size_t nwords, uint32_t kind)
{
    sub->len = 0;
    size_t target = kind % 7 == 0 ? rnd(8) : kind % 7 == 1 ? 1500 + rnd(2000) : rnd(200);
    while (sub->len < target) {
        const char *w = words[rnd((uint32_t)nwords)];
        size_t wl = strlen(w);
        switch (rnd(9)) {
        case 0:
        case 1:
            put_word(sub, w, true);
            break;
        case 2: { /* a cut word: the start or the end of one */
            size_t cut = 1 + rnd((uint32_t)wl);
            if (rnd(2))
                put(sub, w, cut);
            else
                put(sub, w + wl - cut, cut);
            break;
        }
        case 3: { /* a word with one letter made a special sequence */
            size_t at = rnd((uint32_t)wl);
            put(sub, w, at);
            const char *sp = specials[rnd(sizeof specials / sizeof specials[0])];
            put(sub, sp, strlen(sp));
            put(sub, w + at + 1, wl - at - 1);
            break;
        }
        case 4: { /* filler from the word's alphabet */
            size_t n = 1 + rnd(6);
            for (size_t i = 0; i < n; i++)
                put_word(sub, (char[]){w[rnd((uint32_t)wl)], 0}, true);
            break;
        }
        case 5: {
            const char *sp = specials[rnd(sizeof specials / sizeof specials[0])];
            put(sub, sp, strlen(sp));
            break;
        }
        case 6: { /* any byte, NUL included */
            char c = (char)rnd(256);
            put(sub, &c, 1);
            break;
        }
        default: { /* printable ASCII */
            size_t n = 1 + rnd(12);
            for (size_t i = 0; i < n; i++) {
                char c = (char)(0x20 + rnd(95));
                put(sub, &c, 1);
            }
            break;
        }
        }
    }
    /* now and then ASCII only, where the caseless path must decide alone */
    if (kind % 5 == 4)
        for (size_t i = 0; i < sub->len; i++)
            sub->s[i] = (char)((unsigned char)sub->s[i] & 0x7f);
}

/* ------------------------------------------------------------------------ */
/* The differential test                                                     */
/* ------------------------------------------------------------------------ */

typedef struct pcase {
    const char *pattern;
    size_t count; /* strings after expansion */
    const char *words[8];
} pcase;

static const pcase cases[] = {
    {"(?i)bot|crawler|spider", 3, {"bot", "crawler", "spider", "Mozilla/5.0 "}},
    {"^/wp-(admin|login)", 2, {"/wp-admin", "/wp-login", "/wp-", "/"}},
    {"nikto|sqlmap", 2, {"nikto", "sqlmap"}},
    {"(?i)nikto|sqlmap|nmap|masscan", 4, {"nikto", "sqlmap", "nmap", "masscan"}},
    {"(?i)k", 1, {"k", "K"}},
    {"(?i)s", 1, {"s", "S"}},
    {"(?i)kiss", 1, {"kiss", "kis", "ss"}},
    {"(?i)^ks", 1, {"ks", "k", "s"}},
    {"K", 1, {"K", "k"}},
    {"^GET|^HEAD|POST", 3, {"GET", "HEAD", "POST", " "}},
    {"^a|b", 2, {"a", "b", "c"}},
    {"a(b|c)(d|e)f", 4, {"abdf", "acef", "abef", "ab", "df"}},
    {"(?:x|yz)w", 2, {"xw", "yzw", "yz"}},
    {"\\.php", 1, {".php", "php", "."}},
    {"(?i)\\.PHP\\?", 1, {".php?", ".PHP", "?"}},
    {"(?i)a(|b)c", 2, {"ac", "abc", "ab"}},
    {"ab(c|)", 2, {"ab", "abc", "a"}},
    {"aa|aaa", 2, {"a", "aa"}},
    {"(?i)abab", 1, {"ab", "aba", "abab"}},
    {"(?i)@_`~ #", 1, {"@_`~ #", "@", "`", "~"}},
    {"(a|b|c|d)(e|f|g|h)(i|j|k|l)", 64, {"aei", "dhl", "a", "e", "l"}},
    {"(?i)0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR",
     1,
     {"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR", "0123456789", "abc"}},
    {"(?i)x|0123456789abcdefghij", 2, {"x", "0123456789abcdefghij", "X"}},
    {"^(?:\\/api|\\/v1)\\/", 2, {"/api/", "/v1/", "/"}},
    {"(?i)x|abcde|fghij|klmno|pqrst|uvw", 6, {"x", "abcde", "fghij", "pqrst", "uvw", "klmno"}},
    {"crawler|wl|awl", 3, {"crawler", "wl", "awler", "crawl"}},
};

/* Both searches: AVX2 where the CPU has it, and SSE2 alone. */
static void differential(bool avx2)
{
    subject *sub = malloc(sizeof *sub);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const pcase *pc = &cases[c];
        lr_litset *ls = lr_litset_compile(pc->pattern, strlen(pc->pattern));
        if (!ls)
            fail_msg("not taken by the fast path: %s", pc->pattern);
        lr_litset_use_avx2(ls, avx2);
        assert_int_equal(lr_litset_count(ls), pc->count);
        ref r;
        ref_init(&r, pc->pattern);
        size_t nwords = 0;
        while (nwords < 8 && pc->words[nwords])
            nwords++;
        size_t decided = 0, matched = 0, total = 5000;
        for (uint32_t k = 0; k < total; k++) {
            make_subject(sub, pc->words, nwords, k);
            int want = ref_match(&r, sub->s, sub->len);
            int got = lr_litset_match(ls, sub->s, sub->len);
            if (got < 0) {
                /* only a caseless set may leave the decision to PCRE2, and
                 * only for a subject with a non-ASCII byte */
                bool high = false;
                for (size_t i = 0; i < sub->len; i++)
                    high |= (unsigned char)sub->s[i] >= 0x80;
                if (!lr_litset_caseless(ls) || !high)
                    fail_msg("%s: undecided on an ASCII subject (case %u)", pc->pattern, k);
                continue;
            }
            decided++;
            matched += (size_t)got;
            if (got != want)
                fail_msg("%s: fast path says %d, PCRE2 %d, on %zu bytes (case %u): %.*s", pc->pattern, got,
                         want, sub->len, k, (int)(sub->len < 200 ? sub->len : 200), sub->s);
        }
        /* the generator exercises both answers, and the fast path decides most */
        assert_true(matched > 0 && matched < decided);
        assert_true(decided > total / 2);
        ref_free(&r);
        lr_litset_free(ls);
    }
    free(sub);
}

static void test_differential(void **state)
{
    (void)state;
    differential(true);
    differential(false);
}

/* Patterns for the position tests, with strings of theirs to place. They
 * cover each search variant: one to four pairs, more pairs with one-byte
 * strings, strings whose rarest pair is not at their start ("crawler" is
 * looked for by "wl"), anchored strings, the longest string. */
typedef struct pos_case {
    const char *pattern;
    const char *lits[5];
} pos_case;

static const pos_case pos_cases[] = {
    {"(?i)bot|crawler|spider", {"BoT", "cRaWlEr", "SPIDER"}},
    {"spider", {"spider"}},
    {"(?i)x", {"X"}},
    {"^abc|xyz", {"xyz", "abc"}},
    {"(?i)x|abcde|fghij|klmno|pqrst|uvw", {"x", "ABCDE", "uvw", "pqrst"}},
    {"(?i)nikto|sqlmap|nmap|masscan", {"NMAP", "masscan", "sqlMap"}},
    {"(?i)0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR",
     {"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopqr"}},
};

static void expect_ref(const lr_litset *ls, const ref *r, const char *buf, size_t len)
{
    int want = ref_match(r, buf, len), got = lr_litset_match(ls, buf, len);
    if (got != want)
        fail_msg("fast path says %d, PCRE2 %d, on %zu bytes: %.*s", got, want, len, (int)len, buf);
}

/* Every length around the block sizes, with each string at every position:
 * the short subjects gathered in a register, the two halves, the fixed
 * blocks and the loop, the overlapping last block; and each string cut by
 * either end of the subject, which must not match. */
static void test_positions(void **state)
{
    (void)state;
    char buf[256];
    for (size_t p = 0; p < 2 * (sizeof pos_cases / sizeof pos_cases[0]); p++) {
        const pos_case *pc = &pos_cases[p / 2];
        lr_litset *ls = lr_litset_compile(pc->pattern, strlen(pc->pattern));
        assert_non_null(ls);
        lr_litset_use_avx2(ls, p % 2 == 0);
        ref r;
        ref_init(&r, pc->pattern);
        for (size_t li = 0; li < 5 && pc->lits[li]; li++) {
            const char *lit = pc->lits[li];
            size_t ll = strlen(lit);
            for (size_t len = 0; len <= 200; len++) {
                memset(buf, '.', len);
                expect_ref(ls, &r, buf, len);
                for (size_t at = 0; at + ll <= len; at++) {
                    memset(buf, '.', len);
                    memcpy(buf + at, lit, ll);
                    expect_ref(ls, &r, buf, len);
                    if (at + ll == len && len > 0)
                        expect_ref(ls, &r, buf, len - 1);
                }
                if (ll > 1 && ll - 1 <= len) {
                    memset(buf, '.', len);
                    memcpy(buf, lit + 1, ll - 1);
                    expect_ref(ls, &r, buf, len);
                }
            }
        }
        ref_free(&r);
        lr_litset_free(ls);
    }
}

/* A byte >= 0x80 anywhere in a subject of any length makes a caseless set
 * without a match answer -1, and only then; a case-sensitive set decides
 * alone; a match stands whatever else the subject holds. */
static void test_high_byte_positions(void **state)
{
    (void)state;
    static const char *const pats[] = {"(?i)bot|crawler|spider", "bot|crawler|spider",
                                       "(?i)x|abcde|fghij|klmno|pqrst|uvw"};
    static const char *const lits[] = {"crawler", "crawler", "pqrst"};
    char buf[256];
    for (size_t p = 0; p < 2 * (sizeof pats / sizeof pats[0]); p++) {
        size_t pi = p / 2;
        lr_litset *ls = lr_litset_compile(pats[pi], strlen(pats[pi]));
        assert_non_null(ls);
        lr_litset_use_avx2(ls, p % 2 == 0);
        ref r;
        ref_init(&r, pats[pi]);
        int none = lr_litset_caseless(ls) ? -1 : 0;
        size_t ll = strlen(lits[pi]);
        for (size_t len = 1; len <= 170; len++) {
            for (size_t h = 0; h < len; h++) {
                memset(buf, '.', len);
                buf[h] = (char)0xE9;
                assert_int_equal(ref_match(&r, buf, len), 0);
                assert_int_equal(lr_litset_match(ls, buf, len), none);
                /* the string after the byte or before it */
                size_t at = h + 1 + ll <= len ? h + 1 : h >= ll ? h - ll : len;
                if (at == len)
                    continue;
                memcpy(buf + at, lits[pi], ll);
                assert_int_equal(ref_match(&r, buf, len), 1);
                assert_int_equal(lr_litset_match(ls, buf, len), 1);
            }
        }
        ref_free(&r);
        lr_litset_free(ls);
    }
}

/* Caseless sets leave non-ASCII subjects to PCRE2 where it could matter,
 * because Unicode folding maps U+212A to k and U+017F to s. */
static void test_caseless_unicode(void **state)
{
    (void)state;
    lr_litset *ls = lr_litset_compile("(?i)kiss", 8);
    assert_non_null(ls);
    assert_int_equal(lr_litset_match(ls, "\xE2\x84\xAAi\xC5\xBF\xC5\xBF", 8), -1); /* PCRE2: match */
    assert_int_equal(lr_litset_match(ls, "KISS \xC3\xA9", 7), 1);                  /* a match stands */
    assert_int_equal(lr_litset_match(ls, "kis", 3), 0);
    lr_litset_free(ls);
    /* anchored: only the bytes the strings could cover are looked at */
    ls = lr_litset_compile("(?i)^ab", 7);
    assert_non_null(ls);
    assert_int_equal(lr_litset_match(ls, "xy......\xC3\xA9", 10), 0);
    assert_int_equal(lr_litset_match(ls, "x\xC3\xA9", 3), -1);
    lr_litset_free(ls);
    /* case-sensitive sets decide everything */
    ls = lr_litset_compile("kiss", 4);
    assert_non_null(ls);
    assert_int_equal(lr_litset_match(ls, "\xE2\x84\xAAiss", 6), 0);
    assert_int_equal(lr_litset_match(ls, "\xFFkiss\xC3", 6), 1);
    lr_litset_free(ls);
}

/* A long subject of near misses: PCRE2 never reports a limit for a literal
 * set, so deciding without it (and without its limits) changes nothing. */
static void test_long_near_misses(void **state)
{
    (void)state;
    const char *pat = "(?i)bot|crawler|spider";
    size_t len = 1u << 20;
    char *s = malloc(len);
    for (size_t i = 0; i < len; i++)
        s[i] = "crawlespidebo"[i % 13];
    lr_litset *ls = lr_litset_compile(pat, strlen(pat));
    ref r;
    ref_init(&r, pat);
    pcre2_match_context *mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(mctx, 100000);
    pcre2_set_depth_limit(mctx, 2000);
    pcre2_set_heap_limit(mctx, 4096);
    int rc = pcre2_match(r.re, (PCRE2_SPTR)s, len, 0, PCRE2_NO_JIT, r.md, mctx);
    assert_int_equal(rc, PCRE2_ERROR_NOMATCH);
    assert_int_equal(lr_litset_match(ls, s, len), 0);
    memcpy(s + len - 3, "BOT", 3);
    assert_int_equal(lr_litset_match(ls, s, len), 1);
    pcre2_match_context_free(mctx);
    ref_free(&r);
    lr_litset_free(ls);
    free(s);
}

static void test_outside_subset(void **state)
{
    (void)state;
    static const char *const outside[] = {
        "a.b",
        "a$",
        "a*",
        "ab+",
        "a?",
        "a{2}",
        "[ab]",
        "\\d",
        "\\w+",
        "\\x41",
        "\\Qa\\E",
        "a\\",
        "(?x)a b",
        "(?i)a|(?-i)b",
        "(?-i)a",
        "(?im)a",
        "(?s)a",
        "^(a|^b)",
        "(a)^",
        "a^",
        "(?=a)",
        "(?<n>a)",
        "(a)\\1",
        "a]",
        "a}",
        "(a|b",
        "a)",
        "",
        "a|",
        "|a",
        "()",
        "(|)",
        "^",
        "caf\xC3\xA9",
        "a\tb",
        "(?i)x(?i)y",
        "x(?i)y",
        "^(?i)ab",
        "(?:)",
        "(?|a|b)",
        "(?>a)",
        "a(?#c)",
        "(a|b|c|d|e)(f|g|h|i|j)(k|l|m)",                                     /* 75 strings */
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS", /* 65 bytes */
        "(0123456789abcdefghijklmnopqrstuvwxyz|x)0123456789abcdefghijklmnopqrs",
    };
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        lr_litset *ls = lr_litset_compile(outside[i], strlen(outside[i]));
        if (ls)
            fail_msg("taken by the fast path: %s", outside[i]);
    }
    /* the subset's edges */
    lr_litset *ls = lr_litset_compile("0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR", 64);
    assert_non_null(ls);
    lr_litset_free(ls);
    ls = lr_litset_compile("a|a|^a", 6); /* duplicates count once */
    assert_non_null(ls);
    assert_int_equal(lr_litset_count(ls), 2);
    assert_false(lr_litset_caseless(ls));
    lr_litset_free(ls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential),        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_high_byte_positions), cmocka_unit_test(test_caseless_unicode),
        cmocka_unit_test(test_long_near_misses),    cmocka_unit_test(test_outside_subset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
