/*
 * litset.c: see litset.h. Compiled at load; lr_litset_match runs per record
 * on the pipeline thread and allocates nothing.
 *
 * Search: each unanchored string is represented by two consecutive bytes of
 * it, the pair least likely in log text (a static estimate of byte
 * frequencies: "crawler" is looked for as "wl", not as the "cr" of every
 * CriOS user agent), or by its byte when it has only one. A position where
 * some pair (or single byte) occurs is a candidate, verified byte by byte
 * for every string whose pair sits at that distance from its start. With
 * SSE2 sixteen positions are compared at a time, with AVX2 thirty-two (two
 * loads a byte apart, shared by every string; case folded by OR 0x20 under
 * (?i), which only adds candidates), against byte vectors broadcast once at
 * compile. A first pass only ORs the blocks' candidates together, so the
 * usual subject, with none, costs no branch per block; the rare one with
 * some is searched again block by block. Nothing is read past the subject:
 * the last block ends at its end, overlapping the one before; a subject of
 * 17 to 33 bytes is one block of two 16-byte halves, the first and the last
 * 17 bytes; a shorter one is gathered into a register by overlapping word
 * loads.
 */
#include "route/litset.h"

#include "route/bytes.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define ALWAYS_INLINE inline __attribute__((always_inline))
/* For the loops over a set's pairs, where the count is a constant: GCC at
 * -O2 keeps them rolled otherwise, each vector reloaded per block. */
#define UNROLL _Pragma("GCC unroll 4")

typedef struct lit {
    uint8_t len;
    bool anchored;
    char s[LR_LITSET_MAX_LEN]; /* lower case under (?i) */
} lit;

/* Decides the unanchored strings on s[0..len): 1 a match; 0 none; -1 none
 * in a caseless set but s holds a byte >= 0x80 (ask PCRE2). */
typedef int (*search_fn)(const lr_litset *ls, const unsigned char *s, size_t len);

/* Laid out for the cache lines a match touches: a usual set (up to four
 * pairs, no one-byte string) searches with its first line only, the
 * counts, its search bytes and its short strings; larger sets load their
 * search vectors, whole, from the lines after the strings. */
struct lr_litset {
    search_fn search; /* specialised for the set's size and the CPU (lr_litset_use_avx2) */
    bool caseless;
    uint8_t n, na, nu; /* strings: all, anchored (`^...`), unanchored */
    uint8_t max_alen;
    uint8_t npairs, nsingles; /* distinct search pairs and one-byte strings */
    uint16_t anch_at;         /* where the anchored strings start in data, after the search bytes */
    uint16_t unanch_at;       /* where the unanchored strings start in data */
    uint16_t vec_at;          /* where the search vectors start, from the set's start, 32-byte aligned */
    /* The search bytes (the case folding bits, 0x20 under (?i) or else 0;
     * the pairs' first bytes; their second bytes; the one-byte strings'
     * bytes); the anchored strings, each as its length byte followed by
     * its bytes; the unanchored ones shortest first, each as its length
     * byte, the offset of its search pair and its bytes (lower case under
     * (?i)); then the search vectors. */
    unsigned char data[];
};

/* The search vectors: the search bytes in the same order, each repeated
 * 32 times (SSE2 reads the first 16). */
#define VEC_SIZE 32

static inline const unsigned char *vectors(const lr_litset *ls)
{
    return (const unsigned char *)ls + ls->vec_at;
}

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

/* How common byte c is in log fields (user agents, URLs, paths): 0 the
 * most common, larger rarer. A rough estimate from English letter
 * frequencies and the punctuation of HTTP fields; it only has to rank a
 * string's pairs, and a poor rank costs time, never an answer. */
static unsigned commonness(unsigned char c)
{
    static const char by_frequency[] =
        " e/.0ta1o2i3rn5s4l6c8972-h;dmpu(:)_=wgk,fbyMvASx&?CWKLIGHTNPFDBROEXj%zq"
        "UVY+JQZ\"'#@!<>`~";
    const char *at = c ? strchr(by_frequency, c) : NULL;
    return at ? (unsigned)(at - by_frequency) : sizeof by_frequency;
}

/* The offset of l's rarest pair of consecutive bytes (l->len >= 2); the
 * first one on a tie, so that short strings keep their start. */
static uint8_t rarest_pair(const lit *l)
{
    uint8_t best = 0;
    unsigned best_score = 0;
    for (uint8_t k = 0; k + 1 < l->len; k++) {
        unsigned score = commonness((unsigned char)l->s[k]) + commonness((unsigned char)l->s[k + 1]);
        if (k == 0 || score > best_score) {
            best = k;
            best_score = score;
        }
    }
    return best;
}

