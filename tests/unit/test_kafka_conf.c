/*
 * test_kafka_conf.c: the `kafka:` section as a user writes it, and what a
 * user reads when it is wrong: every error names file:line:col and the key,
 * TLS problems name the file and the cause (missing, expired, wrong
 * password, key not matching), librdkafka's own message is passed on.
 *
 * Certificates are made fresh by tests/kafka/gen_certs.sh (a committed one
 * would expire).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "input/kafka.h"
#include "input/kafka_internal.h"

static char certs[256];

static int make_certs(void **state)
{
    (void)state;
    const char *data = getenv("LR_TEST_DATA");
    if (!data)
        data = "tests/data";
    snprintf(certs, sizeof certs, "/tmp/lr-kafka-conf-XXXXXX");
    if (!mkdtemp(certs))
        return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/../kafka/gen_certs.sh %s s3cret > /dev/null", data, certs);
    return system(cmd) == 0 ? 0 : -1;
}

static int remove_certs(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", certs);
    return system(cmd) == 0 ? 0 : -1;
}

/* Parse YAML text (with @ replaced by the cert directory); returns the config
 * or NULL, and the error text in errbuf. */
static lr_kafka_config *parse(const char *yaml_tmpl, char *errbuf, size_t errlen)
{
    char yaml[4096];
    size_t o = 0;
    for (const char *p = yaml_tmpl; *p && o + 300 < sizeof yaml; p++) {
        if (*p == '@')
            o += (size_t)snprintf(yaml + o, sizeof yaml - o, "%s", certs);
        else
            yaml[o++] = *p;
    }
    yaml[o] = '\0';
    lr_errors errs;
    lr_errors_init(&errs);
    lr_config *cfg = lr_config_load_string(yaml, "k.yaml", &errs);
    lr_kafka_config *c = NULL;
    if (cfg)
        c = lr_kafka_config_parse(lr_cfg_get(cfg->root, "kafka"), &errs);
    snprintf(errbuf, errlen, "%s", lr_errors_text(&errs));
    if (c)
        assert_int_equal(errs.count, 0);
    lr_errors_free(&errs);
    lr_config_free(cfg);
    return c;
}

static void expect_error(const char *yaml, const char *needle1, const char *needle2)
{
    char err[4096];
    lr_kafka_config *c = parse(yaml, err, sizeof err);
    if (c) {
        lr_kafka_config_free(c);
        fail_msg("accepted, expected an error with '%s'", needle1);
    }
    if (!strstr(err, needle1) || (needle2 && !strstr(err, needle2)))
        fail_msg("error text lacks '%s'%s%s:\n%s", needle1, needle2 ? " / " : "", needle2 ? needle2 : "",
                 err);
}

#define BASE                                                                                                 \
    "kafka:\n"                                                                                               \
    "  brokers: [\"k1.example:9093\", \"k2.example:9093\"]\n"                                                \
    "  group_id: c83_logrelay\n"                                                                             \
    "  topics:\n"                                                                                            \
    "    c83: {format: cdn_access}\n"                                                                        \
    "    c83_waf: {format: waf_json}\n"

static void minimal_plaintext(void **state)
{
    (void)state;
    char err[2048];
    lr_kafka_config *c = parse(BASE, err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->brokers.count, 2);
    assert_string_equal(c->brokers.items[1], "k2.example:9093");
    assert_string_equal(c->group_id, "c83_logrelay");
    assert_int_equal(c->start_from, LR_KAFKA_START_NEWEST);
    assert_int_equal(c->commit_interval_ms, 5000);
    assert_int_equal(c->ntopics, 2);
    assert_string_equal(c->topics[1].name, "c83_waf");
    assert_int_equal(c->topics[1].format, LR_FORMAT_WAF_JSON);
    assert_true(c->topics[1].parse.split_messages);
    assert_false(c->tls_enabled);
    char host[256];
    gethostname(host, sizeof host);
    assert_string_equal(c->client_id, host); /* as the provider's Python sample */
    lr_kafka_config_free(c);
}

