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

/* Laid out for the few cache lines a match touches (a usual set fits in
 * one): the counts, then the strings packed, then the search bytes. */
struct lr_litset {
    bool caseless;
    bool avx2;         /* the CPU has AVX2: long subjects are searched 32 positions at a time */
    uint8_t n, na, nu; /* strings: all, anchored (`^...`), unanchored */
    uint8_t max_alen, min_ulen;
    uint8_t npairs, nsingles;
    uint16_t unanch_at; /* where the unanchored strings start in data */
    uint16_t pairs_at;  /* where pair0[npairs], pair1[npairs], single[nsingles] start */
    /* Anchored strings, then unanchored ones shortest first, each as its
     * length byte followed by its bytes (lower case under (?i)); then the
     * unanchored strings' distinct first two bytes (folded under (?i)) and
     * the bytes of the one-byte strings. */
    unsigned char data[];
};

static inline const unsigned char *pair0(const lr_litset *ls)
{
    return ls->data + ls->pairs_at;
}

static inline const unsigned char *pair1(const lr_litset *ls)
{
    return ls->data + ls->pairs_at + ls->npairs;
}

static inline const unsigned char *single(const lr_litset *ls)
{
    return ls->data + ls->pairs_at + 2 * ls->npairs;
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

/* Appends l to d at *at. */
static void pack(unsigned char *d, size_t *at, const lit *l)
{
    d[(*at)++] = l->len;
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
    /* strings, then at most two search bytes per string */
    unsigned char *d = malloc(LR_LITSET_MAX_LITS * (1 + LR_LITSET_MAX_LEN + 2));
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
        if (uniq[i].anchored) {
            pack(d, &at, &uniq[i]);
            h.na++;
            if (uniq[i].len > h.max_alen)
                h.max_alen = uniq[i].len;
        }
    }
    /* unanchored strings shortest first, and their first bytes */
    h.unanch_at = (uint16_t)at;
    h.min_ulen = LR_LITSET_MAX_LEN;
    unsigned char fold_bit = h.caseless ? 0x20 : 0;
    for (size_t want = 1; want <= LR_LITSET_MAX_LEN; want++) {
        for (size_t i = 0; i < n; i++) {
            const lit *l = &uniq[i];
            if (l->anchored || l->len != want)
                continue;
            pack(d, &at, l);
            h.nu++;
            if (want < h.min_ulen)
                h.min_ulen = (uint8_t)want;
            unsigned char b0 = (unsigned char)l->s[0] | fold_bit;
            unsigned char b1 = want > 1 ? (unsigned char)l->s[1] | fold_bit : 0;
            bool seen = false;
            if (want == 1) {
                for (size_t k = 0; k < h.nsingles && !seen; k++)
                    seen = one[k] == b0;
                if (!seen)
                    one[h.nsingles++] = b0;
                continue;
            }
            for (size_t k = 0; k < h.npairs && !seen; k++)
                seen = p0[k] == b0 && p1[k] == b1;
            if (!seen) {
                p0[h.npairs] = b0;
                p1[h.npairs++] = b1;
            }
        }
    }
    h.pairs_at = (uint16_t)at;
    memcpy(d + at, p0, h.npairs);
    memcpy(d + at + h.npairs, p1, h.npairs);
    memcpy(d + at + 2 * h.npairs, one, h.nsingles);
    at += 2 * h.npairs + h.nsingles;
    /* whole cache lines, the first one starting the set */
    size_t size = (sizeof h + at + 63) / 64 * 64;
    ls = aligned_alloc(64, size);
    if (!ls)
        goto out;
    *ls = h;
    lr_litset_use_avx2(ls, true);
    memcpy(ls->data, d, at);
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

void lr_litset_use_avx2(lr_litset *ls, bool on)
{
    ls->avx2 = false;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    ls->avx2 = on && __builtin_cpu_supports("avx2");
#else
    (void)on;
#endif
}

/* ------------------------------------------------------------------------ */
/* Matching                                                                  */
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

/* Some unanchored string starts at s[q] and ends within s[0..len). */
static bool any_at(const lr_litset *ls, const unsigned char *s, size_t len, size_t q)
{
    if (q >= len)
        return false;
    const unsigned char *l = ls->data + ls->unanch_at;
    for (size_t k = 0; k < ls->nu; k++, l += 1 + l[0]) {
        if (l[0] > len - q)
            break; /* shortest first */
        if (lit_at(ls, l + 1, l[0], s + q))
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
static inline __attribute__((always_inline)) unsigned
block_candidates(size_t npairs, size_t nsingles, const unsigned char *s, const __m128i *first,
                 const __m128i *second, const __m128i *singles, __m128i fold_bits, __m128i *acc)
{
    __m128i r0 = _mm_loadu_si128((const __m128i *)s);
    __m128i r1 = _mm_loadu_si128((const __m128i *)(s + 1));
    *acc = _mm_or_si128(*acc, _mm_or_si128(r0, r1));
    __m128i b0 = _mm_or_si128(r0, fold_bits), b1 = _mm_or_si128(r1, fold_bits);
    __m128i m = _mm_setzero_si128();
    for (size_t k = 0; k < npairs; k++)
        m = _mm_or_si128(m, _mm_and_si128(_mm_cmpeq_epi8(b0, first[k]), _mm_cmpeq_epi8(b1, second[k])));
    for (size_t k = 0; k < nsingles; k++)
        m = _mm_or_si128(m, _mm_cmpeq_epi8(b0, singles[k]));
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
    /* the bytes to look for, broadcast once per call (not once per block) */
    __m128i first[LR_LITSET_MAX_LITS], second[LR_LITSET_MAX_LITS], singles[LR_LITSET_MAX_LITS];
    for (size_t k = 0; k < npairs; k++) {
        first[k] = _mm_set1_epi8((char)pair0(ls)[k]);
        second[k] = _mm_set1_epi8((char)pair1(ls)[k]);
    }
    for (size_t k = 0; k < nsingles; k++)
        singles[k] = _mm_set1_epi8((char)single(ls)[k]);
    if (len < 17) {
        /* short: a zero-padded copy; candidates are verified on s itself */
        unsigned char buf[32] = {0};
        memcpy(buf, s, len);
        unsigned bits = block_candidates(npairs, nsingles, buf, first, second, singles, fold_bits, &acc) &
                        ((1u << len) - 1);
        *high = _mm_movemask_epi8(acc) != 0;
        return verify(ls, s, len, 0, bits);
    }
    size_t p = 0;
    while (p + 17 <= len) {
        /* no call in the inner loop: its vectors stay in registers */
        unsigned bits = 0;
        for (; p + 17 <= len && !bits; p += 16)
            bits = block_candidates(npairs, nsingles, s + p, first, second, singles, fold_bits, &acc);
        if (bits && verify(ls, s, len, p - 16, bits))
            return 1;
    }
    /* the last positions: one more block ending at the end, without the
     * positions already examined; it reaches len - 2, and the last byte
     * alone can only be a one-byte string */
    size_t q = len - 17;
    if (p < len - 1) {
        unsigned bits = block_candidates(npairs, nsingles, s + q, first, second, singles, fold_bits, &acc) &
                        (0xffffu << (p - q));
        if (bits && verify(ls, s, len, q, bits))
            return 1;
    }
    if (nsingles && any_at(ls, s, len, len - 1))
        return 1;
    *high = _mm_movemask_epi8(acc) != 0;
    return 0;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The same with AVX2, 32 positions per block, where the CPU has it (checked
 * once, at compile). Subjects shorter than a block take the SSE2 path. */
#define LR_LITSET_AVX2 1
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

static inline __attribute__((always_inline)) AVX2 unsigned
block32(size_t npairs, size_t nsingles, const unsigned char *s, const __m256i *first, const __m256i *second,
        const __m256i *singles, __m256i fold_bits, __m256i *acc)
{
    __m256i r0 = _mm256_loadu_si256((const __m256i *)s);
    __m256i r1 = _mm256_loadu_si256((const __m256i *)(s + 1));
    *acc = _mm256_or_si256(*acc, _mm256_or_si256(r0, r1));
    __m256i b0 = _mm256_or_si256(r0, fold_bits), b1 = _mm256_or_si256(r1, fold_bits);
    __m256i m = _mm256_setzero_si256();
    for (size_t k = 0; k < npairs; k++)
        m = _mm256_or_si256(
            m, _mm256_and_si256(_mm256_cmpeq_epi8(b0, first[k]), _mm256_cmpeq_epi8(b1, second[k])));
    for (size_t k = 0; k < nsingles; k++)
        m = _mm256_or_si256(m, _mm256_cmpeq_epi8(b0, singles[k]));
    return (unsigned)_mm256_movemask_epi8(m);
}

/* Only called with len >= 33. */
static inline __attribute__((always_inline)) AVX2 int search32_n(const lr_litset *ls, size_t npairs,
                                                                 size_t nsingles, const unsigned char *s,
                                                                 size_t len, bool *high)
{
    const __m256i fold_bits = _mm256_set1_epi8(ls->caseless ? 0x20 : 0);
    __m256i acc = _mm256_setzero_si256();
    __m256i first[LR_LITSET_MAX_LITS], second[LR_LITSET_MAX_LITS], singles[LR_LITSET_MAX_LITS];
    for (size_t k = 0; k < npairs; k++) {
        first[k] = _mm256_set1_epi8((char)pair0(ls)[k]);
        second[k] = _mm256_set1_epi8((char)pair1(ls)[k]);
    }
    for (size_t k = 0; k < nsingles; k++)
        singles[k] = _mm256_set1_epi8((char)single(ls)[k]);
    size_t p = 0;
    while (p + 33 <= len) {
        /* no call in the inner loop: its vectors stay in registers */
        unsigned bits = 0;
        for (; p + 33 <= len && !bits; p += 32)
            bits = block32(npairs, nsingles, s + p, first, second, singles, fold_bits, &acc);
        if (bits && verify(ls, s, len, p - 32, bits))
            return 1;
    }
    size_t q = len - 33;
    if (p < len - 1) {
        unsigned bits = block32(npairs, nsingles, s + q, first, second, singles, fold_bits, &acc) &
                        (0xffffffffu << (p - q));
        if (bits && verify(ls, s, len, q, bits))
            return 1;
    }
    if (nsingles && any_at(ls, s, len, len - 1))
        return 1;
    *high = _mm256_movemask_epi8(acc) != 0;
    return 0;
}

static AVX2 int search_avx2(const lr_litset *ls, const unsigned char *s, size_t len, bool *high)
{
    switch (ls->nsingles ? 0 : ls->npairs) {
    case 1:
        return search32_n(ls, 1, 0, s, len, high);
    case 2:
        return search32_n(ls, 2, 0, s, len, high);
    case 3:
        return search32_n(ls, 3, 0, s, len, high);
    case 4:
        return search32_n(ls, 4, 0, s, len, high);
    default:
        return search32_n(ls, ls->npairs, ls->nsingles, s, len, high);
    }
}
#endif

/* The usual sets (up to four distinct starts) get an unrolled loop each.
 * Not inlined: the anchored strings' path stays light. */
static __attribute__((noinline)) int search(const lr_litset *ls, const unsigned char *s, size_t len,
                                            bool *high)
{
#ifdef LR_LITSET_AVX2
    if (ls->avx2 && len >= 33)
        return search_avx2(ls, s, len, high);
#endif
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
    const unsigned char *l = ls->data;
    for (size_t k = 0; k < ls->na; k++, l += 1 + l[0])
        if (l[0] <= len && lit_at(ls, l + 1, l[0], s))
            return 1;
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