/* Appends l to d at *at: its length, the offset of its search pair when it
 * is unanchored, its bytes. */
static void pack(unsigned char *d, size_t *at, const lit *l, int pair_at)
{
    d[(*at)++] = l->len;
    if (pair_at >= 0)
        d[(*at)++] = (unsigned char)pair_at;
    memcpy(d + *at, l->s, l->len);
    *at += l->len;
}

lr_litset *lr_litset_compile(const char *pattern, size_t len)
{
    pstate ps = {.p = pattern, .len = len};
    if (len >= 4 && memcmp(pattern, "(?i)", 4) == 0) {
        ps.caseless = true;
        ps.pos = 4;
    }
    lr_litset h = {.caseless = ps.caseless};
    plist *pl = malloc(sizeof *pl);
    lit *uniq = malloc(LR_LITSET_MAX_LITS * sizeof *uniq);
    /* strings with their pair offsets */
    unsigned char *d = malloc(1 + 2 * LR_LITSET_MAX_LITS + LR_LITSET_MAX_LITS * (2 + LR_LITSET_MAX_LEN));
    unsigned char p0[LR_LITSET_MAX_LITS], p1[LR_LITSET_MAX_LITS], one[LR_LITSET_MAX_LITS];
    lr_litset *ls = NULL;
    if (!pl || !uniq || !d || !parse_alt(&ps, pl, true) || ps.pos != len || pl->n == 0)
        goto out;
    size_t n = 0;
    for (size_t i = 0; i < pl->n; i++) {
        const lit *l = &pl->v[i];
        if (l->len == 0)
            goto out; /* matches everywhere: rare enough to leave to PCRE2 */
        bool dup = false;
        for (size_t j = 0; j < n && !dup; j++)
            dup = same_lit(&uniq[j], l);
        if (!dup)
            uniq[n++] = *l;
    }
    h.n = (uint8_t)n;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (!uniq[i].anchored && uniq[i].len > 1)
            h.npairs++; /* at most: a first count, for the room the search bytes take */
        else if (!uniq[i].anchored)
            h.nsingles++;
    }
    at = h.anch_at = (uint16_t)(1 + 2 * h.npairs + h.nsingles);
    h.npairs = h.nsingles = 0;
    for (size_t i = 0; i < n; i++) {
        if (uniq[i].anchored) {
            pack(d, &at, &uniq[i], -1);
            h.na++;
            if (uniq[i].len > h.max_alen)
                h.max_alen = uniq[i].len;
        }
    }
    /* unanchored strings shortest first, and their search bytes */
    h.unanch_at = (uint16_t)at;
    unsigned char fold_bit = h.caseless ? 0x20 : 0;
    for (size_t want = 1; want <= LR_LITSET_MAX_LEN; want++) {
        for (size_t i = 0; i < n; i++) {
            const lit *l = &uniq[i];
            if (l->anchored || l->len != want)
                continue;
            h.nu++;
            bool seen = false;
            if (want == 1) {
                pack(d, &at, l, 0);
                unsigned char b = (unsigned char)l->s[0] | fold_bit;
                for (size_t k = 0; k < h.nsingles && !seen; k++)
                    seen = one[k] == b;
                if (!seen)
                    one[h.nsingles++] = b;
                continue;
            }
            uint8_t k0 = rarest_pair(l);
            pack(d, &at, l, k0);
            unsigned char b0 = (unsigned char)l->s[k0] | fold_bit;
            unsigned char b1 = (unsigned char)l->s[k0 + 1] | fold_bit;
            for (size_t k = 0; k < h.npairs && !seen; k++)
                seen = p0[k] == b0 && p1[k] == b1;
            if (!seen) {
                p0[h.npairs] = b0;
                p1[h.npairs++] = b1;
            }
        }
    }
    h.vec_at = (uint16_t)((offsetof(lr_litset, data) + at + VEC_SIZE - 1) / VEC_SIZE * VEC_SIZE);
    size_t nvec = 1 + 2 * (size_t)h.npairs + h.nsingles;
    /* whole cache lines, the first one starting the set */
    size_t size = (h.vec_at + nvec * VEC_SIZE + 63) / 64 * 64;
    ls = aligned_alloc(64, size);
    if (!ls)
        goto out;
    *ls = h;
    memset(d, 0, h.anch_at);
    d[0] = fold_bit;
    memcpy(d + 1, p0, h.npairs);
    memcpy(d + 1 + h.npairs, p1, h.npairs);
    memcpy(d + 1 + 2 * h.npairs, one, h.nsingles);
    memcpy(ls->data, d, at);
    unsigned char *v = (unsigned char *)ls + h.vec_at;
    memset(v, fold_bit, VEC_SIZE);
    v += VEC_SIZE;
    for (size_t k = 0; k < h.npairs; k++, v += VEC_SIZE)
        memset(v, p0[k], VEC_SIZE);
    for (size_t k = 0; k < h.npairs; k++, v += VEC_SIZE)
        memset(v, p1[k], VEC_SIZE);
    for (size_t k = 0; k < h.nsingles; k++, v += VEC_SIZE)
        memset(v, one[k], VEC_SIZE);
    lr_litset_use_avx2(ls, true);
