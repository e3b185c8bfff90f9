/*
 * test_funds.c - end to end: the Funds family (issue 4) against the real
 * server with --test-clock.
 *
 *  - test_codes: ONE table of refused requests reaching every code of the
 *    Funds code table (docs/protocols/funds.md "Codes") that the flow can
 *    produce, each asserting the code and that no money moved (both
 *    customers' accounts unchanged, reconcile ok); it covers tokens (wrong
 *    secret, alg none, too old, wrong iss, unknown app), the create checks in
 *    their order (docs/protocols/funds.md "/order/v2/create"), replay
 *    conflicts, cooldown, order endpoints, transfers, conversion and the
 *    admin's 110039;
 *  - test_replay: an identical replay answers the original bytes;
 *  - test_lifecycle: reject -> appeal -> reopen -> approve -> paid, cancel,
 *    failed, balances and reconcile at every step;
 *  - test_value_day: weekend, holiday, cut-off and the calendar's end;
 *  - test_fee_edges: fee rounding up and clamping on the wire;
 *  - test_concurrent: two creates for one customer at once (one wins, the
 *    other 110203 or 110027), and a burst of one request id.
 * Worker threads only record results; the main thread asserts.
 */
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/jwt.h"
#include "harness.h"

#define SECRET1 "app1-secret-0123456789abcdef"
#define SECRET2 "app2-secret-0123456789abcdef"
#define T0_MS 1767751200000LL /* 2026-01-07T02:00:00Z: Wednesday 10:00 at +08:00 */

struct ctx {
    struct fgsrv s;
    int64_t now_ms;
    char o1[40], o2[40], o3[40], o4[40];
};

/* --- helpers ---------------------------------------------------------------- */

static void clock_set(struct ctx *c, int64_t ms)
{
    char body[64];
    c->now_ms = ms;
    snprintf(body, sizeof(body), "{\"now_ms\":%lld}", (long long)ms);
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/test/clock", body, 200));
}

/* A token; omnibus NULL leaves OmnibusAccountId out. */
static char *token_omni(const char *app, const char *user, const char *secret, int64_t iat_s,
                        const char *iss, const char *omnibus)
{
    json_t *sub =
        json_pack("{s:s,s:s,s:s}", "UserName", user, "Appid", app, "Email", "x@example.com");
    if (omnibus)
        json_object_set_new(sub, "OmnibusAccountId", json_string(omnibus));
    char *sub_text = json_dumps(sub, JSON_COMPACT);
    json_t *claims =
        json_pack("{s:s,s:s,s:I}", "iss", iss, "sub", sub_text, "iat", (json_int_t)iat_s);
    char *payload = json_dumps(claims, JSON_COMPACT);
    char *t = jwt_hs256_sign(payload, secret, strlen(secret));
    json_decref(sub);
    json_decref(claims);
    free(sub_text);
    free(payload);
    return t;
}

static char *token_full(const char *app, const char *user, const char *secret, int64_t iat_s,
                        const char *iss)
{
    return token_omni(app, user, secret, iat_s, iss, "A004");
}

static char *token(struct ctx *c, const char *user)
{
    return token_full("app1", user, SECRET1, c->now_ms / 1000, "Trading-Auth");
}

/* POST a Funds request; token NULL sends none. */
static void call(struct ctx *c, const char *path, const char *tok, const char *body, bool zh,
                 struct fgresp *r)
{
    char auth[4200];
    const char *headers[4] = {NULL};
    int n = 0;
    if (tok) {
        snprintf(auth, sizeof(auth), "X-Auth-Token: %s", tok);
        headers[n++] = auth;
    }
    if (zh)
        headers[n++] = "Accept-Language: zh-CN,zh;q=0.9";
    assert_int_equal(fgh_request(&c->s, "POST", path, headers, body, r), 0);
}

static long code_of(struct fgresp *r)
{
    json_t *v = fgh_get(r->json, "code");
    return v ? (long)json_integer_value(v) : -1;
}

/* Both customers' accounts and the customer-visible state, as text. */
static char *snapshot(struct ctx *c)
{
    json_t *a = fgh_admin_ok(&c->s, "GET", "/admin/v1/accounts?uuid=c1", NULL, 200);
    json_t *b = fgh_admin_ok(&c->s, "GET", "/admin/v1/accounts?uuid=c2", NULL, 200);
    json_t *w = fgh_admin_ok(&c->s, "GET", "/admin/v1/withdrawals", NULL, 200);
    json_t *all = json_pack("[o,o,o]", a, b, w);
    char *text = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(all);
    return text;
}

static void admin(struct ctx *c, const char *method, const char *path, const char *body,
                  long status)
{
    json_decref(fgh_admin_ok(&c->s, method, path, body, status));
}

static void assert_avail(struct ctx *c, const char *uuid, const char *ccy, const char *avail,
                         const char *balance)
{
    char *a = fgh_available(&c->s, uuid, "wallet", ccy);
    char *b = fgh_balance(&c->s, uuid, "wallet", ccy);
    assert_string_equal(a, avail);
    assert_string_equal(b, balance);
    free(a);
    free(b);
}

static const char base_body[] =
    "{\"request_id\":\"rq\",\"uuid\":\"c1\",\"account_type\":\"wallet\","
    "\"currency\":\"USD\",\"amount\":\"100.00\","
    "\"operation_mode_id\":1,\"source\":\"app\","
    "\"client_bank_id\":\"b1\"}";

