/*
 * Unit tests for route conditions (core/route/expr.c): precedence, the
 * comparison rules across types, missing fields, regexes, `in`, exists(),
 * field path spellings, and compile errors with their column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse/parse.h"
#include "record/record.h"
#include "route/bytes.h"
#include "route/expr.h"
#include "route/path.h"

/* ------------------------------------------------------------------------ */
/* Fixture: JSON text -> lr_value tree owned by a record's arena             */
/* ------------------------------------------------------------------------ */

static lr_value to_value(lr_record *rec, json_t *j)
{
    lr_value v = {0};
    switch (json_typeof(j)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(j), i = 0;
        lr_member *m = lr_record_members(rec, n);
        const char *k;
        json_t *x;
        json_object_foreach(j, k, x)
        {
            m[i].key = lr_record_str(rec, k, strlen(k));
            m[i].key_len = (uint32_t)strlen(k);
            m[i].value = to_value(rec, x);
            i++;
        }
        v.kind = LR_VAL_OBJECT;
        v.len = (uint32_t)n;
        v.u.members = m;
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        lr_value *items = lr_record_alloc(rec, n * sizeof *items + 1);
        for (size_t i = 0; i < n; i++)
            items[i] = to_value(rec, json_array_get(j, i));
        v.kind = LR_VAL_ARRAY;
        v.len = (uint32_t)n;
        v.u.items = items;
        break;
    }
    case JSON_STRING:
        v = lr_value_string(lr_record_str(rec, json_string_value(j), json_string_length(j)),
                            json_string_length(j));
        break;
    case JSON_INTEGER:
        v = lr_value_int(json_integer_value(j));
        break;
    case JSON_REAL:
        v = lr_value_float(json_real_value(j));
        break;
    case JSON_TRUE:
        v = lr_value_bool(true);
        break;
    case JSON_FALSE:
        v = lr_value_bool(false);
        break;
    default:
        v.kind = LR_VAL_NULL;
        break;
    }
    return v;
}

static lr_record *record_from_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad fixture JSON: %s: %s", jerr.text, text);
    lr_record *rec = lr_record_new(text, strlen(text), 0);
    lr_value root = to_value(rec, j);
    lr_record_set_root(rec, (lr_member *)root.u.members, root.len);
    json_decref(j);
    return rec;
}

/* A CDN access record as the cdn_access parser types it, and a provider WAF record. */
static const char *access_json =
    "{\"@timestamp\":\"2020-09-14T12:44:19.475Z\",\"clientip\":\"203.0.113.7\",\"verb\":\"GET\","
    "\"statuscode\":503,\"bytes\":621,\"hitmiss\":\"miss\",\"layer\":\"L1\","
    "\"content-type\":\"application/javascript\",\"requesttime\":0.000193,\"clientid\":\"83\","
    "\"severity\":\"2\",\"cached\":true,\"note\":null,\"version\":\"10\"}";

static const char *waf_json =
    "{\"transaction\":{\"client_ip\":\"198.51.100.4\",\"request\":{\"method\":\"POST\",\"uri\":\"/wp-admin\","
    "\"headers\":{\"Host\":\"example.org\",\"content-type\":\"text/html\",\"Cookie\":\"a=b\"}},"
    "\"response\":{\"http_code\":403},"
    "\"messages\":{\"message\":\"XSS Attack Detected via libinjection\","
    "\"details\":{\"ruleId\":\"941100\",\"severity\":\"2\",\"tags\":[\"attack-xss\",\"OWASP_CRS\"]}}},"
    "\"a.b\":\"dotted key\",\"odd key\":{\"x.y\":7}}";

/* ModSecurity's own shape: messages is an array. */
static const char *waf_array_json =
    "{\"transaction\":{\"messages\":[{\"message\":\"first\",\"details\":{\"severity\":\"4\"}},"
    "{\"message\":\"second\",\"details\":{\"ruleId\":\"942100\",\"severity\":\"2\"}}]}}";

/* ------------------------------------------------------------------------ */
/* Batches: every single answer is also checked as a batch answer            */
/* ------------------------------------------------------------------------ */

static void take_record(lr_record *rec, void *arg)
{
    *(lr_record **)arg = rec;
}

/* One cdn_access line parsed as the pipeline parses it (key_slots filled). */
static lr_record *parse_access_line(const char *line)
{
    lr_parse_stats st;
    memset(&st, 0, sizeof st);
    lr_record *rec = NULL;
    lr_parse_message_at(LR_FORMAT_CDN_ACCESS, NULL, line, strlen(line), 1600000000000, &st, take_record,
                        &rec);
    if (!rec)
        fail_msg("no record from %s", line);
    return rec;
}

/* The root a record's routes look at (as routes.c builds it). */
static lr_expr_root root_of(const lr_record *rec)
{
    lr_expr_root root;
    lr_expr_root_init(&root, rec->ev.fields, rec->fields_unique_keys,
                      rec->has_key_slots ? rec->key_slots : NULL);
    return root;
}

static const char *const access_lines[] = {
    "203.0.113.9 - alice [14/Sep/2020:12:44:19 +0000] \"GET /wp-login.php HTTP/1.1\" 503 - \"Googlebot/2.1\" "
    "miss \"text/html\" \"L1\" 2.5 \"83\" \"-\" https ES",
    "198.51.100.7 - - [14/Sep/2020:12:44:19 +0000] vod.example.com \"GET /live/a.ts HTTP/2.0\" 200 1327 "
    "\"-\" \"okhttp/4.8.1\" \"video/mp2t\" \"hit\" \"L2\" \"83\" 0.002140 https",
    "2001:db8::1 - - [14/Sep/2020:12:44:19 +0000] \"-\" 400 0 \"-\" hit \"-\" \"L1\" 0.0 \"83\" \"-\" "
    "http FR",
    "192.0.2.11 - - [14/Sep/2020:12:44:20 +0000] \"HEAD /api/items HTTP/1.1\" 504 87 \"Mozilla/5.0\" hit "
    "\"application/json\" \"L2\" 1.250 \"2\" \"https://www.example.com/\" https FR",
    "192.0.2.12 - - [14/Sep/2020:12:44:21 +0000] \"POST /login.php HTTP/1.1\" 200 1024 \"curl/8.0\" miss "
    "\"text/html\" \"L1\" 0.310 \"83\" \"-\" https ES",
    "this is not an access log line", /* a parse failure: raw message and parse_error */
};

/* Records placed around the one under test in eval_on's batches: JSON
 * records of several shapes and parsed cdn_access records (slot lookups).
 * Made on first use, freed by the group teardown. */
static lr_record *fillers[16];
static lr_expr_root filler_roots[16];
static size_t nfillers;

