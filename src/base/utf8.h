/* base/utf8.h - strict UTF-8 validation of one sequence (RFC 3629). */
#ifndef CN_BASE_UTF8_H
#define CN_BASE_UTF8_H

#include <stddef.h>

/**
 * Length (2-4) of the valid multi-byte UTF-8 sequence at p (p < end and
 * *p >= 0x80), or 0 if it is invalid: a stray continuation byte, an overlong
 * form, a surrogate (U+D800..DFFF), a value past U+10FFFF, or a sequence cut
 * off by end.
 */
static inline size_t cn_utf8_check(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t avail = (size_t)(end - p);

    if (c < 0xC2)
        return 0; /* continuation byte or overlong 2-byte lead (C0, C1) */
    if (c < 0xE0) {
        if (avail < 2 || (p[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c < 0xF0) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && p[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && p[1] >= 0x90)
            return 0; /* past U+10FFFF */
        return 4;
    }
    return 0;
}

#endif
