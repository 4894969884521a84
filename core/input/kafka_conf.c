/*
 * kafka_conf.c: the `kafka:` section: its option table, the topics map, the
 * `librdkafka:` pass-through, and the librdkafka configuration built from
 * them. Every pass-through property is tried on a scratch librdkafka
 * configuration while parsing, so an unknown or invalid one is a start-up
 * error with librdkafka's own message and the place it was written.
 *
 * Start-up only, single-threaded.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/options.h"
#include "input/kafka_internal.h"
#include "util/log.h"

static const char *const start_values[] = {"newest", "oldest", NULL};

#define K(f) offsetof(lr_kafka_config, f)
#define T(f) (offsetof(lr_kafka_config, tls) + offsetof(lr_kafka_tls_conf, f))
static const lr_option kafka_options[] = {
    {"brokers", LR_OPT_STRLIST, NULL, 0, 0, NULL, LR_OPT_REQUIRED, K(brokers),
     "Bootstrap brokers, host:port (the provider uses port 9093); a list or a comma-separated string."},
    {"group_id", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_REQUIRED, K(group_id),
     "Consumer group. The provider only accepts groups named c<ID>_..., e.g. c83_logrelay."},
    {"client_id", LR_OPT_STRING, NULL, 0, 0, NULL, 0, K(client_id),
     "Client id shown to the brokers (default: the host name)."},
    {"start_from", LR_OPT_ENUM, "newest", 0, 0, start_values, 0, K(start_from),
     "Where a group without a committed offset starts: newest or oldest."},
    {"commit_interval", LR_OPT_DURATION, "5s", 100, 3600000, NULL, 0, K(commit_interval_ms),
     "How often finished offsets are committed (also on revocation and at shutdown)."},
    {"auth_error_timeout", LR_OPT_DURATION, "30s", 0, 3600000, NULL, 0, K(auth_error_timeout_ms),
     "Stop with an error when TLS/authentication keeps failing this long before the first assignment (0: "
     "retry "
     "forever)."},
    {"tls.ca_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, T(ca_file),
     "CA certificate(s), PEM (transparentcdnCA.pem)."},
    {"tls.cert_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, T(cert_file),
     "Client certificate, PEM (c<ID>.crt.pem)."},
    {"tls.key_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, T(key_file),
     "Client private key, PEM (c<ID>.key.pem)."},
    {"tls.key_password", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_SECRET, T(key_password),
     "Password of an encrypted key_file."},
    {"tls.key_password_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, T(key_password_file),
     "File holding the key password (password.txt)."},
    {"tls.keystore_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, T(keystore_file),
     "Client keystore, PKCS#12 (c<ID>.keystore.p12), instead of cert_file + key_file."},
    {"tls.keystore_password", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_SECRET, T(keystore_password),
     "Keystore password."},
    {"tls.keystore_password_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, T(keystore_password_file),
     "File holding the keystore password (password.txt)."},
    {"tls.truststore_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, T(truststore_file),
     "CA certificates as a PKCS#12 truststore (truststore.p12), instead of ca_file."},
    {"tls.truststore_password", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_SECRET, T(truststore_password),
     "Truststore password (default: the keystore password)."},
    {"tls.truststore_password_file", LR_OPT_STRING, NULL, 0, 0, NULL, 0, T(truststore_password_file),
     "File holding the truststore password."},
    {"tls.verify_hostname", LR_OPT_BOOL, "true", 0, 0, NULL, 0, T(verify_hostname),
     "Check that the broker certificate names the host connected to."},
    LR_OPTIONS_END,
};
#undef K
#undef T

const lr_option *lr_kafka_options(void)
{
    return kafka_options;
}

/* Per-topic settings: `topics: {c83: {format: cdn_access}}`. */
typedef struct topic_opts {
    char *format;
    bool split_messages;
} topic_opts;

static const lr_option topic_options[] = {
    {"format", LR_OPT_STRING, NULL, 0, 0, NULL, LR_OPT_REQUIRED, offsetof(topic_opts, format),
     "Parser: cdn_access, waf_json, json or raw."},
    {"split_messages", LR_OPT_BOOL, "true", 0, 0, NULL, 0, offsetof(topic_opts, split_messages),
     "waf_json: one record per element of transaction.messages."},
    LR_OPTIONS_END,
};

