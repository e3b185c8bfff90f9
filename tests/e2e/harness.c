/* harness.c - see harness.h. */
#include "harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "pg/pgtest.h"
#include "store/store.h"

#define START_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS 30000

static void fgh_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fgh_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fail();
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fgsrv_start(struct fgsrv *s)
{
    static bool curl_ready;
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = true;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *bin = getenv("FUNDGATE_BIN");
    if (!bin)
        fgh_fail("FUNDGATE_BIN is not set");
    if (!s->dir[0]) {
        snprintf(s->dir, sizeof(s->dir), "/tmp/fg-e2e-XXXXXX");
        if (!mkdtemp(s->dir))
            fgh_fail("mkdtemp: %s", strerror(errno));
        if (fgh_on_pg() && !s->db[0] && !pgtest_db_create("e2e", s->db, sizeof(s->db)))
            fgh_fail("cannot create a PostgreSQL database");
    }
    snprintf(s->log, sizeof(s->log), "%s/server.log", s->dir);
    int out[2];
    if (pipe(out) < 0)
        fgh_fail("pipe: %s", strerror(errno));
    const char *argv[FGH_ARGS_MAX + 16];
    int n = 0;
    argv[n++] = bin;
    argv[n++] = "serve";
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", s->keep_port ? s->port : 0);
    argv[n++] = "--listen";
    argv[n++] = listen;
    argv[n++] = "--data";
    argv[n++] = s->dir;
    argv[n++] = "--admin-token";
    argv[n++] = FGH_ADMIN_TOKEN;
    if (s->db[0]) {
        argv[n++] = "--db";
        argv[n++] = s->db;
    }
    for (int i = 0; i < FGH_ARGS_MAX && s->args[i]; i++)
        argv[n++] = s->args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0)
        fgh_fail("fork: %s", strerror(errno));
    if (pid == 0) {
        int logfd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        dup2(out[1], 1);
        if (logfd >= 0)
            dup2(logfd, 2);
        close(out[0]);
        close(out[1]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    s->pid = pid;
    s->out_fd = out[0];
    /* Wait for "listening on http://127.0.0.1:PORT". */
    char buf[4096];
    size_t len = 0;
    int64_t deadline = now_ms() + START_TIMEOUT_MS;
    s->port = 0;
    while (!s->port && now_ms() < deadline) {
        struct pollfd p = {.fd = s->out_fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t r = read(s->out_fd, buf + len, sizeof(buf) - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        buf[len] = '\0';
        const char *at = strstr(buf, "listening on http");
        const char *colon = at ? strstr(at, "127.0.0.1:") : NULL;
        if (colon && strchr(at, '\n'))
            s->port = (uint16_t)atoi(colon + strlen("127.0.0.1:"));
    }
    if (!s->port) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fgh_fail("server did not start (see %s): %s", s->log, buf);
    }
    snprintf(s->base, sizeof(s->base), "%s://127.0.0.1:%u", s->cainfo[0] ? "https" : "http",
             s->port);
}

int fgsrv_stop(struct fgsrv *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int status = 0;
    int64_t deadline = now_ms() + STOP_TIMEOUT_MS;
    pid_t r = 0;
    while ((r = waitpid(s->pid, &status, WNOHANG)) == 0 && now_ms() < deadline)
        usleep(10000);
    if (r == 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        s->pid = 0;
        close(s->out_fd);
        return -1;
    }
    s->pid = 0;
    close(s->out_fd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void fgsrv_kill9(struct fgsrv *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    close(s->out_fd);
}

bool fgh_on_pg(void)
{
    return pgtest_base() != NULL;
}

struct store *fgh_store_open(const struct fgsrv *s)
{
    char path[512];
    if (s->db[0])
        snprintf(path, sizeof(path), "%s", s->db);
    else
        snprintf(path, sizeof(path), "%s/fundgate.db", s->dir);
    struct store *st = NULL;
    struct fg_err err = {0};
    if (store_open(path, false, &st, &err) < 0)
        fgh_fail("cannot open the server's store: %s", err.msg);
    return st;
}

int fgh_log_count(const struct fgsrv *s, const char *needle)
{
    FILE *f = fopen(s->log, "r");
    if (!f)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

void fgsrv_cleanup(struct fgsrv *s)
{
    if (s->pid > 0)
        fgsrv_kill9(s);
    if (s->db[0])
        pgtest_db_drop(s->db);
    s->db[0] = '\0';
    if (s->dir[0] && strncmp(s->dir, "/tmp/fg-e2e-", 12) == 0) {
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", s->dir);
    }
    s->dir[0] = '\0';
}

struct buf {
    char *p;
    size_t n;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct buf *b = ctx;
    size_t add = size * nmemb;
    char *p = realloc(b->p, b->n + add + 1);
    if (!p)
        return 0;
    memcpy(p + b->n, data, add);
    b->p = p;
    b->n += add;
    p[b->n] = '\0';
    return add;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct fgresp *r = ctx;
    size_t n = size * nmemb;
    if (n > 12 && strncasecmp(data, "X-Trace-Id:", 11) == 0) {
        const char *v = data + 11;
        while (*v == ' ')
            v++;
        size_t len = strcspn(v, "\r\n");
        if (len >= sizeof(r->trace))
            len = sizeof(r->trace) - 1;
        memcpy(r->trace, v, len);
        r->trace[len] = '\0';
    }
    return n;
}

int fgh_request(const struct fgsrv *s, const char *method, const char *path,
                const char *const headers[], const char *body, struct fgresp *r)
{
    memset(r, 0, sizeof(*r));
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    char url[1024];
    snprintf(url, sizeof(url), "%s%s", s->base, path);
    struct curl_slist *h = NULL;
    for (int i = 0; headers && headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    if (body)
        h = curl_slist_append(h, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    struct buf b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (s->cainfo[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, s->cainfo);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    r->body = b.p ? b.p : calloc(1, 1);
    r->len = b.n;
    if (rc != CURLE_OK)
        return -1;
    r->json = json_loadb(r->body, r->len, 0, NULL);
    return 0;
}

int fgh_admin(const struct fgsrv *s, const char *method, const char *path, const char *body,
              struct fgresp *r)
{
    const char *const headers[] = {"Authorization: Bearer " FGH_ADMIN_TOKEN, NULL};
    return fgh_request(s, method, path, headers, body, r);
}

json_t *fgh_admin_ok(const struct fgsrv *s, const char *method, const char *path, const char *body,
                     long status)
{
    struct fgresp r;
    if (fgh_admin(s, method, path, body, &r) < 0)
        fgh_fail("%s %s: transport failure", method, path);
    if (r.status != status || !r.json)
        fgh_fail("%s %s: want %ld, got %ld: %s", method, path, status, r.status, r.body);
    json_t *j = json_incref(r.json);
    fgresp_free(&r);
    return j;
}

void fgresp_free(struct fgresp *r)
{
    free(r->body);
    json_decref(r->json);
    r->body = NULL;
    r->json = NULL;
}

json_t *fgh_get(json_t *v, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save)) {
        if (json_is_array(v))
            v = json_array_get(v, (size_t)atoi(tok));
        else
            v = json_object_get(v, tok);
    }
    return v;
}

const char *fgh_str(json_t *v, const char *path)
{
    return json_string_value(fgh_get(v, path));
}

void fgh_assert_reconciled(const struct fgsrv *s)
{
    json_t *j = fgh_admin_ok(s, "GET", "/admin/v1/reconcile", NULL, 200);
    if (!json_is_true(json_object_get(j, "ok"))) {
        char *d = json_dumps(j, 0);
        fprintf(stderr, "reconcile failed: %s\n", d);
        free(d);
        json_decref(j);
        fail();
    }
    json_decref(j);
}

static char *account_field(const struct fgsrv *s, const char *uuid, const char *type,
                           const char *ccy, const char *field)
{
    char path[256];
    snprintf(path, sizeof(path), "/admin/v1/accounts?uuid=%s", uuid);
    json_t *j = fgh_admin_ok(s, "GET", path, NULL, 200);
    json_t *arr = json_object_get(j, "accounts");
    char *out = NULL;
    size_t i;
    json_t *a;
    json_array_foreach(arr, i, a)
    {
        if (strcmp(fgh_str(a, "type"), type) == 0 && strcmp(fgh_str(a, "currency"), ccy) == 0)
            out = strdup(fgh_str(a, field));
    }
    json_decref(j);
    if (!out)
        fgh_fail("no %s %s account for %s", type, ccy, uuid);
    return out;
}

char *fgh_available(const struct fgsrv *s, const char *uuid, const char *type, const char *ccy)
{
    return account_field(s, uuid, type, ccy, "available");
}

char *fgh_balance(const struct fgsrv *s, const char *uuid, const char *type, const char *ccy)
{
    return account_field(s, uuid, type, ccy, "balance");
}

void fgh_seed_basic(const struct fgsrv *s)
{
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/currencies",
                             "{\"code\":\"USD\",\"digits\":2,\"digital\":false}", 201));
    json_decref(
        fgh_admin_ok(s, "POST", "/admin/v1/currencies", "{\"code\":\"JPY\",\"digits\":0}", 201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/customers",
                             "{\"uuid\":\"c1\",\"user_name\":\"alice\",\"name\":\"Alice Li\","
                             "\"app_id\":\"app1\",\"company_id\":7,\"base_currency\":\"USD\"}",
                             201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/accounts",
                             "{\"uuid\":\"c1\",\"type\":\"wallet\",\"currency\":\"USD\"}", 201));
    json_decref(fgh_admin_ok(s, "POST", "/admin/v1/accounts",
                             "{\"uuid\":\"c1\",\"type\":\"futures\",\"currency\":\"USD\"}", 201));
}
