/*
 * Unit tests for the configuration loader: node locations, top-level shape,
 * exact error messages (file:line:col and key), directory loading and merge,
 * ${env:..}/${file:..} substitution. Test files live in tests/data/config/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------ */

/* $LR_TEST_DATA/config/<rel> in a static buffer (one at a time). */
static const char *data_path(const char *rel)
{
    static char path[4096];
    const char *base = getenv("LR_TEST_DATA");
    assert_non_null(base);
    snprintf(path, sizeof path, "%s/config/%s", base, rel);
    return path;
}

/* A malloc'd formatted string (expected messages embed data paths). */
__attribute__((format(printf, 1, 2))) static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    assert_true(n >= 0);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    return s;
}

/* Loads yaml as "t.yaml" and checks the whole error text. */
static void expect_errors(const char *yaml, const char *expected)
{
    lr_errors e;
    lr_errors_init(&e);
    lr_config *cfg = lr_config_load_string(yaml, "t.yaml", &e);
    assert_null(cfg);
    assert_string_equal(lr_errors_text(&e), expected);
    lr_errors_free(&e);
}

static lr_config *load_ok(const char *yaml)
{
    lr_errors e;
    lr_errors_init(&e);
    lr_config *cfg = lr_config_load_string(yaml, "t.yaml", &e);
    assert_string_equal(lr_errors_text(&e), "");
    assert_non_null(cfg);
    lr_errors_free(&e);
    return cfg;
}

static void assert_at(const lr_cfg_node *n, int line, int col)
{
    assert_non_null(n);
    assert_int_equal(n->line, line);
    assert_int_equal(n->col, col);
}

/* ------------------------------------------------------------------------ */
/* Tree and locations                                                        */
/* ------------------------------------------------------------------------ */

static void test_tree_and_locations(void **state)
{
    (void)state;
    lr_config *cfg = load_ok("agent:\n"
                             "  data_dir: /var/lib/logrelay\n"
                             "  log_level: \"debug\"\n"
                             "outputs:\n"
                             "  archive:\n"
                             "    type: file\n"
                             "    path: '/var/log/%Y.log'\n"
                             "routes:\n"
                             "  - to: [archive]\n");
    assert_int_equal(cfg->nfiles, 1);
    assert_string_equal(cfg->files[0], "t.yaml");
    const lr_cfg_node *root = cfg->root;
    assert_int_equal(root->kind, LR_CFG_MAP);
    assert_int_equal(root->count, 3);

    const lr_cfg_node *agent = lr_cfg_get(root, "agent");
    assert_int_equal(agent->kind, LR_CFG_MAP);
    assert_at(agent, 2, 3);
    const lr_cfg_node *dd = lr_cfg_get(agent, "data_dir");
    assert_string_equal(lr_cfg_scalar(dd), "/var/lib/logrelay");
    assert_int_equal(dd->str_len, strlen("/var/lib/logrelay"));
    assert_at(dd, 2, 13);
    assert_string_equal(dd->file, "t.yaml");
    assert_true(dd->plain);
    assert_false(dd->substituted);
    const lr_cfg_node *lvl = lr_cfg_get(agent, "log_level");
    assert_false(lvl->plain);
    assert_at(lvl, 3, 14);
    assert_at(agent->pairs[1].key, 3, 3);

    const lr_cfg_node *path = lr_cfg_get(lr_cfg_get(lr_cfg_get(root, "outputs"), "archive"), "path");
    assert_string_equal(lr_cfg_scalar(path), "/var/log/%Y.log");
    assert_at(path, 7, 11);

    const lr_cfg_node *routes = lr_cfg_get(root, "routes");
    assert_int_equal(routes->kind, LR_CFG_SEQ);
    assert_int_equal(routes->count, 1);
    const lr_cfg_node *to = lr_cfg_get(routes->items[0], "to");
    assert_int_equal(to->kind, LR_CFG_SEQ);
    assert_string_equal(to->items[0]->str, "archive");
    assert_at(to->items[0], 9, 10);

    /* Helpers on the wrong kind of node. */
    assert_null(lr_cfg_scalar(agent));
    assert_null(lr_cfg_get(dd, "x"));
    assert_null(lr_cfg_get(agent, "missing"));
    assert_null(lr_cfg_get(NULL, "x"));
    lr_config_free(cfg);
}

