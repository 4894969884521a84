/*
 * options.h: the typed setters and the option-table engine shared by the core
 * and every plugin. One lr_option table (see logrelay.h) validates a YAML
 * mapping, fills a config struct (defaults included), prints `logrelay
 * describe`, and renders a module README table.
 *
 * Memory: lr_options_apply writes strings/lists into the struct it is given;
 * lr_options_free_struct releases exactly those. Single-threaded.
 */
#ifndef LR_OPTIONS_H
#define LR_OPTIONS_H

#include <logrelay/logrelay.h>
#include <stdio.h>

#include "config/config.h"

/* Typed setters: parse text, return 0 or -1 with a message in err. */
int lr_parse_size(const char *s, uint64_t *out, char *err, size_t errlen); /* 50MiB 10MB 64k 1048576 */
int lr_parse_duration(const char *s, int64_t *ms, char *err,
                      size_t errlen); /* 500ms 5s 1m 2h 1d; bare number = seconds */
int lr_parse_bool(const char *s, bool *out, char *err, size_t errlen); /* true/false yes/no on/off */
int lr_parse_int(const char *s, int64_t *out, char *err, size_t errlen);
int lr_parse_enum(const char *s, const char *const *values, int *out, char *err, size_t errlen);
int lr_parse_double(const char *s, double *out, char *err, size_t errlen);
/* File modes are octal, as for chmod: 0640, 640, 0o640. */
int lr_parse_mode(const char *s, uint32_t *out, char *err, size_t errlen);

/* The reverse, for messages and `describe`: the largest exact unit
 * ("50MiB", "10MB", "1500B"; "90s", "2h", "1500ms"). */
void lr_format_size(uint64_t bytes, char *out, size_t outlen);
void lr_format_duration(int64_t ms, char *out, size_t outlen);

/* The candidate closest to `word` by edit distance, or NULL if none is close
 * enough to be a likely typo. For "did you mean 'X'?". */
const char *lr_suggest(const char *word, const char *const *candidates, size_t n);

/* Validate `map` (a YAML mapping, may be NULL = all defaults) against `table`
 * and fill `conf`. Keys listed in `ignore` (NULL-terminated, may be NULL) are
 * skipped (e.g. `type`, handled by the caller); lr_options_apply_ex can also
 * prefix key names in messages ("outputs.es."). Unknown keys, wrong types,
 * out-of-range values and missing required options are errors naming file,
 * line, column and key.
 * Returns the number of errors added. */
int lr_options_apply(const lr_option *table, const lr_cfg_node *map, void *conf, const char *const *ignore,
                     lr_errors *errs);

/* The same with every knob. Every field of `conf` named by the table is
 * written (user value, else default, else zero/NULL), even when errors are
 * reported, so lr_options_free_struct is always safe afterwards. */
typedef struct lr_apply_opts {
    const char *const *ignore; /* NULL-terminated; a key and its dotted children are skipped */
    const char *prefix;        /* prepended to key names in messages, e.g. "outputs.es." */
    bool allow_unknown;        /* leave keys not in the table alone (another table reads them) */
    const char *unknown_hint;  /* added to "unknown option" errors without a suggestion */
} lr_apply_opts;
int lr_options_apply_ex(const lr_option *table, const lr_cfg_node *map, void *conf, const lr_apply_opts *opts,
                        lr_errors *errs);

/* Check a table itself (programming errors: bad default, enum without
 * values, duplicate or overlapping keys), e.g. when a module is loaded;
 * lr_options_apply runs it too. Returns the number of errors added. */
int lr_options_check_table(const lr_option *table, lr_errors *errs);

/* Free the strings and lists lr_options_apply put in conf (and NULL them). */
void lr_options_free_struct(const lr_option *table, void *conf);

/* Human listing for `logrelay describe` (type, default, bounds, description). */
void lr_options_describe(FILE *out, const lr_option *table);
/* Markdown table (the module READMEs carry the same rows). */
void lr_options_markdown(FILE *out, const lr_option *table);

#endif