static void fillers_make(void)
{
    if (nfillers)
        return;
    static const char *const json[] = {
        "{\"statuscode\":200,\"layer\":\"L2\",\"hitmiss\":\"hit\",\"verb\":\"POST\",\"severity\":\"5\"}",
        "{\"statuscode\":\"503\",\"layer\":\"L1\",\"a\":0,\"b\":1,\"c\":1,\"s\":\"aaaa\"}",
        "{}",
        ("{\"transaction\":{\"messages\":{\"details\":{\"severity\":\"4\",\"ruleId\":\"920350\"}}},"
         "\"a.b\":\"other\",\"uri\":\"/index.html\",\"ua\":\"curl/"
         "8\",\"code\":404,\"rt\":1.5,\"flag\":false}"),
        "{\"layer\":null,\"verb\":\"GET\",\"requesttime\":\"abc\",\"cached\":false,\"note\":1,\"q\":\"x\"}",
    };
    for (size_t i = 0; i < sizeof json / sizeof json[0]; i++) {
        fillers[nfillers] = record_from_json(json[i]);
        filler_roots[nfillers] = root_of(fillers[nfillers]);
        nfillers++;
    }
    static const char *const *const docs[] = {&access_json, &waf_json, &waf_array_json};
    for (size_t i = 0; i < 3; i++) {
        fillers[nfillers] = record_from_json(*docs[i]);
        lr_expr_root_init(&filler_roots[nfillers], fillers[nfillers]->ev.fields, true,
                          NULL); /* distinct keys */
        nfillers++;
    }
    for (size_t i = 0; i < sizeof access_lines / sizeof access_lines[0]; i++) {
        fillers[nfillers] = parse_access_line(access_lines[i]);
        filler_roots[nfillers] = root_of(fillers[nfillers]);
        nfillers++;
    }
}

static int fillers_free(void **state)
{
    (void)state;
    for (size_t i = 0; i < nfillers; i++)
        lr_record_unref(fillers[i]);
    nfillers = 0;
    return 0;
}

/* lr_expr_eval_batch with the record under test (root `subject`, answer
 * `want` record by record) at bits 0, 1, 31 and 63 of a full batch of other
 * records, under several `active` masks: every bit must be the answer of
 * its own record alone where active, 0 elsewhere. Then a batch of the
 * subject alone at every bit. */
static void check_batch(const lr_expr *e, const lr_expr_root *subject, bool want)
{
    static const unsigned positions[] = {0, 1, 31, 63};
    static const uint64_t masks[] = {~0ull,
                                     0,
                                     0x5555555555555555ull,
                                     0xaaaaaaaaaaaaaaaaull,
                                     0x00000000ffffffffull,
                                     0xffffffff00000000ull,
                                     0x8000000000000001ull,
                                     0x0123456789abcdefull};
    lr_expr_root roots[LR_EXPR_BATCH];
    fillers_make();
    for (size_t p = 0; p < sizeof positions / sizeof positions[0]; p++) {
        unsigned pos = positions[p];
        uint64_t single = 0;
        for (unsigned j = 0; j < LR_EXPR_BATCH; j++) {
            roots[j] = j == pos ? *subject : filler_roots[(j + p) % nfillers];
            bool r = j == pos ? want : lr_expr_eval_root(e, &roots[j]);
            single |= (uint64_t)r << j;
        }
        for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
            const uint64_t variants[] = {masks[m], masks[m] | 1ull << pos, masks[m] & ~(1ull << pos)};
            for (size_t v = 0; v < 3; v++) {
                uint64_t active = variants[v];
                uint64_t got =
                    lr_expr_eval_batch(e, roots, active, lr_expr_roots_indexed(roots, LR_EXPR_BATCH));
                if (got != (single & active))
                    fail_msg(
                        "%s: record under test at bit %u, active %016llx: batch %016llx, one by one %016llx "
                        "(subject alone: %d)",
                        lr_expr_text(e), pos, (unsigned long long)active, (unsigned long long)got,
                        (unsigned long long)(single & active), want);
            }
        }
    }
    for (unsigned j = 0; j < LR_EXPR_BATCH; j++)
        roots[j] = *subject;
    uint64_t got = lr_expr_eval_batch(e, roots, ~0ull, lr_expr_roots_indexed(roots, LR_EXPR_BATCH));
    if (got != (want ? ~0ull : 0))
        fail_msg("%s: 64 copies of the record: batch %016llx, one by one %d", lr_expr_text(e),
                 (unsigned long long)got, want);
}

/* Compile (must succeed) and evaluate against the record, one record alone
 * and in batches (the answers must agree). */
static bool eval_on(const char *expr, const lr_record *rec)
{
    char err[256];
    int col = 0;
    lr_expr *e = lr_expr_compile(expr, &col, err, sizeof err);
    if (!e)
        fail_msg("compile failed: %s: column %d: %s", expr, col, err);
    bool r = lr_expr_eval(e, rec->ev.fields);
    lr_expr_root root;
    lr_expr_root_init(&root, rec->ev.fields, false, NULL); /* as lr_expr_eval sees it */
    check_batch(e, &root, r);
    lr_expr_free(e);
    return r;
}

#define assert_match(expr, rec) assert_true(eval_on(expr, rec))
#define assert_no_match(expr, rec) assert_false(eval_on(expr, rec))

/* ------------------------------------------------------------------------ */
/* Tests                                                                     */
/* ------------------------------------------------------------------------ */

static void test_precedence(void **state)
{
    (void)state;
    lr_record *rec = record_from_json("{\"a\":1,\"b\":0,\"c\":0}");
    /* and binds tighter than or */
    assert_match("a == 1 or b == 1 and c == 1", rec);
    assert_no_match("(a == 1 or b == 1) and c == 1", rec);
    assert_match("b == 1 and c == 1 or a == 1", rec);
    /* not binds tighter than and */
    assert_no_match("not a == 1 and b == 0", rec);
    assert_match("not (a == 1 and b == 1)", rec);
    assert_match("not not a == 1", rec);
    assert_no_match("not (a == 1 or b == 1)", rec);
    assert_match("((((a == 1))))", rec);
    assert_match("a == 1 and b == 0 and c == 0 and not c == 1", rec);
    assert_match("b == 1 or c == 1 or a == 1", rec);
    assert_match("true", rec);
    assert_no_match("false", rec);
    assert_match("false or true", rec);
    /* whitespace is free, newlines included (folded YAML) */
    assert_match("a==1\n  and\tb==0", rec);
    lr_record_unref(rec);
}

static void test_numbers_and_numeric_strings(void **state)
{
    (void)state;
    lr_record *rec = record_from_json(access_json);
    assert_match("statuscode >= 500", rec);
    assert_match("statuscode == 503", rec);
    assert_match("statuscode == \"503\"", rec); /* number vs numeric string: numeric */
    assert_match("statuscode == 503.0", rec);
    assert_match("statuscode < 600 and statuscode > 499", rec);
    assert_no_match("statuscode < 500", rec);
    assert_match("severity <= \"2\"", rec); /* both strings: bytewise, "2" <= "2" */
    assert_match("severity <= 2", rec);     /* string field vs number: numeric */
    assert_match("severity == 2", rec);
    assert_no_match("severity > 2", rec);
    assert_match("severity == 2.0", rec);
    assert_no_match("severity == \"2.0\"", rec); /* two strings: bytes differ */
    assert_match("clientid == 83", rec);
    assert_match("requesttime < 0.001", rec);
    assert_match("requesttime > 1.9e-4", rec);
    assert_match("requesttime == \"0.000193\"", rec);
    assert_match("bytes != 0", rec);
    assert_match("-1 < bytes", rec);
    /* a number against a non-numeric string is neither equal nor ordered */
    assert_no_match("layer == 1", rec);
    assert_match("layer != 1", rec);
    assert_no_match("layer < 1", rec);
    assert_no_match("layer >= 1", rec);
    /* two strings compare by bytes: "10" sorts before "9" */
    assert_match("version < \"9\"", rec);
    assert_match("version > 9", rec); /* ... but numerically against a number */
    lr_record_unref(rec);
}