static void test_nulls_and_kinds(void **state)
{
    (void)state;
    lr_config *cfg =
        load_ok("agent:\n  a:\n  b: ~\n  c: null\n  d: \"\"\n  e: 'null'\n  f: [x]\n  g: {x: 1}\n");
    const lr_cfg_node *agent = lr_cfg_get(cfg->root, "agent");
    assert_true(lr_cfg_is_null(lr_cfg_get(agent, "a")));
    assert_true(lr_cfg_is_null(lr_cfg_get(agent, "b")));
    assert_true(lr_cfg_is_null(lr_cfg_get(agent, "c")));
    assert_false(lr_cfg_is_null(lr_cfg_get(agent, "d")));
    assert_false(lr_cfg_is_null(lr_cfg_get(agent, "e")));
    assert_string_equal(lr_cfg_kind_phrase(lr_cfg_get(agent, "a")), "an empty value");
    assert_string_equal(lr_cfg_kind_phrase(lr_cfg_get(agent, "e")), "a scalar");
    assert_string_equal(lr_cfg_kind_phrase(lr_cfg_get(agent, "f")), "a list");
    assert_string_equal(lr_cfg_kind_phrase(lr_cfg_get(agent, "g")), "a mapping");
    lr_config_free(cfg);
}

static void test_empty_inputs(void **state)
{
    (void)state;
    const char *empties[] = {"", "# only a comment\n", "---\n", "agent:\nroutes:\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        lr_config *cfg = load_ok(empties[i]);
        assert_non_null(cfg->root);
        assert_int_equal(cfg->root->kind, LR_CFG_MAP);
        assert_int_equal(cfg->root->count, 0);
        lr_config_free(cfg);
    }
}

/* ------------------------------------------------------------------------ */
/* Error messages                                                            */
/* ------------------------------------------------------------------------ */

static void test_top_level_errors(void **state)
{
    (void)state;
    expect_errors("agent: {}\nfoo: 1\nouputs: {}\n",
                  "t.yaml:2:1: key 'foo': unknown top-level key (expected agent, kafka, outputs or routes)\n"
                  "t.yaml:3:1: key 'ouputs': unknown top-level key (did you mean 'outputs'?)\n");
    expect_errors("- agent\n", "t.yaml:1:1: the top level must be a mapping (agent, kafka, outputs, routes), "
                               "found a list\n");
    expect_errors("just text\n",
                  "t.yaml:1:1: the top level must be a mapping (agent, kafka, outputs, routes), "
                  "found a scalar\n");
    expect_errors("agent: [a]\nkafka: x\noutputs: [a]\nroutes: {a: 1}\n",
                  "t.yaml:1:8: key 'agent': expected a mapping, found a list\n"
                  "t.yaml:2:8: key 'kafka': expected a mapping, found a scalar\n"
                  "t.yaml:3:10: key 'outputs': expected a mapping, found a list\n"
                  "t.yaml:4:9: key 'routes': expected a list, found a mapping\n");
    expect_errors("outputs:\n  a: file\n  b:\n  c: [x]\n  d: {type: file}\n",
                  "t.yaml:2:6: key 'outputs.a': expected a mapping (type: and the output's options), "
                  "found a scalar\n"
                  "t.yaml:3:5: key 'outputs.b': expected a mapping (type: and the output's options), "
                  "found an empty value\n"
                  "t.yaml:4:6: key 'outputs.c': expected a mapping (type: and the output's options), "
                  "found a list\n");
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    expect_errors("agent:\n  data_dir: /a\n  log_level: info\n  data_dir: /b\n",
                  "t.yaml:4:3: key 'agent.data_dir': duplicate key (first at t.yaml:2:3)\n");
    expect_errors("agent: {}\nagent: {}\n", "t.yaml:2:1: key 'agent': duplicate key (first at t.yaml:1:1)\n");
    expect_errors("outputs:\n  es:\n    headers:\n      X: 1\n      \"X\": 2\n",
                  "t.yaml:5:7: key 'outputs.es.headers.X': duplicate key (first at t.yaml:4:7)\n");
    expect_errors("routes:\n  - to: [a]\n    to: [b]\n",
                  "t.yaml:3:5: key 'routes[0].to': duplicate key (first at t.yaml:2:5)\n");
}

