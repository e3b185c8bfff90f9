/* admin_json.c - the admin shapes of ledger objects; see admin_json.h. */
#include "api/admin_json.h"

#include <stdio.h>
#include <string.h>

#include "core/jsonx.h"

json_t *api_account_json(const struct ledger_account *a, int digits)
{
    return json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:o,s:s}", "account_id", (json_int_t)a->id, "uuid",
                     a->owner, "type", a->type, "currency", a->currency, "balance",
                     jsonx_amount_new(ledger_account_balance(a), digits), "available",
                     jsonx_amount_new(ledger_account_available(a), digits), "frozen",
                     jsonx_amount_new(a->debits_pending, digits), "status", a->status);
}

static const char *transfer_type(int flags)
{
    return (flags & LEDGER_PENDING) ? "pending"
           : (flags & LEDGER_POST)  ? "post"
           : (flags & LEDGER_VOID)  ? "void"
                                    : "plain";
}

json_t *api_transfer_json(const struct ledger_transfer *t, int digits)
{
    json_t *o = json_pack("{s:I,s:s,s:I,s:I,s:o,s:s,s:s,s:I}", "id", (json_int_t)t->id, "type",
                          transfer_type(t->flags), "debit_account_id", (json_int_t)t->debit_id,
                          "credit_account_id", (json_int_t)t->credit_id, "amount",
                          jsonx_amount_new(t->amount, digits), "currency", t->currency, "kind",
                          t->kind, "ts_ms", (json_int_t)t->ts_ms);
    if (t->pending_id)
        json_object_set_new(o, "pending_id", json_integer(t->pending_id));
    if (t->timeout_ms)
        json_object_set_new(o, "timeout_ms", json_integer(t->timeout_ms));
    if (t->reverses_id)
        json_object_set_new(o, "reverses_id", json_integer(t->reverses_id));
    if (t->ref[0])
        json_object_set_new(o, "ref", json_string(t->ref));
    return o;
}

json_t *api_customer_json(const struct customer *c)
{
    json_t *j =
        json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "uuid", c->uuid, "user_name", c->user_name,
                  "name", c->name, "app_id", c->app_id, "company_id", (json_int_t)c->company_id,
                  "base_currency", c->base_currency, "status", c->status);
    if (j && c->omnibus_account_id[0])
        json_object_set_new(j, "omnibus_account_id", json_string(c->omnibus_account_id));
    return j;
}

int api_digits_of(struct api_digits *dc, const char *code)
{
    for (int i = 0; i < dc->n; i++)
        if (strcmp(dc->e[i].code, code) == 0)
            return dc->e[i].digits;
    struct currency cur;
    int digits = currency_get(dc->s, code, &cur, NULL) == 0 ? cur.digits : 0;
    if (dc->n < API_DIGITS_CACHE_MAX) {
        snprintf(dc->e[dc->n].code, sizeof(dc->e[0].code), "%s", code);
        dc->e[dc->n++].digits = digits;
    }
    return digits;
}
