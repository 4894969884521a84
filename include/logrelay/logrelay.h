/*
 * logrelay.h: the public output-plugin API. The only header a plugin author needs.
 *
 * A plugin is data: one exported, statically initialised `lr_output_plugin`
 * descriptor per shared object (declare it with LR_OUTPUT_PLUGIN). The core
 * finds it with dlsym, checks its ABI version and build signature, validates
 * the user's YAML against its option table, and calls its callbacks from the
 * output's worker threads. Everything a plugin needs from the agent (logging,
 * counters, the clock, record access, results) comes through `lr_host`; a
 * plugin never links against the executable's symbols.
 *
 * Threading: init/fini run on the main thread. worker_init, deliver, tick,
 * flush and worker_fini run on one worker thread each (an output has
 * `workers` of them, 1 unless the plugin sets LR_PLUGIN_MULTI_WORKER); the
 * instance context is read-only after init, per-worker state lives in the
 * worker context. reopen runs on a worker thread, between deliveries.
 *
 * See docs/plugin-abi.md for the contract in one page.
 */
#ifndef LOGRELAY_LOGRELAY_H
#define LOGRELAY_LOGRELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change to a struct or callback below. */
#define LR_ABI_VERSION 1

/* Layout-affecting facts of the build: a module compiled for another data
 * model or byte order is refused even if its ABI number matches. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LR_SIG_ENDIAN "be"
#else
#define LR_SIG_ENDIAN "le"
#endif
#define LR_SIG_STR2(x) #x
#define LR_SIG_STR(x) LR_SIG_STR2(x)
#define LR_BUILD_SIGNATURE                                                                                   \
    "logrelay-abi" LR_SIG_STR(LR_ABI_VERSION) "/ptr" LR_SIG_STR(__SIZEOF_POINTER__) "/long" LR_SIG_STR(      \
        __SIZEOF_LONG__) "/" LR_SIG_ENDIAN

/* The one symbol the loader looks up in every module. */
#define LR_PLUGIN_SYMBOL "logrelay_output_plugin"
#define LR_OUTPUT_PLUGIN __attribute__((visibility("default"))) const lr_output_plugin logrelay_output_plugin

/* ------------------------------------------------------------------------ */
/* Log levels                                                                */
/* ------------------------------------------------------------------------ */
typedef enum lr_log_level {
    LR_LOG_ERROR = 0,
    LR_LOG_WARN = 1,
    LR_LOG_INFO = 2,
    LR_LOG_DEBUG = 3,
} lr_log_level;

/* ------------------------------------------------------------------------ */
/* Values: the typed fields of a record                                      */
/* ------------------------------------------------------------------------ */
typedef enum lr_value_kind {
    LR_VAL_NULL = 0,
    LR_VAL_BOOL,
    LR_VAL_INT,
    LR_VAL_FLOAT,
    LR_VAL_STRING, /* bytes, not necessarily UTF-8, may hold NUL: always use len */
    LR_VAL_OBJECT, /* ordered members; keys may repeat (real WAF records do) */
    LR_VAL_ARRAY,
} lr_value_kind;

typedef struct lr_value lr_value;
typedef struct lr_member lr_member;

struct lr_value {
    uint8_t kind; /* lr_value_kind */
    uint32_t len; /* string: byte length; object/array: number of members/items */
    union {
        bool b;
        int64_t i;
        double f;
        const char *s;
        const lr_member *members; /* object */
        const lr_value *items;    /* array */
    } u;
};

struct lr_member {
    const char *key;
    uint32_t key_len;
    lr_value value;
};

/* ------------------------------------------------------------------------ */
/* Events: what an output sees of a record                                   */
/* ------------------------------------------------------------------------ */
/*
 * Read-only view of one record as a route delivers it (after that route's
 * transforms). Owned by the core; valid from deliver() until the plugin has
 * reported a final result for it. Fields may be added at the end in a later
 * minor version; `size` tells how many bytes of this struct the core filled.
 */
