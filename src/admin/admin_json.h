/*
 * admin_json.h - private to src/admin: the admin plane's JSON shapes of
 * accounts, transfers and customers, and a small per-request cache of
 * currency digits for listings.
 */
#ifndef FG_ADMIN_JSON_H
#define FG_ADMIN_JSON_H

#include <jansson.h>

#include "core/limits.h"
#include "ledger/ledger.h"
#include "services/directory.h"

#define ADMIN_DIGITS_CACHE_MAX 16

json_t *admin_account_json(const struct ledger_account *a, int digits);
json_t *admin_transfer_json(const struct ledger_transfer *t, int digits);
json_t *admin_customer_json(const struct customer *c);

/* Digits of the currencies a listing meets (0 for an unknown one); the
 * first ADMIN_DIGITS_CACHE_MAX are remembered. */
struct admin_digits {
    struct store *s;
    int n;
    struct {
        char code[FG_CURRENCY_CODE_BYTES_MAX + 1];
        int digits;
    } e[ADMIN_DIGITS_CACHE_MAX];
};
int admin_digits_of(struct admin_digits *dc, const char *code);

#endif
