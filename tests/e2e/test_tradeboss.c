/*
 * test_tradeboss.c - end to end: the TradeBoss webhook family against the real
 * server. Balance query and envelope; open, close, insufficient, replay and
 * conflicting replay; every cancel branch (reversed, amount mismatch, refused
 * before, never received then late execute, repeated cancel); overtrading
 * beyond the balance under both policies; signed and allow-listed clients;
 * 24 threads racing an execute and its cancel; kill -9 between execute and
 * cancel. Reconciliation is checked after every scenario. The latency test
 * prints the median and p99 of executes under concurrent load (no assertion).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "families/tradeboss/tradeboss_auth.h"
#include "harness.h"
#include "store/store.h"

#define SECRET8 "e2e-tradeboss-secret-8"
#define EXEC "/api/cats-gateway/external-system-credit-limit-adjustment"
#define CANCEL "/api/cats-gateway/cancel-external-system-credit-limit-adjustment"
#define QUERY "/api/cats-gateway/get-user-amount"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int setup(void **state)
{
    struct fgsrv *s = calloc(1, sizeof(*s));
    fgsrv_start(s);
    fgh_seed_basic(s); /* USD, JPY; c1/alice of company 7 with USD wallet and futures */
    json_decref(
        fgh_admin_ok(s, "POST", "/admin/v1/customers",
                     "{\"uuid\":\"c8\",\"user_name\":\"dave\",\"name\":\"Dave\",\"company_id\":8,"
                     "\"base_currency\":\"USD\"}",
                     201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/accounts",
                             "{\"uuid\":\"c8\",\"type\":\"futures\",\"currency\":\"USD\"}", 201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits",
                             "{\"request_id\":\"d1\",\"uuid\":\"c1\",\"type\":\"futures\","
                             "\"currency\":\"USD\",\"amount\":\"1000.00\"}",
                             201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits",
                             "{\"request_id\":\"d8\",\"uuid\":\"c8\",\"type\":\"futures\","
                             "\"currency\":\"USD\",\"amount\":\"100.00\"}",
                             201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":7,\"auth\":\"allowlist\","
                             "\"allow\":[\"127.0.0.0/8\",\"::1\"],\"account_type\":\"futures\","
                             "\"overtrading\":\"deduct_available\"}",
                             201));
    json_t *j = fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":8,\"auth\":\"hmac\","
                             "\"secret\":\"" SECRET8 "\",\"overtrading\":\"ignore\"}",
                             201);
    assert_null(json_object_get(j, "secret")); /* never echoed */
    assert_string_equal(fgh_str(j, "account_type"), "futures");
    assert_string_equal(fgh_str(j, "client_key"), "8");
    json_decref(j);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":9,\"auth\":\"allowlist\","
                             "\"allow\":[\"10.0.0.0/8\",\"2001:db8::/32\"]}",
                             201));
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct fgsrv *s = *state;
    int rc = fgsrv_stop(s);
    fgsrv_cleanup(s);
    free(s);
    assert_int_equal(rc, 0);
    return 0;
}

/* --- requests ---------------------------------------------------------------- */

/* Thread-safe: no cmocka asserts. sig: NULL none, "" sign correctly for
 * company 8, else the X-Signature value to send. */
static int tb_post(const struct fgsrv *s, const char *path, int64_t company, const char *body,
                   const char *sig, struct fgresp *r)
{
    char trace[64], comp[48], ts[48], xsig[160];
    static int counter;
    snprintf(trace, sizeof(trace), "trace: tr-%d", __atomic_add_fetch(&counter, 1, 0));
    snprintf(comp, sizeof(comp), "companyId: %lld", (long long)company);
    snprintf(ts, sizeof(ts), "timestamp: %lld", (long long)wall_ms());
    const char *h[6] = {trace, comp, ts, NULL, NULL, NULL};
    if (sig) {
        char v[140];
        if (!*sig)
            tb_signature_make(SECRET8, strlen(SECRET8), wall_ms(), body, strlen(body), v,
                              sizeof(v));
        snprintf(xsig, sizeof(xsig), "X-Signature: %s", *sig ? sig : v);
        h[3] = xsig;
    }
    return fgh_request(s, "POST", path, h, body, r);
}

static void exec_body(char *out, size_t cap, const char *no, const char *user, const char *ccy,
                      const char *op, const char *amount, int digits)
{
    snprintf(out, cap,
             "{\"thirdServerCode\":\"fg\",\"userName\":\"%s\",\"currency\":\"%s\",\"bizType\":1,"
             "\"operationType\":\"%s\",\"amount\":\"%s\",\"amountDigits\":%d,\"orderId\":42,"
             "\"requestUniqueNo\":\"%s\",\"requestTime\":%lld,\"ip\":\"10.1.2.3\"}",
             user, ccy, op, amount, digits, no, (long long)wall_ms());
}

static void cancel_body(char *out, size_t cap, const char *no, const char *rev, const char *user,
                        const char *amount, int digits)
{
    snprintf(out, cap,
             "{\"thirdServerCode\":\"fg\",\"userName\":\"%s\",\"currency\":\"USD\",\"bizType\":1,"
             "\"amount\":\"%s\",\"amountDigits\":%d,\"requestUniqueNo\":\"%s\","
             "\"reverseRequestUniqueNo\":\"%s\",\"requestTime\":%lld,\"ip\":\"10.1.2.3\","
             "\"cancelRemark\":\"timed out\"}",
             user, amount, digits, no, rev, (long long)wall_ms());
}

