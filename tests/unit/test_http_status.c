/*
 * Tests of the shared HTTP result rules (outputs/common, lrhttp): which
 * outcomes are retried, rejected or delivered, the reason text (status and
 * the first bytes of the body, on one line), Retry-After in seconds and as
 * an HTTP-date, and URL credentials kept out of messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "lrhttp.h"

static lrhttp_response status_response(long status, const char *body)
{
    lrhttp_response r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.body = body;
    r.body_len = strlen(body);
    r.retry_after_ms = -1;
    return r;
}

static void test_classification_table(void **state)
{
    (void)state;
    static const struct {
        long status;
        lr_result want;
    } cases[] = {
        {200, LR_DELIVERED}, {201, LR_DELIVERED}, {202, LR_DELIVERED}, {204, LR_DELIVERED},
        {299, LR_DELIVERED}, {408, LR_RETRY},     {429, LR_RETRY},     {500, LR_RETRY},
        {502, LR_RETRY},     {503, LR_RETRY},     {504, LR_RETRY},     {599, LR_RETRY},
        {400, LR_REJECT},    {401, LR_REJECT},    {403, LR_REJECT},    {404, LR_REJECT},
        {405, LR_REJECT},    {409, LR_REJECT},    {413, LR_REJECT},    {422, LR_REJECT},
        {301, LR_REJECT},    {302, LR_REJECT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lrhttp_response r = status_response(cases[i].status, "");
        char reason[256];
        lr_result got = lrhttp_classify(&r, reason, sizeof reason);
        if (got != cases[i].want)
            fail_msg("HTTP %ld: got result %d, want %d", cases[i].status, got, cases[i].want);
        if (got == LR_DELIVERED) {
            assert_string_equal(reason, "");
        } else {
            char want[32];
            snprintf(want, sizeof want, "HTTP %ld", cases[i].status);
            assert_string_equal(reason, want);
        }
    }
}

static void test_transport_errors_retry(void **state)
{
    (void)state;
    lrhttp_response r = status_response(0, "");
    char reason[256];
    r.curl_code = CURLE_COULDNT_CONNECT;
    snprintf(r.error, sizeof r.error, "Failed to connect to 127.0.0.1 port 9: Connection refused");
    assert_int_equal(lrhttp_classify(&r, reason, sizeof reason), LR_RETRY);
    assert_string_equal(reason,
                        "connection error: Failed to connect to 127.0.0.1 port 9: Connection refused");
    r.curl_code = CURLE_OPERATION_TIMEDOUT;
    snprintf(r.error, sizeof r.error, "Operation timed out after 500 milliseconds with 0 bytes received");
    assert_int_equal(lrhttp_classify(&r, reason, sizeof reason), LR_RETRY);
    assert_string_equal(reason, "timeout: Operation timed out after 500 milliseconds with 0 bytes received");
    /* no message from libcurl: its text for the code */
    r.curl_code = CURLE_GOT_NOTHING;
    r.error[0] = '\0';
    assert_int_equal(lrhttp_classify(&r, reason, sizeof reason), LR_RETRY);
    char want[256];
    snprintf(want, sizeof want, "connection error: %s", curl_easy_strerror(CURLE_GOT_NOTHING));
    assert_string_equal(reason, want);
    /* a 2xx status left over from nothing does not count: the transfer failed */
    r.status = 200;
    assert_int_equal(lrhttp_classify(&r, NULL, 0), LR_RETRY);
}