/* base_body with override's keys replaced (null deletes a key). */
static char *create_body(const char *override)
{
    json_t *b = json_loads(base_body, 0, NULL);
    json_t *o = json_loads(override, 0, NULL);
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

/* Create an order; returns its serial in out (must succeed). */
static void create_ok(struct ctx *c, const char *user, const char *override, char *out, size_t cap,
                      json_t **data)
{
    char *tok = token(c, user);
    char *body = create_body(override);
    struct fgresp r;
    call(c, "/order/v2/create", tok, body, false, &r);
    if (code_of(&r) != 0)
        fprintf(stderr, "create %s: %s\n", body, r.body);
    assert_int_equal(r.status, 200);
    assert_int_equal(code_of(&r), 0);
    snprintf(out, cap, "%s", fgh_str(r.json, "data.order_serial"));
    if (data)
        *data = json_incref(fgh_get(r.json, "data"));
    fgresp_free(&r);
    free(body);
    free(tok);
}

/* --- world ------------------------------------------------------------------- */

static void seed(struct ctx *c)
{
    fgh_seed_basic(&c->s); /* USD, JPY, c1 alice (app1) with USD wallet and futures */
    clock_set(c, T0_MS);
    static const char *const currencies[] = {
        "{\"code\":\"HKD\",\"digits\":2}", "{\"code\":\"EUR\",\"digits\":2}",
        "{\"code\":\"GBP\",\"digits\":2}", "{\"code\":\"SGD\",\"digits\":2}",
        "{\"code\":\"USDT\",\"digits\":6,\"digital\":true}"};
    for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
        admin(c, "POST", "/admin/v1/currencies", currencies[i], 201);
    static const char *const customers[] = {"c2:bob:Bob Chan:app1", "c3:carol:Carol Wu:app2",
                                            "c4:dan:Dan Ho:app1", "c5:eve:Eve Ng:app1"};
    for (size_t i = 0; i < 4; i++) {
        char id[8], user[8], name[16], app[8], body[256];
        sscanf(customers[i], "%7[^:]:%7[^:]:%15[^:]:%7s", id, user, name, app);
        snprintf(body, sizeof(body),
                 "{\"uuid\":\"%s\",\"user_name\":\"%s\",\"name\":\"%s\",\"app_id\":\"%s\","
                 "\"company_id\":7,\"base_currency\":\"USD\"}",
                 id, user, name, app);
        admin(c, "POST", "/admin/v1/customers", body, 201);
    }
    static const char *const accounts[] = {
        "c1:securities:USD", "c1:wallet:GBP", "c1:wallet:EUR", "c1:wallet:SGD", "c1:wallet:HKD",
        "c1:wallet:USDT",    "c2:wallet:USD", "c3:wallet:USD", "c4:wallet:USD", "c5:wallet:USD"};
    for (size_t i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++) {
        char id[8], type[16], ccy[8], body[160];
        sscanf(accounts[i], "%7[^:]:%15[^:]:%7s", id, type, ccy);
        snprintf(body, sizeof(body), "{\"uuid\":\"%s\",\"type\":\"%s\",\"currency\":\"%s\"}", id,
                 type, ccy);
        admin(c, "POST", "/admin/v1/accounts", body, 201);
    }
    static const char *const deposits[] = {
        "c1:wallet:USD:1000",    "c1:wallet:SGD:1000", "c1:wallet:EUR:1000",
        "c1:wallet:HKD:1000",    "c1:wallet:USDT:100", "c1:wallet:GBP:100",
        "c1:securities:USD:100", "c2:wallet:USD:1000", "c3:wallet:USD:1000"};
    for (size_t i = 0; i < sizeof(deposits) / sizeof(deposits[0]); i++) {
        char id[8], type[16], ccy[8], amt[16], body[200];
        sscanf(deposits[i], "%7[^:]:%15[^:]:%7[^:]:%15s", id, type, ccy, amt);
        snprintf(body, sizeof(body),
                 "{\"request_id\":\"dep%zu\",\"uuid\":\"%s\",\"type\":\"%s\",\"currency\":\"%s\","
                 "\"amount\":\"%s\"}",
                 i, id, type, ccy, amt);
        admin(c, "POST", "/admin/v1/deposits", body, 201);
    }
    admin(c, "POST", "/admin/v1/customers",
          "{\"uuid\":\"c6\",\"user_name\":\"fay\",\"name\":\"Fay Lam\",\"app_id\":\"app1\","
          "\"company_id\":7,\"base_currency\":\"USD\",\"omnibus_account_id\":\"B001\"}",
          201);
    admin(c, "POST", "/admin/v1/accounts",
          "{\"uuid\":\"c6\",\"type\":\"wallet\",\"currency\":\"USD\"}", 201);
    admin(c, "POST", "/admin/v1/deposits",
          "{\"request_id\":\"dep-c6\",\"uuid\":\"c6\",\"type\":\"wallet\",\"currency\":\"USD\","
          "\"amount\":\"1000\"}",
          201);
    admin(c, "PATCH", "/admin/v1/customers/c4", "{\"status\":\"disabled\"}", 200);
    admin(c, "PATCH", "/admin/v1/customers/c5", "{\"status\":\"cancelled\"}", 200);
    admin(c, "POST", "/admin/v1/clients",
          "{\"family\":\"funds\",\"app_id\":\"app1\",\"jwt_secret\":\"" SECRET1 "\","
          "\"token_max_age_s\":86400,\"allowed_modes\":[1,2],\"third_party_allowed\":false,"
          "\"appeal_days\":7}",
          201);
    admin(c, "POST", "/admin/v1/clients",
          "{\"family\":\"funds\",\"app_id\":\"app2\",\"jwt_secret\":\"" SECRET2 "\"}", 201);
    admin(c, "POST", "/admin/v1/operators",
          "{\"app_id\":\"app1\",\"user_name\":\"ops1\",\"roles\":[\"withdraw\",\"view\"],"
          "\"account_types\":[\"wallet\",\"securities\"]}",
          201);
    admin(c, "POST", "/admin/v1/operators",
          "{\"app_id\":\"app1\",\"user_name\":\"viewer\",\"roles\":[\"view\"]}", 201);
    admin(c, "POST", "/admin/v1/operators",
          "{\"app_id\":\"app1\",\"user_name\":\"srv\",\"roles\":[\"api\"]}", 201);
    static const char *const banks[] = {
        "c1:b1:Alice Li:001:USD:approved",          "c1:b_rej:Alice Li:002:USD:rejected",
        "c1:b_incomplete:Alice Li::USD:approved",   "c1:b_hkd:Alice Li:003:HKD:approved",
        "c1:b_third:Someone Else:004:USD:approved", "c1:b_sgd:Alice Li:005:SGD:approved",
        "c1:b_sgd2:Alice Li:006:SGD:approving",     "c1:b_eur:Alice Li:007:EUR:approved",
        "c2:b2:Bob Chan:008:USD:approved",          "c6:b6:Fay Lam:009:USD:approved"};
    for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++) {
        char id[8] = "", bid[32] = "", holder[32] = "", acct[8] = "", ccy[8] = "", st[16] = "";
        char body[400], path[80];
        const char *p = banks[i];
        /* Fields separated by ':'; the account number may be empty. */
        char *f[6] = {id, bid, holder, acct, ccy, st};
        size_t caps[6] = {8, 32, 32, 8, 8, 16};
        for (int k = 0; k < 6; k++) {
            size_t len = strcspn(p, ":");
            snprintf(f[k], caps[k], "%.*s", (int)len, p);
            p += len + (p[len] == ':');
        }
        snprintf(body, sizeof(body),
                 "{\"client_bank_id\":\"%s\",\"bank_name\":\"Bank\",%s%s%s\"holder_name\":\"%s\","
                 "\"currency\":\"%s\",\"status\":\"%s\"}",
                 bid, acct[0] ? "\"account_no\":\"" : "", acct, acct[0] ? "\"," : "", holder, ccy,
                 st);
        snprintf(path, sizeof(path), "/admin/v1/customers/%s/banks", id);
        admin(c, "POST", path, body, 201);
    }
    admin(c, "POST", "/admin/v1/rules/withdrawal",
          "{\"currency\":\"USD\",\"min\":\"10.00\",\"max\":\"5000.00\",\"fee_fixed\":\"1.00\","
          "\"fee_bp\":10,\"fee_min\":\"1.00\",\"fee_max\":\"50.00\",\"cooldown_s\":600,"
          "\"settlement_days\":2,\"cutoff\":\"16:00\",\"utc_offset\":\"+08:00\","
          "\"account_types\":[\"wallet\",\"futures\"]}",
          201);
    admin(c, "POST", "/admin/v1/rules/withdrawal",
          "{\"currency\":\"SGD\",\"min\":\"1.00\",\"max\":\"1000.00\",\"fee_fixed\":\"5.00\","
          "\"fee_bp\":0,\"fee_min\":\"5.00\",\"fee_max\":\"5.00\",\"cooldown_s\":0,"
          "\"settlement_days\":0,\"cutoff\":\"16:00\",\"utc_offset\":\"+08:00\"}",
          201);
    static const char *const other_rules[] = {"EUR", "HKD", "USDT"};
    for (int i = 0; i < 3; i++) {
        char body[400];
        snprintf(body, sizeof(body),
                 "{\"currency\":\"%s\",\"min\":\"1\",\"max\":\"5000\",\"fee_fixed\":\"1\","
                 "\"fee_bp\":10,\"fee_min\":\"1\",\"fee_max\":\"50\",\"cooldown_s\":0,"
                 "\"settlement_days\":1,\"cutoff\":\"16:00\",\"utc_offset\":\"+08:00\"}",
                 other_rules[i]);
        admin(c, "POST", "/admin/v1/rules/withdrawal", body, 201);
    }
    admin(c, "POST", "/admin/v1/rates",
          "{\"pair\":\"USD/HKD\",\"bid\":\"7.7800\",\"ask\":\"7.8000\"}", 201);
    admin(c, "POST", "/admin/v1/rates",
          "{\"pair\":\"SGD/USD\",\"bid\":\"0.7400\",\"ask\":\"0.7500\"}", 201);
    admin(c, "POST", "/admin/v1/rates",
          "{\"pair\":\"USDT/USD\",\"bid\":\"0.999\",\"ask\":\"1.001\"}", 201);
    admin(c, "POST", "/admin/v1/calendars/USD/holidays",
          "{\"dates\":[\"2026-01-19\",\"2026-12-25\"],\"through\":\"2026-12-31\"}", 201);
    admin(c, "POST", "/admin/v1/calendars/SGD/holidays", "{\"dates\":[\"2026-01-01\"]}", 201);
    admin(c, "POST", "/admin/v1/calendars/EUR/holidays", "{\"dates\":[\"2026-01-01\"]}", 201);
    admin(c, "POST", "/admin/v1/calendars/USDT/holidays", "{\"through\":\"2026-12-31\"}", 201);
    /* HKD: a rule and a rate but no calendar (110033). EUR: no rate (110028). */
}

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->s.args[0] = "--test-clock";
    c->s.args[1] = "--test-faults";
    fgsrv_start(&c->s);
    seed(c);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    int rc = fgsrv_stop(&c->s);
    fgsrv_cleanup(&c->s);
    free(c);
    assert_int_equal(rc, 0);
    return 0;
}

/* --- the code table ---------------------------------------------------------- */

enum tok {
    T_ALICE,
    T_BOB,
    T_OPS,
    T_VIEWER,
    T_GHOST,
    T_SERVER,
    T_DAN, /* c4, disabled */
    T_EVE, /* c5, cancelled */
    T_NONE,
    T_WRONG_SECRET,
    T_ALG_NONE,
    T_OLD,
    T_ISS,
    T_UNKNOWN_APP,
    T_ADMIN, /* an admin-plane request */
};

struct row {
    const char *name;
    const char *path; /* NULL: /order/v2/create with body merged into base_body */
    enum tok tok;
    const char *body; /* {O1}..{O4}: the prepared orders' serials; {M257}: 257 characters */
    long want;
    int64_t advance_s; /* move the clock first */
    bool zh;
    const char *want_msg; /* optional */
};

