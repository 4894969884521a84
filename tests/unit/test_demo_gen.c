/*
 * test_demo_gen.c: the demo generator writes what the provider sends. Access
 * lines must match the provider's three grok patterns (translated to PCRE:
 * DATA = .*?, WORD = \w+, NUMBER = a decimal number), and WAF records must be
 * ModSecurity v3 JSON with one attack object in transaction.messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "input/demo_gen.h"

#define D "(.*?)"
#define NUM "([+-]?(?:[0-9]+(?:\\.[0-9]+)?|\\.[0-9]+))"
/* The provider's patterns, in their order. */
static const char *const patterns[] = {
    "^" D " - " D " \\[(.*)\\] \"(\\w+) " D " " D "\" " NUM " " D " \"" D "\" " D " \"" D "\" \"" D "\" " NUM
    " \"" D "\" \"" D "\" " D " " D "(.*)$",
    "^" D " - " D " \\[(.*)\\] " D " \"(\\w+) " D " " D "\" " NUM " " D " \"" D "\" \"" D "\" \"" D "\" \"" D
    "\" \"" D "\" \"" D "\" " NUM " " D " " D "(.*)$",
    "^" D " - " D " \\[(.*)\\] " D " \"(\\w+) " D " " D "\" " NUM " " D " \"" D "\" \"" D "\" \"" D "\" \"" D
    "\" \"" D "\" \"" D "\" " NUM " " D "(.*)$",
};
/* Capture index of clientid in each pattern. */
static const int clientid_group[] = {14, 15, 15};

static pcre2_code *compile(const char *re)
{
    int err;
    PCRE2_SIZE off;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, 0, &err, &off, NULL);
    assert_non_null(c);
    return c;
}

static void access_lines_match_provider_patterns(void **state)
{
    (void)state;
    lr_demo_gen g;
    lr_demo_gen_init(&g, 42, 83, 1600087459000LL);
    lr_buf b;
    lr_buf_init(&b, 0);
    for (int layout = 0; layout < LR_DEMO_LAYOUT_COUNT; layout++) {
        pcre2_code *re = compile(patterns[layout]);
        pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
        for (int i = 0; i < 500; i++) {
            lr_buf_reset(&b);
            assert_true(lr_demo_gen_access(&g, layout, &b));
            assert_null(memchr(b.data, '\n', b.len));
            int rc = pcre2_match(re, (PCRE2_SPTR)b.data, b.len, 0, 0, md, NULL);
            if (rc < 0)
                fail_msg("layout %d line does not match the provider's pattern: %.*s", layout, (int)b.len,
                         b.data);
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            int grp = clientid_group[layout];
            assert_int_equal(ov[2 * grp + 1] - ov[2 * grp], 2);
            assert_memory_equal(b.data + ov[2 * grp], "83", 2);
            /* the timestamp is the provider's dd/MMM/yyyy:HH:mm:ss Z */
            assert_int_equal(ov[7] - ov[6], strlen("14/Sep/2020:12:44:19 +0000"));
        }
        pcre2_match_data_free(md);
        pcre2_code_free(re);
    }
    /* layout -1 mixes them, and a VOD line without country is told apart
     * from one with it by the trailing field */
    int seen[LR_DEMO_LAYOUT_COUNT] = {0};
    pcre2_code *re[LR_DEMO_LAYOUT_COUNT];
    for (int l = 0; l < LR_DEMO_LAYOUT_COUNT; l++)
        re[l] = compile(patterns[l]);
    pcre2_match_data *md = pcre2_match_data_create(64, NULL);
    for (int i = 0; i < 300; i++) {
        lr_buf_reset(&b);
        assert_true(lr_demo_gen_access(&g, -1, &b));
        int first = -1;
        for (int l = 0; l < LR_DEMO_LAYOUT_COUNT && first < 0; l++)
            if (pcre2_match(re[l], (PCRE2_SPTR)b.data, b.len, 0, 0, md, NULL) >= 0)
                first = l;
        assert_true(first >= 0);
        seen[first]++;
    }
    assert_true(seen[0] > 0 && seen[1] > 0);
    for (int l = 0; l < LR_DEMO_LAYOUT_COUNT; l++)
        pcre2_code_free(re[l]);
    pcre2_match_data_free(md);
    lr_buf_free(&b);
}

static void waf_records_are_split_modsecurity(void **state)
{
    (void)state;
    lr_demo_gen g;
    lr_demo_gen_init(&g, 7, 83, 0);
    lr_buf b;
    lr_buf_init(&b, 0);
    int rules_seen = 0;
    const char *first_rule = NULL;
    char first[16] = "";
    for (int i = 0; i < 200; i++) {
        lr_buf_reset(&b);
        assert_true(lr_demo_gen_waf(&g, &b));
        json_error_t jerr;
        json_t *root = json_loadb(b.data, b.len, 0, &jerr);
        if (!root)
            fail_msg("invalid JSON (%s): %.*s", jerr.text, (int)b.len, b.data);
        json_t *tx = json_object_get(root, "transaction");
        assert_true(json_is_object(tx));
        assert_true(json_is_string(json_object_get(tx, "client_ip")));
        assert_true(json_is_integer(json_object_get(json_object_get(tx, "response"), "http_code")));
        assert_true(json_is_string(json_object_get(json_object_get(tx, "request"), "uri")));
        json_t *msg = json_object_get(tx, "messages");
        assert_true(json_is_object(msg)); /* one attack per record, as the provider sends */
        assert_true(json_is_string(json_object_get(msg, "message")));
        json_t *details = json_object_get(msg, "details");
        const char *rule = json_string_value(json_object_get(details, "ruleId"));
        assert_non_null(rule);
        assert_true(json_is_array(json_object_get(details, "tags")));
        if (!first[0])
            snprintf(first, sizeof first, "%s", rule);
        else if (strcmp(first, rule))
            rules_seen++;
        json_decref(root);
    }
    (void)first_rule;
    assert_true(rules_seen > 0); /* more than one rule */
    lr_buf_free(&b);
}

static void deterministic_for_a_seed(void **state)
{
    (void)state;
    lr_demo_gen a, b;
    lr_demo_gen_init(&a, 99, 83, 1600000000000LL);
    lr_demo_gen_init(&b, 99, 83, 1600000000000LL);
    lr_buf x, y;
    lr_buf_init(&x, 0);
    lr_buf_init(&y, 0);
    for (int i = 0; i < 50; i++) {
        lr_demo_gen_access(&a, -1, &x);
        lr_demo_gen_access(&b, -1, &y);
        lr_demo_gen_waf(&a, &x);
        lr_demo_gen_waf(&b, &y);
    }
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.data, y.data, x.len);
    lr_buf_free(&x);
    lr_buf_free(&y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(access_lines_match_provider_patterns),
        cmocka_unit_test(waf_records_are_split_modsecurity),
        cmocka_unit_test(deterministic_for_a_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
