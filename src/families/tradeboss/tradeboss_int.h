/*
 * tradeboss_int.h - private to src/families/tradeboss: what its files share
 * (tradeboss.c: the descriptor, the commands' answers and the execute;
 * tradeboss_cancel.c: the cancel; tradeboss_client.c: the clients' configs;
 * tradeboss_wire.c: the envelope, the prelude every route runs and the body
 * fields). The contract is tradeboss.h; the decisions are in docs/DESIGN.md
 * "TradeBoss".
 */
#ifndef FG_TRADEBOSS_INT_H
#define FG_TRADEBOSS_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "api/api_cmd.h"
#include "api/family.h"
#include "core/crypto.h"
#include "core/errors.h"
#include "core/fields.h"
#include "core/limits.h"
#include "core/money.h"
#include "core/utf8.h"
#include "families/tradeboss/tradeboss_auth.h"
#include "ledger/ledger.h"

#define TB_FAMILY "tradeboss"
#define TB_SCOPE_EXEC "tb.exec"
#define TB_SCOPE_CANCEL "tb.cancel"
#define TB_CANCEL_RECORDED 1 /* idem.state of a cancel's own record */
#define TB_HOUSE_TYPE "tradeboss"
/* Buffers for text counted in characters hold 4 bytes per character. */
#define TB_REQUEST_NO_BYTES_MAX (FG_TB_REQUEST_NO_CHARS_MAX * UTF8_CHAR_BYTES_MAX)
#define TB_USER_NAME_BYTES_MAX (FG_TB_USER_NAME_CHARS_MAX * UTF8_CHAR_BYTES_MAX)
#define TB_KEY_BYTES_MAX (20 + 1 + TB_REQUEST_NO_BYTES_MAX) /* <companyId>:<number> */
static_assert(TB_KEY_BYTES_MAX < 256, "a fence key stays a short idempotency key");
/* An execute's data and stored answer as text: field values are bounded
 * (above, escaped at most 6x; the fast path is ASCII only) well inside these. */
#define TB_DATA_TEXT_BYTES_MAX 4096
#define TB_ANSWER_TEXT_BYTES_MAX (TB_DATA_TEXT_BYTES_MAX + FG_ERR_MSG_MAX * 6 + 1024)

/* --- clients (tradeboss_client.c) ------------------------------------------ */

enum { TB_OVERTRADING_DEDUCT_AVAILABLE, TB_OVERTRADING_IGNORE };
extern const char *const tb_overtrading_policies[]; /* deduct_available, ignore */
/* thirdServerCode: read and ignored, or required equal to the customer's uuid. */
enum { TB_TSC_IGNORE, TB_TSC_MUST_EQUAL_UUID };
extern const char *const tb_tsc_rules[]; /* ignore, must_equal_uuid */

struct tb_client {
    int64_t company_id;
    bool hmac;
    int cidr_count;
    struct tb_cidr cidrs[FG_TB_ALLOW_CIDRS_MAX];
    char secret[FG_TB_SECRET_BYTES_MAX + 1];
    size_t secret_len;
    char account_type[LEDGER_TYPE_BYTES_MAX];
    int overtrading;
    int third_server_code;      /* TB_TSC_* */
    int64_t timestamp_window_s; /* 0: the timestamp header is not checked */
};

extern const struct api_client_kind tb_clients;
/* Drop the parsed configs (the family's fini: the server stopped). */
void tb_client_cache_clear(void);
/* 0, or -FG_ENOT_FOUND for a company without a (valid) tradeboss client. */
int tb_client_load(struct api *api, int64_t company_id, struct tb_client *out);

/* --- the wire (tradeboss_wire.c) ------------------------------------------- */

struct tb_head {
    char trace[FG_TB_TRACE_BYTES_MAX + 1];
    int64_t company_id;
    struct tb_client client;
    /* A refusal found after authentication (trace or timestamp header):
     * execute records it in the fence, the others answer it at once. */
    int late_code; /* 0 or a negative fg code */
    char late_msg[FG_ERR_MSG_MAX];
};

/* Messages may quote input cut at a byte limit: keep them plain ASCII. */
void tb_ascii_only(char *s);
/* data_text (compact JSON, may be NULL) stands for data when data is NULL. */
void tb_envelope_send(struct http_req *req, const char *trace, const char *code, const char *msg,
                      json_t *data, const char *data_text, size_t data_len);
/* Answer a refusal at once (before any command); HTTP_DONE. */
int tb_refuse_now(struct http_req *req, const char *trace, int code, const char *detail);
void tb_trace_pick(struct http_req *req, struct tb_head *h);
/* companyId, client, authentication, rate limit, timestamp window: true when
 * it has answered a refusal (see tradeboss_wire.c). */
