/*
 * Plugin loader and instance tests: refusals name the file and the reason;
 * a good module's options are validated together with the core's; unknown
 * keys and bad values are errors with file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "plugin/instance.h"
#include "plugin/plugin.h"

static char good_dir[1024], bad_dir[1024];

static int setup(void **state)
{
    (void)state;
    const char *b = getenv("LR_BUILD");
    assert_non_null(b);
    snprintf(good_dir, sizeof good_dir, "%s/test-plugins", b);
    snprintf(bad_dir, sizeof bad_dir, "%s/test-plugins-bad", b);
    return 0;
}

static void test_refusals(void **state)
{
    (void)state;
    lr_plugin_registry *reg = lr_plugins_load_dir(good_dir);
    assert_non_null(lr_plugins_find(reg, "flaky"));
    char path[1100];
    snprintf(path, sizeof path, "%s/bad_abi.so", bad_dir);
    const lr_plugin_entry *e = lr_plugins_load_file(reg, path);
    assert_null(e->desc);
    assert_non_null(strstr(e->refused, "plugin ABI version 99, this logrelay speaks version 1"));
    assert_string_equal(e->path, path);

    snprintf(path, sizeof path, "%s/no_symbol.so", bad_dir);
    e = lr_plugins_load_file(reg, path);
    assert_null(e->desc);
    assert_non_null(strstr(e->refused, "no 'logrelay_output_plugin' symbol"));

    snprintf(path, sizeof path, "%s/flaky_dup.so", bad_dir);
    e = lr_plugins_load_file(reg, path);
    assert_null(e->desc);
    assert_non_null(strstr(e->refused, "duplicate module name 'flaky', already loaded from"));
    assert_non_null(strstr(e->refused, "test-plugins/flaky.so"));

    snprintf(path, sizeof path, "%s/flaky_reserved.so", bad_dir);
    e = lr_plugins_load_file(reg, path);
    assert_null(e->desc);
    assert_non_null(strstr(e->refused, "reserved descriptor space"));

    snprintf(path, sizeof path, "%s/does_not_exist.so", bad_dir);
    e = lr_plugins_load_file(reg, path);
    assert_non_null(strstr(e->refused, "cannot load:"));
    lr_plugins_free(reg);

    reg = lr_plugins_load_dir("/nonexistent/plugins");
    assert_int_equal(lr_plugins_count(reg), 1);
    assert_non_null(strstr(lr_plugins_at(reg, 0)->refused, "cannot open plugin directory"));
    lr_plugins_free(reg);
}

static lr_instance *make(lr_plugin_registry *reg, const char *yaml, lr_errors *errs, lr_config **cfg)
{
    *cfg = lr_config_load_string(yaml, "out.yaml", errs);
    assert_non_null(*cfg);
    const lr_cfg_node *outs = lr_cfg_get((*cfg)->root, "outputs");
    return lr_instance_create(lr_plugins_find(reg, "flaky"), outs->pairs[0].key->str, outs->pairs[0].value,
                              "/tmp", errs);
}

static void test_instance_options(void **state)
{
    (void)state;
    lr_plugin_registry *reg = lr_plugins_load_dir(good_dir);
    lr_errors errs;
    lr_errors_init(&errs);
    lr_config *cfg;
    lr_instance *inst =
        make(reg,
             "outputs:\n  sink:\n    type: flaky\n    path: /tmp/x\n    queue:\n      max_records: 10\n"
             "    retry: {initial: 250ms, max_attempts: 3}\n    workers: 4\n",
             &errs, &cfg);
    assert_int_equal(errs.count, 0);
    assert_non_null(inst);
    const lr_output_settings *s = lr_instance_settings(inst);
    assert_int_equal(s->queue_max_records, 10);
    assert_int_equal(s->retry_initial_ms, 250);
    assert_int_equal(s->retry_max_attempts, 3);
    assert_int_equal(s->retry_max_ms, 60000);
    assert_int_equal(s->workers, 1); /* flaky is not multi-worker */
    assert_string_equal(s->deadletter_path, "/tmp/deadletter/sink.jsonl");
    lr_instance_destroy(inst);
    lr_config_free(cfg);

    inst = make(reg, "outputs:\n  sink:\n    type: flaky\n    pth: /tmp/x\n    batch: {max_records: 0}\n",
                &errs, &cfg);
    assert_null(inst);
    assert_true(errs.count >= 2);
    lr_buf_terminate(&errs.text);
    assert_non_null(strstr(errs.text.data, "out.yaml:4:5: key 'pth'"));
    assert_non_null(strstr(errs.text.data, "did you mean 'path'"));
    assert_non_null(strstr(errs.text.data, "batch.max_records"));
    lr_config_free(cfg);
    lr_errors_free(&errs);
    lr_plugins_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_instance_options),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