static void test_strings_bools_null(void **state)
{
    (void)state;
    lr_record *rec = record_from_json(access_json);
    assert_match("layer == \"L1\"", rec);
    assert_match("layer == 'L1'", rec);
    assert_no_match("layer == \"l1\"", rec); /* case matters */
    assert_match("layer < \"L2\"", rec);
    assert_match("hitmiss != \"hit\"", rec);
    assert_match("verb >= \"GET\" and verb <= \"GET\"", rec);
    assert_no_match("verb < \"GET\"", rec);
    assert_match("clientip > \"\"", rec);
    assert_match("cached == true", rec);
    assert_match("cached != false", rec);
    assert_match("cached == \"true\"", rec);
    assert_no_match("cached == 1", rec);    /* booleans are not numbers */
    assert_no_match("cached > false", rec); /* booleans are not ordered */
    assert_match("note == null", rec);
    assert_no_match("note != null", rec);
    assert_no_match("note == \"\"", rec);
    assert_match("layer != null", rec);
    lr_record_unref(rec);

    rec = record_from_json("{\"q\":\"say \\\"hi\\\" \\\\ 'x'\"}");
    assert_match("q == \"say \\\"hi\\\" \\\\ 'x'\"", rec);
    assert_match("q == 'say \"hi\" \\\\ \\'x\\''", rec);
    lr_record_unref(rec);
}

static void test_missing_fields(void **state)
{
    (void)state;
    lr_record *rec = record_from_json(access_json);
    assert_no_match("nope == 1", rec);
    assert_no_match("nope == \"x\"", rec);
    assert_no_match("nope == null", rec);
    assert_match("nope != 1", rec);
    assert_match("nope != null", rec);
    assert_no_match("nope < 1", rec);
    assert_no_match("nope <= 1", rec);
    assert_no_match("nope > 1", rec);
    assert_no_match("nope >= 1", rec);
    assert_no_match("nope =~ \".*\"", rec);
    assert_no_match("nope !~ \"x\"", rec);
    assert_no_match("nope in [1, \"x\", null]", rec);
    assert_no_match("exists(nope)", rec);
    assert_match("not exists(nope)", rec);
    assert_match("not nope == 1", rec);
    assert_no_match("statuscode.deeper == 1", rec); /* a path through a scalar is missing too */
    assert_no_match("nope == nope2", rec);
    assert_match("nope != nope2", rec);
    lr_record_unref(rec);
}

static void test_regex(void **state)
{
    (void)state;
    lr_record *rec = record_from_json(access_json);
    assert_match("clientip =~ \"^203\\.0\\.\"", rec);
    assert_match("clientip =~ '^203\\.0\\.'", rec);
    assert_match("clientip =~ \"\\d+\\.\\d+\"", rec); /* unknown escapes stay for PCRE2 */
    assert_no_match("clientip =~ \"^10\\.\"", rec);
    assert_match("clientip !~ \"^10\\.\"", rec);
    assert_no_match("clientip !~ \"^203\"", rec);
    assert_match("content-type =~ \"javascript$\"", rec);
    assert_match("layer =~ \"(?i)^l1$\"", rec);
    assert_no_match("layer =~ \"^l1$\"", rec);
    /* numbers match their decimal text, booleans "true"/"false" */
    assert_match("statuscode =~ \"^5\\d\\d$\"", rec);
    assert_no_match("statuscode =~ \"^4\"", rec);
    assert_match("requesttime =~ \"^0\\.000193$\"", rec);
    assert_match("cached =~ \"^true$\"", rec);
    /* null has no text: neither =~ nor !~ holds */
    assert_no_match("note =~ \".*\"", rec);
    assert_no_match("note !~ \"x\"", rec);
    lr_record_unref(rec);

    rec = record_from_json(waf_json);
    assert_match("transaction.messages.details.ruleId =~ \"^94\"", rec);
    assert_match("transaction.messages.message =~ \"XSS|SQLi\"", rec);
    /* objects and arrays have no text either */
    assert_no_match("transaction.request =~ \".*\"", rec);
    assert_no_match("transaction.messages.details.tags !~ \"x\"", rec);
    lr_record_unref(rec);

    /* bytes that are not UTF-8 do not make the match fail */
    lr_record *raw = lr_record_new("x", 1, 0);
    lr_member *m = lr_record_members(raw, 1);
    m[0].key = "msg";
    m[0].key_len = 3;
    m[0].value = lr_value_string("ab\xff\xfe"
                                 "cd",
                                 6);
    lr_record_set_root(raw, m, 1);
    assert_match("msg =~ \"cd$\"", raw);
    assert_match("msg =~ \"^ab\"", raw);
    lr_record_unref(raw);
}

static void test_regex_match_limit(void **state)
{
    (void)state;
    char subject[80];
    memset(subject, 'a', 60);
    memcpy(subject + 60, "!", 2);
    char json[160];
    snprintf(json, sizeof json, "{\"s\":\"%s\"}", subject);
    lr_record *rec = record_from_json(json);
    char err[256];
    int col = 0;
    /* catastrophic backtracking: must give up instead of spinning */
    lr_expr *e = lr_expr_compile("s =~ \"^(a+)+$\"", &col, err, sizeof err);
    assert_non_null(e);
    assert_false(lr_expr_eval(e, rec->ev.fields));
    assert_int_equal(lr_expr_regex_failures(e), 1);
    lr_expr_free(e);
    e = lr_expr_compile("s !~ \"^(a+)+$\"", &col, err, sizeof err);
    assert_non_null(e);
    assert_false(lr_expr_eval(e, rec->ev.fields)); /* no decision is not "does not match" */
    assert_int_equal(lr_expr_regex_failures(e), 1);
    lr_expr_free(e);
    /* cheaper tests go first, but never past a regex only PCRE2 runs: it
     * runs (and counts its failure) exactly when written to */
    e = lr_expr_compile("s =~ \"^(a+)+$\" and nope == 1", &col, err, sizeof err);
    assert_false(lr_expr_eval(e, rec->ev.fields));
    assert_int_equal(lr_expr_regex_failures(e), 1);
    lr_expr_free(e);
    e = lr_expr_compile("nope == 1 and s =~ \"^(a+)+$\"", &col, err, sizeof err);
    assert_false(lr_expr_eval(e, rec->ev.fields));
    assert_int_equal(lr_expr_regex_failures(e), 0);
    lr_expr_free(e);
    lr_record_unref(rec);
}

static void test_in_lists(void **state)
{
    (void)state;
    lr_record *rec = record_from_json(access_json);
    assert_match("statuscode in [500, 502, 503, 504]", rec);
    assert_match("statuscode in [\"503\"]", rec);
    assert_no_match("statuscode in [200, 404]", rec);
    assert_match("verb in [\"GET\", \"HEAD\"]", rec);
    assert_match("verb in ['POST','GET']", rec);
    assert_no_match("verb in [\"get\"]", rec);
    assert_match("severity in [1, 2]", rec);
    assert_match("note in [null]", rec);
    assert_match("cached in [true]", rec);
    assert_match("not verb in [\"POST\"]", rec);
    assert_match("verb in [\"POST\"] or layer in [\"L1\", \"L2\"]", rec);
    lr_record_unref(rec);
}

