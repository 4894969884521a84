/*
 * Unit tests for the typed setters and the option-table engine: every
 * setter with good and bad input, defaults, bounds, nested/dotted keys,
 * lists and maps, unknown keys with suggestions, required options, secrets
 * never echoed, broken tables, and the describe / Markdown listings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/options.h"

/* ------------------------------------------------------------------------ */
/* The table under test (shaped like a real output's)                        */
/* ------------------------------------------------------------------------ */

typedef struct test_conf {
    char *path;
    bool compress;
    int64_t keep;
    double ratio;
    uint64_t rotate_every;
    int64_t flush_interval;
    int format;
    lr_strlist hosts;
    lr_kvlist headers;
    uint32_t mode;
    char *user;
    char *password;
    uint64_t queue_max_bytes;
} test_conf;

static const char *const formats[] = {"raw", "json", NULL};

static const lr_option table[] = {
    {"path", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_REQUIRED, offsetof(test_conf, path), "File to write"},
    {"compress", LR_OPT_BOOL, "false", 0, 0, NULL, 0, offsetof(test_conf, compress), "Gzip rotated files"},
    {"keep", LR_OPT_INT, "7", 0, 100, NULL, 0, offsetof(test_conf, keep), "Rotated files kept"},
    {"ratio", LR_OPT_DOUBLE, "0.5", 0, 1, NULL, 0, offsetof(test_conf, ratio), "A fraction"},
    {"rotate_every", LR_OPT_SIZE, "50MiB", 1024, INT64_C(1) << 40, NULL, 0, offsetof(test_conf, rotate_every),
     "Rotate after this many bytes"},
    {"flush_interval", LR_OPT_DURATION, "1s", 0, 3600000, NULL, 0, offsetof(test_conf, flush_interval),
     "Flush at least this often"},
    {"format", LR_OPT_ENUM, "raw", 0, 0, formats, 0, offsetof(test_conf, format), "Line format"},
    {"hosts", LR_OPT_STRLIST, "localhost:9200", 0, 0, NULL, 0, offsetof(test_conf, hosts), "Servers"},
    {"headers", LR_OPT_MAP, NULL, 0, 0, NULL, 0, offsetof(test_conf, headers), "Extra HTTP headers"},
    {"mode", LR_OPT_MODE, "0640", 0, 0, NULL, 0, offsetof(test_conf, mode), "File mode"},
    {"auth.basic.user", LR_OPT_STRING, NULL, 0, 0, NULL, 0, offsetof(test_conf, user), "User name"},
    {"auth.basic.password", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_SECRET, offsetof(test_conf, password),
     "Password (use ${file:...})"},
    {"queue.max_bytes", LR_OPT_SIZE, "64MiB", 0, 0, NULL, 0, offsetof(test_conf, queue_max_bytes),
     "Queue limit"},
    LR_OPTIONS_END,
};

static const char *const ignore_type[] = {"type", NULL};

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

static const char *data_path(const char *rel)
{
    static char path[4096];
    const char *base = getenv("LR_TEST_DATA");
    assert_non_null(base);
    snprintf(path, sizeof path, "%s/config/%s", base, rel);
    return path;
}

typedef struct applied {
    lr_config *cfg;
    lr_errors errs;
    int nerr;
    test_conf conf;
} applied;

/* Loads yaml ("t.yaml"), applies `table` to outputs.f and keeps the result. */
static void apply_yaml(applied *a, const lr_option *tab, const char *yaml)
{
    lr_errors_init(&a->errs);
    a->cfg = lr_config_load_string(yaml, "t.yaml", &a->errs);
    assert_string_equal(lr_errors_text(&a->errs), "");
    assert_non_null(a->cfg);
    const lr_cfg_node *f = lr_cfg_get(lr_cfg_get(a->cfg->root, "outputs"), "f");
    assert_non_null(f);
    /* Fields start as garbage: apply must write every one of them. */
    memset(&a->conf, 0xa5, sizeof a->conf);
    a->nerr = lr_options_apply(tab, f, &a->conf, ignore_type, &a->errs);
}

static void applied_free(applied *a, const lr_option *tab)
{
    lr_options_free_struct(tab, &a->conf);
    lr_config_free(a->cfg);
    lr_errors_free(&a->errs);
}

