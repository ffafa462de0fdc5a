/* base/str.c - span helpers. */
#include "base/str.h"

#include "base/utf8.h"

int cn_str_cmp(cairn_str a, cairn_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

cairn_rc cn_str_to_i64(cairn_str s, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t v = 0, lim;

    if (s.len && (s.ptr[0] == '-' || s.ptr[0] == '+')) {
        neg = s.ptr[0] == '-';
        i = 1;
    }
    if (i == s.len)
        return CAIRN_PARSE;
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < s.len; i++) {
        unsigned d = (unsigned char)s.ptr[i] - '0';
        if (d > 9)
            return CAIRN_PARSE;
        if (v > (lim - d) / 10)
            return CAIRN_RANGE;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return CAIRN_OK;
}

size_t cn_utf8_valid_prefix(cairn_str s)
{
    const unsigned char *p = (const unsigned char *)s.ptr, *end = p + s.len;
    const unsigned char *start = p;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t n = cn_utf8_check(p, end);
        if (!n)
            break;
        p += n;
    }
    return (size_t)(p - start);
}
