/*
 * fx_rates.c - the FX core's rates on the admin plane: POST /admin/v1/rates,
 * POST /admin/v1/rates/load, and the `fundgate rates load` command.
 *
 * POST /admin/v1/rates keeps the shape it had for the Funds family ({pair,
 * bid, ask}) and adds max_age_s and source; rates have up to 18 significant
 * digits. The answer gives bid, ask and mid as exact decimals. A CSV load is
 * all or nothing: parsed on the HTTP thread, applied in one command, the
 * first refused row refusing all.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/admin_write.h"
#include "core/clock.h"
#include "core/jsonx.h"
#include "core/limits.h"
#include "families/fx/fx_int.h"
#include "services/directory.h"
#include "services/fx.h"
#include "store/store.h"

#define RATES_FILE_BYTES_MAX (FG_FX_RATES_CSV_ROWS_MAX * (FG_FX_RATES_CSV_LINE_BYTES_MAX + 2))

static json_t *rate_json(const struct fx_rate_row *r)
{
    char pair[2 * FG_CURRENCY_CODE_BYTES_MAX + 2];
    snprintf(pair, sizeof(pair), "%s/%s", r->base, r->quote);
    return json_pack("{s:s,s:o,s:o,s:o,s:I,s:s,s:o}", "pair", pair, "bid", fx_rate_text(r->bid),
                     "ask", fx_rate_text(r->ask), "mid", fx_rate_text(fxrate_mid(r->bid, r->ask)),
                     "max_age_s", (json_int_t)r->max_age_s, "source", r->source, "set_at",
                     fx_time_text(r->set_ms));
}

/* --- POST /admin/v1/rates ---------------------------------------------------- */

/* pair: "BASE/QUOTE", two different currency codes. */
static int pair_read(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err)
{
    (void)ctx;
    struct fx_rate_row *r = dst;
    const char *pair = NULL;
    int rc = jsonx_str(body, f->name, true, 2 * FG_CURRENCY_CODE_BYTES_MAX + 1, &pair, err);
    if (rc < 0)
        return rc;
    const char *slash = strchr(pair, '/');
    size_t nb = slash ? (size_t)(slash - pair) : 0;
    if (!slash || nb == 0 || !slash[1] || nb > FG_CURRENCY_CODE_BYTES_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'pair' must be BASE/QUOTE");
    if (strlen(slash + 1) > FG_CURRENCY_CODE_BYTES_MAX)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'pair': a currency code is at most %d bytes",
                       FG_CURRENCY_CODE_BYTES_MAX);
    memcpy(r->base, pair, nb);
    r->base[nb] = '\0';
    snprintf(r->quote, sizeof(r->quote), "%s", slash + 1);
    if (!currency_code_valid(r->base) || !currency_code_valid(r->quote) ||
        strcmp(r->base, r->quote) == 0)
        return fg_fail(err, -FG_EBAD_FIELD, "field 'pair' must be two different currencies");
    return 0;
}

/* bid, ask: exact decimals (core/fxrate.h) at the spec's offset. */
static int rate_read(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err)
{
    (void)ctx;
    const char *v = NULL;
    struct fg_err inner;
    int rc = jsonx_str(body, f->name, true, 64, &v, err);
    if (rc == 0 &&
        fxrate_parse(v, strlen(v), f->name, (struct fxrate *)((char *)dst + f->offset), &inner) < 0)
        rc = fg_fail(err, -FG_EBAD_FIELD, "field '%s': %s", f->name, inner.msg);
    return rc;
}

static int order_read(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                      struct fg_err *err)
{
    (void)body, (void)f, (void)ctx;
    const struct fx_rate_row *r = dst;
    return fxrate_cmp(r->bid, r->ask) > 0 ? fg_fail(err, -FG_EBAD_FIELD, "bid must not exceed ask")
                                          : 0;
}

/* source: 1 to FG_FX_SOURCE_BYTES_MAX of [A-Za-z0-9._:@/-], "admin" when absent. */
static int source_read(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                       struct fg_err *err)
{
    (void)ctx;
    char *out = (char *)dst + f->offset;
    const char *v = NULL;
    int rc = jsonx_str(body, f->name, false, FG_FX_SOURCE_BYTES_MAX, &v, err);
    if (rc == 0 && v && !fx_source_valid(v))
        rc = fg_fail(err, -FG_EBAD_FIELD, "field 'source' must be 1 to %d of A-Za-z0-9._:@/-",
                     FG_FX_SOURCE_BYTES_MAX);
    if (rc == 0)
        snprintf(out, f->cap, "%s", v ? v : FX_ADMIN_DEFAULT_SOURCE);
    return rc;
}

