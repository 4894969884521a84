/*
 * plugin.h: finding output modules and running output instances.
 *
 * Registry: every *.so in plugin_dir is dlopen'ed and its one exported
 * descriptor (LR_PLUGIN_SYMBOL) checked: ABI version, build signature,
 * struct size, name syntax, option table sanity, required callbacks, no
 * duplicate name. Refused modules are kept with the file and the reason, for
 * `logrelay plugins` and for a clear error when a config names them.
 *
 * Instance: one configured output (`outputs.<name>`). Its options are
 * validated against the module's table (plus the core's own per-output
 * options: queue, batch, retry, workers, deadletter), then init() runs.
 *
 * Threading: registry and instance creation/destruction on the main thread.
 * lr_instance_worker_* run on the calling (worker) thread.
 */
#ifndef LR_PLUGIN_H
#define LR_PLUGIN_H

#include <logrelay/logrelay.h>
#include <stdio.h>

#include "config/config.h"

typedef struct lr_plugin_registry lr_plugin_registry;

typedef struct lr_plugin_entry {
    char *path;                   /* file it came from */
    const lr_output_plugin *desc; /* NULL when refused */
    char *refused;                /* reason when refused, else NULL */
} lr_plugin_entry;

/* Scan `dir` (non-recursive, *.so, lexical order). Never NULL; a missing or
 * unreadable directory is recorded as one refusal. */
lr_plugin_registry *lr_plugins_load_dir(const char *dir);
/* Load one more file into the registry (tests, `--plugin FILE`). Returns the
 * entry (check ->refused). */
const lr_plugin_entry *lr_plugins_load_file(lr_plugin_registry *reg, const char *path);
void lr_plugins_free(lr_plugin_registry *reg);
size_t lr_plugins_count(const lr_plugin_registry *reg);
const lr_plugin_entry *lr_plugins_at(const lr_plugin_registry *reg, size_t i);
/* The usable module of that name, or NULL. */
const lr_plugin_entry *lr_plugins_find(const lr_plugin_registry *reg, const char *name);
/* The directory `logrelay` uses when agent.plugin_dir is not set: `plugins/`
 * next to the executable when it exists (build tree), else the installed
 * LOGRELAY_PLUGIN_INSTALL_DIR. Static storage. */
const char *lr_plugins_default_dir(void);

#endif
