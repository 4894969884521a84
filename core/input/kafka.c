/*
 * kafka.c: the Kafka consumer loop. One thread (the caller of
 * lr_kafka_consumer_run) polls librdkafka, hands each message to the
 * pipeline with an offset-tracker token as its origin, and serves the
 * rebalance, error and commit callbacks (librdkafka runs them inside poll on
 * this thread because the main queue is forwarded to the consumer queue).
 *
 * At-least-once: enable.auto.offset.store and enable.auto.commit are off.
 * After every poll the watermarks that moved (kafka_offsets.c) are stored,
 * and every commit_interval the stored offsets are committed; on revocation
 * and at shutdown the finished offsets are committed synchronously.
 *
 * Output workers only call on_done (-> lr_offsets_finish), which takes the
 * partition's own mutex; nothing else here is shared with them.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "input/kafka_internal.h"
#include "input/kafka_offsets.h"
#include "util/log.h"

struct lr_kafka_consumer {
    lr_kafka_config *conf;
    lr_pipeline *pipeline;
    rd_kafka_t *rk;
    lr_offsets *offsets;
    bool paused;
    bool cooperative;
    bool ever_assigned;
    bool fatal;
    bool stored_since_commit;
    int64_t first_auth_error_ms; /* 0: none since the last assignment */
    char last_auth_error[512];
    int64_t last_error_log_ms;
    char last_error[512];
    lr_kafka_stats stats;
    /* last message's topic, to find its format without a lookup */
    rd_kafka_topic_t *last_rkt;
    lr_kafka_topic *last_topic;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "c83[0], c83[1]" */
static void format_parts(const rd_kafka_topic_partition_list_t *l, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; l && i < l->cnt && len < n; i++) {
        int w = snprintf(out + len, n - len, "%s%s[%d]", i ? ", " : "", l->elems[i].topic,
                         (int)l->elems[i].partition);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    if (len >= n && n > 4)
        memcpy(out + n - 4, "...", 4);
}

/* ---- offsets -------------------------------------------------------------- */

static void add_to_list(const char *topic, int32_t partition, int64_t wm, void *arg)
{
    rd_kafka_topic_partition_list_add(arg, topic, partition)->offset = wm;
}

/* Store every watermark that moved. */
static void store_moved(lr_kafka_consumer *c)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    if (lr_offsets_collect(c->offsets, add_to_list, l)) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_store(c->rk, l);
        if (err && err != RD_KAFKA_RESP_ERR__STATE)
            lr_warn("kafka", "storing offsets failed: %s", rd_kafka_err2str(err));
        c->stored_since_commit = true;
    }
    rd_kafka_topic_partition_list_destroy(l);
}

static void commit_stored(lr_kafka_consumer *c, bool sync)
{
    if (!c->stored_since_commit)
        return;
    c->stored_since_commit = false;
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, sync ? 0 : 1);
    if (sync && err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
        lr_warn("kafka", "committing offsets failed: %s", rd_kafka_err2str(err));
}

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *offsets,
                      void *opaque)
{
    (void)rk;
    lr_kafka_consumer *c = opaque;
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return;
    if (err) {
        lr_warn("kafka", "commit failed: %s (the offsets are committed again later)", rd_kafka_err2str(err));
        c->stored_since_commit = true;
        return;
    }
    c->stats.commits++;
    if (lr_log_get_level() >= LR_LOG_DEBUG) {
        for (int i = 0; offsets && i < offsets->cnt; i++)
            if (offsets->elems[i].offset >= 0)
                lr_debug("kafka", "committed %s[%d]@%lld", offsets->elems[i].topic,
                         (int)offsets->elems[i].partition, (long long)offsets->elems[i].offset);
    }
}

/* ---- rebalance ------------------------------------------------------------ */

static void assign(lr_kafka_consumer *c, rd_kafka_topic_partition_list_t *parts)
{
    char names[1024];
    format_parts(parts, names, sizeof names);
    lr_info("kafka", "Assigned partitions: %s", parts->cnt ? names : "(none)");
    for (int i = 0; i < parts->cnt; i++) {
        if (!lr_offsets_assign(c->offsets, parts->elems[i].topic, parts->elems[i].partition))
            abort();
    }
    rd_kafka_error_t *e = NULL;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (c->cooperative)
        e = rd_kafka_incremental_assign(c->rk, parts);
    else
        err = rd_kafka_assign(c->rk, parts);
    if (e || err) {
        lr_error("kafka", "assigning %s failed: %s", names,
                 e ? rd_kafka_error_string(e) : rd_kafka_err2str(err));
        rd_kafka_error_destroy(e);
    }
    if (c->paused && parts->cnt)
        rd_kafka_pause_partitions(c->rk, parts); /* stay paused while outputs are congested */
    c->ever_assigned = true;
    c->first_auth_error_ms = 0;
}

