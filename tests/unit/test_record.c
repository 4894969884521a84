/* Unit tests for the record model: arena ownership, path lookup, parse-error records, timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "record/record.h"

static lr_value str(const char *s)
{
    return lr_value_string(s, strlen(s));
}

static void test_path_lookup(void **state)
{
    (void)state;
    /* {"transaction":{"client_ip":"1.2.3.4","messages":[{"message":"a"},{"details":{"ruleId":"942100"}}]},
     *  "content-type":"text/html","a.b":1} */
    lr_member details[1] = {{"ruleId", 6, str("942100")}};
    lr_member m0[1] = {{"message", 7, str("a")}};
    lr_member m1[1] = {{"details", 7, {.kind = LR_VAL_OBJECT, .len = 1, .u.members = details}}};
    lr_value msgs[2] = {{.kind = LR_VAL_OBJECT, .len = 1, .u.members = m0},
                        {.kind = LR_VAL_OBJECT, .len = 1, .u.members = m1}};
    lr_member tx[2] = {{"client_ip", 9, str("1.2.3.4")},
                       {"messages", 8, {.kind = LR_VAL_ARRAY, .len = 2, .u.items = msgs}}};
    lr_member top[3] = {{"transaction", 11, {.kind = LR_VAL_OBJECT, .len = 2, .u.members = tx}},
                        {"content-type", 12, str("text/html")},
                        {"a.b", 3, lr_value_int(1)}};
    lr_value root = {.kind = LR_VAL_OBJECT, .len = 3, .u.members = top};

    const char *p = "transaction.client_ip";
    const lr_value *v = lr_value_get_path(&root, p, strlen(p));
    assert_non_null(v);
    assert_memory_equal(v->u.s, "1.2.3.4", 7);
    p = "transaction.messages.details.ruleId";
    v = lr_value_get_path(&root, p, strlen(p));
    assert_non_null(v);
    assert_memory_equal(v->u.s, "942100", 6);
    p = "transaction.messages.message";
    v = lr_value_get_path(&root, p, strlen(p));
    assert_non_null(v);
    assert_memory_equal(v->u.s, "a", 1);
    p = "content-type";
    assert_non_null(lr_value_get_path(&root, p, strlen(p)));
    p = "a.b";
    v = lr_value_get_path(&root, p, strlen(p));
    assert_non_null(v);
    assert_int_equal(v->u.i, 1);
    p = "transaction.nope";
    assert_null(lr_value_get_path(&root, p, strlen(p)));
    p = "transaction.client_ip.deeper";
    assert_null(lr_value_get_path(&root, p, strlen(p)));
}

static void test_parse_error_record(void **state)
{
    (void)state;
    lr_record *rec = lr_record_new("bad \"line\n", 10, 0);
    rec->ev.timestamp_ms = 1600087459475;
    lr_record_set_parse_error(rec, "cdn_access", "unterminated quote");
    lr_record_encode_json(rec);
    assert_true(rec->ev.parse_failed);
    assert_string_equal(rec->ev.format, "cdn_access");
    assert_string_equal(rec->ev.json,
                        "{\"@timestamp\":\"2020-09-14T12:44:19.475Z\",\"message\":\"bad \\\"line\\n\","
                        "\"parse_error\":\"unterminated quote\"}");
    assert_int_equal(rec->ev.json_len, strlen(rec->ev.json));
    lr_record_ref(rec);
    lr_record_unref(rec);
    lr_record_unref(rec);
}

static void test_large_record_arena_overflow(void **state)
{
    (void)state;
    lr_record *rec = lr_record_new("x", 1, 16);
    lr_member *m = lr_record_members(rec, 1000);
    char name[16];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(name, sizeof name, "k%d", i);
        m[i].key = lr_record_str(rec, name, (size_t)n);
        m[i].key_len = (uint32_t)n;
        m[i].value = lr_value_int(i);
    }
    lr_record_set_root(rec, m, 1000);
    lr_record_encode_json(rec);
    assert_non_null(strstr(rec->ev.json, "\"k999\":999}"));
    lr_record_unref(rec);
}

static void test_rfc3339(void **state)
{
    (void)state;
    char out[25];
    lr_format_rfc3339_ms(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    lr_format_rfc3339_ms(951782400000 + 1, out); /* 2000-02-29 */
    assert_string_equal(out, "2000-02-29T00:00:00.001Z");
    lr_format_rfc3339_ms(4102444799999, out);
    assert_string_equal(out, "2099-12-31T23:59:59.999Z");
    lr_format_rfc3339_ms(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path_lookup),
        cmocka_unit_test(test_parse_error_record),
        cmocka_unit_test(test_large_record_arena_overflow),
        cmocka_unit_test(test_rfc3339),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