/* Applies `body` (indented options of output f) and checks the errors. */
static void expect_apply_errors(const char *body, const char *expected)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml, "outputs:\n  f:\n    type: test\n%s", body);
    applied a;
    apply_yaml(&a, table, yaml);
    assert_string_equal(lr_errors_text(&a.errs), expected);
    assert_int_equal(a.nerr, a.errs.count);
    assert_true(a.nerr > 0);
    applied_free(&a, table);
}

/* ------------------------------------------------------------------------ */
/* Setters                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct size_case {
    const char *in;
    uint64_t want;
} size_case;

typedef struct bad_case {
    const char *in;
    const char *err;
} bad_case;

static void test_parse_size(void **state)
{
    (void)state;
    static const size_case good[] = {
        {"0", 0},
        {"1048576", 1048576},
        {"512B", 512},
        {"512b", 512},
        {"64k", 64000},
        {"64K", 64000},
        {"10KB", 10000},
        {"1KiB", 1024},
        {"1kib", 1024},
        {"10MB", 10000000},
        {"10mb", 10000000},
        {"50MiB", 50ull << 20},
        {"1.5MiB", 1572864},
        {".5KiB", 512},
        {"1.50KiB", 1536},
        {"2GB", 2000000000ull},
        {"1GiB", 1ull << 30},
        {"3TB", 3000000000000ull},
        {"1TiB", 1ull << 40},
        {" 10 MB ", 10000000},
        {"18446744073709551615", UINT64_MAX},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t v = 1;
        char err[256] = "";
        assert_int_equal(lr_parse_size(good[i].in, &v, err, sizeof err), 0);
        assert_string_equal(err, "");
        assert_true(v == good[i].want);
    }
    static const bad_case bad[] = {
        {"", "empty value (expected a size such as 512KiB, 10MB or 1048576)"},
        {"abc", "expected a size such as 512KiB, 10MB or 1048576"},
        {"MiB", "expected a size such as 512KiB, 10MB or 1048576"},
        {"-1MB", "a size cannot be negative"},
        {"10XB", "unknown unit 'XB' (use B, K, KB, KiB, M, MB, MiB, G, GB, GiB, T, TB or TiB)"},
        {"1e3", "unknown unit 'e3' (use B, K, KB, KiB, M, MB, MiB, G, GB, GiB, T, TB or TiB)"},
        {"1.5", "not a whole number of bytes"},
        {"1.1KiB", "not a whole number of bytes"},
        {"1.0000000001KiB", "too many decimal places (at most 9)"},
        {"18446744073709551616", "too large"},
        {"17179869184GiB", "too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 7;
        char err[256] = "";
        assert_int_equal(lr_parse_size(bad[i].in, &v, err, sizeof err), -1);
        assert_string_equal(err, bad[i].err);
        assert_true(v == 7); /* untouched on error */
    }
}

static void test_parse_duration(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t ms;
    } good[] = {
        {"500ms", 500}, {"5s", 5000},   {"1m", 60000}, {"2h", 7200000}, {"1d", 86400000},  {"30", 30000},
        {"0", 0},       {"1.5s", 1500}, {"5 S", 5000}, {"1M", 60000},   {"0.25h", 900000}, {"10MS", 10},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t v = -1;
        char err[256] = "";
        assert_int_equal(lr_parse_duration(good[i].in, &v, err, sizeof err), 0);
        assert_int_equal(v, good[i].ms);
    }
    static const bad_case bad[] = {
        {"", "empty value (expected a duration such as 500ms, 5s, 1m, 2h or 1d)"},
        {"soon", "expected a duration such as 500ms, 5s, 1m, 2h or 1d"},
        {"-1s", "a duration cannot be negative"},
        {"5x", "unknown unit 'x' (use ms, s, m, h or d)"},
        {"1h30m", "unknown unit 'h30m' (use ms, s, m, h or d)"},
        {"0.5ms", "not a whole number of milliseconds"},
        {"9223372036854775808ms", "too large"},
        {"99999999999999999d", "too large"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 7;
        char err[256] = "";
        assert_int_equal(lr_parse_duration(bad[i].in, &v, err, sizeof err), -1);
        assert_string_equal(err, bad[i].err);
        assert_int_equal(v, 7);
    }
}

