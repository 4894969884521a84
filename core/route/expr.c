/*
 * expr.c: route conditions: a recursive-descent parser producing a small
 * tree (expr_tree.h), compiled regexes included. expr_eval.c evaluates it.
 * See expr.h for the grammar and docs/routes.md for the semantics users rely
 * on.
 *
 * Threading: compile/free at start-up (single thread). The PCRE2 match
 * context holding the limits is read-only after compile and shared.
 */
#include "route/expr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "route/expr_tree.h"
#include "util/buf.h"

/* Limits that keep one hostile line from stalling the pipeline thread: a
 * regex gives up (counted, treated as no decision) after this many internal
 * steps. Typical route regexes need a few hundred. */
#define LR_REGEX_MATCH_LIMIT 100000u
#define LR_REGEX_DEPTH_LIMIT 2000u
#define LR_REGEX_HEAP_LIMIT_KIB 4096u
/* Nesting of '(' and 'not': deeper is surely a mistake, and bounds recursion. */
#define LR_EXPR_MAX_DEPTH 64

/* ------------------------------------------------------------------------ */
/* Tree ownership                                                            */
/* ------------------------------------------------------------------------ */

static void operand_free(operand *o)
{
    if (o->is_field)
        lr_path_free(&o->path);
    else if (o->lit.kind == LR_VAL_STRING)
        free((char *)o->lit.u.s);
}

static void node_free(node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    operand_free(&n->l);
    operand_free(&n->r);
    for (size_t i = 0; i < n->nlist; i++)
        if (n->list[i].kind == LR_VAL_STRING)
            free((char *)n->list[i].u.s);
    free(n->list);
    if (n->re)
        pcre2_code_free(n->re);
    lr_litset_free(n->lits);
    free(n);
}

void lr_expr_free(lr_expr *e)
{
    if (!e)
        return;
    node_free(e->root);
    lr_expr_program_free(e);
    if (e->mctx)
        pcre2_match_context_free(e->mctx);
    free(e->text);
    free(e);
}

const char *lr_expr_text(const lr_expr *e)
{
    return e->text;
}

uint64_t lr_expr_regex_failures(const lr_expr *e)
{
    return atomic_load_explicit(&e->regex_failures, memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* Parser                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct parser {
    const char *s;
    size_t len;
    size_t pos;
    int depth;
    bool failed;
    size_t err_off;
    char *err;
    size_t errlen;
    lr_expr *e;
} parser;

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    return p;
}

static node *node_new(node_kind kind)
{
    node *n = xcalloc(1, sizeof *n);
    n->kind = kind;
    return n;
}

static bool is_name_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '@';
}

static bool is_name_char(unsigned char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len &&
           (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

/* Describes what sits at `off` for messages: 'word', or the end. */
static void describe_at(const parser *p, size_t off, char *out, size_t outlen)
{
    if (off >= p->len) {
        snprintf(out, outlen, "the end of the condition");
        return;
    }
    size_t n = 0;
    if (is_name_char((unsigned char)p->s[off])) {
        while (off + n < p->len && n < 24 && is_name_char((unsigned char)p->s[off + n]))
            n++;
    } else {
        while (off + n < p->len && n < 24 && p->s[off + n] != ' ' &&
               !is_name_char((unsigned char)p->s[off + n]))
            n++;
        if (n == 0)
            n = 1;
    }
    snprintf(out, outlen, "'%.*s'", (int)n, p->s + off);
}

static void fail_at(parser *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail_at(parser *p, size_t off, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    p->err_off = off;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, p->errlen, fmt, ap);
    va_end(ap);
}

/* True (and consumes it) when the keyword `kw` is next as a whole word. */
static bool accept_kw(parser *p, const char *kw)
{
    skip_ws(p);
    size_t n = strlen(kw);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, kw, n) != 0)
        return false;
    if (p->pos + n < p->len && is_name_char((unsigned char)p->s[p->pos + n]))
        return false;
    p->pos += n;
    return true;
}

static bool word_is(const char *s, size_t n, const char *kw)
{
    return strlen(kw) == n && memcmp(s, kw, n) == 0;
}

static node *parse_or(parser *p);

