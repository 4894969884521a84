/*
 * lrhttp_gzip.c: gzip a request body in one pass (zlib deflate with the gzip
 * wrapper, RFC 1952), for `Content-Encoding: gzip`.
 * Threading: no shared state; each call has its own z_stream.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "lrhttp.h"

int lrhttp_gzip(lrhttp_buf *out, const void *in, size_t len, int level)
{
    if (level != Z_DEFAULT_COMPRESSION && (level < 1 || level > 9))
        level = Z_DEFAULT_COMPRESSION;
    if (len > UINT_MAX) /* one deflate call takes at most uInt bytes in */
        return -1;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* windowBits 15 + 16: a gzip header and trailer instead of zlib's. */
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    int rc = -1;
    uLong bound = deflateBound(&zs, (uLong)len);
    if (bound > UINT_MAX || lrhttp_buf_reserve(out, (size_t)bound) != 0)
        goto out;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = (Bytef *)out->data + out->len;
    zs.avail_out = (uInt)bound;
    /* deflateBound is enough for a single Z_FINISH call to complete. */
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        goto out;
    out->len += zs.total_out;
    out->data[out->len] = '\0';
    rc = 0;
out:
    deflateEnd(&zs);
    return rc;
}