static void test_parse_bool_int_double(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool want;
    } bools[] = {{"true", true}, {"false", false}, {"yes", true}, {"no", false}, {"on", true},
                 {"off", false}, {"TRUE", true},   {"On", true},  {"No", false}};
    for (size_t i = 0; i < sizeof bools / sizeof bools[0]; i++) {
        bool v = !bools[i].want;
        assert_int_equal(lr_parse_bool(bools[i].in, &v, NULL, 0), 0);
        assert_int_equal(v, bools[i].want);
    }
    const char *bad_bools[] = {"1", "y", "", "truee"};
    for (size_t i = 0; i < sizeof bad_bools / sizeof bad_bools[0]; i++) {
        bool v = true;
        char err[128];
        assert_int_equal(lr_parse_bool(bad_bools[i], &v, err, sizeof err), -1);
        assert_string_equal(err, "expected true or false (also yes/no, on/off)");
    }

    int64_t i64 = 0;
    char err[128];
    assert_int_equal(lr_parse_int("42", &i64, err, sizeof err), 0);
    assert_int_equal(i64, 42);
    assert_int_equal(lr_parse_int(" -7 ", &i64, err, sizeof err), 0);
    assert_int_equal(i64, -7);
    assert_int_equal(lr_parse_int("+3", &i64, err, sizeof err), 0);
    assert_int_equal(i64, 3);
    assert_int_equal(lr_parse_int("-9223372036854775808", &i64, err, sizeof err), 0);
    assert_true(i64 == INT64_MIN);
    const char *bad_ints[] = {"4.2", "0x10", "", "-", "12abc", "1 2"};
    for (size_t i = 0; i < sizeof bad_ints / sizeof bad_ints[0]; i++) {
        assert_int_equal(lr_parse_int(bad_ints[i], &i64, err, sizeof err), -1);
        assert_string_equal(err, "expected an integer");
    }
    assert_int_equal(lr_parse_int("9223372036854775808", &i64, err, sizeof err), -1);
    assert_string_equal(err, "out of range for a 64-bit integer");

    double d = 0;
    assert_int_equal(lr_parse_double("0.25", &d, err, sizeof err), 0);
    assert_true(d == 0.25);
    assert_int_equal(lr_parse_double("-1e3", &d, err, sizeof err), 0);
    assert_true(d == -1000.0);
    const char *bad_doubles[] = {"nan", "inf", "1.2.3", "", "0x10", "1,5"};
    for (size_t i = 0; i < sizeof bad_doubles / sizeof bad_doubles[0]; i++) {
        assert_int_equal(lr_parse_double(bad_doubles[i], &d, err, sizeof err), -1);
        assert_string_equal(err, "expected a number");
    }
    assert_int_equal(lr_parse_double("1e999", &d, err, sizeof err), -1);
    assert_string_equal(err, "out of range");
}

static void test_parse_enum_and_mode(void **state)
{
    (void)state;
    static const char *const vals[] = {"cdn_access", "waf_json", "json", "raw", NULL};
    int e = -1;
    char err[256];
    assert_int_equal(lr_parse_enum("json", vals, &e, err, sizeof err), 0);
    assert_int_equal(e, 2);
    assert_int_equal(lr_parse_enum("raw", vals, &e, err, sizeof err), 0);
    assert_int_equal(e, 3);
    /* Exact: no case folding, no prefixes. */
    assert_int_equal(lr_parse_enum("JSON", vals, &e, err, sizeof err), -1);
    assert_string_equal(err, "expected one of: cdn_access, waf_json, json, raw (did you mean 'json'?)");
    assert_int_equal(lr_parse_enum("waf", vals, &e, err, sizeof err), -1);
    assert_string_equal(err, "expected one of: cdn_access, waf_json, json, raw");
    assert_int_equal(lr_parse_enum("cdn_acces", vals, &e, err, sizeof err), -1);
    assert_string_equal(err, "expected one of: cdn_access, waf_json, json, raw (did you mean 'cdn_access'?)");
    assert_int_equal(e, 3);

    static const struct {
        const char *in;
        uint32_t want;
    } modes[] = {{"0640", 0640}, {"640", 0640}, {"0o755", 0755}, {"0O700", 0700}, {"4755", 04755}, {"0", 0}};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        uint32_t m = 1;
        assert_int_equal(lr_parse_mode(modes[i].in, &m, err, sizeof err), 0);
        assert_int_equal(m, modes[i].want);
    }
    const char *bad_modes[] = {"0648", "rw-r-----", "", "0o", "-640"};
    for (size_t i = 0; i < sizeof bad_modes / sizeof bad_modes[0]; i++) {
        uint32_t m = 0;
        assert_int_equal(lr_parse_mode(bad_modes[i], &m, err, sizeof err), -1);
        assert_string_equal(err, "expected an octal file mode such as 0640");
    }
    uint32_t m = 0;
    assert_int_equal(lr_parse_mode("17777", &m, err, sizeof err), -1);
    assert_string_equal(err, "file mode above 07777");
}

