/*
 * test_wf_wire.c - the pure WorldFirst wire (families/worldfirst_wire.c):
 * the signature header (order, spaces, unknown parts, both encodings of the
 * signature, every refusal, its size at and past the limit), the content
 * signed, request times (ISO 8601 with zones and fractions, epoch ms, every
 * malformed shape, the limits), QuoteAmount values (number or string, the
 * 18-digit bound), the code table and the refusal text.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/errors.h"
#include "core/sig.h"
#include "families/worldfirst/worldfirst_wire.h"
#include "services/fx_errors.h"

/* --- the signature header ------------------------------------------------------------- */

static void sig_of(const char *header, int want_rc, const char *want_version, size_t want_len)
{
    struct wf_sig_header h;
    struct fg_err err = {0};
    int rc = wf_sig_header_parse(header, strlen(header), &h, &err);
    if (rc != want_rc)
        fail_msg("'%s': rc %d (%s), want %d", header, rc, err.msg, want_rc);
    if (rc == 0) {
        assert_string_equal(h.key_version, want_version);
        assert_int_equal(h.sig_len, want_len);
    }
}

static void test_sig_header(void **state)
{
    (void)state;
    /* "AAEC/w==" is bytes 00 01 02 ff; form-URL-encoded: AAEC%2Fw%3D%3D */
    sig_of("algorithm=RSA256,keyVersion=1,signature=AAEC%2Fw%3D%3D", 0, "1", 4);
    sig_of("algorithm=RSA256, keyVersion=12,  signature=AAEC%2fw%3d%3d", 0, "12", 4);
    sig_of("signature=AAEC%2Fw%3D%3D,keyVersion=7,algorithm=RSA256", 0, "7", 4);
    sig_of("algorithm=RSA256,keyVersion=1,signature=AAEC/w==", 0, "1", 4); /* plain base64 */
    sig_of("algorithm=RSA256,keyVersion=1,signature=AAEC%2Fw%3D%3D,extra=x", 0, "1", 4);
    sig_of("algorithm=RSA256,keyVersion=123456789,signature=AAEC/w==", 0, "123456789", 4);
    /* The same bytes without their padding, and a '+' left raw beside encoded
     * characters ("+/8=" is fb ff). */
    sig_of("algorithm=RSA256,keyVersion=1,signature=AAEC/w", 0, "1", 4);
    sig_of("algorithm=RSA256,keyVersion=1,signature=AAEC%2Fw", 0, "1", 4);
    sig_of("algorithm=RSA256,keyVersion=1,signature=+%2F8%3D", 0, "1", 2);
    sig_of("algorithm=RSA256,keyVersion=1,signature=+%2F8", 0, "1", 2);
    static const char *const bad[] = {
        "",
        "algorithm=RSA256,keyVersion=1",
        "algorithm=RSA256,signature=AAEC/w==",
        "keyVersion=1,signature=AAEC/w==",
        "algorithm=RSA512,keyVersion=1,signature=AAEC/w==",
        "algorithm=rsa256,keyVersion=1,signature=AAEC/w==",
        "algorithm=RSA256,keyVersion=1234567890,signature=AAEC/w==", /* 10 digits */
        "algorithm=RSA256,keyVersion=v1,signature=AAEC/w==",
        "algorithm=RSA256,keyVersion=,signature=AAEC/w==",
        "algorithm=RSA256,keyVersion=1,keyVersion=1,signature=AAEC/w==",
        "algorithm=RSA256,keyVersion=1,signature=AAEC/w=",       /* bad padding */
        "algorithm=RSA256,keyVersion=1,signature=AAEC/",         /* 5 characters */
        "algorithm=RSA256,keyVersion=1,signature=AAEC/x",        /* bits past the last byte */
        "algorithm=RSA256,keyVersion=1,signature=AAEC%2Fw%3D%3", /* cut escape */
        "algorithm=RSA256,keyVersion=1,signature=",
        "algorithm=RSA256,keyVersion=1,signature=AAEC+w== x",
        "algorithm=RSA256 keyVersion=1 signature=AAEC/w==",
        "garbage",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        sig_of(bad[i], -FG_EBAD_FIELD, NULL, 0);
}

static void test_sig_header_limits(void **state)
{
    (void)state;
    struct wf_sig_header h;
    struct fg_err err;
    /* An RSA-8192 signature (1,024 bytes) fits; one byte more does not. */
    uint8_t sig[WF_SIG_BYTES_MAX + 1];
    memset(sig, 0xfb, sizeof(sig));
    char header[FG_WF_SIGNATURE_HEADER_BYTES_MAX + 64];
    size_t n = wf_sig_header_format("3", sig, WF_SIG_BYTES_MAX, header, sizeof(header));
    assert_true(n > 0 && n <= FG_WF_SIGNATURE_HEADER_BYTES_MAX);
    assert_int_equal(wf_sig_header_parse(header, n, &h, &err), 0);
    assert_int_equal(h.sig_len, WF_SIG_BYTES_MAX);
    assert_memory_equal(h.sig, sig, WF_SIG_BYTES_MAX);
    n = wf_sig_header_format("3", sig, WF_SIG_BYTES_MAX + 1, header, sizeof(header));
    assert_true(n > 0);
    assert_int_equal(wf_sig_header_parse(header, n, &h, &err), -FG_EBAD_FIELD);
    /* The header at its byte limit is read; one byte past it is refused. */
    char big[FG_WF_SIGNATURE_HEADER_BYTES_MAX + 2];
    int w = snprintf(big, sizeof(big), "algorithm=RSA256,keyVersion=1,signature=AAEC/w==,x=");
    memset(big + w, 'a', sizeof(big) - (size_t)w - 1);
    big[FG_WF_SIGNATURE_HEADER_BYTES_MAX] = '\0';
    assert_int_equal(wf_sig_header_parse(big, FG_WF_SIGNATURE_HEADER_BYTES_MAX, &h, &err), 0);
    big[FG_WF_SIGNATURE_HEADER_BYTES_MAX] = 'a';
    big[FG_WF_SIGNATURE_HEADER_BYTES_MAX + 1] = '\0';
    assert_int_equal(wf_sig_header_parse(big, FG_WF_SIGNATURE_HEADER_BYTES_MAX + 1, &h, &err),
                     -FG_EBAD_FIELD);
    /* Too small a buffer: nothing usable. */
    assert_int_equal(wf_sig_header_format("1", sig, 256, header, 100), 0);
}

static void test_format_is_form_url(void **state)
{
    (void)state;
    const uint8_t sig[] = {0xfb, 0xff, 0xfe, 0x3e}; /* base64 "+//+Pg==" */
    char header[128];
    size_t n = wf_sig_header_format("1", sig, sizeof(sig), header, sizeof(header));
    assert_string_equal(header, "algorithm=RSA256,keyVersion=1,signature=%2B%2F%2F%2BPg%3D%3D");
    assert_int_equal(n, strlen(header));
}

static void test_sign_content(void **state)
{
    (void)state;
    size_t len = 0;
    const char body[] = "{\"a\":1}\n\0x"; /* exact bytes, a NUL included */
    char *c = wf_sign_content("POST", "/amsin/api/v1/business/fund/createQuote", "c1",
                              "2026-01-16T10:00:00Z", body, sizeof(body) - 1, &len);
    const char want[] = "POST /amsin/api/v1/business/fund/createQuote\nc1.2026-01-16T10:00:00Z."
                        "{\"a\":1}\n\0x";
    assert_int_equal(len, sizeof(want) - 1);
    assert_memory_equal(c, want, len);
    free(c);
}

/* --- times ------------------------------------------------------------------------------- */

static void time_is(const char *s, int64_t want)
{
    int64_t ms = -1;
    if (!wf_time_parse(s, strlen(s), &ms) || ms != want)
        fail_msg("'%s' gives %lld, want %lld", s, (long long)ms, (long long)want);
}

static void test_times(void **state)
{
    (void)state;
    const int64_t t = 1768557600000LL; /* 2026-01-16T10:00:00Z */
    time_is("2026-01-16T10:00:00Z", t);
    time_is("2026-01-16t10:00:00z", t);
    time_is("2026-01-16T18:00:00+08:00", t);
    time_is("2026-01-16T18:00:00+0800", t);
    time_is("2026-01-16T04:30:00-05:30", t);
    time_is("2026-01-16T10:00:00.250Z", t + 250);
    time_is("2026-01-16T10:00:00.2Z", t + 200);
    time_is("2026-01-16T10:00:00.123456789Z", t + 123);
    time_is("2026-01-17T00:00:00+14:00", t);
    time_is("1768557600000", t);
    time_is("1", 1);
    time_is("999999999999999", 999999999999999LL); /* 15 digits */
    char out[WF_TIME_BYTES];
    wf_time_format(t + 999, out);
    assert_string_equal(out, "2026-01-16T10:00:00Z");
    static const char *const bad[] = {
        "",
        "2026-01-16T10:00:00",  /* no zone */
        "2026-01-16 10:00:00Z", /* no T */
        "2026-02-30T10:00:00Z", /* no such day */
        "2026-01-16T24:00:00Z",
        "2026-01-16T10:60:00Z",
        "2026-01-16T10:00:60Z",
        "2026-01-16T10:00:00.Z",
        "2026-01-16T10:00:00.1234567890Z", /* 10 fraction digits */
        "2026-01-16T10:00:00+15:00",
        "2026-01-16T10:00:00+14:01",
        "2026-01-16T10:00:00+8:00",
        "2026-01-16T10:00:00+08",
        "2026-01-16T10:00:00ZZ",
        "2026-1-16T10:00:00Z",
        "1234567890123456", /* 16 digits */
        "-1",
        "12a",
        " 1768557600000",
    };
    int64_t ms;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (wf_time_parse(bad[i], strlen(bad[i]), &ms))
            fail_msg("'%s' was taken", bad[i]);
    char long_time[FG_WF_REQUEST_TIME_BYTES_MAX + 2];
    memset(long_time, '0', sizeof(long_time));
    assert_false(wf_time_parse(long_time, FG_WF_REQUEST_TIME_BYTES_MAX + 1, &ms));
    assert_false(wf_time_parse("2026-01-16T10:00:00\0Z", 21, &ms));
}

/* --- QuoteAmount ------------------------------------------------------------------------- */

static int amount_of(const char *json, struct wf_amount *a)
{
    json_t *o = json_loads(json, 0, NULL);
    assert_non_null(o);
    struct fg_err err;
    int rc = wf_amount_get(o, "sell", a, &err);
    json_decref(o);
    return rc;
}

static void test_amounts(void **state)
{
    (void)state;
    struct wf_amount a;
    assert_int_equal(amount_of("{\"sell\":{\"currency\":\"USD\",\"value\":100000}}", &a), 0);
    assert_true(a.has_value);
    assert_int_equal(a.value, 100000);
    assert_string_equal(a.currency, "USD");
    assert_int_equal(amount_of("{\"sell\":{\"currency\":\"JPY\",\"value\":\"15\"}}", &a), 0);
    assert_int_equal(a.value, 15);
    assert_int_equal(amount_of("{\"sell\":{\"currency\":\"EUR\"}}", &a), 0);
    assert_false(a.has_value);
    assert_int_equal(amount_of("{\"sell\":{\"currency\":\"EUR\",\"value\":null}}", &a), 0);
    assert_false(a.has_value);
    assert_int_equal(
        amount_of("{\"sell\":{\"currency\":\"USD\",\"value\":999999999999999999}}", &a), 0);
    assert_int_equal(a.value, 999999999999999999LL);
    assert_int_equal(
        amount_of("{\"sell\":{\"currency\":\"USD\",\"value\":\"999999999999999999\"}}", &a), 0);
    static const char *const bad[] = {
        "{\"sell\":{\"currency\":\"USD\",\"value\":0}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":-5}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":1.5}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":1e3}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":\"1.50\"}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":\"\"}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":\" 1\"}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":\"-1\"}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":1000000000000000000}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":\"1000000000000000000\"}}",
        "{\"sell\":{\"currency\":\"USD\",\"value\":true}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (amount_of(bad[i], &a) != -FG_EBAD_AMOUNT)
            fail_msg("%s was taken", bad[i]);
    assert_int_equal(amount_of("{}", &a), -FG_EMISSING_FIELD);
    assert_int_equal(amount_of("{\"sell\":{\"value\":1}}", &a), -FG_EMISSING_FIELD);
    assert_int_equal(amount_of("{\"sell\":[1]}", &a), -FG_EBAD_FIELD);
    assert_int_equal(amount_of("{\"sell\":{\"currency\":7}}", &a), -FG_EBAD_FIELD);
    assert_int_equal(amount_of("{\"sell\":{\"currency\":\"usd\"}}", &a), -FG_EUNKNOWN_CURRENCY);
    assert_int_equal(amount_of("{\"sell\":{\"currency\":\"ABCDEFGHIJKLMNOPQ\"}}", &a),
                     -FG_EUNKNOWN_CURRENCY);
}