static const struct row rows[] = {
    {"no token", NULL, T_NONE, "{}", 990009, 0, false, "Unauthorized access is prohibited"},
    {"wrong secret", NULL, T_WRONG_SECRET, "{}", 990009, 0, false, NULL},
    {"alg none", NULL, T_ALG_NONE, "{}", 990009, 0, false, NULL},
    {"token too old", NULL, T_OLD, "{}", 990009, 0, false, NULL},
    {"wrong iss", NULL, T_ISS, "{}", 990009, 0, false, NULL},
    {"unknown app", NULL, T_UNKNOWN_APP, "{}", 110007, 0, false, NULL},
    {"empty body", "/order/v2/create", T_ALICE, "", 110036, 0, false, NULL},
    {"missing amount", NULL, T_ALICE, "{\"amount\":null}", 110001, 0, false, "Parameter error"},
    {"amount 1e3", NULL, T_ALICE, "{\"amount\":\"1e3\"}", 110001, 0, true, "参数错误"},
    {"amount as number", NULL, T_ALICE, "{\"amount\":100}", 110001, 0, false, NULL},
    {"bank id as a number", NULL, T_ALICE, "{\"client_bank_id\":5}", 110001, 0, false, NULL},
    {"bank_mark too long", NULL, T_ALICE, "{\"bank_mark\":\"{M257}\"}", 110001, 0, false, NULL},
    {"mode 7", NULL, T_ALICE, "{\"operation_mode_id\":7}", 110018, 0, false, NULL},
    {"source fax", NULL, T_ALICE, "{\"source\":\"fax\"}", 110021, 0, false, NULL},
    {"initiator unknown", NULL, T_GHOST, "{}", 110015, 0, false, NULL},
    {"nobody in mode 2", NULL, T_GHOST, "{\"operation_mode_id\":2}", 110015, 0, false, NULL},
    {"nobody in mode 3", NULL, T_GHOST, "{\"operation_mode_id\":3}", 110015, 0, false, NULL},
    {"customer's token in mode 2 on its own account", NULL, T_ALICE, "{\"operation_mode_id\":2}",
     110014, 0, false, NULL},
    {"operator without role", NULL, T_VIEWER, "{\"operation_mode_id\":2}", 110014, 0, false, NULL},
    {"uuid unknown", NULL, T_ALICE, "{\"uuid\":\"nobody\"}", 110002, 0, false, NULL},
    {"account type unknown", NULL, T_ALICE, "{\"account_type\":\"savings\"}", 110003, 0, false,
     NULL},
    {"customer disabled", NULL, T_ALICE, "{\"uuid\":\"c4\"}", 110034, 0, false, NULL},
    {"customer cancelled", NULL, T_ALICE, "{\"uuid\":\"c5\"}", 110035, 0, false, NULL},
    {"initiator is not owner", NULL, T_ALICE, "{\"uuid\":\"c2\",\"client_bank_id\":\"b2\"}", 110005,
     0, false, NULL},
    {"customer's token in mode 3 on another's account", NULL, T_ALICE,
     "{\"uuid\":\"c2\",\"client_bank_id\":\"b2\",\"operation_mode_id\":3}", 110005, 0, false, NULL},
    {"customer of another app", NULL, T_OPS, "{\"uuid\":\"c3\",\"operation_mode_id\":2}", 110029, 0,
     false, NULL},
    /* Nothing of another app's customer shows before 110029: neither which accounts it has
     * (110003 before) nor that it is another's (110005 before). */
    {"another app's customer, an account it lacks", NULL, T_OPS,
     "{\"uuid\":\"c3\",\"operation_mode_id\":2,\"account_type\":\"futures\"}", 110029, 0, false,
     NULL},
    {"another app's customer, a customer's token", NULL, T_ALICE, "{\"uuid\":\"c3\"}", 110029, 0,
     false, NULL},
    {"operator account type", NULL, T_OPS, "{\"account_type\":\"futures\",\"operation_mode_id\":2}",
     110009, 0, false, NULL},
    {"other omnibus account", NULL, T_OPS,
     "{\"uuid\":\"c6\",\"operation_mode_id\":2,\"client_bank_id\":\"b6\"}", 110006, 0, false, NULL},
    {"mode not allowed", NULL, T_SERVER, "{\"operation_mode_id\":3}", 110008, 0, false, NULL},
    {"wallet lacks currency", NULL, T_ALICE, "{\"currency\":\"JPY\"}", 110004, 0, true,
     "发生币种与账户币种不一致"},
    {"trading account lacks currency", NULL, T_ALICE,
     "{\"account_type\":\"futures\",\"currency\":\"EUR\"}", 110024, 0, false, NULL},
    {"amount precision", NULL, T_ALICE, "{\"amount\":\"100.001\"}", 110216, 0, false, NULL},
    {"no rule", NULL, T_ALICE, "{\"currency\":\"GBP\",\"amount\":\"10\"}", 110012, 0, false, NULL},
    {"type may not withdraw", NULL, T_ALICE, "{\"account_type\":\"securities\"}", 110201, 0, false,
     NULL},
    {"not digital", NULL, T_ALICE, "{\"chain\":\"ERC20\",\"address\":\"0xabc\"}", 110212, 0, false,
     NULL},
    {"clearing id missing", NULL, T_ALICE,
     "{\"currency\":\"USDT\",\"amount\":\"10\",\"client_bank_id\":null}", 110213, 0, false, NULL},
    {"bank id missing", NULL, T_ALICE, "{\"client_bank_id\":null}", 110037, 0, false, NULL},
    {"bank id unknown", NULL, T_ALICE, "{\"client_bank_id\":\"nope\"}", 110037, 0, false, NULL},
    {"bank rejected", NULL, T_ALICE, "{\"client_bank_id\":\"b_rej\"}", 110038, 0, false, NULL},
    {"bank incomplete", NULL, T_ALICE, "{\"client_bank_id\":\"b_incomplete\"}", 110207, 0, false,
     NULL},
    {"payee not owner", NULL, T_ALICE, "{\"payee_id\":\"c2\"}", 110214, 0, false, NULL},
    {"payee currency", NULL, T_ALICE, "{\"client_bank_id\":\"b_hkd\"}", 110215, 0, false, NULL},
    {"third party", NULL, T_ALICE, "{\"client_bank_id\":\"b_third\"}", 110206, 0, false, NULL},
    {"zero amount", NULL, T_ALICE, "{\"amount\":\"0\"}", 110208, 0, false, NULL},
    {"negative amount", NULL, T_ALICE, "{\"amount\":\"-5.00\"}", 110208, 0, false, NULL},
    {"negative amount, empty bank text", NULL, T_ALICE,
     "{\"amount\":\"-5.00\",\"bank_address_details\":\"\",\"bank_mark\":\"a\\nb\"}", 110208, 0,
     false, NULL},
    {"above max, bank text with a newline", NULL, T_ALICE,
     "{\"amount\":\"6000.00\",\"bank_address_details\":\"Flat 3\\nBlock B\"}", 110205, 0, false,
     NULL},
    {"below min", NULL, T_ALICE, "{\"amount\":\"5.00\"}", 110204, 0, false, NULL},
    {"above max", NULL, T_ALICE, "{\"amount\":\"6000.00\"}", 110205, 0, false, NULL},
    {"fee not below amount", NULL, T_ALICE,
     "{\"currency\":\"SGD\",\"amount\":\"3.00\",\"client_bank_id\":\"b_sgd\"}", 110209, 0, false,
     NULL},
    {"fee over amount", NULL, T_ALICE, "{\"fee\":\"200.00\"}", 110210, 0, false, NULL},
    {"fee miscalculated", NULL, T_ALICE, "{\"fee\":\"1.00\"}", 110211, 0, false, NULL},
    {"insufficient funds", NULL, T_ALICE, "{\"amount\":\"5000.00\"}", 110013, 0, false, NULL},
    {"no base rate", NULL, T_ALICE, "{\"currency\":\"EUR\",\"client_bank_id\":\"b_eur\"}", 110028,
     0, false, NULL},
    {"no calendar", NULL, T_ALICE, "{\"currency\":\"HKD\",\"client_bank_id\":\"b_hkd\"}", 110033, 0,
     false, NULL},
    {"conflicting replay", NULL, T_BOB,
     "{\"request_id\":\"bob-1\",\"uuid\":\"c2\",\"client_bank_id\":\"b2\",\"amount\":\"101\"}",
     110020, 0, false, NULL},
    {"cooldown", NULL, T_BOB,
     "{\"request_id\":\"bob-2\",\"uuid\":\"c2\",\"client_bank_id\":\"b2\"}", 110202, 0, false,
     NULL},
    {"pending review", NULL, T_BOB,
     "{\"request_id\":\"bob-3\",\"uuid\":\"c2\",\"client_bank_id\":\"b2\"}", 110203, 601, false,
     NULL},
    {"detail unknown order", "/order/v2/detail", T_ALICE,
     "{\"order_serial\":\"WD2026010799999999\"}", 110010, 0, false, NULL},
    {"detail bad serial", "/order/v2/detail", T_ALICE, "{\"order_serial\":\"abc\"}", 110019, 0,
     false, NULL},
    {"detail of another's order", "/order/v2/detail", T_ALICE, "{\"order_serial\":\"{O1}\"}",
     110006, 0, false, NULL},
    {"cancel a rejected order", "/order/v2/cancel", T_ALICE, "{\"order_serial\":\"{O2}\"}", 110016,
     0, false, NULL},
    {"appeal by another", "/order/v2/appeal", T_BOB, "{\"order_serial\":\"{O2}\",\"reason\":\"x\"}",
     110032, 0, false, NULL},
    {"transfer unknown flow", "/account/v2/transfer", T_ALICE,
     "{\"request_id\":\"tr1\",\"uuid\":\"c1\",\"flow\":\"wallet_to_moon\",\"account_type\":"
     "\"wallet\",\"currency\":\"USD\",\"amount\":\"1\"}",
     110026, 0, false, NULL},
    {"transfer flow not allowed", "/account/v2/transfer", T_ALICE,
     "{\"request_id\":\"tr1\",\"uuid\":\"c1\",\"flow\":\"securities_to_futures\","
     "\"account_type\":\"securities\",\"currency\":\"USD\",\"amount\":\"1\"}",
     110201, 0, false, NULL},
    {"transfer of a negative amount", "/account/v2/transfer", T_ALICE,
     "{\"request_id\":\"tr1\",\"uuid\":\"c1\",\"flow\":\"wallet_to_futures\",\"account_type\":"
     "\"wallet\",\"currency\":\"USD\",\"amount\":\"-1\"}",
     110208, 0, false, NULL},
    {"transfer of a flow with a too long side", "/account/v2/transfer", T_ALICE,
     "{\"request_id\":\"tr1\",\"uuid\":\"c1\",\"flow\":\"wallet_to_futuresfuturesfuturesfu\","
     "\"account_type\":\"wallet\",\"currency\":\"USD\",\"amount\":\"1\"}",
     110026, 0, false, NULL},
    {"transfer type mismatch", "/account/v2/transfer", T_ALICE,
     "{\"request_id\":\"tr1\",\"uuid\":\"c1\",\"flow\":\"wallet_to_futures\",\"account_type\":"
     "\"futures\",\"currency\":\"USD\",\"amount\":\"1\"}",
     110030, 0, false, NULL},
    {"convert without rate", "/rate/v2/convert", T_ALICE,
     "{\"from_currency\":\"EUR\",\"to_currency\":\"USD\",\"amount\":\"1\"}", 110028, 0, false,
     NULL},
    {"convert overflowing", "/rate/v2/convert", T_ALICE,
     "{\"from_currency\":\"USD\",\"to_currency\":\"HKD\",\"amount\":\"90000000000000000\"}", 110001,
     0, false, NULL},
    {"detail under another omnibus account", "/order/v2/detail", T_OPS,
     "{\"order_serial\":\"{O4}\"}", 110006, 0, false, NULL},
    {"list by nobody", "/order/v2/list", T_GHOST, "{\"uuid\":\"c1\"}", 110015, 0, false, NULL},
    {"convert unknown currency", "/rate/v2/convert", T_ALICE,
     "{\"from_currency\":\"XYZ\",\"to_currency\":\"USD\",\"amount\":\"1\"}", 110025, 0, false,
     NULL},
    {"approve with bank not approved", "/admin/v1/withdrawals/{O3}/approve", T_ADMIN, "{}", 110039,
     0, false, NULL},
    /* Choices where the vendor is silent (README "Funds"): a disabled or cancelled customer's
     * own token is no valid initiator; another customer's bank record does not exist for you. */
    {"disabled customer's own token", NULL, T_DAN, "{\"uuid\":\"c4\"}", 110015, 0, false, NULL},
    {"cancelled customer's own token", NULL, T_EVE, "{\"uuid\":\"c5\"}", 110015, 0, false, NULL},
    {"another customer's bank", NULL, T_ALICE, "{\"client_bank_id\":\"b2\"}", 110037, 0, false,
     NULL},
    /* An operator acts on a customer's orders and accounts only with a role for it: `view`
     * reads, it does not cancel (110006) or move money (110005, as for a customer's token). */
    {"cancel by a view-only operator", "/order/v2/cancel", T_VIEWER, "{\"order_serial\":\"{O1}\"}",
     110006, 0, false, NULL},
    {"transfer by a view-only operator", "/account/v2/transfer", T_VIEWER,
     "{\"request_id\":\"tr-v\",\"uuid\":\"c1\",\"flow\":\"wallet_to_futures\",\"account_type\":"
     "\"wallet\",\"currency\":\"USD\",\"amount\":\"1\"}",
     110005, 0, false, NULL},
    {"appeal too late", "/order/v2/appeal", T_ALICE, "{\"order_serial\":\"{O2}\",\"reason\":\"x\"}",
     110031, 8 * 86400, false, NULL},
};