/* POST and check the envelope; returns the parsed body (caller decrefs). */
static json_t *call(const struct fgsrv *s, const char *path, int64_t company, const char *body,
                    const char *sig, const char *want_code)
{
    struct fgresp r;
    assert_int_equal(tb_post(s, path, company, body, sig, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(r.json);
    const char *code = fgh_str(r.json, "code");
    assert_non_null(code);
    if (strcmp(code, want_code) != 0)
        fail_msg("%s: want code %s, got %.*s", path, want_code, (int)r.len, r.body);
    bool ok = strcmp(want_code, "0") == 0;
    assert_int_equal(json_is_true(json_object_get(r.json, "ok")), ok);
    assert_int_equal(json_is_true(json_object_get(r.json, "fail")), !ok);
    assert_string_equal(fgh_str(r.json, "bizCode"), "");
    assert_string_equal(fgh_str(r.json, "msgParams"), "");
    assert_true(json_is_integer(json_object_get(r.json, "tm")));
    assert_true(json_is_object(json_object_get(r.json, "data")));
    assert_true(json_is_string(json_object_get(r.json, "msg")));
    assert_int_equal(strncmp(fgh_str(r.json, "trace"), "tr-", 3), 0);
    json_t *j = json_incref(r.json);
    fgresp_free(&r);
    return j;
}

static void expect(const struct fgsrv *s, const char *path, int64_t company, const char *body,
                   const char *sig, const char *want_code)
{
    json_decref(call(s, path, company, body, sig, want_code));
}

static void assert_avail(const struct fgsrv *s, const char *uuid, const char *want)
{
    char *got = fgh_available(s, uuid, "futures", "USD");
    if (strcmp(got, want) != 0)
        fail_msg("%s futures USD available %s, want %s", uuid, got, want);
    free(got);
}

/* The envelope minus tm and trace: what a replay must repeat. */
static void assert_same_answer(json_t *a, json_t *b)
{
    assert_string_equal(fgh_str(a, "code"), fgh_str(b, "code"));
    assert_string_equal(fgh_str(a, "msg"), fgh_str(b, "msg"));
    char *da = json_dumps(json_object_get(a, "data"), JSON_SORT_KEYS | JSON_COMPACT);
    char *db = json_dumps(json_object_get(b, "data"), JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(da, db);
    free(da);
    free(db);
}

/* --- scenarios ---------------------------------------------------------------- */

static void test_query_and_headers(void **state)
{
    struct fgsrv *s = *state;
    const char *q = "{\"thirdServerCode\":\"fg\",\"userName\":\"alice\",\"currency\":\"USD\"}";
    json_t *j = call(s, QUERY, 7, q, NULL, "0");
    assert_string_equal(fgh_str(j, "data.userName"), "alice");
    assert_string_equal(fgh_str(j, "data.currency"), "USD");
    assert_string_equal(fgh_str(j, "data.amount"), "1000.00");
    assert_int_equal(json_integer_value(fgh_get(j, "data.amountDigits")), 2);
    json_decref(j);

    /* The trace header is echoed as sent. */
    struct fgresp r;
    const char *h1[] = {"trace: abc-123", "companyId: 7", NULL, NULL};
    char ts[48];
    snprintf(ts, sizeof(ts), "timestamp: %lld", (long long)wall_ms());
    h1[2] = ts;
    assert_int_equal(fgh_request(s, "POST", QUERY, h1, q, &r), 0);
    assert_string_equal(fgh_str(r.json, "trace"), "abc-123");
    assert_string_equal(fgh_str(r.json, "code"), "0");
    fgresp_free(&r);

    /* No companyId: refused. A missing trace is no reason to refuse: the
     * answer echoes the request's own trace id. Company 7 keeps no timestamp
     * window (the default of an allow-listed client): a missing, stale or
     * malformed timestamp is not read (test_timestamp_window has the window). */
    const char *no_company[] = {"trace: t", ts, NULL};
    assert_int_equal(fgh_request(s, "POST", QUERY, no_company, q, &r), 0);
    assert_string_equal(fgh_str(r.json, "code"), "US_1000001");
    fgresp_free(&r);
    const char *no_trace[] = {"companyId: 7", ts, NULL};
    assert_int_equal(fgh_request(s, "POST", QUERY, no_trace, q, &r), 0);
    assert_string_equal(fgh_str(r.json, "code"), "0");
    assert_string_equal(fgh_str(r.json, "trace"), r.trace);
    fgresp_free(&r);
    const char *no_ts[] = {"trace: t", "companyId: 7", NULL};
    const char *old_ts[] = {"trace: t", "companyId: 7", "timestamp: 1600000000000", NULL};
    const char *short_ts[] = {"trace: t", "companyId: 7", "timestamp: 160000000000", NULL};
    const char *const *cases[] = {no_ts, old_ts, short_ts};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fgh_request(s, "POST", QUERY, cases[i], q, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(fgh_str(r.json, "code"), "0");
        fgresp_free(&r);
    }

    /* Unknown company, user, currency, account; bad and unknown fields. */
    expect(s, QUERY, 77, q, NULL, "US_1000002");
    expect(s, QUERY, 0, q, NULL, "US_1000001"); /* companyId is a positive integer */
    expect(s, QUERY, 7, "{\"thirdServerCode\":\"fg\",\"userName\":\"nobody\",\"currency\":\"USD\"}",
           NULL, "US_2000001");
    expect(s, QUERY, 7, "{\"thirdServerCode\":\"fg\",\"userName\":\"alice\",\"currency\":\"EUR\"}",
           NULL, "US_2000002");
    expect(s, QUERY, 7, "{\"thirdServerCode\":\"fg\",\"userName\":\"alice\",\"currency\":\"JPY\"}",
           NULL, "US_2000002");
    expect(s, QUERY, 7, "{\"thirdServerCode\":\"fg\",\"userName\":\"alice\"}", NULL, "US_1000001");
    expect(s, QUERY, 7, "{\"thirdServerCode\":\"fg\",\"userName\":\"\",\"currency\":\"USD\"}", NULL,
           "US_1000001");
    expect(s, QUERY, 7, "not json", NULL, "US_1000001");

    /* Client configs are validated strictly. */
    const char *bad[] = {
        "{\"family\":\"tradeboss\",\"company_id\":10,\"auth\":\"allowlist\",\"allow\":[\"1.2.3.4/"
        "33\"]}",
        "{\"family\":\"tradeboss\",\"company_id\":10,\"auth\":\"allowlist\",\"allow\":[]}",
        "{\"family\":\"tradeboss\",\"company_id\":10,\"auth\":\"allowlist\"}",
        "{\"family\":\"tradeboss\",\"company_id\":10,\"auth\":\"hmac\"}",
        "{\"family\":\"tradeboss\",\"company_id\":10,\"auth\":\"hmac\",\"secret\":\"short\"}",
        "{\"family\":\"tradeboss\",\"company_id\":10,\"auth\":\"hmac\",\"secret\":"
        "\"0123456789abcdef\",\"allow\":[\"::1\"]}",
        "{\"family\":\"tradeboss\",\"company_id\":10,\"auth\":\"allowlist\",\"allow\":[\"::1\"],"
        "\"account_type\":\"margin\"}",
        "{\"family\":\"tradeboss\",\"company_id\":10,\"auth\":\"allowlist\",\"allow\":[\"::1\"],"
        "\"overtrading\":\"take_all\"}",
        "{\"family\":\"tradeboss\",\"company_id\":10,\"auth\":\"allowlist\",\"allow\":[\"::1\"],"
        "\"colour\":\"red\"}",
        "{\"family\":\"tradeboss\",\"company_id\":0,\"auth\":\"allowlist\",\"allow\":[\"::1\"]}",
        "{\"family\":\"tradeboss\",\"auth\":\"pgp\",\"company_id\":10}",
        NULL};
    for (int i = 0; bad[i]; i++) {
        struct fgresp a;
        assert_int_equal(fgh_admin(s, "POST", "/admin/v1/clients", bad[i], &a), 0);
        if (a.status != 400)
            fail_msg("client config %d accepted: %s", i, a.body);
        fgresp_free(&a);
    }
    fgh_assert_reconciled(s);
}

static void test_open_close_replay(void **state)
{
    struct fgsrv *s = *state;
    char b[1024];
    exec_body(b, sizeof(b), "o1", "alice", "USD", "OPEN_POSITION", "100.50", 2);
    json_t *first = call(s, EXEC, 7, b, NULL, "0");
    assert_string_equal(fgh_str(first, "data.amount"), "100.50");
    assert_string_equal(fgh_str(first, "data.appliedAmount"), "100.50");
    assert_string_equal(fgh_str(first, "data.availableAmount"), "899.50");
    assert_avail(s, "c1", "899.50");

    /* Replay: the same answer, nothing moves; same content with a new requestTime too. */
    json_t *again = call(s, EXEC, 7, b, NULL, "0");
    assert_same_answer(first, again);
    json_decref(again);
    usleep(2000);
    exec_body(b, sizeof(b), "o1", "alice", "USD", "OPEN_POSITION", "100.50", 2);
    again = call(s, EXEC, 7, b, NULL, "0");
    assert_same_answer(first, again);
    json_decref(again);
    json_decref(first);
    assert_avail(s, "c1", "899.50");

    /* Same number, different content: refused, nothing moved. */
    exec_body(b, sizeof(b), "o1", "alice", "USD", "OPEN_POSITION", "100.60", 2);
    expect(s, EXEC, 7, b, NULL, "US_2000004");
    exec_body(b, sizeof(b), "o1", "alice", "USD", "NORMAL_CLOSE", "100.50", 2);
    expect(s, EXEC, 7, b, NULL, "US_2000004");
    assert_avail(s, "c1", "899.50");

    /* Close returns money; amountDigits 1 is scaled to the currency's 2. */
    exec_body(b, sizeof(b), "c1", "alice", "USD", "NORMAL_CLOSE", "50.5", 1);
    json_t *j = call(s, EXEC, 7, b, NULL, "0");
    assert_string_equal(fgh_str(j, "data.appliedAmount"), "50.50");
    json_decref(j);
    assert_avail(s, "c1", "950.00");

    /* Insufficient: refused, recorded, replayed. */
    exec_body(b, sizeof(b), "o2", "alice", "USD", "OPEN_POSITION", "5000", 0);
    first = call(s, EXEC, 7, b, NULL, "US_2000003");
    again = call(s, EXEC, 7, b, NULL, "US_2000003");
    assert_same_answer(first, again);
    json_decref(first);
    json_decref(again);
    assert_avail(s, "c1", "950.00");

    /* Parameter errors and unknowns, each refused with nothing moved. */
    struct {
        const char *no, *user, *ccy, *op, *amount;
        int digits;
        const char *code;
    } cases[] = {
        {"p1", "alice", "USD", "OPEN_POSITION", "1.001", 3, "US_1000001"}, /* not exact USD */
        {"p2", "alice", "USD", "OPEN_POSITION", "1.234", 2, "US_1000001"}, /* > amountDigits */
        {"p3", "alice", "USD", "OPEN_POSITION", "-1.00", 2, "US_1000001"}, /* wrong sign */
        {"p4", "alice", "USD", "ABNORMAL_OVERTRADING", "1.00", 2, "US_1000001"},
        {"p5", "alice", "USD", "NORMAL_CLOSE", "0.00", 2, "US_1000001"}, /* zero */
        {"p6", "alice", "USD", "MARGIN_CALL", "1.00", 2, "US_1000001"},  /* unknown op */
        {"p7", "alice", "USD", "OPEN_POSITION", "1e2", 2, "US_1000001"},
        {"p8", "nobody", "USD", "OPEN_POSITION", "1.00", 2, "US_2000001"},
        {"p9", "alice", "EUR", "OPEN_POSITION", "1.00", 2, "US_2000002"},
        {"p10", "alice", "JPY", "OPEN_POSITION", "1", 0, "US_2000002"}, /* no JPY account */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        exec_body(b, sizeof(b), cases[i].no, cases[i].user, cases[i].ccy, cases[i].op,
                  cases[i].amount, cases[i].digits);
        expect(s, EXEC, 7, b, NULL, cases[i].code);
    }
    /* bizType outside 1, 2, 10, 11, 12; an over-long userName. */
    exec_body(b, sizeof(b), "p13", "alice", "USD", "OPEN_POSITION", "1.00", 2);
    char *p = strstr(b, "\"bizType\":1");
    memcpy(p, "\"bizType\":3", 11);
    expect(s, EXEC, 7, b, NULL, "US_1000001");
    exec_body(b, sizeof(b), "p12", "a123456789a123456789a123456789a123456789a123456789", "USD",
              "OPEN_POSITION", "1.00", 2);
    expect(s, EXEC, 7, b, NULL, "US_1000001");
    /* No usable requestUniqueNo: refused, not recorded. */
    expect(s, EXEC, 7, "{\"userName\":\"alice\"}", NULL, "US_1000001");
    assert_avail(s, "c1", "950.00");
    fgh_assert_reconciled(s);
}

static void test_cancel_branches(void **state)
{
    struct fgsrv *s = *state;
    char b[1024];
    /* Applied -> amount mismatch refused, then reversed; repeats answer the same. */
    exec_body(b, sizeof(b), "e1", "alice", "USD", "OPEN_POSITION", "200.00", 2);
    json_t *exec1 = call(s, EXEC, 7, b, NULL, "0");
    assert_avail(s, "c1", "800.00");
    cancel_body(b, sizeof(b), "x0", "e1", "alice", "200.01", 2);
    expect(s, CANCEL, 7, b, NULL, "US_2000006");
    expect(s, CANCEL, 7, b, NULL, "US_2000006");
    cancel_body(b, sizeof(b), "x0b", "e1", "bob", "200.00", 2);
    expect(s, CANCEL, 7, b, NULL, "US_2000006");
    assert_avail(s, "c1", "800.00");
    cancel_body(b, sizeof(b), "x1", "e1", "alice", "200.0", 1);
    json_t *c1 = call(s, CANCEL, 7, b, NULL, "0");
    assert_string_equal(fgh_str(c1, "data.amount"), "200.00");
    assert_string_equal(fgh_str(c1, "data.reverseRequestUniqueNo"), "e1");
    assert_avail(s, "c1", "1000.00");
    json_t *c1b = call(s, CANCEL, 7, b, NULL, "0"); /* repeated: its first answer */
    assert_same_answer(c1, c1b);
    json_decref(c1b);
    json_decref(c1);
    assert_avail(s, "c1", "1000.00");
    /* Same cancel number, other content: refused. */
    cancel_body(b, sizeof(b), "x1", "e1", "alice", "300.00", 2);
    expect(s, CANCEL, 7, b, NULL, "US_2000004");
    /* Another cancel of the same execute: "0", nothing moves again. */
    cancel_body(b, sizeof(b), "x2", "e1", "alice", "200.00", 2);
    expect(s, CANCEL, 7, b, NULL, "0");
    assert_avail(s, "c1", "1000.00");
    /* The execute replayed after its reversal: its original answer, nothing moves. */
    exec_body(b, sizeof(b), "e1", "alice", "USD", "OPEN_POSITION", "200.00", 2);
    json_t *again = call(s, EXEC, 7, b, NULL, "0");
    assert_same_answer(exec1, again);
    json_decref(again);
    json_decref(exec1);
    assert_avail(s, "c1", "1000.00");

    /* Received but refused (insufficient; a parameter error) -> US_0000001. */
    exec_body(b, sizeof(b), "e2", "alice", "USD", "OPEN_POSITION", "5000.00", 2);
    expect(s, EXEC, 7, b, NULL, "US_2000003");
    cancel_body(b, sizeof(b), "x3", "e2", "alice", "5000.00", 2);
    expect(s, CANCEL, 7, b, NULL, "US_0000001");
    expect(s, CANCEL, 7, b, NULL, "US_0000001");
    exec_body(b, sizeof(b), "e3", "alice", "USD", "OPEN_POSITION", "1.999", 2);
    expect(s, EXEC, 7, b, NULL, "US_1000001");
    cancel_body(b, sizeof(b), "x4", "e3", "alice", "1.99", 2);
    expect(s, CANCEL, 7, b, NULL, "US_0000001");
    assert_avail(s, "c1", "1000.00");

    /* Never received -> US_0000002 and a tombstone; the late execute is refused. */
    cancel_body(b, sizeof(b), "x5", "e4", "alice", "10.00", 2);
    json_t *c5 = call(s, CANCEL, 7, b, NULL, "US_0000002");
    exec_body(b, sizeof(b), "e4", "alice", "USD", "OPEN_POSITION", "10.00", 2);
    expect(s, EXEC, 7, b, NULL, "US_2000005");
    expect(s, EXEC, 7, b, NULL, "US_2000005");
    assert_avail(s, "c1", "1000.00");
    cancel_body(b, sizeof(b), "x5", "e4", "alice", "10.00", 2);
    json_t *c5b = call(s, CANCEL, 7, b, NULL, "US_0000002");
    assert_same_answer(c5, c5b);
    json_decref(c5);
    json_decref(c5b);
    cancel_body(b, sizeof(b), "x6", "e4", "alice", "10.00", 2); /* another cancel of it */
    expect(s, CANCEL, 7, b, NULL, "US_0000002");

    /* A close reversed after the customer spent the money: refused for now, not
     * recorded; once funds are back the same cancel succeeds. */
    exec_body(b, sizeof(b), "e5", "alice", "USD", "NORMAL_CLOSE", "100.00", 2);
    expect(s, EXEC, 7, b, NULL, "0");
    exec_body(b, sizeof(b), "e6", "alice", "USD", "OPEN_POSITION", "1100.00", 2);
    expect(s, EXEC, 7, b, NULL, "0");
    assert_avail(s, "c1", "0.00");
    cancel_body(b, sizeof(b), "x7", "e5", "alice", "100.00", 2);
    expect(s, CANCEL, 7, b, NULL, "US_2000003");
    cancel_body(b, sizeof(b), "x8", "e6", "alice", "1100.00", 2);
    expect(s, CANCEL, 7, b, NULL, "0");
    cancel_body(b, sizeof(b), "x7", "e5", "alice", "100.00", 2);
    expect(s, CANCEL, 7, b, NULL, "0");
    assert_avail(s, "c1", "1000.00");

    /* Cancel parameter errors answer at once. */
    cancel_body(b, sizeof(b), "x9", "e1", "alice", "-1", 2);
    expect(s, CANCEL, 7, b, NULL, "US_1000001");
    expect(s, CANCEL, 7, "{\"requestUniqueNo\":\"x10\"}", NULL, "US_1000001");
    fgh_assert_reconciled(s);
}

static void test_overtrading(void **state)
{
    struct fgsrv *s = *state;
    char b[1024];
    /* deduct_available (company 7): takes what is there, then nothing. */
    exec_body(b, sizeof(b), "ot1", "alice", "USD", "ABNORMAL_OVERTRADING", "-1500.00", 2);
    json_t *j = call(s, EXEC, 7, b, NULL, "0");
    assert_string_equal(fgh_str(j, "data.amount"), "-1500.00"); /* as sent */
    assert_string_equal(fgh_str(j, "data.appliedAmount"), "1000.00");
    assert_string_equal(fgh_str(j, "data.availableAmount"), "0.00");
    json_decref(j);
    assert_avail(s, "c1", "0.00");
    exec_body(b, sizeof(b), "ot2", "alice", "USD", "ABNORMAL_OVERTRADING", "-5", 0);
    j = call(s, EXEC, 7, b, NULL, "0");
    assert_string_equal(fgh_str(j, "data.appliedAmount"), "0.00");
    json_decref(j);
    /* The cancel names the amount asked; the reversal returns what was taken. */
    cancel_body(b, sizeof(b), "ox1", "ot1", "alice", "1000.00", 2);
    expect(s, CANCEL, 7, b, NULL, "US_2000006");
    cancel_body(b, sizeof(b), "ox1b", "ot1", "alice", "1500.00", 2);
    j = call(s, CANCEL, 7, b, NULL, "0");
    assert_string_equal(fgh_str(j, "data.amount"), "1000.00");
    json_decref(j);
    cancel_body(b, sizeof(b), "ox2", "ot2", "alice", "5", 0);
    expect(s, CANCEL, 7, b, NULL, "0");
    assert_avail(s, "c1", "1000.00");

    /* ignore (company 8, signed): success, nothing moves. */
    exec_body(b, sizeof(b), "ot3", "dave", "USD", "ABNORMAL_OVERTRADING", "-500.00", 2);
    j = call(s, EXEC, 8, b, "", "0");
    assert_string_equal(fgh_str(j, "data.appliedAmount"), "0.00");
    assert_string_equal(fgh_str(j, "data.availableAmount"), "100.00");
    json_decref(j);
    assert_avail(s, "c8", "100.00");
    fgh_assert_reconciled(s);
}

static void test_signed_and_allowlist(void **state)
{
    struct fgsrv *s = *state;
    const char *q = "{\"thirdServerCode\":\"fg\",\"userName\":\"dave\",\"currency\":\"USD\"}";
    char expired[160], wrong[160], other_secret[160];
    tb_signature_make(SECRET8, strlen(SECRET8), wall_ms() - 10 * 60 * 1000, q, strlen(q), expired,
                      sizeof(expired));
    tb_signature_make(SECRET8, strlen(SECRET8), wall_ms(), "{}", 2, wrong, sizeof(wrong));
    tb_signature_make("not-the-secret-at-all", 21, wall_ms(), q, strlen(q), other_secret,
                      sizeof(other_secret));
    expect(s, QUERY, 8, q, NULL, "US_1000003");         /* missing */
    expect(s, QUERY, 8, q, wrong, "US_1000003");        /* another body */
    expect(s, QUERY, 8, q, other_secret, "US_1000003"); /* another secret */
    expect(s, QUERY, 8, q, "t=1,v1=zz", "US_1000003");  /* malformed */
    expect(s, QUERY, 8, q, expired, "US_1000004");      /* too old */
    json_t *j = call(s, QUERY, 8, q, "", "0");          /* correct */
    assert_string_equal(fgh_str(j, "data.amount"), "100.00");
    json_decref(j);

    /* A refused signature records nothing: the same number executes afterwards. */
    char b[1024];
    exec_body(b, sizeof(b), "s1", "dave", "USD", "OPEN_POSITION", "10.00", 2);
    expect(s, EXEC, 8, b, NULL, "US_1000003");
    expect(s, EXEC, 8, b, "t=1,v1=00", "US_1000003");
    assert_avail(s, "c8", "100.00");
    expect(s, EXEC, 8, b, "", "0");
    assert_avail(s, "c8", "90.00");
    char cb[1024];
    cancel_body(cb, sizeof(cb), "sx1", "s1", "dave", "10.00", 2);
    expect(s, CANCEL, 8, cb, NULL, "US_1000003");
    expect(s, CANCEL, 8, cb, "", "0");
    assert_avail(s, "c8", "100.00");

    /* Company 9 allows 10.0.0.0/8 and 2001:db8::/32 only: we come from 127.0.0.1. */
    expect(s, QUERY, 9, q, NULL, "US_1000003");
    expect(s, EXEC, 9, b, NULL, "US_1000003");
    expect(s, CANCEL, 9, cb, NULL, "US_1000003");
    /* Re-registering company 9 with 127.0.0.1 lets it in (the cache follows). */
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":9,\"auth\":\"allowlist\","
                             "\"allow\":[\"127.0.0.1/32\"]}",
                             200));
    expect(s, QUERY, 9, q, NULL, "US_2000001"); /* in, but dave is company 8's */
    fgh_assert_reconciled(s);
}

/* --- tolerance (issue 10) ------------------------------------------------------ */

/* n copies of a UTF-8 text unit, malloc'd. */
static char *repeat(const char *unit, int n)
{
    size_t u = strlen(unit);
    char *out = malloc(u * (size_t)n + 1);
    for (int i = 0; i < n; i++)
        memcpy(out + u * (size_t)i, unit, u);
    out[u * (size_t)n] = '\0';
    return out;
}

/* A cancel of rev (alice, USD) under number no with override's keys replaced
 * (a JSON null deletes the key). Caller frees. */
static char *cancel_json(const char *no, const char *rev, const char *amount, const char *override)
{
    char base[1024];
    cancel_body(base, sizeof(base), no, rev, "alice", amount, 2);
    json_t *b = json_loads(base, 0, NULL);
    json_t *o = json_loads(override, 0, NULL);
    assert_non_null(b);
    assert_non_null(o);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (json_is_null(v))
            json_object_del(b, k);
        else
            json_object_set(b, k, v);
    }
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    json_decref(o);
    return text;
}

