/*
 * config.h: YAML configuration as a tree of nodes that remember where they
 * came from (file, line, column), so every error can point at the offending
 * key. Loading a directory reads its *.yaml / *.yml files in lexical order
 * and merges them: `outputs` merge by name (a name defined twice is an error
 * naming both places), `routes` concatenate in file order, `agent` and
 * `kafka` merge key by key (a key set twice is an error naming both places).
 * `${env:NAME}` and `${file:/path}` are substituted in every scalar
 * (`$${` writes a literal `${`); a missing variable or unreadable file is an
 * error. A file's single trailing newline is dropped (password.txt files).
 *
 * Memory: lr_config_load returns a tree owned by the lr_config; every node
 * and string is freed by lr_config_free. Single-threaded (start-up only).
 */
#ifndef LR_CONFIG_H
#define LR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

typedef enum lr_cfg_kind {
    LR_CFG_SCALAR = 1,
    LR_CFG_MAP,
    LR_CFG_SEQ,
} lr_cfg_kind;

typedef struct lr_cfg_node lr_cfg_node;
typedef struct lr_cfg_pair {
    lr_cfg_node *key; /* always a scalar */
    lr_cfg_node *value;
} lr_cfg_pair;

struct lr_cfg_node {
    lr_cfg_kind kind;
    const char *file; /* path as given by the user; shared, owned by the lr_config */
    int line;         /* 1-based */
    int col;          /* 1-based */
    /* scalar */
    char *str; /* after substitution, NUL-terminated */
    size_t str_len;
    bool plain;       /* unquoted scalar (so `null`, `true`, `~` mean what YAML says) */
    bool substituted; /* contains a ${...} value: treat as a secret in messages */
    /* map and seq */
    size_t count;
    lr_cfg_pair *pairs;  /* map */
    lr_cfg_node **items; /* seq */
};

/* Errors collected during load and validation, each one line
 * "FILE:LINE:COL: key 'KEY': message". */
typedef struct lr_errors {
    lr_buf text;
    int count;
} lr_errors;

void lr_errors_init(lr_errors *e);
void lr_errors_free(lr_errors *e);
/* Append one error located at `node` (NULL: no location). */
void lr_errorf(lr_errors *e, const lr_cfg_node *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with the "key 'KEY': " part written for you (key NULL: left out). */
void lr_errorf_key(lr_errors *e, const lr_cfg_node *node, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* All errors, one per line ("" when there is none). Valid until the next append. */
const char *lr_errors_text(const lr_errors *e);

typedef struct lr_config {
    lr_cfg_node *root; /* merged top-level map (never NULL after a successful load) */
    char **files;      /* the files loaded, in order */
    size_t nfiles;
    void *priv;
} lr_config;

/* Load a file or a directory. Returns NULL and fills errs on failure. */
lr_config *lr_config_load(const char *path, lr_errors *errs);
/* Load YAML text (tests); `name` is used as the file name in messages. */
lr_config *lr_config_load_string(const char *yaml, const char *name, lr_errors *errs);
void lr_config_free(lr_config *cfg);

/* Helpers for walking the tree. */
const lr_cfg_node *lr_cfg_get(const lr_cfg_node *map, const char *key);
const char *lr_cfg_scalar(const lr_cfg_node *node); /* NULL if not a scalar */
/* A YAML null: an unquoted empty value, `~` or `null` (not from a ${...}). */
bool lr_cfg_is_null(const lr_cfg_node *node);
/* "a mapping", "a list", "a scalar" or "an empty value", for messages. */
const char *lr_cfg_kind_phrase(const lr_cfg_node *node);

/* Substitute ${env:..}/${file:..} in one string (used for values set at run
 * time, e.g. route `set:`). Returns a malloc'd string or NULL with an error. */
char *lr_config_substitute(const char *in, const lr_cfg_node *where, lr_errors *errs, bool *substituted);

#endif