static void test_yaml_syntax_errors(void **state)
{
    (void)state;
    expect_errors("agent:\n  data_dir: /x\n bad: 1\n",
                  "t.yaml:3:2: YAML syntax error: did not find expected key "
                  "(while parsing a block mapping started at line 1, column 1)\n");
    expect_errors("routes: [a, b\n", "t.yaml:2:1: YAML syntax error: did not find expected ',' or ']' "
                                     "(while parsing a flow sequence started at line 1, column 9)\n");
    expect_errors("agent:\n\tdata_dir: /x\n",
                  "t.yaml:2:1: YAML syntax error: found character that cannot start any token "
                  "(a tab: YAML indents with spaces only)\n");
    expect_errors("agent: \"unterminated\n",
                  "t.yaml:2:1: YAML syntax error: found unexpected end of stream "
                  "(while scanning a quoted scalar started at line 1, column 8)\n");
}

static void test_unsupported_yaml(void **state)
{
    (void)state;
    expect_errors(
        "agent:\n  data_dir: &d /x\n  plugin_dir: *d\n",
        "t.yaml:3:15: key 'agent.plugin_dir': YAML aliases (*d) are not supported: write the value out\n");
    expect_errors("agent: {}\n---\nkafka: {}\n",
                  "t.yaml:2:1: a second YAML document ('---') in one file is not supported: "
                  "use one file per document\n");
    expect_errors("agent:\n  ? [a, b]\n  : 1\n",
                  "t.yaml:2:5: key 'agent': a mapping key must be a name, found a list\n");
    expect_errors("agent:\n  x: \"a\\0b\"\n",
                  "t.yaml:2:6: key 'agent.x': the value contains a NUL character\n");
}

/* ------------------------------------------------------------------------ */
/* Files and directories                                                     */
/* ------------------------------------------------------------------------ */

static const char *route_target(const lr_cfg_node *routes, size_t i, size_t j)
{
    const lr_cfg_node *to = lr_cfg_get(routes->items[i], "to");
    assert_non_null(to);
    assert_true(j < to->count);
    return to->items[j]->str;
}

static void test_directory_merge(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", data_path("merge"));
    lr_errors e;
    lr_errors_init(&e);
    lr_config *cfg = lr_config_load(dir, &e);
    assert_string_equal(lr_errors_text(&e), "");
    assert_non_null(cfg);

    /* Lexical (strcmp) order; hidden files, other extensions and
     * sub-directories are skipped. */
    const char *names[] = {"10-agent.yaml", "20-kafka.yml", "30-routes.yaml", "9-late.yaml"};
    assert_int_equal(cfg->nfiles, 4);
    for (size_t i = 0; i < 4; i++) {
        char *want = fmt("%s/%s", dir, names[i]);
        assert_string_equal(cfg->files[i], want);
        free(want);
    }

    const lr_cfg_node *root = cfg->root;
    assert_string_equal(root->pairs[0].key->str, "agent");
    assert_string_equal(root->pairs[1].key->str, "kafka");
    assert_string_equal(root->pairs[2].key->str, "outputs");
    assert_string_equal(root->pairs[3].key->str, "routes");

    /* agent: keys from two files. */
    const lr_cfg_node *agent = lr_cfg_get(root, "agent");
    assert_int_equal(agent->count, 2);
    assert_string_equal(lr_cfg_scalar(lr_cfg_get(agent, "data_dir")), "/var/lib/logrelay");
    assert_string_equal(lr_cfg_scalar(lr_cfg_get(agent, "log_level")), "debug");
    assert_string_equal(lr_cfg_get(agent, "log_level")->file, cfg->files[1]);
    assert_string_equal(agent->file, cfg->files[0]);

    /* outputs: by name, in file order, each remembering its file. */
    const lr_cfg_node *outputs = lr_cfg_get(root, "outputs");
    assert_int_equal(outputs->count, 3);
    assert_string_equal(outputs->pairs[0].key->str, "archive");
    assert_string_equal(outputs->pairs[1].key->str, "es");
    assert_string_equal(outputs->pairs[2].key->str, "late");
    assert_string_equal(outputs->pairs[2].key->file, cfg->files[3]);
    assert_string_equal(lr_cfg_scalar(lr_cfg_get(lr_cfg_get(outputs, "es"), "format")), "json");

    /* routes: concatenated in file order. */
    const lr_cfg_node *routes = lr_cfg_get(root, "routes");
    assert_int_equal(routes->count, 4);
    assert_string_equal(route_target(routes, 0, 0), "archive");
    assert_string_equal(route_target(routes, 1, 0), "es");
    assert_string_equal(route_target(routes, 2, 0), "archive");
    assert_string_equal(route_target(routes, 2, 1), "es");
    assert_string_equal(route_target(routes, 3, 0), "late");
    assert_string_equal(routes->items[3]->file, cfg->files[3]);
    assert_at(routes->items[3], 7, 5);

    const lr_cfg_node *brokers = lr_cfg_get(lr_cfg_get(root, "kafka"), "brokers");
    assert_int_equal(brokers->count, 2);
    assert_string_equal(brokers->items[1]->str, "broker2:9093");

    lr_config_free(cfg);
    lr_errors_free(&e);
}