typedef struct lr_event {
    uint32_t size;
    const char *raw; /* the original message bytes (not NUL-terminated) */
    size_t raw_len;
    const char *json; /* one JSON object, no newline, NUL-terminated; shared by all outputs */
    size_t json_len;
    int64_t timestamp_ms; /* record time: parsed log time, else Kafka time, else ingestion time */
    const char *source;   /* Kafka topic or replay input name; NUL-terminated */
    int32_t partition;    /* -1 when not from Kafka */
    int64_t offset;       /* -1 when not from Kafka */
    const char *key;      /* Kafka message key or NULL */
    size_t key_len;
    const char *format;     /* parser that produced the fields: cdn_access, waf_json, json, raw */
    bool parse_failed;      /* the line did not parse; fields hold raw message and parse_error */
    const lr_value *fields; /* the root object */
} lr_event;

/* ------------------------------------------------------------------------ */
/* Results                                                                   */
/* ------------------------------------------------------------------------ */
typedef enum lr_result {
    LR_DELIVERED = 0, /* done: acknowledged towards Kafka */
    LR_RETRY = 1,     /* transient failure: the core retries with backoff */
    LR_REJECT = 2,    /* permanent failure: the core dead-letters it with the reason */
    LR_PENDING = 3,   /* accepted into the plugin's own buffer; completed later with host->complete */
    LR_PARTIAL = 4,   /* deliver() return only: look at the per-event results */
} lr_result;

/*
 * A batch handed to deliver(). The plugin either returns one result for the
 * whole batch, or sets per-event results with host->set_result and returns
 * LR_PARTIAL. Reasons are copied by the host.
 */
typedef struct lr_batch {
    size_t count;
    const lr_event *const *events;
    size_t bytes;       /* sum of the events' json_len (or raw_len for raw outputs) */
    uint32_t attempt;   /* 1 on first delivery of the oldest event in the batch */
    void *core_private; /* do not touch */
} lr_batch;

/* ------------------------------------------------------------------------ */
/* Options                                                                   */
/* ------------------------------------------------------------------------ */
typedef enum lr_option_type {
    LR_OPT_STRING = 1, /* char *            */
    LR_OPT_BOOL,       /* bool              */
    LR_OPT_INT,        /* int64_t           */
    LR_OPT_DOUBLE,     /* double            */
    LR_OPT_SIZE,       /* uint64_t, bytes: "64KiB", "50MB", "1048576" */
    LR_OPT_DURATION,   /* int64_t, milliseconds: "500ms", "5s", "1m", "2h" */
    LR_OPT_ENUM,       /* int, index into enum_values */
    LR_OPT_STRLIST,    /* lr_strlist        */
    LR_OPT_MAP,        /* lr_kvlist: a mapping of string to string */
    LR_OPT_MODE,       /* uint32_t, octal file mode "0640" */
} lr_option_type;

enum {
    LR_OPT_REQUIRED = 1u << 0,
    LR_OPT_SECRET = 1u << 1, /* never printed; ${file:...} is the recommended source */
};

typedef struct lr_strlist {
    size_t count;
    char **items;
} lr_strlist;

typedef struct lr_kv {
    char *key;
    char *value;
} lr_kv;

typedef struct lr_kvlist {
    size_t count;
    lr_kv *items;
} lr_kvlist;

/*
 * One row of a plugin's option table. `key` may be dotted ("auth.basic.user")
 * to address nested YAML mappings. `default_value` is parsed by the same typed
 * setter as user input. min/max bound INT, SIZE, DURATION (in bytes/ms) when
 * max > min. The table ends with a row whose key is NULL.
 */
typedef struct lr_option {
    const char *key;
    lr_option_type type;
    const char *default_value;
    int64_t min;
    int64_t max;
    const char *const *enum_values; /* NULL-terminated, for LR_OPT_ENUM */
    uint32_t flags;
    size_t offset; /* offsetof(your_config, field) */
    const char *description;
} lr_option;

#define LR_OPTIONS_END                                                                                       \
    {                                                                                                        \
        0                                                                                                    \
    }

/* ------------------------------------------------------------------------ */
/* Host services                                                             */
/* ------------------------------------------------------------------------ */
typedef struct lr_instance lr_instance; /* one configured output; opaque */

