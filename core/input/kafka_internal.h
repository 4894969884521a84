/*
 * kafka_internal.h: what the Kafka input's files share (not for the rest of
 * the core, which uses kafka.h). Start-up only, single-threaded.
 */
#ifndef LR_KAFKA_INTERNAL_H
#define LR_KAFKA_INTERNAL_H

#include <librdkafka/rdkafka.h>

#include "input/kafka.h"

/* Check the `tls:` files with OpenSSL (kafka_tls.c): existence,
 * readability, format, expiry, passwords, key/certificate match; resolve
 * password files; extract the truststore's CA certificates into c->ca_pem.
 * `tls` is the YAML node (for error locations). Returns errors added. */
int lr_kafka_tls_check(lr_kafka_config *c, const lr_cfg_node *tls, lr_errors *errs);

/* Build the librdkafka configuration of a consumer (kafka_conf.c). On a
 * rejected property returns NULL with librdkafka's message in err, prefixed
 * with the property's file:line:col. */
rd_kafka_conf_t *lr_kafka_conf_build(const lr_kafka_config *c, char *err, size_t errlen);

/* Overwrite and free a secret string. */
void lr_kafka_secret_free(char *s);

#endif
