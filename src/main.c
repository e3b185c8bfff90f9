/*
 * main.c - the fundgate command line: serve, reconcile, migrate, backup, version.
 *
 * Each command parses its own options (getopt_long) and answers --help. Exit
 * codes: 0 success, 1 failure (reconcile: invariants broken), 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "app/config.h"
#include "bench/bench.h"
#include "core/clock.h"
#include "core/jwt.h"
#include "core/log.h"
#include "core/parse.h"
#include "ledger/ledger.h"
#include "services/fx.h"
#include "store/store.h"

#define DEFAULT_DATA_DIR "./fundgate-data"

static void usage_main(FILE *f)
{
    fprintf(f,
            "usage: fundgate <command> [options]\n\n"
            "commands:\n"
            "  serve       run the HTTP server (default: 127.0.0.1:8080, SQLite in %s)\n"
            "  reconcile   recompute every account from the journal and check invariants\n"
            "  migrate     apply pending schema migrations and exit\n"
            "  backup      copy the database to a file\n"
            "  bench       push transfers into the engine and the store (no HTTP)\n"
            "  token       mint an X-Auth-Token (HS256 JWT) for a Funds app, for testing\n"
            "  routes      print every route the server answers (METHOD PATH)\n"
            "  version     print the version\n"
            "the families' commands:\n",
            DEFAULT_DATA_DIR);
    app_commands_usage(f); /* rates, sign <family>, ... (main.c knows no family) */
    fprintf(f, "\n`fundgate <command> --help` describes each command's options.\n");
}

static void usage_serve(FILE *f)
{
    fprintf(
        f,
        "usage: fundgate serve [options]\n\n"
        "  --config FILE        a JSON file of these options ({\"listen\": \"127.0.0.1:8080\",\n"
        "                       \"test_clock\": false, ...}); flags given here win over it\n"
        "  --listen HOST:PORT   address to listen on (default 127.0.0.1:8080; port 0 picks one)\n"
        "  --data DIR           data directory (default %s)\n"
        "  --db URI             database (default DIR/fundgate.db)\n"
        "  --admin-token TOKEN  admin bearer token (or FUNDGATE_ADMIN_TOKEN; default: generated\n"
        "                       once and kept in DIR/admin-token)\n"
        "  --bootstrap FILE     apply a JSON file of admin objects at start, idempotently\n"
        "  --secret-key-file F  key that seals client secrets in the database (or\n"
        "                       FUNDGATE_SECRET_KEY_FILE; default DIR/secret.key, created\n"
        "                       0600 on first start: back it up apart from the database)\n"
        "  --signing-key-file F fundgate's RSA key that signs WorldFirst answers and\n"
        "                       notifications (or FUNDGATE_SIGNING_KEY_FILE; default\n"
        "                       DIR/signing-key.pem, created 0600 on first start)\n"
        "  --admin-rate-limit PER_S:BURST\n"
        "                       the admin token's token bucket (default %d:%d)\n"
        "  --threads N          HTTP poll threads  (default 1, max %d)\n"
        "  --log-level LEVEL    debug|info|warn|error (default info)\n"
        "  --access-log on|off  one JSON line per request on stderr (default on)\n"
        "  --tls-cert FILE      serve HTTPS with this PEM certificate (chain) ...\n"
        "  --tls-key FILE       ... and this PEM private key (both, or neither)\n"
        "  --test-clock         enable POST /admin/v1/test/clock (tests only)\n"
        "  --test-faults        enable POST /admin/v1/test/fault (tests only)\n",
        DEFAULT_DATA_DIR, FG_RATELIMIT_ADMIN_PER_S_DEFAULT, FG_RATELIMIT_ADMIN_BURST_DEFAULT,
        FG_HTTP_THREADS_MAX);
}

static void usage_store_cmd(FILE *f, const char *cmd, const char *extra)
{
    fprintf(f,
            "usage: fundgate %s [--data DIR | --db URI]%s\n\n"
            "  --data DIR   data directory (default %s)\n"
            "  --db URI     database (default DIR/fundgate.db)\n",
            cmd, extra, DEFAULT_DATA_DIR);
    if (strcmp(cmd, "backup") == 0)
        fprintf(f, "  --to FILE    the backup file to write (required; mode 0600)\n"
                   "  --force      replace FILE if it exists (otherwise refused)\n"
                   "The backup holds client secrets sealed: keep the secret key file\n"
                   "(DIR/secret.key) safe apart from it, or they cannot be opened.\n");
}

