/* withdraw_rules.c - fee, value day and date arithmetic; see withdraw_rules.h. */
#include "services/withdraw_rules.h"

#include <stdio.h>
#include <string.h>

#include "core/limits.h"
#include "core/money.h"

#define MS_PER_DAY 86400000LL

int withdraw_fee(const struct wd_fee_rule *r, int64_t amount, int64_t *fee)
{
    int64_t part = 0, f = 0;
    int rc = money_basis_points(amount, r->fee_bp, MONEY_ROUND_UP, &part);
    if (rc < 0)
        return rc;
    if (!money_add(r->fee_fixed, part, &f))
        return -FG_EOVERFLOW;
    if (f < r->fee_min)
        f = r->fee_min;
    if (f > r->fee_max)
        f = r->fee_max;
    *fee = f;
    return 0;
}

/* Howard Hinnant's days_from_civil / civil_from_days, integers only. */
int32_t wd_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void wd_civil_from_days(int32_t day, int *y, int *m, int *d)
{
    int z = day + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

int wd_weekday(int32_t day)
{
    int w = (int)((day + 4) % 7); /* 1970-01-01 was a Thursday */
    return w < 0 ? w + 7 : w;
}

static bool digits_at(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool wd_date_parse(const char *s, int32_t *day)
{
    int y, m, d;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits_at(s, 4, &y) ||
        !digits_at(s + 5, 2, &m) || !digits_at(s + 8, 2, &d))
        return false;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    int32_t v = wd_days_from_civil(y, m, d);
    int y2, m2, d2;
    wd_civil_from_days(v, &y2, &m2, &d2);
    if (y2 != y || m2 != m || d2 != d) /* 2026-02-30 */
        return false;
    *day = v;
    return true;
}

void wd_date_format(int32_t day, char out[WD_DATE_BYTES])
{
    int y, m, d;
    wd_civil_from_days(day, &y, &m, &d);
    char buf[32]; /* room for any int, so the compiler sees no truncation */
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d", (y % 10000 + 10000) % 10000, m, d);
    memcpy(out, buf, WD_DATE_BYTES - 1);
    out[WD_DATE_BYTES - 1] = '\0';
}

bool wd_time_parse(const char *s, int *minutes)
{
    int h, m;
    if (strlen(s) != 5 || s[2] != ':' || !digits_at(s, 2, &h) || !digits_at(s + 3, 2, &m) ||
        h > 23 || m > 59)
        return false;
    *minutes = h * 60 + m;
    return true;
}

bool wd_offset_parse(const char *s, int *minutes)
{
    int h, m;
    if (strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || !digits_at(s + 1, 2, &h) ||
        !digits_at(s + 4, 2, &m) || m > 59 || h * 60 + m > 840)
        return false;
    *minutes = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
    return true;
}

void wd_timestamp_format(int64_t ms, char out[32])
{
    int64_t day = ms >= 0 ? ms / MS_PER_DAY : -((-ms + MS_PER_DAY - 1) / MS_PER_DAY);
    int64_t rem = ms - day * MS_PER_DAY;
    int y, mo, d;
    wd_civil_from_days((int32_t)day, &y, &mo, &d);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y % 10000, mo, d, (int)(rem / 3600000),
             (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

bool withdraw_business_day(const struct wd_calendar *cal, int32_t day)
{
    int w = wd_weekday(day);
    if (w == 0 || w == 6)
        return false;
    int lo = 0, hi = cal->holiday_count; /* binary search: bounded by log2(count) */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (cal->holidays[mid] == day)
            return false;
        if (cal->holidays[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return true;
}

int withdraw_value_day(const struct wd_value_day_rule *r, const struct wd_calendar *cal,
                       int64_t now_ms, int32_t *day, struct fg_err *err)
{
    int64_t local = now_ms + (int64_t)r->utc_offset_min * 60000;
    int64_t d = local >= 0 ? local / MS_PER_DAY : -((-local + MS_PER_DAY - 1) / MS_PER_DAY);
    int64_t minute = (local - d * MS_PER_DAY) / 60000;
    if (minute >= r->cutoff_min)
        d++;
    int need = r->settlement_days; /* business days still to add after the first */
    bool rolled = false;
    for (int scanned = 0; scanned < FG_WD_VALUE_DAY_SCAN_DAYS_MAX; scanned++, d++) {
        if (cal->through_day < 0 || d > cal->through_day) {
            char through[WD_DATE_BYTES] = "none";
            if (cal->through_day >= 0)
                wd_date_format(cal->through_day, through);
            return fg_fail(err, -FG_EWD_VALUE_DAY,
                           "the calendar is known through %s, the value day lies beyond", through);
        }
        if (!withdraw_business_day(cal, (int32_t)d))
            continue;
        if (!rolled) {
            rolled = true; /* the first business day on or after the start */
            if (need == 0)
                break;
            continue;
        }
        if (--need == 0)
            break;
    }
    if (!rolled || need != 0)
        return fg_fail(err, -FG_EWD_VALUE_DAY, "no value day within %d days",
                       FG_WD_VALUE_DAY_SCAN_DAYS_MAX);
    *day = (int32_t)d;
    return 0;
}