/* "..." or '...'; \" \' \\ are escapes, other backslashes stay (regexes read naturally). */
static bool parse_string(parser *p, lr_value *out)
{
    size_t start = p->pos;
    char q = p->s[p->pos++];
    lr_buf b;
    lr_buf_init(&b, 1u << 20);
    for (;;) {
        if (p->pos >= p->len) {
            lr_buf_free(&b);
            fail_at(p, start, "unterminated string: the closing %c is missing", q);
            return false;
        }
        char c = p->s[p->pos];
        if (c == q)
            break;
        if (c == '\\' && p->pos + 1 < p->len &&
            (p->s[p->pos + 1] == '"' || p->s[p->pos + 1] == '\'' || p->s[p->pos + 1] == '\\')) {
            lr_buf_append_char(&b, p->s[p->pos + 1]);
            p->pos += 2;
            continue;
        }
        lr_buf_append_char(&b, c);
        p->pos++;
    }
    p->pos++;
    size_t n = 0;
    char *s = lr_buf_steal(&b, &n);
    if (!s) {
        fail_at(p, start, "string too long");
        return false;
    }
    *out = (lr_value){.kind = LR_VAL_STRING, .len = (uint32_t)n, .u.s = s};
    return true;
}

static bool parse_number(parser *p, lr_value *out)
{
    size_t start = p->pos;
    size_t i = p->pos;
    if (p->s[i] == '-')
        i++;
    while (i < p->len && is_digit((unsigned char)p->s[i]))
        i++;
    if (i < p->len && p->s[i] == '.' && i + 1 < p->len && is_digit((unsigned char)p->s[i + 1])) {
        i++;
        while (i < p->len && is_digit((unsigned char)p->s[i]))
            i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->len && (p->s[j] == '+' || p->s[j] == '-'))
            j++;
        if (j < p->len && is_digit((unsigned char)p->s[j])) {
            i = j;
            while (i < p->len && is_digit((unsigned char)p->s[i]))
                i++;
        }
    }
    if (i < p->len && (is_name_char((unsigned char)p->s[i]) || p->s[i] == '.')) {
        fail_at(p, start, "invalid number (a field name cannot start with a digit; write [\"%.*s\"])",
                (int)(i - start + 1), p->s + start);
        return false;
    }
    if (!lr_expr_parse_number(p->s + start, i - start, out)) {
        fail_at(p, start, "invalid number");
        return false;
    }
    p->pos = i;
    return true;
}

static bool parse_literal(parser *p, lr_value *out)
{
    skip_ws(p);
    if (p->pos >= p->len) {
        fail_at(p, p->pos, "expected a value but the condition ends here");
        return false;
    }
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '"' || c == '\'')
        return parse_string(p, out);
    if (is_digit(c) || (c == '-' && p->pos + 1 < p->len && is_digit((unsigned char)p->s[p->pos + 1])))
        return parse_number(p, out);
    if (accept_kw(p, "true")) {
        *out = lr_value_bool(true);
        return true;
    }
    if (accept_kw(p, "false")) {
        *out = lr_value_bool(false);
        return true;
    }
    if (accept_kw(p, "null")) {
        *out = (lr_value){.kind = LR_VAL_NULL};
        return true;
    }
    char what[40];
    describe_at(p, p->pos, what, sizeof what);
    fail_at(p, p->pos, "expected a value (a quoted string, a number, true, false or null) but found %s",
            what);
    return false;
}

static bool parse_path(parser *p, lr_path *out)
{
    size_t err_off = 0;
    char msg[160];
    size_t n = lr_path_parse(p->s + p->pos, p->len - p->pos, out, &err_off, msg, sizeof msg);
    if (!n) {
        fail_at(p, p->pos + err_off, "%s", msg);
        return false;
    }
    p->pos += n;
    return true;
}

/* An operand is a value (field or literal, filled into *o) or a condition
 * (exists(...) or a parenthesised expression, returned). */