static void brokers_as_string_and_options(void **state)
{
    (void)state;
    char err[2048];
    lr_kafka_config *c = parse("kafka:\n"
                               "  brokers: \"a:9093, b:9093,c:9093\"\n"
                               "  group_id: c83_x\n"
                               "  client_id: edge-1\n"
                               "  start_from: oldest\n"
                               "  commit_interval: 500ms\n"
                               "  topics: {c83: raw}\n"
                               "  librdkafka:\n"
                               "    session.timeout.ms: 12000\n"
                               "    partition.assignment.strategy: cooperative-sticky\n",
                               err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->brokers.count, 3);
    assert_string_equal(c->brokers.items[2], "c:9093");
    assert_string_equal(c->client_id, "edge-1");
    assert_int_equal(c->start_from, LR_KAFKA_START_OLDEST);
    assert_int_equal(c->commit_interval_ms, 500);
    assert_int_equal(c->topics[0].format, LR_FORMAT_RAW);
    assert_int_equal(c->nprops, 2);
    char msg[256];
    rd_kafka_conf_t *rc = lr_kafka_conf_build(c, msg, sizeof msg);
    assert_non_null(rc);
    char v[128];
    size_t n = sizeof v;
    assert_int_equal(rd_kafka_conf_get(rc, "enable.auto.offset.store", v, &n), RD_KAFKA_CONF_OK);
    assert_string_equal(v, "false");
    n = sizeof v;
    rd_kafka_conf_get(rc, "auto.offset.reset", v, &n);
    assert_true(!strcmp(v, "earliest") || !strcmp(v, "smallest")); /* librdkafka reports its alias */
    n = sizeof v;
    rd_kafka_conf_get(rc, "session.timeout.ms", v, &n);
    assert_string_equal(v, "12000");
    n = sizeof v;
    rd_kafka_conf_get(rc, "bootstrap.servers", v, &n);
    assert_string_equal(v, "a:9093,b:9093,c:9093");
    rd_kafka_conf_destroy(rc);
    lr_kafka_config_free(c);
}

static void config_errors_have_locations(void **state)
{
    (void)state;
    expect_error("kafka:\n  group_id: c83_x\n  topics: {c83: raw}\n", "k.yaml:", "brokers");
    expect_error("kafka:\n  brokers: [a:9093]\n  group_id: c83_x\n", "kafka.topics", "missing");
    expect_error("kafka:\n  brokers: [a:9093]\n  group_id: c83_x\n  topics:\n    c83: {format: apache}\n",
                 "k.yaml:5:", "unknown format 'apache'");
    expect_error("kafka:\n  brokers: [nohostport]\n  group_id: c83_x\n  topics: {c83: raw}\n",
                 "kafka.brokers", "not host:port");
    expect_error(
        "kafka:\n  brokers: [a:9093]\n  group_id: c83_x\n  start_from: latest\n  topics: {c83: raw}\n",
        "k.yaml:4:", "start_from");
}

static void librdkafka_passthrough_errors(void **state)
{
    (void)state;
    /* unknown property: librdkafka's message, at the key's place */
    expect_error(BASE "  librdkafka:\n    no.such.property: 1\n",
                 "k.yaml:8:5:", "No such configuration property");
    /* invalid value */
    expect_error(BASE "  librdkafka:\n    session.timeout.ms: soon\n", "k.yaml:8:5:", "session.timeout.ms");
    /* what logrelay manages itself is refused with the reason */
    expect_error(BASE "  librdkafka:\n    enable.auto.commit: true\n",
                 "k.yaml:8:5:", "kafka.commit_interval");
    expect_error(BASE "  librdkafka:\n    enable.auto.offset.store: true\n",
                 "k.yaml:8:5:", "after every output finished");
    expect_error(BASE "  librdkafka:\n    group.id: other\n", "k.yaml:8:5:", "kafka.group_id");
}

static void secrets_never_in_messages(void **state)
{
    (void)state;
    char err[4096];
    /* a value that came from ${env:...} is treated as a secret: librdkafka's
     * message would quote it, logrelay shows *** instead */
    setenv("LR_TEST_SECRET", "Hunter2Value", 1);
    lr_kafka_config *c =
        parse(BASE "  librdkafka:\n    security.protocol: ${env:LR_TEST_SECRET}\n", err, sizeof err);
    assert_null(c);
    assert_non_null(strstr(err, "security.protocol"));
    assert_non_null(strstr(err, "***"));
    assert_null(strstr(err, "Hunter2Value"));
    c = parse(BASE "  tls:\n    keystore_file: @/client.p12\n    keystore_password: NotTheRightOne\n", err,
              sizeof err);
    assert_null(c);
    assert_non_null(strstr(err, "wrong password"));
    assert_null(strstr(err, "NotTheRightOne"));
}