static void revoke(lr_kafka_consumer *c, rd_kafka_topic_partition_list_t *parts)
{
    bool lost = rd_kafka_assignment_lost(c->rk);
    lr_pipeline_flush(c->pipeline); /* what was read of these partitions goes to the outputs */
    /* Store what is finished first, so the commit below carries it. */
    store_moved(c);
    rd_kafka_topic_partition_list_t *commit = rd_kafka_topic_partition_list_new(parts->cnt ? parts->cnt : 1);
    for (int i = 0; i < parts->cnt; i++) {
        int64_t wm = lr_offsets_revoke(c->offsets, parts->elems[i].topic, parts->elems[i].partition);
        if (wm >= 0)
            rd_kafka_topic_partition_list_add(commit, parts->elems[i].topic, parts->elems[i].partition)
                ->offset = wm;
    }
    char names[1024], done[1024];
    format_parts(parts, names, sizeof names);
    if (!lost && commit->cnt) {
        rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, commit, 0);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
            lr_warn("kafka", "commit on revocation failed: %s", rd_kafka_err2str(err));
    }
    done[0] = '\0';
    size_t len = 0;
    for (int i = 0; i < commit->cnt && len < sizeof done; i++) {
        int w =
            snprintf(done + len, sizeof done - len, "%s%s[%d]@%lld", i ? ", " : "", commit->elems[i].topic,
                     (int)commit->elems[i].partition, (long long)commit->elems[i].offset);
        if (w > 0)
            len += (size_t)w;
    }
    if (lost)
        lr_warn("kafka", "Lost partitions: %s (the group moved on; unfinished records will be read again)",
                names);
    else
        lr_info("kafka", "Revoked partitions: %s%s%s", names, commit->cnt ? "; committed " : "",
                commit->cnt ? done : "");
    rd_kafka_topic_partition_list_destroy(commit);
    rd_kafka_error_t *e = NULL;
    if (c->cooperative)
        e = rd_kafka_incremental_unassign(c->rk, parts);
    else
        rd_kafka_assign(c->rk, NULL);
    if (e) {
        lr_error("kafka", "unassigning %s failed: %s", names, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    lr_kafka_consumer *c = opaque;
    c->cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
        assign(c, parts);
    else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
        revoke(c, parts);
    else {
        lr_error("kafka", "rebalance error: %s", rd_kafka_err2str(err));
        rd_kafka_assign(rk, NULL);
    }
}

/* ---- errors --------------------------------------------------------------- */

static bool is_auth_error(rd_kafka_resp_err_t err, const char *reason)
{
    /* With TLS 1.3 the broker's refusal of our certificate arrives after the
     * handshake, as a transport error carrying the TLS alert. */
    if (err == RD_KAFKA_RESP_ERR__TRANSPORT && reason &&
        (strstr(reason, "SSL alert") || strstr(reason, "SSL routines")))
        return true;
    return err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL ||
           err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED ||
           err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
           err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED;
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    lr_kafka_consumer *c = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char msg[512];
        rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, msg, sizeof msg);
        lr_error("kafka", "fatal consumer error: %s: %s", rd_kafka_err2name(orig), msg);
        c->fatal = true;
        return;
    }
    if (is_auth_error((rd_kafka_resp_err_t)err, reason)) {
        if (!c->first_auth_error_ms)
            c->first_auth_error_ms = mono_ms();
        snprintf(c->last_auth_error, sizeof c->last_auth_error, "%s", reason);
    }
    /* librdkafka retries by itself and reports every attempt: say each
     * distinct problem once, then at most every 30 s. */
    int64_t now = mono_ms();
    if (!strcmp(reason, c->last_error) && now - c->last_error_log_ms < 30000)
        return;
    snprintf(c->last_error, sizeof c->last_error, "%s", reason);
    c->last_error_log_ms = now;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        lr_warn("kafka", "all brokers are down or unreachable (%s); retrying", reason);
    else if (is_auth_error((rd_kafka_resp_err_t)err, reason))
        lr_error("kafka", "authentication/TLS failure: %s; retrying", reason);
    else
        lr_warn("kafka", "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* Errors reach on_error already; librdkafka's own chatter is debug. */
    lr_debug("librdkafka", "%d %s %s", level, fac, buf);
}

/* ---- create ---------------------------------------------------------------- */

