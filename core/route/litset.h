/*
 * litset.h: the literal fast path of route regexes. A pattern that is only a
 * set of plain strings, such as `(?i)bot|crawler|spider`, `^/wp-(admin|login)`
 * or `nikto|sqlmap`, is matched by a literal search instead of PCRE2, which
 * costs a call, a JIT entry and a start-position loop per record.
 *
 * The subset (anything else returns NULL from lr_litset_compile, and PCRE2
 * runs the pattern as before):
 *   - an optional leading `(?i)` (ASCII case folding, see below);
 *   - top-level branches separated by `|`, each optionally starting with `^`;
 *   - in a branch: literal characters (ASCII letters, digits, space and
 *     !"#%&',-/:;<=>@_`~), a backslash before an ASCII punctuation character
 *     (`\.`, `\/`, `\-`: that character), and groups `( ... )` / `(?: ... )`
 *     of such branches, nested, without `^`;
 *   - no quantifier, class, `.`, `$` (PCRE2's `$` also matches before a final
 *     newline), other escape, other `(?` construct or non-ASCII byte;
 *   - at most LR_LITSET_MAX_LITS strings once groups are expanded, each of 1
 *     to LR_LITSET_MAX_LEN bytes.
 *
 * PCRE2 stays the source of truth. Under `(?i)` PCRE2 folds case the Unicode
 * way (`k` also matches U+212A, `s` also U+017F), so a caseless set answers
 * "ask PCRE2" (-1) instead of "no match" when the bytes it would have to
 * examine hold a byte >= 0x80; over pure ASCII, ASCII folding is exact. A
 * match is always final: its bytes are ASCII, which PCRE2 (compiled with
 * PCRE2_UTF | PCRE2_MATCH_INVALID_UTF) matches the same way whatever
 * surrounds them. Literal sets never come near PCRE2's match limits.
 * tests/unit/test_litset.c compares both on generated subjects.
 *
 * Threading: compiled at load; a compiled set is read-only and matching
 * allocates nothing, so any thread may match.
 */
#ifndef LR_ROUTE_LITSET_H
#define LR_ROUTE_LITSET_H

#include <stdbool.h>
#include <stddef.h>

#define LR_LITSET_MAX_LITS 64
#define LR_LITSET_MAX_LEN 64

typedef struct lr_litset lr_litset;

/* The set for pattern[0..len), or NULL when the pattern is outside the subset. */
lr_litset *lr_litset_compile(const char *pattern, size_t len);
void lr_litset_free(lr_litset *ls);

/* 1: s[0..len) matches; 0: it does not; -1: undecided (a caseless set and a
 * byte >= 0x80 where it matters): run PCRE2. */
int lr_litset_match(const lr_litset *ls, const char *s, size_t len);

/* For tests and `logrelay check`-style introspection: the number of strings
 * the pattern expanded to, and whether matching ignores ASCII case. */
size_t lr_litset_count(const lr_litset *ls);
bool lr_litset_caseless(const lr_litset *ls);
/* Every string is anchored (`^...`): a match costs a compare or two. */
bool lr_litset_anchored_only(const lr_litset *ls);
/* Tests: search long subjects with AVX2 (only where the CPU has it; the
 * default) or with SSE2 only, so both paths can be checked on one machine. */
void lr_litset_use_avx2(lr_litset *ls, bool on);

#endif