static void test_format_and_suggest(void **state)
{
    (void)state;
    static const struct {
        uint64_t v;
        const char *text;
    } sizes[] = {{0, "0B"},      {1500, "1500B"},        {1536, "1536B"},    {1000, "1KB"},
                 {1024, "1KiB"}, {50ull << 20, "50MiB"}, {10000000, "10MB"}, {1ull << 40, "1TiB"}};
    char out[64];
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        lr_format_size(sizes[i].v, out, sizeof out);
        assert_string_equal(out, sizes[i].text);
        /* What we print parses back to the same number. */
        uint64_t back = 0;
        assert_int_equal(lr_parse_size(out, &back, NULL, 0), 0);
        assert_true(back == sizes[i].v);
    }
    static const struct {
        int64_t ms;
        const char *text;
    } durs[] = {{0, "0s"},      {500, "500ms"},  {1500, "1500ms"},
                {90000, "90s"}, {7200000, "2h"}, {86400000, "1d"}};
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
        lr_format_duration(durs[i].ms, out, sizeof out);
        assert_string_equal(out, durs[i].text);
        int64_t back = -1;
        assert_int_equal(lr_parse_duration(out, &back, NULL, 0), 0);
        assert_int_equal(back, durs[i].ms);
    }

    static const char *const keys[] = {"path", "type", "rotate_every", "keep", "format"};
    assert_string_equal(lr_suggest("pth", keys, 5), "path");
    assert_string_equal(lr_suggest("tpye", keys, 5), "type");
    assert_string_equal(lr_suggest("Path", keys, 5), "path");
    assert_string_equal(lr_suggest("rotate_evry", keys, 5), "rotate_every");
    assert_null(lr_suggest("colour", keys, 5));
    assert_null(lr_suggest("x", keys, 5));
    assert_null(lr_suggest("path", keys, 0));
}

/* ------------------------------------------------------------------------ */
/* Apply                                                                     */
/* ------------------------------------------------------------------------ */

static void test_apply_defaults(void **state)
{
    (void)state;
    applied a;
    apply_yaml(&a, table, "outputs:\n  f:\n    type: test\n    path: /tmp/x.log\n");
    assert_int_equal(a.nerr, 0);
    assert_string_equal(lr_errors_text(&a.errs), "");
    test_conf *c = &a.conf;
    assert_string_equal(c->path, "/tmp/x.log");
    assert_false(c->compress);
    assert_int_equal(c->keep, 7);
    assert_true(c->ratio == 0.5);
    assert_true(c->rotate_every == 50ull << 20);
    assert_int_equal(c->flush_interval, 1000);
    assert_int_equal(c->format, 0);
    assert_int_equal(c->hosts.count, 1);
    assert_string_equal(c->hosts.items[0], "localhost:9200");
    assert_int_equal(c->headers.count, 0);
    assert_null(c->headers.items);
    assert_int_equal(c->mode, 0640);
    assert_null(c->user);
    assert_null(c->password);
    assert_true(c->queue_max_bytes == 64ull << 20);
    lr_options_free_struct(table, c);
    assert_null(c->path);
    assert_null(c->hosts.items);
    assert_int_equal(c->hosts.count, 0);
    applied_free(&a, table); /* a second free is harmless */
}

static void test_apply_every_type(void **state)
{
    (void)state;
    lr_errors e;
    lr_errors_init(&e);
    lr_config *cfg = lr_config_load(data_path("options/full.yaml"), &e);
    assert_string_equal(lr_errors_text(&e), "");
    assert_non_null(cfg);
    test_conf c;
    memset(&c, 0x5a, sizeof c);
    const lr_cfg_node *f = lr_cfg_get(lr_cfg_get(cfg->root, "outputs"), "f");
    assert_int_equal(lr_options_apply(table, f, &c, ignore_type, &e), 0);
    assert_string_equal(lr_errors_text(&e), "");
    assert_string_equal(c.path, "/var/log/cdn/%Y/access.log");
    assert_true(c.compress);
    assert_int_equal(c.keep, 12);
    assert_true(c.ratio == 0.75);
    assert_true(c.rotate_every == 1572864);
    assert_int_equal(c.flush_interval, 250);
    assert_int_equal(c.format, 1);
    assert_int_equal(c.hosts.count, 2);
    assert_string_equal(c.hosts.items[0], "es1:9200");
    assert_string_equal(c.hosts.items[1], "es2:9200");
    assert_int_equal(c.headers.count, 2);
    assert_string_equal(c.headers.items[0].key, "X-Source");
    assert_string_equal(c.headers.items[0].value, "logrelay");
    assert_string_equal(c.headers.items[1].key, "Authorization");
    assert_string_equal(c.headers.items[1].value, "Bearer abc");
    assert_int_equal(c.mode, 0600);
    assert_string_equal(c.user, "alice");
    assert_string_equal(c.password, "hunter2");
    assert_true(c.queue_max_bytes == 10000000);
    lr_options_free_struct(table, &c);
    lr_config_free(cfg);
    lr_errors_free(&e);
}

