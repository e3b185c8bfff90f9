/*
 * withdraw.h - withdrawal orders (Funds family, issue 4) and their
 * configuration: rules per currency, customers' bank records, holiday
 * calendars, rates, back-office operators.
 *
 * What it is for: the business rules of withdrawal orders
 * (docs/protocols/funds.md, docs/DESIGN.md "Funds"). It takes the time as an
 * argument, talks to the ledger for money and to the store for its tables
 * (migration "funds"; rates are the FX core's, services/fx.h, since issue 12),
 * and returns negative fg codes (-FG_EWD_*, ...) that the protocol adapter
 * (families/funds/funds_codes.c) maps to the Funds codes
 * (docs/protocols/funds.md "Codes") in one table. Not for: HTTP, JSON
 * envelopes, tokens, idempotency records (the adapter owns those).
 *
 * Threading: writes run on the engine's writer inside a per-command savepoint
 * (a refusal returns < 0 and the caller rolls back); reads on any connection.
 *
 * Order states (withdraw_create, withdraw_act):
 *
 *   create ──> pending_review ──approve──> approved ──paid──> paid
 *                 │  │   ^                    └──failed──> failed
 *                 │  │   └──reopen── appealed <──appeal── rejected
 *                 │  └──reject──> rejected           (appealed ──reject──> rejected)
 *                 └──cancel──> cancelled
 *
 * Money (invariants, checked by reconcile in the tests after every step):
 *  1. pending_review and approved orders hold exactly `amount` (fee included)
 *     as a pending transfer customer -> house:payouts (hold_id);
 *  2. paid posts that hold and, linked with it, moves `fee` house:payouts ->
 *     house:fees: the customer's balance drops by amount, payouts keeps net,
 *     fees keeps fee;
 *  3. rejected, failed and cancelled void the hold; reopen creates a new one;
 *  4. amount = fee + net_amount, 0 <= fee < amount.
 */
#ifndef FG_WITHDRAW_H
#define FG_WITHDRAW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/errors.h"
#include "core/limits.h"
#include "services/withdraw_rules.h"

struct currency;
struct customer;
struct store;

#define WD_SERIAL_BYTES_MAX 32
#define WD_STATUS_BYTES_MAX 16
/* Descriptive text counted in characters: 4 bytes a character at most. */
#define WD_TEXT_BYTES_MAX (FG_WD_TEXT_CHARS_MAX * 4)
#define WD_REASON_BYTES_MAX (FG_WD_REASON_CHARS_MAX * 4)

enum wd_mode { WD_MODE_SELF = 1, WD_MODE_OPERATOR = 2, WD_MODE_SERVER = 3 };

/* Account types as bits (rule and operator masks): the positions of
 * customer_account_types (services/directory.h). */

struct wd_rule {
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int64_t min, max; /* minor units */
    struct wd_fee_rule fee;
    int64_t cooldown_s;
    struct wd_value_day_rule vd;
    unsigned account_types; /* bit i: customer_account_types[i] may withdraw */
};

struct wd_bank {
    char uuid[FG_UUID_BYTES_MAX + 1];
    char client_bank_id[FG_NAME_BYTES_MAX + 1];
    char bank_name[FG_NAME_BYTES_MAX + 1];
    char account_no[FG_NAME_BYTES_MAX + 1];
    char holder_name[FG_NAME_BYTES_MAX + 1];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char status[WD_STATUS_BYTES_MAX]; /* approving | approved | rejected */
};

struct wd_operator {
    char app_id[FG_NAME_BYTES_MAX + 1];
    char user_name[FG_NAME_BYTES_MAX + 1];
    unsigned roles;                   /* WD_ROLE_* */
    unsigned account_types;           /* bit per customer_account_types */
    char status[WD_STATUS_BYTES_MAX]; /* active | disabled */
};
/* withdraw: creates orders in mode 2 (back office); view: reads; api: the
 * app's server, the only principal that may use mode 3 (issue 9). */
enum { WD_ROLE_WITHDRAW = 1, WD_ROLE_VIEW = 2, WD_ROLE_API = 4 };
extern const char *const wd_roles[]; /* "withdraw", "view", "api", NULL */

/* Who makes a request, from the verified token. */
struct wd_actor {
    char app_id[FG_NAME_BYTES_MAX + 1];
    char user_name[FG_NAME_BYTES_MAX + 1];
    char omnibus_id[FG_OMNIBUS_ID_BYTES_MAX + 1]; /* OmnibusAccountId, "" when none */
};

