/*
 * litset.c: see litset.h. Compiled at load; lr_litset_match runs per record
 * on the pipeline thread and allocates nothing.
 *
 * Search: a position is a candidate when its first two bytes are those of
 * an unanchored string (one byte for a one-byte string); candidates are then
 * verified byte by byte. With SSE2 sixteen positions are compared at a time
 * (two loads, a byte apart, shared by every string; case folded by OR 0x20
 * under (?i), which only adds candidates); the last positions are one more
 * block ending at the end of the subject, overlapping the one before, and a
 * subject shorter than a block is copied into a zero-padded buffer first,
 * so nothing is read past the subject.
 */
#include "route/litset.h"

#include "route/bytes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct lit {
    uint8_t len;
    bool anchored;
    char s[LR_LITSET_MAX_LEN]; /* lower case under (?i) */
} lit;

struct lr_litset {
    bool caseless;
    size_t n;
    lit lits[LR_LITSET_MAX_LITS];
    /* anchored strings (`^...`) */
    size_t na;
    uint8_t anch[LR_LITSET_MAX_LITS];
    size_t max_alen;
    /* unanchored strings, shortest first */
    size_t nu;
    uint8_t unanch[LR_LITSET_MAX_LITS];
    size_t min_ulen;
    /* their distinct first two bytes (folded under (?i)), and the first byte
     * of the one-byte strings, each repeated for a 16-byte compare */
    size_t npairs, nsingles;
    uint8_t pair0[LR_LITSET_MAX_LITS][16], pair1[LR_LITSET_MAX_LITS][16];
    uint8_t single[LR_LITSET_MAX_LITS][16];
};

/* ------------------------------------------------------------------------ */
/* Pattern analysis                                                          */
/* ------------------------------------------------------------------------ */

typedef struct plist {
    size_t n;
    lit v[LR_LITSET_MAX_LITS];
} plist;

