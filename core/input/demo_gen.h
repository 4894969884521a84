/*
 * demo_gen.h: built-in generator of realistic sample data, used by `logrelay
 * demo` and by the tests' mock cluster helper. It writes CDN access lines in
 * the three layouts of the provider's grok patterns and WAF audit records in
 * the provider's form (ModSecurity v3 JSON, one detected attack per record,
 * `transaction.messages` an object).
 *
 * Layouts (see docs/kafka.md):
 *   LR_DEMO_ACCESS_CDN:     IP - USER [TIME] "VERB URI VER" STATUS BYTES "UA" HITMISS "CTYPE" "LAYER"
 *                           REQTIME "CLIENTID" "REFERER" PROTO COUNTRY
 *   LR_DEMO_ACCESS_VOD:     IP - USER [TIME] VODHOST "VERB URI VER" STATUS BYTES "REFERER" "UA"
 *                           "CTYPE" "HITMISS" "LAYER" "CLIENTID" REQTIME PROTO COUNTRY
 *   LR_DEMO_ACCESS_VOD_NOCC: the VOD layout without the country
 *
 * Deterministic for a given seed. Not thread-safe: one generator per thread.
 */
#ifndef LR_DEMO_GEN_H
#define LR_DEMO_GEN_H

#include <stdint.h>

#include "util/buf.h"

typedef enum lr_demo_layout {
    LR_DEMO_ACCESS_CDN = 0,
    LR_DEMO_ACCESS_VOD,
    LR_DEMO_ACCESS_VOD_NOCC,
    LR_DEMO_LAYOUT_COUNT
} lr_demo_layout;

typedef struct lr_demo_gen {
    uint64_t rng;
    uint64_t seq;     /* records generated so far */
    int64_t clock_ms; /* log time of the next record; advances a few ms per record */
    int client_id;    /* the provider's c<ID> */
} lr_demo_gen;

/* start_ms: log time of the first record (0: now). */
void lr_demo_gen_init(lr_demo_gen *g, uint64_t seed, int client_id, int64_t start_ms);

/* Append one access line (no newline) to out. layout < 0 picks one at
 * random (mostly the CDN layout, as real traffic). Returns false when out
 * hit its cap. */
bool lr_demo_gen_access(lr_demo_gen *g, int layout, lr_buf *out);

/* Append one WAF audit record (one JSON object, no newline) to out. */
bool lr_demo_gen_waf(lr_demo_gen *g, lr_buf *out);

#endif
