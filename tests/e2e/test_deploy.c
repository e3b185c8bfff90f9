/*
 * test_deploy.c - end to end: what running fundgate as a service relies on.
 * HTTPS with a self-signed certificate made by openssl (plain HTTP refused on
 * that port), the --config file (its settings take effect, flags win, an
 * unknown key stops the start), one JSON access-log line per request with
 * ISO 8601 timestamps, and the admin token printed only when generated.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_https(void **state)
{
    (void)state;
    struct fgsrv s = {0};
    snprintf(s.dir, sizeof(s.dir), "/tmp/fg-e2e-XXXXXX");
    assert_non_null(mkdtemp(s.dir));
    char cmd[1024], cert[300], key[300];
    snprintf(cert, sizeof(cert), "%s/cert.pem", s.dir);
    snprintf(key, sizeof(key), "%s/key.pem", s.dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1 -keyout %s -out %s 2>/dev/null",
             key, cert);
    assert_int_equal(system(cmd), 0);
    snprintf(s.cainfo, sizeof(s.cainfo), "%s", cert);
    s.args[0] = "--tls-cert";
    s.args[1] = cert;
    s.args[2] = "--tls-key";
    s.args[3] = key;
    fgsrv_start(&s);
    assert_non_null(strstr(s.base, "https://"));
    json_t *j =
        fgh_admin_ok(&s, "POST", "/admin/v1/currencies", "{\"code\":\"USD\",\"digits\":2}", 201);
    json_decref(j);
    struct fgresp r;
    assert_int_equal(fgh_request(&s, "GET", "/healthz", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    fgresp_free(&r);
    /* The same port in plain HTTP: no answer. */
    struct fgsrv plain = s;
    plain.cainfo[0] = '\0';
    snprintf(plain.base, sizeof(plain.base), "http://127.0.0.1:%u", s.port);
    assert_int_not_equal(
        fgh_request(&plain, "GET", "/healthz", NULL, NULL, &r) == 0 && r.status == 200, 1);
    fgresp_free(&r);
    assert_int_equal(fgsrv_stop(&s), 0);
    fgsrv_cleanup(&s);
}

static void test_tls_needs_both(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "%s serve --listen 127.0.0.1:0 --data /tmp/fg-e2e-none "
             "--tls-cert /nonexistent.pem >/dev/null 2>&1",
             getenv("FUNDGATE_BIN"));
    int rc = system(cmd);
    assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) != 0);
    system("rm -rf /tmp/fg-e2e-none");
}

static void test_config_file(void **state)
{
    (void)state;
    struct fgsrv s = {0};
    snprintf(s.dir, sizeof(s.dir), "/tmp/fg-e2e-XXXXXX");
    assert_non_null(mkdtemp(s.dir));
    char path[300], cmd[700];
    snprintf(path, sizeof(path), "%s/fundgate.json", s.dir);
    /* The file turns the test clock on; the command line's flags win over the file's. */
    write_file(path, "{\"_comment\":\"test\",\"test_clock\":true,\"listen\":\"127.0.0.1:1\","
                     "\"admin_rate_limit\":\"1000:1000\",\"access_log\":\"off\",\"threads\":2}");
    s.args[0] = "--config";
    s.args[1] = path;
    fgsrv_start(&s); /* its --listen 127.0.0.1:0 won over the file's port 1 */
    json_decref(fgh_admin_ok(&s, "POST", "/admin/v1/test/clock", "{\"now_ms\":0}", 200));
    assert_int_equal(fgsrv_stop(&s), 0);
    assert_null(strstr(read_file(s.log), "\"msg\":\"access\""));
    /* Refused: an unknown key, a wrong type, a bad value; nothing starts. */
    const char *bad[] = {"{\"bogus\":1}", "{\"test_clock\":\"yes\"}", "{\"threads\":99}",
                         "{\"listen\":[1]}", "not json"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, bad[i]);
        snprintf(cmd, sizeof(cmd), "%s serve --config %s --data %s >/dev/null 2>&1",
                 getenv("FUNDGATE_BIN"), path, s.dir);
        int rc = system(cmd);
        assert_true(WIFEXITED(rc));
        assert_int_equal(WEXITSTATUS(rc), 2);
    }
    fgsrv_cleanup(&s);
}

