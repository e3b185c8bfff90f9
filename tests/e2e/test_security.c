/*
 * test_security.c - end to end: the security points of issue 9 against the
 * real server.
 *
 *  - test_jwt_time_claims (9.2): tokens whose iat is INT64_MIN, INT64_MIN+1,
 *    INT64_MAX or a string, and tokens past their exp or before their nbf, are
 *    990009 (HTTP 401); the server stays up and a good token still works.
 *  - test_path_params_not_truncated (9.3): the review's three examples (PATCH
 *    customers/<64 a>ZZZ, POST customers/<64 a>QQ/banks, holidays of a 17-byte
 *    currency), a long order serial, a rate pair with a long quote and a path
 *    segment past the router's buffer are refused and change nothing.
 *  - test_bootstrap_path_field (9.3): a bootstrap object whose path field
 *    would change or overflow the path stops the start.
 *  - test_token_and_path_limits (9.3): an admin token of FG_ADMIN_TOKEN_BYTES_MAX
 *    bytes works and one byte more stops the start; --data at
 *    FG_FILE_PATH_BYTES_MAX is used and one byte more is a usage error.
 *  - test_client_registry_limit (9.7): FG_CLIENTS_MAX clients are accepted and
 *    usable, the next is refused (409 limit_reached) before anything is
 *    stored, a replacement of an existing one still works, and all of them
 *    load after a restart.
 *  - test_secrets_at_rest (9.4): after client POSTs, no byte of the database
 *    files, a backup or the log holds a secret; the key file is 0600; the
 *    clients work after a restart; a row stored in plain text (as before
 *    sealing) still loads and is sealed on start; a wrong, missing or
 *    group-readable key, or a sealed value moved to another client, stops
 *    the start with a message saying so.
 *  - test_backup_command (9.4): --to required, file mode 0600, an existing
 *    file refused unless --force, the database itself refused.
 *  - test_rate_limits (9.11): clients with rate_limit {per_s 1, burst 2}: two
 *    requests pass, the third is HTTP 429 in the family's envelope (TradeBoss
 *    US_1000005, Funds 990429) with x-ratelimit-* and Retry-After, nothing is
 *    recorded, other clients pass meanwhile, the client recovers a second
 *    later, and the limit survives a restart; bad rate_limit values refused.
 *  - test_admin_rate_limit (9.11): --admin-rate-limit 1:2 on the admin token,
 *    the bootstrap not counted.
 */
#define _GNU_SOURCE /* memmem */
#include <assert.h>
#include <ctype.h>
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/jwt.h"
#include "core/limits.h"
#include "harness.h"
#include "store/store.h"

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