static void test_exists(void **state)
{
    (void)state;
    lr_record *rec = record_from_json(access_json);
    assert_match("exists(statuscode)", rec);
    assert_match("exists(note)", rec); /* present with a null value */
    assert_match("exists( content-type )", rec);
    assert_match("exists(@timestamp) and not exists(parse_error)", rec);
    lr_record_unref(rec);
    rec = record_from_json(waf_json);
    assert_match("exists(transaction.request.headers.Cookie)", rec);
    assert_no_match("exists(transaction.request.headers.Authorization)", rec);
    assert_match("exists(transaction.messages.details)", rec);
    lr_record_unref(rec);
}

static void test_paths(void **state)
{
    (void)state;
    lr_record *rec = record_from_json(waf_json);
    assert_match("transaction.request.headers.content-type == \"text/html\"", rec);
    assert_match("transaction.request.headers[\"content-type\"] == \"text/html\"", rec);
    assert_match("transaction[\"request\"].headers.[\"Host\"] == \"example.org\"", rec);
    assert_match("[\"transaction\"][\"response\"][\"http_code\"] == 403", rec);
    assert_match("transaction.response.http_code >= 400", rec);
    assert_match("a.b == \"dotted key\"", rec); /* a key containing a dot */
    assert_match("[\"a.b\"] == \"dotted key\"", rec);
    assert_match("[\"odd key\"][\"x.y\"] == 7", rec); /* quoted segments keep their dots */
    assert_match("[\"odd key\"].x.y == 7", rec);
    assert_no_match("[\"odd key\"][\"x\"] == 7", rec);
    lr_record_unref(rec);

    rec = record_from_json(access_json);
    assert_match("@timestamp > \"2020-09-14\"", rec);
    assert_match("[\"@timestamp\"] =~ \"^2020-09-14T\"", rec);
    lr_record_unref(rec);

    /* through arrays: the first element that has the rest of the path */
    rec = record_from_json(waf_array_json);
    assert_match("transaction.messages.message == \"first\"", rec);
    assert_match("transaction.messages.details.ruleId == \"942100\"", rec);
    assert_match("transaction.messages.details.severity == \"4\"", rec);
    lr_record_unref(rec);
}

/* Route paths find exactly what the record model's lookup finds (the host's
 * event_get uses it), including keys that hold dots, arrays and duplicates. */
static void test_path_lookup_matches_record_model(void **state)
{
    (void)state;
    static const char *docs[] = {
        "{\"a\":{\"b\":{\"c\":1}},\"a.b\":{\"c\":2},\"a.b.c\":3}",
        "{\"a\":{\"b\":{\"x\":1}},\"a.b\":{\"c\":2}}",
        "{\"a\":{\"b.c\":5,\"b\":{\"c\":6}},\"x\":[{\"y\":1},{\"z\":{\"w\":2}},{\"z\":{\"w\":3}}]}",
        "{\"a\":[[{\"b\":1}],{\"b\":2}],\"\":{\"\":7}}",
        "{\"t\":{\"m\":{\"d\":{\"s\":\"2\"}},\"m.d\":{\"r\":\"9\"}}}",
    };
    static const char *paths[] = {"a",     "a.b",  "a.b.c",    "a.b.x",   "a.b.c.d", "x.y",
                                  "x.z.w", "x.w",  "a.b.c.x",  "t.m.d.s", "t.m.d.r", "t.m",
                                  "t.m.d", "nope", "a.nope.c", "x"};
    for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
        lr_record *rec = record_from_json(docs[d]);
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            lr_path p;
            char err[128];
            assert_int_equal(lr_path_parse_all(paths[i], strlen(paths[i]), &p, err, sizeof err), 0);
            const lr_value *want = lr_value_get_path(rec->ev.fields, paths[i], strlen(paths[i]));
            const lr_value *got = lr_path_get(rec->ev.fields, &p);
            if (got != want)
                fail_msg("doc %zu path %s: route lookup %p, record lookup %p", d, paths[i], (const void *)got,
                         (const void *)want);
            lr_path_free(&p);
        }
        lr_record_unref(rec);
    }
}

typedef struct bad_case {
    const char *text;
    int col;
    const char *msg; /* a fragment of the message */
} bad_case;

static void test_compile_errors(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"", 1, "empty"},
        {"   ", 4, "empty"},
        {"statuscode >= ", 15, "ends early"},
        {"statuscode >= 500 and", 22, "ends early"},
        {"statuscode = 500", 12, "'=='"},
        {"statuscode >= 500 layer == \"L1\"", 19, "expected 'and', 'or'"},
        {"(statuscode >= 500", 19, "expected ')' to close the '(' at column 1"},
        {"statuscode >= 500)", 18, "without a matching '('"},
        {"layer == \"L1", 10, "unterminated string"},
        {"layer == 'L1", 10, "unterminated string"},
        {"statuscode", 1, "a value alone is not a condition"},
        {"statuscode 500", 12, "expected a comparison operator"},
        {"a == 1 && b == 2", 8, "'and'"},
        {"a == 1 || b == 2", 8, "'or'"},
        {"!exists(a)", 1, "write 'not'"},
        {"a =~ b", 6, "quoted regular expression"},
        {"a !~ 5", 6, "quoted regular expression"},
        {"path =~ \"^/(api\"", 9, "missing closing parenthesis"},
        {"path =~ \"[z-a]\"", 9, "range out of order"},
        {"a in 1", 6, "expected '['"},
        {"a in []", 7, "empty"},
        {"a in [1, b]", 10, "values only"},
        {"a in [1 2]", 9, "expected ',' or ']'"},
        {"exists(a) == true", 11, "cannot be compared"},
        {"a == exists(b)", 6, "cannot be compared"},
        {"(a == 1) == true", 10, "cannot be compared"},
        {"exists(a", 9, "expected ')'"},
        {"exists()", 8, "expected a field name"},
        {"a. == 1", 3, "expected a name after '.'"},
        {"a[b] == 1", 3, "quoted name"},
        {"a[\"b\" == 1", 6, "expected ']'"},
        {"and == 1", 1, "keyword 'and'"},
        {"a == and", 6, "keyword 'and'"},
        {"a == 12abc", 6, "invalid number"},
        {"a == - 1", 6, "expected a field"},
        {"a == 1 or", 10, "ends early"},
        {"a or b == 1", 1, "a value alone"},
        {"not", 4, "ends early"},
        {"a == 1 )", 8, "without a matching"},
        {"ñandú == 1", 1, "expected a field"},
        {"x == \"ñ\" and ñ == 1", 14, "expected a field"}, /* columns count characters */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        int col = 0;
        lr_expr *e = lr_expr_compile(cases[i].text, &col, err, sizeof err);
        if (e)
            fail_msg("compiled but should not: %s", cases[i].text);
        if (col != cases[i].col || !strstr(err, cases[i].msg))
            fail_msg("%s: got column %d '%s', want column %d with '%s'", cases[i].text, col, err,
                     cases[i].col, cases[i].msg);
    }
}

static void test_nesting_limit(void **state)
{
    (void)state;
    char text[1024];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        text[n++] = '(';
    memcpy(text + n, "a == 1", 6);
    n += 6;
    for (int i = 0; i < 100; i++)
        text[n++] = ')';
    text[n] = '\0';
    char err[256];
    int col = 0;
    assert_null(lr_expr_compile(text, &col, err, sizeof err));
    assert_non_null(strstr(err, "nested deeper"));
    /* long flat chains are fine */
    char chain[8192];
    size_t c = 0;
    for (int i = 0; i < 500; i++)
        c += (size_t)snprintf(chain + c, sizeof chain - c, "%sa == %d", i ? " or " : "", i);
    lr_expr *e = lr_expr_compile(chain, &col, err, sizeof err);
    assert_non_null(e);
    lr_record *rec = record_from_json("{\"a\":499}");
    assert_true(lr_expr_eval(e, rec->ev.fields));
    lr_record_unref(rec);
    lr_expr_free(e);
}

