/*
 * fuzz_fx_rates_csv.c - fx_rates_csv_parse (the CSV of `fundgate rates
 * load` and POST /admin/v1/rates/load) on any bytes.
 *
 * Properties: it never fails but with a code; every row it gives is a pair
 * of two different valid currency codes with valid rates, bid <= ask, a
 * valid source, a max age in range, and no pair twice in either direction;
 * each rate formats and parses back to itself; at most
 * FG_FX_RATES_CSV_ROWS_MAX rows.
 */
#include "fuzz.h"

#include "core/fxrate.h"
#include "services/directory.h"
#include "services/fx.h"

static void check_rate(struct fxrate r)
{
    char text[FXRATE_TEXT_BYTES_MAX];
    struct fxrate back;
    struct fg_err err;
    FUZZ_CHECK(fxrate_valid(r), "a rate that is not one: %lld/%d", (long long)r.units, r.scale);
    size_t n = fxrate_format(r, text, sizeof(text));
    FUZZ_CHECK(fxrate_parse(text, n, "rate", &back, &err) == 0 && fxrate_cmp(back, r) == 0,
               "'%s' does not read back", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fx_rate_row rows[FG_FX_RATES_CSV_ROWS_MAX];
    struct fg_err err;
    int n = -1;
    int rc = fx_rates_csv_parse((const char *)data, size, "fuzz", 1, rows, &n, &err);
    FUZZ_CHECK(rc == 0 || rc == -FG_EBAD_FIELD || rc == -FG_ETOO_LARGE, "code %d", rc);
    if (rc < 0)
        return 0;
    FUZZ_CHECK(n >= 0 && n <= FG_FX_RATES_CSV_ROWS_MAX, "%d rows", n);
    for (int i = 0; i < n; i++) {
        const struct fx_rate_row *r = &rows[i];
        FUZZ_CHECK(currency_code_valid(r->base) && currency_code_valid(r->quote) &&
                       strcmp(r->base, r->quote) != 0,
                   "row %d: pair %s/%s", i, r->base, r->quote);
        check_rate(r->bid);
        check_rate(r->ask);
        FUZZ_CHECK(fxrate_cmp(r->bid, r->ask) <= 0, "row %d: bid above ask", i);
        FUZZ_CHECK(fx_source_valid(r->source), "row %d: source '%s'", i, r->source);
        FUZZ_CHECK(r->max_age_s >= 0 && r->max_age_s <= FG_FX_RATE_MAX_AGE_S_MAX, "row %d: age", i);
        for (int j = 0; j < i; j++)
            FUZZ_CHECK(
                !((strcmp(rows[j].base, r->base) == 0 && strcmp(rows[j].quote, r->quote) == 0) ||
                  (strcmp(rows[j].base, r->quote) == 0 && strcmp(rows[j].quote, r->base) == 0)),
                "rows %d and %d are one pair", j, i);
    }
    return 0;
}
