/*
 * demo_cluster.c: librdkafka's mock cluster inside the agent's own process,
 * for `logrelay demo`: a real Kafka protocol endpoint on 127.0.0.1 with no
 * broker installed. The cluster lives on a producer handle that is never used
 * for producing. The mock keeps at most ~5 MiB per partition, plenty for a demo.
 *
 * Start/stop on the main thread; the cluster's own threads are librdkafka's.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>

#include "input/kafka.h"

struct lr_demo_cluster {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
};

lr_demo_cluster *lr_demo_cluster_start(const char *const *topics, size_t ntopics, int partitions, char *err,
                                       size_t errlen)
{
    char msg[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* only a host for the cluster: its "no bootstrap.servers" notice is noise */
    rd_kafka_conf_set(conf, "log_level", "3", msg, sizeof msg);
    lr_demo_cluster *dc = calloc(1, sizeof *dc);
    if (!dc)
        abort();
    dc->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, msg, sizeof msg);
    if (!dc->rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errlen, "cannot start the embedded Kafka: %s", msg);
        free(dc);
        return NULL;
    }
    dc->mc = rd_kafka_mock_cluster_new(dc->rk, 1);
    if (!dc->mc) {
        snprintf(err, errlen, "cannot start the embedded Kafka cluster");
        lr_demo_cluster_stop(dc);
        return NULL;
    }
    for (size_t i = 0; i < ntopics; i++) {
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(dc->mc, topics[i], partitions, 1);
        if (e) {
            snprintf(err, errlen, "cannot create topic %s: %s", topics[i], rd_kafka_err2str(e));
            lr_demo_cluster_stop(dc);
            return NULL;
        }
    }
    return dc;
}

const char *lr_demo_cluster_bootstrap(const lr_demo_cluster *dc)
{
    return rd_kafka_mock_cluster_bootstraps(dc->mc);
}

void lr_demo_cluster_stop(lr_demo_cluster *dc)
{
    if (!dc)
        return;
    if (dc->mc)
        rd_kafka_mock_cluster_destroy(dc->mc);
    rd_kafka_destroy(dc->rk);
    free(dc);
}
