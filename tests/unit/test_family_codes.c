/*
 * test_family_codes.c - every family's code map (api/family.h, issue 11):
 * one row per fg code, the fallback for operating errors, the statuses the
 * families answer with, and the error spaces their codes come from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "app/app.h"
#include "families/funds/funds.h"
#include "families/tradeboss/tradeboss_codes.h"
#include "families/worldfirst/worldfirst_codes.h"
#include "families/worldfirst/worldfirst_wire.h"
#include "families/yabandpay/yabandpay_codes.h"
#include "services/fx_errors.h"
#include "services/withdraw_errors.h"

/* A code named twice would answer only its first row: a silent mistake. */
static void test_one_row_per_code(void **state)
{
    (void)state;
    for (int f = 0; app_families[f]; f++) {
        const struct api_code_map *m = app_families[f]->codes;
        if (!m)
            continue;
        assert_non_null(m->fallback);
        for (int i = 0; i < m->count; i++) {
            assert_true(m->rows[i].fg <= 0 || m->rows[i].fg == API_CODE_UNMAPPED);
            assert_non_null(m->rows[i].wire);
            assert_non_null(m->rows[i].en);
            for (int j = i + 1; j < m->count; j++)
                if (m->rows[i].fg != API_CODE_UNMAPPED && m->rows[i].fg == m->rows[j].fg)
                    fail_msg("%s: fg code %d in rows %d and %d", app_families[f]->name,
                             m->rows[i].fg, i, j);
        }
    }
}

static void test_tradeboss(void **state)
{
    (void)state;
    assert_string_equal(tb_code(0)->wire, "0");
    assert_string_equal(tb_code(-FG_EBAD_FIELD)->wire, "US_1000001");
    assert_string_equal(tb_code(-FG_ETB_THIRD_SERVER_CODE)->wire, "US_2000008");
    assert_string_equal(tb_code(-FG_EIDEMPOTENCY_CONFLICT)->wire, "US_2000004");
    assert_int_equal(api_code_status(tb_code(-FG_ERATE_LIMITED), -FG_ERATE_LIMITED), 429);
    assert_int_equal(api_code_status(tb_code(-FG_EINSUFFICIENT_FUNDS), -FG_EINSUFFICIENT_FUNDS),
                     200);
    /* Operating errors are busy, never a final refusal. */
    assert_true(tb_code_busy(-FG_ESTORE));
    assert_true(tb_code_busy(-FG_ENOMEM));
    assert_false(tb_code_busy(0));
    assert_false(tb_code_busy(-FG_EBAD_FIELD));
    assert_string_equal(tb_code(-FG_ESTORE)->wire, "US_9000001");
    /* A code of another family's space is no TradeBoss answer but busy. */
    assert_true(tb_code_busy(-FG_EWD_ORDER_UNKNOWN));
}

static void test_funds(void **state)
{
    (void)state;
    assert_int_equal(funds_code_of(0), 0);
    assert_int_equal(funds_code_of(-FG_EWD_BANK_NOT_APPROVED), 110039);
    assert_int_equal(funds_code_of(-FG_EIN_PROGRESS), 110027);
    assert_int_equal(funds_code_of(-FG_ETOO_DEEP), 110001);
    assert_int_equal(funds_code_of(-FG_ESTORE), 0); /* no business meaning */
    assert_int_equal(funds_wire_code(-FG_ESTORE), 110017);
    const struct api_code *row = api_code_of(&funds_code_map, -FG_ESTORE);
    assert_int_equal(api_code_status(row, -FG_ESTORE), 500);
    assert_int_equal(api_code_status(row, -FG_EOVERLOADED), 503);
    row = api_code_of(&funds_code_map, -FG_EUNAUTHORIZED);
    assert_int_equal(api_code_status(row, -FG_EUNAUTHORIZED), 401);
    assert_string_equal(api_code_text(row, true), "禁止未经授权的访问");
    assert_string_equal(api_code_text(row, false), "Unauthorized access is prohibited");
    assert_non_null(api_code_by_wire(&funds_code_map, "110022")); /* documented, unmapped */
    assert_non_null(api_code_by_wire(&funds_code_map, "110017")); /* the fallback */
    assert_null(api_code_by_wire(&funds_code_map, "110099"));
}