static node *parse_operand(parser *p, operand *o, bool *is_value)
{
    *is_value = false;
    skip_ws(p);
    if (p->pos >= p->len) {
        fail_at(p, p->pos, "the condition ends early: a field, a value or '(' is missing");
        return NULL;
    }
    size_t start = p->pos;
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '(') {
        if (++p->depth > LR_EXPR_MAX_DEPTH) {
            fail_at(p, start, "conditions nested deeper than %d levels", LR_EXPR_MAX_DEPTH);
            return NULL;
        }
        p->pos++;
        node *n = parse_or(p);
        if (!n)
            return NULL;
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ')') {
            char what[40];
            describe_at(p, p->pos, what, sizeof what);
            fail_at(p, p->pos, "expected ')' to close the '(' at column %zu, found %s",
                    lr_expr_column(p->s, start), what);
            node_free(n);
            return NULL;
        }
        p->pos++;
        p->depth--;
        return n;
    }
    if (c == '!' && !(p->pos + 1 < p->len && (p->s[p->pos + 1] == '=' || p->s[p->pos + 1] == '~'))) {
        fail_at(p, start, "'!' is not an operator here; write 'not'");
        return NULL;
    }
    if (is_name_start(c)) {
        size_t n = 0;
        while (p->pos + n < p->len && is_name_char((unsigned char)p->s[p->pos + n]))
            n++;
        const char *w = p->s + p->pos;
        if (word_is(w, n, "exists")) {
            size_t after = p->pos + n;
            p->pos = after;
            skip_ws(p);
            if (p->pos < p->len && p->s[p->pos] == '(') {
                p->pos++;
                skip_ws(p);
                node *e = node_new(N_EXISTS);
                e->l.is_field = true;
                if (!parse_path(p, &e->l.path)) {
                    node_free(e);
                    return NULL;
                }
                skip_ws(p);
                if (p->pos >= p->len || p->s[p->pos] != ')') {
                    char what[40];
                    describe_at(p, p->pos, what, sizeof what);
                    fail_at(p, p->pos, "expected ')' after the field in exists(...), found %s", what);
                    node_free(e);
                    return NULL;
                }
                p->pos++;
                return e;
            }
            p->pos = start; /* a field called "exists" */
        } else if (word_is(w, n, "and") || word_is(w, n, "or") || word_is(w, n, "not") ||
                   word_is(w, n, "in")) {
            fail_at(p, start, "expected a field or a value but found the keyword '%.*s'", (int)n, w);
            return NULL;
        } else if (word_is(w, n, "true") || word_is(w, n, "false") || word_is(w, n, "null")) {
            *is_value = true;
            o->is_field = false;
            parse_literal(p, &o->lit);
            return NULL;
        }
    }
    if (is_name_start(c) || c == '[') {
        *is_value = true;
        o->is_field = true;
        parse_path(p, &o->path);
        return NULL;
    }
    if (c == '"' || c == '\'' || is_digit(c) ||
        (c == '-' && p->pos + 1 < p->len && is_digit((unsigned char)p->s[p->pos + 1]))) {
        *is_value = true;
        o->is_field = false;
        parse_literal(p, &o->lit);
        return NULL;
    }
    char what[40];
    describe_at(p, p->pos, what, sizeof what);
    fail_at(p, start,
            "expected a field, a quoted string, a number, true, false, null, exists(...) or '(' but found %s",
            what);
    return NULL;
}

/* Recognises a comparison operator at the current position. */
static bool accept_op(parser *p, cmp_op *op, bool *is_in)
{
    skip_ws(p);
    *is_in = false;
    if (p->pos >= p->len)
        return false;
    const char *s = p->s + p->pos;
    size_t left = p->len - p->pos;
    static const struct {
        const char *text;
        cmp_op op;
    } ops[] = {{"==", OP_EQ},    {"!=", OP_NE},     {"<=", OP_LE}, {">=", OP_GE},
               {"=~", OP_MATCH}, {"!~", OP_NMATCH}, {"<", OP_LT},  {">", OP_GT}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].text);
        if (left >= n && memcmp(s, ops[i].text, n) == 0) {
            *op = ops[i].op;
            p->pos += n;
            return true;
        }
    }
    if (s[0] == '=') {
        fail_at(p, p->pos, "'=' is not an operator; write '==' to compare");
        return false;
    }
    if (accept_kw(p, "in")) {
        *is_in = true;
        return true;
    }
    return false;
}