static int parse_listen(const char *s, char *host, size_t cap, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= cap)
        return -1;
    int64_t p;
    if (parse_int64_text(colon + 1, 0, 65535, &p) < 0)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    *port = (uint16_t)p;
    return 0;
}

/* "PER_S:BURST", each a decimal integer within the rate limits' bounds. */
static int parse_rate(const char *s, int64_t *per_s, int64_t *burst)
{
    const char *colon = strchr(s, ':');
    if (!colon ||
        parse_int64_digits(s, (size_t)(colon - s), 1, FG_RATELIMIT_PER_S_MAX, per_s) < 0 ||
        parse_int64_text(colon + 1, 1, FG_RATELIMIT_BURST_MAX, burst) < 0)
        return -1;
    return 0;
}

static const struct option serve_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"listen", required_argument, NULL, 'l'},
    {"data", required_argument, NULL, 'd'},
    {"db", required_argument, NULL, 'D'},
    {"admin-token", required_argument, NULL, 't'},
    {"bootstrap", required_argument, NULL, 'b'},
    {"secret-key-file", required_argument, NULL, 'K'},
    {"signing-key-file", required_argument, NULL, 'G'},
    {"admin-rate-limit", required_argument, NULL, 'R'},
    {"threads", required_argument, NULL, 'T'},
    {"log-level", required_argument, NULL, 'L'},
    {"access-log", required_argument, NULL, 'A'},
    {"tls-cert", required_argument, NULL, 'S'},
    {"tls-key", required_argument, NULL, 'k'},
    {"test-clock", no_argument, NULL, 'C'},
    {"test-faults", no_argument, NULL, 'F'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Options that take a number or a word; 0, or 2 after saying what is wrong. */
static int serve_opt_value(int c, const char *arg, struct api_config *cfg)
{
    if (c == 'R' && parse_rate(arg, &cfg->admin_per_s, &cfg->admin_burst) < 0) {
        fprintf(stderr, "fundgate serve: --admin-rate-limit wants PER_S:BURST, each 1..%d\n",
                FG_RATELIMIT_PER_S_MAX);
        return 2;
    }
    if (c == 'T') {
        int64_t n;
        if (parse_int64_text(arg, 1, FG_HTTP_THREADS_MAX, &n) < 0) {
            fprintf(stderr, "fundgate serve: --threads must be 1..%d\n", FG_HTTP_THREADS_MAX);
            return 2;
        }
        cfg->threads = (int)n;
    }
    if (c == 'L') {
        int level = fg_log_level_parse(arg);
        if (level < 0) {
            fprintf(stderr, "fundgate serve: unknown log level '%s'\n", arg);
            return 2;
        }
        fg_log_set_level((enum fg_log_level)level);
    }
    if (c == 'A') {
        if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0) {
            fprintf(stderr, "fundgate serve: --access-log wants on or off\n");
            return 2;
        }
        cfg->access_log = strcmp(arg, "on") == 0;
    }
    return 0;
}

/* One option of serve: 0 taken, 1 help printed, 2 usage error (said). */
static int serve_opt(int c, const char *arg, struct api_config *cfg, char *host, size_t host_cap)
{
    switch (c) {
    case 'c': /* read before the others (cmd_serve) */
        return 0;
    case 'l':
        if (parse_listen(arg, host, host_cap, &cfg->port) < 0) {
            fprintf(stderr, "fundgate serve: --listen wants HOST:PORT, got '%s'\n", arg);
            return 2;
        }
        return 0;
    case 'd':
        cfg->data_dir = arg;
        return 0;
    case 'D':
        cfg->db_uri = arg;
        return 0;
    case 't':
        cfg->admin_token = arg;
        return 0;
    case 'b':
        cfg->bootstrap = arg;
        return 0;
    case 'K':
        cfg->secret_key_file = arg;
        return 0;
    case 'G':
        cfg->signing_key_file = arg;
        return 0;
    case 'S':
        cfg->tls_cert = arg;
        return 0;
    case 'k':
        cfg->tls_key = arg;
        return 0;
    case 'C':
        cfg->test_clock = true;
        return 0;
    case 'F':
        cfg->test_faults = true;
        return 0;
    case 'R':
    case 'T':
    case 'L':
    case 'A':
        return serve_opt_value(c, arg, cfg);
    case 'h':
        usage_serve(stdout);
        return 1;
    default:
        usage_serve(stderr);
        return 2;
    }
}