static const struct field_spec rate_fields[] = {
    {.name = "pair", .kind = FIELD_CUSTOM, .read = pair_read},
    {.name = "bid", .kind = FIELD_CUSTOM, .read = rate_read, FIELD_AT(struct fx_rate_row, bid)},
    {.name = "ask", .kind = FIELD_CUSTOM, .read = rate_read, FIELD_AT(struct fx_rate_row, ask)},
    {.name = ".order", .kind = FIELD_CUSTOM, .read = order_read},
    {.name = "max_age_s",
     .kind = FIELD_INT,
     .max = FG_FX_RATE_MAX_AGE_S_MAX,
     FIELD_AT(struct fx_rate_row, max_age_s)},
    {.name = "source",
     .kind = FIELD_CUSTOM,
     .read = source_read,
     FIELD_AT(struct fx_rate_row, source)},
    {0},
};

static int rate_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                    struct api_write_result *out, struct fg_err *err)
{
    struct fx_rate_row *r = c->data;
    bool created = false;
    r->set_ms = now_ms;
    int rc = fx_rate_put(s, r, &created, err);
    if (rc < 0)
        return rc;
    out->status = created ? 201 : 200;
    out->body = rate_json(r);
    snprintf(out->target, sizeof(out->target), "%s/%s", r->base, r->quote);
    return 0;
}

const struct api_admin_write fx_rate_write = {
    .fields = rate_fields,
    .data_size = sizeof(struct fx_rate_row),
    .run = rate_run,
};

/* --- POST /admin/v1/rates/load ------------------------------------------------ */

struct load_cmd {
    struct fx_rate_row *rows;
    int n;
};

static void load_cmd_free(void *p)
{
    free(((struct load_cmd *)p)->rows);
}

/* Every row or none (the command's savepoint). *created counts new pairs. */
static int rates_apply(struct store *s, int64_t now_ms, struct fx_rate_row *rows, int n,
                       int *created, struct fg_err *err)
{
    *created = 0;
    for (int i = 0; i < n; i++) {
        bool fresh = false;
        rows[i].set_ms = now_ms;
        int rc = fx_rate_put(s, &rows[i], &fresh, err);
        if (rc < 0) {
            char inner[FG_ERR_MSG_MAX];
            snprintf(inner, sizeof(inner), "%s", err->msg);
            return fg_fail(err, rc, "rate %d (%s/%s): %.200s; nothing was loaded", i + 1,
                           rows[i].base, rows[i].quote, inner);
        }
        *created += fresh;
    }
    return 0;
}

static int load_run(struct api_cmd *c, struct store *s, int64_t now_ms,
                    struct api_write_result *out, struct fg_err *err)
{
    struct load_cmd *l = c->data;
    int created = 0;
    int rc = rates_apply(s, now_ms, l->rows, l->n, &created, err);
    if (rc < 0)
        return rc;
    out->body = json_pack("{s:i,s:i}", "loaded", l->n, "created", created);
    snprintf(out->target, sizeof(out->target), "csv");
    return 0;
}

