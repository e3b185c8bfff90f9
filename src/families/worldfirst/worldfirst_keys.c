/*
 * worldfirst_keys.c - who signs and who is believed in the WorldFirst
 * family: the integrators' registry entries (their public keys per
 * keyVersion, their customers, their notify_url), fundgate's own signing key,
 * and the outbox family that delivers signed notifyExchange calls.
 *
 * fundgate's key: an RSA-2048 private key in PEM, in the file
 * --signing-key-file (or $FUNDGATE_SIGNING_KEY_FILE, or
 * <data>/signing-key.pem). The file must be a regular file with no
 * permission for group or others (like ssh keys); an absent one is created
 * at the first start (O_EXCL, 0600, synced with its directory). It is 2048
 * bits exactly, so a signature header fits the transport's header slot. Its
 * keyVersion is WF_KEY_VERSION. Several nodes on one database must share the
 * file. Once loaded it lives as long as the process: answers completed while
 * the server stops are still signed.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/clients.h"
#include "core/jsonx.h"
#include "core/log.h"
#include "families/worldfirst/worldfirst_int.h"
#include "services/outbox.h"

#define WF_SIGNING_KEY_BITS 2048
#define WF_SIGNING_KEY_FILE "signing-key.pem"

/* --- the client registry's validator ------------------------------------------------- */

static const char *const account_types[] = {"wallet", "securities", "futures", NULL};

/* public_keys: {"<keyVersion>": "<PEM public key>"}, 1..FG_WF_KEYS_MAX. */
static int public_keys_check(json_t *cfg, struct fg_err *err)
{
    json_t *keys = json_object_get(cfg, "public_keys"), *pem;
    const char *version;
    if (!json_is_object(keys) || json_object_size(keys) < 1 ||
        json_object_size(keys) > FG_WF_KEYS_MAX)
        return fg_fail(err, -FG_EBAD_FIELD,
                       "field 'public_keys' must be an object of 1 to %d {keyVersion: PEM}",
                       FG_WF_KEYS_MAX);
    json_object_foreach(keys, version, pem)
    {
        size_t n = strlen(version);
        bool digits =
            n >= 1 && n <= FG_WF_KEY_VERSION_DIGITS_MAX && strspn(version, "0123456789") == n;
        struct sig_key *k = NULL;
        struct fg_err inner = {0};
        if (!digits)
            return fg_fail(err, -FG_EBAD_FIELD, "public_keys: a keyVersion is 1 to %d digits",
                           FG_WF_KEY_VERSION_DIGITS_MAX);
        if (!json_is_string(pem) ||
            sig_key_parse_pem(json_string_value(pem), json_string_length(pem), false, &k, &inner) <
                0)
            return fg_fail(err, -FG_EBAD_FIELD, "public_keys.%s: %s", version,
                           inner.msg[0] ? inner.msg : "must be a PEM public key");
        sig_key_free(k);
    }
    return 0;
}

/* customers: {"<customerId>": "<fundgate uuid>"}, at most FG_WF_CUSTOMERS_MAX. */
static int customers_check(json_t *cfg, struct fg_err *err)
{
    json_t *m = json_object_get(cfg, "customers"), *uuid;
    const char *id;
    if (!m) {
        json_object_set_new(cfg, "customers", json_object());
        return 0;
    }
    if (!json_is_object(m) || json_object_size(m) > FG_WF_CUSTOMERS_MAX)
        return fg_fail(err, -FG_EBAD_FIELD,
                       "field 'customers' must be an object of at most %d {customerId: uuid}",
                       FG_WF_CUSTOMERS_MAX);
    json_object_foreach(m, id, uuid)
    {
        size_t n = strlen(id);
        bool ok = n >= 1 && n <= FG_WF_CUSTOMER_ID_BYTES_MAX;
        for (size_t i = 0; ok && i < n; i++)
            ok = id[i] > 0x20 && id[i] < 0x7f;
        if (!ok)
            return fg_fail(err, -FG_EBAD_FIELD,
                           "customers: a customerId is 1 to %d visible ASCII characters",
                           FG_WF_CUSTOMER_ID_BYTES_MAX);
        const char *u = json_string_value(uuid);
        if (!u || strlen(u) < 1 || strlen(u) > FG_UUID_BYTES_MAX ||
            jsonx_id_chars("customers", u, err) < 0)
            return fg_fail(err, -FG_EBAD_FIELD, "customers.%.64s must be a customer uuid", id);
    }
    return 0;
}

/* notify_url: an http or https URL libcurl reads, with a host. */
static int notify_url_check(json_t *cfg, struct fg_err *err)
{
    const char *url = NULL;
    int rc = jsonx_str(cfg, "notify_url", false, FG_WF_NOTIFY_URL_BYTES_MAX, &url, err);
    if (rc < 0 || !url)
        return rc;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok ? 0 : fg_fail(err, -FG_EBAD_FIELD, "field 'notify_url' must be an http(s) URL");
}