/* For tests that end with the server stopped (or refusing to start). */
static int teardown_killed(void **state)
{
    struct fgsrv *s = *state;
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

/* --- 9.3: path parameters ------------------------------------------------------ */

static void expect_error(const struct fgsrv *s, const char *method, const char *path,
                         const char *body, long status, const char *code)
{
    struct fgresp r;
    assert_int_equal(fgh_admin(s, method, path, body, &r), 0);
    if (r.status != status || !fgh_str(r.json, "error.code") ||
        strcmp(fgh_str(r.json, "error.code"), code) != 0)
        fprintf(stderr, "%s %.80s: want %ld %s, got %ld %s\n", method, path, status, code, r.status,
                r.body);
    assert_int_equal(r.status, status);
    assert_string_equal(fgh_str(r.json, "error.code"), code);
    fgresp_free(&r);
}

static void test_path_params_not_truncated(void **state)
{
    struct fgsrv *s = *state;
    char a64[65], path[512], body[512];
    memset(a64, 'a', 64);
    a64[64] = '\0';
    snprintf(body, sizeof(body),
             "{\"uuid\":\"%s\",\"user_name\":\"long\",\"name\":\"Long Id\",\"app_id\":\"app1\","
             "\"company_id\":7,\"base_currency\":\"USD\"}",
             a64);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/customers", body, 201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/currencies",
                             "{\"code\":\"ABCDEFGHIJKLMNOP\",\"digits\":2}", 201));

    /* 1. PATCH customers/<64 a>ZZZ cancelled customer <64 a> (final). */
    snprintf(path, sizeof(path), "/admin/v1/customers/%sZZZ", a64);
    expect_error(s, "PATCH", path, "{\"status\":\"cancelled\"}", 400, "bad_field");
    snprintf(path, sizeof(path), "/admin/v1/accounts?uuid=%s", a64);
    json_decref(fgh_admin_ok(s, "GET", path, NULL, 200));
    snprintf(path, sizeof(path), "/admin/v1/customers/%s", a64);
    json_t *j = fgh_admin_ok(s, "PATCH", path, "{\"status\":\"active\"}", 200);
    assert_string_equal(fgh_str(j, "status"), "active"); /* never cancelled */
    json_decref(j);

    /* 2. POST customers/<64 a>QQ/banks stored a bank under <64 a>. */
    const char *bank = "{\"client_bank_id\":\"bq\",\"bank_name\":\"B\",\"account_no\":\"1\","
                       "\"holder_name\":\"Long Id\",\"currency\":\"USD\",\"status\":\"approved\"}";
    snprintf(path, sizeof(path), "/admin/v1/customers/%sQQ/banks", a64);
    expect_error(s, "POST", path, bank, 400, "bad_field");
    snprintf(path, sizeof(path), "/admin/v1/customers/%s/banks", a64);
    json_decref(fgh_admin_ok(s, "POST", path, bank, 201)); /* 201: it did not exist */

    /* 3. The holidays route cut the currency at 16 bytes. */
    const char *days = "{\"dates\":[\"2026-12-25\"]}";
    expect_error(s, "POST", "/admin/v1/calendars/ABCDEFGHIJKLMNOPQ/holidays", days, 400,
                 "bad_field");
    json_decref(
        fgh_admin_ok(s, "POST", "/admin/v1/calendars/ABCDEFGHIJKLMNOP/holidays", days, 201));

    /* A rate pair's quote was cut the same way (%.16s). */
    expect_error(s, "POST", "/admin/v1/rates",
                 "{\"pair\":\"USD/ABCDEFGHIJKLMNOPQ\",\"bid\":\"1\",\"ask\":\"1\"}", 400,
                 "bad_field");
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/rates",
                             "{\"pair\":\"USD/ABCDEFGHIJKLMNOP\",\"bid\":\"1\",\"ask\":\"1\"}",
                             201)); /* 201: the long pair stored nothing */

    /* An order serial longer than any serial, and a segment past the router. */
    char serial[120];
    memset(serial, '1', sizeof(serial) - 1);
    memcpy(serial, "WD20260107", 10);
    serial[sizeof(serial) - 1] = '\0';
    snprintf(path, sizeof(path), "/admin/v1/withdrawals/%s/approve", serial);
    struct fgresp r;
    assert_int_equal(fgh_admin(s, "POST", path, NULL, &r), 0);
    assert_int_equal(r.status, 400);
    assert_int_equal(json_integer_value(fgh_get(r.json, "error.funds_code")), 110019);
    fgresp_free(&r);
    char a200[201];
    memset(a200, 'a', 200);
    a200[200] = '\0';
    snprintf(path, sizeof(path), "/admin/v1/customers/%s", a200);
    expect_error(s, "PATCH", path, "{\"status\":\"cancelled\"}", 414, "too_large");
    fgh_assert_reconciled(s);
}