static node *parse_in_list(parser *p, node *n)
{
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != '[') {
        char what[40];
        describe_at(p, p->pos, what, sizeof what);
        fail_at(p, p->pos, "expected '[' after 'in', found %s", what);
        node_free(n);
        return NULL;
    }
    p->pos++;
    size_t cap = 4;
    n->list = xcalloc(cap, sizeof *n->list);
    for (;;) {
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ']' && n->nlist == 0) {
            fail_at(p, p->pos, "the list after 'in' is empty");
            break;
        }
        if (p->pos < p->len && (is_name_start((unsigned char)p->s[p->pos]) || p->s[p->pos] == '[')) {
            size_t n2 = 0;
            while (p->pos + n2 < p->len && is_name_char((unsigned char)p->s[p->pos + n2]))
                n2++;
            const char *w = p->s + p->pos;
            if (!word_is(w, n2, "true") && !word_is(w, n2, "false") && !word_is(w, n2, "null")) {
                fail_at(p, p->pos,
                        "the list after 'in' holds values only (quoted strings, numbers, true, false, null)");
                break;
            }
        }
        if (n->nlist == cap) {
            cap *= 2;
            lr_value *nl = realloc(n->list, cap * sizeof *nl);
            if (!nl) {
                fputs("logrelay: out of memory\n", stderr);
                abort();
            }
            n->list = nl;
        }
        if (!parse_literal(p, &n->list[n->nlist]))
            break;
        n->nlist++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == ']') {
            p->pos++;
            return n;
        }
        char what[40];
        describe_at(p, p->pos, what, sizeof what);
        fail_at(p, p->pos, "expected ',' or ']' in the list after 'in', found %s", what);
        break;
    }
    node_free(n);
    return NULL;
}

static node *compile_regex(parser *p, node *n, size_t lit_off)
{
    const lr_value *pat = &n->r.lit;
    int code = 0;
    PCRE2_SIZE eoff = 0;
    n->re = pcre2_compile((PCRE2_SPTR)pat->u.s, pat->len, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &eoff,
                          NULL);
    if (!n->re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        fail_at(p, lit_off, "invalid regular expression: %s (at offset %zu of the pattern)",
                (const char *)msg, (size_t)eoff);
        node_free(n);
        return NULL;
    }
    /* JIT is an optimisation: without it (unsupported CPU, no exec memory)
     * the interpreter gives the same answers. */
    n->jit = pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE) == 0;
    /* PCRE2 has accepted it; when it is only plain strings most subjects are
     * decided without PCRE2 (route/litset.h), which stays the fallback */
    n->lits = lr_litset_compile(pat->u.s, pat->len);
    if (!p->e->mctx) {
        p->e->mctx = pcre2_match_context_create(NULL);
        if (!p->e->mctx) {
            fputs("logrelay: out of memory\n", stderr);
            abort();
        }
        pcre2_set_match_limit(p->e->mctx, LR_REGEX_MATCH_LIMIT);
        pcre2_set_depth_limit(p->e->mctx, LR_REGEX_DEPTH_LIMIT);
        pcre2_set_heap_limit(p->e->mctx, LR_REGEX_HEAP_LIMIT_KIB);
    }
    return n;
}

static node *parse_cmp(parser *p)
{
    operand left = {0};
    bool is_value = false;
    skip_ws(p);
    size_t start = p->pos;
    node *cond = parse_operand(p, &left, &is_value);
    if (p->failed) {
        operand_free(&left);
        node_free(cond);
        return NULL;
    }
    skip_ws(p);
    size_t op_off = p->pos;
    cmp_op op = OP_EQ;
    bool is_in = false;
    bool has_op = accept_op(p, &op, &is_in);
    if (p->failed) {
        operand_free(&left);
        node_free(cond);
        return NULL;
    }
    if (!is_value) {
        if (has_op) {
            fail_at(p, op_off, "a condition (exists(...) or a parenthesised expression) cannot be compared");
            node_free(cond);
            return NULL;
        }
        return cond;
    }
    if (!has_op) {
        if (!left.is_field && left.lit.kind == LR_VAL_BOOL) {
            node *n = node_new(N_CONST);
            n->value = left.lit.u.b;
            return n;
        }
        operand_free(&left);
        size_t save = p->pos;
        bool ends = p->pos >= p->len || p->s[p->pos] == ')' || accept_kw(p, "and") || accept_kw(p, "or");
        p->pos = save;
        if (ends) {
            fail_at(
                p, start,
                "a value alone is not a condition: compare it (field == \"value\") or test exists(field)");
        } else {
            char what[40];
            describe_at(p, p->pos, what, sizeof what);
            fail_at(p, p->pos, "expected a comparison operator (== != < <= > >= =~ !~ in) but found %s",
                    what);
        }
        return NULL;
    }
    if (is_in) {
        node *n = node_new(N_IN);
        n->l = left;
        return parse_in_list(p, n);
    }
    node *n = node_new(N_CMP);
    n->op = op;
    n->l = left;
    skip_ws(p);
    size_t right_off = p->pos;
    bool right_value = false;
    node *rcond = parse_operand(p, &n->r, &right_value);
    if (p->failed) {
        node_free(rcond);
        node_free(n);
        return NULL;
    }
    if (!right_value) {
        node_free(rcond);
        node_free(n);
        fail_at(p, right_off, "a condition (exists(...) or a parenthesised expression) cannot be compared");
        return NULL;
    }
    if (op == OP_MATCH || op == OP_NMATCH) {
        if (n->r.is_field || n->r.lit.kind != LR_VAL_STRING) {
            node_free(n);
            fail_at(p, right_off, "the right side of %s must be a quoted regular expression",
                    op == OP_MATCH ? "=~" : "!~");
            return NULL;
        }
        return compile_regex(p, n, right_off);
    }
    return n;
}