lr_kafka_consumer *lr_kafka_consumer_create(lr_kafka_config *conf, lr_pipeline *p, lr_errors *errs)
{
    char msg[600];
    rd_kafka_conf_t *rc = lr_kafka_conf_build(conf, msg, sizeof msg);
    if (!rc) {
        lr_errorf(errs, NULL, "kafka: %s", msg);
        return NULL;
    }
    lr_kafka_consumer *c = calloc(1, sizeof *c);
    if (!c)
        abort();
    c->conf = conf;
    c->pipeline = p;
    c->offsets = lr_offsets_new();
    if (!c->offsets)
        abort();
    rd_kafka_conf_set_opaque(rc, c);
    rd_kafka_conf_set_rebalance_cb(rc, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(rc, on_commit);
    rd_kafka_conf_set_error_cb(rc, on_error);
    rd_kafka_conf_set_log_cb(rc, on_log);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, rc, msg, sizeof msg);
    if (!c->rk) {
        rd_kafka_conf_destroy(rc);
        lr_errorf(errs, NULL, "kafka: cannot create the consumer: %s", msg);
        lr_offsets_free(c->offsets);
        free(c);
        return NULL;
    }
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new((int)conf->ntopics);
    for (size_t i = 0; i < conf->ntopics; i++)
        rd_kafka_topic_partition_list_add(topics, conf->topics[i].name, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        lr_errorf(errs, NULL, "kafka: cannot subscribe: %s", rd_kafka_err2str(err));
        lr_kafka_consumer_destroy(c);
        return NULL;
    }
    lr_info("kafka",
            "consumer %s in group %s subscribed to %zu topic(s) (%s, start from %s when the group has no "
            "offset)",
            conf->client_id, conf->group_id, conf->ntopics, conf->tls_enabled ? "TLS" : "plaintext",
            conf->start_from == LR_KAFKA_START_OLDEST ? "oldest" : "newest");
    return c;
}

/* ---- run ------------------------------------------------------------------- */

static lr_kafka_topic *topic_of(lr_kafka_consumer *c, const rd_kafka_message_t *m)
{
    if (m->rkt == c->last_rkt && c->last_topic)
        return c->last_topic;
    const char *name = rd_kafka_topic_name(m->rkt);
    for (size_t i = 0; i < c->conf->ntopics; i++) {
        if (!strcmp(c->conf->topics[i].name, name)) {
            c->last_rkt = m->rkt;
            c->last_topic = &c->conf->topics[i];
            return c->last_topic;
        }
    }
    return NULL;
}

static void on_done(void *origin)
{
    lr_offsets_finish(origin);
}

static void handle_message(lr_kafka_consumer *c, rd_kafka_message_t *m)
{
    lr_kafka_topic *t = topic_of(c, m);
    const char *tname = rd_kafka_topic_name(m->rkt);
    lr_offsets_part *part = lr_offsets_find(c->offsets, tname, m->partition);
    if (!t || !part) {
        /* a message of a partition revoked while it was queued: not ours any more */
        lr_debug("kafka", "dropping %s[%d]@%lld: partition not assigned", tname, (int)m->partition,
                 (long long)m->offset);
        return;
    }
    lr_offsets_token *tok = NULL;
    lr_offsets_begin_result r = lr_offsets_begin(part, m->offset, &tok);
    if (r == LR_OFFSETS_NOMEM)
        abort();
    if (r == LR_OFFSETS_DUPLICATE)
        c->stats.duplicates++;
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    lr_msg_meta meta = {
        .source = tname,
        .partition = m->partition,
        .offset = m->offset,
        .timestamp_ms = ts > 0 ? ts : 0,
        .key = m->key,
        .key_len = m->key_len,
    };
    t->messages++;
    c->stats.messages++;
    lr_pipeline_submit(c->pipeline, t->format, &t->parse, m->payload ? m->payload : "", m->len, &meta,
                       on_done, tok);
}

static void pause_all(lr_kafka_consumer *c, bool pause)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(c->rk, &a) == RD_KAFKA_RESP_ERR_NO_ERROR && a) {
        if (a->cnt)
            (pause ? rd_kafka_pause_partitions : rd_kafka_resume_partitions)(c->rk, a);
        rd_kafka_topic_partition_list_destroy(a);
    }
    c->paused = pause;
}

static bool congested(lr_kafka_consumer *c, const lr_kafka_run_opts *o)
{
    return o->congested ? o->congested(o->arg) : lr_pipeline_congested(c->pipeline);
}