/* Properties logrelay sets itself: setting them would break at-least-once
 * or duplicate a kafka.* option. */
static const struct {
    const char *prop, *why;
} managed[] = {
    {"bootstrap.servers", "use kafka.brokers"},
    {"metadata.broker.list", "use kafka.brokers"},
    {"group.id", "use kafka.group_id"},
    {"client.id", "use kafka.client_id"},
    {"auto.offset.reset", "use kafka.start_from"},
    {"enable.auto.offset.store", "logrelay stores an offset only after every output finished with it"},
    {"enable.auto.commit", "logrelay commits finished offsets itself; use kafka.commit_interval"},
    {"auto.commit.interval.ms", "use kafka.commit_interval"},
};

static bool secret_prop(const char *key)
{
    return strstr(key, "password") || strstr(key, "secret") || strstr(key, "sasl.oauthbearer.config") ||
           !strcmp(key, "ssl.key.pem") || strstr(key, "token");
}

/* librdkafka's messages quote the value; never print a secret one. */
static void redact(char *msg, const char *value)
{
    size_t vl = strlen(value);
    if (!vl)
        return;
    char *p;
    while ((p = strstr(msg, value)) != NULL) {
        memmove(p + 3, p + vl, strlen(p + vl) + 1);
        memcpy(p, "***", 3);
    }
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort();
    return d;
}

static char *node_where(const lr_cfg_node *n)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s:%d:%d", n->file ? n->file : "?", n->line, n->col);
    return xstrdup(buf);
}

static void parse_topics(lr_kafka_config *c, const lr_cfg_node *kafka, lr_errors *errs)
{
    const lr_cfg_node *topics = lr_cfg_get(kafka, "topics");
    if (!topics || lr_cfg_is_null(topics)) {
        lr_errorf_key(errs, topics ? topics : kafka, "kafka.topics",
                      "missing: map each topic to its format, e.g. `topics: {c83: {format: cdn_access}}`");
        return;
    }
    if (topics->kind != LR_CFG_MAP || topics->count == 0) {
        lr_errorf_key(errs, topics, "kafka.topics",
                      "expected a mapping of topic name to {format: ...}, found %s",
                      lr_cfg_kind_phrase(topics));
        return;
    }
    c->topics = calloc(topics->count, sizeof *c->topics);
    if (!c->topics)
        abort();
    for (size_t i = 0; i < topics->count; i++) {
        const lr_cfg_node *name = topics->pairs[i].key, *val = topics->pairs[i].value;
        char key[300];
        snprintf(key, sizeof key, "kafka.topics.%s", name->str);
        topic_opts to = {0};
        if (val->kind == LR_CFG_SCALAR && !lr_cfg_is_null(val)) {
            to.format = xstrdup(val->str); /* shorthand `c83: cdn_access` */
            to.split_messages = true;
        } else if (val->kind == LR_CFG_MAP) {
            char prefix[310];
            snprintf(prefix, sizeof prefix, "%s.", key);
            lr_apply_opts ao = {.prefix = prefix};
            if (lr_options_apply_ex(topic_options, val, &to, &ao, errs)) {
                lr_options_free_struct(topic_options, &to);
                continue;
            }
        } else {
            lr_errorf_key(errs, val, key, "expected {format: cdn_access|waf_json|json|raw}, found %s",
                          lr_cfg_kind_phrase(val));
            continue;
        }
        int fmt = lr_format_from_name(to.format);
        if (fmt < 0) {
            const lr_cfg_node *fn = val->kind == LR_CFG_MAP ? lr_cfg_get(val, "format") : val;
            lr_errorf_key(errs, fn ? fn : val, key, "unknown format '%s' (one of: %s)", to.format,
                          lr_format_names());
        } else {
            lr_kafka_topic *t = &c->topics[c->ntopics++];
            t->name = xstrdup(name->str);
            t->format = (lr_format)fmt;
            t->parse.split_messages = to.split_messages;
        }
        if (val->kind == LR_CFG_MAP)
            lr_options_free_struct(topic_options, &to);
        else
            free(to.format);
    }
}

