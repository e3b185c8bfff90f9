/*
 * tradeboss_admin.c - the admin plane's read of TradeBoss activity (issue 15):
 * GET /admin/v1/tradeboss/adjustments, the newest adjustments and cancel
 * reversals the platform made, for the console.
 *
 * Read from the journal (kinds tb_open, tb_close, tb_overtrading, tb_reverse),
 * newest first, walking back at most FG_RECENT_SCAN_ROWS_MAX journal rows per
 * page (the journal has no index on kind): a page may come back short while
 * older ones exist, and next_before says where to go on. Refused executes
 * moved nothing, so they are not here. Each row names the customer (the
 * account that is not the house's) and the transfer's ref
 * ("tb.exec:<companyId>:<requestUniqueNo>" or "tb.cancel:...").
 */
#include <jansson.h>
#include <string.h>

#include "api/admin_json.h"
#include "api/api.h"
#include "core/limits.h"
#include "families/tradeboss/tradeboss_int.h"
#include "ledger/ledger.h"
#include "services/directory.h"
#include "store/store.h"

struct recent_page {
    struct store *s;
    json_t *arr;
    int64_t last;
};

static int recent_one(void *ctx, const struct ledger_transfer *t)
{
    struct recent_page *p = ctx;
    struct ledger_account debit, credit;
    struct currency cur;
    int digits = currency_get(p->s, t->currency, &cur, NULL) == 0 ? cur.digits : 0;
    json_t *j = api_transfer_json(t, digits);
    if (ledger_account_get(p->s, t->debit_id, &debit, NULL) == 0 &&
        ledger_account_get(p->s, t->credit_id, &credit, NULL) == 0) {
        bool debit_house = strcmp(debit.owner, LEDGER_HOUSE) == 0;
        const struct ledger_account *cust = debit_house ? &credit : &debit;
        json_object_set_new(j, "customer", json_string(cust->owner));
        json_object_set_new(j, "account_type", json_string(cust->type));
        json_object_set_new(j, "direction", json_string(debit_house ? "credit" : "debit"));
    }
    json_array_append_new(p->arr, j);
    p->last = t->id;
    return 0;
}

int tb_admin_adjustments_get(struct http_req *req, void *ctx)
{
    struct api *api = ctx;
    if (!api_admin_allowed(api, req))
        return HTTP_DONE;
    struct fg_err err = {0};
    int64_t before, limit;
    int rc = http_req_query_int64(req, "before", INT64_MAX, 1, INT64_MAX, &before, &err);
    if (rc == 0)
        rc = http_req_query_int64(req, "limit", 50, 1, FG_PAGE_LIMIT_MAX, &limit, &err);
    struct store *s = rc == 0 ? api_reader(api, &err) : NULL;
    if (rc == 0 && !s)
        rc = -FG_ESTORE;
    if (rc == 0 && before == INT64_MAX) /* the newest page: walk back from the journal's end */
        rc = store_query_int(s, "SELECT COALESCE(MAX(id), 0) + 1 FROM transfers", STORE_NOARGS,
                             &before, &err);
    struct recent_page p = {.s = s, .arr = json_array()};
    if (rc == 0)
        rc = ledger_transfer_recent(s, "tb_", before, FG_RECENT_SCAN_ROWS_MAX, (int)limit,
                                    recent_one, &p, &err);
    if (rc < 0) {
        json_decref(p.arr);
        http_req_error(req, rc, err.msg);
        return HTTP_DONE;
    }
    /* Full page: go on below the last row; short page: below the scanned window. */
    int64_t next = (int64_t)json_array_size(p.arr) == limit ? p.last
                   : before > FG_RECENT_SCAN_ROWS_MAX       ? before - FG_RECENT_SCAN_ROWS_MAX
                                                            : 0;
    api_respond_json(req, 200,
                     json_pack("{s:o,s:o}", "adjustments", p.arr, "next_before",
                               next > 1 ? json_integer(next) : json_null()));
    return HTTP_DONE;
}
