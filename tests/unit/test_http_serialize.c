/*
 * Serialise-only tests of the shared HTTP pieces (outputs/common, lrhttp):
 * records in, exact body bytes out for json_lines, json_array and raw_lines;
 * the byte budget takes whole records only and never passes the budget;
 * the buffer cap; gzip bodies inflate back to the same bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lrhttp.h"

/* ---- events ----------------------------------------------------------- */

typedef struct test_event {
    lr_event ev;
    char raw[256];
    char json[512];
} test_event;

/* An event whose JSON is {"message":"<raw>"} (raw holds no characters that
 * need escaping in these tests). */
static void make_event(test_event *t, const char *raw)
{
    memset(t, 0, sizeof *t);
    snprintf(t->raw, sizeof t->raw, "%s", raw);
    size_t rl = strlen(t->raw);
    /* the JSON never contains the trailing newline a raw line may have */
    snprintf(t->json, sizeof t->json, "{\"message\":\"%.*s\"}",
             (int)(rl && raw[rl - 1] == '\n' ? rl - 1 : rl), t->raw);
    t->ev.size = sizeof t->ev;
    t->ev.raw = t->raw;
    t->ev.raw_len = rl;
    t->ev.json = t->json;
    t->ev.json_len = strlen(t->json);
    t->ev.partition = -1;
    t->ev.offset = -1;
}

typedef struct batch {
    test_event te[8];
    const lr_event *ev[8];
    size_t n;
} batch;

static void make_batch(batch *b, const char *const *raws, size_t n)
{
    b->n = n;
    for (size_t i = 0; i < n; i++) {
        make_event(&b->te[i], raws[i]);
        b->ev[i] = &b->te[i].ev;
    }
}

static const char *const three[] = {"alpha", "b", "gamma gamma"};

/* Serialise the whole batch with an unlimited budget; returns the body. */
static void serialize_all(lrhttp_buf *out, lrhttp_format f, const batch *b)
{
    size_t taken = 99;
    assert_int_equal(lrhttp_serialize(out, f, b->ev, b->n, SIZE_MAX, &taken), LRHTTP_SER_OK);
    assert_int_equal(taken, b->n);
}

/* ---- formats ----------------------------------------------------------- */

static void test_json_lines(void **state)
{
    (void)state;
    batch b;
    make_batch(&b, three, 3);
    lrhttp_buf out;
    lrhttp_buf_init(&out, 1 << 20);
    serialize_all(&out, LRHTTP_JSON_LINES, &b);
    const char *want = "{\"message\":\"alpha\"}\n{\"message\":\"b\"}\n{\"message\":\"gamma gamma\"}\n";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    assert_string_equal(lrhttp_format_content_type(LRHTTP_JSON_LINES), "application/x-ndjson");
    lrhttp_buf_free(&out);
}

static void test_json_array(void **state)
{
    (void)state;
    batch b;
    make_batch(&b, three, 3);
    lrhttp_buf out;
    lrhttp_buf_init(&out, 1 << 20);
    serialize_all(&out, LRHTTP_JSON_ARRAY, &b);
    const char *want = "[{\"message\":\"alpha\"},{\"message\":\"b\"},{\"message\":\"gamma gamma\"}]";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);

    /* one record: no comma; none: an empty array */
    lrhttp_buf_reset(&out);
    make_batch(&b, three, 1);
    serialize_all(&out, LRHTTP_JSON_ARRAY, &b);
    assert_string_equal(out.data, "[{\"message\":\"alpha\"}]");
    lrhttp_buf_reset(&out);
    b.n = 0;
    serialize_all(&out, LRHTTP_JSON_ARRAY, &b);
    assert_string_equal(out.data, "[]");
    assert_string_equal(lrhttp_format_content_type(LRHTTP_JSON_ARRAY), "application/json");
    lrhttp_buf_free(&out);
}

static void test_raw_lines(void **state)
{
    (void)state;
    /* a line that ends in a newline is not given a second one; an empty line stays a line */
    static const char *const raws[] = {"GET / 200", "POST /x 404\n", "", "last"};
    batch b;
    make_batch(&b, raws, 4);
    lrhttp_buf out;
    lrhttp_buf_init(&out, 1 << 20);
    serialize_all(&out, LRHTTP_RAW_LINES, &b);
    const char *want = "GET / 200\nPOST /x 404\n\nlast\n";
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);

    /* raw bytes go out unchanged, NUL and invalid UTF-8 included */
    test_event t;
    make_event(&t, "");
    static const char bin[] = {'a', '\0', (char)0xff, 'b'};
    t.ev.raw = bin;
    t.ev.raw_len = sizeof bin;
    const lr_event *one[] = {&t.ev};
    size_t taken;
    lrhttp_buf_reset(&out);
    assert_int_equal(lrhttp_serialize(&out, LRHTTP_RAW_LINES, one, 1, SIZE_MAX, &taken), LRHTTP_SER_OK);
    assert_int_equal(out.len, 5);
    static const char want_bin[] = {'a', '\0', (char)0xff, 'b', '\n'};
    assert_memory_equal(out.data, want_bin, sizeof want_bin);
    lrhttp_buf_free(&out);
}

