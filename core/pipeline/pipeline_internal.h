/*
 * pipeline_internal.h: creating a pipeline (the agent does it) and reading
 * its counters. Inputs only need pipeline.h.
 */
#ifndef LR_PIPELINE_INTERNAL_H
#define LR_PIPELINE_INTERNAL_H

#include "pipeline/pipeline.h"
#include "queue/queue.h"
#include "route/routes.h"

/* Borrows routes and queues (owned by the agent). */
lr_pipeline *lr_pipeline_create(const lr_routes *routes, lr_queue *const *queues, size_t nqueues);
void lr_pipeline_destroy(lr_pipeline *p);
/* Parser counters (pipeline thread only, or after it stopped). */
const lr_parse_stats *lr_pipeline_parse_stats(const lr_pipeline *p);
uint64_t lr_pipeline_messages(const lr_pipeline *p);
uint64_t lr_pipeline_records(const lr_pipeline *p);

#endif