static void parse_props(lr_kafka_config *c, const lr_cfg_node *kafka, lr_errors *errs)
{
    const lr_cfg_node *map = lr_cfg_get(kafka, "librdkafka");
    if (!map || lr_cfg_is_null(map))
        return;
    if (map->kind != LR_CFG_MAP) {
        lr_errorf_key(errs, map, "kafka.librdkafka",
                      "expected a mapping of librdkafka property to value, found %s",
                      lr_cfg_kind_phrase(map));
        return;
    }
    c->props = calloc(map->count ? map->count : 1, sizeof *c->props);
    if (!c->props)
        abort();
    rd_kafka_conf_t *scratch = rd_kafka_conf_new();
    for (size_t i = 0; i < map->count; i++) {
        const lr_cfg_node *k = map->pairs[i].key, *v = map->pairs[i].value;
        char key[300];
        snprintf(key, sizeof key, "kafka.librdkafka.%s", k->str);
        bool bad = false;
        for (size_t m = 0; m < sizeof managed / sizeof managed[0]; m++) {
            if (!strcmp(k->str, managed[m].prop)) {
                lr_errorf_key(errs, k, key, "set by logrelay: %s", managed[m].why);
                bad = true;
            }
        }
        if (bad)
            continue;
        if (v->kind != LR_CFG_SCALAR || lr_cfg_is_null(v)) {
            lr_errorf_key(errs, v, key, "expected a value, found %s", lr_cfg_kind_phrase(v));
            continue;
        }
        bool secret = v->substituted || secret_prop(k->str);
        char msg[512];
        if (rd_kafka_conf_set(scratch, k->str, v->str, msg, sizeof msg) != RD_KAFKA_CONF_OK) {
            if (secret)
                redact(msg, v->str);
            lr_errorf_key(errs, k, key, "librdkafka: %s", msg);
            continue;
        }
        lr_kafka_prop *p = &c->props[c->nprops++];
        p->key = xstrdup(k->str);
        p->value = xstrdup(v->str);
        p->where = node_where(k);
        p->secret = secret;
    }
    rd_kafka_conf_destroy(scratch);
}

/* `brokers: "a:9093,b:9093"` is one string; split it like a list. */
static void split_brokers(lr_kafka_config *c, const lr_cfg_node *kafka, lr_errors *errs)
{
    lr_strlist out = {0};
    for (size_t i = 0; i < c->brokers.count; i++) {
        const char *s = c->brokers.items[i];
        while (*s) {
            while (*s == ',' || isspace((unsigned char)*s))
                s++;
            size_t n = strcspn(s, ", \t");
            if (!n)
                break;
            char **items = realloc(out.items, (out.count + 1) * sizeof *items);
            if (!items)
                abort();
            out.items = items;
            out.items[out.count] = strndup(s, n);
            if (!out.items[out.count])
                abort();
            out.count++;
            s += n;
        }
    }
    for (size_t i = 0; i < c->brokers.count; i++)
        free(c->brokers.items[i]);
    free(c->brokers.items);
    c->brokers = out;
    if (!out.count)
        lr_errorf_key(errs, lr_cfg_get(kafka, "brokers"), "kafka.brokers", "no broker given (host:port)");
    for (size_t i = 0; i < out.count; i++) {
        const char *colon = strrchr(out.items[i], ':');
        if (!colon || !colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1))
            lr_errorf_key(errs, lr_cfg_get(kafka, "brokers"), "kafka.brokers", "'%s' is not host:port",
                          out.items[i]);
    }
}

/* The provider accepts only groups named c<ID>_...: say so early, but do not
 * refuse (other Kafka clusters have other rules). */
static void warn_group(const lr_kafka_config *c, const lr_cfg_node *kafka)
{
    const lr_cfg_node *n = lr_cfg_get(kafka, "group_id");
    const char *g = c->group_id;
    size_t digits = g[0] == 'c' ? strspn(g + 1, "0123456789") : 0;
    if (!digits || g[1 + digits] != '_' || !g[2 + digits]) {
        lr_warn("kafka",
                "%s:%d:%d: kafka.group_id '%s' is not of the form c<ID>_<name>; the CDN provider's brokers "
                "only accept consumer groups named after your client id, e.g. c83_logrelay",
                n->file, n->line, n->col, g);
        return;
    }
    for (size_t i = 0; i < c->ntopics; i++) {
        const char *t = c->topics[i].name;
        size_t td = t[0] == 'c' ? strspn(t + 1, "0123456789") : 0;
        if (td && (t[1 + td] == '\0' || t[1 + td] == '_') && (td != digits || strncmp(t, g, 1 + td)))
            lr_warn("kafka",
                    "%s:%d:%d: kafka.group_id '%s' does not start with '%.*s_' like topic '%s'; the "
                    "provider only lets c<ID> read with groups c<ID>_...",
                    n->file, n->line, n->col, g, (int)(1 + td), t, t);
    }
}