static void test_apply_nested_flat_mixed(void **state)
{
    (void)state;
    const char *spellings[] = {
        "    auth:\n      basic:\n        user: u\n        password: p\n    queue:\n      max_bytes: 1KiB\n",
        "    auth.basic.user: u\n    auth.basic.password: p\n    queue.max_bytes: 1KiB\n",
        "    auth:\n      basic.user: u\n      basic.password: p\n    queue.max_bytes: 1KiB\n",
        "    auth.basic:\n      user: u\n      password: p\n    queue: {max_bytes: 1KiB}\n",
    };
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "outputs:\n  f:\n    type: test\n    path: /x\n%s", spellings[i]);
        applied a;
        apply_yaml(&a, table, yaml);
        assert_string_equal(lr_errors_text(&a.errs), "");
        assert_string_equal(a.conf.user, "u");
        assert_string_equal(a.conf.password, "p");
        assert_true(a.conf.queue_max_bytes == 1024);
        applied_free(&a, table);
    }
    expect_apply_errors("    path: /x\n    auth.basic.user: a\n    auth:\n      basic:\n        user: b\n",
                        "t.yaml:8:9: key 'auth.basic.user': set twice (first at t.yaml:5:5)\n");
}

static void test_apply_lists_and_maps(void **state)
{
    (void)state;
    applied a;
    apply_yaml(&a, table,
               "outputs:\n  f:\n    type: test\n    path: /x\n    hosts: only-one:9200\n    headers: {}\n");
    assert_int_equal(a.nerr, 0);
    assert_int_equal(a.conf.hosts.count, 1);
    assert_string_equal(a.conf.hosts.items[0], "only-one:9200");
    assert_int_equal(a.conf.headers.count, 0);
    applied_free(&a, table);

    apply_yaml(&a, table, "outputs:\n  f:\n    type: test\n    path: /x\n    hosts: []\n");
    assert_int_equal(a.nerr, 0);
    assert_int_equal(a.conf.hosts.count, 0); /* an explicit empty list beats the default */
    applied_free(&a, table);

    expect_apply_errors("    path: /x\n    hosts: {a: 1}\n    headers: [a, b]\n",
                        "t.yaml:5:12: key 'hosts': expected a list of strings, found a mapping\n"
                        "t.yaml:6:14: key 'headers': expected a mapping of strings, found a list\n");
    expect_apply_errors(
        "    path: /x\n    hosts:\n      - a\n      - [b]\n      -\n    headers:\n      X-A: [1]\n",
        "t.yaml:7:9: key 'hosts': list items must be strings, found a list\n"
        "t.yaml:8:8: key 'hosts': list items must be strings, found an empty value\n"
        "t.yaml:10:12: key 'headers.X-A': expected a string, found a list\n");
}

static void test_apply_value_errors(void **state)
{
    (void)state;
    expect_apply_errors(
        "    path: /x\n"
        "    compress: maybe\n"
        "    keep: 1000\n"
        "    ratio: 2\n"
        "    rotate_every: 1KB\n"
        "    flush_interval: 2h\n"
        "    format: jsn\n"
        "    mode: 0999\n"
        "    queue.max_bytes: lots\n",
        "t.yaml:5:15: key 'compress': invalid value 'maybe': expected true or false "
        "(also yes/no, on/off)\n"
        "t.yaml:6:11: key 'keep': '1000' is out of range (allowed 0..100)\n"
        "t.yaml:7:12: key 'ratio': '2' is out of range (allowed 0..1)\n"
        "t.yaml:8:19: key 'rotate_every': '1KB' is out of range (allowed 1KiB..1TiB)\n"
        "t.yaml:9:21: key 'flush_interval': '2h' is out of range (allowed 0s..1h)\n"
        "t.yaml:10:13: key 'format': invalid value 'jsn': expected one of: raw, json "
        "(did you mean 'json'?)\n"
        "t.yaml:11:11: key 'mode': invalid value '0999': expected an octal file mode such as 0640\n"
        "t.yaml:12:22: key 'queue.max_bytes': invalid value 'lots': expected a size such as "
        "512KiB, 10MB or 1048576\n");
    expect_apply_errors("    path: [a]\n    keep: {a: 1}\n    format: [raw]\n    compress:\n",
                        "t.yaml:4:11: key 'path': expected a string, found a list\n"
                        "t.yaml:5:11: key 'keep': expected an integer, found a mapping\n"
                        "t.yaml:6:13: key 'format': expected one of: raw, json, found a list\n"
                        "t.yaml:7:14: key 'compress': missing value (expected true or false)\n");
}