static void test_access_log(void **state)
{
    (void)state;
    struct fgsrv s = {0};
    fgsrv_start(&s);
    fgh_seed_basic(&s);
    struct fgresp r;
    const char *h[] = {"Authorization: Bearer " FGH_ADMIN_TOKEN, "X-Trace-Id: access-log-1", NULL};
    assert_int_equal(fgh_request(&s, "POST", "/admin/v1/deposits", h,
                                 "{\"request_id\":\"al-1\",\"uuid\":\"c1\",\"type\":\"wallet\","
                                 "\"currency\":\"USD\",\"amount\":\"5\"}",
                                 &r),
                     0);
    assert_int_equal(r.status, 201);
    fgresp_free(&r);
    assert_int_equal(fgsrv_stop(&s), 0);
    char *log = read_file(s.log);
    char *line = strstr(log, "\"trace\":\"access-log-1\"");
    assert_non_null(line);
    while (line > log && line[-1] != '\n')
        line--;
    char *end = strchr(line, '\n');
    assert_non_null(end);
    *end = '\0';
    json_t *j = json_loads(line, 0, NULL);
    assert_non_null(j);
    assert_string_equal(fgh_str(j, "msg"), "access");
    assert_string_equal(fgh_str(j, "method"), "POST");
    assert_string_equal(fgh_str(j, "path"), "/admin/v1/deposits");
    assert_string_equal(fgh_str(j, "peer"), "127.0.0.1");
    assert_string_equal(fgh_str(j, "client"), "admin:token");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 201);
    assert_true(json_is_integer(json_object_get(j, "duration_us")));
    regex_t re;
    assert_int_equal(regcomp(&re,
                             "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    assert_int_equal(regexec(&re, fgh_str(j, "ts"), 0, NULL, 0), 0);
    regfree(&re);
    json_decref(j);
    fgsrv_cleanup(&s);
}

/* Start `serve` without --admin-token on dir; returns what it printed up to
 * and including the line after "listening on", then stops it. */
static void serve_once(const char *dir, char *out, size_t cap)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        close(p[0]);
        execl(getenv("FUNDGATE_BIN"), "fundgate", "serve", "--listen", "127.0.0.1:0", "--data", dir,
              (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    size_t n = 0;
    out[0] = '\0';
    for (int waited = 0; waited < 30000 && !strstr(out, "try:"); waited += 50) {
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        if (poll(&pf, 1, 50) <= 0)
            continue;
        ssize_t r = read(p[0], out + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        out[n] = '\0';
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    close(p[0]);
}

static void test_token_printed_once(void **state)
{
    (void)state;
    char dir[] = "/tmp/fg-e2e-XXXXXX", out[8192], path[300];
    assert_non_null(mkdtemp(dir));
    serve_once(dir, out, sizeof(out));
    snprintf(path, sizeof(path), "%s/admin-token", dir);
    char token[200];
    snprintf(token, sizeof(token), "%s", read_file(path));
    token[strcspn(token, "\n")] = '\0';
    assert_int_equal(strlen(token), 48);
    assert_non_null(strstr(out, token)); /* generated now: printed */
    serve_once(dir, out, sizeof(out));
    assert_non_null(strstr(out, "admin-token"));
    assert_null(strstr(out, token)); /* read from the data dir: never printed again */
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* A file of exactly len bytes: a JSON object {"_pad":"xxx..."} (valid config). */
static void write_padded_config(const char *path, size_t len)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"_pad\":\"", f);
    for (size_t i = 9; i < len - 2; i++) /* 9 bytes of head, 2 of tail */
        fputc('x', f);
    fputs("\"}", f);
    fclose(f);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, len);
}

static int serve_status(const char *args)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "%s serve %s >/dev/null 2>&1", getenv("FUNDGATE_BIN"), args);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

static void test_file_limits(void **state)
{
    (void)state;
    char dir[] = "/tmp/fg-e2e-XXXXXX", path[300], args[800];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/fundgate.json", dir);
    snprintf(args, sizeof(args), "--config %s --help", path);
    write_padded_config(path, 64 * 1024); /* FG_CONFIG_BYTES_MAX: read */
    assert_int_equal(serve_status(args), 0);
    write_padded_config(path, 64 * 1024 + 1); /* one byte over: refused */
    assert_int_equal(serve_status(args), 2);
    /* A PEM file over FG_TLS_PEM_BYTES_MAX stops the start. */
    char pem[300];
    snprintf(pem, sizeof(pem), "%s/big.pem", dir);
    write_padded_config(pem, 64 * 1024 + 1);
    snprintf(args, sizeof(args), "--listen 127.0.0.1:0 --data %s --tls-cert %s --tls-key %s", dir,
             pem, pem);
    assert_int_equal(serve_status(args), 1);
    snprintf(args, sizeof(args), "rm -rf %s", dir);
    assert_int_equal(system(args), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_https),
        cmocka_unit_test(test_tls_needs_both),
        cmocka_unit_test(test_config_file),
        cmocka_unit_test(test_access_log),
        cmocka_unit_test(test_token_printed_once),
        cmocka_unit_test(test_file_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
