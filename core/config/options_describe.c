/*
 * options_describe.c: an option table as text, for `logrelay describe
 * <type>` (aligned columns) and for module READMEs (a Markdown table). Both
 * print the same rows: key, type, default, allowed values or bounds,
 * required, description. Secret options are marked and their defaults never
 * shown. Single-threaded (writes to a FILE).
 */
#include <string.h>

#include "config/options_internal.h"

typedef struct row {
    const char *key;
    char type[40];
    char def[256];
    char allowed[512];
    const char *required;
    const char *description;
} row;

static void allowed_text(const lr_option *opt, char *out, size_t outlen)
{
    if (opt->type == LR_OPT_ENUM) {
        size_t len = 0;
        out[0] = '\0';
        for (size_t i = 0; opt->enum_values && opt->enum_values[i] && len < outlen; i++) {
            int w = snprintf(out + len, outlen - len, "%s%s", i ? ", " : "", opt->enum_values[i]);
            if (w < 0)
                break;
            len += (size_t)w;
        }
    } else if (opt->type == LR_OPT_BOOL) {
        snprintf(out, outlen, "true, false");
    } else if (opt->type == LR_OPT_MODE) {
        snprintf(out, outlen, "octal, 0000..7777");
    } else if (lr_opt_has_bounds(opt)) {
        lr_opt_bounds_text(opt, out, outlen);
    } else {
        snprintf(out, outlen, "-");
    }
}

static void make_row(const lr_option *opt, row *r)
{
    const char *type = lr_opt_type_name(opt->type);
    r->key = opt->key;
    snprintf(r->type, sizeof r->type, "%s%s", type ? type : "?",
             (opt->flags & LR_OPT_SECRET) ? ", secret" : "");
    const char *def = opt->default_value;
    if (!def && opt->type == LR_OPT_ENUM && opt->enum_values)
        def = opt->enum_values[0]; /* what lr_options_apply uses */
    if (def && (opt->flags & LR_OPT_SECRET))
        def = "(hidden)";
    snprintf(r->def, sizeof r->def, "%s", def ? def : "-");
    allowed_text(opt, r->allowed, sizeof r->allowed);
    r->required = (opt->flags & LR_OPT_REQUIRED) ? "yes" : "no";
    r->description = opt->description ? opt->description : "";
}

static size_t width(size_t w, const char *s)
{
    size_t n = strlen(s);
    return n > w ? n : w;
}

void lr_options_describe(FILE *out, const lr_option *table)
{
    size_t wk = strlen("KEY"), wt = strlen("TYPE"), wd = strlen("DEFAULT"), wa = strlen("ALLOWED");
    for (const lr_option *opt = table; opt && opt->key; opt++) {
        row r;
        make_row(opt, &r);
        wk = width(wk, r.key);
        wt = width(wt, r.type);
        wd = width(wd, r.def);
        wa = width(wa, r.allowed);
    }
    fprintf(out, "%-*s  %-*s  %-*s  %-*s  %-8s  %s\n", (int)wk, "KEY", (int)wt, "TYPE", (int)wd, "DEFAULT",
            (int)wa, "ALLOWED", "REQUIRED", "DESCRIPTION");
    for (const lr_option *opt = table; opt && opt->key; opt++) {
        row r;
        make_row(opt, &r);
        fprintf(out, "%-*s  %-*s  %-*s  %-*s  %-8s  %s\n", (int)wk, r.key, (int)wt, r.type, (int)wd, r.def,
                (int)wa, r.allowed, r.required, r.description);
    }
}

/* A table cell: `|` would end the cell, a newline the row. */
static void md_cell(FILE *out, const char *s, bool code)
{
    fputs(code ? " `" : " ", out);
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if (*s == '\n')
            fputc(' ', out);
        else
            fputc(*s, out);
    }
    fputs(code ? "` |" : " |", out);
}

void lr_options_markdown(FILE *out, const lr_option *table)
{
    fputs("| Key | Type | Default | Allowed | Required | Description |\n", out);
    fputs("|-----|------|---------|---------|----------|-------------|\n", out);
    for (const lr_option *opt = table; opt && opt->key; opt++) {
        row r;
        make_row(opt, &r);
        fputs("|", out);
        md_cell(out, r.key, true);
        md_cell(out, r.type, false);
        md_cell(out, r.def, strcmp(r.def, "-") != 0 && strcmp(r.def, "(hidden)") != 0);
        md_cell(out, r.allowed, false);
        md_cell(out, r.required, false);
        md_cell(out, r.description, false);
        fputc('\n', out);
    }
}