struct wd_create_req {
    struct wd_actor actor;
    unsigned allowed_modes; /* bit m: operation_mode_id m (app config) */
    bool third_party_allowed;
    char request_id[FG_REQUEST_ID_BYTES_MAX + 1];
    char uuid[FG_UUID_BYTES_MAX + 1];
    char account_type[FG_NAME_BYTES_MAX + 1]; /* checked by the service: 110003 */
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    char amount[40]; /* decimal text, format already checked */
    char fee[40];    /* "" when not sent */
    int mode;
    char source[8];
    char client_bank_id[FG_NAME_BYTES_MAX + 1];
    char payee_id[FG_UUID_BYTES_MAX + 1];
    char chain[FG_NAME_BYTES_MAX + 1]; /* chain or clearing_id */
    char address[FG_WD_FIELD_BYTES_MAX + 1];
    char bank_address_details[WD_TEXT_BYTES_MAX + 1]; /* as given */
    char bank_mark[WD_TEXT_BYTES_MAX + 1];            /* as given */
};

struct wd_order {
    int64_t id;
    char serial[WD_SERIAL_BYTES_MAX];
    char app_id[FG_NAME_BYTES_MAX + 1];
    char request_id[FG_REQUEST_ID_BYTES_MAX + 1];
    char uuid[FG_UUID_BYTES_MAX + 1];
    char account_type[16];
    char currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int digits;
    int64_t amount, fee, net_amount;
    char base_currency[FG_CURRENCY_CODE_BYTES_MAX + 1];
    int base_digits;
    int64_t base_amount;
    char value_day[WD_DATE_BYTES];
    char status[WD_STATUS_BYTES_MAX];
    char client_bank_id[FG_NAME_BYTES_MAX + 1];
    int mode;
    char source[8];
    char initiator[FG_NAME_BYTES_MAX + 1];
    int64_t hold_id;
    char reason[WD_REASON_BYTES_MAX + 1]; /* last reject reason */
    char appeal_reason[WD_REASON_BYTES_MAX + 1];
    int appeals;
    int64_t rejected_ms, created_ms, updated_ms;
    /* What the create sent, shown in detail and lists. */
    char payee_id[FG_UUID_BYTES_MAX + 1];
    char chain[FG_NAME_BYTES_MAX + 1];
    char address[FG_WD_FIELD_BYTES_MAX + 1];
    char bank_address_details[WD_TEXT_BYTES_MAX + 1];
    char bank_mark[WD_TEXT_BYTES_MAX + 1];
};

enum wd_action {
    WD_APPROVE,
    WD_REJECT,
    WD_REOPEN,
    WD_PAID,
    WD_FAILED,
    WD_CANCEL,
    WD_APPEAL,
};
extern const char *const wd_action_names[]; /* "approve", ... */

/* --- configuration (writes on the writer; *created tells 201 from 200) ---- */
int wd_rule_put(struct store *s, const struct wd_rule *r, int64_t now_ms, bool *created,
                struct fg_err *err);
int wd_rule_get(struct store *s, const char *currency, struct wd_rule *out, struct fg_err *err);
int wd_bank_put(struct store *s, const struct wd_bank *b, int64_t now_ms, bool *created,
                struct fg_err *err);
int wd_bank_get(struct store *s, const char *uuid, const char *client_bank_id, struct wd_bank *out,
                struct fg_err *err);
/* Add holidays (days since epoch) and move the calendar's known-through day
 * (never backwards). -FG_ETOO_LARGE beyond FG_WD_HOLIDAYS_PER_CURRENCY_MAX. */
int wd_holidays_add(struct store *s, const char *currency, const int32_t *days, int n,
                    int32_t through_day, int64_t now_ms, bool *created, int32_t *through_out,
                    int *count_out, struct fg_err *err);
/* An amount as sent (its shape checked by the adapter, a '-' allowed: a
 * negative value is refused with zero, 110208) in minor units of cur: more
 * fraction digits than cur has is -FG_EWD_AMOUNT_PRECISION (110216, even
 * zeros), anything else unreadable -FG_EBAD_FIELD. */
