/*
 * kafka_tls.c: start-up checks of the Kafka TLS material with OpenSSL, so a
 * bad file is reported by name and cause before librdkafka reports a
 * generic handshake failure at connect time (or a bare "mac verify
 * failure"). Also turns the provider's PKCS#12 truststore, which librdkafka
 * cannot read, into PEM text for `ssl.ca.pem`.
 *
 * Start-up only, single-threaded. Secrets never appear in messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input/kafka_internal.h"

typedef struct tls_ctx {
    const lr_cfg_node *tls; /* the `tls:` mapping */
    lr_errors *errs;
    int nerr;
} tls_ctx;

static const lr_cfg_node *where(const tls_ctx *t, const char *key)
{
    const lr_cfg_node *n = t->tls ? lr_cfg_get(t->tls, key) : NULL;
    return n ? n : t->tls;
}

static void tls_error(tls_ctx *t, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void tls_error(tls_ctx *t, const char *key, const char *fmt, ...)
{
    char msg[1024], full[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "kafka.tls.%s", key);
    lr_errorf_key(t->errs, where(t, key), full, "%s", msg);
    t->nerr++;
}

/* The first OpenSSL error reason, for messages ("bad decrypt"). */
static const char *ossl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "unknown error";
}

void lr_kafka_secret_free(char *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

/* Open a file the user named, or explain why not. */
static BIO *open_file(tls_ctx *t, const char *key, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        tls_error(t, key, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        tls_error(t, key, "%s is not a regular file", path);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        tls_error(t, key, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    BIO *b = BIO_new_fp(f, BIO_CLOSE);
    if (!b)
        fclose(f);
    return b;
}

/* A password file: its content without one trailing newline (the
 * provider's password.txt has none; an editor adds one). */
static char *read_password_file(tls_ctx *t, const char *key, const char *path)
{
    BIO *b = open_file(t, key, path);
    if (!b)
        return NULL;
    char buf[1024];
    int n = BIO_read(b, buf, sizeof buf - 1);
    BIO_free(b);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof buf - 1) {
        tls_error(t, key, "%s is too long for a password file (over %zu bytes)", path, sizeof buf - 2);
        OPENSSL_cleanse(buf, sizeof buf);
        return NULL;
    }
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    buf[n] = '\0';
    char *s = strdup(buf);
    OPENSSL_cleanse(buf, sizeof buf);
    if (!s)
        abort();
    return s;
}

/* Resolve `X_password` / `X_password_file` (at most one). *out stays NULL
 * when neither is set. */
static void resolve_password(tls_ctx *t, const char *name, const char *inline_pw, const char *file,
                             char **out)
{
    char key[64], fkey[64];
    snprintf(key, sizeof key, "%s_password", name);
    snprintf(fkey, sizeof fkey, "%s_password_file", name);
    if (inline_pw && file) {
        tls_error(t, fkey, "set either tls.%s or tls.%s, not both", key, fkey);
        return;
    }
    if (file)
        *out = read_password_file(t, fkey, file);
    else if (inline_pw) {
        *out = strdup(inline_pw);
        if (!*out)
            abort();
    }
}

static void format_time(const ASN1_TIME *tm, char *out, size_t n)
{
    struct tm t;
    if (ASN1_TIME_to_tm(tm, &t))
        strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &t);
    else
        snprintf(out, n, "(unreadable date)");
}

static void subject(X509 *x, char *out, size_t n)
{
    X509_NAME_oneline(X509_get_subject_name(x), out, (int)n);
}

/* Error if the certificate is expired or not valid yet. */
static bool check_validity(tls_ctx *t, const char *key, const char *path, X509 *x)
{
    char when[64], subj[256];
    subject(x, subj, sizeof subj);
    if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
        format_time(X509_get0_notAfter(x), when, sizeof when);
        tls_error(t, key, "the certificate in %s (%s) expired on %s", path, subj, when);
        return false;
    }
    if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
        format_time(X509_get0_notBefore(x), when, sizeof when);
        tls_error(t, key, "the certificate in %s (%s) is not valid before %s (check the clock)", path, subj,
                  when);
        return false;
    }
    return true;
}

static X509 *load_cert_pem(tls_ctx *t, const char *key, const char *path)
{
    BIO *b = open_file(t, key, path);
    if (!b)
        return NULL;
    ERR_clear_error();
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!x)
        tls_error(t, key, "%s holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)", path);
    return x;
}

static bool file_mentions(const char *path, const char *word)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, word) != NULL;
}

static int key_password_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *pw = u;
    if (!pw)
        return -1; /* encrypted and no password: fail instead of prompting */
    int n = (int)strlen(pw);
    if (n > size)
        n = size;
    memcpy(buf, pw, (size_t)n);
    return n;
}