out:
    free(pl);
    free(uniq);
    free(d);
    return ls;
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

bool lr_litset_anchored_only(const lr_litset *ls)
{
    return ls->nu == 0;
}

/* ------------------------------------------------------------------------ */
/* Verification                                                              */
/* ------------------------------------------------------------------------ */

/* The string l[0..n) (lower case under (?i)) is at s. */
static inline bool lit_at(const lr_litset *ls, const unsigned char *l, size_t n, const unsigned char *s)
{
    if (!ls->caseless)
        return lr_bytes_eq(s, l, n);
    for (size_t i = 0; i < n; i++)
        if (fold(s[i]) != l[i])
            return false;
    return true;
}

/* Some unanchored string lies within s[0..len) with its search pair (or
 * its only byte) at s[q]. */
static bool any_at(const lr_litset *ls, const unsigned char *s, size_t len, size_t q)
{
    const unsigned char *l = ls->data + ls->unanch_at;
    for (size_t k = 0; k < ls->nu; k++, l += 2 + l[0]) {
        size_t n = l[0], off = l[1];
        if (off <= q && n <= len - (q - off) && lit_at(ls, l + 2, n, s + q - off))
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
/* Verifies the candidates `bits` of the block at s[p]. Out of line, as the
 * whole second pass (see verify_halves). */
static __attribute__((noinline)) int verify(const lr_litset *ls, const unsigned char *s, size_t len, size_t p,
                                            unsigned bits)
{
    for (; bits; bits &= bits - 1)
        if (any_at(ls, s, len, p + (size_t)__builtin_ctz(bits)))
            return 1;
    return 0;
}

/* The last byte: only a one-byte string can be there, and the blocks' pairs
 * end a byte before it. */
static bool single_at_end(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return ls->nsingles && any_at(ls, s, len, len - 1);
}

/* The second pass, for the rare subject with candidates, out of line so
 * that the first pass is a leaf that saves no register: the candidates of
 * a block of two halves (the first and the last 17 bytes of s, 17 <= len
 * <= 33), and the last byte. */
static __attribute__((noinline)) int verify_halves(const lr_litset *ls, const unsigned char *s, size_t len,
                                                   unsigned bits, int none)
{
    return verify(ls, s, len, 0, bits & 0xffffu) || verify(ls, s, len, len - 17, bits >> 16) ||
                   single_at_end(ls, s, len)
               ? 1
               : none;
}

/* What a search without a match answers, given whether s holds a byte >=
 * 0x80. */
static ALWAYS_INLINE int no_match(const lr_litset *ls, bool high)
{
    return -(int)(high & ls->caseless);
}

/* ------------------------------------------------------------------------ */
/* SSE2: sixteen positions at a time                                        */
/* ------------------------------------------------------------------------ */

/* Search vector i: broadcast from its byte when the set is small (its
 * bytes share the set's first cache line, where the vectors would take
 * four more), else loaded. */
static ALWAYS_INLINE __m128i key16(const lr_litset *ls, bool small, size_t i)
{
    if (small)
        return _mm_set1_epi8((char)ls->data[i]);
    return _mm_load_si128((const __m128i *)(vectors(ls) + i * VEC_SIZE));
}

/* Byte i nonzero: position i of the sixteen may hold a search pair (its
 * bytes r0[i], r1[i]) or a one-byte string. `npairs` and `nsingles` are
 * ls's, constants where the caller is specialised for them (the loops
 * unroll). */
static ALWAYS_INLINE __m128i candidates16(const lr_litset *ls, size_t npairs, size_t nsingles, __m128i r0,
                                          __m128i r1)
{
    const bool small = npairs <= 4 && !nsingles;
    __m128i b0 = _mm_or_si128(r0, key16(ls, small, 0)), b1 = _mm_or_si128(r1, key16(ls, small, 0));
    __m128i m = _mm_setzero_si128();
    UNROLL
    for (size_t k = 0; k < npairs; k++)
        m = _mm_or_si128(m, _mm_and_si128(_mm_cmpeq_epi8(b0, key16(ls, small, 1 + k)),
                                          _mm_cmpeq_epi8(b1, key16(ls, small, 1 + npairs + k))));
    for (size_t k = 0; k < nsingles; k++)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(b0, key16(ls, small, 1 + 2 * npairs + k)));
    return m;
}

/* s[0..len), 1 <= len <= 16, zero-padded to 16 bytes, read with at most
 * three loads, none outside s. */
static ALWAYS_INLINE __m128i load_short(const unsigned char *s, size_t len)
{
    uint64_t lo, hi = 0;
    if (len >= 8) {
        memcpy(&lo, s, 8);
        if (len > 8) {
            memcpy(&hi, s + len - 8, 8);
            hi >>= 8 * (16 - len); /* keep s[8..len) */
        }
    } else if (len >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + len - 4, 4);
        lo = a | (uint64_t)b << 8 * (len - 4); /* the overlap ORs equal bytes */
    } else {
        lo = s[0] | (uint64_t)s[len / 2] << 8 * (len / 2) | (uint64_t)s[len - 1] << 8 * (len - 1);
    }
    return _mm_set_epi64x((long long)hi, (long long)lo);
}

