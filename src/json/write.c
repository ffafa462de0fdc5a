/* json/write.c - the JSON writer; invariant: need_comma[depth] is true after a value at that depth. */
#include "json/write.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/utf8.h"

void cn_jw_init(cn_jw *w, cn_buf *out, bool pretty)
{
    w->out = out;
    w->rc = CAIRN_OK;
    w->depth = 0;
    w->need_comma[0] = false;
    w->after_key = false;
    w->pretty = pretty;
}

static void put(cn_jw *w, const char *s, size_t n)
{
    if (w->rc == CAIRN_OK)
        w->rc = cn_buf_add(w->out, s, n);
}

static void newline(cn_jw *w)
{
    static const char spaces[] = "                                                                ";
    put(w, "\n", 1);
    for (uint32_t d = 0; d < w->depth; d++)
        put(w, spaces, 2);
}

/* Comma and indentation before a value or a key. */
static void pre(cn_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->need_comma[w->depth])
        put(w, ",", 1);
    if (w->pretty && w->depth)
        newline(w);
    w->need_comma[w->depth] = true;
}

static void open(cn_jw *w, char c)
{
    pre(w);
    if (w->depth == CN_JW_MAX_DEPTH) {
        if (w->rc == CAIRN_OK)
            w->rc = CAIRN_TOOBIG;
        return;
    }
    put(w, &c, 1);
    w->need_comma[++w->depth] = false;
}

static void close_(cn_jw *w, char c)
{
    if (w->depth == 0) {
        if (w->rc == CAIRN_OK)
            w->rc = CAIRN_INVAL;
        return;
    }
    bool had = w->need_comma[w->depth];
    w->depth--;
    if (w->pretty && had)
        newline(w);
    put(w, &c, 1);
}

void cn_jw_obj(cn_jw *w) { open(w, '{'); }
void cn_jw_obj_end(cn_jw *w) { close_(w, '}'); }
void cn_jw_arr(cn_jw *w) { open(w, '['); }
void cn_jw_arr_end(cn_jw *w) { close_(w, ']'); }

/*
 * The length of the run at p[0..n) that a JSON string takes as it is: printable
 * ASCII but '"' and '\\'.  Eight bytes at a time: a word has no byte below 0x20,
 * no quote or backslash and no byte of 0x80 or more exactly when the tests
 * below are all zero (a borrow only spreads from a byte that matched).
 */
static size_t plain_run(const unsigned char *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, q, b;
        memcpy(&x, p + i, 8);
        q = x ^ (ones * '"');
        b = x ^ (ones * '\\');
        if ((((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b) | x) & high)
            break;
    }
    while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
        i++;
    return i;
}

cairn_rc cn_json_escape(cn_buf *out, cairn_str s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s.ptr, *end = p + s.len, *run;
    size_t plain = plain_run(p, s.len);
    /* the usual string needs no escape: room for it and its quotes, one copy */
    cairn_rc rc = cn_buf_grow(out, s.len + 2);
    if (rc)
        return rc;
    out->ptr[out->len++] = '"';
    if (plain)
        memcpy(out->ptr + out->len, p, plain);
    out->len += plain;
    if (plain == s.len) {
        out->ptr[out->len++] = '"';
        out->ptr[out->len] = '\0';
        return CAIRN_OK;
    }
    out->ptr[out->len] = '\0';
    p += plain;
    run = p;

#define FLUSH()                                                                                   \
    do {                                                                                          \
        if (!rc && p > run)                                                                       \
            rc = cn_buf_add(out, run, (size_t)(p - run));                                         \
    } while (0)
    while (p < end && !rc) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = cn_utf8_check(p, end);
            if (n) {
                p += n;
                continue;
            }
            FLUSH();
            if (!rc)
                rc = cn_buf_add(out, "\xEF\xBF\xBD", 3);
            run = ++p;
            continue;
        }
        FLUSH();
        char e[6] = {'\\', 0};
        size_t en = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            en = 6;
        }
        if (!rc)
            rc = cn_buf_add(out, e, en);
        run = ++p;
    }
    FLUSH();