/* The whole file, at most RATES_FILE_BYTES_MAX bytes; malloc'd, NUL-ended. */
static char *file_read(const char *path, size_t *len, struct fg_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fg_fail(err, -FG_EBAD_FIELD, "cannot open %.200s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(RATES_FILE_BYTES_MAX + 1);
    size_t n = buf ? fread(buf, 1, RATES_FILE_BYTES_MAX + 1, f) : 0;
    bool bad = !buf || ferror(f) || n > RATES_FILE_BYTES_MAX;
    fclose(f);
    if (bad) {
        fg_fail(err, buf ? -FG_ETOO_LARGE : -FG_ENOMEM, "%.200s: unreadable or over %d bytes", path,
                RATES_FILE_BYTES_MAX);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The CSV of the body: {"csv": text} or, from the bootstrap only, {"file": path}. */
static int load_text(struct http_req *req, json_t *body, char **text, size_t *len,
                     struct fg_err *err)
{
    json_t *csv = json_object_get(body, "csv"), *file = json_object_get(body, "file");
    if (!!csv == !!file)
        return fg_fail(err, -FG_EMISSING_FIELD, "give exactly one of 'csv' and 'file'");
    if (file && !req->internal)
        return fg_fail(err, -FG_EFORBIDDEN, "'file' is read only from a bootstrap file");
    const char *v = json_string_value(csv ? csv : file);
    if (!v || (file && json_string_length(file) > FG_FILE_PATH_BYTES_MAX))
        return fg_fail(err, -FG_EBAD_FIELD, "'%s' must be a string%s", csv ? "csv" : "file",
                       csv ? "" : " of at most 1000 bytes");
    if (csv) {
        *len = json_string_length(csv);
        *text = malloc(*len + 1);
        if (!*text)
            return fg_fail(err, -FG_ENOMEM, "out of memory");
        memcpy(*text, v, *len + 1);
        return 0;
    }
    *text = file_read(v, len, err);
    return *text ? 0 : err->code;
}

/* The body: a JSON object of csv or file, and source (any other key refused);
 * read here, in the order the route always had: keys, source, then the text
 * (which needs the request: a file only from the bootstrap), then the CSV. */
static int load_prepare(struct api *api, struct http_req *req, json_t *body, void *data,
                        struct fg_err *err)
{
    static const char *const keys[] = {"csv", "file", "source", NULL};
    (void)api;
    struct load_cmd *l = data;
    char source[FX_SOURCE_BYTES], *text = NULL;
    size_t len = 0;
    struct field_spec src = {.name = "source", .cap = sizeof(source)};
    int rc = jsonx_check_keys(body, keys, err);
    if (rc == 0)
        rc = source_read(body, &src, source, NULL, err);
    if (rc == 0)
        rc = load_text(req, body, &text, &len, err);
    if (rc == 0 && !(l->rows = calloc(FG_FX_RATES_CSV_ROWS_MAX, sizeof(*l->rows))))
        rc = fg_fail(err, -FG_ENOMEM, "out of memory");
    if (rc == 0)
        rc = fx_rates_csv_parse(text, len, source, fg_clock_now_ms(), l->rows, &l->n, err);
    free(text);
    if (rc == 0 && l->n == 0)
        rc = fg_fail(err, -FG_EMISSING_FIELD, "the CSV holds no rate");
    return rc;
}

static const struct field_spec no_fields[] = {{0}};

const struct api_admin_write fx_rates_load_write = {
    .fields = no_fields,
    .any_keys = true,
    .data_size = sizeof(struct load_cmd),
    .prepare = load_prepare,
    .run = load_run,
    .data_free = load_cmd_free,
};

/* --- fundgate rates load FILE ----------------------------------------------------------- */

static void usage_rates(FILE *f)
{
    fprintf(f, "usage: fundgate rates load FILE [--data DIR | --db URI] [--source S]\n\n"
               "  FILE        CSV, one rate a line: PAIR,BID,ASK[,MAX_AGE_S[,SOURCE]]\n"
               "              (EUR/USD,1.0810,1.0830,300,feed); '#' comments, a header line\n"
               "  --data DIR  data directory (default ./fundgate-data)\n"
               "  --db URI    database (default DIR/fundgate.db)\n"
               "  --source S  source of the lines that name none (default csv)\n"
               "Every rate or none is stored, in one transaction; a running server sees\n"
               "them at once.\n");
}

/* Parse the file and store its rows in one transaction. */
static int rates_load_store(const char *uri, const char *file, const char *source)
{
    struct fg_err err = {0};
    size_t len = 0;
    int n = 0, created = 0;
    struct store *s = NULL;
    char *text = file_read(file, &len, &err);
    struct fx_rate_row *rows = text ? calloc(FG_FX_RATES_CSV_ROWS_MAX, sizeof(*rows)) : NULL;
    int64_t now = fg_clock_now_ms();
    int rc = !text ? err.code : !rows ? fg_fail(&err, -FG_ENOMEM, "out of memory") : 0;
    if (rc == 0 && (rc = fx_rates_csv_parse(text, len, source, now, rows, &n, &err)) == 0 && !n)
        rc = fg_fail(&err, -FG_EMISSING_FIELD, "the file holds no rate");
    if (rc == 0 && (rc = store_open(uri, false, &s, &err)) == 0 &&
        (rc = store_begin(s, &err)) == 0) {
        rc = rates_apply(s, now, rows, n, &created, &err);
        rc = rc == 0 ? store_commit(s, &err) : (store_rollback(s), rc);
    }
    if (s)
        store_close(s);
    free(text);
    free(rows);
    if (rc < 0) {
        fprintf(stderr, "fundgate rates load: %s: %s\n", file, err.msg);
        return 1;
    }
    printf("loaded %d rates (%d new pairs) into %s\n", n, created, uri);
    return 0;
}

/* The options after "load": 0 with *file set, or the exit code (said). */
static int rates_args(int argc, char **argv, char *uri, size_t cap, const char **file,
                      const char **source)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"db", required_argument, NULL, 'D'},
        {"source", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = "./fundgate-data", *db = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'd' || c == 'D' || c == 's') {
            *(c == 'd' ? &data : c == 'D' ? &db : source) = optarg;
            continue;
        }
        usage_rates(c == 'h' ? stdout : stderr);
        return c == 'h' ? 0 : 2;
    }
    if (optind != argc - 1 || strlen(db ? db : data) > FG_FILE_PATH_BYTES_MAX ||
        !fx_source_valid(*source)) {
        usage_rates(stderr);
        return 2;
    }
    if (db)
        snprintf(uri, cap, "%s", db);
    else
        snprintf(uri, cap, "%s/fundgate.db", data);
    *file = argv[optind];
    return -1;
}

int fx_rates_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "load") != 0) {
        bool help = argc > 1 && strcmp(argv[1], "--help") == 0;
        usage_rates(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    char uri[FG_FILE_PATH_BYTES_MAX + 32];
    const char *file = NULL, *source = "csv";
    int rc = rates_args(argc - 1, argv + 1, uri, sizeof(uri), &file, &source);
    return rc >= 0 ? rc : rates_load_store(uri, file, source);
}