static EVP_PKEY *load_key_pem(tls_ctx *t, const char *path, const char *password)
{
    BIO *b = open_file(t, "key_file", path);
    if (!b)
        return NULL;
    ERR_clear_error();
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, key_password_cb, (void *)password);
    BIO_free(b);
    if (k)
        return k;
    bool encrypted = file_mentions(path, "ENCRYPTED");
    if (encrypted && !password)
        tls_error(t, "key_file", "%s is encrypted: set tls.key_password or tls.key_password_file", path);
    else if (encrypted)
        tls_error(t, "key_password", "wrong password for the key in %s (OpenSSL: %s)", path, ossl_reason());
    else
        tls_error(t, "key_file", "%s holds no PEM private key (OpenSSL: %s)", path, ossl_reason());
    return NULL;
}

/* OpenSSL 3 keeps RC2/3DES-era PKCS#12 algorithms (Java keytool before 12,
 * old OpenSSL) in its legacy provider; load it once, only when needed. */
static bool load_legacy_provider(void)
{
    static int loaded = -1;
    if (loaded < 0) {
        OSSL_PROVIDER *legacy = OSSL_PROVIDER_load(NULL, "legacy");
        if (legacy)
            OSSL_PROVIDER_load(NULL, "default"); /* loading one provider disables the implicit default */
        loaded = legacy != NULL;
    }
    return loaded == 1;
}

typedef struct p12_content {
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) * ca;
} p12_content;

static void p12_content_free(p12_content *c)
{
    EVP_PKEY_free(c->key);
    X509_free(c->cert);
    sk_X509_pop_free(c->ca, X509_free);
    memset(c, 0, sizeof *c);
}

/* Open and decrypt a PKCS#12 file; `key`/`pwkey` name the options. */
static bool load_p12(tls_ctx *t, const char *key, const char *pwkey, const char *path, const char *password,
                     p12_content *out)
{
    memset(out, 0, sizeof *out);
    BIO *b = open_file(t, key, path);
    if (!b)
        return false;
    ERR_clear_error();
    PKCS12 *p12 = d2i_PKCS12_bio(b, NULL);
    BIO_free(b);
    if (!p12) {
        tls_error(t, key, "%s is not a PKCS#12 file (OpenSSL: %s)", path, ossl_reason());
        return false;
    }
    const char *pw = password ? password : "";
    bool ok = false;
    if (PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, pw, -1)) {
        if (!password)
            tls_error(t, pwkey, "%s is protected by a password: set tls.%s or tls.%s_file", path, pwkey,
                      pwkey);
        else
            tls_error(t, pwkey, "wrong password for %s (the PKCS#12 integrity check failed)", path);
        goto out;
    }
    ERR_clear_error();
    if (!PKCS12_parse(p12, pw, &out->key, &out->cert, &out->ca)) {
        if (load_legacy_provider()) {
            ERR_clear_error();
            ok = PKCS12_parse(p12, pw, &out->key, &out->cert, &out->ca) == 1;
        }
        if (!ok)
            tls_error(t, key, "cannot decrypt %s (OpenSSL: %s)", path, ossl_reason());
        goto out;
    }
    ok = true;
out:
    PKCS12_free(p12);
    if (!ok)
        p12_content_free(out);
    return ok;
}

static void check_pem_pair(tls_ctx *t, lr_kafka_config *c)
{
    const lr_kafka_tls_conf *s = &c->tls;
    if (!s->key_file) {
        tls_error(t, "cert_file", "tls.cert_file needs tls.key_file (the client's private key)");
        return;
    }
    X509 *cert = load_cert_pem(t, "cert_file", s->cert_file);
    EVP_PKEY *key = load_key_pem(t, s->key_file, c->key_pass);
    if (cert)
        check_validity(t, "cert_file", s->cert_file, cert);
    if (cert && key && X509_check_private_key(cert, key) != 1)
        tls_error(t, "key_file", "the key in %s does not belong to the certificate in %s", s->key_file,
                  s->cert_file);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static bool append_pem(lr_buf *out, X509 *x);

/* Certificate and (unencrypted) key as PEM strings; the key string is a secret. */
static bool export_pem(X509 *cert, EVP_PKEY *key, char **cert_pem, char **key_pem)
{
    lr_buf cb;
    lr_buf_init(&cb, 0);
    bool ok = append_pem(&cb, cert) && lr_buf_terminate(&cb);
    BIO *m = BIO_new(BIO_s_mem());
    ok = ok && m && PEM_write_bio_PrivateKey(m, key, NULL, NULL, 0, NULL, NULL);
    if (ok) {
        char *data;
        long n = BIO_get_mem_data(m, &data);
        *key_pem = calloc(1, (size_t)n + 1);
        if (!*key_pem)
            abort();
        memcpy(*key_pem, data, (size_t)n);
        OPENSSL_cleanse(data, (size_t)n);
        *cert_pem = lr_buf_steal(&cb, NULL);
    }
    BIO_free(m);
    lr_buf_free(&cb);
    return ok;
}

static void check_keystore(tls_ctx *t, lr_kafka_config *c)
{
    const char *path = c->tls.keystore_file;
    p12_content p;
    if (!load_p12(t, "keystore_file", "keystore_password", path, c->keystore_pass, &p))
        return;
    if (!p.cert || !p.key)
        tls_error(t, "keystore_file", "%s holds no %s: a keystore needs the client's certificate and key",
                  path, !p.cert ? "certificate" : "private key");
    else if (check_validity(t, "keystore_file", path, p.cert) && X509_check_private_key(p.cert, p.key) != 1)
        tls_error(t, "keystore_file", "the key in %s does not belong to its certificate", path);
    else if (!export_pem(p.cert, p.key, &c->client_cert_pem, &c->client_key_pem))
        tls_error(t, "keystore_file", "cannot convert %s for librdkafka (OpenSSL: %s)", path, ossl_reason());
    p12_content_free(&p);
}

static bool append_pem(lr_buf *out, X509 *x)
{
    BIO *m = BIO_new(BIO_s_mem());
    if (!m || !PEM_write_bio_X509(m, x)) {
        BIO_free(m);
        return false;
    }
    char *data;
    long n = BIO_get_mem_data(m, &data);
    bool ok = lr_buf_append(out, data, (size_t)n);
    BIO_free(m);
    return ok;
}

/* CA certificates of a PEM bundle: at least one must be currently valid. */
static void check_ca_file(tls_ctx *t, const char *path)
{
    BIO *b = open_file(t, "ca_file", path);
    if (!b)
        return;
    int n = 0, valid = 0;
    X509 *x, *last_expired = NULL;
    ERR_clear_error();
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        n++;
        if (X509_cmp_current_time(X509_get0_notAfter(x)) >= 0) {
            valid++;
            X509_free(x);
        } else {
            X509_free(last_expired);
            last_expired = x;
        }
    }
    ERR_clear_error();
    BIO_free(b);
    if (n == 0)
        tls_error(t, "ca_file", "%s holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)", path);
    else if (valid == 0)
        check_validity(t, "ca_file", path, last_expired);
    X509_free(last_expired);
}