/* The "given" part of the record a cancel left under its own number, read
 * from the server's database (NULL when there is no record). */
static int given_row(void *ctx, struct store_row *row)
{
    size_t len = 0;
    const char *text = store_row_text(row, 0, &len);
    json_t *rec = text ? json_loadb(text, len, 0, NULL) : NULL;
    *(json_t **)ctx = json_incref(json_object_get(rec, "given"));
    json_decref(rec);
    return 0;
}

static json_t *cancel_given(const struct fgsrv *s, const char *no)
{
    char key[256];
    snprintf(key, sizeof(key), "7:%s", no);
    struct store *st = fgh_store_open(s);
    struct fg_err err = {0};
    json_t *given = NULL;
    assert_int_equal(store_exec(st,
                                "SELECT response FROM idem WHERE scope = 'tb.cancel' AND key = ?",
                                STORE_ARGS(SA_TEXT(key)), given_row, &given, &err),
                     0);
    store_close(st);
    return given;
}

static bool log_has(const struct fgsrv *s, const char *needle)
{
    FILE *f = fopen(s->log, "r");
    assert_non_null(f);
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    while (!found && getline(&line, &cap, f) > 0)
        found = strstr(line, needle) != NULL;
    free(line);
    fclose(f);
    return found;
}

/* Point 1: a cancel is never refused for its descriptive fields. Each case
 * reverses a fresh 1.00 open; the money comes back every time. */
