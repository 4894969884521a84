/*
 * Unit tests for the route table (core/route/routes.c, transform.c): errors
 * at load with their locations, fan-out (each output once, in route order),
 * `final`, `from`, unrouted records, and transforms that stay inside their
 * own route's view (copy-on-write) including dotted paths into WAF records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "parse/parse.h"
#include "record/json_encode.h"
#include "record/record.h"
#include "route/routes.h"

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                  */
/* ------------------------------------------------------------------------ */

static const char *const outputs[] = {"datadog", "es", "archive", "deadletter-file", "unrouted-file", NULL};
enum { OUT_DATADOG, OUT_ES, OUT_ARCHIVE, OUT_DEADLETTER, OUT_UNROUTED, OUT_COUNT };

static int lookup_output(void *arg, const char *name)
{
    (void)arg;
    for (int i = 0; outputs[i]; i++)
        if (strcmp(outputs[i], name) == 0)
            return i;
    return -1;
}

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

/* A record whose fields are the JSON text, from a source topic and format. */
static lr_record *record_from_json(const char *text, const char *source, const char *format)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j)
        fail_msg("bad fixture JSON: %s: %s", jerr.text, text);
    lr_record *rec = lr_record_new(text, strlen(text), 0);
    lr_value root = to_value(rec, j);
    lr_record_set_root(rec, (lr_member *)root.u.members, root.len);
    lr_record_set_source(rec, source);
    rec->ev.format = format;
    json_decref(j);
    return rec;
}

typedef struct fixture {
    lr_config *cfg;
    lr_routes *routes;
    lr_errors errs;
} fixture;

/* Load YAML and build its routes; returns false (errors in f->errs) on failure. */
static bool load(fixture *f, const char *yaml, int unrouted)
{
    memset(f, 0, sizeof *f);
    lr_errors_init(&f->errs);
    f->cfg = lr_config_load_string(yaml, "conf.d/50-routes.yaml", &f->errs);
    if (!f->cfg)
        fail_msg("YAML did not load: %s", f->errs.text.data ? f->errs.text.data : "");
    f->routes = lr_routes_build(lr_cfg_get(f->cfg->root, "routes"), lookup_output, NULL, unrouted, &f->errs);
    return f->routes != NULL;
}

static void load_ok(fixture *f, const char *yaml, int unrouted)
{
    if (!load(f, yaml, unrouted))
        fail_msg("routes did not build:\n%s", f->errs.text.data ? f->errs.text.data : "");
}

static void unload(fixture *f)
{
    lr_routes_free(f->routes);
    lr_config_free(f->cfg);
    lr_errors_free(&f->errs);
}

static const char *errors_text(const fixture *f)
{
    return f->errs.text.data ? f->errs.text.data : "";
}

/* The error text holds `want` (a fragment of one line). */
static void expect_error(const char *yaml, const char *want)
{
    fixture f;
    if (load(&f, yaml, -1))
        fail_msg("built, but should fail with: %s", want);
    if (!strstr(errors_text(&f), want))
        fail_msg("error text\n%s\ndoes not contain\n%s", errors_text(&f), want);
    unload(&f);
}

static const char *view_json(const lr_route_target *t, size_t n, int output)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].output == output)
            return t[i].ev->json;
    return NULL;
}

static const lr_event *view_of(const lr_route_target *t, size_t n, int output)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].output == output)
            return t[i].ev;
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Build errors                                                              */
/* ------------------------------------------------------------------------ */

static void test_errors_point_at_the_place(void **state)
{
    (void)state;
    /* unknown key, with its line and column, and a suggestion */
    expect_error("routes:\n"
                 "  - name: r1\n"
                 "    too: [es]\n",
                 "conf.d/50-routes.yaml:3:5: key 'too': route 'r1': unknown key (did you mean 'to'?)");
    expect_error("routes:\n"
                 "  - name: r1\n"
                 "    to: [es]\n"
                 "    colour: blue\n",
                 "conf.d/50-routes.yaml:4:5: key 'colour': route 'r1': unknown key (a route has name");
    /* unknown output: named, located at the list item */
    expect_error("routes:\n"
                 "  - name: r1\n"
                 "    to: [es, elastic]\n",
                 "conf.d/50-routes.yaml:3:14: key 'to': route 'r1': unknown output 'elastic'");
    /* a syntax error: the `when` scalar's place, then the column inside the condition */
    expect_error(
        "routes:\n"
        "  - name: errors\n"
        "    when: 'statuscode >= 500 and or layer == \"L1\"'\n"
        "    to: datadog\n",
        "conf.d/50-routes.yaml:3:11: key 'when': route 'errors': column 23 of the condition: expected a "
        "field or a value but found the keyword 'or'");
    /* PCRE2's own message */
    expect_error(
        "routes:\n"
        "  - name: waf\n"
        "    when: 'transaction.messages.details.ruleId =~ \"^(94\"'\n"
        "    to: es\n",
        "conf.d/50-routes.yaml:3:11: key 'when': route 'waf': column 40 of the condition: invalid regular "
        "expression: missing closing parenthesis");
    expect_error("routes:\n"
                 "  - name: nowhere\n"
                 "    when: 'statuscode >= 500'\n",
                 "conf.d/50-routes.yaml:2:5: route 'nowhere': no outputs");
    expect_error("routes:\n"
                 "  - name: twice\n"
                 "    to: es\n"
                 "  - name: twice\n"
                 "    to: archive\n",
                 "conf.d/50-routes.yaml:4:11: key 'name': route 'twice' is already defined at "
                 "conf.d/50-routes.yaml:2");
    expect_error("routes:\n"
                 "  - name: f\n"
                 "    to: es\n"
                 "    final: maybe\n",
                 "conf.d/50-routes.yaml:4:12: key 'final': route 'f': expected true or false");
    expect_error("routes:\n"
                 "  - just-a-string\n",
                 "conf.d/50-routes.yaml:2:5: key 'routes': item 1: expected a route");
    expect_error("routes:\n"
                 "  - name: s\n"
                 "    set: {team: [a, b]}\n"
                 "    to: es\n",
                 "key 'set': route 's': the value of 'team' must be a constant");
    expect_error(
        "routes:\n"
        "  - name: s\n"
        "    remove: [transaction..Cookie]\n"
        "    to: es\n",
        "conf.d/50-routes.yaml:3:14: key 'remove': route 's': invalid field path 'transaction..Cookie'");
    expect_error("routes:\n"
                 "  - name: s\n"
                 "    rename: {a: a}\n"
                 "    to: es\n",
                 "key 'rename': route 's': 'a' is renamed to itself");
    expect_error("routes:\n"
                 "  - name: s\n"
                 "    from: {c83: yes}\n"
                 "    to: es\n",
                 "key 'from': route 's': expected a name or a list of names");
}

