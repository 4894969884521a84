/*
 * expr.h: route conditions (`when:`). Compiled once at load into a small
 * tree; regexes are PCRE2, compiled once with a match limit. Evaluation is
 * read-only and thread-safe.
 *
 * Grammar (lowest to highest precedence):
 *   or  ->  and ( "or" and )*
 *   and ->  not ( "and" not )*
 *   not ->  "not" not | cmp
 *   cmp ->  operand ( ("=="|"!="|"<"|"<="|">"|">="|"=~"|"!~") operand
 *                     | "in" "[" literal ("," literal)* "]" )?
 *   operand -> literal | path | "exists" "(" path ")" | "(" or ")"
 *   path -> name ("." name)* where name is [A-Za-z_@][A-Za-z0-9_@-]* or "[" "quoted" "]";
 *           a quoted string is a literal, so `content-type` is written as [\"content-type\"] or
 *           content-type (a '-' inside a name is part of the name; subtraction does not exist).
 * Semantics are documented in docs/routes.md.
 */
#ifndef LR_EXPR_H
#define LR_EXPR_H

#include <logrelay/logrelay.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lr_expr lr_expr;

/* Compile `text`. On error returns NULL, sets *err_col to the 1-based column
 * inside text and writes the message to err. */
lr_expr *lr_expr_compile(const char *text, int *err_col, char *err, size_t errlen);
/* True when the event matches. A missing field makes a comparison false
 * (and `!=` true); see docs/routes.md. */
bool lr_expr_eval(const lr_expr *e, const lr_value *fields);
/* A record's root as conditions look at it, worked out once per record
 * for all its routes' conditions. `unique_keys` says that the keys of
 * `fields` (the root object) are all distinct (lr_record's
 * fields_unique_keys): field lookups then start where the key was found last
 * time, in records of the same layout. */
typedef struct lr_expr_root {
    const lr_value *fields;
    const lr_member *members; /* the root's members (none when it is not an object) */
    uint32_t n;
    bool unique_keys;
    /* The parser's index of known keys (lr_record's key_slots), or NULL:
     * a field with a known name is then taken by its slot. */
    const uint8_t *key_slots;
} lr_expr_root;
/* Layout signatures (worked out only when a field is searched for, not
 * taken by its slot): the member count and the length of the third key tell
 * a parser's layouts apart (cdn_access's six land in five of the eight). */
#define LR_EXPR_LAYOUTS 8
static inline void lr_expr_root_init(lr_expr_root *root, const lr_value *fields, bool unique_keys,
                                     const uint8_t *key_slots)
{
    *root = (lr_expr_root){.fields = fields, .unique_keys = unique_keys, .key_slots = key_slots};
    if (fields && fields->kind == LR_VAL_OBJECT) {
        root->members = fields->u.members;
        root->n = fields->len;
    }
}
bool lr_expr_eval_root(const lr_expr *e, const lr_expr_root *root);
/* Up to 64 records at once (LR_EXPR_BATCH): bit i of the result is set when
 * e holds for roots[i], for the records whose bit is set in `active` (the
 * others are not looked at). The same answers as lr_expr_eval_root on each
 * record, at a lower cost per record: each test of the condition runs on
 * every record that reaches it before the next test runs, so a test's code
 * and data stay in cache and how records branch between tests costs no
 * mispredicted jumps. `indexed` is lr_expr_roots_indexed of the roots (bit
 * i: roots[i] has a key index), worked out once for all the conditions a
 * batch goes through. Conditions longer than LR_EXPR_BATCH_TESTS tests are
 * evaluated record by record. */
#define LR_EXPR_BATCH 64
#define LR_EXPR_BATCH_TESTS 64
uint64_t lr_expr_eval_batch(const lr_expr *e, const lr_expr_root *roots, uint64_t active, uint64_t indexed);
/* Bit i set when roots[i] has the parser's key index (key_slots), i < n <= 64. */
uint64_t lr_expr_roots_indexed(const lr_expr_root *roots, size_t n);
void lr_expr_free(lr_expr *e);

/* The source text the expression was compiled from. */
const char *lr_expr_text(const lr_expr *e);
/* Regex matches that gave up (match/depth/heap limit): they count as no
 * decision, so both =~ and !~ are false for that record. */
uint64_t lr_expr_regex_failures(const lr_expr *e);
/* 1-based column (in characters) of byte offset `off` in text. */
size_t lr_expr_column(const char *text, size_t off);

#endif