bool tb_prelude(struct api *api, struct http_req *req, struct tb_head *h, bool windowed);

enum { TB_OP_OPEN, TB_OP_CLOSE, TB_OP_OVERTRADING };
extern const char *const tb_operations[]; /* OPEN_POSITION, NORMAL_CLOSE, ABNORMAL_OVERTRADING */

/* thirdServerCode, when the client says it must equal the customer's uuid:
 * the value sent, or too_long when it cannot be a uuid (never cut). */
struct tb_tsc {
    bool check, too_long;
    char value[FG_UUID_BYTES_MAX + 1];
};

/* How a body is read: whether jansson needed the U+FFFD repair, and the client. */
struct tb_read {
    bool repaired;
    const struct tb_client *client;
};
int tb_body_parse(struct http_req *req, json_t **body, bool *repaired, struct fg_err *err);
int tb_text_field(json_t *body, const char *key, size_t max_chars, bool repaired, const char **out,
                  struct fg_err *err);
int tb_order_id_field(json_t *body, struct fg_err *err);
int tb_amount_minor(const struct money_text *a, int cur_digits, int64_t *out, struct fg_err *err);
bool tb_tsc_matches(const struct tb_tsc *tsc, const char *uuid);
int tb_tsc_read(json_t *body, const struct tb_client *cl, struct tb_tsc *tsc, struct fg_err *err);
/* Field readers for specs (core/fields.h), ctx a struct tb_read: */
int tb_read_utf8(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                 struct fg_err *err); /* a step: a repaired body is refused */
int tb_read_tsc(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                struct fg_err *err); /* thirdServerCode into a struct tb_tsc */
int tb_read_text(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                 struct fg_err *err); /* f->max characters into char[f->cap] */
int tb_read_currency(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err);
int tb_read_biz_type(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err);
int tb_read_metadata(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err);
int tb_read_order_id(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                     struct fg_err *err);
/* amount, dst a struct tb_cmd: its places are amountDigits, its sign the
 * operation's (a '-' only for ABNORMAL_OVERTRADING). */
int tb_read_amount(json_t *body, const struct field_spec *f, void *dst, void *ctx,
                   struct fg_err *err);

/* --- commands (tradeboss.c, tradeboss_cancel.c) ----------------------------- */

struct tb_cmd {
    char trace[FG_TB_TRACE_BYTES_MAX + 1];
    int64_t company_id;
    char request_no[TB_REQUEST_NO_BYTES_MAX + 1];
    char key[TB_KEY_BYTES_MAX + 1];       /* this request's record key */
    char fence_key[TB_KEY_BYTES_MAX + 1]; /* cancel: the execute's fence key */
    char reverse_no[TB_REQUEST_NO_BYTES_MAX + 1];
    uint8_t hash[FG_SHA256_BYTES];
    int pre_code; /* a refusal found on the HTTP thread (execute): a negative fg code */
    char pre_msg[FG_ERR_MSG_MAX];
    char user_name[TB_USER_NAME_BYTES_MAX + 1];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int op;
    int amount_digits;
    struct money_text amount; /* as sent: echoed in the execute's answer */
    char account_type[LEDGER_TYPE_BYTES_MAX];
    int overtrading;
    struct tb_tsc tsc;
    /* A cancel's descriptive fields as sent, kept in its record ("given"). */
    json_t *given;
    /* The answer, rendered after the batch commits. */
    char code[16];
    char msg[FG_ERR_MSG_MAX];
    json_t *data;
    /* Or the data as compact JSON text (the execute's success answer, built
     * without jansson); used when data is NULL and data_len > 0. */
    char data_text[TB_DATA_TEXT_BYTES_MAX];
    size_t data_len;
};

void tb_cmd_free(void *p);
void tb_answer_set(struct tb_cmd *t, int code, const char *msg, json_t *data);
void tb_after_commit(struct api_cmd *c);
void tb_fail(struct api_cmd *c, int code);
/* An operating error inside run(): answer busy now and roll the command back. */
int tb_run_busy(struct api_cmd *c, int rc, const struct fg_err *err);
struct idem_rec;
int tb_answer_stored(struct tb_cmd *t, const struct idem_rec *rec, json_t **stored_out);
char *tb_answer_dump(const struct tb_cmd *t, json_t *fence, size_t *len);

int tb_cancel_post(struct http_req *req, void *ctx);

/* GET /admin/v1/tradeboss/adjustments: recent adjustments (tradeboss_admin.c). */
int tb_admin_adjustments_get(struct http_req *req, void *ctx);

#endif