static void test_all_errors_reported_at_once(void **state)
{
    (void)state;
    fixture f;
    assert_false(load(&f,
                      "routes:\n"
                      "  - name: a\n"
                      "    when: 'x =='\n"
                      "    to: [nope]\n"
                      "  - name: b\n"
                      "    to: [es]\n"
                      "    finale: true\n",
                      -1));
    assert_int_equal(f.errs.count, 3);
    assert_non_null(strstr(errors_text(&f), ":3:11: key 'when': route 'a': column 5"));
    assert_non_null(strstr(errors_text(&f), ":4:10: key 'to': route 'a': unknown output 'nope'"));
    assert_non_null(
        strstr(errors_text(&f), ":7:5: key 'finale': route 'b': unknown key (did you mean 'final'?)"));
    unload(&f);
}

static void test_no_routes(void **state)
{
    (void)state;
    lr_errors errs;
    lr_errors_init(&errs);
    lr_routes *r = lr_routes_build(NULL, lookup_output, NULL, -1, &errs);
    assert_non_null(r);
    assert_int_equal(lr_routes_count(r), 0);
    lr_record *rec = record_from_json("{\"a\":1}", "c83", "cdn_access");
    lr_route_target t[OUT_COUNT];
    assert_int_equal(lr_routes_dispatch(r, rec, t, OUT_COUNT), 0);
    assert_int_equal(lr_routes_unrouted(r), 1);
    lr_record_unref(rec);
    lr_routes_free(r);
    lr_errors_free(&errs);
}

/* ------------------------------------------------------------------------ */
/* Fan-out, final, from, unrouted                                            */
/* ------------------------------------------------------------------------ */

static const char *fanout_yaml =
    "routes:\n"
    "  - name: errors-to-datadog\n"
    "    from: [c83]\n"
    "    when: 'statuscode >= 500 or (layer == \"L1\" and hitmiss == \"miss\")'\n"
    "    to: [datadog, archive]\n"
    "  - name: waf-critical\n"
    "    from: [c83_waf]\n"
    "    when: 'transaction.messages.details.severity <= \"2\"'\n"
    "    to: [es, archive]\n"
    "    final: true\n"
    "  - name: everything\n"
    "    to: [archive, es, archive]\n"
    "  - name: unparsed\n"
    "    when: 'exists(parse_error)'\n"
    "    to: deadletter-file\n";

static void test_fanout_each_output_once_in_order(void **state)
{
    (void)state;
    fixture f;
    load_ok(&f, fanout_yaml, -1);
    lr_route_target t[OUT_COUNT];

    /* a 503: errors-to-datadog and everything match; archive only once */
    lr_record *rec =
        record_from_json("{\"statuscode\":503,\"layer\":\"L2\",\"hitmiss\":\"hit\"}", "c83", "cdn_access");
    size_t n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 3);
    assert_int_equal(t[0].output, OUT_DATADOG);
    assert_int_equal(t[1].output, OUT_ARCHIVE);
    assert_int_equal(t[2].output, OUT_ES);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(t[i].ev, &rec->ev); /* no transforms: the record's own view */
        assert_string_equal(t[i].ev->json, "{\"statuscode\":503,\"layer\":\"L2\",\"hitmiss\":\"hit\"}");
    }
    lr_record_unref(rec);

    /* a 200 L1 hit: only `everything` */
    rec = record_from_json("{\"statuscode\":200,\"layer\":\"L1\",\"hitmiss\":\"hit\"}", "c83", "cdn_access");
    n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 2);
    assert_int_equal(t[0].output, OUT_ARCHIVE);
    assert_int_equal(t[1].output, OUT_ES);
    lr_record_unref(rec);

    /* the same 503 from another topic: `from` keeps errors-to-datadog out */
    rec = record_from_json("{\"statuscode\":503}", "c99", "cdn_access");
    n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 2);
    assert_null(view_of(t, n, OUT_DATADOG));
    lr_record_unref(rec);

    assert_int_equal(lr_routes_matched(f.routes, 0), 1);
    assert_int_equal(lr_routes_matched(f.routes, 2), 3);
    assert_int_equal(lr_routes_unrouted(f.routes), 0);
    unload(&f);
}

static void test_final_stops_later_routes(void **state)
{
    (void)state;
    fixture f;
    load_ok(&f, fanout_yaml, -1);
    lr_route_target t[OUT_COUNT];
    /* critical WAF record: waf-critical matches and is final: `everything` and `unparsed` are not evaluated
     */
    lr_record *rec = record_from_json("{\"transaction\":{\"messages\":{\"details\":{\"severity\":\"2\"}}},"
                                      "\"parse_error\":\"x\"}",
                                      "c83_waf", "waf_json");
    size_t n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 2);
    assert_int_equal(t[0].output, OUT_ES);
    assert_int_equal(t[1].output, OUT_ARCHIVE);
    assert_int_equal(lr_routes_matched(f.routes, 1), 1);
    assert_int_equal(lr_routes_matched(f.routes, 2), 0);
    assert_int_equal(lr_routes_matched(f.routes, 3), 0);
    lr_record_unref(rec);

    /* a final route that does not match does not stop anything */
    rec = record_from_json("{\"transaction\":{\"messages\":{\"details\":{\"severity\":\"5\"}}},"
                           "\"parse_error\":\"x\"}",
                           "c83_waf", "waf_json");
    n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 3);
    assert_int_equal(t[0].output, OUT_ARCHIVE);
    assert_int_equal(t[1].output, OUT_ES);
    assert_int_equal(t[2].output, OUT_DEADLETTER);
    lr_record_unref(rec);
    unload(&f);
}

static void test_from_matches_topic_or_format(void **state)
{
    (void)state;
    fixture f;
    load_ok(&f,
            "routes:\n"
            "  - name: by-format\n"
            "    from: waf_json\n"
            "    to: es\n"
            "  - name: by-topic\n"
            "    from: [c1, c83]\n"
            "    to: datadog\n",
            -1);
    lr_route_target t[OUT_COUNT];
    lr_record *rec = record_from_json("{}", "c83_waf", "waf_json");
    size_t n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].output, OUT_ES);
    lr_record_unref(rec);
    rec = record_from_json("{}", "c83", "cdn_access");
    n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].output, OUT_DATADOG);
    lr_record_unref(rec);
    rec = record_from_json("{}", "c8", "cdn_access");
    assert_int_equal(lr_routes_dispatch(f.routes, rec, t, OUT_COUNT), 0);
    lr_record_unref(rec);
    assert_int_equal(lr_routes_unrouted(f.routes), 1);
    unload(&f);
}