/* Loads path, expects failure with exactly `expected` (freed here). */
static void expect_load_errors(const char *path, char *expected)
{
    lr_errors e;
    lr_errors_init(&e);
    lr_config *cfg = lr_config_load(path, &e);
    assert_null(cfg);
    assert_string_equal(lr_errors_text(&e), expected);
    lr_errors_free(&e);
    free(expected);
}

static void test_directory_duplicates(void **state)
{
    (void)state;
    char *dir = fmt("%s", data_path("dup-output"));
    expect_load_errors(dir, fmt("%s/b.yaml:5:3: key 'outputs.archive': output 'archive' is defined twice "
                                "(first at %s/a.yaml:2:3)\n",
                                dir, dir));
    free(dir);

    dir = fmt("%s", data_path("dup-agent"));
    expect_load_errors(
        dir, fmt("%s/b.yaml:3:3: key 'agent.data_dir': set twice (first at %s/a.yaml:2:3)\n", dir, dir));
    free(dir);
}

static void test_directory_without_yaml(void **state)
{
    (void)state;
    char *dir = fmt("%s", data_path("no-yaml"));
    expect_load_errors(dir, fmt("%s: no *.yaml or *.yml file in this directory\n", dir));
    free(dir);

    char tmp[] = "/tmp/lr-config-empty-XXXXXX";
    assert_non_null(mkdtemp(tmp));
    expect_load_errors(tmp, fmt("%s: no *.yaml or *.yml file in this directory\n", tmp));
    rmdir(tmp);

    expect_load_errors("/nonexistent/logrelay.d",
                       fmt("/nonexistent/logrelay.d: cannot open: No such file or directory\n"));
}

static void test_file_errors_name_the_file(void **state)
{
    (void)state;
    char *path = fmt("%s", data_path("errors/bad-indent.yaml"));
    expect_load_errors(path, fmt("%s:3:2: YAML syntax error: did not find expected key "
                                 "(while parsing a block mapping started at line 1, column 1)\n",
                                 path));
    free(path);

    /* Every problem of a file is reported, not only the first. */
    path = fmt("%s", data_path("errors/two-problems.yaml"));
    expect_load_errors(path, fmt("%s:3:3: key 'agent.data_dir': duplicate key (first at %s:2:3)\n"
                                 "%s:4:1: key 'outptus': unknown top-level key (did you mean 'outputs'?)\n",
                                 path, path, path));
    free(path);

    /* And the problems of every file of a directory. */
    char *dir = fmt("%s", data_path("errors"));
    expect_load_errors(dir, fmt("%s/bad-indent.yaml:3:2: YAML syntax error: did not find expected key "
                                "(while parsing a block mapping started at line 1, column 1)\n"
                                "%s/two-problems.yaml:3:3: key 'agent.data_dir': duplicate key "
                                "(first at %s/two-problems.yaml:2:3)\n"
                                "%s/two-problems.yaml:4:1: key 'outptus': unknown top-level key "
                                "(did you mean 'outputs'?)\n",
                                dir, dir, dir, dir));
    free(dir);
}

/* ------------------------------------------------------------------------ */
/* Substitution                                                              */
/* ------------------------------------------------------------------------ */

