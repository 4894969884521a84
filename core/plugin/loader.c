/*
 * loader.c: the plugin registry. dlopen every module in plugin_dir, check
 * its descriptor before trusting a single callback, and remember refusals
 * with the file and the reason (nginx refuses incompatible modules; an
 * unchecked descriptor crashes later, far from the cause).
 * Main thread only.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/plugin.h"
#include "util/buf.h"

struct lr_plugin_registry {
    lr_plugin_entry *entries;
    void **handles;
    size_t count, cap;
};

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
    lr_buf b;
    lr_buf_init(&b, 0);
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    lr_buf_append_str(&b, tmp);
    return lr_buf_steal(&b, NULL);
}

static lr_plugin_entry *add_entry(lr_plugin_registry *reg, const char *path, void *handle)
{
    if (reg->count == reg->cap) {
        size_t ncap = reg->cap ? reg->cap * 2 : 16;
        lr_plugin_entry *e = realloc(reg->entries, ncap * sizeof *e);
        void **h = realloc(reg->handles, ncap * sizeof *h);
        if (!e || !h)
            abort();
        reg->entries = e;
        reg->handles = h;
        reg->cap = ncap;
    }
    lr_plugin_entry *e = &reg->entries[reg->count];
    memset(e, 0, sizeof *e);
    e->path = strdup(path);
    reg->handles[reg->count] = handle;
    reg->count++;
    return e;
}

static bool valid_name(const char *n)
{
    if (!n || !*n || strlen(n) > 64)
        return false;
    for (const char *p = n; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    }
    return true;
}

/* Returns a malloc'd reason, or NULL when the descriptor is acceptable. */
static char *check_descriptor(const lr_plugin_registry *reg, const lr_output_plugin *d)
{
    if (d->abi_version != LR_ABI_VERSION)
        return dup_printf(
            "plugin ABI version %u, this logrelay speaks version %u: rebuild the module against "
            "this logrelay's headers",
            d->abi_version, LR_ABI_VERSION);
    if (!d->build_signature || strcmp(d->build_signature, LR_BUILD_SIGNATURE) != 0)
        return dup_printf("build signature '%s' does not match '%s'",
                          d->build_signature ? d->build_signature : "(null)", LR_BUILD_SIGNATURE);
    if (d->struct_size != sizeof(lr_output_plugin))
        return dup_printf("descriptor size %u, expected %zu", d->struct_size, sizeof(lr_output_plugin));
    if (!valid_name(d->name))
        return dup_printf("invalid module name '%s' (use [a-z0-9_], at most 64 characters)",
                          d->name ? d->name : "(null)");
    if (!d->init || !d->deliver || !d->fini)
        return dup_printf("module '%s' lacks a required callback (%s)", d->name,
                          !d->init      ? "init"
                          : !d->deliver ? "deliver"
                                        : "fini");
    if (d->config_size && !d->options)
        return dup_printf("module '%s' has a config size but no option table", d->name);
    for (const lr_option *o = d->options; o && o->key; o++) {
        if (o->type < LR_OPT_STRING || o->type > LR_OPT_MODE)
            return dup_printf("module '%s': option '%s' has an unknown type %d", d->name, o->key,
                              (int)o->type);
        if (o->type == LR_OPT_ENUM && !o->enum_values)
            return dup_printf("module '%s': enum option '%s' lists no values", d->name, o->key);
        if (o->offset >= d->config_size && d->config_size)
            return dup_printf("module '%s': option '%s' writes outside the config struct", d->name, o->key);
    }
    for (size_t i = 0; i < sizeof d->reserved / sizeof d->reserved[0]; i++) {
        if (d->reserved[i])
            return dup_printf("module '%s' uses reserved descriptor space: built for a newer logrelay?",
                              d->name);
    }
    for (size_t i = 0; i < reg->count; i++) {
        const lr_plugin_entry *e = &reg->entries[i];
        if (e->desc && strcmp(e->desc->name, d->name) == 0)
            return dup_printf("duplicate module name '%s', already loaded from %s", d->name, e->path);
    }
    return NULL;
}

const lr_plugin_entry *lr_plugins_load_file(lr_plugin_registry *reg, const char *path)
{
    /* RTLD_LOCAL: modules never see each other's symbols; RTLD_NOW: a missing
     * symbol is found here, with the file name, not at the first delivery. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        lr_plugin_entry *e = add_entry(reg, path, NULL);
        const char *msg = dlerror();
        e->refused = dup_printf("cannot load: %s", msg ? msg : "unknown dlopen error");
        return e;
    }
    dlerror();
    const lr_output_plugin *d = dlsym(h, LR_PLUGIN_SYMBOL);
    lr_plugin_entry *e = add_entry(reg, path, h);
    if (!d) {
        e->refused =
            dup_printf("no '%s' symbol: not a logrelay output module (declare it with LR_OUTPUT_PLUGIN)",
                       LR_PLUGIN_SYMBOL);
        return e;
    }
    char *why = check_descriptor(reg, d);
    if (why) {
        e->refused = why;
        return e;
    }
    e->desc = d;
    return e;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

lr_plugin_registry *lr_plugins_load_dir(const char *dir)
{
    lr_plugin_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        abort();
    DIR *d = opendir(dir);
    if (!d) {
        lr_plugin_entry *e = add_entry(reg, dir, NULL);
        e->refused = dup_printf("cannot open plugin directory: %s", strerror(errno));
        return reg;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 4 || strcmp(de->d_name + l - 3, ".so") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                abort();
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        lr_plugins_load_file(reg, path);
        free(names[i]);
    }
    free(names);
    return reg;
}

void lr_plugins_free(lr_plugin_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->count; i++) {
        free(reg->entries[i].path);
        free(reg->entries[i].refused);
        /* Modules stay mapped until exit: a module may have registered
         * atexit handlers or library state (libcurl, OpenSSL) that must not
         * vanish under it. */
    }
    free(reg->entries);
    free(reg->handles);
    free(reg);
}

size_t lr_plugins_count(const lr_plugin_registry *reg)
{
    return reg->count;
}

const lr_plugin_entry *lr_plugins_at(const lr_plugin_registry *reg, size_t i)
{
    return i < reg->count ? &reg->entries[i] : NULL;
}

const lr_plugin_entry *lr_plugins_find(const lr_plugin_registry *reg, const char *name)
{
    for (size_t i = 0; i < reg->count; i++) {
        if (reg->entries[i].desc && strcmp(reg->entries[i].desc->name, name) == 0)
            return &reg->entries[i];
    }
    return NULL;
}

const char *lr_plugins_default_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0])
        return dir;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char cand[PATH_MAX + 16];
            snprintf(cand, sizeof cand, "%s/plugins", exe);
            struct stat st;
            if (stat(cand, &st) == 0 && S_ISDIR(st.st_mode) && strlen(cand) < sizeof dir) {
                memcpy(dir, cand, strlen(cand) + 1);
                return dir;
            }
        }
    }
    snprintf(dir, sizeof dir, "%s", LOGRELAY_PLUGIN_INSTALL_DIR);
    return dir;
}