static void test_unrouted(void **state)
{
    (void)state;
    const char *yaml = "routes:\n"
                       "  - name: only-errors\n"
                       "    when: statuscode >= 500\n"
                       "    to: datadog\n"
                       "  - name: drop-health-checks\n"
                       "    when: request == \"/health\"\n"
                       "    final: true\n";
    lr_route_target t[OUT_COUNT];
    /* unrouted: drop -> no target, counted */
    fixture f;
    load_ok(&f, yaml, -1);
    lr_record *rec = record_from_json("{\"statuscode\":200}", "c83", "cdn_access");
    assert_int_equal(lr_routes_dispatch(f.routes, rec, t, OUT_COUNT), 0);
    assert_int_equal(lr_routes_unrouted(f.routes), 1);
    lr_record_unref(rec);
    /* a final route without outputs drops what it matches: not unrouted */
    rec = record_from_json("{\"statuscode\":200,\"request\":\"/health\"}", "c83", "cdn_access");
    assert_int_equal(lr_routes_dispatch(f.routes, rec, t, OUT_COUNT), 0);
    assert_int_equal(lr_routes_unrouted(f.routes), 1);
    assert_int_equal(lr_routes_matched(f.routes, 1), 1);
    lr_record_unref(rec);
    unload(&f);

    /* unrouted: <output> -> that output gets the record as it is */
    load_ok(&f, yaml, OUT_UNROUTED);
    rec = record_from_json("{\"statuscode\":200}", "c83", "cdn_access");
    size_t n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].output, OUT_UNROUTED);
    assert_ptr_equal(t[0].ev, &rec->ev);
    assert_string_equal(t[0].ev->json, "{\"statuscode\":200}");
    assert_int_equal(lr_routes_unrouted(f.routes), 1);
    lr_record_unref(rec);
    rec = record_from_json("{\"statuscode\":502}", "c83", "cdn_access");
    n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].output, OUT_DATADOG);
    assert_int_equal(lr_routes_unrouted(f.routes), 1);
    lr_record_unref(rec);
    unload(&f);
}

/* ------------------------------------------------------------------------ */
/* Transforms                                                                */
/* ------------------------------------------------------------------------ */

static const char *waf_record =
    "{\"transaction\":{\"client_ip\":\"198.51.100.4\",\"request\":{\"method\":\"POST\",\"uri\":\"/wp-admin\","
    "\"headers\":{\"Host\":\"example.org\",\"Cookie\":\"sid=1\",\"User-Agent\":\"curl/8\"}},"
    "\"response\":{\"http_code\":403},"
    "\"messages\":{\"message\":\"XSS\",\"details\":{\"ruleId\":\"941100\",\"severity\":\"2\"}}}}";

static void test_transforms_isolated_between_routes(void **state)
{
    (void)state;
    fixture f;
    load_ok(
        &f,
        "routes:\n"
        "  - name: secops\n"
        "    when: 'transaction.messages.details.severity <= 2'\n"
        "    set: {team: secops}\n"
        "    remove: [transaction.request.headers.Cookie]\n"
        "    to: es\n"
        "  - name: plain\n"
        "    when: 'exists(transaction.request.headers.Cookie)'\n" /* reads the record, not secops' view */
        "    to: archive\n"
        "  - name: other-team\n"
        "    set: {team: web, transaction.response.http_code: 418}\n"
        "    to: [datadog, es]\n",
        -1);
    lr_record *rec = record_from_json(waf_record, "c83_waf", "waf_json");
    lr_record_encode_json(rec);
    char *base_before = strdup(rec->ev.json);
    lr_route_target t[OUT_COUNT];
    size_t n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 3);

    const lr_event *es = view_of(t, n, OUT_ES);
    const lr_event *archive = view_of(t, n, OUT_ARCHIVE);
    const lr_event *dd = view_of(t, n, OUT_DATADOG);
    assert_string_equal(
        es->json,
        "{\"transaction\":{\"client_ip\":\"198.51.100.4\",\"request\":{\"method\":\"POST\",\"uri\":\"/"
        "wp-admin\","
        "\"headers\":{\"Host\":\"example.org\",\"User-Agent\":\"curl/8\"}},\"response\":{\"http_code\":403},"
        "\"messages\":{\"message\":\"XSS\",\"details\":{\"ruleId\":\"941100\",\"severity\":\"2\"}}},"
        "\"team\":\"secops\"}");
    /* the plain route sees the record untouched, and gets the record's own view */
    assert_ptr_equal(archive, &rec->ev);
    assert_string_equal(archive->json, base_before);
    /* the third route's set is its own: Cookie is back, team is web, es keeps secops' view */
    assert_string_equal(
        dd->json,
        "{\"transaction\":{\"client_ip\":\"198.51.100.4\",\"request\":{\"method\":\"POST\",\"uri\":\"/"
        "wp-admin\","
        "\"headers\":{\"Host\":\"example.org\",\"Cookie\":\"sid=1\",\"User-Agent\":\"curl/8\"}},"
        "\"response\":{\"http_code\":418},"
        "\"messages\":{\"message\":\"XSS\",\"details\":{\"ruleId\":\"941100\",\"severity\":\"2\"}}},"
        "\"team\":\"web\"}");
    /* the record itself is unchanged */
    assert_string_equal(rec->ev.json, base_before);
    assert_ptr_equal(rec->ev.fields, &rec->root);
    assert_int_equal(rec->root.len, 1);
    /* metadata travels with the view */
    assert_string_equal(es->source, "c83_waf");
    assert_string_equal(es->format, "waf_json");
    assert_ptr_equal(es->raw, rec->ev.raw);

    /* copy-on-write: untouched subtrees are shared, not copied */
    const lr_value *base_tx = &rec->root.u.members[0].value;
    const lr_value *es_tx = &es->fields->u.members[0].value;
    assert_ptr_not_equal(es_tx->u.members, base_tx->u.members); /* on the path: copied */
    assert_ptr_equal(es_tx->u.members[2].value.u.members,
                     base_tx->u.members[2].value.u.members); /* response */
    assert_ptr_equal(es_tx->u.members[3].value.u.members,
                     base_tx->u.members[3].value.u.members); /* messages */
    free(base_before);
    lr_record_unref(rec);
    unload(&f);
}

/* Apply one route's transforms to a record and return its view's JSON (strdup'd). */
static char *transformed(const char *yaml_transforms, const char *json)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "routes:\n  - name: t\n    to: es\n%s", yaml_transforms);
    fixture f;
    load_ok(&f, yaml, -1);
    lr_record *rec = record_from_json(json, "c83_waf", "waf_json");
    lr_route_target t[OUT_COUNT];
    size_t n = lr_routes_dispatch(f.routes, rec, t, OUT_COUNT);
    assert_int_equal(n, 1);
    char *out = strdup(t[0].ev->json);
    /* the record's own encoding never changes */
    lr_record_encode_json(rec);
    char *want = strdup(rec->ev.json);
    rec->ev.json = NULL;
    lr_record_encode_json(rec);
    assert_string_equal(rec->ev.json, want);
    free(want);
    lr_record_unref(rec);
    unload(&f);
    return out;
}

#define assert_transform(yaml, in, want)                                                                     \
    do {                                                                                                     \
        char *got_ = transformed(yaml, in);                                                                  \
        assert_string_equal(got_, want);                                                                     \
        free(got_);                                                                                          \
    } while (0)