static void test_cancel_descriptive_fields(void **state)
{
    struct fgsrv *s = *state;
    char *cn80 = repeat("超", 80), *long_remark = repeat("r", 250), *long_meta = repeat("m", 250);
    char o1[600], o2[400], o3[400];
    snprintf(o1, sizeof(o1), "{\"cancelRemark\":\"%s\"}", cn80);
    snprintf(o2, sizeof(o2), "{\"cancelRemark\":\"%s\"}", long_remark);
    snprintf(o3, sizeof(o3), "{\"metadata\":\"%s\"}", long_meta);
    const char *overrides[] = {
        o1, /* 80 Chinese characters: 240 bytes */
        o2, /* over its 200 characters: stored as given, cut only in the log */
        "{\"cancelRemark\":\"line one\\nline two\"}",
        "{\"cancelRemark\":\"\",\"ip\":\"\"}",
        "{\"metadata\":{\"reason\":\"timeout\",\"tries\":[1,2]}}",
        o3,
        "{\"orderId\":\"123\"}",
        "{\"orderId\":\"not a number\",\"bizType\":3}",
        "{\"bizType\":\"1\",\"requestTime\":\"soon\"}",
        "{\"thirdServerCode\":null,\"ip\":null,\"cancelRemark\":null,\"requestTime\":null,"
        "\"bizType\":null}",
        "{\"symbol\":\"EURUSD\",\"extra\":{\"nested\":[true]}}",
        NULL};
    char b[1024], no[32], cno[32];
    for (int i = 0; overrides[i]; i++) {
        snprintf(no, sizeof(no), "dt-%d", i);
        snprintf(cno, sizeof(cno), "dtx-%d", i);
        exec_body(b, sizeof(b), no, "alice", "USD", "OPEN_POSITION", "1.00", 2);
        expect(s, EXEC, 7, b, NULL, "0");
        char *cb = cancel_json(cno, no, "1.00", overrides[i]);
        json_t *j = call(s, CANCEL, 7, cb, NULL, "0");
        assert_string_equal(fgh_str(j, "data.amount"), "1.00");
        json_decref(j);
        free(cb);
        assert_avail(s, "c1", "1000.00");
    }
    /* Bytes that are not UTF-8 in the remark: read with U+FFFD, still reversed. */
    exec_body(b, sizeof(b), "dt-bad", "alice", "USD", "OPEN_POSITION", "1.00", 2);
    expect(s, EXEC, 7, b, NULL, "0");
    char *cb = cancel_json("dtx-bad", "dt-bad", "1.00", "{\"cancelRemark\":\"ab@@cd\"}");
    char *at = strstr(cb, "@@");
    at[0] = (char)0xff;
    at[1] = (char)0xfe;
    expect(s, CANCEL, 7, cb, NULL, "0");
    free(cb);
    /* An unpaired surrogate escape (jansson refuses it): the same. */
    exec_body(b, sizeof(b), "dt-sur", "alice", "USD", "OPEN_POSITION", "1.00", 2);
    expect(s, EXEC, 7, b, NULL, "0");
    cb = cancel_json("dtx-sur", "dt-sur", "1.00", "{\"cancelRemark\":\"x@@SURRy\"}");
    memcpy(strstr(cb, "@@SURR"), "\\ud800", 6);
    expect(s, CANCEL, 7, cb, NULL, "0");
    free(cb);
    assert_avail(s, "c1", "1000.00");

    /* Stored as given, escaped: the record of the cancel keeps every field. */
    json_t *g = cancel_given(s, "dtx-0");
    assert_string_equal(fgh_str(g, "cancelRemark"), cn80);
    json_decref(g);
    g = cancel_given(s, "dtx-1");
    assert_string_equal(fgh_str(g, "cancelRemark"), long_remark);
    json_decref(g);
    g = cancel_given(s, "dtx-2");
    assert_string_equal(fgh_str(g, "cancelRemark"), "line one\nline two");
    json_decref(g);
    g = cancel_given(s, "dtx-4");
    assert_int_equal(json_integer_value(fgh_get(g, "metadata.tries.1")), 2);
    json_decref(g);
    g = cancel_given(s, "dtx-bad");
    assert_string_equal(fgh_str(g, "cancelRemark"), "ab\xef\xbf\xbd\xef\xbf\xbd"
                                                    "cd");
    json_decref(g);
    /* The log quotes the remark cut to 200 characters. */
    char *cut = repeat("r", 200);
    char want[300];
    snprintf(want, sizeof(want), "%s...", cut);
    assert_true(log_has(s, want));
    free(cut);

    /* What cannot be matched is refused, and nothing is recorded: the same
     * cancel number then works. */
    exec_body(b, sizeof(b), "dt-id", "alice", "USD", "OPEN_POSITION", "1.00", 2);
    expect(s, EXEC, 7, b, NULL, "0");
    char *rev49 = repeat("r", 49);
    char o4[200];
    snprintf(o4, sizeof(o4), "{\"reverseRequestUniqueNo\":\"%s\"}", rev49);
    const char *refused[] = {o4,
                             "{\"reverseRequestUniqueNo\":null}",
                             "{\"reverseRequestUniqueNo\":\"\"}",
                             "{\"reverseRequestUniqueNo\":42}",
                             "{\"userName\":null}",
                             "{\"currency\":\"usd\"}",
                             "{\"amount\":\"1\"}",
                             "{\"amountDigits\":null}",
                             NULL};
    for (int i = 0; refused[i]; i++) {
        char *rb = cancel_json("dtx-id", "dt-id", "1.00", refused[i]);
        expect(s, CANCEL, 7, rb, NULL, "US_1000001");
        free(rb);
    }
    cb = cancel_json("dtx-id", "dt-id@@", "1.00", "{}"); /* not UTF-8 in the number */
    at = strstr(cb, "@@");
    at[0] = (char)0xc3;
    at[1] = (char)0x28;
    expect(s, CANCEL, 7, cb, NULL, "US_1000001");
    free(cb);
    expect(s, CANCEL, 7, "{\"reverseRequestUniqueNo\":\"dt-id\"}", NULL, "US_1000001");
    assert_avail(s, "c1", "999.00");
    cb = cancel_json("dtx-id", "dt-id", "1.00", "{}");
    expect(s, CANCEL, 7, cb, NULL, "0");
    free(cb);
    assert_avail(s, "c1", "1000.00");
    free(rev49);
    free(cn80);
    free(long_remark);
    free(long_meta);
    fgh_assert_reconciled(s);
}