static void test_text_kept(void **state)
{
    (void)state;
    char err[64];
    int col = 0;
    lr_expr *e = lr_expr_compile("statuscode >= 500", &col, err, sizeof err);
    assert_non_null(e);
    assert_string_equal(lr_expr_text(e), "statuscode >= 500");
    lr_expr_free(e);
}

/* Regexes that are plain strings take the literal path (core/route/litset.c):
 * the answers stay PCRE2's, for numbers' text too, and a caseless set leaves
 * non-ASCII text to PCRE2 (U+212A KELVIN SIGN is a caseless k). */
static void test_regex_literal_sets(void **state)
{
    (void)state;
    lr_record *rec =
        record_from_json("{\"ua\":\"Mozilla/5.0 (compatible; Googlebot/2.1)\",\"kelvin\":\"\u212Aiss\","
                         "\"uri\":\"/wp-login.php\",\"code\":503,\"rt\":0.5,\"flag\":true}");
    assert_match("ua =~ \"(?i)bot|crawler|spider\"", rec);
    assert_no_match("ua =~ \"BOT|Crawler|spider\"", rec);
    assert_match("ua !~ \"(?i)nikto|sqlmap\"", rec);
    assert_match("kelvin =~ \"(?i)kiss\"", rec); /* PCRE2 decides */
    assert_no_match("kelvin =~ \"kiss\"", rec);
    assert_match("uri =~ \"^/wp-(admin|login)\"", rec);
    assert_no_match("uri =~ \"^/(admin|login)\"", rec);
    assert_match("uri =~ \"\\.php\"", rec);
    assert_match("code =~ \"^5|^4\"", rec);
    assert_match("rt =~ \"0\\.5\"", rec);
    assert_match("flag =~ \"^tr\"", rec);
    assert_no_match("nope =~ \"x\"", rec);
    assert_no_match("nope !~ \"x\"", rec);
    /* operands reordered by cost give the same answers */
    assert_match("ua =~ \"(?i)bot\" and code == 503 and uri =~ \"^/wp-\"", rec);
    assert_no_match("ua =~ \"(?i)bot\" and code == 404", rec);
    assert_match("ua =~ \"(?i)nikto\" or not (code in [1, 2]) and uri =~ \"^/wp-\"", rec);
    assert_match("not (ua =~ \"(?i)nikto\" or code == 1) and (flag == true or nope == 1)", rec);
    lr_record_unref(rec);
}

/* A record built member by member: JSON objects cannot repeat keys. */
static lr_record *record_of(const char *const *keys, const int64_t *values, size_t n)
{
    lr_record *rec = lr_record_new("x", 1, 0);
    lr_member *m = lr_record_members(rec, n);
    for (size_t i = 0; i < n; i++) {
        m[i].key = keys[i];
        m[i].key_len = (uint32_t)strlen(keys[i]);
        m[i].value = lr_value_int(values[i]);
    }
    lr_record_set_root(rec, m, n);
    return rec;
}

static bool eval_root(const lr_expr *e, const lr_record *rec, bool unique_keys)
{
    lr_expr_root root;
    lr_expr_root_init(&root, rec->ev.fields, unique_keys, NULL);
    bool r = lr_expr_eval_root(e, &root);
    check_batch(e, &root, r);
    return r;
}

/* Slot hints (records whose keys are distinct): records of several layouts
 * (the same keys in other orders, other sizes, keys past the hints' reach)
 * take turns through one condition; then a record with a repeated key, where
 * a hint left at the second one must not be used: the first one wins. */
static void test_slot_hints(void **state)
{
    (void)state;
    static const char *const ka[] = {"x", "status", "layer"};
    static const char *const kb[] = {"layer", "status"};
    static const char *const kc[] = {"a", "b", "c", "layer", "y", "status"};
    static const int64_t va[] = {0, 503, 1}, vb[] = {1, 200}, vc[] = {0, 0, 0, 1, 0, 404};
    lr_record *a = record_of(ka, va, 3), *b = record_of(kb, vb, 2), *c = record_of(kc, vc, 6);
    const char *kbig[300];
    int64_t vbig[300];
    char names[300][8];
    for (size_t i = 0; i < 300; i++) {
        snprintf(names[i], sizeof names[i], "k%zu", i);
        kbig[i] = names[i];
        vbig[i] = 0;
    }
    kbig[299] = "status";
    vbig[299] = 599;
    kbig[298] = "layer";
    vbig[298] = 1;
    lr_record *big = record_of(kbig, vbig, 300);
    char err[256];
    int col = 0;
    lr_expr *e = lr_expr_compile("status >= 500 and layer == 1", &col, err, sizeof err);
    assert_non_null(e);
    lr_record *recs[] = {a, b, c, big};
    const bool want[] = {true, false, false, true};
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < 4; i++) {
            size_t k = (i * 7 + (size_t)round) % 4;
            assert_int_equal(eval_root(e, recs[k], true), want[k]);
            assert_int_equal(eval_root(e, recs[k], false), want[k]);
        }
    }
    /* status at slot 1 and again at slot 2: the hint for this layout points
     * at a slot holding "status" once a record with distinct keys put it there */
    static const char *const kd[] = {"x", "layer", "status"};
    static const int64_t vd[] = {0, 1, 503};
    static const char *const kdup[] = {"x", "status", "status"};
    static const int64_t vdup[] = {0, 200, 503};
    lr_record *d = record_of(kd, vd, 3), *dup = record_of(kdup, vdup, 3);
    lr_expr *s = lr_expr_compile("status >= 500", &col, err, sizeof err);
    assert_true(eval_root(s, d, true));
    assert_false(eval_root(s, dup, false)); /* the first status (200) wins */
    assert_false(lr_expr_eval(s, dup->ev.fields));
    lr_expr_free(s);
    lr_expr_free(e);
    lr_record_unref(a);
    lr_record_unref(b);
    lr_record_unref(c);
    lr_record_unref(d);
    lr_record_unref(dup);
    lr_record_unref(big);
}

/* Several threads evaluate the same compiled regexes at once. */
typedef struct thread_arg {
    const lr_expr *e;
    const lr_value *yes;
    const lr_value *no;
    int bad;
} thread_arg;

static void *eval_thread(void *p)
{
    thread_arg *a = p;
    for (int i = 0; i < 20000; i++) {
        if (!lr_expr_eval(a->e, a->yes) || lr_expr_eval(a->e, a->no))
            a->bad++;
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    char err[256];
    int col = 0;
    lr_expr *e = lr_expr_compile("uri =~ \"^/wp-(admin|login)\" and ua !~ \"(?i)bot\" and rt =~ \"^0\\.5$\"",
                                 &col, err, sizeof err);
    assert_non_null(e);
    lr_record *yes = record_from_json("{\"uri\":\"/wp-admin/x\",\"ua\":\"curl\",\"rt\":0.5}");
    lr_record *no = record_from_json("{\"uri\":\"/wp-admin/x\",\"ua\":\"GoogleBot\",\"rt\":0.5}");
    pthread_t t[4];
    thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (thread_arg){e, yes->ev.fields, no->ev.fields, 0};
        assert_int_equal(pthread_create(&t[i], NULL, eval_thread, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].bad, 0);
    }
    assert_int_equal(lr_expr_regex_failures(e), 0);
    lr_record_unref(yes);
    lr_record_unref(no);
    lr_expr_free(e);
}