/* Codes no request can produce (README "Funds" lists why). */
static const long unreachable[] = {110011, 110017, 110022, 110023, 110027 /* concurrency */};

static const long seed_codes[] = {
    990009, 110001, 110002, 110003, 110004, 110005, 110006, 110007, 110008, 110009, 110010, 110011,
    110012, 110013, 110014, 110015, 110016, 110017, 110018, 110019, 110020, 110021, 110022, 110023,
    110024, 110025, 110026, 110027, 110028, 110029, 110030, 110031, 110032, 110033, 110034, 110035,
    110036, 110037, 110038, 110039, 110201, 110202, 110203, 110204, 110205, 110206, 110207, 110208,
    110209, 110210, 110211, 110212, 110213, 110214, 110215, 110216};

static char *replace(const char *in, const struct ctx *c)
{
    static char m257[257 * 3 + 1];
    for (int i = 0; i < 257; i++)
        memcpy(m257 + 3 * i, "界", 3);
    char *out = malloc(strlen(in) + sizeof(m257) + 256);
    size_t o = 0;
    for (const char *p = in; *p;) {
        const char *sub = NULL;
        size_t skip = 4;
        if (strncmp(p, "{O1}", 4) == 0)
            sub = c->o1;
        else if (strncmp(p, "{O2}", 4) == 0)
            sub = c->o2;
        else if (strncmp(p, "{O3}", 4) == 0)
            sub = c->o3;
        else if (strncmp(p, "{O4}", 4) == 0)
            sub = c->o4;
        else if (strncmp(p, "{M257}", 6) == 0 && (skip = 6))
            sub = m257;
        if (sub) {
            memcpy(out + o, sub, strlen(sub));
            o += strlen(sub);
            p += skip;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return out;
}

static char *row_token(struct ctx *c, enum tok t)
{
    int64_t now_s = c->now_ms / 1000;
    switch (t) {
    case T_ALICE:
        return token(c, "alice");
    case T_BOB:
        return token(c, "bob");
    case T_OPS:
        return token(c, "ops1");
    case T_VIEWER:
        return token(c, "viewer");
    case T_GHOST:
        return token(c, "ghost");
    case T_SERVER:
        return token(c, "srv");
    case T_DAN:
        return token(c, "dan");
    case T_EVE:
        return token(c, "eve");
    case T_WRONG_SECRET:
        return token_full("app1", "alice", "not-the-secret-0123456789", now_s, "Trading-Auth");
    case T_OLD:
        return token_full("app1", "alice", SECRET1, now_s - 86401, "Trading-Auth");
    case T_ISS:
        return token_full("app1", "alice", SECRET1, now_s, "Someone-Else");
    case T_UNKNOWN_APP:
        return token_full("app9", "alice", SECRET1, now_s, "Trading-Auth");
    case T_ALG_NONE: {
        /* A valid token's claims under {"alg":"none"} and no signature. */
        char *good = token(c, "alice");
        char *h = jwt_b64url_encode("{\"alg\":\"none\",\"typ\":\"JWT\"}", 27);
        char *dot = strchr(good, '.');
        char *dot2 = strchr(dot + 1, '.');
        char *out = malloc(strlen(h) + strlen(good) + 2);
        sprintf(out, "%s.%.*s.", h, (int)(dot2 - dot - 1), dot + 1);
        free(h);
        free(good);
        return out;
    }
    case T_NONE:
    case T_ADMIN:
        return NULL;
    }
    return NULL;
}

static void prepare_orders(struct ctx *c)
{
    /* O1: bob's pending USD order (request bob-1). */
    create_ok(c, "bob", "{\"request_id\":\"bob-1\",\"uuid\":\"c2\",\"client_bank_id\":\"b2\"}",
              c->o1, sizeof(c->o1), NULL);
    /* O2: alice's SGD order, rejected by the back office. */
    create_ok(c, "alice",
              "{\"request_id\":\"sgd-1\",\"currency\":\"SGD\",\"amount\":\"10\","
              "\"client_bank_id\":\"b_sgd\"}",
              c->o2, sizeof(c->o2), NULL);
    char path[128];
    snprintf(path, sizeof(path), "/admin/v1/withdrawals/%s/reject", c->o2);
    admin(c, "POST", path, "{\"reason\":\"documents missing\"}", 200);
    /* O3: alice's SGD order to a bank record still being approved. */
    create_ok(c, "alice",
              "{\"request_id\":\"sgd-2\",\"currency\":\"SGD\",\"amount\":\"10\","
              "\"client_bank_id\":\"b_sgd2\"}",
              c->o3, sizeof(c->o3), NULL);
    /* O4: fay's order, by fay's own token naming her omnibus account B001. */
    char *tok = token_omni("app1", "fay", SECRET1, c->now_ms / 1000, "Trading-Auth", "B001");
    char *body =
        create_body("{\"request_id\":\"fay-1\",\"uuid\":\"c6\",\"client_bank_id\":\"b6\"}");
    struct fgresp r;
    call(c, "/order/v2/create", tok, body, false, &r);
    assert_int_equal(code_of(&r), 0);
    snprintf(c->o4, sizeof(c->o4), "%s", fgh_str(r.json, "data.order_serial"));
    fgresp_free(&r);
    free(body);
    free(tok);
}

static void test_codes(void **state)
{
    struct ctx *c = *state;
    prepare_orders(c);
    long reached[128];
    int nreached = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *w = &rows[i];
        if (w->advance_s)
            clock_set(c, c->now_ms + w->advance_s * 1000);
        char *before = snapshot(c);
        char *tok = row_token(c, w->tok);
        char *raw = replace(w->body, c);
        char *body = w->path ? raw : create_body(raw);
        if (!w->path)
            free(raw);
        char *path = replace(w->path ? w->path : "/order/v2/create", c);
        struct fgresp r;
        long got;
        if (w->tok == T_ADMIN) {
            assert_int_equal(fgh_admin(&c->s, "POST", path, body, &r), 0);
            json_t *fc = fgh_get(r.json, "error.funds_code");
            got = fc ? (long)json_integer_value(fc) : -1;
        } else {
            call(c, path, tok, body, w->zh, &r);
            got = code_of(&r);
            if (got == w->want) {
                assert_int_equal(r.status, w->want == 990009 ? 401 : 200);
                assert_true(json_is_null(fgh_get(r.json, "data")));
                assert_non_null(fgh_str(r.json, "trace_id"));
                if (w->want_msg)
                    assert_string_equal(fgh_str(r.json, "msg"), w->want_msg);
            }
        }
        if (got != w->want)
            fprintf(stderr, "row '%s': want %ld, got %ld: %s\n", w->name, w->want, got, r.body);
        assert_int_equal(got, w->want);
        fgresp_free(&r);
        /* Nothing moved: accounts and orders as before, the ledger reconciles. */
        char *after = snapshot(c);
        assert_string_equal(before, after);
        fgh_assert_reconciled(&c->s);
        reached[nreached++] = got;
        free(before);
        free(after);
        free(tok);
        free(body);
        free(path);
    }
    /* Every code of the Funds code table is reached, or listed as unreachable. */
    for (size_t i = 0; i < sizeof(seed_codes) / sizeof(seed_codes[0]); i++) {
        bool found = false;
        for (int k = 0; k < nreached; k++)
            found |= reached[k] == seed_codes[i];
        for (size_t k = 0; k < sizeof(unreachable) / sizeof(unreachable[0]); k++)
            found |= unreachable[k] == seed_codes[i];
        if (!found)
            fprintf(stderr, "code %ld is not reached\n", seed_codes[i]);
        assert_true(found);
    }
}

/* --- replay ---------------------------------------------------------------- */

static void test_replay(void **state)
{
    struct ctx *c = *state;
    char *tok = token(c, "alice");
    char *body = create_body("{\"request_id\":\"r-replay\"}");
    struct fgresp r1, r2, r3;
    call(c, "/order/v2/create", tok, body, false, &r1);
    assert_int_equal(code_of(&r1), 0);
    assert_avail(c, "c1", "USD", "900.00", "1000.00");
    /* Same request, amount spelled differently: the same answer, byte for byte. */
    char *body2 = create_body("{\"request_id\":\"r-replay\",\"amount\":\"100\"}");
    call(c, "/order/v2/create", tok, body2, false, &r2);
    assert_int_equal(r1.len, r2.len);
    assert_memory_equal(r1.body, r2.body, r1.len);
    /* Different content: 110020; nothing moved. */
    char *body3 = create_body("{\"request_id\":\"r-replay\",\"amount\":\"99\"}");
    call(c, "/order/v2/create", tok, body3, false, &r3);
    assert_int_equal(code_of(&r3), 110020);
    assert_avail(c, "c1", "USD", "900.00", "1000.00");
    fgh_assert_reconciled(&c->s);
    fgresp_free(&r1);
    fgresp_free(&r2);
    fgresp_free(&r3);
    free(body);
    free(body2);
    free(body3);
    free(tok);
}

/* --- lifecycle ----------------------------------------------------------------- */

static void user_act(struct ctx *c, const char *user, const char *path, const char *serial,
                     const char *reason, long want, const char *want_status)
{
    char *tok = token(c, user);
    char body[256];
    if (reason)
        snprintf(body, sizeof(body), "{\"order_serial\":\"%s\",\"reason\":\"%s\"}", serial, reason);
    else
        snprintf(body, sizeof(body), "{\"order_serial\":\"%s\"}", serial);
    struct fgresp r;
    call(c, path, tok, body, false, &r);
    if (code_of(&r) != want)
        fprintf(stderr, "%s %s: %s\n", path, serial, r.body);
    assert_int_equal(code_of(&r), want);
    if (want_status)
        assert_string_equal(fgh_str(r.json, "data.status"), want_status);
    fgresp_free(&r);
    free(tok);
}

static void review(struct ctx *c, const char *serial, const char *action, const char *body,
                   long status, const char *want_status)
{
    char path[128];
    snprintf(path, sizeof(path), "/admin/v1/withdrawals/%s/%s", serial, action);
    json_t *j = fgh_admin_ok(&c->s, "POST", path, body, status);
    if (want_status)
        assert_string_equal(fgh_str(j, "status"), want_status);
    json_decref(j);
    fgh_assert_reconciled(&c->s);
}

static void test_lifecycle(void **state)
{
    struct ctx *c = *state;
    char o[40];
    json_t *data = NULL;
    /* Create: available drops by the amount (fee included), balance stays. */
    create_ok(c, "alice", "{\"request_id\":\"life-1\"}", o, sizeof(o), &data);
    assert_string_equal(fgh_str(data, "status"), "pending_review");
    assert_string_equal(fgh_str(data, "amount"), "100.00");
    assert_string_equal(fgh_str(data, "fee"), "1.10");
    assert_string_equal(fgh_str(data, "net_amount"), "98.90");
    assert_string_equal(fgh_str(data, "currency"), "USD");
    assert_string_equal(fgh_str(data, "value_day"), "2026-01-09");
    assert_string_equal(fgh_str(data, "base_currency"), "USD");
    assert_string_equal(fgh_str(data, "base_amount"), "100.00");
    assert_string_equal(fgh_str(data, "created_at"), "2026-01-07T02:00:00.000Z");
    json_decref(data);
    assert_avail(c, "c1", "USD", "900.00", "1000.00");
    fgh_assert_reconciled(&c->s);
    /* Detail and list. */
    char *tok = token(c, "alice");
    struct fgresp r;
    char body[200];
    snprintf(body, sizeof(body), "{\"order_serial\":\"%s\"}", o);
    call(c, "/order/v2/detail", tok, body, false, &r);
    assert_int_equal(code_of(&r), 0);
    assert_string_equal(fgh_str(r.json, "data.uuid"), "c1");
    fgresp_free(&r);
    call(c, "/order/v2/list", tok, "{\"uuid\":\"c1\",\"status\":\"pending_review\"}", false, &r);
    assert_int_equal(code_of(&r), 0);
    assert_int_equal(json_array_size(fgh_get(r.json, "data.orders")), 1);
    fgresp_free(&r);
    free(tok);
    /* Reject: the hold is voided. */
    review(c, o, "reject", "{\"reason\":\"name mismatch\"}", 200, "rejected");
    assert_avail(c, "c1", "USD", "1000.00", "1000.00");
    /* Appeal by the owner, within the window. */
    user_act(c, "alice", "/order/v2/appeal", o, "it is my account", 0, "appealed");
    assert_avail(c, "c1", "USD", "1000.00", "1000.00");
    /* Back office reopens: pending review again, frozen again. */
    review(c, o, "reopen", NULL, 200, "pending_review");
    assert_avail(c, "c1", "USD", "900.00", "1000.00");
    review(c, o, "approve", NULL, 200, "approved");
    review(c, o, "approve", NULL, 200, "approved"); /* a retry answers the same */
    assert_avail(c, "c1", "USD", "900.00", "1000.00");
    /* Cancel is only for pending review. */
    user_act(c, "alice", "/order/v2/cancel", o, NULL, 110016, NULL);
    /* Paid: balance drops; payouts keeps net, fees keeps the fee. */
    review(c, o, "paid", NULL, 200, "paid");
    assert_avail(c, "c1", "USD", "900.00", "900.00");
    json_t *accts = fgh_admin_ok(&c->s, "GET", "/admin/v1/accounts?uuid=c1", NULL, 200);
    long long wallet = json_integer_value(fgh_get(accts, "accounts.0.account_id"));
    json_decref(accts);
    char path[128];
    snprintf(path, sizeof(path), "/admin/v1/transfers?account_id=%lld", wallet);
    json_t *tl = fgh_admin_ok(&c->s, "GET", path, NULL, 200);
    json_t *tr = json_object_get(tl, "transfers");
    json_t *last = json_array_get(tr, json_array_size(tr) - 1);
    assert_string_equal(fgh_str(last, "kind"), "withdrawal_paid");
    assert_string_equal(fgh_str(last, "amount"), "100.00");
    long long payouts = json_integer_value(json_object_get(last, "credit_account_id"));
    json_decref(tl);
    snprintf(path, sizeof(path), "/admin/v1/transfers?account_id=%lld", payouts);
    tl = fgh_admin_ok(&c->s, "GET", path, NULL, 200);
    tr = json_object_get(tl, "transfers");
    last = json_array_get(tr, json_array_size(tr) - 1);
    assert_string_equal(fgh_str(last, "kind"), "withdrawal_fee");
    assert_string_equal(fgh_str(last, "amount"), "1.10");
    assert_int_equal(json_integer_value(json_object_get(last, "debit_account_id")), payouts);
    json_decref(tl);
    review(c, o, "failed", NULL, 409, NULL); /* paid is final */

    /* Cancel path (after the cooldown). */
    clock_set(c, c->now_ms + 601 * 1000);
    create_ok(c, "alice", "{\"request_id\":\"life-2\",\"amount\":\"50\"}", o, sizeof(o), NULL);
    assert_avail(c, "c1", "USD", "850.00", "900.00");
    user_act(c, "bob", "/order/v2/cancel", o, NULL, 110006, NULL); /* not bob's */
    user_act(c, "alice", "/order/v2/cancel", o, NULL, 0, "cancelled");
    user_act(c, "alice", "/order/v2/cancel", o, NULL, 0, "cancelled"); /* a retry */
    assert_avail(c, "c1", "USD", "900.00", "900.00");
    fgh_assert_reconciled(&c->s);
    review(c, o, "approve", NULL, 409, NULL);

    /* Failed path, by an operator on the customer's behalf. */
    clock_set(c, c->now_ms + 601 * 1000);
    create_ok(c, "ops1",
              "{\"request_id\":\"life-3\",\"amount\":\"200\",\"operation_mode_id\":2,"
              "\"source\":\"admin\"}",
              o, sizeof(o), NULL);
    assert_avail(c, "c1", "USD", "700.00", "900.00");
    review(c, o, "approve", NULL, 200, "approved");
    review(c, o, "failed", NULL, 200, "failed");
    assert_avail(c, "c1", "USD", "900.00", "900.00");
    user_act(c, "alice", "/order/v2/appeal", o, "x", 110016, NULL); /* only rejected orders */

    /* Admin listing by status. */
    json_t *w = fgh_admin_ok(&c->s, "GET", "/admin/v1/withdrawals?status=paid", NULL, 200);
    assert_int_equal(json_array_size(json_object_get(w, "withdrawals")), 1);
    json_decref(w);
    fgh_assert_reconciled(&c->s);

    /* Own-account transfer, idempotent. */
    tok = token(c, "alice");
    const char *tb = "{\"request_id\":\"tr-1\",\"uuid\":\"c1\",\"flow\":\"wallet_to_futures\","
                     "\"account_type\":\"wallet\",\"currency\":\"USD\",\"amount\":\"25.50\"}";
    struct fgresp r2;
    call(c, "/account/v2/transfer", tok, tb, false, &r);
    assert_int_equal(code_of(&r), 0);
    call(c, "/account/v2/transfer", tok, tb, false, &r2);
    assert_int_equal(r.len, r2.len);
    assert_memory_equal(r.body, r2.body, r.len);
    fgresp_free(&r);
    fgresp_free(&r2);
    assert_avail(c, "c1", "USD", "874.50", "874.50");
    char *f = fgh_available(&c->s, "c1", "futures", "USD");
    assert_string_equal(f, "25.50");
    free(f);
    /* Conversion at the mid rate, rounded down. */
    call(c, "/rate/v2/convert", tok,
         "{\"from_currency\":\"USD\",\"to_currency\":\"HKD\",\"amount\":\"100.00\"}", false, &r);
    assert_int_equal(code_of(&r), 0);
    assert_string_equal(fgh_str(r.json, "data.converted_amount"), "779.00");
    assert_string_equal(fgh_str(r.json, "data.mid_rate"), "7.7900000000");
    fgresp_free(&r);
    call(c, "/rate/v2/convert", tok,
         "{\"from_currency\":\"HKD\",\"to_currency\":\"USD\",\"amount\":\"1.00\"}", false, &r);
    assert_string_equal(fgh_str(r.json, "data.converted_amount"), "0.12"); /* 0.1283... down */
    fgresp_free(&r);
    free(tok);
    fgh_assert_reconciled(&c->s);
}

/* --- value day and fees ------------------------------------------------------------ */

/* Create at `at_ms`, check value day (or code), cancel to free the slot. */
static void value_day_at(struct ctx *c, int64_t at_ms, const char *want, long want_code)
{
    static int n;
    clock_set(c, at_ms);
    char *tok = token(c, "alice");
    char over[128];
    snprintf(over, sizeof(over), "{\"request_id\":\"vd-%d\"}", n++);
    char *body = create_body(over);
    struct fgresp r;
    call(c, "/order/v2/create", tok, body, false, &r);
    assert_int_equal(code_of(&r), want_code);
    if (want_code == 0) {
        assert_string_equal(fgh_str(r.json, "data.value_day"), want);
        user_act(c, "alice", "/order/v2/cancel", fgh_str(r.json, "data.order_serial"), NULL, 0,
                 "cancelled");
    }
    fgresp_free(&r);
    free(body);
    free(tok);
}

#define H(h) ((int64_t)(h)*3600 * 1000)
#define DAY(d) ((int64_t)(d)*86400 * 1000)

static void test_value_day(void **state)
{
    struct ctx *c = *state;
    /* T0 is Wednesday 2026-01-07 10:00 at +08:00; USD is T+2, cut-off 16:00. The
     * cooldown is 600 s, so every step moves the clock by more. */
    value_day_at(c, T0_MS, "2026-01-09", 0);                 /* Wed -> Fri */
    value_day_at(c, T0_MS + DAY(1), "2026-01-12", 0);        /* Thu: over the weekend */
    value_day_at(c, T0_MS + DAY(1) + H(6), "2026-01-13", 0); /* Thu 16:00: cut-off */
    value_day_at(c, T0_MS + DAY(8), "2026-01-20", 0);        /* Thu 15th: Mon 19th holiday */
    value_day_at(c, T0_MS + DAY(9) + H(7), "2026-01-22", 0); /* Fri 17:00: Sat, holiday */
    value_day_at(c, T0_MS + DAY(357), "", 110033);           /* Dec 30: beyond the calendar */
    fgh_assert_reconciled(&c->s);
}

static void test_fee_edges(void **state)
{
    struct ctx *c = *state;
    json_t *d = NULL;
    char o[40];
    /* 100.01 * 10 bp = 0.10001, rounded UP to 0.11: fee 1.11, net 98.90. */
    create_ok(c, "alice", "{\"request_id\":\"fee-1\",\"amount\":\"100.01\",\"fee\":\"1.11\"}", o,
              sizeof(o), &d);
    assert_string_equal(fgh_str(d, "fee"), "1.11");
    assert_string_equal(fgh_str(d, "net_amount"), "98.90");
    json_decref(d);
    user_act(c, "alice", "/order/v2/cancel", o, NULL, 0, "cancelled");
    /* The floor: SGD's fee is fixed at 5.00, so 5.01 nets 0.01; base in USD rounded down. */
    create_ok(c, "alice",
              "{\"request_id\":\"fee-2\",\"currency\":\"SGD\",\"amount\":\"5.01\","
              "\"client_bank_id\":\"b_sgd\"}",
              o, sizeof(o), &d);
    assert_string_equal(fgh_str(d, "fee"), "5.00");
    assert_string_equal(fgh_str(d, "net_amount"), "0.01");
    assert_string_equal(fgh_str(d, "base_amount"), "3.73"); /* 5.01 * 0.745 = 3.73245 */
    assert_string_equal(fgh_str(d, "value_day"), "2026-01-07");
    json_decref(d);
    /* The cap: 4000.00 * 10 bp = 4.00 + 1.00 = 5.00 < 50; 5000 would be 6.00. */
    clock_set(c, c->now_ms + 601 * 1000);
    create_ok(c, "alice", "{\"request_id\":\"fee-3\",\"amount\":\"999.99\"}", o, sizeof(o), &d);
    assert_string_equal(fgh_str(d, "fee"), "2.00"); /* 0.999990 -> 1.00 up */
    json_decref(d);
    fgh_assert_reconciled(&c->s);
}

/* --- tolerance (issues 10 and 16) ------------------------------------------- */

/* POST with tok; returns the parsed answer (caller decrefs) after checking its code. */
static json_t *post_code(struct ctx *c, const char *path, const char *tok, const char *body,
                         long want)
{
    struct fgresp r;
    call(c, path, tok, body, false, &r);
    if (code_of(&r) != want)
        fprintf(stderr, "%s %s: %s\n", path, body, r.body);
    assert_int_equal(code_of(&r), want);
    assert_non_null(fgh_str(r.json, "trace_id"));
    json_t *j = json_incref(r.json);
    fgresp_free(&r);
    return j;
}

/* Issue 10 points 9-10, issue 16 point 1: unknown fields are ignored on every
 * endpoint; descriptive bank text is kept as given (empty, newlines, 256
 * characters) and, with payee_id, chain and address, shown in detail and list. */
static void test_tolerant_fields(void **state)
{
    struct ctx *c = *state;
    char *tok = token(c, "alice");
    char mark[256 * 3 + 1];
    for (int i = 0; i < 256; i++)
        memcpy(mark + 3 * i, "界", 3);
    mark[256 * 3] = '\0';
    char over[1200];
    snprintf(over, sizeof(over),
             "{\"request_id\":\"tol-1\",\"bank_address_details\":\"Flat 3\\nBlock B\","
             "\"bank_mark\":\"%s\",\"payee_id\":\"c1\",\"id_card_no\":\"X1\","
             "\"intermediary_bank\":{\"swift\":\"ABCD\"},\"future_field\":[1,2]}",
             mark);
    char *body = create_body(over);
    json_t *j = post_code(c, "/order/v2/create", tok, body, 0);
    char serial[40];
    snprintf(serial, sizeof(serial), "%s", fgh_str(j, "data.order_serial"));
    json_decref(j);
    free(body);
    char b[512];
    snprintf(b, sizeof(b), "{\"order_serial\":\"%s\",\"channel\":\"app\"}", serial);
    j = post_code(c, "/order/v2/detail", tok, b, 0);
    assert_string_equal(fgh_str(j, "data.bank_address_details"), "Flat 3\nBlock B");
    assert_string_equal(fgh_str(j, "data.bank_mark"), mark);
    assert_string_equal(fgh_str(j, "data.payee_id"), "c1");
    assert_string_equal(fgh_str(j, "data.chain"), "");
    assert_string_equal(fgh_str(j, "data.address"), "");
    json_decref(j);
    /* A digital withdrawal: chain (or clearing_id) and address come back. */
    body = create_body("{\"request_id\":\"tol-2\",\"currency\":\"USDT\",\"amount\":\"10\","
                       "\"client_bank_id\":null,\"clearing_id\":\"TRC20\",\"address\":\"T9yD14N\","
                       "\"bank_address_details\":\"\",\"bank_mark\":\"\"}");
    json_decref(post_code(c, "/order/v2/create", tok, body, 0));
    free(body);
    j = post_code(c, "/order/v2/list", tok, "{\"uuid\":\"c1\",\"page_token\":\"x\"}", 0);
    json_t *orders = fgh_get(j, "data.orders");
    assert_int_equal(json_array_size(orders), 2);
    assert_string_equal(fgh_str(orders, "0.bank_mark"), mark);
    assert_string_equal(fgh_str(orders, "1.chain"), "TRC20");
    assert_string_equal(fgh_str(orders, "1.address"), "T9yD14N");
    assert_string_equal(fgh_str(orders, "1.bank_address_details"), "");
    json_decref(j);
    /* The other endpoints ignore unknown fields too. */
    snprintf(b, sizeof(b), "{\"order_serial\":\"%s\",\"note\":\"x\"}", serial);
    json_decref(post_code(c, "/order/v2/cancel", tok, b, 0));
    json_decref(post_code(c, "/rate/v2/convert", tok,
                          "{\"from_currency\":\"USD\",\"to_currency\":\"HKD\",\"amount\":\"1\","
                          "\"precision\":4}",
                          0));
    json_decref(
        post_code(c, "/account/v2/transfer", tok,
                  "{\"request_id\":\"tol-tr\",\"uuid\":\"c1\",\"flow\":\"wallet_to_futures\","
                  "\"account_type\":\"wallet\",\"currency\":\"USD\",\"amount\":\"1\","
                  "\"memo\":\"x\"}",
                  0));
    /* Known fields stay strictly typed. */
    body = create_body("{\"request_id\":\"tol-3\",\"bank_mark\":7}");
    json_decref(post_code(c, "/order/v2/create", tok, body, 110001));
    free(body);
    free(tok);
    fgh_assert_reconciled(&c->s);
}

/* Issue 16 point 2: a repeated reopen answers the order and holds nothing
 * twice; a reopen of an order never appealed is still refused. Appeal reasons
 * are descriptive (empty is kept). */
static void test_repeated_reopen(void **state)
{
    struct ctx *c = *state;
    char o[40];
    create_ok(c, "alice", "{\"request_id\":\"ro-1\"}", o, sizeof(o), NULL);
    review(c, o, "reopen", NULL, 409, NULL); /* pending, never appealed */
    review(c, o, "reject", "{\"reason\":\"line one\\nline two\"}", 200, "rejected");
    user_act(c, "alice", "/order/v2/appeal", o, "", 0, "appealed");
    review(c, o, "reopen", NULL, 200, "pending_review");
    assert_avail(c, "c1", "USD", "900.00", "1000.00");
    review(c, o, "reopen", NULL, 200, "pending_review");
    review(c, o, "reopen", NULL, 200, "pending_review");
    assert_avail(c, "c1", "USD", "900.00", "1000.00");
    json_t *w =
        fgh_admin_ok(&c->s, "GET", "/admin/v1/withdrawals?status=pending_review", NULL, 200);
    assert_string_equal(fgh_str(w, "withdrawals.0.reason"), "line one\nline two");
    assert_string_equal(fgh_str(w, "withdrawals.0.appeal_reason"), "");
    json_decref(w);
    review(c, o, "approve", NULL, 200, "approved");
    review(c, o, "reopen", NULL, 409, NULL);
    /* Reasons: 512 characters at most, counted as characters. */
    char o2[40], reason[600 * 3], body[2000];
    create_ok(c, "alice",
              "{\"request_id\":\"ro-2\",\"currency\":\"SGD\",\"amount\":\"10\","
              "\"client_bank_id\":\"b_sgd\"}",
              o2, sizeof(o2), NULL);
    for (int i = 0; i < 513; i++)
        memcpy(reason + 3 * i, "理", 3);
    reason[513 * 3] = '\0';
    snprintf(body, sizeof(body), "{\"reason\":\"%s\"}", reason);
    review(c, o2, "reject", body, 400, NULL);
    reason[512 * 3] = '\0';
    snprintf(body, sizeof(body), "{\"reason\":\"%s\"}", reason);
    review(c, o2, "reject", body, 200, "rejected");
    fgh_assert_reconciled(&c->s);
}

/* Appeals at their edges (README "Funds"): allowed exactly appeal_days after the
 * rejection; repeating it while the order is appealed answers the order (a
 * retry); a second appeal, after the order was rejected again, is 110016. */
static void test_appeal_edges(void **state)
{
    struct ctx *c = *state;
    char o[40];
    create_ok(c, "alice", "{\"request_id\":\"ap-1\"}", o, sizeof(o), NULL);
    review(c, o, "reject", "{\"reason\":\"first\"}", 200, "rejected");
    clock_set(c, c->now_ms + 7 * 86400 * 1000LL); /* appeal_days is 7: the last moment */
    user_act(c, "alice", "/order/v2/appeal", o, "on time", 0, "appealed");
    user_act(c, "alice", "/order/v2/appeal", o, "on time", 0, "appealed");
    review(c, o, "reject", "{\"reason\":\"second\"}", 200, "rejected");
    user_act(c, "alice", "/order/v2/appeal", o, "again", 110016, NULL);
    assert_avail(c, "c1", "USD", "1000.00", "1000.00");
    char o2[40];
    create_ok(c, "alice",
              "{\"request_id\":\"ap-2\",\"currency\":\"SGD\",\"amount\":\"10\","
              "\"client_bank_id\":\"b_sgd\"}",
              o2, sizeof(o2), NULL);
    review(c, o2, "reject", "{\"reason\":\"first\"}", 200, "rejected");
    clock_set(c, c->now_ms + 7 * 86400 * 1000LL + 1); /* one millisecond past it */
    user_act(c, "alice", "/order/v2/appeal", o2, "late", 110031, NULL);
    fgh_assert_reconciled(&c->s);
}

/* Operators with a role: `view` reads another customer's orders and
 * balances; `api` (the app's server) may also cancel for the customer. */
static void test_operator_roles(void **state)
{
    struct ctx *c = *state;
    char o[40], body[200];
    create_ok(c, "alice", "{\"request_id\":\"or-1\"}", o, sizeof(o), NULL);
    snprintf(body, sizeof(body), "{\"order_serial\":\"%s\"}", o);
    char *viewer = token(c, "viewer"), *srv = token(c, "srv");
    json_decref(post_code(c, "/order/v2/detail", viewer, body, 0));
    json_decref(post_code(c, "/order/v2/list", viewer, "{\"uuid\":\"c1\"}", 0));
    json_decref(post_code(c, "/order/v2/cancel", viewer, body, 110006));
    assert_avail(c, "c1", "USD", "900.00", "1000.00");
    json_t *d = post_code(c, "/order/v2/cancel", srv, body, 0);
    assert_string_equal(fgh_str(d, "data.status"), "cancelled");
    json_decref(d);
    assert_avail(c, "c1", "USD", "1000.00", "1000.00");
    free(viewer);
    free(srv);
    fgh_assert_reconciled(&c->s);
}

/* Issue 9 point 1: mode 3 needs the app's registered server principal. */
static void test_mode3(void **state)
{
    struct ctx *c = *state;
    /* An app's default allowed modes leave 3 out. */
    json_t *j = fgh_admin_ok(
        &c->s, "POST", "/admin/v1/clients",
        "{\"family\":\"funds\",\"app_id\":\"app2\",\"jwt_secret\":\"" SECRET2 "\"}", 200);
    assert_int_equal(json_array_size(json_object_get(j, "allowed_modes")), 2);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "allowed_modes"), 1)), 2);
    json_decref(j);
    /* app1 allows 3 from now on; srv is its server (role api). */
    admin(c, "POST", "/admin/v1/clients",
          "{\"family\":\"funds\",\"app_id\":\"app1\",\"jwt_secret\":\"" SECRET1 "\","
          "\"allowed_modes\":[1,2,3]}",
          200);
    char *bob = token(c, "bob"), *ghost = token(c, "ghost"), *ops = token(c, "ops1"),
         *srv = token(c, "srv");
    char *before = snapshot(c);
    /* The review's attack: another customer's token, or a nobody's, on alice's account. */
    char *body =
        create_body("{\"request_id\":\"m3-1\",\"operation_mode_id\":3,\"source\":\"api\"}");
    json_decref(post_code(c, "/order/v2/create", bob, body, 110005));
    json_decref(post_code(c, "/order/v2/create", ghost, body, 110015));
    json_decref(post_code(c, "/order/v2/create", ops, body, 110014)); /* no role api */
    char *mine = create_body("{\"request_id\":\"m3-2\",\"uuid\":\"c2\",\"client_bank_id\":\"b2\","
                             "\"operation_mode_id\":3,\"source\":\"api\"}");
    json_decref(post_code(c, "/order/v2/create", bob, mine, 110014)); /* own, still no */
    char *m2 = create_body("{\"request_id\":\"m3-3\",\"operation_mode_id\":2}");
    json_decref(post_code(c, "/order/v2/create", bob, m2, 110005)); /* mode 2 as well */
    char *after = snapshot(c);
    assert_string_equal(before, after);
    /* The server principal may. */
    j = post_code(c, "/order/v2/create", srv, body, 0);
    assert_string_equal(fgh_str(j, "data.status"), "pending_review");
    json_decref(j);
    assert_avail(c, "c1", "USD", "900.00", "1000.00");
    /* A disabled server principal may not. */
    admin(c, "POST", "/admin/v1/operators",
          "{\"app_id\":\"app1\",\"user_name\":\"srv\",\"roles\":[\"api\"],\"status\":\"disabled\"}",
          200);
    char *again =
        create_body("{\"request_id\":\"m3-4\",\"operation_mode_id\":3,\"source\":\"api\","
                    "\"currency\":\"SGD\",\"amount\":\"10\",\"client_bank_id\":\"b_sgd\"}");
    json_decref(post_code(c, "/order/v2/create", srv, again, 110014));
    fgh_assert_reconciled(&c->s);
    free(before);
    free(after);
    free(body);
    free(mine);
    free(m2);
    free(again);
    free(bob);
    free(ghost);
    free(ops);
    free(srv);
}