static void test_dotted_remove_and_rename(void **state)
{
    (void)state;
    /* remove deep keys, several at once; missing ones are ignored */
    assert_transform(
        "    remove:\n"
        "      - transaction.request.headers.Cookie\n"
        "      - transaction.messages.details\n"
        "      - transaction.not.there\n",
        waf_record,
        "{\"transaction\":{\"client_ip\":\"198.51.100.4\",\"request\":{\"method\":\"POST\","
        "\"uri\":\"/wp-admin\",\"headers\":{\"Host\":\"example.org\",\"User-Agent\":\"curl/8\"}},"
        "\"response\":{\"http_code\":403},\"messages\":{\"message\":\"XSS\"}}}");
    /* rename inside one object keeps the member's place */
    assert_transform(
        "    rename: {transaction.request.headers.User-Agent: transaction.request.headers.ua}\n",
        "{\"transaction\":{\"request\":{\"headers\":{\"User-Agent\":\"curl/8\",\"Host\":\"h\"}}}}",
        "{\"transaction\":{\"request\":{\"headers\":{\"ua\":\"curl/8\",\"Host\":\"h\"}}}}");
    /* rename to another place moves the value (creating the parents) */
    assert_transform(
        "    rename: {transaction.client_ip: client.ip}\n", waf_record,
        "{\"transaction\":{\"request\":{\"method\":\"POST\",\"uri\":\"/wp-admin\","
        "\"headers\":{\"Host\":\"example.org\",\"Cookie\":\"sid=1\",\"User-Agent\":\"curl/8\"}},"
        "\"response\":{\"http_code\":403},"
        "\"messages\":{\"message\":\"XSS\",\"details\":{\"ruleId\":\"941100\",\"severity\":\"2\"}}},"
        "\"client\":{\"ip\":\"198.51.100.4\"}}");
    /* a whole object can move */
    assert_transform("    rename: {transaction.messages.details: rule}\n",
                     "{\"transaction\":{\"messages\":{\"message\":\"XSS\",\"details\":{\"ruleId\":\"1\"}}}}",
                     "{\"transaction\":{\"messages\":{\"message\":\"XSS\"}},\"rule\":{\"ruleId\":\"1\"}}");
    /* renaming onto an existing key replaces it */
    assert_transform("    rename: {a: b}\n", "{\"a\":1,\"b\":2,\"c\":3}", "{\"b\":1,\"c\":3}");
    /* renaming a missing key changes nothing */
    assert_transform("    rename: {x.y: z}\n", "{\"a\":1}", "{\"a\":1}");
    /* through an array (ModSecurity's unsplit messages): every element */
    assert_transform("    remove: [transaction.messages.details.data]\n"
                     "    rename: {transaction.messages.details.ruleId: transaction.messages.details.rule}\n",
                     "{\"transaction\":{\"messages\":[{\"details\":{\"ruleId\":\"1\",\"data\":\"x\"}},"
                     "{\"message\":\"m\"},{\"details\":{\"data\":\"y\",\"ruleId\":\"2\"}}]}}",
                     "{\"transaction\":{\"messages\":[{\"details\":{\"rule\":\"1\"}},"
                     "{\"message\":\"m\"},{\"details\":{\"rule\":\"2\"}}]}}");
    /* quoted segments and keys that contain dots */
    assert_transform("    remove: ['[\"a.b\"]', 'x[\"y.z\"]']\n",
                     "{\"a.b\":1,\"a\":{\"b\":2},\"x\":{\"y.z\":3,\"y\":{\"z\":4}}}",
                     "{\"a\":{\"b\":2},\"x\":{\"y\":{\"z\":4}}}");
    /* a bare dotted path also reaches a key holding the dots, as conditions do */
    assert_transform("    remove: [headers.x.forwarded]\n", "{\"headers\":{\"x.forwarded\":\"1\",\"y\":2}}",
                     "{\"headers\":{\"y\":2}}");
}

static void test_remove_duplicate_keys(void **state)
{
    (void)state;
    /* real WAF responses repeat Set-Cookie: all of them go */
    fixture f;
    load_ok(&f,
            "routes:\n"
            "  - name: strip\n"
            "    remove: [response.headers.Set-Cookie]\n"
            "    set: {response.headers.Server: hidden}\n"
            "    to: es\n",
            -1);
    lr_record *rec = lr_record_new("x", 1, 0);
    lr_member *h = lr_record_members(rec, 4);
    h[0] = (lr_member){"Server", 6, lr_value_string("nginx", 5)};
    h[1] = (lr_member){"Set-Cookie", 10, lr_value_string("a=1", 3)};
    h[2] = (lr_member){"Server", 6, lr_value_string("again", 5)};
    h[3] = (lr_member){"Set-Cookie", 10, lr_value_string("b=2", 3)};
    lr_member *resp = lr_record_members(rec, 1);
    resp[0] = (lr_member){"headers", 7, {.kind = LR_VAL_OBJECT, .len = 4, .u.members = h}};
    lr_member *top = lr_record_members(rec, 1);
    top[0] = (lr_member){"response", 8, {.kind = LR_VAL_OBJECT, .len = 1, .u.members = resp}};
    lr_record_set_root(rec, top, 1);
    lr_route_target t[OUT_COUNT];
    assert_int_equal(lr_routes_dispatch(f.routes, rec, t, OUT_COUNT), 1);
    assert_string_equal(t[0].ev->json, "{\"response\":{\"headers\":{\"Server\":\"hidden\"}}}");
    lr_record_encode_json(rec);
    assert_string_equal(rec->ev.json,
                        "{\"response\":{\"headers\":{\"Server\":\"nginx\",\"Set-Cookie\":\"a=1\","
                        "\"Server\":\"again\",\"Set-Cookie\":\"b=2\"}}}");
    lr_record_unref(rec);
    unload(&f);
}

static void test_set_values_and_types(void **state)
{
    (void)state;
    setenv("LR_TEST_ROUTE_TEAM", "secops", 1);
    setenv("LR_TEST_ROUTE_N", "7", 1);
    assert_transform(
        "    set:\n"
        "      s: hello\n"
        "      quoted: \"123\"\n"
        "      int: 123\n"
        "      neg: -5\n"
        "      float: 2.5\n"
        "      yes: true\n"
        "      no: false\n"
        "      nothing: null\n"
        "      env: ${env:LR_TEST_ROUTE_TEAM}\n"
        "      env_n: ${env:LR_TEST_ROUTE_N}\n"
        "      literal: \"$${env:LR_TEST_ROUTE_TEAM}\"\n"
        "      text: \"team ${env:LR_TEST_ROUTE_TEAM}\"\n",
        "{\"a\":1}",
        "{\"a\":1,\"s\":\"hello\",\"quoted\":\"123\",\"int\":123,\"neg\":-5,\"float\":2.5,\"yes\":true,"
        "\"no\":false,\"nothing\":null,\"env\":\"secops\",\"env_n\":7,"
        "\"literal\":\"${env:LR_TEST_ROUTE_TEAM}\",\"text\":\"team secops\"}");
    /* replace in place; create nested parents; @timestamp is a name */
    assert_transform("    set: {a: 2, labels.team.name: x, '@timestamp': \"2020\"}\n", "{\"a\":1,\"b\":{}}",
                     "{\"a\":2,\"b\":{},\"labels\":{\"team\":{\"name\":\"x\"}},\"@timestamp\":\"2020\"}");
    /* into an existing object, keeping its other members */
    assert_transform("    set: {b.c: 3}\n", "{\"b\":{\"x\":1}}", "{\"b\":{\"x\":1,\"c\":3}}");
    /* a scalar in the way: the record is left alone */
    assert_transform("    set: {a.b: 3}\n", "{\"a\":1}", "{\"a\":1}");
    /* order: rename, then remove, then set */
    assert_transform("    set: {a: new}\n"
                     "    remove: [c]\n"
                     "    rename: {a: b}\n",
                     "{\"a\":\"old\",\"c\":1}", "{\"b\":\"old\",\"a\":\"new\"}");
}