static void keep_record(lr_record *rec, void *arg)
{
    *(lr_record **)arg = rec;
}

/* cdn_access records index their keys (key_slots): a condition takes a field
 * by its slot. The answers must be those of searching the members, in every
 * layout and with optional fields absent (user, bytes, country, verb). */
static void test_key_slots(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "203.0.113.9 - alice [14/Sep/2020:12:44:19 +0000] \"GET /wp-login.php HTTP/1.1\" 503 - "
        "\"Googlebot/2.1\" "
        "miss \"text/html\" \"L1\" 2.5 \"83\" \"-\" https ES",
        "198.51.100.7 - - [14/Sep/2020:12:44:19 +0000] vod.example.com \"GET /live/a.ts HTTP/2.0\" 200 1327 "
        "\"-\" \"okhttp/4.8.1\" \"video/mp2t\" \"hit\" \"L2\" \"83\" 0.002140 https",
        "2001:db8::1 - - [14/Sep/2020:12:44:19 +0000] \"-\" 400 0 \"-\" hit \"-\" \"L1\" 0.0 \"83\" \"-\" "
        "http FR",
    };
    static const struct {
        const char *cond;
        bool want[3];
    } cases[] = {
        {"statuscode >= 500 or (layer == \"L1\" and hitmiss == \"miss\")", {true, false, false}},
        {"requesttime > 1.5 and verb in [\"GET\", \"HEAD\"]", {true, false, false}},
        {"useragent =~ \"(?i)bot|crawler|spider\"", {true, false, false}},
        {"request =~ \"^/wp-(admin|login)\" and statuscode in [401, 403, 404, 503]", {true, false, false}},
        {"exists(user)", {true, false, false}},
        {"exists(bytes)", {false, true, true}},
        {"exists(vod_host) and vod_host == \"vod.example.com\"", {false, true, false}},
        {"exists(country)", {true, false, true}},
        {"exists(verb) or exists(httpversion)", {true, true, false}},
        {"request == \"-\"", {false, false, true}},
        {"content-type == \"video/mp2t\" and clientid == \"83\"", {false, true, false}},
        {"forwardedproto == \"http\" and clientip == \"2001:db8::1\"", {false, false, true}},
        {"@timestamp == \"2020-09-14T12:44:19.000Z\" and referer == \"-\"", {true, true, true}},
        {"not exists(nothing) and layer != \"L3\"", {true, true, true}},
    };
    lr_record *recs[3];
    for (size_t i = 0; i < 3; i++) {
        lr_parse_stats st;
        memset(&st, 0, sizeof st);
        recs[i] = NULL;
        lr_parse_message(LR_FORMAT_CDN_ACCESS, NULL, lines[i], strlen(lines[i]), &st, keep_record, &recs[i]);
        assert_non_null(recs[i]);
        assert_false(recs[i]->ev.parse_failed);
        assert_true(recs[i]->has_key_slots);
    }
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char err[256];
        int col = 0;
        lr_expr *e = lr_expr_compile(cases[c].cond, &col, err, sizeof err);
        if (!e)
            fail_msg("%s: %s", cases[c].cond, err);
        for (size_t i = 0; i < 3; i++) {
            lr_expr_root indexed, searched;
            lr_expr_root_init(&indexed, recs[i]->ev.fields, true, recs[i]->key_slots);
            lr_expr_root_init(&searched, recs[i]->ev.fields, false, NULL);
            bool a = lr_expr_eval_root(e, &indexed), b = lr_expr_eval_root(e, &searched);
            if (a != cases[c].want[i] || b != cases[c].want[i])
                fail_msg("%s on line %zu: indexed %d, searched %d, want %d", cases[c].cond, i + 1, a, b,
                         cases[c].want[i]);
        }
        lr_expr_free(e);
    }
    for (size_t i = 0; i < 3; i++)
        lr_record_unref(recs[i]);
}

/* ------------------------------------------------------------------------ */
/* Batch against record by record: generated conditions and records         */
/* ------------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64: a fixed sequence, so a failure reproduces */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static size_t pick(size_t n)
{
    return (size_t)(rnd() % n);
}

#define PICK(a) ((a)[pick(sizeof(a) / sizeof((a)[0]))])

/* A growable text (conditions, JSON records); snprintf into it. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
}

/* Values the records hold, as JSON: numbers, numeric strings, strings that
 * differ in their last byte or only past 16 bytes, bools, null. */
static const char *const json_values[] = {"200",
                                          "404",
                                          "503",
                                          "-1",
                                          "0",
                                          "2",
                                          "83",
                                          "1024",
                                          "503.0",
                                          "0.002",
                                          "1.5",
                                          "\"503\"",
                                          "\"2\"",
                                          "\"83\"",
                                          "\"10\"",
                                          "\"9\"",
                                          "\"2.0\"",
                                          "\"L1\"",
                                          "\"L2\"",
                                          "\"L1 \"",
                                          "\"\"",
                                          "\"miss\"",
                                          "\"hit\"",
                                          "\"GET\"",
                                          "\"HEAD\"",
                                          "\"POST\"",
                                          "\"text/html\"",
                                          "\"application/javascript\"",
                                          "\"a-very-long-string-past-16b\"",
                                          "\"a-very-long-string-past-16c\"",
                                          "\"Mozilla/5.0 (compatible; Googlebot/2.1)\"",
                                          "\"/wp-login.php\"",
                                          "\"941100\"",
                                          "\"-\"",
                                          "\"Crawler\"",
                                          "true",
                                          "false",
                                          "null",
                                          "[1,\"L1\"]",
                                          "{\"x\":1}"};

static const char *const top_keys[] = {"statuscode",  "layer",     "hitmiss",  "verb",         "bytes",
                                       "requesttime", "clientid",  "severity", "cached",       "note",
                                       "version",     "useragent", "request",  "content-type", "@timestamp"};

/* A JSON record: a random subset of the keys in a random order (so many
 * layouts), random values, sometimes a WAF-like transaction (messages an
 * object or an array) and a key holding dots. */
