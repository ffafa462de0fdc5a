/* base/clock.c - wall and monotonic clocks, ISO-8601 formatting and parsing (UTC only). */
#include "base/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/err.h"
#include "base/str.h"

int64_t cn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t cn_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t cn_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

char *cn_time_iso(int64_t ms, char *out, size_t n)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000, y;
    unsigned mo, d;

    civil_from_days(days, &y, &mo, &d);
    if (y < 0 || y > 9999 || n < 25) { /* rare: let snprintf widen or cut */
        snprintf(out, n, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, mo, d,
                 (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
                 (int)(rem % 1000));
        return out;
    }
    /* the hot path of every JSON answer with times: digits by hand, no snprintf */
    static const struct {
        uint8_t at, width;
    } fields[] = {{0, 4}, {5, 2}, {8, 2}, {11, 2}, {14, 2}, {17, 2}, {20, 3}};
    const unsigned v[] = {(unsigned)y,
                          mo,
                          d,
                          (unsigned)(rem / 3600000),
                          (unsigned)(rem / 60000 % 60),
                          (unsigned)(rem / 1000 % 60),
                          (unsigned)(rem % 1000)};
    memcpy(out, "0000-00-00T00:00:00.000Z", 25);
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
        for (unsigned x = v[f], k = fields[f].width; k--; x /= 10)
            out[fields[f].at + k] = (char)('0' + x % 10);
    return out;
}

/* Reads exactly n digits at s[*i]; -1 if they are not there. */
static int digits(cairn_str s, size_t *i, int n)
{
    int v = 0;
    for (int k = 0; k < n; k++, (*i)++) {
        if (*i >= s.len || s.ptr[*i] < '0' || s.ptr[*i] > '9')
            return -1;
        v = v * 10 + (s.ptr[*i] - '0');
    }
    return v;
}

static int parse_iso(cairn_str s, int64_t *out)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, se = 0, frac = 0;

    if ((y = digits(s, &i, 4)) < 0 || i >= s.len || s.ptr[i++] != '-' ||
        (mo = digits(s, &i, 2)) < 1 || mo > 12 || i >= s.len || s.ptr[i++] != '-' ||
        (d = digits(s, &i, 2)) < 1 || d > 31)
        return -1;
    if (i < s.len && (s.ptr[i] == 'T' || s.ptr[i] == ' ')) {
        i++;
        if ((h = digits(s, &i, 2)) < 0 || h > 23 || i >= s.len || s.ptr[i++] != ':' ||
            (mi = digits(s, &i, 2)) < 0 || mi > 59)
            return -1;
        if (i < s.len && s.ptr[i] == ':') {
            i++;
            if ((se = digits(s, &i, 2)) < 0 || se > 60)
                return -1;
            if (i < s.len && s.ptr[i] == '.') {
                int scale = 100;
                for (i++; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++) {
                    frac += (s.ptr[i] - '0') * scale;
                    scale /= 10;
                }
            }
        }
        if (i < s.len && s.ptr[i] == 'Z')
            i++;
    }
    if (i != s.len)
        return -1;
    *out = (cn_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se) *
               1000 +
           frac;
    return 0;
}

cairn_rc cn_time_parse(cairn_str s, int64_t now_ms, int64_t *out, cairn_err *err)
{
    static const struct {
        char unit;
        int64_t ms;
    } units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}, {'w', 604800000}};
    int64_t v;

    if (s.len >= 2) {
        for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
            if (s.ptr[s.len - 1] != units[k].unit)
                continue;
            if (cn_str_to_i64((cairn_str){s.ptr, s.len - 1}, &v) == CAIRN_OK && v >= 0 &&
                v < INT64_MAX / units[k].ms) {
                *out = now_ms - v * units[k].ms;
                return CAIRN_OK;
            }
        }
    }
    if (parse_iso(s, out) == 0)
        return CAIRN_OK;
    if (s.len > 4 && cn_str_to_i64(s, &v) == CAIRN_OK && v >= 0) {
        *out = v;
        return CAIRN_OK;
    }
    return cn_err_set(err, CAIRN_PARSE,
                      "cannot read time '%.*s': use 2026-11-20, 2026-11-20T10:00Z, 7d, 12h "
                      "or milliseconds since the epoch",
                      CAIRN_STR_FMT(s));
}

cairn_rc cn_duration_parse(cairn_str s, int64_t *seconds, cairn_err *err)
{
    static const struct {
        char unit;
        int64_t s;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    int64_t v, mul = 1;
    cairn_str num = s;
    for (size_t k = 0; k < sizeof units / sizeof units[0] && s.len; k++)
        if (s.ptr[s.len - 1] == units[k].unit) {
            mul = units[k].s;
            num.len--;
        }
    if (cn_str_to_i64(num, &v) != CAIRN_OK || v <= 0 || v > INT64_MAX / 1000 / mul)
        return cn_err_set(err, CAIRN_PARSE,
                          "cannot read duration '%.*s': use seconds or 90s, 30m, 12h, 7d, 2w",
                          CAIRN_STR_FMT(s));
    *seconds = v * mul;
    return CAIRN_OK;
}