static int client_validate(json_t *cfg, char *key, size_t key_cap, struct fg_err *err)
{
    static const char *const keys[] = {
        "family",       "client_id", "public_keys", "customers",     "notify_url",
        "account_type", "markup_bp", "quote_ttl_s", "time_window_s", NULL};
    const char *id = NULL;
    int type = 0;
    int64_t markup = 0, ttl = FG_WF_QUOTE_TTL_S_DEFAULT, window = FG_WF_TIME_WINDOW_S_DEFAULT;
    int rc = jsonx_check_keys(cfg, keys, err);
    if (rc == 0)
        rc = jsonx_id(cfg, "client_id", true, FG_WF_CLIENT_ID_BYTES_MAX, &id, err);
    if (rc == 0)
        rc = public_keys_check(cfg, err);
    if (rc == 0)
        rc = customers_check(cfg, err);
    if (rc == 0)
        rc = notify_url_check(cfg, err);
    if (rc == 0)
        rc = jsonx_enum(cfg, "account_type", false, account_types, &type, err);
    if (rc == 0)
        rc = jsonx_int(cfg, "markup_bp", false, 0, FG_FX_MARKUP_BP_MAX, &markup, err);
    if (rc == 0)
        rc = jsonx_int(cfg, "quote_ttl_s", false, 1, FG_WF_QUOTE_TTL_S_MAX, &ttl, err);
    if (rc == 0)
        rc = jsonx_int(cfg, "time_window_s", false, 1, FG_WF_TIME_WINDOW_S_MAX, &window, err);
    if (rc < 0)
        return rc;
    snprintf(key, key_cap, "%s", id);
    /* The defaults in force are stored and shown. */
    json_object_set_new(cfg, "account_type", json_string(account_types[type]));
    json_object_set_new(cfg, "markup_bp", json_integer(markup));
    json_object_set_new(cfg, "quote_ttl_s", json_integer(ttl));
    json_object_set_new(cfg, "time_window_s", json_integer(window));
    return 0;
}

const struct api_client_kind wf_clients = {
    .validate = client_validate,
    .secret_fields = NULL, /* public keys and the notify_url are public */
};

/* --- clients at request time -------------------------------------------------------- */

int wf_client_load(struct api *api, const char *client_id, struct wf_client *c)
{
    memset(c, 0, sizeof(*c));
    if (strlen(client_id) > FG_WF_CLIENT_ID_BYTES_MAX)
        return -FG_ENOT_FOUND;
    json_t *cfg = api_client_get(api, WF_FAMILY, client_id);
    if (!cfg)
        return -FG_ENOT_FOUND;
    const char *type = json_string_value(json_object_get(cfg, "account_type"));
    const char *url = json_string_value(json_object_get(cfg, "notify_url"));
    snprintf(c->client_id, sizeof(c->client_id), "%s", client_id);
    snprintf(c->account_type, sizeof(c->account_type), "%s", type ? type : "wallet");
    snprintf(c->notify_url, sizeof(c->notify_url), "%s", url ? url : "");
    c->markup_bp = json_integer_value(json_object_get(cfg, "markup_bp"));
    c->quote_ttl_s = json_integer_value(json_object_get(cfg, "quote_ttl_s"));
    c->time_window_s = json_integer_value(json_object_get(cfg, "time_window_s"));
    if (c->quote_ttl_s < 1 || c->quote_ttl_s > FG_WF_QUOTE_TTL_S_MAX)
        c->quote_ttl_s = FG_WF_QUOTE_TTL_S_DEFAULT; /* a config stored by validate has it */
    if (c->time_window_s < 1 || c->time_window_s > FG_WF_TIME_WINDOW_S_MAX)
        c->time_window_s = FG_WF_TIME_WINDOW_S_DEFAULT;
    c->cfg = cfg;
    return 0;
}

void wf_client_release(struct wf_client *c)
{
    json_decref(c->cfg);
    c->cfg = NULL;
}

struct sig_key *wf_client_key(const struct wf_client *c, const char *version)
{
    json_t *pem = json_object_get(json_object_get(c->cfg, "public_keys"), version);
    struct sig_key *k = NULL;
    struct fg_err err;
    if (!json_is_string(pem) ||
        sig_key_parse_pem(json_string_value(pem), json_string_length(pem), false, &k, &err) < 0)
        return NULL;
    return k;
}