static void test_apply_unknown_keys(void **state)
{
    (void)state;
    expect_apply_errors("    path: /x\n"
                        "    pth: /y\n"
                        "    colour: red\n"
                        "    Keep: 3\n"
                        "    queue.max_byte: 1MB\n"
                        "    auth:\n"
                        "      user: bob\n"
                        "      basic:\n"
                        "        passwd: x\n"
                        "    queue:\n"
                        "      size: 1\n",
                        "t.yaml:5:5: key 'pth': unknown option (did you mean 'path'?)\n"
                        "t.yaml:6:5: key 'colour': unknown option\n"
                        "t.yaml:7:5: key 'Keep': unknown option (did you mean 'keep'?)\n"
                        "t.yaml:8:5: key 'queue.max_byte': unknown option (did you mean 'queue.max_bytes'?)\n"
                        "t.yaml:10:7: key 'auth.user': unknown option (did you mean 'auth.basic.user'?)\n"
                        "t.yaml:12:9: key 'auth.basic.passwd': unknown option "
                        "(did you mean 'auth.basic.password'?)\n"
                        "t.yaml:14:7: key 'queue.size': unknown option\n");
    expect_apply_errors(
        "    path: /x\n    auth: bob\n    queue: [1]\n",
        "t.yaml:5:11: key 'auth': expected a mapping (with auth.basic.user, auth.basic.password), "
        "found a scalar\n"
        "t.yaml:6:12: key 'queue': expected a mapping (with queue.max_bytes), found a list\n");
}

static void test_apply_required(void **state)
{
    (void)state;
    expect_apply_errors("    keep: 3\n", "t.yaml:3:5: key 'path': required option is missing\n");
    /* A null value is reported once, as missing, not again as required. */
    expect_apply_errors("    path:\n", "t.yaml:4:10: key 'path': missing value (expected a string)\n");

    /* No mapping at all: defaults, and required options have no place. */
    lr_errors e;
    lr_errors_init(&e);
    test_conf c;
    assert_int_equal(lr_options_apply(table, NULL, &c, NULL, &e), 1);
    assert_string_equal(lr_errors_text(&e), "key 'path': required option is missing\n");
    assert_int_equal(c.keep, 7);
    lr_options_free_struct(table, &c);
    lr_errors_free(&e);
}

static void test_apply_secrets_never_echoed(void **state)
{
    (void)state;
    typedef struct sconf {
        uint64_t limit;
        int64_t ttl;
        char *token;
    } sconf;
    static const lr_option stab[] = {
        {"limit", LR_OPT_SIZE, "1MB", 1, 1000000000, NULL, 0, offsetof(sconf, limit), "A size"},
        {"ttl", LR_OPT_DURATION, NULL, 0, 0, NULL, LR_OPT_SECRET, offsetof(sconf, ttl), "Secret duration"},
        {"token", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_SECRET | LR_OPT_REQUIRED, offsetof(sconf, token),
         "T"},
        LR_OPTIONS_END,
    };
    setenv("LR_TEST_SECRET_SIZE", "12XBsecret", 1);
    setenv("LR_TEST_SECRET_BIG", "999GB", 1);
    const char *cases[][2] = {
        {"    limit: ${env:LR_TEST_SECRET_SIZE}\n    ttl: 5parsecs\n    token: t\n",
         "t.yaml:4:12: key 'limit': invalid value (not shown: secret): expected a size\n"
         "t.yaml:5:10: key 'ttl': invalid value (not shown: secret): expected a duration\n"},
        {"    limit: \"${env:LR_TEST_SECRET_BIG}\"\n    token: t\n",
         "t.yaml:4:12: key 'limit': value out of range (not shown: secret; allowed 1B..1GB)\n"},
    };
    for (size_t i = 0; i < 2; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "outputs:\n  f:\n    type: test\n%s", cases[i][0]);
        lr_errors e;
        lr_errors_init(&e);
        lr_config *cfg = lr_config_load_string(yaml, "t.yaml", &e);
        assert_non_null(cfg);
        sconf c;
        lr_options_apply(stab, lr_cfg_get(lr_cfg_get(cfg->root, "outputs"), "f"), &c, ignore_type, &e);
        assert_string_equal(lr_errors_text(&e), cases[i][1]);
        assert_null(strstr(lr_errors_text(&e), "parsecs"));
        assert_null(strstr(lr_errors_text(&e), "12XB"));
        assert_null(strstr(lr_errors_text(&e), "999"));
        lr_options_free_struct(stab, &c);
        lr_config_free(cfg);
        lr_errors_free(&e);
    }
}