/* A view's JSON is built from the record's JSON (shared values are copied
 * as bytes): it must equal encoding the view from scratch, whatever the
 * strings hold. */
static void test_view_json_equals_full_encoding(void **state)
{
    (void)state;
    const char *records[] = {
        waf_record,
        "{\"a\\\"b\":\"q\\\"uote\",\"back\\\\\":\"x\\\\\",\"br{}[],:\":\"}]\\\\\",\"e\":{},\"f\":[],"
        "\"n\":[1,2.5,-3e-7,true,false,null,[{\"x\":\"y\"}]],\"u\":\"caf\u00e9 \\u2028 \u65e5\"}",
        "{\"transaction\":{\"messages\":[{\"details\":{\"data\":\"a,b\",\"ruleId\":\"1\"}},{\"x\":{}},"
        "{\"details\":{\"data\":\"\\\"}\",\"ruleId\":\"2\"}}],\"request\":{\"headers\":{\"Cookie\":\"c\"}}},"
        "\"t\":1.5}",
    };
    fixture f;
    load_ok(&f,
            "routes:\n"
            "  - name: t\n"
            "    to: es\n"
            "    remove: [transaction.request.headers.Cookie, '[\"br{}[],:\"]', "
            "transaction.messages.details.data, "
            "e]\n"
            "    rename: {'[\"a\\\"b\"]': ab, n: numbers, transaction.messages.details.ruleId: "
            "transaction.messages.details.rule, t: moved.t}\n"
            "    set: {team: secops, transaction.response.http_code: 499, u: \"new \\\"text\\\"\"}\n",
            -1);
    for (size_t i = 0; i < sizeof records / sizeof records[0]; i++) {
        lr_record *rec = record_from_json(records[i], "c83_waf", "waf_json");
        lr_route_target t[OUT_COUNT];
        assert_int_equal(lr_routes_dispatch(f.routes, rec, t, OUT_COUNT), 1);
        assert_ptr_not_equal(t[0].ev, &rec->ev); /* a transformed view */
        lr_buf full;
        lr_buf_init(&full, 0);
        assert_true(lr_json_encode_value(&full, t[0].ev->fields));
        lr_buf_terminate(&full);
        assert_string_equal(t[0].ev->json, full.data);
        assert_int_equal(t[0].ev->json_len, full.len);
        lr_buf_free(&full);
        lr_record_unref(rec);
    }
    /* and what the second record became, spelled out */
    lr_record *rec = record_from_json(records[1], "c83_waf", "waf_json");
    lr_route_target t[OUT_COUNT];
    assert_int_equal(lr_routes_dispatch(f.routes, rec, t, OUT_COUNT), 1);
    assert_string_equal(t[0].ev->json, "{\"ab\":\"q\\\"uote\",\"back\\\\\":\"x\\\\\",\"f\":[],"
                                       "\"numbers\":[1,2.5,-3e-07,true,false,null,[{\"x\":\"y\"}]],"
                                       "\"u\":\"new \\\"text\\\"\",\"team\":\"secops\","
                                       "\"transaction\":{\"response\":{\"http_code\":499}}}");
    lr_record_unref(rec);
    unload(&f);
}

static void test_route_helpers_and_print(void **state)
{
    (void)state;
    setenv("LR_TEST_ROUTE_SECRET", "hunter2", 1);
    fixture f;
    load_ok(&f,
            "routes:\n"
            "  - name: errors\n"
            "    from: [c83]\n"
            "    when: >-\n"
            "      statuscode >= 500\n"
            "      or hitmiss == \"miss\"\n"
            "    to: [datadog, archive]\n"
            "  - name: waf\n"
            "    set: {team: secops, token: \"${env:LR_TEST_ROUTE_SECRET}\"}\n"
            "    remove: transaction.request.headers.Cookie\n"
            "    rename: {transaction.client_ip: client.ip}\n"
            "    to: es\n"
            "    final: true\n",
            OUT_UNROUTED);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    lr_routes_print(f.routes, out, outputs);
    fclose(out);
    assert_string_equal(buf,
                        "Routes (2, in order; a record goes to every matching route until a final one):\n"
                        "  1. errors    (conf.d/50-routes.yaml:2)\n"
                        "       from:   c83\n"
                        "       when:   statuscode >= 500 or hitmiss == \"miss\"\n"
                        "       to:     datadog, archive\n"
                        "  2. waf  [final]    (conf.d/50-routes.yaml:8)\n"
                        "       from:   (any source)\n"
                        "       when:   (always)\n"
                        "       rename: transaction.client_ip -> client.ip\n"
                        "       remove: transaction.request.headers.Cookie\n"
                        "       set:    team = \"secops\"\n"
                        "       set:    token = (hidden: from ${...})\n"
                        "       to:     es\n"
                        "Unrouted records: unrouted-file\n");
    assert_null(strstr(buf, "hunter2"));
    free(buf);

    assert_int_equal(lr_routes_find(f.routes, "waf"), 1);
    assert_int_equal(lr_routes_find(f.routes, "nope"), -1);
    assert_string_equal(lr_routes_name(f.routes, 0), "errors");
    lr_record *rec =
        record_from_json("{\"statuscode\":500,\"transaction\":{\"client_ip\":\"1\"}}", "c83", "cdn_access");
    assert_true(lr_routes_match(f.routes, 0, &rec->ev));
    assert_true(lr_routes_match(f.routes, 1, &rec->ev));
    assert_int_equal(lr_routes_matched(f.routes, 0), 0); /* testing a route does not count */
    const lr_event *v = lr_routes_view(f.routes, 1, rec);
    assert_string_equal(v->json, "{\"statuscode\":500,\"transaction\":{},\"client\":{\"ip\":\"1\"},"
                                 "\"team\":\"secops\",\"token\":\"hunter2\"}");
    lr_record_unref(rec);
    unload(&f);
}