bool wf_client_customer(const struct wf_client *c, const char *customer_id, char *uuid, size_t cap)
{
    const char *u =
        json_string_value(json_object_get(json_object_get(c->cfg, "customers"), customer_id));
    if (!u || strlen(u) >= cap)
        return false;
    memcpy(uuid, u, strlen(u) + 1);
    return true;
}

/* --- key files -------------------------------------------------------------------------- */

/* Read a PEM key file of at most FG_SIG_PEM_BYTES_MAX bytes; strict: a
 * regular file no group or other may read or write. */
int wf_key_file_read(const char *path, bool strict, bool private_key, struct sig_key **out,
                     struct fg_err *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fg_fail(err, errno == ENOENT ? -FG_ENOT_FOUND : -FG_EBAD_REQUEST,
                       "cannot open %s: %s", path, strerror(errno));
    char *buf = malloc(FG_SIG_PEM_BYTES_MAX + 1);
    ssize_t n = buf ? read(fd, buf, FG_SIG_PEM_BYTES_MAX + 1) : -1;
    bool open_to_others = fstat(fd, &st) == 0 && (!S_ISREG(st.st_mode) || (st.st_mode & 077));
    close(fd);
    int rc = 0;
    if (strict && open_to_others)
        rc =
            fg_fail(err, -FG_EBAD_REQUEST,
                    "%s must be a regular file that group and others cannot use (chmod 600)", path);
    else if (n <= 0 || n > FG_SIG_PEM_BYTES_MAX)
        rc = fg_fail(err, -FG_EBAD_REQUEST, "%s must hold a PEM key of 1 to %d bytes", path,
                     FG_SIG_PEM_BYTES_MAX);
    else
        rc = sig_key_parse_pem(buf, (size_t)n, private_key, out, err);
    if (buf)
        OPENSSL_cleanse(buf, FG_SIG_PEM_BYTES_MAX + 1);
    free(buf);
    return rc;
}

