/*
 * config_internal.h: pieces of the configuration loader shared between its
 * files (YAML reader, substitution, merge). Not for use outside core/config.
 * Single-threaded (start-up only).
 */
#ifndef LR_CONFIG_INTERNAL_H
#define LR_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"
#include "util/arena.h"
#include "util/buf.h"

/* Deepest nesting accepted in a YAML file (a guard against runaway input). */
#define LR_CFG_MAX_DEPTH 64
/* Largest YAML file and largest ${file:...} we read. */
#define LR_CFG_MAX_FILE (16u << 20)
#define LR_CFG_MAX_SECRET_FILE (1u << 20)

/* A zeroed node owned by the arena. */
lr_cfg_node *lr_cfg_node_new(lr_arena *a, lr_cfg_kind kind, const char *file, int line, int col);

/* Parse one YAML document held in text[0..len) into a tree owned by the
 * arena, substituting ${...} in scalar values. *root is NULL for an empty
 * file or after a syntax error. Returns the number of errors added to errs;
 * with errors but a tree (duplicate key, failed substitution) the tree is
 * complete enough to look for more errors, not to use. */
int lr_yaml_parse(lr_arena *a, const char *file, const char *text, size_t len, lr_cfg_node **root,
                  lr_errors *errs);

/* Expand ${env:NAME}, ${file:PATH} and $${ in in[0..len) into out. Errors
 * are located at `where` and name `key` (either may be NULL). Relative file
 * paths are taken from the directory of where->file. Returns the number of
 * errors added. */
int lr_subst_expand(const char *in, size_t len, const lr_cfg_node *where, const char *key, lr_buf *out,
                    bool *substituted, lr_errors *errs);

/* Read a whole regular file into a malloc'd, NUL-terminated buffer of at
 * most `max` bytes. Returns NULL with errno set (EFBIG when too large). */
char *lr_read_file(const char *path, size_t max, size_t *len);

#endif
