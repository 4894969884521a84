/*
 * errors.c: the error list every configuration step appends to. One error
 * per line, "FILE:LINE:COL: key 'KEY': message", so a user (or an editor)
 * can jump to the place. Single-threaded.
 */
#include <stdarg.h>
#include <stdio.h>

#include "config/config.h"

/* Errors are short lines; a config that produces megabytes of them is not
 * worth more memory. */
#define LR_ERRORS_MAX (4u << 20)

void lr_errors_init(lr_errors *e)
{
    lr_buf_init(&e->text, LR_ERRORS_MAX);
    e->count = 0;
}

void lr_errors_free(lr_errors *e)
{
    lr_buf_free(&e->text);
    e->count = 0;
}

const char *lr_errors_text(const lr_errors *e)
{
    if (!e->text.data || !e->text.len)
        return "";
    return e->text.data;
}

static void add_location(lr_errors *e, const lr_cfg_node *node)
{
    if (node && node->file)
        lr_buf_printf(&e->text, "%s:%d:%d: ", node->file, node->line, node->col);
}

static void finish(lr_errors *e)
{
    lr_buf_append_char(&e->text, '\n');
    lr_buf_terminate(&e->text);
    e->count++;
}

/* lr_buf has no va_list variant; this is lr_buf_printf's body. */
__attribute__((format(printf, 2, 0))) static void append_v(lr_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || !lr_buf_reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void lr_errorf(lr_errors *e, const lr_cfg_node *node, const char *fmt, ...)
{
    add_location(e, node);
    va_list ap;
    va_start(ap, fmt);
    append_v(&e->text, fmt, ap);
    va_end(ap);
    finish(e);
}

void lr_errorf_key(lr_errors *e, const lr_cfg_node *node, const char *key, const char *fmt, ...)
{
    add_location(e, node);
    if (key)
        lr_buf_printf(&e->text, "key '%s': ", key);
    va_list ap;
    va_start(ap, fmt);
    append_v(&e->text, fmt, ap);
    va_end(ap);
    finish(e);
}