static char *host_name(void)
{
    char h[256];
    if (gethostname(h, sizeof h) != 0 || !h[0])
        return xstrdup("logrelay");
    h[sizeof h - 1] = '\0';
    return xstrdup(h);
}

lr_kafka_config *lr_kafka_config_parse(const lr_cfg_node *kafka, lr_errors *errs)
{
    if (!kafka || lr_cfg_is_null(kafka)) {
        lr_errorf_key(errs, kafka, "kafka",
                      "missing: the kafka section says which brokers and topics to read");
        return NULL;
    }
    if (kafka->kind != LR_CFG_MAP) {
        lr_errorf_key(errs, kafka, "kafka", "expected a mapping, found %s", lr_cfg_kind_phrase(kafka));
        return NULL;
    }
    lr_kafka_config *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    int before = errs->count;
    static const char *const ignore[] = {"topics", "librdkafka", NULL};
    lr_apply_opts ao = {.ignore = ignore, .prefix = "kafka."};
    lr_options_apply_ex(kafka_options, kafka, c, &ao, errs);
    if (c->brokers.count)
        split_brokers(c, kafka, errs);
    parse_topics(c, kafka, errs);
    parse_props(c, kafka, errs);
    if (!c->client_id)
        c->client_id = host_name();
    const lr_cfg_node *tls = lr_cfg_get(kafka, "tls");
    if (tls && !lr_cfg_is_null(tls)) {
        c->tls_enabled = true;
        if (errs->count == before)
            lr_kafka_tls_check(c, tls, errs);
    }
    if (errs->count > before) {
        lr_kafka_config_free(c);
        return NULL;
    }
    warn_group(c, kafka);
    /* the final check: librdkafka accepts the whole configuration */
    char msg[600];
    rd_kafka_conf_t *rc = lr_kafka_conf_build(c, msg, sizeof msg);
    if (!rc) {
        lr_errorf_key(errs, kafka, "kafka", "%s", msg);
        lr_kafka_config_free(c);
        return NULL;
    }
    rd_kafka_conf_destroy(rc);
    return c;
}

static void add_topic(lr_kafka_config *c, const char *name, lr_format fmt)
{
    lr_kafka_topic *t = realloc(c->topics, (c->ntopics + 1) * sizeof *t);
    if (!t)
        abort();
    c->topics = t;
    t = &c->topics[c->ntopics++];
    memset(t, 0, sizeof *t);
    t->name = xstrdup(name);
    t->format = fmt;
    t->parse.split_messages = true;
}

lr_kafka_config *lr_kafka_config_for_demo(const lr_cfg_node *kafka, const char *bootstrap, lr_errors *errs)
{
    lr_kafka_config *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    int before = errs->count;
    const lr_cfg_node *g = kafka && kafka->kind == LR_CFG_MAP ? lr_cfg_get(kafka, "group_id") : NULL;
    if (kafka && kafka->kind == LR_CFG_MAP && lr_cfg_get(kafka, "topics"))
        parse_topics(c, kafka, errs);
    else {
        add_topic(c, "c83", LR_FORMAT_CDN_ACCESS);
        add_topic(c, "c83_waf", LR_FORMAT_WAF_JSON);
    }
    if (errs->count > before) {
        lr_kafka_config_free(c);
        return NULL;
    }
    c->brokers.items = calloc(1, sizeof *c->brokers.items);
    if (!c->brokers.items)
        abort();
    c->brokers.items[0] = xstrdup(bootstrap);
    c->brokers.count = 1;
    c->group_id = xstrdup(g && lr_cfg_scalar(g) ? lr_cfg_scalar(g) : "c83_demo");
    c->client_id = host_name();
    c->start_from = LR_KAFKA_START_OLDEST;
    c->commit_interval_ms = 1000;
    c->auth_error_timeout_ms = 30000;
    c->tls.verify_hostname = true;
    return c;
}