/* Point 2: lengths in characters; bytes that are not UTF-8 refuse an execute
 * or a query (recorded for an execute whose number is usable). */
static void test_lengths_in_characters(void **state)
{
    struct fgsrv *s = *state;
    char *zh48 = repeat("ж", 48), *zh49 = repeat("ж", 49); /* 96 and 98 bytes */
    char body[512];
    snprintf(body, sizeof(body),
             "{\"uuid\":\"c48\",\"user_name\":\"%s\",\"name\":\"Zh\",\"company_id\":7,"
             "\"base_currency\":\"USD\"}",
             zh48);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/customers", body, 201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/accounts",
                             "{\"uuid\":\"c48\",\"type\":\"futures\",\"currency\":\"USD\"}", 201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits",
                             "{\"request_id\":\"d48\",\"uuid\":\"c48\",\"type\":\"futures\","
                             "\"currency\":\"USD\",\"amount\":\"10.00\"}",
                             201));
    char b[2048];
    exec_body(b, sizeof(b), "len-1", zh48, "USD", "OPEN_POSITION", "1.00", 2);
    json_t *j = call(s, EXEC, 7, b, NULL, "0");
    assert_string_equal(fgh_str(j, "data.userName"), zh48);
    json_decref(j);
    exec_body(b, sizeof(b), "len-2", zh49, "USD", "OPEN_POSITION", "1.00", 2);
    expect(s, EXEC, 7, b, NULL, "US_1000001");

    /* A request number of 48 wide characters (144 bytes) executes and cancels. */
    char *no48 = repeat("号", 48), *cno48 = repeat("消", 48), *no49 = repeat("号", 49);
    exec_body(b, sizeof(b), no48, "alice", "USD", "OPEN_POSITION", "2.00", 2);
    expect(s, EXEC, 7, b, NULL, "0");
    cancel_body(b, sizeof(b), cno48, no48, "alice", "2.00", 2);
    expect(s, CANCEL, 7, b, NULL, "0");
    exec_body(b, sizeof(b), no49, "alice", "USD", "OPEN_POSITION", "2.00", 2);
    expect(s, EXEC, 7, b, NULL, "US_1000001");
    cancel_body(b, sizeof(b), "len-c49", no49, "alice", "2.00", 2);
    expect(s, CANCEL, 7, b, NULL, "US_1000001");

    /* metadata: 200 characters pass, 201 are refused (recorded: the cancel of
     * it answers US_0000001). */
    char *m200 = repeat("元", 200), *m201 = repeat("元", 201);
    char meta[1024];
    exec_body(b, sizeof(b), "len-m200", "alice", "USD", "OPEN_POSITION", "1.00", 2);
    snprintf(meta, sizeof(meta), ",\"metadata\":\"%s\"}", m200);
    b[strlen(b) - 1] = '\0';
    strcat(b, meta);
    expect(s, EXEC, 7, b, NULL, "0");
    exec_body(b, sizeof(b), "len-m201", "alice", "USD", "OPEN_POSITION", "1.00", 2);
    snprintf(meta, sizeof(meta), ",\"metadata\":\"%s\"}", m201);
    b[strlen(b) - 1] = '\0';
    strcat(b, meta);
    expect(s, EXEC, 7, b, NULL, "US_1000001");
    cancel_body(b, sizeof(b), "len-cm201", "len-m201", "alice", "1.00", 2);
    expect(s, CANCEL, 7, b, NULL, "US_0000001");

    /* Not UTF-8 in an execute (its ip) or a query: refused. */
    exec_body(b, sizeof(b), "len-bad", "alice", "USD", "OPEN_POSITION", "1.00", 2);
    char *ip = strstr(b, "10.1.2.3");
    ip[0] = (char)0xff;
    expect(s, EXEC, 7, b, NULL, "US_1000001");
    cancel_body(b, sizeof(b), "len-cbad", "len-bad", "alice", "1.00", 2);
    expect(s, CANCEL, 7, b, NULL, "US_0000001");
    expect(s, QUERY, 7, "{\"userName\":\"alice\",\"currency\":\"USD\",\"x\":\"\xff\"}", NULL,
           "US_1000001");
    assert_avail(s, "c1", "999.00"); /* len-m200 took 1.00; the rest moved nothing */
    char *c48 = fgh_available(s, "c48", "futures", "USD");
    assert_string_equal(c48, "9.00");
    free(c48);
    free(zh48);
    free(zh49);
    free(no48);
    free(cno48);
    free(no49);
    free(m200);
    free(m201);
    fgh_assert_reconciled(s);
}