static void test_substitute_env(void **state)
{
    (void)state;
    setenv("LR_TEST_USER", "alice", 1);
    setenv("LR_TEST_PASS", "pa55", 1);
    setenv("LR_TEST_EMPTY", "", 1);
    lr_config *cfg = load_ok("agent:\n"
                             "  a: \"user=${env:LR_TEST_USER} pass=${env:LR_TEST_PASS}!\"\n"
                             "  b: 'literal $${env:LR_TEST_USER}, $$5 and $5 and $'\n"
                             "  c: ${env:LR_TEST_EMPTY}\n"
                             "  ${env:LR_TEST_USER}: key\n"
                             "  d: [\"${env:LR_TEST_USER}\", plain]\n");
    const lr_cfg_node *agent = lr_cfg_get(cfg->root, "agent");
    const lr_cfg_node *a = lr_cfg_get(agent, "a");
    assert_string_equal(a->str, "user=alice pass=pa55!");
    assert_int_equal(a->str_len, strlen("user=alice pass=pa55!"));
    assert_true(a->substituted);
    const lr_cfg_node *b = lr_cfg_get(agent, "b");
    assert_string_equal(b->str, "literal ${env:LR_TEST_USER}, $$5 and $5 and $");
    assert_false(b->substituted);
    const lr_cfg_node *c = lr_cfg_get(agent, "c");
    assert_string_equal(c->str, "");
    assert_true(c->substituted);
    assert_false(lr_cfg_is_null(c)); /* a set-but-empty variable is a value */
    /* Keys are names, never substituted. */
    assert_string_equal(lr_cfg_scalar(lr_cfg_get(agent, "${env:LR_TEST_USER}")), "key");
    const lr_cfg_node *d = lr_cfg_get(agent, "d");
    assert_string_equal(d->items[0]->str, "alice");
    assert_true(d->items[0]->substituted);
    assert_false(d->items[1]->substituted);
    lr_config_free(cfg);
}

static void test_substitute_file(void **state)
{
    (void)state;
    setenv("LR_TEST_KAFKA_USER", "cdn-reader", 1);
    char path[4096];
    snprintf(path, sizeof path, "%s", data_path("secrets/kafka.yaml"));
    lr_errors e;
    lr_errors_init(&e);
    lr_config *cfg = lr_config_load(path, &e);
    assert_string_equal(lr_errors_text(&e), "");
    assert_non_null(cfg);
    const lr_cfg_node *kafka = lr_cfg_get(cfg->root, "kafka");
    const lr_cfg_node *sasl = lr_cfg_get(kafka, "sasl");
    assert_string_equal(lr_cfg_scalar(lr_cfg_get(sasl, "username")), "cdn-reader");
    const lr_cfg_node *pw = lr_cfg_get(sasl, "password");
    assert_string_equal(pw->str, "s3cr3t"); /* trailing newline dropped */
    assert_true(pw->substituted);
    assert_string_equal(lr_cfg_scalar(lr_cfg_get(kafka, "token")), "tok");         /* \r\n dropped */
    assert_string_equal(lr_cfg_scalar(lr_cfg_get(kafka, "note")), "two: line\n|"); /* only one \n */
    assert_string_equal(lr_cfg_scalar(lr_cfg_get(kafka, "empty")), "[]");
    assert_string_equal(lr_cfg_scalar(lr_cfg_get(kafka, "literal")), "${env:LR_TEST_KAFKA_USER}");
    lr_config_free(cfg);
    lr_errors_free(&e);

    /* An absolute path works from anywhere. */
    char *yaml = fmt("kafka:\n  password: ${file:%s}\n", data_path("secrets/password.txt"));
    cfg = load_ok(yaml);
    free(yaml);
    assert_string_equal(lr_cfg_scalar(lr_cfg_get(lr_cfg_get(cfg->root, "kafka"), "password")), "s3cr3t");
    lr_config_free(cfg);
}