static void test_confd_files_in_order(void **state)
{
    (void)state;
    const char *data = getenv("LR_TEST_DATA");
    assert_non_null(data);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/route/conf.d", data);
    lr_errors errs;
    lr_errors_init(&errs);
    lr_config *cfg = lr_config_load(dir, &errs);
    if (!cfg)
        fail_msg("conf.d did not load: %s", errs.text.data ? errs.text.data : "");
    lr_routes *r = lr_routes_build(lr_cfg_get(cfg->root, "routes"), lookup_output, NULL, -1, &errs);
    if (!r)
        fail_msg("routes did not build: %s", errs.text.data ? errs.text.data : "");
    /* file order (10-, 20-, 90-), then order inside each file */
    assert_int_equal(lr_routes_count(r), 4);
    assert_string_equal(lr_routes_name(r, 0), "errors-to-datadog");
    assert_string_equal(lr_routes_name(r, 1), "waf-critical");
    assert_string_equal(lr_routes_name(r, 2), "waf-rest");
    assert_string_equal(lr_routes_name(r, 3), "archive-everything");

    lr_route_target t[OUT_COUNT];
    lr_record *rec =
        record_from_json("{\"transaction\":{\"request\":{\"headers\":{\"Cookie\":\"c\"}},"
                         "\"messages\":{\"details\":{\"ruleId\":\"942100\",\"severity\":\"2\"}}}}",
                         "c83_waf", "waf_json");
    size_t n = lr_routes_dispatch(r, rec, t, OUT_COUNT);
    assert_int_equal(n, 2);
    assert_string_equal(
        view_json(t, n, OUT_ES),
        "{\"transaction\":{\"request\":{\"headers\":{}},"
        "\"messages\":{\"details\":{\"ruleId\":\"942100\",\"severity\":\"2\"}}},\"team\":\"secops\"}");
    assert_ptr_equal(view_of(t, n, OUT_ES), view_of(t, n, OUT_ARCHIVE)); /* one view per route */
    lr_record_unref(rec);
    lr_routes_free(r);
    lr_config_free(cfg);
    lr_errors_free(&errs);

    /* an error in the second file names that file */
    snprintf(dir, sizeof dir, "%s/route/conf.d-bad", data);
    lr_errors_init(&errs);
    cfg = lr_config_load(dir, &errs);
    assert_non_null(cfg);
    assert_null(lr_routes_build(lr_cfg_get(cfg->root, "routes"), lookup_output, NULL, -1, &errs));
    char want[1200];
    snprintf(want, sizeof want, "%s/20-waf.yaml:4:11: key 'when': route 'waf-critical': column 40", dir);
    if (!strstr(errs.text.data, want))
        fail_msg("%s\ndoes not contain\n%s", errs.text.data, want);
    lr_config_free(cfg);
    lr_errors_free(&errs);
}

/* ------------------------------------------------------------------------ */
/* Batches: lr_routes_dispatch_batch gives each record what it gets alone   */
/* ------------------------------------------------------------------------ */

/* A route table as data: the YAML is written from it, and the model below
 * routes by it (through lr_routes_match and lr_routes_view, one route at a
 * time, as docs/routes.md describes routing). */
typedef struct route_spec {
    const char *yaml; /* the route's keys other than to/final, 4-space indented lines */
    int to[3];
    size_t nto;
    bool final;
} route_spec;

static const route_spec batch_routes[] = {
    {"  - name: errors-to-datadog\n"
     "    from: [c83]\n"
     "    when: 'statuscode >= 500 or (layer == \"L1\" and hitmiss == \"miss\")'\n",
     {OUT_DATADOG, OUT_ARCHIVE},
     2,
     false},
    {"  - name: waf-critical\n"
     "    from: [c83_waf]\n"
     "    when: 'transaction.messages.details.severity <= 2 and transaction.messages.details.ruleId =~ "
     "\"^94\"'\n"
     "    set: {team: secops}\n"
     "    remove: [transaction.request.headers.Cookie]\n",
     {OUT_ES, OUT_ARCHIVE},
     2,
     true},
    {"  - name: health-checks\n" /* final without outputs: dropped, not unrouted */
     "    when: 'request == \"/health\" or message =~ \"^healthcheck\"'\n",
     {0},
     0,
     true},
    {"  - name: waf-other\n"
     "    from: [waf_json]\n"
     "    rename: {transaction.client_ip: client.ip}\n",
     {OUT_ES},
     1,
     false},
    {"  - name: app-errors\n"
     "    from: json\n"
     "    when: 'level in [\"error\", \"fatal\"] or exists(exception)'\n"
     "    set: {team: app, labels.env: prod}\n"
     "    remove: [password]\n",
     {OUT_DATADOG, OUT_ES, OUT_DATADOG},
     3,
     false},
    {"  - name: reads\n"
     "    from: [c83, c99]\n"
     "    when: 'verb in [\"GET\", \"HEAD\"]'\n",
     {OUT_ARCHIVE, OUT_ES},
     2,
     false},
    {"  - name: unparsed\n"
     "    when: exists(parse_error)\n",
     {OUT_DEADLETTER},
     1,
     false},
    {"  - name: raw-problems\n"
     "    from: [raw]\n"
     "    when: 'message =~ \"(?i)error|warn\"'\n"
     "    set: {severity: high}\n",
     {OUT_ARCHIVE, OUT_ES},
     2,
     true},
    {"  - name: everything-archived\n"
     "    from: [app, syslog]\n",
     {OUT_ARCHIVE},
     1,
     false},
};
#define NBATCH_ROUTES (sizeof batch_routes / sizeof batch_routes[0])

static char *batch_routes_yaml(void)
{
    size_t cap = 8192, len = 0;
    char *y = malloc(cap);
    assert_non_null(y);
    len += (size_t)snprintf(y + len, cap - len, "routes:\n");
    for (size_t i = 0; i < NBATCH_ROUTES; i++) {
        const route_spec *s = &batch_routes[i];
        len += (size_t)snprintf(y + len, cap - len, "%s", s->yaml);
        if (s->nto) {
            len += (size_t)snprintf(y + len, cap - len, "    to: [");
            for (size_t k = 0; k < s->nto; k++)
                len += (size_t)snprintf(y + len, cap - len, "%s%s", k ? ", " : "", outputs[s->to[k]]);
            len += (size_t)snprintf(y + len, cap - len, "]\n");
        }
        if (s->final)
            len += (size_t)snprintf(y + len, cap - len, "    final: true\n");
        assert_true(len < cap);
    }
    return y;
}

/* Messages of every format from several sources: the replay test's corpus
 * (tests/data/route/replay) and lines of our own. */
typedef struct input_line {
    lr_format fmt;
    const char *source;
    char *line;
} input_line;

typedef struct corpus {
    input_line in[128];
    size_t nin;
    lr_record *rec[256];
    size_t n;
} corpus;

static void add_input(corpus *c, lr_format fmt, const char *source, const char *line)
{
    assert_true(c->nin < sizeof c->in / sizeof c->in[0]);
    c->in[c->nin++] = (input_line){fmt, source, strdup(line)};
}

