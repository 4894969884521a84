/*
 * source_names.c: the process-wide table behind lr_source_name.
 * Threading: one mutex; lookups are rare (once per input and topic).
 */
#include "record/source_names.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static char **names;
static size_t nnames, cap_names;

const char *lr_source_name(const char *name)
{
    pthread_mutex_lock(&names_lock);
    const char *found = NULL;
    for (size_t i = 0; i < nnames && !found; i++)
        if (strcmp(names[i], name) == 0)
            found = names[i];
    if (!found) {
        if (nnames == cap_names) {
            size_t cap = cap_names ? 2 * cap_names : 16;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown) {
                fputs("logrelay: out of memory\n", stderr);
                abort();
            }
            names = grown;
            cap_names = cap;
        }
        char *copy = strdup(name);
        if (!copy) {
            fputs("logrelay: out of memory\n", stderr);
            abort();
        }
        names[nnames++] = copy;
        found = copy;
    }
    pthread_mutex_unlock(&names_lock);
    return found;
}