static node *parse_not(parser *p)
{
    if (accept_kw(p, "not")) {
        size_t off = p->pos;
        if (++p->depth > LR_EXPR_MAX_DEPTH) {
            fail_at(p, off, "conditions nested deeper than %d levels", LR_EXPR_MAX_DEPTH);
            return NULL;
        }
        node *kid = parse_not(p);
        p->depth--;
        if (!kid)
            return NULL;
        node *n = node_new(N_NOT);
        n->kids = xcalloc(1, sizeof *n->kids);
        n->kids[0] = kid;
        n->nkids = 1;
        return n;
    }
    return parse_cmp(p);
}

typedef node *(*parse_fn)(parser *p);

/* n-ary chain of `kw`-separated operands: flat, so long chains do not
 * deepen the evaluator's recursion. */
static node *parse_chain(parser *p, node_kind kind, const char *kw, parse_fn sub)
{
    node *first = sub(p);
    if (!first)
        return NULL;
    if (!accept_kw(p, kw))
        return first;
    node *n = node_new(kind);
    size_t cap = 4;
    n->kids = xcalloc(cap, sizeof *n->kids);
    n->kids[n->nkids++] = first;
    do {
        node *k = sub(p);
        if (!k) {
            node_free(n);
            return NULL;
        }
        if (n->nkids == cap) {
            cap *= 2;
            node **nk = realloc(n->kids, cap * sizeof *nk);
            if (!nk) {
                fputs("logrelay: out of memory\n", stderr);
                abort();
            }
            n->kids = nk;
        }
        n->kids[n->nkids++] = k;
    } while (accept_kw(p, kw));
    return n;
}

static node *parse_and(parser *p)
{
    return parse_chain(p, N_AND, "and", parse_not);
}

static node *parse_or(parser *p)
{
    return parse_chain(p, N_OR, "or", parse_and);
}

size_t lr_expr_column(const char *text, size_t off)
{
    /* columns count characters, as editors (and libyaml) do */
    size_t col = 1;
    for (size_t i = 0; i < off && text[i]; i++)
        if (((unsigned char)text[i] & 0xc0) != 0x80)
            col++;
    return col;
}

lr_expr *lr_expr_compile(const char *text, int *err_col, char *err, size_t errlen)
{
    lr_expr *e = xcalloc(1, sizeof *e);
    atomic_init(&e->regex_failures, 0);
    char scratch[8];
    parser p = {.s = text,
                .len = strlen(text),
                .e = e,
                .err = err ? err : scratch,
                .errlen = err ? errlen : sizeof scratch};
    if (err && errlen)
        err[0] = '\0';
    skip_ws(&p);
    if (p.pos == p.len) {
        fail_at(&p, p.pos, "the condition is empty");
    } else {
        e->root = parse_or(&p);
        skip_ws(&p);
        if (!p.failed && p.pos < p.len) {
            char what[40];
            describe_at(&p, p.pos, what, sizeof what);
            char c = p.s[p.pos];
            if (c == ')')
                fail_at(&p, p.pos, "')' without a matching '('");
            else if (c == '&' || c == '|')
                fail_at(&p, p.pos, "found %s: write 'and' / 'or'", what);
            else
                fail_at(&p, p.pos, "expected 'and', 'or' or the end of the condition, found %s", what);
        }
    }
    if (p.failed) {
        if (err_col)
            *err_col = (int)lr_expr_column(text, p.err_off);
        lr_expr_free(e);
        return NULL;
    }
    lr_expr_program_build(e);
    e->text = strdup(text);
    if (!e->text) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    return e;
}