static void test_yabandpay(void **state)
{
    (void)state;
    assert_string_equal(yb_code(0)->wire, "200");
    assert_string_equal(yb_code(-FG_EMISSING_FIELD)->wire, "-3001");
    assert_string_equal(yb_code(-FG_EYB_TIME)->wire, "-4031");
    assert_string_equal(yb_code(-FG_EFX_QUOTE_EXPIRED)->wire, "-4111");
    assert_string_equal(yb_code(-FG_EIDEMPOTENCY_CONFLICT)->wire, "-4118");
    /* Operating errors: nothing was applied, retry. */
    assert_string_equal(yb_code(-FG_ESTORE)->wire, "-1000");
    assert_string_equal(yb_code(-FG_EOVERLOADED)->wire, "-1000");
    /* Every answer is HTTP 200 but the rate limit's. */
    assert_int_equal(api_code_status(yb_code(-FG_ERATE_LIMITED), -FG_ERATE_LIMITED), 429);
    assert_int_equal(api_code_status(yb_code(-FG_EINSUFFICIENT_FUNDS), -FG_EINSUFFICIENT_FUNDS),
                     200);
    assert_int_equal(api_code_status(yb_code(-FG_ESTORE), -FG_ESTORE), 200);
}

/* WorldFirst: every row's resultCode is one of the wire's table (which has
 * its resultStatus), the family's own codes answer theirs, the rate limit
 * is 429 and operating errors are U. */
static void test_worldfirst(void **state)
{
    (void)state;
    for (int i = 0; i < wf_code_map.count; i++) {
        bool known = false;
        for (int k = 0; k < WF_CODE_COUNT; k++)
            known = known || strcmp(wf_codes[k].code, wf_code_map.rows[i].wire) == 0;
        if (!known)
            fail_msg("row %d: %s is no resultCode", i, wf_code_map.rows[i].wire);
    }
    assert_int_equal(wf_code_of(0), WF_SUCCESS);
    assert_int_equal(wf_code_of(-FG_EWF_UNKNOWN_CLIENT), WF_INVALID_CLIENT);
    assert_int_equal(wf_code_of(-FG_EWF_DEAL_UNKNOWN), WF_FX_RELATED_ORDER_NOT_EXIST);
    assert_int_equal(wf_code_of(-FG_EUNAUTHORIZED), WF_INVALID_SIGNATURE);
    assert_int_equal(wf_code_of(-FG_ESTORE), WF_UNKNOWN_EXCEPTION);
    assert_string_equal(wf_codes[wf_code_of(-FG_EOVERLOADED)].status, "U");
    const struct api_code *row = api_code_of(&wf_code_map, -FG_ERATE_LIMITED);
    assert_int_equal(api_code_status(row, -FG_ERATE_LIMITED), 429);
    assert_string_equal(row->wire, "REQUEST_TRAFFIC_EXCEED_LIMIT");
    assert_non_null(api_code_by_wire(&wf_code_map, "PROCESSING")); /* documented, unmapped */
}

/* Every family's envelope answers every code of its map: valid JSON that
 * carries the row's wire code, with the row's HTTP status. */
static void test_envelopes(void **state)
{
    (void)state;
    for (int f = 0; app_families[f]; f++) {
        const struct api_family *fam = app_families[f];
        if (!fam->envelope.answer)
            continue;
        for (int i = 0; i < fam->codes->count; i++) {
            const struct api_code *row = &fam->codes->rows[i];
            if (row->fg == API_CODE_UNMAPPED)
                continue;
            struct http_req req;
            http_req_internal_init(&req, "POST", "/x", "", 0, NULL, NULL);
            fam->envelope.answer(&req, row->fg, NULL, NULL);
            json_t *body = json_loadb(req.resp_body, req.resp_len, 0, NULL);
            if (!body || !strstr(req.resp_body, row->wire) ||
                req.status != api_code_status(row, row->fg))
                fail_msg("%s: code %d answered %d %.*s", fam->name, row->fg, req.status,
                         (int)req.resp_len, req.resp_body);
            json_decref(body);
            http_req_internal_release(&req);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_row_per_code),
        cmocka_unit_test(test_tradeboss),
        cmocka_unit_test(test_funds),
        cmocka_unit_test(test_yabandpay),
        cmocka_unit_test(test_worldfirst),
        cmocka_unit_test(test_envelopes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
