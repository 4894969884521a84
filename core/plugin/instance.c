/*
 * instance.c: creating an output instance from its YAML mapping, and the
 * host services a module calls. The core's per-output options and the
 * module's options are validated as ONE table (rows merged at run time,
 * module offsets shifted past the core struct), so an unknown key is
 * reported once, with suggestions drawn from both.
 * Threading: see instance.h; host functions are thread-safe.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "config/options.h"
#include "plugin/host.h"
#include "record/record.h"
#include "util/fs.h"
#include "util/log.h"

typedef struct named_counter {
    struct named_counter *next;
    uint64_t value;
    char name[];
} named_counter;

struct lr_instance {
    char *name;
    const lr_plugin_entry *plugin;
    lr_option *table; /* merged core + module rows */
    char *conf;       /* lr_output_settings, then the module's config */
    size_t module_offset;
    void *ctx; /* module's instance context */
    char *state_dir;
    char *data_dir;
    pthread_mutex_t lock; /* counters list, state_dir creation */
    named_counter *counters;
    lr_instance_counters core_counters;
    lr_complete_fn complete_fn;
    void *complete_arg;
    void *sync_worker; /* *_sync drivers */
    bool sync_started;
};

static const char *const queue_types[] = {"memory", "disk", NULL};

#define S(f) offsetof(lr_output_settings, f)
static const lr_option core_options[] = {
    {"workers", LR_OPT_INT, "1", 1, 64, NULL, 0, S(workers),
     "Delivery threads for this output (modules that are not thread-safe always get 1)."},
    {"queue.type", LR_OPT_ENUM, "memory", 0, 0, queue_types, 0, S(queue_type),
     "memory: bounded in-memory queue; disk: CRC-framed spool segments, fsynced before acknowledging."},
    {"queue.path", LR_OPT_STRING, NULL, 0, 0, NULL, 0, S(queue_path),
     "Spool directory for queue.type disk (default <agent.data_dir>/spool/<output>)."},
    {"queue.max_bytes", LR_OPT_SIZE, "16MiB", 4096, (int64_t)1 << 40, NULL, 0, S(queue_max_bytes),
     "Queue bound in bytes (for a disk queue: the spool's size on disk; set it larger, e.g. 10GiB); when "
     "full "
     "the Kafka input pauses (backpressure), nothing is dropped."},
    {"queue.max_records", LR_OPT_INT, "20000", 1, 100000000, NULL, 0, S(queue_max_records),
     "Queue bound in records (for a disk queue: records waiting to be written to the spool)."},
    {"batch.max_records", LR_OPT_INT, "500", 1, 1000000, NULL, 0, S(batch_max_records),
     "Most records handed to the module in one delivery."},
    {"batch.max_bytes", LR_OPT_SIZE, "4MiB", 1, (int64_t)1 << 32, NULL, 0, S(batch_max_bytes),
     "Most bytes (encoded) in one delivery."},
    {"batch.timeout", LR_OPT_DURATION, "1s", 0, 3600000, NULL, 0, S(batch_timeout_ms),
     "Longest wait to fill a batch before delivering a partial one."},
    {"retry.initial", LR_OPT_DURATION, "1s", 1, 3600000, NULL, 0, S(retry_initial_ms),
     "First retry delay; doubles per attempt with full jitter."},
    {"retry.max", LR_OPT_DURATION, "60s", 1, 86400000, NULL, 0, S(retry_max_ms), "Longest retry delay."},
    {"retry.max_attempts", LR_OPT_INT, "0", 0, 1000000000, NULL, 0, S(retry_max_attempts),
     "Attempts before dead-lettering a transient failure; 0 = retry forever (never lose data)."},
    {"deadletter.path", LR_OPT_STRING, NULL, 0, 0, NULL, 0, S(deadletter_path),
     "Dead-letter file, JSON lines (default <agent.data_dir>/deadletter/<output>.jsonl)."},
    {"deadletter.max_bytes", LR_OPT_SIZE, "1GiB", 0, (int64_t)1 << 50, NULL, 0, S(deadletter_max_bytes),
     "Dead-letter file bound; when full, records are retried instead and an error is logged."},
    {"queue.fsync_interval", LR_OPT_DURATION, "0", 0, 60000, NULL, 0, S(spool_fsync_ms),
     "Disk spool: fsync every batch (0) or at most this often."},
    LR_OPTIONS_END,
};
#undef S

