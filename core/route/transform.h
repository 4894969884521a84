/*
 * transform.h: a route's light transforms (`rename`, `remove`, `set`),
 * applied in that order, each list in the order written.
 *
 * Copy-on-write: applying them never touches the record's own fields. Only
 * the objects on the path to a change are copied (a new member array in the
 * record's arena); every other value is shared with the record. The result
 * is a separate lr_event view with its own JSON encoding, also in the arena.
 *
 * Paths are route paths (route/path.h). Through an array a transform
 * applies to every element; duplicate keys are all removed / renamed; `set`
 * replaces a key (dropping its duplicates) or creates it, creating missing
 * parent objects, and leaves the record alone where a parent on the path is
 * not an object.
 *
 * Threading: built at start-up; apply runs on the pipeline thread (it writes
 * only to the record's arena).
 */
#ifndef LR_ROUTE_TRANSFORM_H
#define LR_ROUTE_TRANSFORM_H

#include <stdio.h>

#include "config/config.h"
#include "record/record.h"

typedef struct lr_transforms lr_transforms;

/* Compile a route's `set` (mapping path -> constant), `remove` (path or list
 * of paths) and `rename` (mapping old path -> new path); any may be NULL.
 * Sets *out to NULL when there is nothing to do. Returns the number of errors
 * added to errs (each naming `route`). */
int lr_transforms_build(const lr_cfg_node *set, const lr_cfg_node *remove, const lr_cfg_node *rename,
                        const char *route, lr_transforms **out, lr_errors *errs);
void lr_transforms_free(lr_transforms *t);

/* A new view of rec with the transforms applied and its JSON encoded; lives
 * in rec's arena. rec->ev and rec's fields are unchanged. */
const lr_event *lr_transforms_apply(const lr_transforms *t, lr_record *rec);

/* The transforms as `logrelay check` lists them, one line each, prefixed
 * with `indent`. Values that came from ${env:..}/${file:..} are not shown. */
void lr_transforms_print(const lr_transforms *t, FILE *out, const char *indent);

/* The value a `set:` scalar stands for: a plain (unquoted) YAML integer,
 * float, true/false or null becomes that type, anything else a string.
 * Strings point into `text`. */
lr_value lr_transform_scalar_value(const char *text, size_t len, bool plain);

#endif
