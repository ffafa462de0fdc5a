/* base/clock.h - time helpers.  Times in cairn are int64 milliseconds since the epoch (UTC). */
#ifndef CN_BASE_CLOCK_H
#define CN_BASE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/err.h"
#include "cairn/str.h"

/** Wall clock, ms since the epoch. */
int64_t cn_now_ms(void);
/** Monotonic clock in ns, for durations. */
uint64_t cn_mono_ns(void);

/**
 * Format ms as "2026-11-21T10:04:05.123Z" into out (at least 32 bytes).
 * Returns out.
 */
char *cn_time_iso(int64_t ms, char *out, size_t n);

/**
 * Parse a user-given time: an ISO date ("2026-11-20"), date-time
 * ("2026-11-20T10:00", "...:05Z", "...:05.123Z"; taken as UTC), a relative age
 * ("90s", "30m", "12h", "7d", "2w": that long before now_ms), or a number of
 * ms since the epoch.  CAIRN_PARSE with a message naming the text otherwise.
 */
cairn_rc cn_time_parse(cairn_str s, int64_t now_ms, int64_t *out, cairn_err *err);

/**
 * Parse a duration: "90" or "90s" seconds, "30m", "12h", "7d", "2w".  *out
 * receives seconds.  CAIRN_PARSE with a message naming the text otherwise.
 */
cairn_rc cn_duration_parse(cairn_str s, int64_t *seconds, cairn_err *err);

/** Days since 1970-01-01 for a proleptic Gregorian date. */
int64_t cn_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