static void load_truststore(tls_ctx *t, lr_kafka_config *c, const char *password)
{
    const char *path = c->tls.truststore_file;
    p12_content p;
    if (!load_p12(t, "truststore_file", "truststore_password", path, password, &p))
        return;
    lr_buf pem;
    lr_buf_init(&pem, 16u << 20);
    int n = 0, valid = 0;
    X509 *expired = NULL;
    X509 *all[1 + 256];
    if (p.cert)
        all[n++] = p.cert;
    for (int i = 0; p.ca && i < sk_X509_num(p.ca) && n < (int)(sizeof all / sizeof all[0]); i++)
        all[n++] = sk_X509_value(p.ca, i);
    for (int i = 0; i < n; i++) {
        append_pem(&pem, all[i]);
        if (X509_cmp_current_time(X509_get0_notAfter(all[i])) >= 0)
            valid++;
        else
            expired = all[i];
    }
    if (n == 0)
        tls_error(t, "truststore_file", "%s holds no certificate", path);
    else if (valid == 0)
        check_validity(t, "truststore_file", path, expired);
    else if (lr_buf_terminate(&pem))
        c->ca_pem = lr_buf_steal(&pem, NULL);
    lr_buf_free(&pem);
    p12_content_free(&p);
}

int lr_kafka_tls_check(lr_kafka_config *c, const lr_cfg_node *tls, lr_errors *errs)
{
    tls_ctx t = {.tls = tls, .errs = errs};
    lr_kafka_tls_conf *s = &c->tls;
    resolve_password(&t, "key", s->key_password, s->key_password_file, &c->key_pass);
    resolve_password(&t, "keystore", s->keystore_password, s->keystore_password_file, &c->keystore_pass);
    char *trust_pass = NULL;
    resolve_password(&t, "truststore", s->truststore_password, s->truststore_password_file, &trust_pass);
    if (t.nerr)
        goto out;

    if (s->cert_file && s->keystore_file) {
        tls_error(&t, "keystore_file",
                  "set either tls.cert_file + tls.key_file (PEM) or tls.keystore_file "
                  "(PKCS#12), not both");
        goto out;
    }
    if (s->key_file && !s->cert_file)
        tls_error(&t, "key_file", "tls.key_file needs tls.cert_file (the client's certificate)");
    if (s->ca_file && s->truststore_file)
        tls_error(&t, "truststore_file",
                  "set either tls.ca_file (PEM) or tls.truststore_file (PKCS#12), not both");
    if (s->keystore_file && !c->keystore_pass)
        tls_error(&t, "keystore_file",
                  "a keystore needs tls.keystore_password or tls.keystore_password_file");
    if ((s->key_password || s->key_password_file) && !s->key_file)
        tls_error(&t, s->key_password ? "key_password" : "key_password_file",
                  "a key password needs tls.key_file");
    if (t.nerr)
        goto out;

    if (s->cert_file)
        check_pem_pair(&t, c);
    if (s->keystore_file)
        check_keystore(&t, c);
    if (s->ca_file)
        check_ca_file(&t, s->ca_file);
    if (s->truststore_file) {
        /* The provider protects keystore and truststore with one password. */
        const char *pw = trust_pass ? trust_pass : c->keystore_pass;
        load_truststore(&t, c, pw);
    }
out:
    lr_kafka_secret_free(trust_pass);
    return t.nerr;
}
