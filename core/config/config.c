/*
 * config.c: load `-c PATH` (a YAML file, or a directory of *.yaml and *.yml
 * files in lexical order), check the top-level shape and merge the files
 * into one tree: `outputs` by name, `routes` concatenated in file order,
 * `agent` and `kafka` key by key. Whatever is defined twice is an error
 * naming both places. Every error of every file is collected before giving
 * up, so one `logrelay check` shows them all.
 *
 * Memory: one arena per lr_config holds every node, string and file name.
 * Single-threaded (start-up only).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config_internal.h"
#include "config/options.h"

typedef struct lr_config_priv {
    lr_arena arena;
} lr_config_priv;

static const char *const top_keys[] = {"agent", "kafka", "outputs", "routes"};
enum { TOP_AGENT, TOP_KAFKA, TOP_OUTPUTS, TOP_ROUTES, TOP_COUNT };

/* ------------------------------------------------------------------------ */
/* Tree helpers                                                              */
/* ------------------------------------------------------------------------ */

const lr_cfg_node *lr_cfg_get(const lr_cfg_node *map, const char *key)
{
    if (!map || map->kind != LR_CFG_MAP || !key)
        return NULL;
    for (size_t i = 0; i < map->count; i++) {
        if (!strcmp(map->pairs[i].key->str, key))
            return map->pairs[i].value;
    }
    return NULL;
}

const char *lr_cfg_scalar(const lr_cfg_node *node)
{
    return node && node->kind == LR_CFG_SCALAR ? node->str : NULL;
}