/* Point 3: unknown body fields are ignored on all three endpoints. */
static void test_unknown_fields(void **state)
{
    struct fgsrv *s = *state;
    expect(s, QUERY, 7,
           "{\"thirdServerCode\":\"fg\",\"userName\":\"alice\",\"currency\":\"USD\","
           "\"symbol\":\"EURUSD\",\"v\":{\"x\":[1]}}",
           NULL, "0");
    char b[1024];
    exec_body(b, sizeof(b), "uf-1", "alice", "USD", "OPEN_POSITION", "3.00", 2);
    b[strlen(b) - 1] = '\0';
    strcat(b, ",\"symbol\":\"EURUSD\",\"leverage\":100,\"tags\":[\"a\"]}");
    expect(s, EXEC, 7, b, NULL, "0");
    assert_avail(s, "c1", "997.00");
    cancel_body(b, sizeof(b), "ufx-1", "uf-1", "alice", "3.00", 2);
    b[strlen(b) - 1] = '\0';
    strcat(b, ",\"symbol\":\"EURUSD\"}");
    expect(s, CANCEL, 7, b, NULL, "0");
    assert_avail(s, "c1", "1000.00");
    fgh_assert_reconciled(s);
}

/* Point 4: amount and amountDigits mean one exact value. */
static void test_amount_rule(void **state)
{
    struct fgsrv *s = *state;
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/accounts",
                             "{\"uuid\":\"c1\",\"type\":\"futures\",\"currency\":\"JPY\"}", 201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits",
                             "{\"request_id\":\"dj\",\"uuid\":\"c1\",\"type\":\"futures\","
                             "\"currency\":\"JPY\",\"amount\":\"1000\"}",
                             201));
    char b[1024];
    /* Exact with extra zeros: "100.00" with 2 is 100 JPY. */
    exec_body(b, sizeof(b), "am-1", "alice", "JPY", "OPEN_POSITION", "100.00", 2);
    json_t *j = call(s, EXEC, 7, b, NULL, "0");
    assert_string_equal(fgh_str(j, "data.amount"), "100.00");
    assert_string_equal(fgh_str(j, "data.appliedAmount"), "100");
    assert_int_equal(json_integer_value(fgh_get(j, "data.amountDigits")), 0);
    json_decref(j);
    char *jpy = fgh_available(s, "c1", "futures", "JPY");
    assert_string_equal(jpy, "900");
    free(jpy);
    /* Fewer digits than the currency's, exactly as declared: "250.0" with 1. */
    exec_body(b, sizeof(b), "am-2", "alice", "USD", "OPEN_POSITION", "250.0", 1);
    j = call(s, EXEC, 7, b, NULL, "0");
    assert_string_equal(fgh_str(j, "data.appliedAmount"), "250.00");
    json_decref(j);
    exec_body(b, sizeof(b), "am-3", "alice", "USD", "OPEN_POSITION", "1.500", 3);
    expect(s, EXEC, 7, b, NULL, "0");
    assert_avail(s, "c1", "748.50");
    /* Refused, never guessed: not exact in the currency, or a pair whose
     * decimal places disagree ("150" with 2 might mean 1.50 in minor units). */
    struct {
        const char *ccy, *amount;
        int digits;
    } bad[] = {{"JPY", "100.50", 2}, {"USD", "150", 2}, {"USD", "1.5", 2}, {"USD", "1.505", 3},
               {"USD", "1.00", 0},   {"USD", "1.", 0},  {"USD", "1.00", 9}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char no[16];
        snprintf(no, sizeof(no), "am-bad-%zu", i);
        exec_body(b, sizeof(b), no, "alice", bad[i].ccy, "OPEN_POSITION", bad[i].amount,
                  bad[i].digits);
        expect(s, EXEC, 7, b, NULL, "US_1000001");
    }
    assert_avail(s, "c1", "748.50");
    /* A cancel whose pair is inconsistent cannot be matched: refused, not
     * recorded; the consistent one reverses. */
    char *cb = cancel_json("amx-1", "am-1", "1.00", "{\"currency\":\"JPY\",\"amount\":\"100\"}");
    expect(s, CANCEL, 7, cb, NULL, "US_1000001");
    free(cb);
    cb = cancel_json("amx-1", "am-1", "1.00",
                     "{\"currency\":\"JPY\",\"amount\":\"100\",\"amountDigits\":0}");
    expect(s, CANCEL, 7, cb, NULL, "0");
    free(cb);
    jpy = fgh_available(s, "c1", "futures", "JPY");
    assert_string_equal(jpy, "1000");
    free(jpy);
    fgh_assert_reconciled(s);
}

/* Point 5: thirdServerCode, per client. */
static void test_third_server_code(void **state)
{
    struct fgsrv *s = *state;
    json_t *c = fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":11,\"auth\":\"allowlist\","
                             "\"allow\":[\"127.0.0.1\"],\"third_server_code\":\"must_equal_uuid\"}",
                             201);
    assert_string_equal(fgh_str(c, "third_server_code"), "must_equal_uuid");
    json_decref(c);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/customers",
                             "{\"uuid\":\"c11\",\"user_name\":\"frank\",\"name\":\"Frank\","
                             "\"company_id\":11,\"base_currency\":\"USD\"}",
                             201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/accounts",
                             "{\"uuid\":\"c11\",\"type\":\"futures\",\"currency\":\"USD\"}", 201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits",
                             "{\"request_id\":\"d11\",\"uuid\":\"c11\",\"type\":\"futures\","
                             "\"currency\":\"USD\",\"amount\":\"100.00\"}",
                             201));
    expect(s, QUERY, 11,
           "{\"thirdServerCode\":\"c11\",\"userName\":\"frank\",\"currency\":\"USD\"}", NULL, "0");
    expect(s, QUERY, 11, "{\"thirdServerCode\":\"c1\",\"userName\":\"frank\",\"currency\":\"USD\"}",
           NULL, "US_2000008");
    expect(s, QUERY, 11, "{\"userName\":\"frank\",\"currency\":\"USD\"}", NULL, "US_1000001");
    char b[1024], *p;
    /* A mismatch refuses the execute (recorded: its cancel says refused). */
    exec_body(b, sizeof(b), "ts-1", "frank", "USD", "OPEN_POSITION", "10.00", 2);
    expect(s, EXEC, 11, b, NULL, "US_2000008"); /* "fg" is not c11 */
    char *long_tsc = repeat("c", 100);
    exec_body(b, sizeof(b), "ts-2", "frank", "USD", "OPEN_POSITION", "10.00", 2);
    p = strstr(b, "\"fg\"");
    char nb[1200];
    snprintf(nb, sizeof(nb), "%.*s\"%s\"%s", (int)(p - b), b, long_tsc, p + 4);
    expect(s, EXEC, 11, nb, NULL, "US_2000008");
    free(long_tsc);
    char cb[1024];
    snprintf(cb, sizeof(cb),
             "{\"thirdServerCode\":\"c11\",\"userName\":\"frank\",\"currency\":\"USD\","
             "\"amount\":\"10.00\",\"amountDigits\":2,\"requestUniqueNo\":\"tsx-1\","
             "\"reverseRequestUniqueNo\":\"ts-1\",\"cancelRemark\":\"x\"}");
    expect(s, CANCEL, 11, cb, NULL, "US_0000001");
    /* A match executes; its cancel is never refused for thirdServerCode. */
    exec_body(b, sizeof(b), "ts-3", "frank", "USD", "OPEN_POSITION", "10.00", 2);
    p = strstr(b, "\"fg\"");
    snprintf(nb, sizeof(nb), "%.*s\"c11\"%s", (int)(p - b), b, p + 4);
    expect(s, EXEC, 11, nb, NULL, "0");
    char *av = fgh_available(s, "c11", "futures", "USD");
    assert_string_equal(av, "90.00");
    free(av);
    snprintf(cb, sizeof(cb),
             "{\"thirdServerCode\":\"someone-else\",\"userName\":\"frank\",\"currency\":\"USD\","
             "\"amount\":\"10.00\",\"amountDigits\":2,\"requestUniqueNo\":\"tsx-3\","
             "\"reverseRequestUniqueNo\":\"ts-3\",\"cancelRemark\":\"x\"}");
    expect(s, CANCEL, 11, cb, NULL, "0");
    av = fgh_available(s, "c11", "futures", "USD");
    assert_string_equal(av, "100.00");
    free(av);
    /* The default is "ignore" (company 7 sends "fg" throughout). */
    json_t *d = fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":12,\"auth\":\"allowlist\","
                             "\"allow\":[\"10.0.0.0/8\"]}",
                             201);
    assert_string_equal(fgh_str(d, "third_server_code"), "ignore");
    assert_int_equal(json_integer_value(json_object_get(d, "timestamp_window_s")), 0);
    json_decref(d);
    /* The window's limit is accepted; one second more is not (below). */
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":13,\"auth\":\"allowlist\","
                             "\"allow\":[\"::1\"],\"timestamp_window_s\":86400}",
                             201));
    /* The new settings are checked strictly on the admin plane. */
    const char *bad[] = {
        "{\"family\":\"tradeboss\",\"company_id\":13,\"auth\":\"allowlist\",\"allow\":[\"::1\"],"
        "\"third_server_code\":\"maybe\"}",
        "{\"family\":\"tradeboss\",\"company_id\":13,\"auth\":\"allowlist\",\"allow\":[\"::1\"],"
        "\"third_server_code\":1}",
        "{\"family\":\"tradeboss\",\"company_id\":13,\"auth\":\"allowlist\",\"allow\":[\"::1\"],"
        "\"timestamp_window_s\":-1}",
        "{\"family\":\"tradeboss\",\"company_id\":13,\"auth\":\"allowlist\",\"allow\":[\"::1\"],"
        "\"timestamp_window_s\":86401}",
        "{\"family\":\"tradeboss\",\"company_id\":13,\"auth\":\"allowlist\",\"allow\":[\"::1\"],"
        "\"timestamp_window_s\":\"300\"}",
        "{\"family\":\"tradeboss\",\"company_id\":13,\"auth\":\"allowlist\",\"allow\":[\"::1\"],"
        "\"timestamp_window_s\":1.5}",
        NULL};
    for (int i = 0; bad[i]; i++) {
        struct fgresp a;
        assert_int_equal(fgh_admin(s, "POST", "/admin/v1/clients", bad[i], &a), 0);
        if (a.status != 400)
            fail_msg("client config %d accepted: %s", i, a.body);
        fgresp_free(&a);
    }
    fgh_assert_reconciled(s);
}