/* A subject of at most 16 bytes: one block, the second bytes shifted in
 * (the zero after the last byte makes no pair: its bits are masked). */
static ALWAYS_INLINE int search_short(const lr_litset *ls, size_t npairs, size_t nsingles,
                                      const unsigned char *s, size_t len)
{
    if (len == 0)
        return 0;
    __m128i r0 = load_short(s, len);
    __m128i m = candidates16(ls, npairs, nsingles, r0, _mm_srli_si128(r0, 1));
    unsigned bits = (unsigned)_mm_movemask_epi8(m) & ((1u << len) - 1);
    if (bits && verify(ls, s, len, 0, bits))
        return 1;
    return no_match(ls, _mm_movemask_epi8(r0) != 0);
}

/* The blocks of s[0..len), len >= 17, verified one by one, and the last
 * byte (see verify_halves). */
static __attribute__((noinline)) int verify_blocks16(const lr_litset *ls, const unsigned char *s, size_t len,
                                                     int none)
{
    size_t p = 0;
    for (; p + 17 <= len; p += 16) {
        __m128i m = candidates16(ls, ls->npairs, ls->nsingles, _mm_loadu_si128((const __m128i *)(s + p)),
                                 _mm_loadu_si128((const __m128i *)(s + p + 1)));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits && verify(ls, s, len, p, bits))
            return 1;
    }
    /* the last block, without the positions already verified */
    size_t q = len - 17;
    __m128i m = candidates16(ls, ls->npairs, ls->nsingles, _mm_loadu_si128((const __m128i *)(s + q)),
                             _mm_loadu_si128((const __m128i *)(s + q + 1)));
    unsigned bits = (unsigned)_mm_movemask_epi8(m) & (0xffffu << (p - q));
    return (bits && verify(ls, s, len, q, bits)) || single_at_end(ls, s, len) ? 1 : none;
}

static ALWAYS_INLINE int search16_n(const lr_litset *ls, size_t npairs, size_t nsingles,
                                    const unsigned char *s, size_t len)
{
    if (len <= 16)
        return search_short(ls, npairs, nsingles, s, len);
    __m128i acc = _mm_setzero_si128(), any = _mm_setzero_si128();
    for (size_t p = 0; p + 17 <= len; p += 16) {
        __m128i r0 = _mm_loadu_si128((const __m128i *)(s + p));
        __m128i r1 = _mm_loadu_si128((const __m128i *)(s + p + 1));
        acc = _mm_or_si128(acc, r0);
        any = _mm_or_si128(any, candidates16(ls, npairs, nsingles, r0, r1));
    }
    /* the last positions: one more block ending at the end; it reaches
     * len - 2, and the last byte alone can only be a one-byte string */
    size_t q = len - 17;
    __m128i r0 = _mm_loadu_si128((const __m128i *)(s + q));
    __m128i r1 = _mm_loadu_si128((const __m128i *)(s + q + 1));
    acc = _mm_or_si128(acc, _mm_or_si128(r0, r1));
    any = _mm_or_si128(any, candidates16(ls, npairs, nsingles, r0, r1));
    int none = no_match(ls, _mm_movemask_epi8(acc) != 0);
    return _mm_movemask_epi8(any) || nsingles ? verify_blocks16(ls, s, len, none) : none;
}