bool lr_cfg_is_null(const lr_cfg_node *node)
{
    if (!node || node->kind != LR_CFG_SCALAR || !node->plain || node->substituted)
        return false;
    const char *s = node->str;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *lr_cfg_kind_phrase(const lr_cfg_node *node)
{
    if (!node || lr_cfg_is_null(node))
        return "an empty value";
    switch (node->kind) {
    case LR_CFG_MAP:
        return "a mapping";
    case LR_CFG_SEQ:
        return "a list";
    default:
        return "a scalar";
    }
}

/* ------------------------------------------------------------------------ */
/* One file                                                                  */
/* ------------------------------------------------------------------------ */

/* The sections of one file, checked for shape; NULL = absent or empty. */
typedef struct file_sections {
    const lr_cfg_node *key[TOP_COUNT];
    const lr_cfg_node *value[TOP_COUNT];
} file_sections;

static int top_index(const char *key)
{
    for (int i = 0; i < TOP_COUNT; i++) {
        if (!strcmp(top_keys[i], key))
            return i;
    }
    return -1;
}

static int check_outputs(const lr_cfg_node *outputs, lr_errors *errs)
{
    int nerr = 0;
    for (size_t i = 0; i < outputs->count; i++) {
        const lr_cfg_pair *p = &outputs->pairs[i];
        if (p->value->kind != LR_CFG_MAP) {
            lr_errorf(errs, p->value,
                      "key 'outputs.%s': expected a mapping (type: and the output's options), found %s",
                      p->key->str, lr_cfg_kind_phrase(p->value));
            nerr++;
        }
    }
    return nerr;
}

static int check_sections(const lr_cfg_node *root, file_sections *fs, lr_errors *errs)
{
    int nerr = 0;
    memset(fs, 0, sizeof *fs);
    if (!root || lr_cfg_is_null(root))
        return 0; /* an empty file (or only comments) contributes nothing */
    if (root->kind != LR_CFG_MAP) {
        lr_errorf(errs, root, "the top level must be a mapping (agent, kafka, outputs, routes), found %s",
                  lr_cfg_kind_phrase(root));
        return 1;
    }
    for (size_t i = 0; i < root->count; i++) {
        const lr_cfg_pair *p = &root->pairs[i];
        int t = top_index(p->key->str);
        if (t < 0) {
            const char *hint = lr_suggest(p->key->str, top_keys, TOP_COUNT);
            if (hint)
                lr_errorf_key(errs, p->key, p->key->str, "unknown top-level key (did you mean '%s'?)", hint);
            else
                lr_errorf_key(errs, p->key, p->key->str,
                              "unknown top-level key (expected agent, kafka, outputs or routes)");
            nerr++;
            continue;
        }
        /* `routes:` with everything commented out is an empty section. */
        if (lr_cfg_is_null(p->value))
            continue;
        bool want_seq = t == TOP_ROUTES;
        lr_cfg_kind want = want_seq ? LR_CFG_SEQ : LR_CFG_MAP;
        if (p->value->kind != want) {
            lr_errorf_key(errs, p->value, p->key->str, "expected %s, found %s",
                          want_seq ? "a list" : "a mapping", lr_cfg_kind_phrase(p->value));
            nerr++;
            continue;
        }
        if (t == TOP_OUTPUTS)
            nerr += check_outputs(p->value, errs);
        fs->key[t] = p->key;
        fs->value[t] = p->value;
    }
    return nerr;
}

/* ------------------------------------------------------------------------ */
/* Merge                                                                     */
/* ------------------------------------------------------------------------ */

/* One merged section: pairs or items gathered over the files. */
typedef struct merged {
    const lr_cfg_node *first; /* the first file's section node: location of the result */
    lr_buf parts;             /* lr_cfg_pair (maps) or lr_cfg_node * (routes) */
} merged;

/* `agent`, `kafka` and `outputs` merge by key; the same key twice is an
 * error naming both places (outputs say "output 'es' is defined twice"). */
static int merge_map(merged *m, const char *section, const lr_cfg_node *map, lr_errors *errs)
{
    int nerr = 0;
    if (!m->first)
        m->first = map;
    for (size_t i = 0; i < map->count; i++) {
        const lr_cfg_pair *p = &map->pairs[i];
        const lr_cfg_pair *have = (const lr_cfg_pair *)m->parts.data;
        size_t n = m->parts.len / sizeof *have;
        const lr_cfg_pair *dup = NULL;
        for (size_t j = 0; j < n && !dup; j++) {
            if (!strcmp(have[j].key->str, p->key->str))
                dup = &have[j];
        }
        if (dup) {
            if (!strcmp(section, "outputs"))
                lr_errorf(errs, p->key, "key 'outputs.%s': output '%s' is defined twice (first at %s:%d:%d)",
                          p->key->str, p->key->str, dup->key->file, dup->key->line, dup->key->col);
            else
                lr_errorf(errs, p->key, "key '%s.%s': set twice (first at %s:%d:%d)", section, p->key->str,
                          dup->key->file, dup->key->line, dup->key->col);
            nerr++;
            continue;
        }
        lr_buf_append(&m->parts, p, sizeof *p);
    }
    return nerr;
}

static void merge_seq(merged *m, const lr_cfg_node *seq)
{
    if (!m->first)
        m->first = seq;
    if (seq->count)
        lr_buf_append(&m->parts, seq->items, seq->count * sizeof *seq->items);
}

static lr_cfg_node *merged_node(lr_arena *a, const merged *m, lr_cfg_kind kind)
{
    lr_cfg_node *n = lr_cfg_node_new(a, kind, m->first->file, m->first->line, m->first->col);
    void *copy = lr_arena_alloc(a, m->parts.len);
    if (m->parts.len)
        memcpy(copy, m->parts.data, m->parts.len);
    if (kind == LR_CFG_MAP) {
        n->pairs = copy;
        n->count = m->parts.len / sizeof(lr_cfg_pair);
    } else {
        n->items = copy;
        n->count = m->parts.len / sizeof(lr_cfg_node *);
    }
    return n;
}

/* Builds the merged root: sections in a fixed order, each present only if
 * some file has it. */
static int merge_files(lr_config *cfg, lr_arena *a, const file_sections *fs, size_t nfiles, lr_errors *errs)
{
    merged m[TOP_COUNT];
    const lr_cfg_node *first_key[TOP_COUNT] = {0};
    int nerr = 0;
    for (int t = 0; t < TOP_COUNT; t++) {
        m[t].first = NULL;
        lr_buf_init(&m[t].parts, 0);
    }
    for (size_t f = 0; f < nfiles; f++) {
        for (int t = 0; t < TOP_COUNT; t++) {
            if (!fs[f].value[t])
                continue;
            if (!first_key[t])
                first_key[t] = fs[f].key[t];
            if (t == TOP_ROUTES)
                merge_seq(&m[t], fs[f].value[t]);
            else
                nerr += merge_map(&m[t], top_keys[t], fs[f].value[t], errs);
        }
    }
    lr_cfg_node *root = lr_cfg_node_new(a, LR_CFG_MAP, cfg->files[0], 1, 1);
    root->pairs = lr_arena_alloc(a, TOP_COUNT * sizeof *root->pairs);
    for (int t = 0; t < TOP_COUNT; t++) {
        if (m[t].first) {
            lr_cfg_pair *p = &root->pairs[root->count++];
            p->key = (lr_cfg_node *)first_key[t];
            p->value = merged_node(a, &m[t], t == TOP_ROUTES ? LR_CFG_SEQ : LR_CFG_MAP);
        }
        lr_buf_free(&m[t].parts);
    }
    cfg->root = root;
    return nerr;
}

/* ------------------------------------------------------------------------ */
/* Files and directories                                                     */
/* ------------------------------------------------------------------------ */

static bool is_yaml_name(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.')
        return false; /* hidden files, editor swap files */
    return (n > 5 && !strcmp(name + n - 5, ".yaml")) || (n > 4 && !strcmp(name + n - 4, ".yml"));
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml / *.yml regular files of dir (not recursive), sorted with
 * strcmp so the order does not depend on the locale. */
static int list_dir(lr_config *cfg, lr_arena *a, const char *dir, lr_errors *errs)
{
    DIR *d = opendir(dir);
    if (!d) {
        lr_errorf(errs, NULL, "%s: cannot open directory: %s", dir, strerror(errno));
        return 1;
    }
    lr_buf names;
    lr_buf_init(&names, 0);
    size_t dlen = strlen(dir);
    bool slash = dlen && dir[dlen - 1] == '/';
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!is_yaml_name(de->d_name))
            continue;
        lr_buf path;
        lr_buf_init(&path, 0);
        lr_buf_printf(&path, "%s%s%s", dir, slash ? "" : "/", de->d_name);
        lr_buf_terminate(&path);
        struct stat st;
        /* stat, not lstat: conf.d entries are often symlinks. */
        if (stat(path.data, &st) == 0 && S_ISREG(st.st_mode)) {
            char *copy = lr_arena_memdup(a, path.data, path.len);
            lr_buf_append(&names, &copy, sizeof copy);
        }
        lr_buf_free(&path);
    }
    closedir(d);
    size_t n = names.len / sizeof(char *);
    int nerr = 0;
    if (n == 0) {
        lr_errorf(errs, NULL, "%s: no *.yaml or *.yml file in this directory", dir);
        nerr = 1;
    } else {
        qsort(names.data, n, sizeof(char *), cmp_names);
        cfg->files = lr_arena_alloc(a, n * sizeof(char *));
        memcpy(cfg->files, names.data, n * sizeof(char *));
        cfg->nfiles = n;
    }
    lr_buf_free(&names);
    return nerr;
}