const lr_option *lr_output_core_options(void);
const lr_option *lr_output_core_options(void)
{
    return core_options;
}

/* ---- host services ---------------------------------------------------- */

static void host_log(const lr_instance *inst, lr_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void host_log(const lr_instance *inst, lr_log_level level, const char *fmt, ...)
{
    char tag[160];
    snprintf(tag, sizeof tag, "output %s", inst ? inst->name : "?");
    va_list ap;
    va_start(ap, fmt);
    lr_vlog(level, tag, fmt, ap);
    va_end(ap);
}

static const char *host_instance_name(const lr_instance *inst)
{
    return inst->name;
}

static const char *host_state_dir(const lr_instance *cinst)
{
    lr_instance *inst = (lr_instance *)cinst;
    pthread_mutex_lock(&inst->lock);
    if (!inst->state_dir) {
        size_t l = strlen(inst->data_dir) + strlen(inst->name) + 2;
        inst->state_dir = malloc(l);
        if (inst->state_dir) {
            snprintf(inst->state_dir, l, "%s/%s", inst->data_dir, inst->name);
            if (lr_mkdir_p(inst->state_dir, 0750) != 0)
                lr_warn(inst->name, "cannot create state directory %s: %s", inst->state_dir, strerror(errno));
        }
    }
    pthread_mutex_unlock(&inst->lock);
    return inst->state_dir;
}

static uint64_t *host_counter(lr_instance *inst, const char *name)
{
    pthread_mutex_lock(&inst->lock);
    named_counter *c = inst->counters;
    while (c && strcmp(c->name, name) != 0)
        c = c->next;
    if (!c) {
        size_t l = strlen(name);
        c = calloc(1, sizeof *c + l + 1);
        if (!c)
            abort();
        memcpy(c->name, name, l + 1);
        /* append, so summaries list counters in creation order */
        named_counter **tail = &inst->counters;
        while (*tail)
            tail = &(*tail)->next;
        *tail = c;
    }
    pthread_mutex_unlock(&inst->lock);
    return &c->value;
}

static void host_counter_add(uint64_t *counter, uint64_t delta)
{
    __atomic_fetch_add(counter, delta, __ATOMIC_RELAXED);
}

static int64_t host_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t host_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const lr_value *host_event_get(const lr_event *ev, const char *path)
{
    return lr_value_get_path(ev->fields, path, strlen(path));
}

static void copy_reason(char *dst, size_t cap, const char *reason)
{
    if (!reason)
        reason = "";
    size_t l = strlen(reason);
    if (l >= cap)
        l = cap - 1;
    memcpy(dst, reason, l);
    dst[l] = '\0';
}

static void host_set_result(lr_batch *batch, size_t index, lr_result result, const char *reason)
{
    lr_batch_ctl *ctl = batch->core_private;
    if (!ctl || index >= ctl->n || result == LR_PARTIAL)
        return;
    ctl->out[index].result = result;
    copy_reason(ctl->out[index].reason, sizeof ctl->out[index].reason, reason);
}

static void host_set_batch_reason(lr_batch *batch, const char *reason)
{
    lr_batch_ctl *ctl = batch->core_private;
    if (ctl)
        copy_reason(ctl->batch_reason, sizeof ctl->batch_reason, reason);
}

static void host_set_retry_after(lr_batch *batch, int64_t ms)
{
    lr_batch_ctl *ctl = batch->core_private;
    if (ctl && ms > ctl->retry_after_ms)
        ctl->retry_after_ms = ms;
}

static void host_complete(lr_instance *inst, const lr_event *ev, lr_result result, const char *reason)
{
    if (inst->complete_fn)
        inst->complete_fn(inst->complete_arg, ev, result, reason);
    else
        lr_warn(inst->name, "complete() called but nothing is pending");
}

static const lr_host host_services = {
    .abi_version = LR_ABI_VERSION,
    .size = sizeof(lr_host),
    .log = host_log,
    .instance_name = host_instance_name,
    .state_dir = host_state_dir,
    .counter = host_counter,
    .counter_add = host_counter_add,
    .now_ms = host_now_ms,
    .monotonic_ms = host_monotonic_ms,
    .event_get = host_event_get,
    .set_result = host_set_result,
    .set_batch_reason = host_set_batch_reason,
    .set_retry_after = host_set_retry_after,
    .complete = host_complete,
};

const lr_host *lr_instance_host(void)
{
    return &host_services;
}

/* ---- creation ---------------------------------------------------------- */

static lr_option *merge_tables(const lr_output_plugin *p, size_t module_offset)
{
    size_t nc = 0, nm = 0;
    while (core_options[nc].key)
        nc++;
    while (p->options && p->options[nm].key)
        nm++;
    lr_option *t = calloc(nc + nm + 1, sizeof *t);
    if (!t)
        abort();
    memcpy(t, core_options, nc * sizeof *t);
    for (size_t i = 0; i < nm; i++) {
        t[nc + i] = p->options[i];
        t[nc + i].offset += module_offset;
    }
    return t;
}

lr_instance *lr_instance_create(const lr_plugin_entry *plugin, const char *name, const lr_cfg_node *node,
                                const char *data_dir, lr_errors *errs)
{
    const lr_output_plugin *p = plugin->desc;
    lr_instance *inst = calloc(1, sizeof *inst);
    if (!inst)
        abort();
    pthread_mutex_init(&inst->lock, NULL);
    inst->name = strdup(name);
    inst->plugin = plugin;
    inst->data_dir = strdup(data_dir ? data_dir : ".");
    inst->module_offset = (sizeof(lr_output_settings) + 15) & ~(size_t)15;
    inst->conf = calloc(1, inst->module_offset + p->config_size + 1);
    inst->table = merge_tables(p, inst->module_offset);
    static const char *const ignore[] = {"type", NULL};
    int before = errs->count;
    lr_options_apply(inst->table, node, inst->conf, ignore, errs);
    if (errs->count > before) {
        lr_instance_destroy(inst);
        return NULL;
    }
    lr_output_settings *s = (lr_output_settings *)inst->conf;
    if (!(p->flags & LR_PLUGIN_MULTI_WORKER) && s->workers > 1) {
        lr_warn(name, "module '%s' is not thread-safe: workers set to 1", p->name);
        s->workers = 1;
    }
    if (!s->deadletter_path) {
        size_t l = strlen(inst->data_dir) + strlen(name) + 32;
        s->deadletter_path = malloc(l);
        snprintf(s->deadletter_path, l, "%s/deadletter/%s.jsonl", inst->data_dir, name);
    }
    if (s->queue_type == 1 && !s->queue_path) {
        size_t l = strlen(inst->data_dir) + strlen(name) + 16;
        s->queue_path = malloc(l);
        snprintf(s->queue_path, l, "%s/spool/%s", inst->data_dir, name);
    }
    if (p->init(inst, &host_services, inst->conf + inst->module_offset, &inst->ctx) != 0) {
        lr_errorf(errs, node,
                  "output '%s' (type %s): the module refused its configuration (see the error above)", name,
                  p->name);
        inst->ctx = NULL;
        lr_instance_destroy(inst);
        return NULL;
    }
    return inst;
}

void lr_instance_destroy(lr_instance *inst)
{
    if (!inst)
        return;
    lr_instance_stop_sync(inst);
    if (inst->ctx)
        inst->plugin->desc->fini(inst->ctx);
    /* also frees the default paths set above: they are plain malloc'd strings in STRING rows */
    if (inst->table)
        lr_options_free_struct(inst->table, inst->conf);
    free(inst->table);
    free(inst->conf);
    named_counter *c = inst->counters;
    while (c) {
        named_counter *n = c->next;
        free(c);
        c = n;
    }
    pthread_mutex_destroy(&inst->lock);
    free(inst->state_dir);
    free(inst->data_dir);
    free(inst->name);
    free(inst);
}

/* ---- accessors ---------------------------------------------------------- */

const char *lr_instance_get_name(const lr_instance *inst)
{
    return inst->name;
}

const lr_output_plugin *lr_instance_plugin(const lr_instance *inst)
{
    return inst->plugin->desc;
}

const lr_output_settings *lr_instance_settings(const lr_instance *inst)
{
    return (const lr_output_settings *)inst->conf;
}

void *lr_instance_context(const lr_instance *inst)
{
    return inst->ctx;
}

void lr_instance_set_complete_handler(lr_instance *inst, lr_complete_fn fn, void *arg)
{
    inst->complete_fn = fn;
    inst->complete_arg = arg;
}

lr_instance_counters *lr_instance_counters_of(lr_instance *inst)
{
    return &inst->core_counters;
}

void lr_instance_each_counter(lr_instance *inst, void (*fn)(void *arg, const char *name, uint64_t value),
                              void *arg)
{
    pthread_mutex_lock(&inst->lock);
    for (named_counter *c = inst->counters; c; c = c->next)
        fn(arg, c->name, __atomic_load_n(&c->value, __ATOMIC_RELAXED));
    pthread_mutex_unlock(&inst->lock);
}

/* ---- delivery ------------------------------------------------------------ */

#define RESULT_UNSET ((lr_result)-1)

lr_result lr_instance_call_deliver(lr_instance *inst, void *worker, const lr_event *const *events, size_t n,
                                   uint32_t attempt, lr_delivery *out)
{
    lr_batch_ctl ctl = {.out = out, .n = n};
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        out[i].result = RESULT_UNSET;
        out[i].reason[0] = '\0';
        out[i].retry_after_ms = 0;
        bytes += events[i]->json_len ? events[i]->json_len : events[i]->raw_len;
    }
    lr_batch batch = {.count = n, .events = events, .bytes = bytes, .attempt = attempt, .core_private = &ctl};
    lr_result r = inst->plugin->desc->deliver(inst->ctx, worker, &batch);
    if (r != LR_PARTIAL && (r < LR_DELIVERED || r > LR_PENDING)) {
        lr_error(inst->name,
                 "module returned an invalid result %d: treating the batch as a transient failure", (int)r);
        r = LR_RETRY;
        copy_reason(ctl.batch_reason, sizeof ctl.batch_reason, "module returned an invalid result");
    }
    bool mixed = false;
    for (size_t i = 0; i < n; i++) {
        if (r != LR_PARTIAL) {
            out[i].result = r;
            if (r != LR_DELIVERED)
                memcpy(out[i].reason, ctl.batch_reason, sizeof out[i].reason);
        } else if (out[i].result == RESULT_UNSET) {
            /* never lose an event the module forgot to answer for */
            out[i].result = LR_RETRY;
            copy_reason(out[i].reason, sizeof out[i].reason,
                        "module answered LR_PARTIAL without a result for it");
        }
        if (out[i].result == LR_RETRY && !out[i].reason[0] && ctl.batch_reason[0])
            memcpy(out[i].reason, ctl.batch_reason, sizeof out[i].reason);
        out[i].retry_after_ms = ctl.retry_after_ms;
        if (i && out[i].result != out[0].result)
            mixed = true;
    }
    if (n == 0)
        return r == LR_PARTIAL ? LR_DELIVERED : r;
    return mixed ? LR_PARTIAL : out[0].result;
}

