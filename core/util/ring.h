/*
 * ring.h: growing the ring buffers of the queue code (the memory queue's
 * FIFO, the disk queue's stage, the spool's acknowledgement window): arrays
 * of fixed-size elements used circularly, `count` of them from index `head`.
 * The owner keeps the array, its capacity and the head; this only makes room.
 */
#ifndef LR_RING_H
#define LR_RING_H

#include <stddef.h>

/* Room for one more element: when the ring (`*cap` elements of `size`
 * bytes) is full, a new array of twice the capacity (`first_cap` when it was
 * empty) receives the elements in order from index 0 and the old one is
 * freed; *cap and *head are updated. Returns the array to use from now on
 * (ring itself when there was room). Aborts when out of memory: a queue that
 * cannot hold what backpressure already let in has no better choice. */
void *lr_ring_make_room(void *ring, size_t size, size_t *cap, size_t *head, size_t count, size_t first_cap);

#endif
