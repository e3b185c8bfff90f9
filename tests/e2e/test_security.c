/*
 * test_security.c - end to end: the security points of issue 9 against the
 * real server.
 *
 *  - test_jwt_time_claims (9.2): tokens whose iat is INT64_MIN, INT64_MIN+1,
 *    INT64_MAX or a string, and tokens past their exp or before their nbf, are
 *    990009 (HTTP 401); the server stays up and a good token still works.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/jwt.h"
#include "harness.h"

#define APP1_SECRET "app1-secret-0123456789abcdef"

static int setup(void **state)
{
    struct fgsrv *s = calloc(1, sizeof(*s));
    fgsrv_start(s);
    fgh_seed_basic(s);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct fgsrv *s = *state;
    assert_int_equal(fgsrv_stop(s), 0);
    fgsrv_cleanup(s);
    free(s);
    return 0;
}

/* --- 9.2: JWT time claims ------------------------------------------------------ */

/* A Funds token for alice of app1 with the claims given as JSON text after iss/sub. */
static char *token_with(const char *claims_tail)
{
    json_t *sub = json_pack("{s:s,s:s,s:s,s:s}", "UserName", "alice", "OmnibusAccountId", "",
                            "Appid", "app1", "Email", "");
    char *sub_text = json_dumps(sub, JSON_COMPACT);
    json_t *s = json_string(sub_text);
    char *sub_json = json_dumps(s, JSON_ENCODE_ANY);
    char payload[1024];
    snprintf(payload, sizeof(payload), "{\"iss\":\"Trading-Auth\",\"sub\":%s,%s}", sub_json,
             claims_tail);
    char *t = jwt_hs256_sign(payload, APP1_SECRET, strlen(APP1_SECRET));
    json_decref(sub);
    json_decref(s);
    free(sub_text);
    free(sub_json);
    return t;
}

/* POST /order/v2/list with the token; returns the envelope's code (or -1). */
static long funds_list(const struct fgsrv *s, const char *token, long *status)
{
    char auth[4200];
    snprintf(auth, sizeof(auth), "X-Auth-Token: %s", token);
    const char *const headers[] = {auth, NULL};
    struct fgresp r;
    assert_int_equal(fgh_request(s, "POST", "/order/v2/list", headers, "{\"uuid\":\"c1\"}", &r), 0);
    json_t *c = json_object_get(r.json, "code");
    long code = json_is_integer(c) ? (long)json_integer_value(c) : -1;
    *status = r.status;
    fgresp_free(&r);
    return code;
}

static void test_jwt_time_claims(void **state)
{
    struct fgsrv *s = *state;
    json_decref(fgh_admin_ok(
        s, "POST", "/admin/v1/clients",
        "{\"family\":\"funds\",\"app_id\":\"app1\",\"jwt_secret\":\"" APP1_SECRET "\"}", 201));
    long long now = (long long)time(NULL);
    struct {
        const char *what;
        char tail[256];
        long code;
    } cases[16];
    int n = 0;
#define CASE(w, c, ...)                                                                            \
    do {                                                                                           \
        cases[n].what = w;                                                                         \
        snprintf(cases[n].tail, sizeof(cases[n].tail), __VA_ARGS__);                               \
        cases[n++].code = c;                                                                       \
    } while (0)
    CASE("iat now", 0, "\"iat\":%lld", now);
    CASE("iat INT64_MIN", 990009, "\"iat\":-9223372036854775808");
    CASE("iat INT64_MIN+1", 990009, "\"iat\":-9223372036854775807");
    CASE("iat INT64_MAX", 990009, "\"iat\":9223372036854775807");
    CASE("iat negative", 990009, "\"iat\":-1");
    CASE("iat huge", 990009, "\"iat\":99999999999999999999");
    CASE("iat string", 990009, "\"iat\":\"%lld\"", now);
    CASE("iat real", 990009, "\"iat\":%lld.5", now);
    CASE("exp passed", 990009, "\"iat\":%lld,\"exp\":%lld", now - 3600, now - 1200);
    CASE("exp INT64_MIN", 990009, "\"iat\":%lld,\"exp\":-9223372036854775808", now);
    CASE("exp ahead", 0, "\"iat\":%lld,\"exp\":%lld", now, now + 3600);
    CASE("nbf ahead", 990009, "\"iat\":%lld,\"nbf\":%lld", now, now + 3600);
    CASE("nbf INT64_MAX", 990009, "\"iat\":%lld,\"nbf\":9223372036854775807", now);
    CASE("nbf passed", 0, "\"iat\":%lld,\"nbf\":%lld", now, now - 60);
    CASE("iat now again", 0, "\"iat\":%lld", now);
#undef CASE
    for (int i = 0; i < n; i++) {
        char *t = token_with(cases[i].tail);
        long status = 0;
        long code = funds_list(s, t, &status);
        free(t);
        if (code != cases[i].code)
            fprintf(stderr, "%s: want %ld, got %ld (HTTP %ld)\n", cases[i].what, cases[i].code,
                    code, status);
        assert_int_equal(code, cases[i].code);
        assert_int_equal(status, cases[i].code ? 401 : 200);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_jwt_time_claims, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