static lr_record *random_record(void)
{
    text t = {0};
    size_t order[sizeof top_keys / sizeof top_keys[0]];
    size_t nk = sizeof top_keys / sizeof top_keys[0];
    for (size_t i = 0; i < nk; i++)
        order[i] = i;
    for (size_t i = nk - 1; i > 0; i--) {
        size_t j = pick(i + 1), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    put(&t, "{");
    bool first = true;
    for (size_t i = 0; i < nk; i++) {
        if (pick(10) < 3)
            continue;
        put(&t, "%s\"%s\":%s", first ? "" : ",", top_keys[order[i]], PICK(json_values));
        first = false;
    }
    if (pick(10) < 4) {
        put(&t,
            "%s\"transaction\":{\"response\":{\"http_code\":%s},\"request\":{\"method\":%s,"
            "\"headers\":{\"Host\":%s}},",
            first ? "" : ",", PICK(json_values), PICK(json_values), PICK(json_values));
        if (pick(2))
            put(&t, "\"messages\":{\"details\":{\"severity\":%s,\"ruleId\":%s}}}", PICK(json_values),
                PICK(json_values));
        else
            put(&t, "\"messages\":[{\"message\":%s},{\"details\":{\"severity\":%s,\"ruleId\":%s}}]}",
                PICK(json_values), PICK(json_values), PICK(json_values));
        first = false;
    }
    if (pick(10) < 2) {
        put(&t, "%s\"odd key\":{\"x.y\":%s}", first ? "" : ",", PICK(json_values));
        first = false;
    }
    put(&t, "}");
    lr_record *rec = record_from_json(t.s);
    free(t.s);
    return rec;
}

static const char *const cond_fields[] = {"statuscode",
                                          "layer",
                                          "hitmiss",
                                          "verb",
                                          "bytes",
                                          "requesttime",
                                          "clientid",
                                          "severity",
                                          "cached",
                                          "note",
                                          "version",
                                          "useragent",
                                          "request",
                                          "content-type",
                                          "@timestamp",
                                          "nope",
                                          "statuscode.deeper",
                                          "transaction.response.http_code",
                                          "transaction.request.method",
                                          "transaction.request.headers.Host",
                                          "transaction.messages.details.severity",
                                          "transaction.messages.details.ruleId",
                                          "transaction.messages.message",
                                          "transaction.nope.deeper",
                                          "[\"odd key\"][\"x.y\"]"};

static const char *const cond_ints[] = {"0",   "-1",  "2",   "83",  "200", "403",
                                        "404", "500", "503", "599", "1024"};
static const char *const cond_floats[] = {"0.002", "1.5", "503.0", "2.0", "0.0001"};
static const char *const cond_strings[] = {"\"L1\"",
                                           "\"L2\"",
                                           "\"L1 \"",
                                           "\"\"",
                                           "\"miss\"",
                                           "\"hit\"",
                                           "\"GET\"",
                                           "'HEAD'",
                                           "\"POST\"",
                                           "\"2\"",
                                           "\"503\"",
                                           "\"83\"",
                                           "\"10\"",
                                           "\"9\"",
                                           "\"text/html\"",
                                           "\"application/javascript\"",
                                           "\"a-very-long-string-past-16b\"",
                                           "\"a-very-long-string-past-16x\"",
                                           "\"941100\"",
                                           "\"-\""};
static const char *const cond_specials[] = {"null", "true", "false"};
static const char *const cond_ops[] = {"==", "!=", "<", "<=", ">", ">="};
/* plain strings (the literal-set path) and real PCRE2 patterns */
static const char *const cond_regexes[] = {"(?i)bot|crawler|spider",
                                           "L1|L2",
                                           "miss",
                                           "^/wp-",
                                           "\\\\.php",
                                           "(?i)mozilla",
                                           "^5",
                                           "hit|miss",
                                           "^94",
                                           "^5\\\\d\\\\d$",
                                           "^(GET|HEAD)$",
                                           "^[0-9]+$",
                                           "^L[12]$",
                                           "(a|b)c*$",
                                           "^2\\\\d*\\\\.?\\\\d*$",
                                           "\\\\d{3}",
                                           "^$",
                                           "^true$"};

static const char *any_literal(void)
{
    switch (pick(4)) {
    case 0:
        return PICK(cond_ints);
    case 1:
        return PICK(cond_floats);
    case 2:
        return PICK(cond_strings);
    default:
        return PICK(cond_specials);
    }
}

/* One test of a condition. */
static void gen_atom(text *t)
{
    switch (pick(11)) {
    case 0:
    case 1:
        put(t, "%s %s %s", PICK(cond_fields), PICK(cond_ops), pick(3) ? PICK(cond_strings) : PICK(cond_ints));
        break;
    case 2:
        put(t, "%s %s %s", PICK(cond_fields), PICK(cond_ops), any_literal());
        break;
    case 3:
        put(t, "%s %s %s", any_literal(), PICK(cond_ops), PICK(cond_fields)); /* literal on the left */
        break;
    case 4:
    case 5: { /* a list of strings or of ints: short (compared whole) and long (early exit) */
        bool strs = pick(2);
        size_t n = 1 + pick(pick(3) ? 8 : 24);
        put(t, "%s in [", PICK(cond_fields));
        for (size_t i = 0; i < n; i++)
            put(t, "%s%s", i ? ", " : "", strs ? PICK(cond_strings) : PICK(cond_ints));
        put(t, "]");
        break;
    }
    case 6: { /* a mixed list */
        size_t n = 1 + pick(6);
        put(t, "%s in [", PICK(cond_fields));
        for (size_t i = 0; i < n; i++)
            put(t, "%s%s", i ? ", " : "", any_literal());
        put(t, "]");
        break;
    }
    case 7:
    case 8:
        put(t, "%s %s \"%s\"", PICK(cond_fields), pick(3) ? "=~" : "!~", PICK(cond_regexes));
        break;
    case 9:
        put(t, "exists(%s)", PICK(cond_fields));
        break;
    default:
        put(t, "%s %s %s", PICK(cond_fields), PICK(cond_ops), PICK(cond_fields)); /* two fields */
        break;
    }
}

/* A condition of and/or/not over atoms, nested up to `depth`. */
static void gen_cond(text *t, int depth)
{
    if (depth == 0 || pick(10) < 3) {
        if (pick(5) == 0)
            put(t, "not ");
        gen_atom(t);
        return;
    }
    if (pick(6) == 0) {
        put(t, "not (");
        gen_cond(t, depth - 1);
        put(t, ")");
        return;
    }
    size_t n = 2 + pick(3);
    const char *op = pick(2) ? " and " : " or ";
    put(t, "(");
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(t, "%s", pick(4) ? op : (op[1] == 'a' ? " or " : " and "));
        gen_cond(t, depth - 1);
    }
    put(t, ")");
}

/* A flat chain of n atoms joined by and/or: more tests than one batch
 * program holds when n is large (the record-by-record fallback). */
static void gen_chain(text *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            put(t, "%s", pick(3) ? " or " : " and ");
        if (pick(6) == 0)
            put(t, "not ");
        gen_atom(t);
    }
}

#define DIFF_RECORDS 60

typedef struct diff_totals {
    uint64_t yes, no; /* record answers seen */
} diff_totals;

/* One condition over several batches drawn from the records, under several
 * masks: batch bit i == lr_expr_eval_root on roots[i] alone where active. */
static void diff_one(const char *cond, const lr_expr_root *pool, size_t npool, diff_totals *tot)
{
    char err[256];
    int col = 0;
    lr_expr *e = lr_expr_compile(cond, &col, err, sizeof err);
    if (!e)
        fail_msg("generated condition did not compile: %s: column %d: %s", cond, col, err);
    lr_expr_root roots[LR_EXPR_BATCH];
    size_t which[LR_EXPR_BATCH];
    for (int b = 0; b < 3; b++) {
        uint64_t single = 0;
        for (unsigned i = 0; i < LR_EXPR_BATCH; i++) {
            which[i] = pick(npool);
            roots[i] = pool[which[i]];
            bool r = lr_expr_eval_root(e, &roots[i]);
            single |= (uint64_t)r << i;
            if (r)
                tot->yes++;
            else
                tot->no++;
        }
        const uint64_t masks[] = {~0ull,      rnd(),          rnd() & rnd(),    rnd() | rnd(),
                                  1ull << 63, 1ull << 63 | 1, 1ull << pick(64), ~0ull >> 1};
        for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++) {
            uint64_t got =
                lr_expr_eval_batch(e, roots, masks[m], lr_expr_roots_indexed(roots, LR_EXPR_BATCH));
            uint64_t want = single & masks[m];
            if (got != want) {
                uint64_t diff = got ^ want;
                unsigned i = (unsigned)__builtin_ctzll(diff);
                fail_msg("condition: %s\nactive %016llx: batch %016llx, one by one %016llx; first difference "
                         "at bit %u (record %zu of the pool): batch %d, alone %d",
                         cond, (unsigned long long)masks[m], (unsigned long long)got,
                         (unsigned long long)want, i, which[i], (int)(got >> i & 1), (int)(want >> i & 1));
            }
        }
    }
    lr_expr_free(e);
}