static int parse_text(lr_config *cfg, lr_arena *a, size_t i, const char *text, size_t len, file_sections *fs,
                      lr_errors *errs)
{
    lr_cfg_node *root = NULL;
    int nerr = lr_yaml_parse(a, cfg->files[i], text, len, &root, errs);
    if (root || !nerr)
        nerr += check_sections(root, fs, errs);
    return nerr;
}

static lr_config *config_new(void)
{
    lr_config *cfg = calloc(1, sizeof *cfg);
    lr_config_priv *priv = calloc(1, sizeof *priv);
    if (!cfg || !priv) {
        free(cfg);
        free(priv);
        return NULL;
    }
    lr_arena_init(&priv->arena, NULL, 0);
    cfg->priv = priv;
    return cfg;
}

/* Parse every file (collecting all errors), then merge. */
static lr_config *load_files(lr_config *cfg, lr_errors *errs)
{
    lr_arena *a = &((lr_config_priv *)cfg->priv)->arena;
    int nerr = 0;
    file_sections *fs = calloc(cfg->nfiles, sizeof *fs);
    if (!fs) {
        lr_errorf(errs, NULL, "out of memory");
        lr_config_free(cfg);
        return NULL;
    }
    for (size_t i = 0; i < cfg->nfiles; i++) {
        size_t len = 0;
        char *text = lr_read_file(cfg->files[i], LR_CFG_MAX_FILE, &len);
        if (!text) {
            lr_errorf(errs, NULL, "%s: cannot read: %s", cfg->files[i],
                      errno == EFBIG ? "file is larger than 16 MiB" : strerror(errno));
            nerr++;
            continue;
        }
        nerr += parse_text(cfg, a, i, text, len, &fs[i], errs);
        free(text);
    }
    if (!nerr)
        nerr = merge_files(cfg, a, fs, cfg->nfiles, errs);
    free(fs);
    if (nerr) {
        lr_config_free(cfg);
        return NULL;
    }
    return cfg;
}

lr_config *lr_config_load(const char *path, lr_errors *errs)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        lr_errorf(errs, NULL, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    lr_config *cfg = config_new();
    if (!cfg) {
        lr_errorf(errs, NULL, "out of memory");
        return NULL;
    }
    lr_arena *a = &((lr_config_priv *)cfg->priv)->arena;
    if (S_ISDIR(st.st_mode)) {
        if (list_dir(cfg, a, path, errs)) {
            lr_config_free(cfg);
            return NULL;
        }
    } else {
        cfg->files = lr_arena_alloc(a, sizeof(char *));
        cfg->files[0] = lr_arena_memdup(a, path, strlen(path));
        cfg->nfiles = 1;
    }
    return load_files(cfg, errs);
}

lr_config *lr_config_load_string(const char *yaml, const char *name, lr_errors *errs)
{
    lr_config *cfg = config_new();
    if (!cfg) {
        lr_errorf(errs, NULL, "out of memory");
        return NULL;
    }
    lr_arena *a = &((lr_config_priv *)cfg->priv)->arena;
    cfg->files = lr_arena_alloc(a, sizeof(char *));
    cfg->files[0] = lr_arena_memdup(a, name, strlen(name));
    cfg->nfiles = 1;
    file_sections fs;
    int nerr = parse_text(cfg, a, 0, yaml, strlen(yaml), &fs, errs);
    if (!nerr)
        nerr = merge_files(cfg, a, &fs, 1, errs);
    if (nerr) {
        lr_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void lr_config_free(lr_config *cfg)
{
    if (!cfg)
        return;
    lr_config_priv *priv = cfg->priv;
    if (priv) {
        lr_arena_release(&priv->arena);
        free(priv);
    }
    free(cfg);
}
