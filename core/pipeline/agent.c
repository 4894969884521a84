/*
 * agent.c: see agent.h. The order of assembly is the order of dependencies:
 * config -> agent settings -> plugins -> outputs (validated, init) ->
 * routes (need output names) -> queues + pipeline (lr_agent_start).
 */
#include "pipeline/agent.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/options.h"
#include "pipeline/pipeline_internal.h"
#include "plugin/host.h"
#include "plugin/instance.h"
#include "queue/queue.h"
#include "route/routes.h"
#include "util/log.h"

struct lr_agent {
    lr_config *cfg;
    lr_agent_settings set;
    lr_plugin_registry *plugins;
    size_t noutputs;
    lr_instance **instances;
    const char **names; /* borrowed from the instances */
    lr_queue **queues;
    lr_routes *routes;
    lr_pipeline *pipeline;
    bool started;
};

static const char *const log_levels[] = {"error", "warn", "info", "debug", NULL};

#define A(f) offsetof(lr_agent_settings, f)
static const lr_option agent_options[] = {
    {"data_dir", LR_OPT_STRING, "/var/lib/logrelay", 0, 0, NULL, 0, A(data_dir),
     "State: dead letters, disk spools, module state."},
    {"plugin_dir", LR_OPT_STRING, NULL, 0, 0, NULL, 0, A(plugin_dir),
     "Where output modules (*.so) are loaded from (default: plugins/ next to the executable, else the "
     "installed module directory)."},
    {"log_level", LR_OPT_ENUM, "info", 0, 0, log_levels, 0, A(log_level), "Agent log verbosity."},
    {"shutdown_timeout", LR_OPT_DURATION, "30s", 0, 3600000, NULL, 0, A(shutdown_timeout_ms),
     "On SIGTERM, how long outputs may drain before the agent exits (undelivered records are re-read from "
     "Kafka next time)."},
    {"unrouted", LR_OPT_STRING, "drop", 0, 0, NULL, 0, A(unrouted),
     "Where records that match no route go: drop (counted and acknowledged) or an output name."},
    LR_OPTIONS_END,
};
#undef A

const lr_option *lr_agent_options(void);
const lr_option *lr_agent_options(void)
{
    return agent_options;
}

static bool valid_output_name(const char *n)
{
    if (!*n)
        return false;
    for (const char *p = n; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-'))
            return false;
    }
    return true;
}