/* Point 6: the timestamp window is a client's setting, off by default. */
static void test_timestamp_window(void **state)
{
    struct fgsrv *s = *state;
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":14,\"auth\":\"allowlist\","
                             "\"allow\":[\"127.0.0.1\"],\"timestamp_window_s\":300}",
                             201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/customers",
                             "{\"uuid\":\"c14\",\"user_name\":\"gina\",\"name\":\"Gina\","
                             "\"company_id\":14,\"base_currency\":\"USD\"}",
                             201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/accounts",
                             "{\"uuid\":\"c14\",\"type\":\"futures\",\"currency\":\"USD\"}", 201));
    const char *q = "{\"thirdServerCode\":\"fg\",\"userName\":\"gina\",\"currency\":\"USD\"}";
    expect(s, QUERY, 14, q, NULL, "0"); /* tb_post sends the current time */
    char stale[48], skew[48];
    snprintf(stale, sizeof(stale), "timestamp: %lld", (long long)(wall_ms() - 301 * 1000));
    snprintf(skew, sizeof(skew), "timestamp: %lld", (long long)(wall_ms() + 250 * 1000));
    const char *h_stale[] = {"trace: tr-x", "companyId: 14", stale, NULL};
    const char *h_skew[] = {"trace: tr-x", "companyId: 14", skew, NULL};
    const char *h_none[] = {"trace: tr-x", "companyId: 14", NULL};
    const char *h_bad[] = {"trace: tr-x", "companyId: 14", "timestamp: 17e11", NULL};
    const char *const *hs[] = {h_stale, h_skew, h_none, h_bad};
    const char *want[] = {"US_1000004", "0", "US_1000001", "US_1000001"};
    char b[1024];
    exec_body(b, sizeof(b), "tw-1", "gina", "USD", "NORMAL_CLOSE", "1.00", 2);
    for (int i = 0; i < 4; i++) {
        struct fgresp r;
        assert_int_equal(fgh_request(s, "POST", QUERY, hs[i], q, &r), 0);
        assert_string_equal(fgh_str(r.json, "code"), want[i]);
        fgresp_free(&r);
    }
    /* A stale execute is refused and recorded; its cancel (never windowed)
     * answers that it was refused. */
    struct fgresp r;
    assert_int_equal(fgh_request(s, "POST", EXEC, h_stale, b, &r), 0);
    assert_string_equal(fgh_str(r.json, "code"), "US_1000004");
    fgresp_free(&r);
    char cb[1024];
    snprintf(cb, sizeof(cb),
             "{\"userName\":\"gina\",\"currency\":\"USD\",\"amount\":\"1.00\",\"amountDigits\":2,"
             "\"requestUniqueNo\":\"twx-1\",\"reverseRequestUniqueNo\":\"tw-1\"}");
    assert_int_equal(fgh_request(s, "POST", CANCEL, h_stale, cb, &r), 0);
    assert_string_equal(fgh_str(r.json, "code"), "US_0000001");
    fgresp_free(&r);
    /* Company 7 keeps no window: a day-old timestamp executes. */
    char old[48];
    snprintf(old, sizeof(old), "timestamp: %lld", (long long)(wall_ms() - 86400 * 1000));
    const char *h7[] = {"trace: tr-y", "companyId: 7", old, NULL};
    exec_body(b, sizeof(b), "tw-2", "alice", "USD", "NORMAL_CLOSE", "1.00", 2);
    assert_int_equal(fgh_request(s, "POST", EXEC, h7, b, &r), 0);
    assert_string_equal(fgh_str(r.json, "code"), "0");
    fgresp_free(&r);
    /* A signing client keeps its signature's own window, whatever the header. */
    exec_body(b, sizeof(b), "tw-3", "dave", "USD", "NORMAL_CLOSE", "1.00", 2);
    char sig[160], xs[200];
    tb_signature_make(SECRET8, strlen(SECRET8), wall_ms(), b, strlen(b), sig, sizeof(sig));
    snprintf(xs, sizeof(xs), "X-Signature: %s", sig);
    const char *h8[] = {"trace: tr-z", "companyId: 8", old, xs, NULL};
    assert_int_equal(fgh_request(s, "POST", EXEC, h8, b, &r), 0);
    assert_string_equal(fgh_str(r.json, "code"), "0");
    fgresp_free(&r);
    const char *q8 = "{\"thirdServerCode\":\"fg\",\"userName\":\"dave\",\"currency\":\"USD\"}";
    tb_signature_make(SECRET8, strlen(SECRET8), wall_ms() - 301 * 1000, q8, strlen(q8), sig,
                      sizeof(sig));
    snprintf(xs, sizeof(xs), "X-Signature: %s", sig);
    const char *h8old[] = {"trace: tr-z", "companyId: 8", xs, NULL};
    assert_int_equal(fgh_request(s, "POST", QUERY, h8old, q8, &r), 0);
    assert_string_equal(fgh_str(r.json, "code"), "US_1000004");
    fgresp_free(&r);
    fgh_assert_reconciled(s);
}