/* Generated conditions (every kind of test, nested and/or/not, missing
 * fields, numbers against numeric strings, literal sets and PCRE2) over
 * JSON records of many layouts and parsed cdn_access records: the batch
 * answers are the record-by-record answers, for random active masks, bit 63
 * included, and for conditions too long for a batch program. */
static void test_batch_equals_single(void **state)
{
    (void)state;
    rng_state = 20260127;
    lr_record *recs[DIFF_RECORDS];
    lr_expr_root pool[DIFF_RECORDS];
    size_t n = 0;
    static const char *const *const docs[] = {&access_json, &waf_json, &waf_array_json};
    for (size_t i = 0; i < 3; i++, n++) {
        recs[n] = record_from_json(*docs[i]);
        lr_expr_root_init(&pool[n], recs[n]->ev.fields, true, NULL);
    }
    for (size_t i = 0; i < sizeof access_lines / sizeof access_lines[0]; i++, n++) {
        recs[n] = parse_access_line(access_lines[i]);
        pool[n] = root_of(recs[n]);
    }
    assert_true(pool[3].key_slots != NULL); /* the slot path is exercised */
    while (n < DIFF_RECORDS) {
        recs[n] = random_record();
        /* jansson objects have distinct keys: half the roots say so (slot hints) */
        lr_expr_root_init(&pool[n], recs[n]->ev.fields, n % 2 == 0, NULL);
        n++;
    }
    diff_totals tot = {0, 0};
    text t = {0};
    for (int c = 0; c < 400; c++) {
        t.len = 0;
        gen_cond(&t, 1 + c % 4);
        diff_one(t.s, pool, n, &tot);
    }
    /* batches of parsed access lines only: every record carries the key
     * index, so tests on known keys take the batch's slotted loops */
    const size_t first_access = 3, naccess = 5;
    for (size_t i = first_access; i < first_access + naccess; i++)
        assert_non_null(pool[i].key_slots);
    for (int c = 0; c < 400; c++) {
        t.len = 0;
        gen_cond(&t, 1 + c % 4);
        diff_one(t.s, pool + first_access, naccess, &tot);
    }
    /* around and past the size of a batch program */
    static const size_t chains[] = {30, 62, 63, 64, 65, 66, 80, 120};
    for (size_t c = 0; c < sizeof chains / sizeof chains[0]; c++) {
        for (int k = 0; k < 3; k++) {
            t.len = 0;
            gen_chain(&t, chains[c]);
            diff_one(t.s, pool, n, &tot);
        }
    }
    /* a long condition with a known answer: 100 tests, only the last holds */
    t.len = 0;
    for (int i = 0; i < 99; i++)
        put(&t, "%sstatuscode == %d", i ? " or " : "", 10000 + i);
    put(&t, " or layer == \"L1\"");
    diff_one(t.s, pool, n, &tot);
    free(t.s);
    /* the conditions decide: neither answer is rare */
    if (tot.yes < tot.no / 10 || tot.no < tot.yes / 10)
        fail_msg("generated cases are one-sided: %llu true, %llu false", (unsigned long long)tot.yes,
                 (unsigned long long)tot.no);
    for (size_t i = 0; i < n; i++)
        lr_record_unref(recs[i]);
}

/* ------------------------------------------------------------------------ */
/* Branch-free byte comparisons (route/bytes.h)                              */
/* ------------------------------------------------------------------------ */

/* An exact-size heap copy of s[0..n) at offset `off` of its block (the
 * block ends where the string does, so ASan sees any read past it). */
static char *exact_copy(const char *s, size_t n, size_t off, char **block)
{
    *block = malloc(off + n);
    assert_true(*block != NULL || off + n == 0);
    if (n)
        memcpy(*block + off, s, n);
    return *block + off;
}

static void test_flat_bytes_eq(void **state)
{
    (void)state;
    char base[41], other[41];
    for (size_t i = 0; i < 41; i++)
        base[i] = (char)('A' + (i * 7) % 26);
    for (size_t n = 0; n <= 40; n++) {
        for (size_t off = 0; off < 8; off++) {
            char *ba, *bb;
            char *a = exact_copy(base, n, off, &ba);
            char *b = exact_copy(base, n, (off * 3) % 8, &bb);
            if (!lr_bytes_eq_flat(a, b, n))
                fail_msg("equal strings of %zu bytes (offset %zu) compare unequal", n, off);
            if (!lr_str_eq_flat(a, n, b, n))
                fail_msg("lr_str_eq_flat: equal strings of %zu bytes compare unequal", n);
            for (size_t p = 0; p < n; p++) {
                static const unsigned char flips[] = {0x01, 0x20, 0x80, 0xff};
                for (size_t f = 0; f < sizeof flips; f++) {
                    b[p] = (char)(b[p] ^ flips[f]);
                    if (lr_bytes_eq_flat(a, b, n) || lr_bytes_eq_flat(b, a, n))
                        fail_msg("%zu bytes differing at %zu (xor %02x) compare equal", n, p, flips[f]);
                    if (lr_str_eq_flat(a, n, b, n) || lr_str_eq_flat(b, n, a, n))
                        fail_msg("lr_str_eq_flat: %zu bytes differing at %zu compare equal", n, p);
                    b[p] = (char)(b[p] ^ flips[f]);
                }
            }
            free(ba);
            free(bb);
        }
    }
    /* lengths differ: never equal, and no byte past either string is read */
    for (size_t sl = 0; sl <= 40; sl++) {
        for (size_t n = 0; n <= 40; n++) {
            memcpy(other, base, sizeof other); /* one a prefix of the other: only lengths tell them apart */
            char *bs, *bl;
            char *s = exact_copy(base, sl, sl % 8, &bs);
            char *lit = exact_copy(other, n, n % 5, &bl);
            bool got = lr_str_eq_flat(s, sl, lit, n);
            if (got != (sl == n))
                fail_msg("lr_str_eq_flat(%zu bytes, %zu bytes) = %d", sl, n, got);
            free(bs);
            free(bl);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_numbers_and_numeric_strings),
        cmocka_unit_test(test_strings_bools_null),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_regex_match_limit),
        cmocka_unit_test(test_regex_literal_sets),
        cmocka_unit_test(test_slot_hints),
        cmocka_unit_test(test_key_slots),
        cmocka_unit_test(test_in_lists),
        cmocka_unit_test(test_exists),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_path_lookup_matches_record_model),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_text_kept),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_batch_equals_single),
        cmocka_unit_test(test_flat_bytes_eq),
    };
    return cmocka_run_group_tests(tests, NULL, fillers_free);
}