int lr_kafka_consumer_run(lr_kafka_consumer *c, const lr_kafka_run_opts *o)
{
    int64_t start = mono_ms(), last_msg = start, last_commit = start, last_tick = start, last_store = start;
    int rc = 0;
    bool assigned_before = false;
    for (;;) {
        if (c->fatal) {
            rc = 1;
            break;
        }
        if (o->stop_requested && o->stop_requested()) {
            lr_info("kafka", "stopping: %llu messages consumed", (unsigned long long)c->stats.messages);
            break;
        }
        if (o->max_records && c->stats.messages >= o->max_records) {
            lr_info("kafka", "stopping after %llu messages (--max-records)",
                    (unsigned long long)c->stats.messages);
            break;
        }
        /* Records wait in the pipeline's batch only while more messages are
         * at hand: a poll that would block routes them first. */
        bool pending = lr_pipeline_pending(c->pipeline) > 0;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, pending ? 0 : c->paused ? 100 : 50);
        if (pending && (!m || m->err))
            lr_pipeline_flush(c->pipeline);
        int64_t now = mono_ms();
        if (m) {
            if (!m->err) {
                handle_message(c, m);
                last_msg = now;
            } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                const char *t = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
                if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                    m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
                    lr_error("kafka", "topic %s does not exist or this client may not read it (%s)", t,
                             rd_kafka_message_errstr(m));
                else
                    on_error(c->rk, m->err, rd_kafka_message_errstr(m), c);
            }
            rd_kafka_message_destroy(m);
        }
        if (c->ever_assigned && !assigned_before) {
            assigned_before = true;
            last_msg = now; /* idle time counts from the first assignment */
        }
        /* Backpressure: pause every assigned partition while outputs are
         * congested; keep polling so the group membership stays alive. */
        bool cong = congested(c, o);
        if (cong && !c->paused) {
            pause_all(c, true);
            c->stats.pauses++;
            lr_info("kafka", "outputs congested: pausing consumption (%llu messages in flight)",
                    (unsigned long long)lr_pipeline_inflight(c->pipeline));
        } else if (!cong && c->paused) {
            pause_all(c, false);
            lr_info("kafka", "outputs caught up: resuming consumption");
        }
        if (c->paused)
            last_msg = now; /* waiting for outputs is not idleness */
        /* Storing walks every partition under its lock: do it a few times a
         * second, not per message (commits are rarer still). */
        if (now - last_store >= 100) {
            store_moved(c);
            last_store = now;
        }
        if (now - last_commit >= c->conf->commit_interval_ms) {
            store_moved(c);
            commit_stored(c, false);
            last_commit = now;
        }
        if (o->tick && now - last_tick >= 100) {
            o->tick(o->arg);
            last_tick = now;
        }
        if (!c->ever_assigned && c->first_auth_error_ms && c->conf->auth_error_timeout_ms &&
            now - c->first_auth_error_ms >= c->conf->auth_error_timeout_ms) {
            lr_error("kafka", "giving up: the brokers kept refusing the connection for %llds: %s",
                     (long long)(c->conf->auth_error_timeout_ms / 1000), c->last_auth_error);
            rc = 1;
            break;
        }
        /* Idle counts only once the group has given us an assignment: a
         * restarted member may wait for the session of its killed self. */
        if (o->exit_when_idle_ms && c->ever_assigned && now - last_msg >= o->exit_when_idle_ms &&
            lr_pipeline_inflight(c->pipeline) == 0) {
            lr_info("kafka", "idle for %llds: stopping (%llu messages consumed)",
                    (long long)(o->exit_when_idle_ms / 1000), (unsigned long long)c->stats.messages);
            break;
        }
    }

    /* Shutdown: stop fetching, let outputs finish, commit what is done. */
    lr_pipeline_flush(c->pipeline);
    pause_all(c, true);
    int64_t deadline = mono_ms() + (o->shutdown_timeout_ms > 0 ? o->shutdown_timeout_ms : 0);
    if (o->drain) {
        uint64_t left = o->drain(o->arg, deadline);
        if (left)
            lr_warn("kafka",
                    "%llu records were not delivered before the shutdown timeout; they will be read again "
                    "on the next start",
                    (unsigned long long)left);
    }
    while (lr_pipeline_inflight(c->pipeline) > 0 && mono_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 50);
        if (m)
            rd_kafka_message_destroy(m); /* paused: nothing new is handed over */
        store_moved(c);
    }
    store_moved(c);
    commit_stored(c, true);
    return rc;
}

void lr_kafka_consumer_stats(const lr_kafka_consumer *c, lr_kafka_stats *out)
{
    *out = c->stats;
}

void lr_kafka_consumer_destroy(lr_kafka_consumer *c)
{
    if (!c)
        return;
    if (c->rk) {
        /* Leaving the group revokes the assignment: the rebalance callback
         * commits the finished offsets once more. */
        rd_kafka_resp_err_t err = rd_kafka_consumer_close(c->rk);
        if (err)
            lr_warn("kafka", "closing the consumer: %s", rd_kafka_err2str(err));
        rd_kafka_destroy(c->rk);
    }
    lr_offsets_free(c->offsets);
    free(c);
}