static void test_appends_after_existing_content(void **state)
{
    (void)state;
    batch b;
    make_batch(&b, three, 2);
    lrhttp_buf out;
    lrhttp_buf_init(&out, 1 << 20);
    assert_int_equal(lrhttp_buf_append(&out, "HEAD|", 5), 0);
    serialize_all(&out, LRHTTP_JSON_LINES, &b);
    assert_string_equal(out.data, "HEAD|{\"message\":\"alpha\"}\n{\"message\":\"b\"}\n");
    lrhttp_buf_free(&out);
}

/* ---- byte budget ------------------------------------------------------- */

/* For every format and every budget from 0 to the full size: only whole
 * records, in order, the body never larger than the budget, and as many
 * records as fit (one more would not). */
static void test_budget_whole_records_only(void **state)
{
    (void)state;
    static const char *const raws[] = {"one", "twenty-two", "3", "four four four", "five"};
    batch b;
    make_batch(&b, raws, 5);
    lrhttp_buf full, out;
    lrhttp_buf_init(&full, 1 << 20);
    lrhttp_buf_init(&out, 1 << 20);
    for (int f = LRHTTP_JSON_LINES; f <= LRHTTP_RAW_LINES; f++) {
        lrhttp_buf_reset(&full);
        serialize_all(&full, (lrhttp_format)f, &b);
        for (size_t budget = 0; budget <= full.len + 1; budget++) {
            size_t taken = 99;
            lrhttp_buf_reset(&out);
            int rc = lrhttp_serialize(&out, (lrhttp_format)f, b.ev, b.n, budget, &taken);
            if (rc == LRHTTP_SER_TOO_LARGE) {
                assert_int_equal(taken, 0);
                assert_int_equal(out.len, 0);
                /* the first record alone really does not fit */
                size_t first =
                    lrhttp_event_size((lrhttp_format)f, b.ev[0]) + (f == LRHTTP_JSON_ARRAY ? 1 : 0);
                assert_true(first > budget);
                continue;
            }
            assert_int_equal(rc, LRHTTP_SER_OK);
            assert_true(taken >= 1 && taken <= b.n);
            assert_true(out.len <= budget);
            /* the same bytes as the whole batch cut to `taken` records */
            lrhttp_buf part;
            lrhttp_buf_init(&part, 1 << 20);
            size_t t2;
            assert_int_equal(lrhttp_serialize(&part, (lrhttp_format)f, b.ev, taken, SIZE_MAX, &t2), 0);
            assert_int_equal(part.len, out.len);
            assert_memory_equal(part.data, out.data, out.len);
            lrhttp_buf_free(&part);
            /* maximal: the next record would have passed the budget */
            if (taken < b.n)
                assert_true(out.len + lrhttp_event_size((lrhttp_format)f, b.ev[taken]) > budget);
        }
    }
    lrhttp_buf_free(&full);
    lrhttp_buf_free(&out);
}

static void test_budget_exact_fit(void **state)
{
    (void)state;
    batch b;
    make_batch(&b, three, 3);
    lrhttp_buf out;
    lrhttp_buf_init(&out, 1 << 20);
    /* json_array of the first two: [{"message":"alpha"},{"message":"b"}] */
    const char *two = "[{\"message\":\"alpha\"},{\"message\":\"b\"}]";
    size_t taken;
    assert_int_equal(lrhttp_serialize(&out, LRHTTP_JSON_ARRAY, b.ev, 3, strlen(two), &taken), LRHTTP_SER_OK);
    assert_int_equal(taken, 2);
    assert_string_equal(out.data, two);
    lrhttp_buf_reset(&out);
    assert_int_equal(lrhttp_serialize(&out, LRHTTP_JSON_ARRAY, b.ev, 3, strlen(two) - 1, &taken),
                     LRHTTP_SER_OK);
    assert_int_equal(taken, 1);
    assert_string_equal(out.data, "[{\"message\":\"alpha\"}]");
    /* a first record larger than the budget: nothing taken, the caller rejects it */
    lrhttp_buf_reset(&out);
    assert_int_equal(lrhttp_serialize(&out, LRHTTP_JSON_LINES, b.ev, 3, 10, &taken), LRHTTP_SER_TOO_LARGE);
    assert_int_equal(taken, 0);
    assert_int_equal(out.len, 0);
    lrhttp_buf_free(&out);
}