/* The usual sets (up to four distinct pairs) get an unrolled loop each. */
static int search16_1(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return search16_n(ls, 1, 0, s, len);
}

static int search16_2(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return search16_n(ls, 2, 0, s, len);
}

static int search16_3(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return search16_n(ls, 3, 0, s, len);
}

static int search16_4(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return search16_n(ls, 4, 0, s, len);
}

static int search16_any(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return search16_n(ls, ls->npairs, ls->nsingles, s, len);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* ------------------------------------------------------------------------ */
/* AVX2: thirty-two positions at a time, where the CPU has it               */
/* ------------------------------------------------------------------------ */

#define LR_LITSET_AVX2 1
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

static ALWAYS_INLINE AVX2 __m256i key32(const lr_litset *ls, bool small, size_t i)
{
    if (small)
        return _mm256_set1_epi8((char)ls->data[i]);
    return _mm256_load_si256((const __m256i *)(vectors(ls) + i * VEC_SIZE));
}

static ALWAYS_INLINE AVX2 __m256i candidates32(const lr_litset *ls, size_t npairs, size_t nsingles,
                                               __m256i r0, __m256i r1)
{
    const bool small = npairs <= 4 && !nsingles;
    __m256i b0 = _mm256_or_si256(r0, key32(ls, small, 0)), b1 = _mm256_or_si256(r1, key32(ls, small, 0));
    __m256i m = _mm256_setzero_si256();
    UNROLL
    for (size_t k = 0; k < npairs; k++)
        m = _mm256_or_si256(m, _mm256_and_si256(_mm256_cmpeq_epi8(b0, key32(ls, small, 1 + k)),
                                                _mm256_cmpeq_epi8(b1, key32(ls, small, 1 + npairs + k))));
    for (size_t k = 0; k < nsingles; k++)
        m = _mm256_or_si256(m, _mm256_cmpeq_epi8(b0, key32(ls, small, 1 + 2 * npairs + k)));
    return m;
}

static ALWAYS_INLINE AVX2 __m256i load_halves(const unsigned char *lo, const unsigned char *hi)
{
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)lo)),
                                   _mm_loadu_si128((const __m128i *)hi), 1);
}

/* As verify_blocks16, for len >= 34. */
static __attribute__((noinline)) AVX2 int verify_blocks32(const lr_litset *ls, const unsigned char *s,
                                                          size_t len, int none)
{
    size_t p = 0;
    for (; p + 33 <= len; p += 32) {
        __m256i m = candidates32(ls, ls->npairs, ls->nsingles, _mm256_loadu_si256((const __m256i *)(s + p)),
                                 _mm256_loadu_si256((const __m256i *)(s + p + 1)));
        unsigned bits = (unsigned)_mm256_movemask_epi8(m);
        if (bits && verify(ls, s, len, p, bits))
            return 1;
    }
    size_t q = len - 33;
    __m256i m = candidates32(ls, ls->npairs, ls->nsingles, _mm256_loadu_si256((const __m256i *)(s + q)),
                             _mm256_loadu_si256((const __m256i *)(s + q + 1)));
    unsigned bits = (unsigned)_mm256_movemask_epi8(m) & (unsigned)(0xffffffffull << (p - q));
    return (bits && verify(ls, s, len, q, bits)) || single_at_end(ls, s, len) ? 1 : none;
}