/* getopt over argv into cfg: 0, 1 (help) or 2 (usage error). */
static int serve_args(int argc, char **argv, struct api_config *cfg, char *host, size_t host_cap)
{
    int c, rc = 0;
    optind = 0; /* a full rescan: the config file's list, then the command line */
    while (rc == 0 && (c = getopt_long(argc, argv, "h", serve_opts, NULL)) != -1)
        rc = serve_opt(c, optarg, cfg, host, host_cap);
    if (rc == 0 && optind < argc) {
        fprintf(stderr, "fundgate serve: unexpected argument '%s'\n", argv[optind]);
        rc = 2;
    }
    return rc;
}

/* The value of --config FILE (or --config=FILE) on the command line, or NULL. */
static const char *config_path(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            return argv[i + 1];
        if (strncmp(argv[i], "--config=", 9) == 0)
            return argv[i] + 9;
    }
    return NULL;
}

static int cmd_serve(int argc, char **argv)
{
    static char host[256] = "127.0.0.1";
    struct api_config cfg = {
        .host = host, .port = 8080, .data_dir = DEFAULT_DATA_DIR, .threads = 1, .access_log = true};
    const char *path = config_path(argc, argv);
    int file_argc = 0, rc = 0;
    char **file_argv = NULL, err[FG_ERR_MSG_MAX + FG_FILE_PATH_BYTES_MAX];
    if (path && config_file_argv(path, serve_opts, &file_argc, &file_argv, err, sizeof(err)) < 0) {
        fprintf(stderr, "fundgate serve: --config %s\n", err);
        return 2;
    }
    if (file_argv)
        rc = serve_args(file_argc, file_argv, &cfg, host, sizeof(host));
    if (rc == 0)
        rc = serve_args(argc, argv, &cfg, host, sizeof(host));
    if (rc == 0)
        rc = app_serve(&cfg);
    else if (rc == 1)
        rc = 0;
    config_argv_free(file_argc, file_argv);
    return rc;
}

/* Options shared by the commands that only open the store; to and force
 * only for backup (NULL for the others). */
static int store_cmd_args(int argc, char **argv, const char *cmd, char *uri, size_t cap,
                          const char **to, bool *force)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'}, {"db", required_argument, NULL, 'D'},
        {"to", required_argument, NULL, 'o'},   {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    const char *data = DEFAULT_DATA_DIR, *db = NULL, *extra = to ? " --to FILE [--force]" : "";
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd')
            data = optarg;
        else if (c == 'D')
            db = optarg;
        else if (c == 'o' && to)
            *to = optarg;
        else if (c == 'f' && force)
            *force = true;
        else if (c == 'h') {
            usage_store_cmd(stdout, cmd, extra);
            return 1;
        } else
            goto usage;
    }
    if (optind < argc)
        goto usage;
    if (to && (!*to || !**to)) {
        fprintf(stderr, "fundgate %s: --to FILE is required\n", cmd);
        goto usage;
    }
    int n = db ? snprintf(uri, cap, "%s", db) : snprintf(uri, cap, "%s/fundgate.db", data);
    if (strlen(db ? db : data) > FG_FILE_PATH_BYTES_MAX ||
        (to && strlen(*to) > FG_FILE_PATH_BYTES_MAX) || n < 0 || (size_t)n >= cap) {
        fprintf(stderr, "fundgate %s: --data, --db and --to are at most %d bytes\n", cmd,
                FG_FILE_PATH_BYTES_MAX);
        return 2;
    }
    return 0;
usage:
    usage_store_cmd(stderr, cmd, extra);
    return 2;
}

static int cmd_reconcile(int argc, char **argv)
{
    char uri[FG_FILE_PATH_BYTES_MAX + 32];
    int rc = store_cmd_args(argc, argv, "reconcile", uri, sizeof(uri), NULL, NULL);
    if (rc)
        return rc == 1 ? 0 : rc;
    struct fg_err err = {0};
    struct store *s = NULL;
    struct ledger_report *r = calloc(1, sizeof(*r));
    int64_t fx_checked = 0;
    if (!r || store_open(uri, false, &s, &err) < 0 || store_begin_read(s, &err) < 0 ||
        ledger_reconcile(s, r, &err) < 0 || fx_reconcile(s, r, &fx_checked, &err) < 0) {
        char shown[1024];
        store_uri_redact(uri, shown, sizeof(shown));
        fprintf(stderr, "fundgate reconcile: %s: %s\n", shown, err.msg);
        if (s)
            store_close(s);
        free(r);
        return 1;
    }
    store_rollback(s);
    store_close(s);
    for (int i = 0; i < r->currency_count; i++) {
        const struct ledger_currency_totals *t = &r->currencies[i];
        printf("%-8s accounts %-6lld transfers %-10lld debits %lld/%lld credits %lld/%lld "
               "(posted/pending, minor units)\n",
               t->currency, (long long)t->accounts, (long long)t->transfers,
               (long long)t->debits_posted, (long long)t->debits_pending,
               (long long)t->credits_posted, (long long)t->credits_pending);
    }
    for (int i = 0; i < r->violation_count && i < LEDGER_RECONCILE_VIOLATIONS_MAX; i++)
        printf("violation: %s\n", r->violations[i]);
    printf("fx exchanges checked: %lld\n", (long long)fx_checked);
    printf("reconcile: %s (%d violations)\n", r->ok ? "ok" : "FAILED", r->violation_count);
    rc = r->ok ? 0 : 1;
    free(r);
    return rc;
}

