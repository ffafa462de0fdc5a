/* base/str.h - helpers over cairn_str views (internal). */
#ifndef CN_BASE_STR_H
#define CN_BASE_STR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cairn/err.h"
#include "cairn/str.h"

static inline cairn_str cn_str(const char *s)
{
    return (cairn_str){s, s ? strlen(s) : 0};
}

static inline bool cn_str_eq(cairn_str a, cairn_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool cn_str_eqc(cairn_str a, const char *c)
{
    return cn_str_eq(a, cn_str(c));
}

static inline bool cn_str_starts(cairn_str a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a.len >= n && memcmp(a.ptr, prefix, n) == 0;
}

static inline bool cn_str_ends(cairn_str a, const char *suffix)
{
    size_t n = strlen(suffix);
    return a.len >= n && memcmp(a.ptr + a.len - n, suffix, n) == 0;
}

/** Three-way byte comparison (shorter sorts first on a common prefix). */
int cn_str_cmp(cairn_str a, cairn_str b);

/** Parse a whole span as a decimal int64; CAIRN_PARSE or CAIRN_RANGE. */
cairn_rc cn_str_to_i64(cairn_str s, int64_t *out);

/** s cut to at most max bytes, on a UTF-8 character boundary (s itself when it fits). */
static inline cairn_str cn_str_cut(cairn_str s, size_t max)
{
    if (s.len <= max)
        return s;
    size_t n = max;
    while (n && ((unsigned char)s.ptr[n] & 0xC0) == 0x80)
        n--;
    return (cairn_str){s.ptr, n};
}

/** The value of a hex digit (0-9, a-f, A-F), or -1 (for percent-decoding). */
static inline int cn_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/** Number of bytes of a valid UTF-8 prefix of s (stops at the first bad byte). */
size_t cn_utf8_valid_prefix(cairn_str s);

#endif