/* Issue 10 point 11: a token naming another omnibus account than the one a
 * customer sits under may not act for it (110006); none on record, no check. */
static void test_omnibus(void **state)
{
    struct ctx *c = *state;
    int64_t now_s = c->now_ms / 1000;
    char *b001 = token_omni("app1", "fay", SECRET1, now_s, "Trading-Auth", "B001");
    char *a004 = token_omni("app1", "fay", SECRET1, now_s, "Trading-Auth", "A004");
    char *none = token_omni("app1", "fay", SECRET1, now_s, "Trading-Auth", NULL);
    char *ops_b = token_omni("app1", "ops1", SECRET1, now_s, "Trading-Auth", "B001");
    char *alice_none = token_omni("app1", "alice", SECRET1, now_s, "Trading-Auth", NULL);
    char *body = create_body("{\"request_id\":\"om-1\",\"uuid\":\"c6\",\"client_bank_id\":\"b6\"}");
    char *before = snapshot(c);
    json_decref(post_code(c, "/order/v2/create", a004, body, 110006));
    json_decref(post_code(c, "/order/v2/create", none, body, 110006));
    char *after = snapshot(c);
    assert_string_equal(before, after);
    json_t *j = post_code(c, "/order/v2/create", b001, body, 0);
    char serial[40], b[200];
    snprintf(serial, sizeof(serial), "%s", fgh_str(j, "data.order_serial"));
    json_decref(j);
    snprintf(b, sizeof(b), "{\"order_serial\":\"%s\"}", serial);
    json_decref(post_code(c, "/order/v2/detail", a004, b, 110006));
    json_decref(post_code(c, "/order/v2/cancel", a004, b, 110006));
    json_decref(post_code(c, "/order/v2/list", a004, "{\"uuid\":\"c6\"}", 110006));
    json_decref(post_code(c, "/rate/v2/convert", a004,
                          "{\"from_currency\":\"USD\",\"to_currency\":\"HKD\",\"amount\":\"1\","
                          "\"uuid\":\"c6\"}",
                          110006));
    json_decref(
        post_code(c, "/account/v2/transfer", a004,
                  "{\"request_id\":\"om-tr\",\"uuid\":\"c6\",\"flow\":\"wallet_to_futures\","
                  "\"account_type\":\"wallet\",\"currency\":\"USD\",\"amount\":\"1\"}",
                  110006));
    json_decref(post_code(c, "/order/v2/appeal", a004, b, 110006));
    json_decref(post_code(c, "/order/v2/detail", ops_b, b, 0)); /* the back office, under B001 */
    json_decref(post_code(c, "/order/v2/detail", b001, b, 0));
    /* alice has no omnibus account on record: any token will do. */
    json_decref(post_code(c, "/order/v2/list", alice_none, "{\"uuid\":\"c1\"}", 0));
    /* A token whose OmnibusAccountId cannot be an id is refused, never cut. */
    char long_id[80];
    memset(long_id, 'B', 65);
    long_id[65] = '\0';
    char *too_long = token_omni("app1", "fay", SECRET1, now_s, "Trading-Auth", long_id);
    struct fgresp r;
    call(c, "/order/v2/detail", too_long, b, false, &r);
    assert_int_equal(r.status, 401);
    assert_int_equal(code_of(&r), 990009);
    fgresp_free(&r);
    /* An id of 64 bytes, the limit, works end to end. */
    char id64[65];
    memset(id64, 'C', 64);
    id64[64] = '\0';
    char cust[400];
    snprintf(cust, sizeof(cust),
             "{\"uuid\":\"c10\",\"user_name\":\"joy\",\"name\":\"Joy\",\"app_id\":\"app1\","
             "\"company_id\":7,\"base_currency\":\"USD\",\"omnibus_account_id\":\"%s\"}",
             id64);
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/customers", cust, 201));
    char *joy = token_omni("app1", "joy", SECRET1, now_s, "Trading-Auth", id64);
    json_decref(post_code(c, "/order/v2/list", joy, "{\"uuid\":\"c10\"}", 0));
    free(joy);
    /* The admin plane records and shows it, strictly. */
    j = fgh_admin_ok(
        &c->s, "POST", "/admin/v1/customers",
        "{\"uuid\":\"c6\",\"user_name\":\"fay\",\"name\":\"Fay Lam\",\"app_id\":\"app1\","
        "\"company_id\":7,\"base_currency\":\"USD\",\"omnibus_account_id\":\"B001\"}",
        200);
    assert_string_equal(fgh_str(j, "omnibus_account_id"), "B001");
    json_decref(j);
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/customers",
                             "{\"uuid\":\"c6\",\"user_name\":\"fay\",\"name\":\"Fay Lam\","
                             "\"app_id\":\"app1\",\"company_id\":7,\"base_currency\":\"USD\","
                             "\"omnibus_account_id\":\"B002\"}",
                             409));
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/customers",
                             "{\"uuid\":\"c9\",\"user_name\":\"ivy\",\"name\":\"Ivy\","
                             "\"base_currency\":\"USD\",\"omnibus_account_id\":\"B 1\"}",
                             400));
    fgh_assert_reconciled(&c->s);
    free(body);
    free(before);
    free(after);
    free(b001);
    free(a004);
    free(none);
    free(ops_b);
    free(alice_none);
    free(too_long);
}