static int lookup_output(void *arg, const char *name)
{
    lr_agent *a = arg;
    for (size_t i = 0; i < a->noutputs; i++) {
        if (strcmp(a->names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

static void list_types(const lr_plugin_registry *reg, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < lr_plugins_count(reg); i++) {
        const lr_plugin_entry *e = lr_plugins_at(reg, i);
        if (!e->desc)
            continue;
        int n = snprintf(out + len, cap - len, "%s%s", len ? ", " : "", e->desc->name);
        if (n < 0 || (size_t)n >= cap - len)
            break;
        len += (size_t)n;
    }
}

static void create_outputs(lr_agent *a, const lr_cfg_node *outputs, lr_errors *errs)
{
    if (!outputs)
        return;
    if (outputs->kind != LR_CFG_MAP) {
        lr_errorf(errs, outputs, "key 'outputs': must be a mapping of output name to its settings");
        return;
    }
    a->instances = calloc(outputs->count + 1, sizeof *a->instances);
    a->names = calloc(outputs->count + 1, sizeof *a->names);
    if (!a->instances || !a->names)
        abort();
    for (size_t i = 0; i < outputs->count; i++) {
        const lr_cfg_node *key = outputs->pairs[i].key;
        const lr_cfg_node *node = outputs->pairs[i].value;
        const char *name = key->str;
        if (!valid_output_name(name)) {
            lr_errorf(errs, key, "key 'outputs.%s': output names use letters, digits, '_' and '-'", name);
            continue;
        }
        if (node->kind != LR_CFG_MAP) {
            lr_errorf(errs, node, "key 'outputs.%s': must be a mapping with at least 'type'", name);
            continue;
        }
        const lr_cfg_node *type = lr_cfg_get(node, "type");
        if (!type || type->kind != LR_CFG_SCALAR) {
            lr_errorf(errs, node, "key 'outputs.%s.type': missing: say which module delivers this output",
                      name);
            continue;
        }
        const lr_plugin_entry *pe = lr_plugins_find(a->plugins, type->str);
        if (!pe) {
            const lr_plugin_entry *refused = NULL;
            for (size_t k = 0; k < lr_plugins_count(a->plugins); k++) {
                const lr_plugin_entry *e = lr_plugins_at(a->plugins, k);
                const char *base = strrchr(e->path, '/');
                base = base ? base + 1 : e->path;
                size_t tl = strlen(type->str);
                if (e->refused && strncmp(base, type->str, tl) == 0 && strcmp(base + tl, ".so") == 0)
                    refused = e;
            }
            if (refused) {
                lr_errorf(errs, type, "key 'outputs.%s.type': module '%s' was refused: %s: %s", name,
                          type->str, refused->path, refused->refused);
            } else {
                char avail[512];
                list_types(a->plugins, avail, sizeof avail);
                lr_errorf(errs, type, "key 'outputs.%s.type': unknown output type '%s' (available in %s: %s)",
                          name, type->str, a->set.plugin_dir, avail[0] ? avail : "none");
            }
            continue;
        }
        lr_instance *inst = lr_instance_create(pe, name, node, a->set.data_dir, errs);
        if (!inst)
            continue;
        const lr_output_settings *set = lr_instance_settings(inst);
        for (size_t k = 0; set->queue_type == 1 && k < a->noutputs; k++) {
            const lr_output_settings *other = lr_instance_settings(a->instances[k]);
            if (other->queue_type == 1 && strcmp(other->queue_path, set->queue_path) == 0)
                lr_errorf(errs, node,
                          "key 'outputs.%s.queue.path': spool directory %s is already used by output '%s'",
                          name, set->queue_path, a->names[k]);
        }
        a->instances[a->noutputs] = inst;
        a->names[a->noutputs] = lr_instance_get_name(inst);
        a->noutputs++;
    }
}

lr_agent *lr_agent_create_from(lr_config *cfg, lr_errors *errs)
{
    lr_agent *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    a->cfg = cfg;
    int before = errs->count;
    lr_options_apply(agent_options, lr_cfg_get(cfg->root, "agent"), &a->set, NULL, errs);
    if (errs->count > before)
        goto fail;
    lr_log_set_level((lr_log_level)a->set.log_level);
    if (!a->set.plugin_dir)
        a->set.plugin_dir = strdup(lr_plugins_default_dir());
    a->plugins = lr_plugins_load_dir(a->set.plugin_dir);
    create_outputs(a, lr_cfg_get(cfg->root, "outputs"), errs);
    if (errs->count > before)
        goto fail;
    int unrouted = -1;
    if (strcmp(a->set.unrouted, "drop") != 0) {
        unrouted = lookup_output(a, a->set.unrouted);
        if (unrouted < 0) {
            const lr_cfg_node *agent = lr_cfg_get(cfg->root, "agent");
            lr_errorf(errs, agent ? lr_cfg_get(agent, "unrouted") : NULL,
                      "key 'agent.unrouted': no output named '%s' (use drop or an output name)",
                      a->set.unrouted);
            goto fail;
        }
    }
    a->routes = lr_routes_build(lr_cfg_get(cfg->root, "routes"), lookup_output, a, unrouted, errs);
    if (!a->routes || errs->count > before)
        goto fail;
    return a;
fail:
    lr_agent_destroy(a);
    return NULL;
}

lr_agent *lr_agent_create(const char *config_path, lr_errors *errs)
{
    lr_config *cfg = lr_config_load(config_path, errs);
    if (!cfg)
        return NULL;
    return lr_agent_create_from(cfg, errs);
}

void lr_agent_start(lr_agent *a)
{
    if (a->started)
        return;
    a->queues = calloc(a->noutputs + 1, sizeof *a->queues);
    if (!a->queues)
        abort();
    for (size_t i = 0; i < a->noutputs; i++)
        a->queues[i] = lr_queue_create(a->instances[i]);
    a->pipeline = lr_pipeline_create(a->routes, a->queues, a->noutputs);
    a->started = true;
}

lr_pipeline *lr_agent_pipeline(lr_agent *a)
{
    return a->pipeline;
}

const lr_agent_settings *lr_agent_get_settings(const lr_agent *a)
{
    return &a->set;
}

const lr_config *lr_agent_config(const lr_agent *a)
{
    return a->cfg;
}

const lr_cfg_node *lr_agent_kafka_node(const lr_agent *a)
{
    return lr_cfg_get(a->cfg->root, "kafka");
}

const lr_plugin_registry *lr_agent_plugins(const lr_agent *a)
{
    return a->plugins;
}

uint64_t lr_agent_drain(lr_agent *a, int64_t deadline_mono_ms)
{
    /* Wait, in short steps, until nothing is left that the input would have
     * to read again: a memory queue must deliver, a disk queue only spool.
     * Records still waiting to be routed go to their queues first. */
    if (a->pipeline)
        lr_pipeline_flush(a->pipeline);
    uint64_t left;
    for (;;) {
        left = 0;
        for (size_t i = 0; a->started && i < a->noutputs; i++)
            left += lr_queue_unfinished(a->queues[i]);
        int64_t now = lr_monotonic_ms();
        if (left == 0 || now >= deadline_mono_ms)
            return left;
        int64_t step = now + 50 < deadline_mono_ms ? now + 50 : deadline_mono_ms;
        for (size_t i = 0; i < a->noutputs; i++) {
            if (lr_queue_unfinished(a->queues[i]))
                lr_queue_drain(a->queues[i], step);
        }
    }
}

uint64_t lr_agent_undelivered(lr_agent *a)
{
    uint64_t left = 0;
    for (size_t i = 0; a->started && i < a->noutputs; i++) {
        lr_queue_stats st;
        lr_queue_get_stats(a->queues[i], &st);
        left += st.depth_records;
    }
    return left;
}

bool lr_agent_congested(lr_agent *a)
{
    return a->pipeline && lr_pipeline_congested(a->pipeline);
}

void lr_agent_reopen(lr_agent *a)
{
    for (size_t i = 0; a->started && i < a->noutputs; i++)
        lr_queue_reopen(a->queues[i]);
}

typedef struct counter_printer {
    FILE *out;
    int n;
} counter_printer;

static void print_counter(void *arg, const char *name, uint64_t value)
{
    counter_printer *cp = arg;
    fprintf(cp->out, "%s%s=%llu", cp->n++ ? " " : " (", name, (unsigned long long)value);
}

void lr_agent_print_summary(lr_agent *a, FILE *out)
{
    if (a->pipeline) {
        const lr_parse_stats *ps = lr_pipeline_parse_stats(a->pipeline);
        fprintf(out,
                "input: %llu messages, %llu records (%llu parsed, %llu failed to parse), %llu unrouted\n",
                (unsigned long long)lr_pipeline_messages(a->pipeline),
                (unsigned long long)lr_pipeline_records(a->pipeline), (unsigned long long)ps->parsed,
                (unsigned long long)ps->failed, (unsigned long long)lr_routes_unrouted(a->routes));
        for (int i = 0; i < LR_PARSE_REASON_MAX && ps->reason[i]; i++)
            fprintf(out, "  parse error: %s: %llu\n", ps->reason[i], (unsigned long long)ps->reason_count[i]);
    }
    for (size_t i = 0; i < lr_routes_count(a->routes); i++)
        fprintf(out, "route %s: %llu matched\n", lr_routes_name(a->routes, i),
                (unsigned long long)lr_routes_matched(a->routes, i));
    for (size_t i = 0; a->started && i < a->noutputs; i++) {
        lr_queue_stats st;
        lr_queue_get_stats(a->queues[i], &st);
        fprintf(
            out,
            "output %s (%s): received %llu, delivered %llu, retried %llu, failed %llu, dead-lettered %llu, "
            "left %llu",
            a->names[i], lr_instance_plugin(a->instances[i])->name, (unsigned long long)st.received,
            (unsigned long long)st.delivered, (unsigned long long)st.retried, (unsigned long long)st.failed,
            (unsigned long long)st.deadlettered, (unsigned long long)st.depth_records);
        counter_printer cp = {out, 0};
        lr_instance_each_counter(a->instances[i], print_counter, &cp);
        if (cp.n)
            fputc(')', out);
        if (st.depth_records)
            fprintf(out, "; queued %llu bytes, oldest %lld ms", (unsigned long long)st.depth_bytes,
                    (long long)st.oldest_age_ms);
        if (st.last_error[0])
            fprintf(out, "; last error: %s", st.last_error);
        fputc('\n', out);
    }
}

void lr_agent_print_plan(lr_agent *a, FILE *out)
{
    fprintf(out, "configuration: %zu file(s)", a->cfg->nfiles);
    for (size_t i = 0; i < a->cfg->nfiles; i++)
        fprintf(out, "%s%s", i ? ", " : ": ", a->cfg->files[i]);
    fprintf(out, "\nplugin_dir: %s\ndata_dir: %s\n", a->set.plugin_dir, a->set.data_dir);
    fprintf(out, "kafka: %s\n", lr_agent_kafka_node(a) ? "configured" : "not configured (replay only)");
    fprintf(out, "outputs (%zu):\n", a->noutputs);
    for (size_t i = 0; i < a->noutputs; i++) {
        const lr_output_settings *s = lr_instance_settings(a->instances[i]);
        fprintf(out, "  %-20s type %-14s workers %lld, queue %s max %llu records, dead letters %s\n",
                a->names[i], lr_instance_plugin(a->instances[i])->name, (long long)s->workers,
                s->queue_type ? "disk" : "memory", (unsigned long long)s->queue_max_records,
                s->deadletter_path);
    }
    lr_routes_print(a->routes, out, a->names);
}

void lr_agent_destroy(lr_agent *a)
{
    if (!a)
        return;
    for (size_t i = 0; a->queues && i < a->noutputs; i++)
        lr_queue_destroy(a->queues[i]);
    lr_pipeline_destroy(a->pipeline);
    lr_routes_free(a->routes);
    for (size_t i = 0; i < a->noutputs; i++)
        lr_instance_destroy(a->instances[i]);
    free(a->queues);
    free(a->instances);
    free(a->names);
    lr_plugins_free(a->plugins);
    lr_options_free_struct(agent_options, &a->set);
    lr_config_free(a->cfg);
    free(a);
}

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t stop_flag, reopen_flag, stats_flag;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reopen_flag = 1;
    else if (sig == SIGUSR1)
        stats_flag = 1;
    else
        stop_flag = 1;
}

void lr_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool lr_signal_stop_requested(void)
{
    return stop_flag != 0;
}

bool lr_signal_take_reopen(void)
{
    if (!reopen_flag)
        return false;
    reopen_flag = 0;
    return true;
}

bool lr_signal_take_stats(void)
{
    if (!stats_flag)
        return false;
    stats_flag = 0;
    return true;
}

int64_t lr_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