typedef struct lr_host {
    uint32_t abi_version;
    uint32_t size;

    /* Logging, tagged with the instance name. Never log secrets. */
    void (*log)(const lr_instance *inst, lr_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
    const char *(*instance_name)(const lr_instance *inst);
    /* agent.data_dir/<instance name>/, created on demand; for plugin state files. */
    const char *(*state_dir)(const lr_instance *inst);

    /* Counters: a named 64-bit counter of this instance, created on first use;
     * the handle is valid for the instance's lifetime. Thread-safe to add. */
    uint64_t *(*counter)(lr_instance *inst, const char *name);
    void (*counter_add)(uint64_t *counter, uint64_t delta);

    /* Clocks in milliseconds. */
    int64_t (*now_ms)(void); /* wall clock, Unix epoch */
    int64_t (*monotonic_ms)(void);

    /* Record access: look a dotted path up in an event's fields
     * ("transaction.client_ip"; "a.b" also matches a literal key "a.b").
     * Returns NULL when absent. */
    const lr_value *(*event_get)(const lr_event *ev, const char *path);

    /* Results: per event inside deliver() (then return LR_PARTIAL). */
    void (*set_result)(lr_batch *batch, size_t index, lr_result result, const char *reason);
    /* Reason for a whole-batch LR_RETRY/LR_REJECT return. */
    void (*set_batch_reason)(lr_batch *batch, const char *reason);
    /* A server's hint (Retry-After): retry the failed events no sooner than
     * `ms` milliseconds from now (a delay, not a timestamp). */
    void (*set_retry_after)(lr_batch *batch, int64_t ms);
    /* Final result for an event the plugin answered LR_PENDING to. Call from
     * a worker callback of the same instance (deliver, tick or flush). */
    void (*complete)(lr_instance *inst, const lr_event *ev, lr_result result, const char *reason);
} lr_host;

/* ------------------------------------------------------------------------ */
/* The descriptor                                                            */
/* ------------------------------------------------------------------------ */
enum {
    LR_PLUGIN_MULTI_WORKER = 1u << 0, /* deliver() may run on several workers at once */
    LR_PLUGIN_NEEDS_JSON = 1u << 1,   /* events carry json (almost every plugin) */
};

typedef struct lr_output_plugin {
    uint32_t abi_version;        /* LR_ABI_VERSION: must stay the first member */
    uint32_t struct_size;        /* sizeof(lr_output_plugin) */
    const char *build_signature; /* LR_BUILD_SIGNATURE */
    const char *name;            /* the `type:` users write; [a-z0-9_]+ */
    const char *version;         /* the module's own version string */
    const char *description;     /* one line */
    uint32_t flags;              /* LR_PLUGIN_* */
    const lr_option *options;    /* option table, LR_OPTIONS_END-terminated */
    size_t config_size;          /* bytes of the config struct the options fill */

    /* Main thread. `config` is filled and validated against the table; it
     * stays owned by the core and valid until fini. Check cross-option rules,
     * allocate the instance context. Return 0, or -1 after host->log(ERROR). */
    int (*init)(lr_instance *inst, const lr_host *host, const void *config, void **ctx);
    /* Worker thread: per-worker state (connections, buffers, open files). */
    int (*worker_init)(void *ctx, void **worker);
    /* Worker thread: deliver a batch. Never sleeps to retry: return LR_RETRY. */
    lr_result (*deliver)(void *ctx, void *worker, lr_batch *batch);
    /* Worker thread, at least every second while idle: time-based work such as
     * closing a buffered object, completing LR_PENDING events. May be NULL. */
    void (*tick)(void *ctx, void *worker, int64_t now_ms);
    /* Worker thread, at shutdown before worker_fini: finish what is buffered
     * (complete pending events one way or the other). May be NULL. */
    void (*flush)(void *ctx, void *worker);
    /* Worker thread, on SIGHUP: reopen files (logrotate). May be NULL. */
    void (*reopen)(void *ctx, void *worker);
    void (*worker_fini)(void *ctx, void *worker);
    /* Main thread, after all workers ended. */
    void (*fini)(void *ctx);

    void *reserved[8]; /* zero: room for later callbacks without an ABI bump */
} lr_output_plugin;

#ifdef __cplusplus
}
#endif
#endif /* LOGRELAY_LOGRELAY_H */