typedef struct pstate {
    const char *p;
    size_t len;
    size_t pos;
    bool caseless;
} pstate;

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static unsigned char fold(unsigned char c)
{
    return (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

/* The literal byte at ps->pos (consumed), or -1 when what is there is not a
 * plain character of the subset. Punctuation that PCRE2 gives a meaning to
 * outside a class (\ ^ $ . [ ] | ( ) ? * + { }) only comes escaped. */
static int literal_char(pstate *ps)
{
    unsigned char c = (unsigned char)ps->p[ps->pos];
    if (c == '\\') {
        if (ps->pos + 1 >= ps->len)
            return -1;
        unsigned char e = (unsigned char)ps->p[ps->pos + 1];
        /* a backslash before a non-alphanumeric ASCII character is that character */
        if (e < 0x20 || e > 0x7e || is_alnum(e))
            return -1;
        ps->pos += 2;
        return e;
    }
    if (is_alnum(c) || (c != '\0' && strchr(" !\"#%&',-/:;<=>@_`~", c))) {
        ps->pos++;
        return c;
    }
    return -1;
}

static bool add_lit(plist *out, const lit *l)
{
    if (out->n == LR_LITSET_MAX_LITS)
        return false;
    out->v[out->n++] = *l;
    return true;
}

static bool parse_alt(pstate *ps, plist *out, bool top);

/* One branch: the strings it stands for (a cross product over its groups). */
static bool parse_seq(pstate *ps, plist *out, bool top)
{
    out->n = 1;
    memset(&out->v[0], 0, sizeof out->v[0]);
    if (top && ps->pos < ps->len && ps->p[ps->pos] == '^') {
        out->v[0].anchored = true;
        ps->pos++;
    }
    while (ps->pos < ps->len) {
        char c = ps->p[ps->pos];
        if (c == '|' || c == ')')
            break;
        if (c == '(') {
            ps->pos++;
            if (ps->pos < ps->len && ps->p[ps->pos] == '?') {
                if (ps->pos + 1 >= ps->len || ps->p[ps->pos + 1] != ':')
                    return false;
                ps->pos += 2;
            }
            plist *g = malloc(sizeof *g);
            plist *x = malloc(sizeof *x);
            bool ok = g && x && parse_alt(ps, g, false) && ps->pos < ps->len && ps->p[ps->pos] == ')';
            if (ok) {
                ps->pos++;
                x->n = 0;
                for (size_t i = 0; ok && i < out->n; i++) {
                    for (size_t j = 0; ok && j < g->n; j++) {
                        lit l = out->v[i];
                        if (l.len + g->v[j].len > LR_LITSET_MAX_LEN) {
                            ok = false;
                            break;
                        }
                        memcpy(l.s + l.len, g->v[j].s, g->v[j].len);
                        l.len = (uint8_t)(l.len + g->v[j].len);
                        ok = add_lit(x, &l);
                    }
                }
                if (ok)
                    memcpy(out, x, sizeof *x);
            }
            free(g);
            free(x);
            if (!ok)
                return false;
            continue;
        }
        int lc = literal_char(ps);
        if (lc < 0)
            return false;
        unsigned char b = ps->caseless ? fold((unsigned char)lc) : (unsigned char)lc;
        for (size_t i = 0; i < out->n; i++) {
            if (out->v[i].len == LR_LITSET_MAX_LEN)
                return false;
            out->v[i].s[out->v[i].len++] = (char)b;
        }
    }
    return true;
}

/* Branches separated by '|', up to a ')' (left in place) or the end. */
static bool parse_alt(pstate *ps, plist *out, bool top)
{
    plist *b = malloc(sizeof *b);
    if (!b)
        return false;
    bool ok = true;
    out->n = 0;
    for (;;) {
        if (!parse_seq(ps, b, top)) {
            ok = false;
            break;
        }
        for (size_t i = 0; ok && i < b->n; i++)
            ok = add_lit(out, &b->v[i]);
        if (!ok || ps->pos >= ps->len || ps->p[ps->pos] != '|')
            break;
        ps->pos++;
    }
    free(b);
    return ok;
}

static bool same_lit(const lit *a, const lit *b)
{
    return a->len == b->len && a->anchored == b->anchored && memcmp(a->s, b->s, a->len) == 0;
}

lr_litset *lr_litset_compile(const char *pattern, size_t len)
{
    pstate ps = {.p = pattern, .len = len};
    if (len >= 4 && memcmp(pattern, "(?i)", 4) == 0) {
        ps.caseless = true;
        ps.pos = 4;
    }
    plist *pl = malloc(sizeof *pl);
    lr_litset *ls = calloc(1, sizeof *ls);
    if (!pl || !ls || !parse_alt(&ps, pl, true) || ps.pos != len || pl->n == 0)
        goto fail;
    ls->caseless = ps.caseless;
    for (size_t i = 0; i < pl->n; i++) {
        const lit *l = &pl->v[i];
        if (l->len == 0)
            goto fail; /* matches everywhere: rare enough to leave to PCRE2 */
        bool dup = false;
        for (size_t j = 0; j < ls->n && !dup; j++)
            dup = same_lit(&ls->lits[j], l);
        if (!dup)
            ls->lits[ls->n++] = *l;
    }
    for (size_t i = 0; i < ls->n; i++) {
        const lit *l = &ls->lits[i];
        if (l->anchored) {
            ls->anch[ls->na++] = (uint8_t)i;
            if (l->len > ls->max_alen)
                ls->max_alen = l->len;
        }
    }
    /* unanchored strings shortest first, and their first bytes */
    ls->min_ulen = LR_LITSET_MAX_LEN;
    for (size_t want = 1; want <= LR_LITSET_MAX_LEN; want++) {
        for (size_t i = 0; i < ls->n; i++) {
            const lit *l = &ls->lits[i];
            if (l->anchored || l->len != want)
                continue;
            ls->unanch[ls->nu++] = (uint8_t)i;
            if (want < ls->min_ulen)
                ls->min_ulen = want;
            unsigned char b0 = (unsigned char)l->s[0] | (ls->caseless ? 0x20 : 0);
            unsigned char b1 = want > 1 ? (unsigned char)l->s[1] | (ls->caseless ? 0x20 : 0) : 0;
            bool seen = false;
            if (want == 1) {
                for (size_t k = 0; k < ls->nsingles && !seen; k++)
                    seen = ls->single[k][0] == b0;
                if (!seen)
                    memset(ls->single[ls->nsingles++], b0, 16);
                continue;
            }
            for (size_t k = 0; k < ls->npairs && !seen; k++)
                seen = ls->pair0[k][0] == b0 && ls->pair1[k][0] == b1;
            if (!seen) {
                memset(ls->pair0[ls->npairs], b0, 16);
                memset(ls->pair1[ls->npairs++], b1, 16);
            }
        }
    }
    free(pl);
    return ls;
fail:
    free(pl);
    free(ls);
    return NULL;
}

void lr_litset_free(lr_litset *ls)
{
    free(ls);
}

size_t lr_litset_count(const lr_litset *ls)
{
    return ls->n;
}

bool lr_litset_caseless(const lr_litset *ls)
{
    return ls->caseless;
}

/* ------------------------------------------------------------------------ */
/* Matching                                                                  */
/* ------------------------------------------------------------------------ */

static bool lit_at(const lr_litset *ls, const lit *l, const unsigned char *s)
{
    if (!ls->caseless)
        return lr_bytes_eq(s, l->s, l->len);
    for (size_t i = 0; i < l->len; i++)
        if (fold(s[i]) != (unsigned char)l->s[i])
            return false;
    return true;
}

/* Some unanchored string starts at s[q] and ends within s[0..len). */
static bool any_at(const lr_litset *ls, const unsigned char *s, size_t len, size_t q)
{
    if (q >= len)
        return false;
    for (size_t k = 0; k < ls->nu; k++) {
        const lit *l = &ls->lits[ls->unanch[k]];
        if (l->len > len - q)
            break; /* sorted by length */
        if (lit_at(ls, l, s + q))
            return true;
    }
    return false;
}

static bool has_high_byte(const unsigned char *s, size_t len)
{
    size_t i = 0;
    uint64_t acc = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < len; i++)
        acc |= s[i];
    return (acc & 0x8080808080808080ull) != 0;
}

#ifdef __SSE2__
/* Bit i set: position i of the 16 may start an unanchored string. Reads
 * s[0..17). *acc gets the bytes read ORed in. `npairs` and `nsingles` are
 * ls's, constants where the caller is specialised for them (the loops
 * unroll). */
static inline __attribute__((always_inline)) unsigned block_candidates(const lr_litset *ls, size_t npairs,
                                                                       size_t nsingles,
                                                                       const unsigned char *s,
                                                                       __m128i fold_bits, __m128i *acc)
{
    __m128i r0 = _mm_loadu_si128((const __m128i *)s);
    __m128i r1 = _mm_loadu_si128((const __m128i *)(s + 1));
    *acc = _mm_or_si128(*acc, _mm_or_si128(r0, r1));
    __m128i b0 = _mm_or_si128(r0, fold_bits), b1 = _mm_or_si128(r1, fold_bits);
    __m128i m = _mm_setzero_si128();
    for (size_t k = 0; k < npairs; k++) {
        __m128i x = _mm_cmpeq_epi8(b0, _mm_loadu_si128((const __m128i *)ls->pair0[k]));
        __m128i y = _mm_cmpeq_epi8(b1, _mm_loadu_si128((const __m128i *)ls->pair1[k]));
        m = _mm_or_si128(m, _mm_and_si128(x, y));
    }
    for (size_t k = 0; k < nsingles; k++)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(b0, _mm_loadu_si128((const __m128i *)ls->single[k])));
    return (unsigned)_mm_movemask_epi8(m);
}

