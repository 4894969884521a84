/*
 * record_pool.h: recycled memory blocks for records. A record is one malloc
 * of about 2 KiB, created on the pipeline thread and freed on whichever
 * output worker finishes last; glibc serves that size from its bins (not the
 * per-thread cache) and takes its arena lock for a free from another thread.
 * The pool keeps freed blocks of two fixed sizes and hands them back to the
 * next record.
 *
 * Ownership: lr_record_pool_get returns a block the caller owns until it
 * gives it back with lr_record_pool_put (never free() it). Blocks larger than
 * the biggest class are plain malloc/free. Under AddressSanitizer every
 * block is malloc'd and freed (recycled memory would hide use-after-free
 * from it), with the same sizes.
 *
 * Threading: any thread may get and put. Freed blocks go to a shared
 * lock-free stack; a getting thread takes the whole stack at once into its
 * own list, so no thread ever pops a single node another thread can pop (no
 * ABA). The shared stacks hold about LR_RECORD_POOL_CLASS_BYTES per class;
 * beyond that a put frees.
 */
#ifndef LR_RECORD_POOL_H
#define LR_RECORD_POOL_H

#include <stdbool.h>
#include <stddef.h>

/* Memory held back for reuse, per size class (2, 4 and 8 KiB blocks). */
#define LR_RECORD_POOL_CLASS_BYTES (8u << 20)

/* A block of at least `size` bytes; *cap receives its real size (the class
 * size, or `size` for a malloc'd block). Never returns NULL (aborts on OOM). */
void *lr_record_pool_get(size_t size, size_t *cap);
/* Give a block back; `cap` is what lr_record_pool_get reported. */
void lr_record_pool_put(void *block, size_t cap);
/* False when blocks are never reused (AddressSanitizer builds). */
bool lr_record_pool_enabled(void);
/* Free every block the shared stacks and this thread hold (at shutdown, so
 * leak checkers see nothing). */
void lr_record_pool_trim(void);

#endif
