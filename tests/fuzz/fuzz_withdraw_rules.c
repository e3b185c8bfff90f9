/*
 * fuzz_withdraw_rules.c - the Funds rule parsers (a rule's `cutoff` "HH:MM"
 * and `utc_offset` "+08:00", a calendar's "YYYY-MM-DD" dates) and the value
 * day they feed.
 *
 * Input: lines. Every line goes through the three parsers. Properties:
 * - a time is accepted exactly when it is two digits, ':', two digits within
 *   00:00..23:59, and prints back as the same text;
 * - an offset is exactly [+-]HH:MM with MM < 60 within 14:00, and prints back
 *   (with its sign; "-00:00" is zero);
 * - a date is accepted exactly when it is a real day of 1970..9999 (leap
 *   years by the Gregorian rule, counted here apart from withdraw_rules.c),
 *   and formats back to the same text; its weekday agrees with Zeller's rule.
 * Then, when line 1 is a time, line 2 an offset, line 3 digits (the request
 * time in ms, taken modulo 2^42) and line 4 digits (settlement days modulo
 * 31), the remaining lines that are dates form the calendar (its last day
 * known 120 days after the request unless a date is later): a value day
 * found is a business day within the calendar, not before the request's
 * local day, with exactly settlement-days business days after the first
 * business day at or after the start; a refusal is -FG_EWD_VALUE_DAY.
 */
#include "fuzz.h"

#include "core/limits.h"
#include "services/withdraw_rules.h"

#define LINES_MAX 64
#define MS_PER_DAY 86400000LL

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool two_digits(const char *s, int *v)
{
    if (!fuzz_is_digit(s[0]) || !fuzz_is_digit(s[1]))
        return false;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return true;
}

static void check_time(const char *s)
{
    int h = 0, m = 0, got = -1;
    bool want = strlen(s) == 5 && two_digits(s, &h) && s[2] == ':' && two_digits(s + 3, &m) &&
                h < 24 && m < 60;
    FUZZ_CHECK(wd_time_parse(s, &got) == want, "time '%s'", s);
    if (want) {
        char back[16];
        snprintf(back, sizeof(back), "%02d:%02d", got / 60, got % 60);
        FUZZ_CHECK(got == h * 60 + m && strcmp(back, s) == 0, "time '%s' is %d", s, got);
    }
}

static void check_offset(const char *s)
{
    int h = 0, m = 0, got = 12345;
    bool want = strlen(s) == 6 && (s[0] == '+' || s[0] == '-') && two_digits(s + 1, &h) &&
                s[3] == ':' && two_digits(s + 4, &m) && m < 60 && h * 60 + m <= 14 * 60;
    FUZZ_CHECK(wd_offset_parse(s, &got) == want, "offset '%s'", s);
    if (want) {
        int mag = got < 0 ? -got : got;
        char back[16];
        snprintf(back, sizeof(back), "%c%02d:%02d",
                 got < 0   ? '-'
                 : got > 0 ? '+'
                           : s[0],
                 mag / 60, mag % 60);
        FUZZ_CHECK(strcmp(back, s) == 0 && mag <= 840, "offset '%s' is %d", s, got);
    }
}

/* Zeller-style weekday, 0 Sunday. */
static int weekday_of(int y, int m, int d)
{
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    y -= m < 3;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

static void check_date(const char *s)
{
    static const int days_in[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 0, m = 0, d = 0, hi = 0, lo = 0;
    bool want = strlen(s) == 10 && two_digits(s, &hi) && two_digits(s + 2, &lo) && s[4] == '-' &&
                two_digits(s + 5, &m) && s[7] == '-' && two_digits(s + 8, &d);
    y = hi * 100 + lo;
    want = want && y >= 1970 && m >= 1 && m <= 12 && d >= 1 &&
           d <= days_in[m - 1] + (m == 2 && leap(y));
    int32_t day = -1;
    FUZZ_CHECK(wd_date_parse(s, &day) == want, "date '%s'", s);
    if (!want)
        return;
    char back[WD_DATE_BYTES];
    wd_date_format(day, back);
    FUZZ_CHECK(strcmp(back, s) == 0 && day >= 0, "date '%s' is day %d, formats '%s'", s, (int)day,
               back);
    FUZZ_CHECK(wd_weekday(day) == weekday_of(y, m, d), "weekday of '%s'", s);
}

static int32_t day_of_ms(int64_t ms)
{
    return (int32_t)(ms >= 0 ? ms / MS_PER_DAY : -((-ms + MS_PER_DAY - 1) / MS_PER_DAY));
}

static int cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void check_value_day(char *lines[], int n)
{
    struct wd_value_day_rule r = {0};
    if (n < 4 || !wd_time_parse(lines[0], &r.cutoff_min) ||
        !wd_offset_parse(lines[1], &r.utc_offset_min) || !fuzz_is_digit(lines[2][0]) ||
        !fuzz_is_digit(lines[3][0]))
        return;
    int64_t now_ms = strtoll(lines[2], NULL, 10) % (1LL << 42);
    r.settlement_days = (int)(strtoll(lines[3], NULL, 10) % (FG_WD_SETTLEMENT_DAYS_MAX + 1));
    int32_t holidays[LINES_MAX];
    int count = 0;
    int32_t start = day_of_ms(now_ms + (int64_t)r.utc_offset_min * 60000);
    int32_t through = start + 120;
    for (int i = 4; i < n; i++)
        if (wd_date_parse(lines[i], &holidays[count])) {
            through = holidays[count] > through ? holidays[count] : through;
            count++;
        }
    qsort(holidays, (size_t)count, sizeof(holidays[0]), cmp_day);
    struct wd_calendar cal = {.holidays = holidays, .holiday_count = count, .through_day = through};
    int32_t day = -1;
    struct fg_err err = {0};
    int rc = withdraw_value_day(&r, &cal, now_ms, &day, &err);
    if (rc != 0) {
        FUZZ_CHECK(rc == -FG_EWD_VALUE_DAY && err.msg[0], "value day refusal rc %d", rc);
        return;
    }
    FUZZ_CHECK(day >= start && day <= through && withdraw_business_day(&cal, day),
               "value day %d: start %d, through %d", (int)day, (int)start, (int)through);
    /* Count business days from the first one at or after the start. */
    int64_t local_min = ((now_ms + (int64_t)r.utc_offset_min * 60000) % MS_PER_DAY + MS_PER_DAY) %
                        MS_PER_DAY / 60000;
    int32_t d = start + (local_min >= r.cutoff_min);
    while (!withdraw_business_day(&cal, d))
        d++;
    int after = 0;
    for (int32_t x = d + 1; x <= day; x++)
        after += withdraw_business_day(&cal, x);
    FUZZ_CHECK(after == r.settlement_days && withdraw_business_day(&cal, d) && day >= d,
               "value day %d is %d business days after %d, want %d", (int)day, after, (int)d,
               r.settlement_days);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *lines[LINES_MAX];
    int n = 0;
    while (n < LINES_MAX && (size > 0 || n == 0)) {
        const uint8_t *line;
        size_t len;
        fuzz_line(&data, &size, &line, &len);
        lines[n] = fuzz_cstr(line, len);
        check_time(lines[n]);
        check_offset(lines[n]);
        check_date(lines[n]);
        n++;
    }
    check_value_day(lines, n);
    for (int i = 0; i < n; i++)
        free(lines[i]);
    return 0;
}