/* Verifies the candidates `bits` of the block at s[p]. */
static bool verify(const lr_litset *ls, const unsigned char *s, size_t len, size_t p, unsigned bits)
{
    for (; bits; bits &= bits - 1)
        if (any_at(ls, s, len, p + (size_t)__builtin_ctz(bits)))
            return true;
    return false;
}

/* 1 match, 0 none; *high: s holds a byte >= 0x80. */
static inline __attribute__((always_inline)) int search_n(const lr_litset *ls, size_t npairs, size_t nsingles,
                                                          const unsigned char *s, size_t len, bool *high)
{
    const __m128i fold_bits = _mm_set1_epi8(ls->caseless ? 0x20 : 0);
    __m128i acc = _mm_setzero_si128();
    if (len < 17) {
        /* short: a zero-padded copy; candidates are verified on s itself */
        unsigned char buf[32] = {0};
        memcpy(buf, s, len);
        unsigned bits = block_candidates(ls, npairs, nsingles, buf, fold_bits, &acc) & ((1u << len) - 1);
        *high = _mm_movemask_epi8(acc) != 0;
        return verify(ls, s, len, 0, bits);
    }
    size_t p = 0;
    for (; p + 17 <= len; p += 16) {
        unsigned bits = block_candidates(ls, npairs, nsingles, s + p, fold_bits, &acc);
        if (bits && verify(ls, s, len, p, bits))
            return 1;
    }
    /* the last positions: one more block ending at the end, without the
     * positions already examined; it reaches len - 2, and the last byte
     * alone can only be a one-byte string */
    size_t q = len - 17;
    if (p < len - 1) {
        unsigned bits = block_candidates(ls, npairs, nsingles, s + q, fold_bits, &acc) & (0xffffu << (p - q));
        if (bits && verify(ls, s, len, q, bits))
            return 1;
    }
    if (nsingles && any_at(ls, s, len, len - 1))
        return 1;
    *high = _mm_movemask_epi8(acc) != 0;
    return 0;
}

