/*
 * options_internal.h: one option value between text and struct field,
 * shared by the table engine (options.c), the value code (option_values.c)
 * and the listings (options_describe.c). Not for use outside core/config.
 */
#ifndef LR_OPTIONS_INTERNAL_H
#define LR_OPTIONS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "config/options.h"

/* A parsed value of any option type; strings and lists are malloc'd. */
typedef union lr_optval {
    char *s;
    bool b;
    int64_t i; /* INT, DURATION (ms) */
    double d;
    uint64_t u; /* SIZE */
    int e;      /* ENUM index */
    uint32_t mode;
    lr_strlist list;
    lr_kvlist map;
} lr_optval;

/* "string", "size", ...; NULL for a type that does not exist. */
const char *lr_opt_type_name(lr_option_type t);
/* "a size", "true or false", ...: what an error says was expected. */
const char *lr_opt_type_phrase(lr_option_type t);

/* Parse one scalar for `opt`. Defaults of lists and maps are written
 * "a, b" and "k=v, k2=v2" (is_default); a user's scalar for a list is a
 * one-element list. Returns 0, or -1 with err (v then holds nothing). */
int lr_optval_parse(const lr_option *opt, const char *text, bool is_default, lr_optval *v, char *err,
                    size_t errlen);
void lr_optval_free(const lr_option *opt, lr_optval *v);
bool lr_optval_in_bounds(const lr_option *opt, const lr_optval *v);
/* Move v into conf's field (v is left empty) / reset the field to zero. */
void lr_optval_store(const lr_option *opt, void *conf, lr_optval *v);
void lr_optval_zero_field(const lr_option *opt, void *conf);

void lr_strlist_push(lr_strlist *l, const char *s, size_t n);
void lr_kvlist_push(lr_kvlist *m, const char *k, size_t klen, const char *v, size_t vlen);

/* Bounds apply to INT, SIZE, DURATION and DOUBLE when max > min. */
bool lr_opt_has_bounds(const lr_option *opt);
/* "1..100", "1MiB..1GiB", "1s..1h". */
void lr_opt_bounds_text(const lr_option *opt, char *out, size_t outlen);

#endif