static void add_file(corpus *c, const char *name, lr_format fmt, const char *source)
{
    const char *data = getenv("LR_TEST_DATA");
    assert_non_null(data);
    char path[1024];
    snprintf(path, sizeof path, "%s/route/replay/%s", data, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[len - 1] = '\0';
        add_input(c, fmt, source, line);
    }
    free(line);
    fclose(f);
}

static void corpus_inputs(corpus *c)
{
    memset(c, 0, sizeof *c);
    for (int copy = 0; copy < 2; copy++) {
        add_file(c, "access.log", LR_FORMAT_CDN_ACCESS, copy ? "c99" : "c83");
        add_file(c, "waf.jsonl", LR_FORMAT_WAF_JSON, copy ? "waf-eu" : "c83_waf");
    }
    add_input(
        c, LR_FORMAT_CDN_ACCESS, "c83",
        "192.0.2.20 - - [14/Sep/2020:12:44:23 +0000] \"GET /health HTTP/1.1\" 200 2 \"kube-probe/1.27\" hit "
        "\"text/plain\" \"L1\" 0.001 \"83\" \"-\" http ES");
    add_input(
        c, LR_FORMAT_CDN_ACCESS, "c83",
        "192.0.2.21 - - [14/Sep/2020:12:44:24 +0000] \"HEAD /img/a.png HTTP/1.1\" 504 0 \"curl/8.0\" miss "
        "\"image/png\" \"L2\" 3.500 \"83\" \"-\" https DE");
    add_input(c, LR_FORMAT_CDN_ACCESS, "c83",
              "192.0.2.22 - - [14/Sep/2020:12:44:25 +0000] \"PUT /api/x HTTP/1.1\" 201 10 \"curl/8.0\" miss "
              "\"application/json\" \"L1\" 0.100 \"83\" \"-\" https DE");
    static const char *const json_lines[] = {
        "{\"level\":\"error\",\"msg\":\"db down\",\"password\":\"hunter2\",\"labels\":{\"app\":\"api\"}}",
        "{\"level\":\"info\",\"msg\":\"ok\",\"password\":\"x\"}",
        "{\"exception\":{\"type\":\"IOError\"},\"level\":\"warn\"}",
        "{\"request\":\"/health\",\"level\":\"fatal\"}",
        "{\"level\":\"fatal\",\"labels\":\"not an object\"}",
        "{not json",
        "{}",
    };
    for (size_t i = 0; i < sizeof json_lines / sizeof json_lines[0]; i++)
        add_input(c, LR_FORMAT_JSON, i % 2 ? "app" : "app-eu", json_lines[i]);
    static const char *const raw_lines[] = {
        "ERROR disk full", "all good", "healthcheck ok", "", "Warning: \"quoted\" \\ text",
        "caf\u00e9 \u2028"};
    for (size_t i = 0; i < sizeof raw_lines / sizeof raw_lines[0]; i++)
        add_input(c, LR_FORMAT_RAW, i % 3 ? "syslog" : "other", raw_lines[i]);
    /* mix the sources and formats: a fixed shuffle */
    uint64_t z = 12345;
    for (size_t i = c->nin - 1; i > 0; i--) {
        z = z * 6364136223846793005ull + 1442695040888963407ull;
        size_t j = (size_t)((z >> 33) % (i + 1));
        input_line t = c->in[i];
        c->in[i] = c->in[j];
        c->in[j] = t;
    }
}

static void corpus_collect(lr_record *rec, void *arg)
{
    corpus *c = arg;
    assert_true(c->n < sizeof c->rec / sizeof c->rec[0]);
    c->rec[c->n++] = rec;
}

/* Fresh records for the inputs, parsed as the pipeline parses them (the same
 * fallback time every time, so every parse gives the same JSON). */
static void corpus_parse(corpus *c, size_t copies)
{
    lr_parse_options opt = {.split_messages = true};
    lr_parse_stats st;
    memset(&st, 0, sizeof st);
    c->n = 0;
    for (size_t k = 0; k < copies; k++) {
        for (size_t i = 0; i < c->nin; i++) {
            size_t first = c->n;
            lr_parse_message_at(c->in[i].fmt, &opt, c->in[i].line, strlen(c->in[i].line), 1600000000000, &st,
                                corpus_collect, c);
            for (size_t r = first; r < c->n; r++)
                lr_record_set_source(c->rec[r], c->in[i].source);
        }
    }
}

static void corpus_unref(corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        lr_record_unref(c->rec[i]);
    c->n = 0;
}

static void corpus_free(corpus *c)
{
    corpus_unref(c);
    for (size_t i = 0; i < c->nin; i++)
        free(c->in[i].line);
}

/* What one record was given, copied out of its arena. */
typedef struct routed {
    size_t n;
    int output[OUT_COUNT];
    char *json[OUT_COUNT];
    size_t json_len[OUT_COUNT];
    bool own[OUT_COUNT];    /* the record's own ev */
    size_t same[OUT_COUNT]; /* the first target with the same view */
} routed;

static void routed_take(routed *r, const lr_record *rec, const lr_route_target *t, size_t n)
{
    assert_true(n <= OUT_COUNT);
    r->n = n;
    for (size_t k = 0; k < n; k++) {
        r->output[k] = t[k].output;
        assert_non_null(t[k].ev->json);
        r->json[k] = strdup(t[k].ev->json);
        r->json_len[k] = t[k].ev->json_len;
        assert_int_equal(strlen(t[k].ev->json), t[k].ev->json_len);
        r->own[k] = t[k].ev == &rec->ev;
        r->same[k] = k;
        for (size_t m = 0; m < k; m++)
            if (t[m].ev == t[k].ev) {
                r->same[k] = m;
                break;
            }
    }
}

static void routed_free(routed *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < r[i].n; k++)
            free(r[i].json[k]);
}

static void routed_compare(const routed *want, const routed *got, size_t n, const char *what, const corpus *c)
{
    for (size_t i = 0; i < n; i++) {
        const char *raw = c->rec[i]->ev.raw;
        int rawlen = (int)c->rec[i]->ev.raw_len;
        if (got[i].n != want[i].n)
            fail_msg("%s: record %zu (%s: %.*s): %zu targets, want %zu", what, i, c->rec[i]->ev.source,
                     rawlen, raw, got[i].n, want[i].n);
        for (size_t k = 0; k < want[i].n; k++) {
            if (got[i].output[k] != want[i].output[k] || got[i].own[k] != want[i].own[k] ||
                got[i].same[k] != want[i].same[k] || got[i].json_len[k] != want[i].json_len[k] ||
                strcmp(got[i].json[k], want[i].json[k]) != 0)
                fail_msg("%s: record %zu (%s: %.*s), target %zu:\n got output %s own view %d same view as "
                         "%zu: %s\n"
                         "want output %s own view %d same view as %zu: %s",
                         what, i, c->rec[i]->ev.source, rawlen, raw, k, outputs[got[i].output[k]],
                         got[i].own[k], got[i].same[k], got[i].json[k], outputs[want[i].output[k]],
                         want[i].own[k], want[i].same[k], want[i].json[k]);
        }
    }
}

