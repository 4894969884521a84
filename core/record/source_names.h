/*
 * source_names.h: the names records come from (Kafka topics, replay inputs),
 * each kept once for the life of the process. A record points at its
 * source's one copy instead of copying the name into its arena: no copy per
 * record, and routing takes a `from:` decision once per source and batch,
 * since equal names are then equal pointers.
 *
 * Threading: any thread (a mutex guards the table; callers keep the pointer
 * and look a name up once, not per record).
 */
#ifndef LR_SOURCE_NAMES_H
#define LR_SOURCE_NAMES_H

/* The process's copy of name: the same pointer for equal names, valid until
 * the process ends. Sources are few (topics, input files), so the table is
 * never pruned. */
const char *lr_source_name(const char *name);

#endif