static void test_substitute_errors(void **state)
{
    (void)state;
    unsetenv("LR_TEST_MISSING");
    setenv("LR_TEST_SECRET", "do-not-print-me", 1);
    expect_errors("kafka:\n  password: \"${env:LR_TEST_SECRET}${env:LR_TEST_MISSING}\"\n",
                  "t.yaml:2:13: key 'kafka.password': environment variable 'LR_TEST_MISSING' is not set\n");
    expect_errors("kafka:\n  password: ${file:/nonexistent/password.txt}\n",
                  "t.yaml:2:13: key 'kafka.password': cannot read file '/nonexistent/password.txt' for "
                  "${file:...}: No such file or directory\n");
    expect_errors(
        "kafka:\n  password: ${file:/}\n",
        "t.yaml:2:13: key 'kafka.password': cannot read file '/' for ${file:...}: Is a directory\n");
    expect_errors("outputs:\n  es:\n    url: \"http://${HOST}/\"\n",
                  "t.yaml:3:10: key 'outputs.es.url': unknown substitution '${HOST}' (use ${env:NAME} or "
                  "${file:/path}; write '$${' for a literal '${')\n");
    expect_errors("routes:\n  - to: [\"${env:LR_TEST_SECRET\"]\n",
                  "t.yaml:2:10: key 'routes[0].to[0]': unterminated '${' (write '$${' for a literal '${')\n");
    expect_errors("agent:\n  a: ${env:}\n  b: ${env:1BAD}\n  c: ${file:}\n",
                  "t.yaml:2:6: key 'agent.a': invalid environment variable name '' in ${env:...}\n"
                  "t.yaml:3:6: key 'agent.b': invalid environment variable name '1BAD' in ${env:...}\n"
                  "t.yaml:4:6: key 'agent.c': empty file name in ${file:}\n");
}

static void test_substitute_api(void **state)
{
    (void)state;
    setenv("LR_TEST_USER", "alice", 1);
    unsetenv("LR_TEST_MISSING");
    lr_errors e;
    lr_errors_init(&e);
    bool subst = false;
    char *s = lr_config_substitute("a-${env:LR_TEST_USER}-$${x}", NULL, &e, &subst);
    assert_string_equal(s, "a-alice-${x}");
    assert_true(subst);
    free(s);
    s = lr_config_substitute("plain", NULL, &e, &subst);
    assert_string_equal(s, "plain");
    assert_false(subst);
    free(s);
    assert_int_equal(e.count, 0);

    lr_cfg_node where = {.kind = LR_CFG_SCALAR, .file = "routes.yaml", .line = 4, .col = 12};
    assert_null(lr_config_substitute("${env:LR_TEST_MISSING}", &where, &e, &subst));
    assert_null(lr_config_substitute("${env:LR_TEST_MISSING}", NULL, &e, &subst));
    assert_string_equal(lr_errors_text(&e),
                        "routes.yaml:4:12: environment variable 'LR_TEST_MISSING' is not set\n"
                        "environment variable 'LR_TEST_MISSING' is not set\n");
    assert_int_equal(e.count, 2);
    lr_errors_free(&e);
}

static void test_errorf(void **state)
{
    (void)state;
    lr_errors e;
    lr_errors_init(&e);
    assert_string_equal(lr_errors_text(&e), "");
    lr_cfg_node n = {.kind = LR_CFG_SCALAR, .file = "a.yaml", .line = 3, .col = 7};
    lr_errorf(&e, &n, "key '%s': %s", "x", "bad");
    lr_errorf(&e, NULL, "no place %d", 1);
    lr_errorf_key(&e, &n, "y", "worse %s", "still");
    lr_errorf_key(&e, &n, NULL, "no key");
    assert_int_equal(e.count, 4);
    assert_string_equal(lr_errors_text(&e), "a.yaml:3:7: key 'x': bad\n"
                                            "no place 1\n"
                                            "a.yaml:3:7: key 'y': worse still\n"
                                            "a.yaml:3:7: no key\n");
    lr_errors_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_and_locations),
        cmocka_unit_test(test_nulls_and_kinds),
        cmocka_unit_test(test_empty_inputs),
        cmocka_unit_test(test_top_level_errors),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_yaml_syntax_errors),
        cmocka_unit_test(test_unsupported_yaml),
        cmocka_unit_test(test_directory_merge),
        cmocka_unit_test(test_directory_duplicates),
        cmocka_unit_test(test_directory_without_yaml),
        cmocka_unit_test(test_file_errors_name_the_file),
        cmocka_unit_test(test_substitute_env),
        cmocka_unit_test(test_substitute_file),
        cmocka_unit_test(test_substitute_errors),
        cmocka_unit_test(test_substitute_api),
        cmocka_unit_test(test_errorf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
