/* test_ring.c: growing a ring buffer keeps its elements in order (core/util/ring.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>

#include "util/ring.h"

/* A FIFO of ints driven through many pushes and pops, so that the array is
 * full with its head at every position when it grows; the values come out
 * in the order they went in. */
static void test_fifo_order_across_growth(void **state)
{
    (void)state;
    int *ring = NULL;
    size_t cap = 0, head = 0, count = 0;
    int next_in = 0, next_out = 0;
    for (int round = 0; round < 2000; round++) {
        for (int k = 0; k < 3; k++) { /* three in, two out: grows slowly, head moves */
            ring = lr_ring_make_room(ring, sizeof *ring, &cap, &head, count, 4);
            ring[(head + count) % cap] = next_in++;
            count++;
        }
        for (int k = 0; k < 2; k++) {
            assert_int_equal(ring[head], next_out++);
            head = (head + 1) % cap;
            count--;
        }
    }
    assert_true(cap >= count);
    while (count) {
        assert_int_equal(ring[head], next_out++);
        head = (head + 1) % cap;
        count--;
    }
    assert_int_equal(next_out, next_in);
    free(ring);
}

/* With room left the array is not touched. */
static void test_room_left_keeps_array(void **state)
{
    (void)state;
    size_t cap = 8, head = 5;
    int *ring = malloc(cap * sizeof *ring);
    assert_ptr_equal(lr_ring_make_room(ring, sizeof *ring, &cap, &head, 7, 4), ring);
    assert_int_equal(cap, 8);
    assert_int_equal(head, 5);
    free(ring);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_order_across_growth),
        cmocka_unit_test(test_room_left_keeps_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