static void test_apply_ex_prefix_hint_unknown(void **state)
{
    (void)state;
    lr_errors e;
    lr_errors_init(&e);
    lr_config *cfg = lr_config_load_string("outputs:\n  f:\n    type: test\n    colour: red\n    workers: 2\n"
                                           "    retry:\n      max: 3\n    retry.backoff: 1s\n",
                                           "t.yaml", &e);
    assert_non_null(cfg);
    const lr_cfg_node *f = lr_cfg_get(lr_cfg_get(cfg->root, "outputs"), "f");
    test_conf c;
    static const char *const ign[] = {"type", "workers", "retry", NULL};
    lr_apply_opts o = {.ignore = ign, .prefix = "outputs.f.", .unknown_hint = "see 'logrelay describe test'"};
    assert_int_equal(lr_options_apply_ex(table, f, &c, &o, &e), 2);
    assert_string_equal(lr_errors_text(&e),
                        "t.yaml:4:5: key 'outputs.f.colour': unknown option (see 'logrelay describe test')\n"
                        "t.yaml:3:5: key 'outputs.f.path': required option is missing\n");
    lr_options_free_struct(table, &c);
    lr_errors_free(&e);

    /* allow_unknown: another table reads the other keys. */
    lr_errors_init(&e);
    lr_apply_opts o2 = {.allow_unknown = true};
    assert_int_equal(lr_options_apply_ex(table, f, &c, &o2, &e), 1);
    assert_string_equal(lr_errors_text(&e), "t.yaml:3:5: key 'path': required option is missing\n");
    lr_options_free_struct(table, &c);
    lr_errors_free(&e);
    lr_config_free(cfg);
}

static void test_bad_table(void **state)
{
    (void)state;
    typedef struct bconf {
        uint64_t a;
        int b;
        char *c;
        int64_t d;
        char *e;
        char *f;
    } bconf;
    static const lr_option bad[] = {
        {"size", LR_OPT_SIZE, "50 parsecs", 0, 0, NULL, 0, offsetof(bconf, a), ""},
        {"kind", LR_OPT_ENUM, NULL, 0, 0, NULL, 0, offsetof(bconf, b), ""},
        {"name", LR_OPT_STRING, "x", 0, 0, NULL, LR_OPT_REQUIRED, offsetof(bconf, c), ""},
        {"count", LR_OPT_INT, "500", 1, 10, NULL, 0, offsetof(bconf, d), ""},
        {"name", LR_OPT_STRING, NULL, 0, 0, NULL, 0, offsetof(bconf, e), ""},
        {"name.sub", LR_OPT_STRING, NULL, 0, 0, NULL, 0, offsetof(bconf, f), ""},
        {"a..b", LR_OPT_STRING, NULL, 0, 0, NULL, 0, offsetof(bconf, f), ""},
        LR_OPTIONS_END,
    };
    const char *want = "option table error: key 'size': invalid default '50 parsecs': unknown unit 'parsecs' "
                       "(use B, K, KB, KiB, M, MB, MiB, G, GB, GiB, T, TB or TiB)\n"
                       "option table error: key 'kind': enum without enum_values\n"
                       "option table error: key 'name': a required option cannot have a default\n"
                       "option table error: key 'count': default '500' is out of range (allowed 1..10)\n"
                       "option table error: key 'name' is listed twice\n"
                       "option table error: key 'name' and key 'name.sub' overlap (one is inside the other)\n"
                       "option table error: key 'name' and key 'name.sub' overlap (one is inside the other)\n"
                       "option table error: invalid key 'a..b'\n";
    lr_errors e;
    lr_errors_init(&e);
    assert_int_equal(lr_options_check_table(bad, &e), 8);
    assert_string_equal(lr_errors_text(&e), want);
    lr_errors_free(&e);

    /* apply reports the table's problems too, and still fills the struct. */
    lr_errors_init(&e);
    bconf c;
    memset(&c, 0x77, sizeof c);
    assert_int_equal(lr_options_apply(bad, NULL, &c, NULL, &e), 9);
    char want2[2048];
    snprintf(want2, sizeof want2, "%skey 'name': required option is missing\n", want);
    assert_string_equal(lr_errors_text(&e), want2);
    assert_true(c.a == 0);
    assert_null(c.e);
    lr_options_free_struct(bad, &c);
    lr_errors_free(&e);

    lr_errors_init(&e);
    assert_int_equal(lr_options_check_table(table, &e), 0);
    lr_errors_free(&e);
}

