/* cmd_plugins.c: `logrelay plugins`: what the loader found and what it refused, and why. */
#include <getopt.h>
#include <stdio.h>

#include "cli/commands.h"
#include "plugin/plugin.h"

int lr_cmd_plugins(int argc, char **argv)
{
    const char *dir = NULL;
    static const struct option opts[] = {
        {"plugin-dir", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            dir = optarg;
            break;
        case 'h':
            puts("usage: logrelay plugins [--plugin-dir DIR]\n\nList the output modules found in DIR "
                 "(default: "
                 "plugins/ next to the executable,\nelse the installed module directory) and the files "
                 "refused, "
                 "with the reason.\nExit 1 when a module was refused.");
            return 0;
        default:
            return 2;
        }
    }
    if (!dir)
        dir = lr_plugins_default_dir();
    lr_plugin_registry *reg = lr_plugins_load_dir(dir);
    int refused = 0;
    printf("plugin directory: %s\n", dir);
    for (size_t i = 0; i < lr_plugins_count(reg); i++) {
        const lr_plugin_entry *e = lr_plugins_at(reg, i);
        if (e->desc)
            printf("  %-14s %-8s %s (%s)\n", e->desc->name, e->desc->version ? e->desc->version : "-",
                   e->desc->description ? e->desc->description : "", e->path);
    }
    for (size_t i = 0; i < lr_plugins_count(reg); i++) {
        const lr_plugin_entry *e = lr_plugins_at(reg, i);
        if (e->refused) {
            if (!refused++)
                printf("refused:\n");
            printf("  %s: %s\n", e->path, e->refused);
        }
    }
    lr_plugins_free(reg);
    return refused ? 1 : 0;
}