static int sync_start(lr_instance *inst)
{
    if (inst->sync_started)
        return 0;
    const lr_output_plugin *p = inst->plugin->desc;
    inst->sync_worker = NULL;
    if (p->worker_init && p->worker_init(inst->ctx, &inst->sync_worker) != 0)
        return -1;
    inst->sync_started = true;
    return 0;
}

lr_result lr_instance_deliver_sync(lr_instance *inst, const lr_event *const *events, size_t n,
                                   lr_delivery *out)
{
    if (sync_start(inst) != 0) {
        for (size_t i = 0; i < n; i++) {
            out[i].result = LR_RETRY;
            copy_reason(out[i].reason, sizeof out[i].reason, "worker_init failed");
            out[i].retry_after_ms = 0;
        }
        return LR_RETRY;
    }
    return lr_instance_call_deliver(inst, inst->sync_worker, events, n, 1, out);
}

void lr_instance_tick_sync(lr_instance *inst, int64_t now_ms)
{
    if (sync_start(inst) == 0 && inst->plugin->desc->tick)
        inst->plugin->desc->tick(inst->ctx, inst->sync_worker, now_ms);
}

void lr_instance_reopen_sync(lr_instance *inst)
{
    if (sync_start(inst) == 0 && inst->plugin->desc->reopen)
        inst->plugin->desc->reopen(inst->ctx, inst->sync_worker);
}

void lr_instance_flush_sync(lr_instance *inst)
{
    if (sync_start(inst) == 0 && inst->plugin->desc->flush)
        inst->plugin->desc->flush(inst->ctx, inst->sync_worker);
}

void lr_instance_stop_sync(lr_instance *inst)
{
    if (!inst->sync_started)
        return;
    const lr_output_plugin *p = inst->plugin->desc;
    if (p->flush)
        p->flush(inst->ctx, inst->sync_worker);
    if (p->worker_fini)
        p->worker_fini(inst->ctx, inst->sync_worker);
    inst->sync_started = false;
    inst->sync_worker = NULL;
}