static void test_buffer_cap(void **state)
{
    (void)state;
    batch b;
    make_batch(&b, three, 3);
    lrhttp_buf out;
    lrhttp_buf_init(&out, 40); /* less than the three records need */
    assert_int_equal(lrhttp_buf_append(&out, "x", 1), 0);
    size_t taken = 99;
    assert_int_equal(lrhttp_serialize(&out, LRHTTP_JSON_LINES, b.ev, 3, SIZE_MAX, &taken), LRHTTP_SER_NOMEM);
    assert_int_equal(taken, 0);
    assert_int_equal(out.len, 1);
    assert_string_equal(out.data, "x");
    /* capture up to the cap and no further */
    char big[100];
    memset(big, 'z', sizeof big);
    assert_int_equal(lrhttp_buf_append_some(&out, big, sizeof big), 39);
    assert_int_equal(out.len, 40);
    assert_int_equal(lrhttp_buf_append_some(&out, big, 1), 0);
    assert_int_equal(lrhttp_buf_append(&out, big, 1), -1);
    assert_int_equal(out.len, 40);
    assert_true(out.alloc <= 41);
    lrhttp_buf_free(&out);
}

/* ---- gzip -------------------------------------------------------------- */

/* Inflate a gzip member with zlib, independently of lrhttp_gzip. */
static size_t gunzip(const char *in, size_t inlen, char *out, size_t outcap)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK); /* gzip wrapper only */
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)inlen;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)outcap;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    assert_int_equal(zs.avail_in, 0); /* nothing after the member */
    size_t n = zs.total_out;
    inflateEnd(&zs);
    return n;
}

static void test_gzip_round_trip(void **state)
{
    (void)state;
    /* a body like the ones the output sends: 5000 JSON lines */
    lrhttp_buf body, gz;
    lrhttp_buf_init(&body, 1 << 24);
    lrhttp_buf_init(&gz, 1 << 24);
    for (int i = 0; i < 5000; i++) {
        char line[128];
        int n =
            snprintf(line, sizeof line, "{\"message\":\"GET /img/%d.png 200 %d\"}\n", i * 7919 % 10007, i);
        assert_int_equal(lrhttp_buf_append(&body, line, (size_t)n), 0);
    }
    assert_int_equal(lrhttp_buf_append(&gz, "PREFIX", 6), 0); /* appended after existing bytes */
    assert_int_equal(lrhttp_gzip(&gz, body.data, body.len, 6), 0);
    assert_true(gz.len - 6 < body.len / 3);
    assert_memory_equal(gz.data, "PREFIX", 6);
    /* RFC 1952 header: magic 1f 8b, method 8 (deflate) */
    assert_int_equal((unsigned char)gz.data[6], 0x1f);
    assert_int_equal((unsigned char)gz.data[7], 0x8b);
    assert_int_equal((unsigned char)gz.data[8], 8);
    char *back = malloc(body.len + 16);
    assert_non_null(back);
    size_t n = gunzip(gz.data + 6, gz.len - 6, back, body.len + 16);
    assert_int_equal(n, body.len);
    assert_memory_equal(back, body.data, n);
    free(back);

    /* an empty body is still a valid gzip member */
    lrhttp_buf_reset(&gz);
    assert_int_equal(lrhttp_gzip(&gz, "", 0, -1), 0);
    char tiny[4];
    assert_int_equal(gunzip(gz.data, gz.len, tiny, sizeof tiny), 0);
    lrhttp_buf_free(&body);
    lrhttp_buf_free(&gz);
}

static void test_gzip_respects_cap(void **state)
{
    (void)state;
    lrhttp_buf gz;
    lrhttp_buf_init(&gz, 16); /* smaller than any gzip member of 1000 bytes could be */
    char in[1000];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (char)(i * 131 % 251);
    assert_int_equal(lrhttp_gzip(&gz, in, sizeof in, 9), -1);
    assert_int_equal(gz.len, 0);
    lrhttp_buf_free(&gz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_json_array),
        cmocka_unit_test(test_raw_lines),
        cmocka_unit_test(test_appends_after_existing_content),
        cmocka_unit_test(test_budget_whole_records_only),
        cmocka_unit_test(test_budget_exact_fit),
        cmocka_unit_test(test_buffer_cap),
        cmocka_unit_test(test_gzip_round_trip),
        cmocka_unit_test(test_gzip_respects_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