static void tls_pem_ok(void **state)
{
    (void)state;
    char err[4096];
    lr_kafka_config *c = parse(BASE "  tls:\n"
                                    "    ca_file: @/ca.pem\n"
                                    "    cert_file: @/client.pem\n"
                                    "    key_file: @/client.key\n"
                                    "    key_password_file: @/password.txt\n",
                               err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_true(c->tls_enabled);
    assert_string_equal(c->key_pass, "s3cret");
    lr_kafka_config_free(c);
}

static void tls_pkcs12_and_truststore_ok(void **state)
{
    (void)state;
    char err[4096];
    lr_kafka_config *c = parse(BASE "  tls:\n"
                                    "    truststore_file: @/truststore.p12\n"
                                    "    keystore_file: @/client.p12\n"
                                    "    keystore_password: s3cret\n",
                               err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    /* the provider's truststore.p12 becomes PEM for librdkafka */
    assert_non_null(c->ca_pem);
    assert_non_null(strstr(c->ca_pem, "-----BEGIN CERTIFICATE-----"));
    /* the keystore is decoded here and handed to librdkafka as PEM */
    assert_non_null(c->client_cert_pem);
    assert_non_null(strstr(c->client_cert_pem, "-----BEGIN CERTIFICATE-----"));
    assert_non_null(c->client_key_pem);
    assert_non_null(strstr(c->client_key_pem, "PRIVATE KEY-----"));
    char msg[256], v[64];
    rd_kafka_conf_t *rc = lr_kafka_conf_build(c, msg, sizeof msg);
    assert_non_null(rc);
    size_t n = sizeof v;
    rd_kafka_conf_get(rc, "security.protocol", v, &n);
    assert_string_equal(v, "ssl");
    rd_kafka_conf_destroy(rc);
    lr_kafka_config_free(c);
}

static void tls_file_errors(void **state)
{
    (void)state;
    /* missing */
    expect_error(BASE "  tls:\n    ca_file: @/nope.pem\n",
                 "k.yaml:8:", "nope.pem: No such file or directory");
    /* a directory */
    expect_error(BASE "  tls:\n    ca_file: @\n", "kafka.tls.ca_file", "is not a regular file");
    /* not a certificate */
    expect_error(BASE "  tls:\n    ca_file: @/password.txt\n", "password.txt holds no PEM certificate", NULL);
    /* expired client certificate */
    expect_error(BASE "  tls:\n    cert_file: @/expired.pem\n    key_file: @/expired.key\n", "expired.pem",
                 "expired on 2020-02-01");
    /* encrypted key without password / wrong password */
    expect_error(BASE "  tls:\n    cert_file: @/client.pem\n    key_file: @/client.key\n",
                 "client.key is encrypted", "key_password");
    expect_error(BASE
                 "  tls:\n    cert_file: @/client.pem\n    key_file: @/client.key\n    key_password: nope\n",
                 "kafka.tls.key_password", "wrong password for the key in");
    /* key of another certificate */
    expect_error(BASE "  tls:\n    cert_file: @/client.pem\n    key_file: @/rogue.key\n",
                 "rogue.key does not belong", NULL);
    /* PKCS#12 wrong password, missing password */
    expect_error(BASE "  tls:\n    keystore_file: @/client.p12\n    keystore_password: nope\n",
                 "wrong password for", "client.p12");
    expect_error(BASE "  tls:\n    keystore_file: @/client.p12\n", "keystore_password", NULL);
    expect_error(BASE "  tls:\n    truststore_file: @/truststore.p12\n    truststore_password: nope\n",
                 "truststore.p12", "wrong password");
    expect_error(BASE "  tls:\n    keystore_file: @/client.pem\n    keystore_password: x\n",
                 "client.pem is not a PKCS#12 file", NULL);
    /* contradictory settings */
    expect_error(BASE "  tls:\n    ca_file: @/ca.pem\n    truststore_file: @/truststore.p12\n",
                 "kafka.tls.truststore_file", "not both");
    expect_error(BASE "  tls:\n    key_password: a\n    key_password_file: @/password.txt\n    cert_file: "
                      "@/client.pem\n    key_file: @/client.key\n",
                 "not both", NULL);
}

static void tls_unreadable_file(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root reads everything: permission errors cannot happen */
    char path[300];
    snprintf(path, sizeof path, "%s/locked.pem", certs);
    FILE *f = fopen(path, "w");
    fputs("x", f);
    fclose(f);
    chmod(path, 0);
    expect_error(BASE "  tls:\n    ca_file: @/locked.pem\n", "locked.pem: Permission denied", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(minimal_plaintext),
        cmocka_unit_test(brokers_as_string_and_options),
        cmocka_unit_test(config_errors_have_locations),
        cmocka_unit_test(librdkafka_passthrough_errors),
        cmocka_unit_test(secrets_never_in_messages),
        cmocka_unit_test(tls_pem_ok),
        cmocka_unit_test(tls_pkcs12_and_truststore_ok),
        cmocka_unit_test(tls_file_errors),
        cmocka_unit_test(tls_unreadable_file),
    };
    return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
