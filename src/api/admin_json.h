/*
 * admin_json.h - the admin shapes of the ledger's objects (accounts,
 * transfers, customers) that the admin plane and the families' admin routes
 * answer with, and a small per-request cache of currency digits for
 * listings. Amounts as decimal strings with the currency's digits; every
 * function returns a new reference.
 */
#ifndef FG_API_ADMIN_JSON_H
#define FG_API_ADMIN_JSON_H

#include <jansson.h>

#include "core/limits.h"
#include "ledger/ledger.h"
#include "services/directory.h"

#define API_DIGITS_CACHE_MAX 16

json_t *api_account_json(const struct ledger_account *a, int digits);
json_t *api_transfer_json(const struct ledger_transfer *t, int digits);
json_t *api_customer_json(const struct customer *c);

/* Digits of the currencies a listing meets (0 for an unknown one); the
 * first API_DIGITS_CACHE_MAX are remembered. */
struct api_digits {
    struct store *s;
    int n;
    struct {
        char code[FG_CURRENCY_CODE_BYTES_MAX + 1];
        int digits;
    } e[API_DIGITS_CACHE_MAX];
};
int api_digits_of(struct api_digits *dc, const char *code);

#endif