/* Run the fundgate binary with args; returns its exit status, stderr in err. */
static int run_fundgate(const char *const args[], char *err, size_t cap)
{
    char tmpl[] = "/tmp/fg-e2e-err-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[32];
        int n = 0;
        argv[n++] = getenv("FUNDGATE_BIN");
        for (int i = 0; args[i] && n < 31; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ssize_t n = pread(fd, err, cap - 1, 0);
    err[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(tmpl);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_bootstrap_path_field(void **state)
{
    (void)state;
    char dir[] = "/tmp/fg-e2e-boot-XXXXXX";
    assert_non_null(mkdtemp(dir));
    static const char *const bad[] = {"c1/banks", "c1?x=1", "", "%2e%2e"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char file[300], data[300], out[4096];
        snprintf(file, sizeof(file), "%s/boot.json", dir);
        snprintf(data, sizeof(data), "%s/data%zu", dir, i);
        FILE *f = fopen(file, "w");
        assert_non_null(f);
        fprintf(f,
                "{\"currencies\":[{\"code\":\"USD\",\"digits\":2}],\"banks\":[{\"uuid\":\"%s\","
                "\"client_bank_id\":\"b1\",\"holder_name\":\"A\",\"currency\":\"USD\","
                "\"status\":\"approved\"}]}",
                bad[i]);
        fclose(f);
        const char *const args[] = {"serve",         "--listen", "127.0.0.1:0", "--data", data,
                                    "--admin-token", "t",        "--bootstrap", file,     NULL};
        assert_int_equal(run_fundgate(args, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "banks[0] is not a valid object"));
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_token_and_path_limits(void **state)
{
    (void)state;
    char tok[FG_ADMIN_TOKEN_BYTES_MAX + 2], auth[FG_ADMIN_TOKEN_BYTES_MAX + 40], out[4096];
    memset(tok, 't', sizeof(tok) - 1);
    tok[FG_ADMIN_TOKEN_BYTES_MAX] = '\0';
    struct fgsrv s = {.args = {"--admin-token", tok, NULL}};
    fgsrv_start(&s);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    const char *const headers[] = {auth, NULL};
    struct fgresp r;
    assert_int_equal(fgh_request(&s, "GET", "/admin/v1/reconcile", headers, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    fgresp_free(&r);
    assert_int_equal(fgsrv_stop(&s), 0);
    tok[FG_ADMIN_TOKEN_BYTES_MAX] = 't';
    tok[FG_ADMIN_TOKEN_BYTES_MAX + 1] = '\0';
    const char *const serve[] = {"serve", "--listen",      "127.0.0.1:0", "--data",
                                 s.dir,   "--admin-token", tok,           NULL};
    assert_int_equal(run_fundgate(serve, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "admin token is longer than 127 bytes"));
    fgsrv_cleanup(&s);

    char data[FG_FILE_PATH_BYTES_MAX + 2];
    memset(data, 'd', sizeof(data) - 1);
    for (int i = 0; i < FG_FILE_PATH_BYTES_MAX; i += 100)
        data[i] = '/';
    data[FG_FILE_PATH_BYTES_MAX] = '\0';
    const char *const reconcile[] = {"reconcile", "--data", data, NULL};
    assert_int_equal(run_fundgate(reconcile, out, sizeof(out)), 1); /* used: no such file */
    assert_null(strstr(out, "at most"));
    data[FG_FILE_PATH_BYTES_MAX] = 'd';
    data[FG_FILE_PATH_BYTES_MAX + 1] = '\0';
    assert_int_equal(run_fundgate(reconcile, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "are at most 1000 bytes"));
}

/* --- 9.7: client registry ------------------------------------------------------- */

#define REG_THREADS 8

struct reg_arg {
    const struct fgsrv *s;
    int from, to;
    int created;
};

static void *reg_worker(void *p)
{
    struct reg_arg *a = p;
    for (int i = a->from; i < a->to; i++) {
        char body[160];
        snprintf(body, sizeof(body),
                 "{\"family\":\"funds\",\"app_id\":\"reg%d\",\"jwt_secret\":\"" APP1_SECRET "\"}",
                 i);
        struct fgresp r;
        if (fgh_admin(a->s, "POST", "/admin/v1/clients", body, &r) == 0 && r.status == 201)
            a->created++;
        fgresp_free(&r);
    }
    return NULL;
}

/* A token for alice of app_id, now. */
static char *token_for(const char *app_id)
{
    json_t *sub = json_pack("{s:s,s:s,s:s,s:s}", "UserName", "alice", "OmnibusAccountId", "",
                            "Appid", app_id, "Email", "");
    char *sub_text = json_dumps(sub, JSON_COMPACT);
    json_t *claims = json_pack("{s:s,s:s,s:I}", "iss", "Trading-Auth", "sub", sub_text, "iat",
                               (json_int_t)time(NULL));
    char *payload = json_dumps(claims, JSON_COMPACT);
    char *t = jwt_hs256_sign(payload, APP1_SECRET, strlen(APP1_SECRET));
    json_decref(sub);
    json_decref(claims);
    free(sub_text);
    free(payload);
    return t;
}

static void test_client_registry_limit(void **state)
{
    struct fgsrv *s = *state;
    pthread_t th[REG_THREADS];
    struct reg_arg args[REG_THREADS];
    int per = FG_CLIENTS_MAX / REG_THREADS, created = 0;
    static_assert(FG_CLIENTS_MAX % REG_THREADS == 0, "even split");
    for (int i = 0; i < REG_THREADS; i++) {
        args[i] = (struct reg_arg){.s = s, .from = i * per, .to = (i + 1) * per};
        pthread_create(&th[i], NULL, reg_worker, &args[i]);
    }
    for (int i = 0; i < REG_THREADS; i++) {
        pthread_join(th[i], NULL);
        created += args[i].created;
    }
    assert_int_equal(created, FG_CLIENTS_MAX);
    /* The 1,025th: refused before anything is stored. */
    const char *extra =
        "{\"family\":\"tradeboss\",\"company_id\":99,\"auth\":\"allowlist\",\"allow\":[\"::1\"]}";
    expect_error(s, "POST", "/admin/v1/clients", extra, 409, "limit_reached");
    /* Replacing an existing client is not adding one. */
    char body[160];
    snprintf(body, sizeof(body),
             "{\"family\":\"funds\",\"app_id\":\"reg%d\",\"jwt_secret\":\"" APP1_SECRET
             "\",\"appeal_days\":3}",
             FG_CLIENTS_MAX - 1);
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/clients", body, 200));
    for (int round = 0; round < 2; round++) {
        /* Every registered client is usable: its app is known (not 110007). */
        for (int i = 0; i < FG_CLIENTS_MAX; i += FG_CLIENTS_MAX / 8 - 1) {
            char app[16];
            snprintf(app, sizeof(app), "reg%d", i);
            char *t = token_for(app);
            long status = 0;
            long code = funds_list(s, t, &status);
            free(t);
            assert_true(code != 110007 && code != 990009);
        }
        expect_error(s, "POST", "/admin/v1/clients", extra, 409, "limit_reached");
        assert_int_equal(fgsrv_stop(s), 0);
        fgsrv_start(s); /* all of them load again */
    }
}

/* --- 9.4: secrets at rest ---------------------------------------------------------- */

#define TB_SECRET "tradeboss-secret-at-rest-0123"
#define APP2_SECRET "app2-secret-at-rest-456789"
#define LEGACY_SECRET "legacy-plain-secret-987654"

/* Does the file at path hold needle anywhere in its bytes? */
static bool file_holds(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    bool found = memmem(buf, got, needle, strlen(needle)) != NULL;
    free(buf);
    return found;
}

/* Any file of the data directory (the key file aside) holding needle? */
static bool dir_holds(const char *dir, const char *needle)
{
    static const char *const names[] = {"fundgate.db", "fundgate.db-wal", "fundgate.db-shm",
                                        "server.log", "admin-token"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (file_holds(path, needle)) {
            fprintf(stderr, "%s holds the secret %s\n", path, needle);
            return true;
        }
    }
    return false;
}

/* The funds app takes a token signed with secret (its answer is not 990009,
 * 110007 or a transport error: alice may belong to another app). */
static bool app_accepts(const struct fgsrv *s, const char *app_id, const char *secret)
{
    json_t *sub = json_pack("{s:s,s:s,s:s,s:s}", "UserName", "alice", "OmnibusAccountId", "",
                            "Appid", app_id, "Email", "");
    char *sub_text = json_dumps(sub, JSON_COMPACT);
    json_t *claims = json_pack("{s:s,s:s,s:I}", "iss", "Trading-Auth", "sub", sub_text, "iat",
                               (json_int_t)time(NULL));
    char *payload = json_dumps(claims, JSON_COMPACT);
    char *t = jwt_hs256_sign(payload, secret, strlen(secret));
    long status = 0;
    long code = funds_list(s, t, &status);
    json_decref(sub);
    json_decref(claims);
    free(sub_text);
    free(payload);
    free(t);
    return code >= 0 && code != 990009 && code != 110007; /* the token verified */
}

/* Run SQL on the (stopped) server's database through the store interface. */
static void db_exec(const struct fgsrv *s, const char *sql, const char *a, const char *b)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/fundgate.db", s->dir);
    struct store *st = NULL;
    struct fg_err err = {0};
    assert_int_equal(store_open(path, false, &st, &err), 0);
    int64_t changes = 0;
    assert_int_equal(
        store_exec_changes(st, sql, STORE_ARGS(SA_TEXT(a), SA_TEXT(b)), &changes, &err), 0);
    assert_int_equal(changes, 1);
    store_close(st);
}

/* serve must refuse to start, saying msg. */
static void start_refused(const struct fgsrv *s, const char *key_file, const char *msg)
{
    char out[8192];
    const char *const args[] = {"serve",         "--listen", "127.0.0.1:0",       "--data", s->dir,
                                "--admin-token", "t",        "--secret-key-file", key_file, NULL};
    assert_int_equal(run_fundgate(args, out, sizeof(out)), 1);
    if (!strstr(out, msg))
        fprintf(stderr, "want '%s' in: %s\n", msg, out);
    assert_non_null(strstr(out, msg));
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod %o '%s'", from, to, (unsigned)mode, to);
    assert_int_equal(system(cmd), 0);
}

/* Stored client configs whose text contains needle, read through the store. */
static int64_t clients_holding(const struct fgsrv *s, const char *needle)
{
    char like[256];
    snprintf(like, sizeof(like), "%%%s%%", needle);
    struct store *st = fgh_store_open(s);
    struct fg_err err = {0};
    int64_t n = -1;
    assert_int_equal(store_query_int(st, "SELECT COUNT(*) FROM clients WHERE config LIKE ?",
                                     STORE_ARGS(SA_TEXT(like)), &n, &err),
                     0);
    store_close(st);
    return n;
}

static void test_secrets_at_rest(void **state)
{
    struct fgsrv *s = *state;
    json_t *j = fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":8,\"auth\":\"hmac\","
                             "\"secret\":\"" TB_SECRET "\"}",
                             201);
    assert_null(json_object_get(j, "secret")); /* never echoed */
    json_decref(j);
    json_decref(fgh_admin_ok(
        s, "POST", "/admin/v1/clients",
        "{\"family\":\"funds\",\"app_id\":\"app1\",\"jwt_secret\":\"" APP1_SECRET "\"}", 201));
    json_decref(fgh_admin_ok(
        s, "POST", "/admin/v1/clients",
        "{\"family\":\"funds\",\"app_id\":\"app2\",\"jwt_secret\":\"" APP2_SECRET "\"}", 201));
    assert_true(app_accepts(s, "app1", APP1_SECRET));
    static const char *const secrets[] = {TB_SECRET, APP1_SECRET, APP2_SECRET};
    for (size_t i = 0; i < 3; i++) /* on either backend: the stored configs hold no secret */
        assert_int_equal(clients_holding(s, secrets[i]), 0);
    assert_int_equal(clients_holding(s, "enc:v1:"), 3);
    if (fgh_on_pg()) /* what follows reads SQLite's files and moves its rows */
        return;
    char key[512], key_copy[512], other[512];
    snprintf(key, sizeof(key), "%s/secret.key", s->dir);
    snprintf(key_copy, sizeof(key_copy), "%s/elsewhere.key", s->dir);
    snprintf(other, sizeof(other), "%s/other.key", s->dir);
    /* Neither while running (the log) nor after a clean stop (db, wal). */
    assert_false(dir_holds(s->dir, TB_SECRET));
    assert_int_equal(fgsrv_stop(s), 0);
    for (size_t i = 0; i < 3; i++)
        assert_false(dir_holds(s->dir, secrets[i]));
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);

    /* The key elsewhere (--secret-key-file): the clients open and work. */
    copy_file(key, key_copy, 0600);
    s->args[0] = "--secret-key-file";
    s->args[1] = key_copy;
    fgsrv_start(s);
    assert_true(app_accepts(s, "app1", APP1_SECRET));
    assert_true(app_accepts(s, "app2", APP2_SECRET));
    assert_false(app_accepts(s, "app1", APP2_SECRET));
    assert_int_equal(fgsrv_stop(s), 0);

    /* A row as stored before secrets were sealed: loads, then is sealed. */
    db_exec(s, "UPDATE clients SET config = ? WHERE family = 'funds' AND client_key = ?",
            "{\"family\":\"funds\",\"app_id\":\"app1\",\"jwt_secret\":\"" LEGACY_SECRET "\"}",
            "app1");
    assert_true(dir_holds(s->dir, LEGACY_SECRET)); /* the test's own plain write */
    fgsrv_start(s);
    assert_true(app_accepts(s, "app1", LEGACY_SECRET));
    assert_false(dir_holds(s->dir, LEGACY_SECRET)); /* sealed, vacuumed, log truncated */
    assert_int_equal(fgsrv_stop(s), 0);
    assert_false(dir_holds(s->dir, LEGACY_SECRET));

    /* Wrong key, missing key, key open to others, a value moved to another client. */
    FILE *f = fopen(other, "w");
    fputs("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", f);
    fclose(f);
    chmod(other, 0600);
    start_refused(s, other, "does not open with this key");
    char missing[600];
    snprintf(missing, sizeof(missing), "%s/missing.key", s->dir);
    start_refused(s, missing, "does not exist, but 3 stored clients hold secrets sealed");
    assert_int_equal(access(missing, F_OK), -1); /* and no new key was made */
    chmod(key_copy, 0644);
    start_refused(s, key_copy, "chmod 600");
    chmod(key_copy, 0600);
    db_exec(s,
            "UPDATE clients SET config = (SELECT config FROM clients WHERE client_key = ?) "
            "WHERE family = 'funds' AND client_key = ?",
            "app1", "app2");
    start_refused(s, key_copy, "client funds/app2, field 'jwt_secret'");
}

static void test_backup_command(void **state)
{
    struct fgsrv *s = *state;
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/clients",
                             "{\"family\":\"tradeboss\",\"company_id\":8,\"auth\":\"hmac\","
                             "\"secret\":\"" TB_SECRET "\"}",
                             201));
    char to[512], db[512], out[4096];
    snprintf(to, sizeof(to), "%s/backup.db", s->dir);
    if (fgh_on_pg()) { /* PostgreSQL is backed up with pg_dump; fundgate says so, writes nothing */
        const char *const pg[] = {"backup", "--db", s->db, "--to", to, NULL};
        assert_int_equal(run_fundgate(pg, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "pg_dump"));
        assert_int_equal(access(to, F_OK), -1);
        return;
    }
    snprintf(db, sizeof(db), "%s/fundgate.db", s->dir);
    const char *const no_to[] = {"backup", "--data", s->dir, NULL};
    assert_int_equal(run_fundgate(no_to, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "--to FILE is required"));
    const char *const backup[] = {"backup", "--data", s->dir, "--to", to, NULL};
    assert_int_equal(run_fundgate(backup, out, sizeof(out)), 0); /* while the server runs */
    struct stat st;
    assert_int_equal(stat(to, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_false(file_holds(to, TB_SECRET));
    assert_true(file_holds(to, "tradeboss")); /* it is a copy of the database */
    /* Not replaced without --force: the file keeps its bytes. */
    assert_int_equal(truncate(to, 10), 0);
    assert_int_equal(run_fundgate(backup, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "exists; add --force"));
    assert_int_equal(stat(to, &st), 0);
    assert_int_equal(st.st_size, 10);
    const char *const forced[] = {"backup", "--data", s->dir, "--to", to, "--force", NULL};
    assert_int_equal(run_fundgate(forced, out, sizeof(out)), 0);
    assert_int_equal(stat(to, &st), 0);
    assert_true(st.st_size > 10);
    assert_int_equal(st.st_mode & 0777, 0600);
    const char *const onto_db[] = {"backup", "--data", s->dir, "--to", db, "--force", NULL};
    assert_int_equal(run_fundgate(onto_db, out, sizeof(out)), 1);
    assert_non_null(strstr(out, "is the database itself"));
    fgh_assert_reconciled(s);
}

/* --- 9.11: rate limits ------------------------------------------------------------- */

struct hresp {
    long status;
    char headers[4096];
    size_t hlen;
    json_t *json;
};

static size_t on_hdr(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct hresp *r = ctx;
    size_t n = size * nmemb;
    if (r->hlen + n < sizeof(r->headers)) {
        for (size_t i = 0; i < n; i++) /* lower case, for lookups */
            r->headers[r->hlen + i] = (char)tolower((unsigned char)data[i]);
        r->hlen += n;
        r->headers[r->hlen] = '\0';
    }
    return n;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
    char **body = ctx;
    size_t old = *body ? strlen(*body) : 0, n = size * nmemb;
    char *p = realloc(*body, old + n + 1);
    memcpy(p + old, data, n);
    p[old + n] = '\0';
    *body = p;
    return n;
}

/* A request whose answer's headers are kept (lower case). */
static void hrequest(const struct fgsrv *s, const char *path, const char *const headers[],
                     const char *body, struct hresp *r)
{
    memset(r, 0, sizeof(*r));
    CURL *c = curl_easy_init();
    char url[512], *text = NULL;
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    for (int i = 0; headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_hdr);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &text);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    r->json = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
}

/* The value of header name (lower case) in r, or "". */
static const char *hval(struct hresp *r, const char *name, char *buf, size_t cap)
{
    char key[64];
    snprintf(key, sizeof(key), "\n%s:", name);
    const char *at = strstr(r->headers, key);
    buf[0] = '\0';
    if (at) {
        at += strlen(key);
        while (*at == ' ')
            at++;
        snprintf(buf, cap, "%.*s", (int)strcspn(at, "\r\n"), at);
    }
    return buf;
}

/* A TradeBoss call from loopback for companyId; returns the envelope's code. */
static const char *tb_call(const struct fgsrv *s, int company, const char *path, const char *body,
                           struct hresp *r)
{
    char cid[32], ts[48];
    snprintf(cid, sizeof(cid), "companyId: %d", company);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    snprintf(ts, sizeof(ts), "timestamp: %lld",
             (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
    const char *const headers[] = {"trace: rl-test", cid, ts, NULL};
    hrequest(s, path, headers, body, r);
    return fgh_str(r->json, "code");
}

#define TB_AMOUNT "/api/cats-gateway/get-user-amount"
#define TB_EXEC "/api/cats-gateway/external-system-credit-limit-adjustment"
#define TB_QUERY "{\"thirdServerCode\":\"fg\",\"userName\":\"alice\",\"currency\":\"USD\"}"

static void expect_tb(const struct fgsrv *s, int company, const char *want_code, long status,
                      const char *remaining)
{
    struct hresp r;
    char b[64];
    const char *code = tb_call(s, company, TB_AMOUNT, TB_QUERY, &r);
    assert_non_null(code);
    assert_string_equal(code, want_code);
    assert_int_equal(r.status, status);
    if (remaining)
        assert_string_equal(hval(&r, "x-ratelimit-remaining", b, sizeof(b)), remaining);
    if (status == 429) {
        assert_string_equal(hval(&r, "retry-after", b, sizeof(b)), "1");
        assert_string_equal(hval(&r, "x-ratelimit-limit", b, sizeof(b)), "2");
        assert_true(json_is_false(json_object_get(r.json, "ok")));
        assert_string_equal(fgh_str(r.json, "trace"), "rl-test");
    }
    json_decref(r.json);
}

static void expect_funds(const struct fgsrv *s, const char *app, const char *secret, long code,
                         long status)
{
    char *t = NULL;
    json_t *sub = json_pack("{s:s,s:s,s:s,s:s}", "UserName", "alice", "OmnibusAccountId", "",
                            "Appid", app, "Email", "");
    char *sub_text = json_dumps(sub, JSON_COMPACT);
    json_t *claims = json_pack("{s:s,s:s,s:I}", "iss", "Trading-Auth", "sub", sub_text, "iat",
                               (json_int_t)time(NULL));
    char *payload = json_dumps(claims, JSON_COMPACT);
    t = jwt_hs256_sign(payload, secret, strlen(secret));
    char auth[4200], b[64];
    snprintf(auth, sizeof(auth), "X-Auth-Token: %s", t);
    const char *const headers[] = {auth, NULL};
    struct hresp r;
    hrequest(s, "/order/v2/list", headers, "{\"uuid\":\"c1\"}", &r);
    long got = (long)json_integer_value(json_object_get(r.json, "code"));
    if (code >= 0)
        assert_int_equal(got, code);
    else /* any answer but a rate limit (and the token verified) */
        assert_true(got != 990429 && got != 990009 && got != 110007);
    assert_int_equal(r.status, status);
    if (status == 429) {
        assert_string_equal(hval(&r, "retry-after", b, sizeof(b)), "1");
        assert_true(json_is_null(json_object_get(r.json, "data")));
    }
    json_decref(r.json);
    json_decref(sub);
    json_decref(claims);
    free(sub_text);
    free(payload);
    free(t);
}

static void test_rate_limits(void **state)
{
    struct fgsrv *s = *state;
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/deposits",
                             "{\"request_id\":\"rl-d\",\"uuid\":\"c1\",\"type\":\"futures\","
                             "\"currency\":\"USD\",\"amount\":\"100\"}",
                             201));
    static const char *const bad[] = {"5",
                                      "{}",
                                      "{\"per_s\":1}",
                                      "{\"burst\":1}",
                                      "{\"per_s\":0,\"burst\":1}",
                                      "{\"per_s\":1,\"burst\":0}",
                                      "{\"per_s\":1,\"burst\":1000001}",
                                      "{\"per_s\":\"1\",\"burst\":2}",
                                      "{\"per_s\":1,\"burst\":2,\"x\":1}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"family\":\"tradeboss\",\"company_id\":7,\"auth\":\"allowlist\","
                 "\"allow\":[\"127.0.0.0/8\"],\"rate_limit\":%s}",
                 bad[i]);
        struct fgresp r;
        assert_int_equal(fgh_admin(s, "POST", "/admin/v1/clients", body, &r), 0);
        assert_int_equal(r.status, 400);
        fgresp_free(&r);
    }
    json_t *j =
        fgh_admin_ok(s, "POST", "/admin/v1/clients",
                     "{\"family\":\"tradeboss\",\"company_id\":7,\"auth\":\"allowlist\","
                     "\"allow\":[\"127.0.0.0/8\"],\"rate_limit\":{\"burst\":2,\"per_s\":1}}",
                     201);
    assert_int_equal(json_integer_value(fgh_get(j, "rate_limit.per_s")), 1);
    assert_int_equal(json_integer_value(fgh_get(j, "rate_limit.burst")), 2);
    json_decref(j);
    j = fgh_admin_ok(s, "POST", "/admin/v1/clients",
                     "{\"family\":\"tradeboss\",\"company_id\":9,\"auth\":\"allowlist\","
                     "\"allow\":[\"127.0.0.0/8\"]}",
                     201);
    assert_int_equal(json_integer_value(fgh_get(j, "rate_limit.per_s")),
                     FG_RATELIMIT_CLIENT_PER_S_DEFAULT);
    json_decref(j);
    json_decref(
        fgh_admin_ok(s, "POST", "/admin/v1/clients",
                     "{\"family\":\"funds\",\"app_id\":\"app1\",\"jwt_secret\":\"" APP1_SECRET
                     "\",\"rate_limit\":{\"per_s\":1,\"burst\":2}}",
                     201));
    json_decref(fgh_admin_ok(
        s, "POST", "/admin/v1/clients",
        "{\"family\":\"funds\",\"app_id\":\"app2\",\"jwt_secret\":\"" APP2_SECRET "\"}", 201));
    /* TradeBoss: 2 pass, the 3rd is 429 US_1000005; company 9 is not affected. */
    expect_tb(s, 7, "0", 200, "1");
    expect_tb(s, 7, "0", 200, "0");
    expect_tb(s, 7, "US_1000005", 429, "0");
    expect_tb(s, 9, "US_2000001", 200, NULL); /* alice is company 7's: refused, not limited */
    /* A refused execute records nothing: after the refill it applies. */
    const char *exec =
        "{\"thirdServerCode\":\"fg\",\"userName\":\"alice\",\"currency\":\"USD\",\"bizType\":1,"
        "\"operationType\":\"OPEN_POSITION\",\"amount\":\"1.00\",\"amountDigits\":2,"
        "\"orderId\":1,\"requestUniqueNo\":\"rl-1\",\"requestTime\":1,\"ip\":\"1.2.3.4\"}";
    struct hresp r;
    assert_string_equal(tb_call(s, 7, TB_EXEC, exec, &r), "US_1000005");
    json_decref(r.json);
    /* Funds: the same for app1, in its envelope; app2 is not affected. */
    expect_funds(s, "app1", APP1_SECRET, 0, 200);
    expect_funds(s, "app1", APP1_SECRET, 0, 200);
    expect_funds(s, "app1", APP1_SECRET, 990429, 429);
    expect_funds(s, "app2", APP2_SECRET, -1, 200); /* alice is app1's: refused, not limited */
    usleep(1100 * 1000);                           /* one token each */
    assert_string_equal(tb_call(s, 7, TB_EXEC, exec, &r), "0");
    json_decref(r.json);
    expect_tb(s, 7, "US_1000005", 429, "0");
    expect_funds(s, "app1", APP1_SECRET, 0, 200);
    expect_funds(s, "app1", APP1_SECRET, 990429, 429);
    /* The limit is stored with the client. */
    assert_int_equal(fgsrv_stop(s), 0);
    fgsrv_start(s);
    expect_tb(s, 7, "0", 200, "1");
    expect_tb(s, 7, "0", 200, "0");
    expect_tb(s, 7, "US_1000005", 429, "0");
    fgh_assert_reconciled(s);
}

static void test_admin_rate_limit(void **state)
{
    (void)state;
    static char boot[512];
    snprintf(boot, sizeof(boot), "%s/demo.json", getenv("FUNDGATE_EXAMPLES"));
    struct fgsrv s = {.args = {"--admin-rate-limit", "1:2", "--bootstrap", boot, NULL}};
    fgsrv_start(&s); /* dozens of bootstrap objects: not counted */
    json_decref(fgh_admin_ok(&s, "GET", "/admin/v1/reconcile", NULL, 200));
    struct fgresp r;
    const char *const wrong[] = {"Authorization: Bearer nope", NULL};
    assert_int_equal(fgh_request(&s, "GET", "/admin/v1/reconcile", wrong, NULL, &r), 0);
    assert_int_equal(r.status, 401); /* refused before it could spend a token */
    fgresp_free(&r);
    json_decref(fgh_admin_ok(&s, "GET", "/admin/v1/accounts?uuid=c1", NULL, 200));
    expect_error(&s, "GET", "/admin/v1/reconcile", NULL, 429, "rate_limited");
    expect_error(&s, "POST", "/admin/v1/rates", "{}", 429, "rate_limited"); /* funds routes too */
    usleep(1100 * 1000);
    json_decref(fgh_admin_ok(&s, "GET", "/admin/v1/reconcile", NULL, 200));
    expect_error(&s, "GET", "/admin/v1/reconcile", NULL, 429, "rate_limited");
    /* Ops endpoints are not the admin plane. */
    assert_int_equal(fgh_request(&s, "GET", "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    fgresp_free(&r);
    assert_int_equal(fgsrv_stop(&s), 0);
    fgsrv_cleanup(&s);
    char out[1024];
    const char *const bad[] = {"serve", "--admin-rate-limit", "0:5", NULL};
    assert_int_equal(run_fundgate(bad, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "--admin-rate-limit wants PER_S:BURST"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_jwt_time_claims, setup, teardown),
        cmocka_unit_test_setup_teardown(test_path_params_not_truncated, setup, teardown),
        cmocka_unit_test(test_bootstrap_path_field),
        cmocka_unit_test(test_token_and_path_limits),
        cmocka_unit_test_setup_teardown(test_client_registry_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secrets_at_rest, setup, teardown_killed),
        cmocka_unit_test_setup_teardown(test_backup_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rate_limits, setup, teardown),
        cmocka_unit_test(test_admin_rate_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
