/* Unit tests for the shared JSON encoder: exact bytes for every escape rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "record/json_encode.h"

static void check_string(const char *in, size_t n, const char *want)
{
    lr_buf b;
    lr_buf_init(&b, 0);
    assert_true(lr_json_encode_string(&b, in, n));
    lr_buf_terminate(&b);
    assert_string_equal(b.data, want);
    lr_buf_free(&b);
}

static void test_plain_and_escapes(void **state)
{
    (void)state;
    check_string("abc", 3, "\"abc\"");
    check_string("", 0, "\"\"");
    check_string("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    check_string("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"");
    check_string("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    check_string("a\0b", 3, "\"a\\u0000b\"");
    check_string("/", 1, "\"/\"");
    check_string("\x7f", 1, "\"\x7f\"");
}

static void test_utf8(void **state)
{
    (void)state;
    check_string("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
    check_string("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"");         /* euro */
    check_string("\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""); /* emoji */
    check_string("\xe2\x80\xa8", 3, "\"\\u2028\"");
    /* invalid: each bad byte becomes U+FFFD */
    check_string("\xff", 1, "\"\xef\xbf\xbd\"");
    check_string("a\x80z", 3, "\"a\xef\xbf\xbdz\"");
    check_string("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");                 /* overlong */
    check_string("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
    check_string("\xe2\x82", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");                 /* truncated */
    check_string("\xf4\x90\x80\x80", 4,
                 "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* > U+10FFFF */
}

static void check_value(const lr_value *v, const char *want)
{
    lr_buf b;
    lr_buf_init(&b, 0);
    assert_true(lr_json_encode_value(&b, v));
    lr_buf_terminate(&b);
    assert_string_equal(b.data, want);
    lr_buf_free(&b);
}

static void test_numbers(void **state)
{
    (void)state;
    lr_value v = {.kind = LR_VAL_FLOAT, .u.f = 0.000193};
    check_value(&v, "0.000193");
    v.u.f = 3;
    check_value(&v, "3.0");
    v.u.f = 0.1 + 0.2;
    check_value(&v, "0.30000000000000004");
    v.u.f = 1.0 / 0.0;
    check_value(&v, "null");
    /* six-decimal fast path and its fall-backs agree with a strtod round trip */
    static const struct {
        double d;
        const char *want;
    } cases[] = {
        {0.000193, "0.000193"},
        {2.46, "2.46"},
        {0.5, "0.5"},
        {100.0, "100.0"},
        {-1.25, "-1.25"},
        {999999999.999999, "999999999.999999"},
        {1e9, "1000000000.0"},
        {1e-7, "1e-07"},
        {0.1234567, "0.1234567"},
        {123456789012.5, "123456789012.5"},
        {-0.0, "-0.0"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        v.u.f = cases[k].d;
        check_value(&v, cases[k].want);
    }
    for (int k = 0; k < 100000; k++) { /* every printed value reads back as the same double */
        double d = (double)(k * 7919 % 1000003) / 1e6 + (k % 3) * 1e-7;
        lr_buf b;
        lr_buf_init(&b, 0);
        assert_true(lr_json_encode_double(&b, d));
        lr_buf_terminate(&b);
        assert_true(strtod(b.data, NULL) == d);
        lr_buf_free(&b);
    }
    lr_value i = {.kind = LR_VAL_INT, .u.i = INT64_MIN};
    check_value(&i, "-9223372036854775808");
    i.u.i = 0;
    check_value(&i, "0");
}

static void test_nested_order_and_duplicates(void **state)
{
    (void)state;
    lr_value items[2] = {{.kind = LR_VAL_BOOL, .u.b = true}, {.kind = LR_VAL_NULL}};
    lr_member inner[2] = {
        {"Set-Cookie", 10, {.kind = LR_VAL_STRING, .len = 1, .u.s = "a"}},
        {"Set-Cookie", 10, {.kind = LR_VAL_STRING, .len = 1, .u.s = "b"}},
    };
    lr_member top[3] = {
        {"z", 1, {.kind = LR_VAL_ARRAY, .len = 2, .u.items = items}},
        {"h", 1, {.kind = LR_VAL_OBJECT, .len = 2, .u.members = inner}},
        {"a", 1, {.kind = LR_VAL_OBJECT, .len = 0}},
    };
    lr_value root = {.kind = LR_VAL_OBJECT, .len = 3, .u.members = top};
    check_value(&root, "{\"z\":[true,null],\"h\":{\"Set-Cookie\":\"a\",\"Set-Cookie\":\"b\"},\"a\":{}}");
}

static void test_cap(void **state)
{
    (void)state;
    lr_buf b;
    lr_buf_init(&b, 16);
    assert_false(lr_json_encode_string(&b, "0123456789abcdef0123", 20));
    assert_true(b.failed);
    lr_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_and_escapes),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_nested_order_and_duplicates),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