/* Point 7: a cancel naming a cancel's number is refused and writes nothing. */
static void test_cancel_of_a_cancel(void **state)
{
    struct fgsrv *s = *state;
    char b[1024];
    exec_body(b, sizeof(b), "cc-e1", "alice", "USD", "OPEN_POSITION", "5.00", 2);
    expect(s, EXEC, 7, b, NULL, "0");
    cancel_body(b, sizeof(b), "cc-x1", "cc-e1", "alice", "5.00", 2);
    expect(s, CANCEL, 7, b, NULL, "0");
    cancel_body(b, sizeof(b), "cc-x2", "cc-x1", "alice", "5.00", 2);
    json_t *j = call(s, CANCEL, 7, b, NULL, "US_2000009");
    assert_non_null(strstr(fgh_str(j, "msg"), "number of a cancel"));
    json_decref(j);
    expect(s, CANCEL, 7, b, NULL, "US_2000009");
    assert_avail(s, "c1", "1000.00");
    /* Nothing was recorded under cc-x2: the number serves another cancel. */
    cancel_body(b, sizeof(b), "cc-x2", "cc-never", "alice", "5.00", 2);
    expect(s, CANCEL, 7, b, NULL, "US_0000002");
    /* And no tombstone under cc-x1: an execute of that number applies. */
    exec_body(b, sizeof(b), "cc-x1", "alice", "USD", "OPEN_POSITION", "5.00", 2);
    expect(s, EXEC, 7, b, NULL, "0");
    assert_avail(s, "c1", "995.00");
    cancel_body(b, sizeof(b), "cc-x3", "cc-x1", "alice", "5.00", 2);
    expect(s, CANCEL, 7, b, NULL, "0");
    assert_avail(s, "c1", "1000.00");
    fgh_assert_reconciled(s);
}

/* --- the race ----------------------------------------------------------------- */

#define RACE_THREADS 24
#define RACE_ROUNDS 6

struct race_arg {
    const struct fgsrv *s;
    pthread_barrier_t *go;
    bool cancel;
    char body[1024];
    char code[32]; /* the answer, or "ERR" */
};

static void *race_worker(void *p)
{
    struct race_arg *a = p;
    pthread_barrier_wait(a->go);
    struct fgresp r;
    int rc = tb_post(a->s, a->cancel ? CANCEL : EXEC, 7, a->body, NULL, &r);
    const char *code = rc == 0 && r.status == 200 ? fgh_str(r.json, "code") : NULL;
    snprintf(a->code, sizeof(a->code), "%s", code ? code : "ERR");
    fgresp_free(&r);
    return NULL;
}

static void test_race_execute_and_cancel(void **state)
{
    struct fgsrv *s = *state;
    int reversed = 0, fenced = 0;
    for (int round = 0; round < RACE_ROUNDS; round++) {
        struct race_arg args[RACE_THREADS];
        pthread_t th[RACE_THREADS];
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, RACE_THREADS);
        char no[32], cno[32];
        snprintf(no, sizeof(no), "race-%d", round);
        snprintf(cno, sizeof(cno), "race-cancel-%d", round);
        for (int i = 0; i < RACE_THREADS; i++) {
            args[i] = (struct race_arg){.s = s, .go = &go, .cancel = (i + round) % 2 == 1};
            if (args[i].cancel)
                cancel_body(args[i].body, sizeof(args[i].body), cno, no, "alice", "250.00", 2);
            else
                exec_body(args[i].body, sizeof(args[i].body), no, "alice", "USD", "OPEN_POSITION",
                          "250.00", 2);
            pthread_create(&th[i], NULL, race_worker, &args[i]);
        }
        for (int i = 0; i < RACE_THREADS; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&go);
        const char *exec_code = NULL, *cancel_code = NULL;
        for (int i = 0; i < RACE_THREADS; i++) {
            const char **want = args[i].cancel ? &cancel_code : &exec_code;
            if (!*want)
                *want = args[i].code;
            if (strcmp(*want, args[i].code) != 0)
                fail_msg("round %d: %s copies answered %s and %s", round,
                         args[i].cancel ? "cancel" : "execute", *want, args[i].code);
        }
        /* All or nothing: applied then reversed, or fenced off before. */
        if (strcmp(exec_code, "0") == 0) {
            assert_string_equal(cancel_code, "0");
            reversed++;
        } else {
            assert_string_equal(exec_code, "US_2000005");
            assert_string_equal(cancel_code, "US_0000002");
            fenced++;
        }
        assert_avail(s, "c1", "1000.00");
        fgh_assert_reconciled(s);
    }
    printf("race: %d rounds applied then reversed, %d fenced before the execute\n", reversed,
           fenced);
}

static void test_kill9_between_execute_and_cancel(void **state)
{
    struct fgsrv *s = *state;
    char b[1024], cb[1024];
    exec_body(b, sizeof(b), "k1", "alice", "USD", "OPEN_POSITION", "300.00", 2);
    json_t *first = call(s, EXEC, 7, b, NULL, "0");
    assert_avail(s, "c1", "700.00");
    fgsrv_kill9(s);
    fgsrv_start(s);                                 /* same data directory */
    json_t *again = call(s, EXEC, 7, b, NULL, "0"); /* the fence survived */
    assert_same_answer(first, again);
    json_decref(first);
    json_decref(again);
    assert_avail(s, "c1", "700.00");
    cancel_body(cb, sizeof(cb), "kx1", "k1", "alice", "300.00", 2);
    expect(s, CANCEL, 7, cb, NULL, "0");
    assert_avail(s, "c1", "1000.00");
    /* And a tombstone written before a crash still fences the late execute. */
    cancel_body(cb, sizeof(cb), "kx2", "k2", "alice", "300.00", 2);
    expect(s, CANCEL, 7, cb, NULL, "US_0000002");
    fgsrv_kill9(s);
    fgsrv_start(s);
    exec_body(b, sizeof(b), "k2", "alice", "USD", "OPEN_POSITION", "300.00", 2);
    expect(s, EXEC, 7, b, NULL, "US_2000005");
    assert_avail(s, "c1", "1000.00");
    fgh_assert_reconciled(s);
}

/* --- latency (printed, not asserted) ------------------------------------------ */

#define LAT_THREADS 16
#define LAT_PER_THREAD 60

struct lat_arg {
    const struct fgsrv *s;
    int id;
    int64_t us[LAT_PER_THREAD];
    int errors;
};

static void *lat_worker(void *p)
{
    struct lat_arg *a = p;
    for (int i = 0; i < LAT_PER_THREAD; i++) {
        char no[48], b[1024];
        snprintf(no, sizeof(no), "lat-%d-%d", a->id, i);
        exec_body(b, sizeof(b), no, "alice", "USD", i % 2 ? "NORMAL_CLOSE" : "OPEN_POSITION",
                  "0.01", 2);
        struct fgresp r;
        int64_t t0 = mono_us();
        int rc = tb_post(a->s, EXEC, 7, b, NULL, &r);
        a->us[i] = mono_us() - t0;
        const char *code = rc == 0 ? fgh_str(r.json, "code") : NULL;
        if (!code || strcmp(code, "0") != 0)
            a->errors++;
        fgresp_free(&r);
    }
    return NULL;
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static void test_execute_latency(void **state)
{
    struct fgsrv *s = *state;
    static struct lat_arg args[LAT_THREADS];
    pthread_t th[LAT_THREADS];
    int64_t t0 = mono_us();
    for (int i = 0; i < LAT_THREADS; i++) {
        args[i] = (struct lat_arg){.s = s, .id = i};
        pthread_create(&th[i], NULL, lat_worker, &args[i]);
    }
    static int64_t all[LAT_THREADS * LAT_PER_THREAD];
    int n = 0, errors = 0;
    for (int i = 0; i < LAT_THREADS; i++) {
        pthread_join(th[i], NULL);
        memcpy(all + n, args[i].us, sizeof(args[i].us));
        n += LAT_PER_THREAD;
        errors += args[i].errors;
    }
    int64_t wall = mono_us() - t0;
    qsort(all, (size_t)n, sizeof(all[0]), cmp_i64);
    printf("execute latency (debug+asan build, %d threads, %d executes, %.0f/s): median %.2f ms, "
           "p99 %.2f ms, max %.2f ms\n",
           LAT_THREADS, n, n * 1e6 / (double)wall, all[n / 2] / 1000.0,
           all[(n * 99) / 100] / 1000.0, all[n - 1] / 1000.0);
    assert_int_equal(errors, 0);
    assert_avail(s, "c1", "1000.00"); /* as many closes as opens */
    fgh_assert_reconciled(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_query_and_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_close_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_branches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overtrading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_and_allowlist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_descriptive_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lengths_in_characters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_amount_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_third_server_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timestamp_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_of_a_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_race_execute_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill9_between_execute_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_execute_latency, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
