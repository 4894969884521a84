/*
 * view_json.h: the JSON of a transformed view, built from the record's own
 * JSON. A view shares every unchanged value with the record (copy-on-write),
 * and a shared value's encoding is already in the record's JSON, so those
 * bytes are copied instead of encoded again; only what a transform changed
 * goes through the encoder. The result is byte for byte what
 * lr_json_encode_value would write for the view.
 *
 * Threading: pure function of its inputs; used on the pipeline thread.
 */
#ifndef LR_ROUTE_VIEW_JSON_H
#define LR_ROUTE_VIEW_JSON_H

#include <logrelay/logrelay.h>

#include "util/buf.h"

/* Append the encoding of `view` to out, given base_json = the encoding of
 * `base`. Returns false when base_json does not line up with base (then
 * nothing useful is in out: encode the view directly). */
bool lr_view_json_encode(lr_buf *out, const lr_value *view, const lr_value *base, const char *base_json,
                         size_t base_len);

#endif