/* ------------------------------------------------------------------------ */
/* Listings                                                                  */
/* ------------------------------------------------------------------------ */

static char *capture(void (*fn)(FILE *, const lr_option *), const lr_option *tab)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fn(f, tab);
    fclose(f);
    return text;
}

static const char *line_starting(const char *text, const char *prefix)
{
    for (const char *l = text; l && *l;) {
        if (!strncmp(l, prefix, strlen(prefix)))
            return l;
        l = strchr(l, '\n');
        if (l)
            l++;
    }
    return NULL;
}

static void test_describe(void **state)
{
    (void)state;
    char *text = capture(lr_options_describe, table);
    assert_non_null(line_starting(text, "KEY "));
    assert_non_null(strstr(text, "DEFAULT"));
    assert_non_null(strstr(text, "REQUIRED"));
    for (const lr_option *o = table; o->key; o++) {
        char start[128];
        snprintf(start, sizeof start, "%s ", o->key);
        const char *line = line_starting(text, start);
        assert_non_null(line);
        const char *eol = strchr(line, '\n');
        size_t n = (size_t)(eol - line);
        char row[512];
        snprintf(row, sizeof row, "%.*s", (int)n, line);
        assert_non_null(strstr(row, o->description));
        if (o->default_value && !(o->flags & LR_OPT_SECRET))
            assert_non_null(strstr(row, o->default_value));
    }
    const char *path = line_starting(text, "path ");
    assert_non_null(strstr(path, " yes "));
    const char *fmtl = line_starting(text, "format ");
    assert_non_null(strstr(fmtl, "raw, json"));
    const char *keep = line_starting(text, "keep ");
    assert_non_null(strstr(keep, "0..100"));
    const char *rot = line_starting(text, "rotate_every ");
    assert_non_null(strstr(rot, "1KiB..1TiB"));
    const char *pw = line_starting(text, "auth.basic.password ");
    assert_non_null(strstr(pw, "string, secret"));
    free(text);

    text = capture(lr_options_markdown, table);
    assert_non_null(line_starting(text, "| Key | Type | Default | Allowed | Required | Description |\n"));
    size_t rows = 0;
    for (const char *l = text; (l = strchr(l, '\n')); l++)
        rows++;
    assert_int_equal(rows, 2 + sizeof table / sizeof table[0] - 1);
    for (const lr_option *o = table; o->key; o++) {
        char start[128];
        snprintf(start, sizeof start, "| `%s` |", o->key);
        assert_non_null(line_starting(text, start));
    }
    assert_non_null(line_starting(text, "| `format` | enum | `raw` | raw, json | no | Line format |\n"));
    assert_non_null(line_starting(text, "| `path` | string | - | - | yes | File to write |\n"));
    assert_non_null(line_starting(
        text, "| `auth.basic.password` | string, secret | - | - | no | Password (use ${file:...}) |\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_parse_bool_int_double),
        cmocka_unit_test(test_parse_enum_and_mode),
        cmocka_unit_test(test_format_and_suggest),
        cmocka_unit_test(test_apply_defaults),
        cmocka_unit_test(test_apply_every_type),
        cmocka_unit_test(test_apply_nested_flat_mixed),
        cmocka_unit_test(test_apply_lists_and_maps),
        cmocka_unit_test(test_apply_value_errors),
        cmocka_unit_test(test_apply_unknown_keys),
        cmocka_unit_test(test_apply_required),
        cmocka_unit_test(test_apply_secrets_never_echoed),
        cmocka_unit_test(test_apply_ex_prefix_hint_unknown),
        cmocka_unit_test(test_bad_table),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