static ALWAYS_INLINE AVX2 int search32_n(const lr_litset *ls, size_t npairs, size_t nsingles,
                                         const unsigned char *s, size_t len)
{
    if (len <= 16)
        return search_short(ls, npairs, nsingles, s, len);
    if (len <= 33) {
        /* positions 0..15 in the low half, len - 17..len - 2 in the high one */
        __m256i r0 = load_halves(s, s + len - 17), r1 = load_halves(s + 1, s + len - 16);
        int none = no_match(ls, _mm256_movemask_epi8(_mm256_or_si256(r0, r1)) != 0);
        unsigned bits = (unsigned)_mm256_movemask_epi8(candidates32(ls, npairs, nsingles, r0, r1));
        return bits || nsingles ? verify_halves(ls, s, len, bits, none) : none;
    }
    __m256i acc = _mm256_setzero_si256(), any = _mm256_setzero_si256();
    size_t q = len - 33;
    if (len <= 4 * 32 + 33) {
        /* A user agent: four blocks, the later ones moved back to end at
         * the end when the subject is shorter (examining some positions
         * twice), so that the block count does not depend on the length:
         * the exit of a loop whose count did mispredicts more often than
         * not, and costs more than the blocks it saves. */
        UNROLL
        for (size_t i = 0; i < 4; i++) {
            size_t p = 32 * i < q ? 32 * i : q;
            __m256i r0 = _mm256_loadu_si256((const __m256i *)(s + p));
            __m256i r1 = _mm256_loadu_si256((const __m256i *)(s + p + 1));
            acc = _mm256_or_si256(acc, r0);
            any = _mm256_or_si256(any, candidates32(ls, npairs, nsingles, r0, r1));
        }
    } else {
        for (size_t p = 0; p + 33 <= len; p += 32) {
            __m256i r0 = _mm256_loadu_si256((const __m256i *)(s + p));
            __m256i r1 = _mm256_loadu_si256((const __m256i *)(s + p + 1));
            acc = _mm256_or_si256(acc, r0);
            any = _mm256_or_si256(any, candidates32(ls, npairs, nsingles, r0, r1));
        }
    }
    /* the last positions: see search16_n */
    __m256i r0 = _mm256_loadu_si256((const __m256i *)(s + q));
    __m256i r1 = _mm256_loadu_si256((const __m256i *)(s + q + 1));
    acc = _mm256_or_si256(acc, _mm256_or_si256(r0, r1));
    any = _mm256_or_si256(any, candidates32(ls, npairs, nsingles, r0, r1));
    int none = no_match(ls, _mm256_movemask_epi8(acc) != 0);
    return !_mm256_testz_si256(any, any) || nsingles ? verify_blocks32(ls, s, len, none) : none;
}

static AVX2 int search32_1(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return search32_n(ls, 1, 0, s, len);
}

static AVX2 int search32_2(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return search32_n(ls, 2, 0, s, len);
}

static AVX2 int search32_3(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return search32_n(ls, 3, 0, s, len);
}

static AVX2 int search32_4(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return search32_n(ls, 4, 0, s, len);
}

static AVX2 int search32_any(const lr_litset *ls, const unsigned char *s, size_t len)
{
    return search32_n(ls, ls->npairs, ls->nsingles, s, len);
}
#endif
#else
/* No SSE2: every position in turn. */
static int search_bytes(const lr_litset *ls, const unsigned char *s, size_t len)
{
    for (size_t q = 0; q < len; q++)
        if (any_at(ls, s, len, q))
            return 1;
    return ls->caseless && has_high_byte(s, len) ? -1 : 0;
}
#endif

void lr_litset_use_avx2(lr_litset *ls, bool on)
{
#ifdef __SSE2__
    size_t size = ls->nsingles ? 0 : ls->npairs;
#ifdef LR_LITSET_AVX2
    if (on && __builtin_cpu_supports("avx2")) {
        static const search_fn by_size[] = {search32_any, search32_1, search32_2, search32_3, search32_4};
        ls->search = by_size[size <= 4 ? size : 0];
        return;
    }
#else
    (void)on;
#endif
    static const search_fn by_size[] = {search16_any, search16_1, search16_2, search16_3, search16_4};
    ls->search = by_size[size <= 4 ? size : 0];
#else
    (void)on;
    ls->search = search_bytes;
#endif
}

/* ------------------------------------------------------------------------ */
/* Matching                                                                  */
/* ------------------------------------------------------------------------ */

int lr_litset_match(const lr_litset *ls, const char *subject, size_t len)
{
    const unsigned char *s = (const unsigned char *)subject;
    if (!ls->na)
        return ls->search(ls, s, len);
    const unsigned char *l = ls->data + ls->anch_at;
    for (size_t k = 0; k < ls->na; k++, l += 1 + l[0])
        if (l[0] <= len && lit_at(ls, l + 1, l[0], s))
            return 1;
    /* A caseless ASCII letter may match a character of up to 3 UTF-8 bytes
     * (U+212A for k): the anchored strings looked at no more than this. */
    bool undecided = ls->caseless && has_high_byte(s, len < 4 * ls->max_alen ? len : 4 * ls->max_alen);
    int r = ls->nu ? ls->search(ls, s, len) : 0;
    return r > 0 ? 1 : undecided || r < 0 ? -1 : 0;
}
