/*
 * source/opencode/id.c - opencode identifiers: "<prefix>_<12 hex><14 base62>".
 * The hex field is (ms * 4096 + counter) truncated to 48 bits, bit-inverted
 * for descending ids (sessions); only ms mod 2^36 survives (formats §7).
 */
#include <string.h>

#include "base/err.h"
#include "cairn/source.h"

#define MS_BITS 36
#define MS_SPAN ((int64_t)1 << MS_BITS)

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool is_base62(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

cairn_rc cairn_oc_id_parse(cairn_str id, cairn_oc_id *out, cairn_err *err)
{
    const char *us = id.ptr && id.len ? memchr(id.ptr, '_', id.len) : NULL;
    size_t plen, rest;
    uint64_t v = 0;

    if (!us || us == id.ptr)
        return cn_err_set(err, CAIRN_PARSE, "bad opencode id '%.*s': no prefix",
                          (int)id.len, id.ptr ? id.ptr : "");
    plen = (size_t)(us - id.ptr);
    rest = id.len - plen - 1;
    if (rest != 26)
        return cn_err_set(err, CAIRN_PARSE, "bad opencode id '%.*s': expected 26 characters after '_'",
                          CAIRN_STR_FMT(id));
    for (size_t k = 0; k < 12; k++) {
        int h = hexdigit(us[1 + k]);
        if (h < 0)
            return cn_err_set(err, CAIRN_PARSE, "bad opencode id '%.*s': not hex", CAIRN_STR_FMT(id));
        v = v << 4 | (uint64_t)h;
    }
    for (size_t k = 13; k < 27; k++)
        if (!is_base62(us[k]))
            return cn_err_set(err, CAIRN_PARSE, "bad opencode id '%.*s': not base62",
                              CAIRN_STR_FMT(id));
    memset(out, 0, sizeof *out);
    out->prefix = (cairn_str){id.ptr, plen};
    out->descending = plen == 3 && !memcmp(id.ptr, "ses", 3);
    if (out->descending)
        v = ~v & 0xFFFFFFFFFFFFu;
    out->value = v;
    out->ms_mod = (int64_t)(v >> 12);
    out->counter = (uint32_t)(v & 0xFFF);
    out->random = (cairn_str){us + 13, 14};
    return CAIRN_OK;
}

int64_t cairn_oc_id_time(const cairn_oc_id *id, int64_t ref_ms)
{
    int64_t base = ref_ms - (ref_ms % MS_SPAN);
    int64_t t = base + id->ms_mod;
    if (t - ref_ms > MS_SPAN / 2)
        t -= MS_SPAN;
    else if (ref_ms - t > MS_SPAN / 2)
        t += MS_SPAN;
    return t;
}