static int cmd_migrate(int argc, char **argv)
{
    char uri[FG_FILE_PATH_BYTES_MAX + 32];
    int rc = store_cmd_args(argc, argv, "migrate", uri, sizeof(uri), NULL, NULL);
    if (rc)
        return rc == 1 ? 0 : rc;
    struct fg_err err = {0};
    struct store *s = NULL;
    if (store_open(uri, true, &s, &err) < 0) {
        char shown[1024];
        store_uri_redact(uri, shown, sizeof(shown));
        fprintf(stderr, "fundgate migrate: %s: %s\n", shown, err.msg);
        return 1;
    }
    printf("schema version %d\n", store_ops_of(s)->schema_version(s));
    store_close(s);
    return 0;
}

/* Put the finished backup tmp at to: replacing a file only with force (link()
 * fails on an existing name, so nothing is overwritten by a race either). */
static int backup_place(const char *tmp, const char *to, bool force)
{
    if (chmod(tmp, 0600) < 0 || (force ? rename(tmp, to) : link(tmp, to)) < 0) {
        int e = errno;
        unlink(tmp);
        if (e == EEXIST)
            fprintf(stderr, "fundgate backup: %s exists; add --force to replace it\n", to);
        else
            fprintf(stderr, "fundgate backup: cannot write %s: %s\n", to, strerror(e));
        return 1;
    }
    if (!force)
        unlink(tmp);
    char dir[FG_FILE_PATH_BYTES_MAX + 1];
    snprintf(dir, sizeof(dir), "%s", to);
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
}

static int cmd_backup(int argc, char **argv)
{
    char uri[FG_FILE_PATH_BYTES_MAX + 32], tmp[FG_FILE_PATH_BYTES_MAX + 64];
    const char *to = NULL;
    bool force = false;
    int rc = store_cmd_args(argc, argv, "backup", uri, sizeof(uri), &to, &force);
    if (rc)
        return rc == 1 ? 0 : rc;
    struct stat st_to, st_db;
    if (stat(to, &st_to) == 0 && stat(uri, &st_db) == 0 && st_to.st_dev == st_db.st_dev &&
        st_to.st_ino == st_db.st_ino) {
        fprintf(stderr, "fundgate backup: %s is the database itself\n", to);
        return 1;
    }
    if (!force && access(to, F_OK) == 0) {
        fprintf(stderr, "fundgate backup: %s exists; add --force to replace it\n", to);
        return 1;
    }
    snprintf(tmp, sizeof(tmp), "%s.partial-%ld", to, (long)getpid());
    umask(077); /* every file the backup makes is the owner's alone */
    struct fg_err err = {0};
    struct store *s = NULL;
    if (store_backend_for(uri) == &store_pg_ops) { /* says to use pg_dump; opens nothing */
        store_pg_ops.backup(NULL, to, &err);
        fprintf(stderr, "fundgate backup: %s\n", err.msg);
        return 1;
    }
    if (store_open(uri, false, &s, &err) < 0 || store_ops_of(s)->backup(s, tmp, &err) < 0) {
        fprintf(stderr, "fundgate backup: %s\n", err.msg);
        if (s)
            store_close(s);
        return 1;
    }
    store_close(s);
    if (backup_place(tmp, to, force))
        return 1;
    printf("backed up %s to %s (mode 0600)\n", uri, to);
    return 0;
}