static void fsync_dir_of(const char *path)
{
    char copy[FG_FILE_PATH_BYTES_MAX + 1];
    snprintf(copy, sizeof(copy), "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Write pem to path, mode 0600: O_EXCL, or (replace) a new file renamed over it. */
static int pem_write(const char *path, const char *pem, size_t len, bool replace,
                     struct fg_err *err)
{
    char tmp[FG_FILE_PATH_BYTES_MAX + 32];
    snprintf(tmp, sizeof(tmp), "%s.partial-%d", path, (int)getpid());
    const char *target = replace ? tmp : path;
    int fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return fg_fail(err, errno == EEXIST ? -FG_EEXISTS : -FG_EBAD_REQUEST,
                       "cannot create %s: %s", target, strerror(errno));
    bool ok = write(fd, pem, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (ok && replace)
        ok = rename(tmp, path) == 0;
    if (!ok) {
        unlink(target);
        return fg_fail(err, -FG_EBAD_REQUEST, "cannot write %s: %s", path, strerror(errno));
    }
    fsync_dir_of(path);
    return 0;
}

int wf_key_file_create(const char *path, bool replace, struct sig_key **out, struct fg_err *err)
{
    if (strlen(path) > FG_FILE_PATH_BYTES_MAX)
        return fg_fail(err, -FG_EBAD_REQUEST, "a key file path is at most %d bytes",
                       FG_FILE_PATH_BYTES_MAX);
    size_t len = 0;
    char *pem = NULL;
    int rc = sig_key_generate(WF_SIGNING_KEY_BITS, out, err);
    if (rc == 0 && !(pem = sig_key_private_pem(*out, &len)))
        rc = fg_fail(err, -FG_ENOMEM, "out of memory writing the key");
    if (rc == 0)
        rc = pem_write(path, pem, len, replace, err);
    if (pem)
        OPENSSL_cleanse(pem, len);
    free(pem);
    if (rc < 0) {
        sig_key_free(*out);
        *out = NULL;
    }
    return rc;
}

/* --- fundgate's key in the running server ------------------------------------------------- */

static struct sig_key *signing_key; /* set at start, before any thread reads it */

static void key_path(const struct api_config *cfg, char *out, size_t cap)
{
    const char *env = getenv("FUNDGATE_SIGNING_KEY_FILE");
    if (cfg->signing_key_file && cfg->signing_key_file[0])
        snprintf(out, cap, "%s", cfg->signing_key_file);
    else if (env && env[0])
        snprintf(out, cap, "%s", env);
    else
        snprintf(out, cap, "%s/%s", cfg->data_dir, WF_SIGNING_KEY_FILE);
}

int wf_key_start(const struct api_config *cfg, struct fg_err *err)
{
    char path[FG_FILE_PATH_BYTES_MAX + 32];
    struct sig_key *k = NULL;
    key_path(cfg, path, sizeof(path));
    int rc = wf_key_file_read(path, true, true, &k, err);
    if (rc == -FG_ENOT_FOUND && (rc = wf_key_file_create(path, false, &k, err)) == 0)
        fg_warn(NULL,
                "created the WorldFirst signing key %s (RSA-%d, mode 0600); integrators "
                "verify answers with GET /admin/v1/keys/worldfirst",
                path, WF_SIGNING_KEY_BITS);
    if (rc == 0 && sig_key_bits(k) != WF_SIGNING_KEY_BITS) {
        sig_key_free(k);
        return fg_fail(err, -FG_EBAD_REQUEST, "%s must hold an RSA key of %d bits", path,
                       WF_SIGNING_KEY_BITS);
    }
    if (rc < 0)
        return rc;
    sig_key_free(signing_key); /* a start after a stop in the same process (tests) */
    signing_key = k;
    return 0;
}

const struct sig_key *wf_key(void)
{
    return signing_key;
}

bool wf_key_sign_header(const char *content, size_t len, char *out, size_t cap)
{
    uint8_t sig[WF_SIG_BYTES_MAX];
    size_t n = 0;
    struct fg_err err;
    return signing_key &&
           sig_rsa_sha256_sign(signing_key, content, len, sig, sizeof(sig), &n, &err) == 0 &&
           wf_sig_header_format(WF_KEY_VERSION, sig, n, out, cap) > 0;
}

/* --- notifyExchange through the outbox ----------------------------------------------------- */

/* The URI a notification's signature covers: the URL's path and query. */
static bool url_uri(const char *url, char *out, size_t cap)
{
    CURLU *u = curl_url();
    char *path = NULL, *query = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK;
    if (ok && curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
        query = NULL;
    int w = ok ? snprintf(out, cap, "%s%s%s", path, query ? "?" : "", query ? query : "") : -1;
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(u);
    return w > 0 && (size_t)w < cap;
}

static int notify_prepare(const struct outbox_row *row, int64_t now_ms, struct outbox_call *call,
                          struct fg_err *err)
{
    struct wf_client cl;
    char uri[OUTBOX_URL_BYTES], when[WF_TIME_BYTES], sig[WF_SIG_HEADER_BYTES];
    struct api *api = wf_api_running();
    if (!api)
        return fg_fail(err, -FG_ESHUTDOWN, "worldfirst is not running");
    if (wf_client_load(api, row->client_key, &cl) < 0)
        return fg_fail(err, -FG_ENOT_FOUND, "client %s is gone", row->client_key);
    snprintf(call->url, sizeof(call->url), "%s", cl.notify_url);
    wf_client_release(&cl);
    if (!call->url[0])
        return fg_fail(err, -FG_ENOT_FOUND, "client %s has no notify_url", row->client_key);
    if (!url_uri(call->url, uri, sizeof(uri)))
        return fg_fail(err, -FG_EBAD_FIELD, "notify_url %s has no path", call->url);
    wf_time_format(now_ms, when);
    size_t len = 0;
    char *content =
        wf_sign_content("POST", uri, row->client_key, when, row->body, row->body_len, &len);
    bool ok = content && wf_key_sign_header(content, len, sig, sizeof(sig));
    free(content);
    if (!ok)
        return fg_fail(err, -FG_EINTERNAL, "the notification could not be signed");
    snprintf(call->headers[0], OUTBOX_HEADER_BYTES,
             "Content-Type: application/json; charset=UTF-8");
    snprintf(call->headers[1], OUTBOX_HEADER_BYTES, "client-id: %s", row->client_key);
    snprintf(call->headers[2], OUTBOX_HEADER_BYTES, "request-time: %s", when);
    snprintf(call->headers[3], OUTBOX_HEADER_BYTES, "signature: %s", sig);
    call->header_count = 4;
    return 0;
}

/* The integrator acknowledges with a Result of SUCCESS (HTTP 2xx). */
static bool notify_acked(long http_status, const char *body, size_t len, char *why, size_t cap)
{
    if (http_status < 200 || http_status > 299) {
        snprintf(why, cap, "not a 2xx answer");
        return false;
    }
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *code =
        json_string_value(json_object_get(json_object_get(j, "result"), "resultCode"));
    bool ok = code && strcmp(code, "SUCCESS") == 0;
    if (!ok)
        snprintf(why, cap, "the answer is no result SUCCESS: %.60s%s", code ? code : "none",
                 j ? "" : " (not JSON)");
    json_decref(j);
    return ok;
}

void wf_outbox_register(void)
{
    static const struct outbox_family f = {
        .family = WF_FAMILY, .prepare = notify_prepare, .acked = notify_acked};
    int rc = outbox_family_set(&f);
    (void)rc; /* one of FG_FX_FAMILIES_MAX, at start-up */
}