int wd_amount_parse(const char *text, const struct currency *cur, int64_t *out, struct fg_err *err);
/* A currency's calendar from `from_day` on (through_day -1: none);
 * cal->holidays is malloc'd (free it). Used by the FX core's value dates. */
int wd_calendar_load(struct store *s, const char *currency, int32_t from_day,
                     struct wd_calendar *cal, struct fg_err *err);
/* Convert amount (from_digits) of `from` into `to` (to_digits) at the mid of
 * the FX core's rate (services/fx.h), rounded DOWN (the side a customer
 * receives); *rate_mid is that mid rounded half-even to 10 decimal places,
 * in the stored pair's direction, and *inverted tells whether from is its
 * quote currency. Same currency: rate 1. -FG_EWD_NO_RATE when neither
 * direction is stored or the pair is older than its maximum age. */
int wd_convert(struct store *s, int64_t now_ms, const char *from, int from_digits, const char *to,
               int to_digits, int64_t amount, int64_t *out, int64_t *rate_mid, bool *inverted,
               struct fg_err *err);
int wd_operator_put(struct store *s, const struct wd_operator *o, int64_t now_ms, bool *created,
                    struct fg_err *err);
int wd_operator_get(struct store *s, const char *app_id, const char *user_name,
                    struct wd_operator *out, struct fg_err *err);

/* --- orders ------------------------------------------------------------- */
/* Every check of docs/protocols/funds.md "/order/v2/create" in its order (from
 * the initiator on; the adapter did token, app, parameters and source), then
 * the order and its hold. Returns the first failure's code. */
int withdraw_create(struct store *s, int64_t now_ms, const struct wd_create_req *q,
                    struct wd_order *out, struct fg_err *err);
/* Move an order. actor is NULL for the admin plane; for cancel and appeal it
 * is the token's principal (customer or operator of the order's app). reason:
 * reject and appeal. Repeating the move an order already made answers 0 with
 * the order (a retry): for reopen, an order in pending_review that has been
 * appealed (it can have come back there only by a reopen). */
int withdraw_act(struct store *s, int64_t now_ms, const char *serial, enum wd_action a,
                 const struct wd_actor *actor, const char *reason, int64_t appeal_window_ms,
                 struct wd_order *out, struct fg_err *err);
int withdraw_get(struct store *s, const char *serial, struct wd_order *out, struct fg_err *err);
/* Which operator roles may do what on a customer's behalf: read its orders,
 * balances and conversions (any role), or act (cancel an order, move money
 * between its own accounts: `withdraw` or `api`, never `view` alone). */
#define WD_ROLES_READ (WD_ROLE_WITHDRAW | WD_ROLE_VIEW | WD_ROLE_API)
#define WD_ROLES_ACT (WD_ROLE_WITHDRAW | WD_ROLE_API)
/* May actor see or act on this customer's orders and accounts? The owner
 * always may; an active operator of the app when it holds one of roles_any.
 * 0, -FG_EWD_ORDER_UNKNOWN (other app), -FG_EWD_NO_PERMISSION (a customer's
 * token on someone else's order, an operator without a role for it, or a
 * token naming another omnibus account than the customer's), or
 * -FG_EWD_INITIATOR (the token's user is neither a customer nor an operator
 * of the app). */
int withdraw_actor_check(struct store *s, const struct wd_actor *actor, const char *uuid,
                         unsigned roles_any, struct fg_err *err);
/* A token naming another omnibus account than the one the customer sits
 * under (none counts as another) may not act for it: -FG_EWD_NO_PERMISSION.
 * A customer without one on record is not checked. */
int withdraw_omnibus_check(const struct customer *cu, const struct wd_actor *actor,
                           struct fg_err *err);
bool withdraw_serial_valid(const char *serial);

typedef int (*wd_order_fn)(void *ctx, const struct wd_order *o);
/* Orders filtered by app ("" any), uuid ("" any) and status ("" any), with id
 * > after_id, oldest first, at most limit. */
int withdraw_list(struct store *s, const char *app_id, const char *uuid, const char *status,
                  int64_t after_id, int limit, wd_order_fn fn, void *ctx, struct fg_err *err);

/* Own-account transfer between two account types of one customer. */
int withdraw_own_transfer(struct store *s, int64_t now_ms, const char *uuid, const char *from_type,
                          const char *to_type, const char *currency, int64_t amount,
                          const char *ref, int64_t *transfer_id, struct fg_err *err);

#endif