/* The usual sets (up to four distinct starts) get an unrolled loop each. */
static int search(const lr_litset *ls, const unsigned char *s, size_t len, bool *high)
{
    switch (ls->nsingles ? 0 : ls->npairs) {
    case 1:
        return search_n(ls, 1, 0, s, len, high);
    case 2:
        return search_n(ls, 2, 0, s, len, high);
    case 3:
        return search_n(ls, 3, 0, s, len, high);
    case 4:
        return search_n(ls, 4, 0, s, len, high);
    default:
        return search_n(ls, ls->npairs, ls->nsingles, s, len, high);
    }
}
#else
static int search(const lr_litset *ls, const unsigned char *s, size_t len, bool *high)
{
    *high = has_high_byte(s, len);
    for (size_t q = 0; q + ls->min_ulen <= len; q++)
        if (any_at(ls, s, len, q))
            return 1;
    return 0;
}
#endif

int lr_litset_match(const lr_litset *ls, const char *subject, size_t len)
{
    const unsigned char *s = (const unsigned char *)subject;
    for (size_t k = 0; k < ls->na; k++) {
        const lit *l = &ls->lits[ls->anch[k]];
        if (l->len <= len && lit_at(ls, l, s))
            return 1;
    }
    bool undecided = false;
    /* A caseless ASCII letter may match a character of up to 3 UTF-8 bytes
     * (U+212A for k): the anchored strings looked at no more than this. */
    if (ls->caseless && ls->na)
        undecided = has_high_byte(s, len < 4 * ls->max_alen ? len : 4 * ls->max_alen);
    if (ls->nu) {
        bool high = false;
        if (search(ls, s, len, &high))
            return 1;
        undecided |= ls->caseless && high;
    }
    return undecided ? -1 : 0;
}