/* Issue 9 point 8: every answer on a Funds path is the family's envelope with
 * a documented code, overflow and failed commits included. */
static void test_envelope_always(void **state)
{
    struct ctx *c = *state;
    /* BIG: a currency whose rule lets an amount through that no base
     * conversion can hold (10^17 at a rate near 10^8). */
    admin(c, "POST", "/admin/v1/currencies", "{\"code\":\"BIG\",\"digits\":0}", 201);
    admin(c, "POST", "/admin/v1/accounts",
          "{\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"BIG\"}", 201);
    admin(c, "POST", "/admin/v1/deposits",
          "{\"request_id\":\"dep-big\",\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"BIG\","
          "\"amount\":\"100000000000000000\"}",
          201);
    admin(c, "POST", "/admin/v1/customers/c1/banks",
          "{\"client_bank_id\":\"b_big\",\"bank_name\":\"Bank\",\"account_no\":\"010\","
          "\"holder_name\":\"Alice Li\",\"currency\":\"BIG\",\"status\":\"approved\"}",
          201);
    admin(c, "POST", "/admin/v1/rules/withdrawal",
          "{\"currency\":\"BIG\",\"min\":\"1\",\"max\":\"999999999999999999\",\"fee_fixed\":\"0\","
          "\"fee_bp\":0,\"fee_min\":\"0\",\"fee_max\":\"0\",\"cooldown_s\":0,"
          "\"settlement_days\":0,\"cutoff\":\"16:00\",\"utc_offset\":\"+08:00\"}",
          201);
    admin(c, "POST", "/admin/v1/rates",
          "{\"pair\":\"BIG/USD\",\"bid\":\"99999999\",\"ask\":\"99999999\"}", 201);
    admin(c, "POST", "/admin/v1/calendars/BIG/holidays", "{\"through\":\"2026-12-31\"}", 201);
    char *tok = token(c, "alice");
    char *before = snapshot(c);
    char *body = create_body("{\"request_id\":\"big-1\",\"currency\":\"BIG\","
                             "\"amount\":\"100000000000000000\",\"client_bank_id\":\"b_big\"}");
    struct fgresp r;
    call(c, "/order/v2/create", tok, body, false, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(code_of(&r), 110028);
    assert_true(json_is_null(fgh_get(r.json, "data")));
    fgresp_free(&r);
    call(c, "/rate/v2/convert", tok,
         "{\"from_currency\":\"BIG\",\"to_currency\":\"USD\",\"amount\":\"100000000000000000\"}",
         false, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(code_of(&r), 110001);
    fgresp_free(&r);
    char *after = snapshot(c);
    assert_string_equal(before, after);
    /* A batch that cannot commit: 5xx, still the envelope (110017), nothing
     * applied; the same request then succeeds. */
    free(body);
    body = create_body("{\"request_id\":\"fault-1\"}");
    json_decref(fgh_admin_ok(&c->s, "POST", "/admin/v1/test/fault", "{\"fail_commits\":1}", 200));
    call(c, "/order/v2/create", tok, body, false, &r);
    assert_true(r.status >= 500);
    assert_int_equal(code_of(&r), 110017);
    assert_non_null(fgh_str(r.json, "msg"));
    fgresp_free(&r);
    free(after);
    after = snapshot(c);
    assert_string_equal(before, after);
    json_decref(post_code(c, "/order/v2/create", tok, body, 0));
    fgh_assert_reconciled(&c->s);
    free(body);
    free(before);
    free(after);
    free(tok);
}

/* --- concurrency ---------------------------------------------------------------- */

struct shot {
    struct ctx *c;
    const char *tok;
    char body[512];
    long code;
    char *resp;
};

static void *shoot(void *p)
{
    struct shot *s = p;
    struct fgresp r;
    char auth[4200];
    snprintf(auth, sizeof(auth), "X-Auth-Token: %s", s->tok);
    const char *headers[] = {auth, NULL};
    s->code = -2;
    if (fgh_request(&s->c->s, "POST", "/order/v2/create", headers, s->body, &r) == 0) {
        json_t *v = fgh_get(r.json, "code");
        s->code = v ? (long)json_integer_value(v) : -1;
        s->resp = strdup(r.body);
    }
    fgresp_free(&r);
    return NULL;
}

static void test_concurrent(void **state)
{
    struct ctx *c = *state;
    char *tok = token(c, "alice");
    /* Two creates for one customer (SGD: no cooldown), different request ids. */
    struct shot shots[16];
    pthread_t th[16];
    for (int i = 0; i < 2; i++) {
        memset(&shots[i], 0, sizeof(shots[i]));
        shots[i].c = c;
        shots[i].tok = tok;
        char *b = create_body(i == 0 ? "{\"request_id\":\"cc-a\",\"currency\":\"SGD\","
                                       "\"amount\":\"10\",\"client_bank_id\":\"b_sgd\"}"
                                     : "{\"request_id\":\"cc-b\",\"currency\":\"SGD\","
                                       "\"amount\":\"10\",\"client_bank_id\":\"b_sgd\"}");
        snprintf(shots[i].body, sizeof(shots[i].body), "%s", b);
        free(b);
        pthread_create(&th[i], NULL, shoot, &shots[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    int wins = 0, refused = 0;
    for (int i = 0; i < 2; i++) {
        wins += shots[i].code == 0;
        refused += shots[i].code == 110203 || shots[i].code == 110027;
        free(shots[i].resp);
    }
    assert_int_equal(wins, 1);
    assert_int_equal(refused, 1);
    assert_avail(c, "c1", "SGD", "990.00", "1000.00");
    fgh_assert_reconciled(&c->s);

    /* A burst of one request id (USD): one order; every answer is the original or 110027. */
    char *b = create_body("{\"request_id\":\"burst\"}");
    for (int i = 0; i < 16; i++) {
        memset(&shots[i], 0, sizeof(shots[i]));
        shots[i].c = c;
        shots[i].tok = tok;
        snprintf(shots[i].body, sizeof(shots[i].body), "%s", b);
        pthread_create(&th[i], NULL, shoot, &shots[i]);
    }
    for (int i = 0; i < 16; i++)
        pthread_join(th[i], NULL);
    const char *first = NULL;
    int ok = 0;
    for (int i = 0; i < 16; i++) {
        assert_true(shots[i].code == 0 || shots[i].code == 110027);
        if (shots[i].code == 0) {
            ok++;
            if (!first)
                first = shots[i].resp;
            assert_string_equal(shots[i].resp, first);
        }
    }
    assert_true(ok >= 1);
    for (int i = 0; i < 16; i++)
        free(shots[i].resp);
    free(b);
    assert_avail(c, "c1", "USD", "900.00", "1000.00");
    fgh_assert_reconciled(&c->s);
    free(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_day, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fee_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tolerant_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mode3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_omnibus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envelope_always, setup, teardown),
        cmocka_unit_test_setup_teardown(test_appeal_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_operator_roles, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