/* --- codes and texts ----------------------------------------------------------------------- */

static void test_codes(void **state)
{
    (void)state;
    for (int i = 0; i < WF_CODE_COUNT; i++) {
        assert_non_null(wf_codes[i].code);
        assert_true(strcmp(wf_codes[i].status, "S") == 0 || strcmp(wf_codes[i].status, "F") == 0 ||
                    strcmp(wf_codes[i].status, "U") == 0);
        assert_true(strlen(wf_codes[i].message) > 0);
    }
    assert_string_equal(wf_codes[WF_UNKNOWN_EXCEPTION].status, "U");
    assert_string_equal(wf_codes[WF_TRAFFIC_EXCEED_LIMIT].status, "U");
    assert_string_equal(wf_codes[WF_PROCESSING].status, "S");
    assert_int_equal(wf_code_of(-FG_EINSUFFICIENT_FUNDS), WF_BALANCE_INSUFFICIENT);
    assert_int_equal(wf_code_of(-FG_EFX_QUOTE_EXPIRED), WF_QUOTE_EXPIRED);
    assert_int_equal(wf_code_of(-FG_EFX_QUOTE_USED), WF_QUOTE_EXPIRED);
    assert_int_equal(wf_code_of(-FG_EIDEMPOTENCY_CONFLICT), WF_PARAM_ILLEGAL);
    assert_int_equal(wf_code_of(-FG_ESTORE), WF_UNKNOWN_EXCEPTION);
    assert_int_equal(wf_code_of(-FG_EOVERLOADED), WF_UNKNOWN_EXCEPTION);
    assert_int_equal(wf_code_of(-FG_EFX_EXCHANGE_UNKNOWN), WF_ORDER_NOT_EXIST);
    size_t len = 0;
    char *t = wf_refusal_text(WF_PARAM_ILLEGAL, "field 'x' \"quoted\" \xe4\xb8\xad", &len);
    assert_string_equal(t, "{\"result\":{\"resultCode\":\"PARAM_ILLEGAL\",\"resultStatus\":\"F\","
                           "\"resultMessage\":\"field 'x' \\\"quoted\\\" ???\"}}");
    assert_int_equal(len, strlen(t));
    json_t *j = json_loads(t, 0, NULL);
    assert_non_null(j);
    json_decref(j);
    free(t);
    t = wf_refusal_text(WF_INVALID_API, NULL, &len);
    assert_non_null(strstr(t, "The called API is invalid or not active."));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sig_header),
        cmocka_unit_test(test_sig_header_limits),
        cmocka_unit_test(test_format_is_form_url),
        cmocka_unit_test(test_sign_content),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
