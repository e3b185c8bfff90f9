/*
 * withdraw_rules.h - the pure arithmetic of a withdrawal: fee, value day,
 * dates, times of day. No store, no clock, no I/O: every input is an argument,
 * so tests can walk every edge (tests/unit/test_withdraw_rules.c).
 *
 * Fee (docs/protocols/funds.md "Rules, fee, value day, rates"):
 * fee = fee_fixed + amount * fee_bp / 10000, the basis-point part rounded UP
 * to the currency's minor unit (the customer pays, so the house is favoured),
 * then clamped to [fee_min, fee_max]. The fee is taken out of the amount:
 * net_amount = amount - fee. All int64 minor units.
 *
 * Value day: take the request time in the rule's UTC offset; at or after the
 * cut-off (HH:MM local) start from the next day; roll forward to the first
 * business day; then add settlement_days business days. A business day is
 * Monday to Friday and not a holiday of the currency's calendar. A calendar
 * is known only through its `through_day` (inclusive): needing any day after
 * it is -FG_EWD_VALUE_DAY (110033), as is walking more than
 * FG_WD_VALUE_DAY_SCAN_DAYS_MAX days.
 *
 * Days are counted from 1970-01-01 (day 0, a Thursday) in the proleptic
 * Gregorian calendar; "YYYY-MM-DD" for years 1970..9999.
 */
#ifndef FG_WITHDRAW_RULES_H
#define FG_WITHDRAW_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"
#include "services/withdraw_errors.h"

#define WD_DATE_BYTES 11 /* "YYYY-MM-DD" and NUL */

struct wd_fee_rule {
    int64_t fee_fixed; /* minor units */
    int64_t fee_bp;    /* 0..10000 */
    int64_t fee_min;   /* minor units */
    int64_t fee_max;   /* minor units, >= fee_min */
};

/* A currency's calendar: holidays sorted ascending (days since epoch), and the
 * last day it is known for. */
struct wd_calendar {
    const int32_t *holidays;
    int holiday_count;
    int32_t through_day; /* -1: no calendar at all */
};

struct wd_value_day_rule {
    int utc_offset_min;  /* -840..840 */
    int cutoff_min;      /* 0..1439 minutes after local midnight */
    int settlement_days; /* 0..FG_WD_SETTLEMENT_DAYS_MAX */
};

/* Fee of amount (> 0). -FG_EOVERFLOW if it does not fit. */
int withdraw_fee(const struct wd_fee_rule *r, int64_t amount, int64_t *fee);

/* Value day (days since epoch) of a request at now_ms (UTC). */
int withdraw_value_day(const struct wd_value_day_rule *r, const struct wd_calendar *cal,
                       int64_t now_ms, int32_t *day, struct fg_err *err);
bool withdraw_business_day(const struct wd_calendar *cal, int32_t day);

/* Dates. */
int32_t wd_days_from_civil(int y, int m, int d);
void wd_civil_from_days(int32_t day, int *y, int *m, int *d);
/* "YYYY-MM-DD" -> day; false when malformed or not a real date. */
bool wd_date_parse(const char *s, int32_t *day);
void wd_date_format(int32_t day, char out[WD_DATE_BYTES]);
/* Day of week, 0 Sunday .. 6 Saturday. */
int wd_weekday(int32_t day);
/* "HH:MM" (00:00..23:59) -> minutes. */
bool wd_time_parse(const char *s, int *minutes);
/* "+08:00" / "-05:30" (within +-14:00) -> minutes east of UTC. */
bool wd_offset_parse(const char *s, int *minutes);
/* RFC 3339 UTC with milliseconds: "2026-01-05T08:00:00.000Z" (25 bytes with NUL). */
void wd_timestamp_format(int64_t ms, char out[32]);

#endif