void lr_kafka_config_free(lr_kafka_config *c)
{
    if (!c)
        return;
    lr_options_free_struct(kafka_options, c);
    for (size_t i = 0; i < c->ntopics; i++)
        free(c->topics[i].name);
    free(c->topics);
    for (size_t i = 0; i < c->nprops; i++) {
        free(c->props[i].key);
        if (c->props[i].secret)
            lr_kafka_secret_free(c->props[i].value);
        else
            free(c->props[i].value);
        free(c->props[i].where);
    }
    free(c->props);
    free(c->ca_pem);
    free(c->client_cert_pem);
    lr_kafka_secret_free(c->client_key_pem);
    lr_kafka_secret_free(c->key_pass);
    lr_kafka_secret_free(c->keystore_pass);
    free(c);
}

/* ---- librdkafka configuration -------------------------------------------- */

typedef struct builder {
    rd_kafka_conf_t *conf;
    char *err;
    size_t errlen;
    bool failed;
} builder;

static void set(builder *b, const char *k, const char *v, const char *where, bool secret)
{
    char msg[512];
    if (b->failed || rd_kafka_conf_set(b->conf, k, v, msg, sizeof msg) == RD_KAFKA_CONF_OK)
        return;
    if (secret)
        redact(msg, v);
    snprintf(b->err, b->errlen, "%s%slibrdkafka: %s", where ? where : "", where ? ": " : "", msg);
    b->failed = true;
}

rd_kafka_conf_t *lr_kafka_conf_build(const lr_kafka_config *c, char *err, size_t errlen)
{
    builder b = {rd_kafka_conf_new(), err, errlen, false};
    lr_buf brokers;
    lr_buf_init(&brokers, 0);
    for (size_t i = 0; i < c->brokers.count; i++)
        lr_buf_printf(&brokers, "%s%s", i ? "," : "", c->brokers.items[i]);
    lr_buf_terminate(&brokers);
    set(&b, "bootstrap.servers", brokers.data ? brokers.data : "", NULL, false);
    lr_buf_free(&brokers);
    set(&b, "group.id", c->group_id, NULL, false);
    set(&b, "client.id", c->client_id, NULL, false);
    set(&b, "auto.offset.reset", c->start_from == LR_KAFKA_START_OLDEST ? "earliest" : "latest", NULL, false);
    /* At-least-once: offsets are stored only once outputs are done (the
     * watermark), and committed by the consumer loop. */
    set(&b, "enable.auto.offset.store", "false", NULL, false);
    set(&b, "enable.auto.commit", "false", NULL, false);
    set(&b, "enable.partition.eof", "false", NULL, false);
    if (c->tls_enabled) {
        const lr_kafka_tls_conf *t = &c->tls;
        set(&b, "security.protocol", "ssl", NULL, false);
        if (t->ca_file)
            set(&b, "ssl.ca.location", t->ca_file, NULL, false);
        if (c->ca_pem)
            set(&b, "ssl.ca.pem", c->ca_pem, NULL, false);
        if (t->cert_file) {
            set(&b, "ssl.certificate.location", t->cert_file, NULL, false);
            set(&b, "ssl.key.location", t->key_file, NULL, false);
            if (c->key_pass)
                set(&b, "ssl.key.password", c->key_pass, NULL, true);
        }
        if (c->client_cert_pem) {
            /* from keystore_file, decoded by kafka_tls.c (librdkafka 2.0's
             * own PKCS#12 loading leaks and lacks the legacy algorithms) */
            set(&b, "ssl.certificate.pem", c->client_cert_pem, NULL, false);
            set(&b, "ssl.key.pem", c->client_key_pem, NULL, true);
        }
        if (!t->verify_hostname)
            set(&b, "ssl.endpoint.identification.algorithm", "none", NULL, false);
    }
    for (size_t i = 0; i < c->nprops; i++)
        set(&b, c->props[i].key, c->props[i].value, c->props[i].where, c->props[i].secret);
    if (b.failed) {
        rd_kafka_conf_destroy(b.conf);
        return NULL;
    }
    return b.conf;
}