static void usage_token(FILE *f)
{
    fprintf(f, "usage: fundgate token --app APPID --user USERNAME --secret SECRET [options]\n\n"
               "  --app APPID        the Funds app (sub.Appid)\n"
               "  --user NAME        the user or operator (sub.UserName)\n"
               "  --secret SECRET    the app's jwt_secret\n"
               "  --iss ISS          issuer (default Trading-Auth)\n"
               "  --iat SECONDS      issued-at, unix seconds (default now)\n"
               "  --omnibus ID       sub.OmnibusAccountId (default empty)\n"
               "  --email EMAIL      sub.Email (default empty)\n");
}

/* Mint the token the Funds family takes: {"iss", "iat", "sub": "<json text>"}. */
struct token_args {
    const char *app, *user, *secret, *iss, *omnibus, *email;
    long long iat;
};

/* One option of token: -1 to go on, else the exit code. */
static int token_option(int c, struct token_args *t)
{
    char *end = NULL;
    switch (c) {
    case 'a':
        t->app = optarg;
        return -1;
    case 'u':
        t->user = optarg;
        return -1;
    case 's':
        t->secret = optarg;
        return -1;
    case 'i':
        t->iss = optarg;
        return -1;
    case 't':
        errno = 0;
        t->iat = strtoll(optarg, &end, 10);
        if (!*optarg || *end || errno) {
            fprintf(stderr, "fundgate token: --iat wants an integer of seconds\n");
            return 2;
        }
        return -1;
    case 'o':
        t->omnibus = optarg;
        return -1;
    case 'e':
        t->email = optarg;
        return -1;
    case 'h':
        usage_token(stdout);
        return 0;
    }
    usage_token(stderr);
    return 2;
}

/* Print the signed token; 0, or 1 when out of memory. */
static int token_print(const struct token_args *t)
{
    json_t *sub = json_pack("{s:s,s:s,s:s,s:s}", "UserName", t->user, "OmnibusAccountId",
                            t->omnibus, "Appid", t->app, "Email", t->email);
    char *sub_text = sub ? json_dumps(sub, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_t *claims = sub_text ? json_pack("{s:s,s:s,s:I}", "iss", t->iss, "sub", sub_text, "iat",
                                          (json_int_t)t->iat)
                              : NULL;
    char *payload = claims ? json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    char *token = payload ? jwt_hs256_sign(payload, t->secret, strlen(t->secret)) : NULL;
    json_decref(sub);
    json_decref(claims);
    free(sub_text);
    free(payload);
    if (!token) {
        fprintf(stderr, "fundgate token: out of memory\n");
        return 1;
    }
    printf("%s\n", token);
    free(token);
    return 0;
}

static int cmd_token(int argc, char **argv)
{
    static const struct option opts[] = {
        {"app", required_argument, NULL, 'a'},
        {"user", required_argument, NULL, 'u'},
        {"secret", required_argument, NULL, 's'},
        {"iss", required_argument, NULL, 'i'},
        {"iat", required_argument, NULL, 't'},
        {"omnibus", required_argument, NULL, 'o'},
        {"email", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct token_args t = {
        .iss = "Trading-Auth", .omnibus = "", .email = "", .iat = fg_clock_now_ms() / 1000};
    int c, rc;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
        if ((rc = token_option(c, &t)) >= 0)
            return rc;
    if (!t.app || !t.user || !t.secret || optind < argc) {
        usage_token(stderr);
        return 2;
    }
    return token_print(&t);
}

static int cmd_routes(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr,
                "usage: fundgate routes\n\nPrints every route the server answers, one "
                "\"METHOD PATH\" a line.\n");
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    int n = 0;
    const struct http_route *r = app_routes(&n);
    for (int i = 0; i < n; i++)
        if (r[i].method) /* owner entries (http.h) answer no request themselves */
            printf("%s %s\n", r[i].method, r[i].pattern);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage_main(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    argc--;
    argv++;
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc, argv);
    if (strcmp(cmd, "reconcile") == 0)
        return cmd_reconcile(argc, argv);
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate(argc, argv);
    if (strcmp(cmd, "backup") == 0)
        return cmd_backup(argc, argv);
    if (strcmp(cmd, "bench") == 0)
        return bench_main(argc, argv);
    if (strcmp(cmd, "token") == 0)
        return cmd_token(argc, argv);
    if (strcmp(cmd, "routes") == 0)
        return cmd_routes(argc, argv);
    int family_rc = app_command_run(argc, argv); /* the families' commands */
    if (family_rc >= 0)
        return family_rc;
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("fundgate %s\n", FG_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return 0;
    }
    fprintf(stderr, "fundgate: unknown command '%s'\n", cmd);
    usage_main(stderr);
    return 2;
}