static void test_reason_quotes_body_on_one_line(void **state)
{
    (void)state;
    char reason[256];
    lrhttp_response r =
        status_response(400, "{\"error\":\"mapper_parsing_exception\",\n\t\"reason\":\"bad\"}\r\n");
    assert_int_equal(lrhttp_classify(&r, reason, sizeof reason), LR_REJECT);
    assert_string_equal(reason, "HTTP 400: {\"error\":\"mapper_parsing_exception\", \"reason\":\"bad\"}");

    /* a long body is cut, and the cut is marked */
    char body[1000];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    r = status_response(422, body);
    assert_int_equal(lrhttp_classify(&r, reason, sizeof reason), LR_REJECT);
    assert_true(strncmp(reason, "HTTP 422: xxxx", 14) == 0);
    size_t len = strlen(reason);
    assert_true(len < 255);
    assert_true(len > 100);
    assert_string_equal(reason + len - 3, "...");

    /* a body the client only kept part of is marked too */
    r = status_response(503, "overloaded");
    r.body_truncated = true;
    assert_int_equal(lrhttp_classify(&r, reason, sizeof reason), LR_RETRY);
    assert_string_equal(reason, "HTTP 503: overloaded...");

    /* multi-byte characters are never cut in half */
    char utf[301];
    for (int i = 0; i < 150; i++)
        memcpy(utf + 2 * i, "\xc3\xa9", 2); /* é */
    utf[300] = '\0';
    r = status_response(400, utf);
    lrhttp_classify(&r, reason, sizeof reason);
    const char *ex = reason + strlen("HTTP 400: ");
    size_t exlen = strlen(ex) - 3; /* without "..." */
    assert_int_equal(exlen % 2, 0);
    for (size_t i = 0; i < exlen; i += 2)
        assert_memory_equal(ex + i, "\xc3\xa9", 2);

    /* a small reason buffer is filled, not overrun */
    char small[12];
    r = status_response(400, "a long error message");
    lrhttp_classify(&r, small, sizeof small);
    assert_string_equal(small, "HTTP 400: a");
}

static void test_retry_after(void **state)
{
    (void)state;
    time_t now = 1714564800; /* Wed, 01 May 2024 12:00:00 GMT */
    assert_int_equal(lrhttp_parse_retry_after("2", now), 2000);
    assert_int_equal(lrhttp_parse_retry_after(" 120 \r\n", now), 120000);
    assert_int_equal(lrhttp_parse_retry_after("0", now), 0);
    /* HTTP-date forms of RFC 9110 */
    assert_int_equal(lrhttp_parse_retry_after("Wed, 01 May 2024 12:00:05 GMT", now), 5000);
    assert_int_equal(lrhttp_parse_retry_after("Wednesday, 01-May-24 12:01:00 GMT", now), 60000);
    assert_int_equal(lrhttp_parse_retry_after("Wed May  1 12:00:30 2024", now), 30000);
    /* a date in the past: retry now */
    assert_int_equal(lrhttp_parse_retry_after("Wed, 01 May 2024 11:00:00 GMT", now), 0);
    /* capped at one hour */
    assert_int_equal(lrhttp_parse_retry_after("86400", now), 3600000);
    assert_int_equal(lrhttp_parse_retry_after("99999999999999999999999", now), 3600000);
    assert_int_equal(lrhttp_parse_retry_after("Thu, 02 May 2024 12:00:00 GMT", now), 3600000);
    /* unreadable */
    assert_int_equal(lrhttp_parse_retry_after("", now), -1);
    assert_int_equal(lrhttp_parse_retry_after("-5", now), -1);
    assert_int_equal(lrhttp_parse_retry_after("1.5", now), -1);
    assert_int_equal(lrhttp_parse_retry_after("soon", now), -1);
    assert_int_equal(lrhttp_parse_retry_after(NULL, now), -1);
}

static void test_url_redact(void **state)
{
    (void)state;
    char out[256];
    lrhttp_url_redact("https://user:s3cr@t@logs.example.net:8443/in?x=1", out, sizeof out);
    assert_string_equal(out, "https://***@logs.example.net:8443/in?x=1");
    lrhttp_url_redact("http://127.0.0.1:8080/ingest", out, sizeof out);
    assert_string_equal(out, "http://127.0.0.1:8080/ingest");
    /* an @ in the path is not a credential */
    lrhttp_url_redact("http://host/a@b", out, sizeof out);
    assert_string_equal(out, "http://host/a@b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classification_table),
        cmocka_unit_test(test_transport_errors_retry),
        cmocka_unit_test(test_reason_quotes_body_on_one_line),
        cmocka_unit_test(test_retry_after),
        cmocka_unit_test(test_url_redact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