/* Routing by the documented rules, one route at a time: every route whose
 * from/when match, in order, gives its outputs not given yet its view,
 * until a final route matches; no match sends the record as it is to the
 * unrouted output. Counts matches per route and unrouted records. */
static void model_route(const lr_routes *r, lr_record *rec, int unrouted, routed *out, uint64_t *matched,
                        uint64_t *nunrouted)
{
    lr_route_target t[OUT_COUNT];
    size_t n = 0;
    bool any = false;
    for (size_t i = 0; i < NBATCH_ROUTES; i++) {
        if (!lr_routes_match(r, i, &rec->ev))
            continue;
        any = true;
        matched[i]++;
        const lr_event *view = NULL;
        for (size_t k = 0; k < batch_routes[i].nto; k++) {
            int o = batch_routes[i].to[k];
            bool given = false;
            for (size_t m = 0; m < n; m++)
                given |= t[m].output == o;
            if (given)
                continue;
            if (!view)
                view = lr_routes_view(r, i, rec);
            t[n++] = (lr_route_target){o, view};
        }
        if (batch_routes[i].final)
            break;
    }
    if (!any) {
        (*nunrouted)++;
        if (unrouted >= 0) {
            lr_record_encode_json(rec);
            t[n++] = (lr_route_target){unrouted, &rec->ev};
        }
    }
    routed_take(out, rec, t, n);
}

static void check_counters(const lr_routes *got, const uint64_t *matched, uint64_t unrouted, const char *what)
{
    for (size_t i = 0; i < NBATCH_ROUTES; i++)
        if (lr_routes_matched(got, i) != matched[i])
            fail_msg("%s: route %s matched %llu, want %llu", what, lr_routes_name(got, i),
                     (unsigned long long)lr_routes_matched(got, i), (unsigned long long)matched[i]);
    if (lr_routes_unrouted(got) != unrouted)
        fail_msg("%s: %llu unrouted, want %llu", what, (unsigned long long)lr_routes_unrouted(got),
                 (unsigned long long)unrouted);
}

/* The same records routed one at a time (lr_routes_dispatch), in batches of
 * 1, 7 and 64 (lr_routes_dispatch_batch, the pipeline's way) and by the
 * model: the same outputs in the same order, the same views (the record's
 * own where the route has no transforms, one view per route), the same JSON,
 * the same counters. With agent.unrouted an output and with drop. */
static void test_batch_dispatch_equals_single(void **state)
{
    (void)state;
    char *yaml = batch_routes_yaml();
    corpus c;
    corpus_inputs(&c);
    static const int unrouted_outputs[] = {OUT_UNROUTED, -1};
    for (size_t u = 0; u < 2; u++) {
        int unrouted = unrouted_outputs[u];
        /* the model, over two copies of the corpus (more than one batch) */
        fixture fm;
        load_ok(&fm, yaml, unrouted);
        corpus_parse(&c, 2);
        size_t n = c.n;
        assert_true(n > LR_ROUTES_BATCH);
        routed *want = calloc(n, sizeof *want);
        uint64_t model_matched[NBATCH_ROUTES] = {0}, model_unrouted = 0;
        for (size_t i = 0; i < n; i++)
            model_route(fm.routes, c.rec[i], unrouted, &want[i], model_matched, &model_unrouted);
        corpus_unref(&c);
        unload(&fm);
        /* the corpus reaches every route, unrouted records and a final route's stop */
        for (size_t i = 0; i < NBATCH_ROUTES; i++)
            if (!model_matched[i])
                fail_msg("no record matches route %zu", i);
        assert_true(model_unrouted > 0);

        /* one at a time */
        fixture fs;
        load_ok(&fs, yaml, unrouted);
        corpus_parse(&c, 2);
        routed *single = calloc(n, sizeof *single);
        for (size_t i = 0; i < n; i++) {
            lr_route_target t[OUT_COUNT];
            size_t k = lr_routes_dispatch(fs.routes, c.rec[i], t, OUT_COUNT);
            routed_take(&single[i], c.rec[i], t, k);
        }
        routed_compare(want, single, n, unrouted >= 0 ? "one at a time (unrouted output)" : "one at a time",
                       &c);
        check_counters(fs.routes, model_matched, model_unrouted, "one at a time");
        corpus_unref(&c);
        unload(&fs);

        static const size_t sizes[] = {1, 7, LR_ROUTES_BATCH};
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            fixture fb;
            load_ok(&fb, yaml, unrouted);
            corpus_parse(&c, 2);
            routed *batch = calloc(n, sizeof *batch);
            lr_route_target t[LR_ROUTES_BATCH * OUT_COUNT];
            size_t counts[LR_ROUTES_BATCH];
            for (size_t first = 0; first < n; first += sizes[s]) {
                size_t m = n - first < sizes[s] ? n - first : sizes[s];
                for (size_t i = 0; i < LR_ROUTES_BATCH; i++)
                    counts[i] = 999; /* every one of the batch's counts must be written */
                lr_routes_dispatch_batch(fb.routes, &c.rec[first], m, t, OUT_COUNT, counts);
                for (size_t i = 0; i < m; i++) {
                    assert_true(counts[i] <= OUT_COUNT);
                    routed_take(&batch[first + i], c.rec[first + i], t + i * OUT_COUNT, counts[i]);
                }
            }
            char what[96];
            snprintf(what, sizeof what, "batches of %zu%s", sizes[s],
                     unrouted >= 0 ? " (unrouted output)" : "");
            routed_compare(want, batch, n, what, &c);
            check_counters(fb.routes, model_matched, model_unrouted, what);
            routed_free(batch, n);
            free(batch);
            corpus_unref(&c);
            unload(&fb);
        }
        routed_free(single, n);
        free(single);
        routed_free(want, n);
        free(want);
    }
    corpus_free(&c);
    free(yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_point_at_the_place),
        cmocka_unit_test(test_all_errors_reported_at_once),
        cmocka_unit_test(test_no_routes),
        cmocka_unit_test(test_fanout_each_output_once_in_order),
        cmocka_unit_test(test_final_stops_later_routes),
        cmocka_unit_test(test_from_matches_topic_or_format),
        cmocka_unit_test(test_unrouted),
        cmocka_unit_test(test_transforms_isolated_between_routes),
        cmocka_unit_test(test_dotted_remove_and_rename),
        cmocka_unit_test(test_remove_duplicate_keys),
        cmocka_unit_test(test_set_values_and_types),
        cmocka_unit_test(test_view_json_equals_full_encoding),
        cmocka_unit_test(test_route_helpers_and_print),
        cmocka_unit_test(test_confd_files_in_order),
        cmocka_unit_test(test_batch_dispatch_equals_single),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