#undef FLUSH
    if (!rc)
        rc = cn_buf_addc(out, '"');
    return rc;
}

void cn_jw_key(cn_jw *w, const char *key)
{
    pre(w);
    if (w->rc == CAIRN_OK)
        w->rc = cn_json_escape(w->out, (cairn_str){key, strlen(key)});
    put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
    w->after_key = true;
}

void cn_jw_str(cn_jw *w, cairn_str s)
{
    pre(w);
    if (w->rc == CAIRN_OK)
        w->rc = cn_json_escape(w->out, s.ptr ? s : (cairn_str){"", 0});
}

void cn_jw_cstr(cn_jw *w, const char *s)
{
    if (!s)
        cn_jw_null(w);
    else
        cn_jw_str(w, (cairn_str){s, strlen(s)});
}

void cn_jw_str_or_null(cn_jw *w, cairn_str s)
{
    if (!s.ptr)
        cn_jw_null(w);
    else
        cn_jw_str(w, s);
}

void cn_jw_i64(cn_jw *w, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    pre(w);
    put(w, tmp, (size_t)n);
}

/*
 * The text %.15g gives for v, without snprintf, when v is a decimal of at most 6
 * places (an importance 0.85, a cost 0.0042) in [1e-4, 1e9): there %.15g prints
 * all of k / 10^6 in fixed notation, trailing zeros cut.  0 for any other v.
 */
static int short_decimal(double v, char *out)
{
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e9))
        return 0;
    int64_t k = llround(a * 1e6);
    if ((double)k / 1e6 != a) /* not such a decimal */
        return 0;
    char digits[24];
    int n = 0, frac = 6;
    for (; k % 10 == 0 && frac > 0; k /= 10)
        frac--;
    do { /* least significant first */
        digits[n++] = (char)('0' + k % 10);
        k /= 10;
    } while (k || n <= frac);
    int len = 0;
    if (v < 0)
        out[len++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        out[len++] = digits[i];
        if (i == frac && frac)
            out[len++] = '.';
    }
    return len;
}

void cn_jw_f64(cn_jw *w, double v)
{
    char tmp[40];
    int n;
    if (!isfinite(v)) {
        cn_jw_null(w);
        return;
    }
    /* Shortest of %.15g / %.17g that reads back to the same double. */
    if (!(n = short_decimal(v, tmp))) {
        n = snprintf(tmp, sizeof tmp, "%.15g", v);
        if (strtod(tmp, NULL) != v)
            n = snprintf(tmp, sizeof tmp, "%.17g", v);
    }
    pre(w);
    put(w, tmp, (size_t)n);
}

void cn_jw_bool(cn_jw *w, bool v)
{
    pre(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void cn_jw_null(cn_jw *w)
{
    pre(w);
    put(w, "null", 4);
}

void cn_jw_raw(cn_jw *w, cairn_str json)
{
    pre(w);
    put(w, json.ptr, json.len);
}

void cn_jw_raw_take(cn_jw *w, char *json, size_t len)
{
    if (w->rc || w->depth || w->after_key || w->need_comma[0] || w->out->len) {
        cn_jw_raw(w, (cairn_str){json, len});
        free(json);
        return;
    }
    w->need_comma[0] = true; /* as pre() would: a value has been written */
    w->rc = cn_buf_adopt(w->out, json, len);
}

void cn_jw_time(cn_jw *w, int64_t ms)
{
    char tmp[40];
    if (ms <= 0) {
        cn_jw_null(w);
        return;
    }
    cn_jw_cstr(w, cn_time_iso(ms, tmp, sizeof tmp));
}

cairn_rc cn_jw_finish(cn_jw *w)
{
    if (w->rc == CAIRN_OK && (w->depth || w->after_key))
        w->rc = CAIRN_INVAL;
    return w->rc;
}

cairn_rc cn_jw_take(cn_jw *w, char **json, size_t *len)
{
    cairn_rc rc = cn_jw_finish(w);
    *json = NULL;
    if (rc)
        cn_buf_release(w->out);
    else
        *json = cn_buf_detach(w->out, len);
    return rc;
}
