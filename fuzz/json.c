/*
 * fuzz/json.c - libFuzzer target for the JSON reader, writer and JSONL splitter.
 *
 * For every input (libFuzzer's exact-size buffer, so ASan sees any read past
 * the end):
 *  1. cn_json_parse returns CAIRN_OK or CAIRN_PARSE with a "line " message,
 *     and agrees with ref_valid(), a small independent recursive-descent
 *     validator of the same policy (docs/JSON.md);
 *  2. when it parses: every string unescapes to valid UTF-8 no longer than
 *     its raw form, every number reads with cn_json_i64 / cn_json_f64
 *     consistently, a lower max_depth is honoured exactly, and the document
 *     written back with cn_jw parses again to the same values;
 *  3. the input split with cn_jsonl hands out complete lines only, each
 *     parsed like in 1.
 * Any violation aborts, which libFuzzer reports as a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/str.h"
#include "json/json.h"
#include "json/jsonl.h"
#include "json/write.h"

#include "lib/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- reference validator: plain recursive descent, written apart from json.c ---- */

typedef struct ref {
    const unsigned char *p, *end;
} ref;

static bool ref_value(ref *r, unsigned depth);

static void ref_ws(ref *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static bool ref_lit(ref *r, const char *s)
{
    size_t n = strlen(s);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, s, n) != 0)
        return false;
    r->p += n;
    return true;
}

static bool ref_digits(ref *r)
{
    const unsigned char *s = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++;
    return r->p > s;
}

static bool ref_number(ref *r)
{
    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p < r->end && *r->p == '0')
        r->p++;
    else if (r->p >= r->end || *r->p < '1' || *r->p > '9' || !ref_digits(r))
        return false;
    if (r->p < r->end && *r->p == '.' && (r->p++, !ref_digits(r)))
        return false;
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        if (!ref_digits(r))
            return false;
    }
    return true;
}

/* One UTF-8 sequence at r->p (lead >= 0x80): decode it and check the scalar value. */
static bool ref_utf8(ref *r)
{
    unsigned c = *r->p, n, cp, min;
    if (c >= 0xF0 && c <= 0xF7)
        n = 4, cp = c & 7, min = 0x10000;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 15, min = 0x800;
    else if (c >= 0xC0 && c <= 0xDF)
        n = 2, cp = c & 31, min = 0x80;
    else
        return false;
    if ((size_t)(r->end - r->p) < n)
        return false;
    for (unsigned k = 1; k < n; k++) {
        if ((r->p[k] & 0xC0) != 0x80)
            return false;
        cp = cp << 6 | (r->p[k] & 0x3F);
    }
    r->p += n;
    return cp >= min && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
}

static bool ref_string(ref *r)
{
    r->p++; /* the opening quote */
    while (r->p < r->end) {
        unsigned c = *r->p;
        if (c == '"') {
            r->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c >= 0x80) {
            if (!ref_utf8(r))
                return false;
            continue;
        }
        r->p++;
        if (c != '\\')
            continue;
        if (r->p >= r->end)
            return false;
        c = *r->p++;
        if (c == 'u') {
            for (int k = 0; k < 4; k++, r->p++)
                if (r->p >= r->end || !strchr("0123456789abcdefABCDEF", *r->p) || !*r->p)
                    return false;
        } else if (!strchr("\"\\/bfnrt", (int)c) || !c) {
            return false;
        }
    }
    return false;
}

static bool ref_container(ref *r, unsigned depth, bool object)
{
    char close = object ? '}' : ']';
    if (depth >= CN_JSON_MAX_DEPTH)
        return false;
    r->p++;
    ref_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return true;
    }
    for (;;) {
        if (object) {
            if (r->p >= r->end || *r->p != '"' || !ref_string(r))
                return false;
            ref_ws(r);
            if (r->p >= r->end || *r->p++ != ':')
                return false;
            ref_ws(r);
        }
        if (!ref_value(r, depth + 1))
            return false;
        ref_ws(r);
        if (r->p >= r->end)
            return false;
        if (*r->p == close) {
            r->p++;
            return true;
        }
        if (*r->p++ != ',')
            return false;
        ref_ws(r);
    }
}

static bool ref_value(ref *r, unsigned depth)
{
    if (r->p >= r->end)
        return false;
    switch (*r->p) {
    case '{': return ref_container(r, depth, true);
    case '[': return ref_container(r, depth, false);
    case '"': return ref_string(r);
    case 't': return ref_lit(r, "true");
    case 'f': return ref_lit(r, "false");
    case 'n': return ref_lit(r, "null");
    default: return ref_number(r);
    }
}

static bool ref_valid(const uint8_t *p, size_t n)
{
    ref r = {p, p + n};
    if (n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        return false;
    ref_ws(&r);
    if (!ref_value(&r, 0))
        return false;
    ref_ws(&r);
    return r.p == r.end;
}

/* ---- checks over a parsed document ---- */

/* Read every value below v; returns the nesting depth of v (1 for a container of scalars). */
static uint32_t walk(cn_jval v, cn_arena *a)
{
    cn_jiter it;
    cn_jval key, val;
    cairn_str s;
    uint32_t depth = 0, d;
    int64_t i;
    double f;
    cairn_rc ri, rf;

    switch (cn_json_typeof(v)) {
    case CN_JSON_STRING:
        CHECK(cn_json_str(v, a, &s) == CAIRN_OK);
        CHECK(cn_utf8_valid_prefix(s) == s.len);
        CHECK(s.len <= cn_json_raw(v).len - 2);
        return 0;
    case CN_JSON_NUMBER:
        ri = cn_json_i64(v, &i);
        rf = cn_json_f64(v, &f);
        CHECK(rf == CAIRN_OK || rf == CAIRN_RANGE);
        CHECK(ri == CAIRN_OK || ri == CAIRN_RANGE || ri == CAIRN_INVAL);
        if (ri == CAIRN_OK)
            CHECK(rf == CAIRN_OK && (double)i == f);
        return 0;
    case CN_JSON_ARRAY:
    case CN_JSON_OBJECT:
        it = cn_json_iter(v);
        while (cn_json_next(&it, &key, &val)) {
            CHECK(cn_json_exists(key) == cn_json_is(v, CN_JSON_OBJECT));
            if (cn_json_exists(key)) {
                CHECK(cn_json_is(key, CN_JSON_STRING));
                walk(key, a);
            }
            d = walk(val, a);
            depth = d > depth ? d : depth;
        }
        return depth + 1;
    default:
        CHECK(cn_json_exists(v));
        return 0;
    }
}

/* Write v with w; containers deeper than the writer's limit are written as raw text. */
static void emit(cn_jw *w, cn_jval v, cn_arena *a, uint32_t depth)
{
    cn_jiter it;
    cn_jval key, val;
    cairn_str s;
    int64_t i;
    double f;
    bool object = cn_json_is(v, CN_JSON_OBJECT);

    switch (cn_json_typeof(v)) {
    case CN_JSON_NULL: cn_jw_null(w); return;
    case CN_JSON_TRUE: cn_jw_bool(w, true); return;
    case CN_JSON_FALSE: cn_jw_bool(w, false); return;
    case CN_JSON_STRING:
        CHECK(cn_json_str(v, a, &s) == CAIRN_OK);
        cn_jw_str(w, s);
        return;
    case CN_JSON_NUMBER:
        if (cn_json_i64(v, &i) == CAIRN_OK)
            cn_jw_i64(w, i);
        else if (cn_json_f64(v, &f) == CAIRN_OK)
            cn_jw_f64(w, f);
        else
            cn_jw_raw(w, cn_json_raw(v));
        return;
    default:
        break;
    }
    if (depth + 1 >= CN_JW_MAX_DEPTH) {
        cn_jw_raw(w, cn_json_raw(v));
        return;
    }
    if (object)
        cn_jw_obj(w);
    else
        cn_jw_arr(w);
    it = cn_json_iter(v);
    while (cn_json_next(&it, &key, &val)) {
        if (object) {
            CHECK(cn_json_str(key, a, &s) == CAIRN_OK);
            cn_jw_key(w, cn_arena_strdup(a, s).ptr); /* a C string: cut at a NUL */
        }
        emit(w, val, a, depth + 1);
    }
    if (object)
        cn_jw_obj_end(w);
    else
        cn_jw_arr_end(w);
}

/* x (from the input) and y (from the writer's output) hold the same values. */
static void same(cn_jval x, cn_jval y, cn_arena *a, bool is_key)
{
    cn_jiter ix, iy;
    cn_jval kx, ky, vx, vy;
    cairn_str sx, sy;
    double fx, fy;

    CHECK(cn_json_typeof(x) == cn_json_typeof(y));
    switch (cn_json_typeof(x)) {
    case CN_JSON_STRING:
        CHECK(cn_json_str(x, a, &sx) == CAIRN_OK && cn_json_str(y, a, &sy) == CAIRN_OK);
        if (is_key && sy.len < sx.len) /* written by cn_jw_key, so cut at a NUL */
            sx.len = strnlen(sx.ptr, sx.len);
        CHECK(sx.len == sy.len && !memcmp(sx.ptr, sy.ptr, sx.len));
        return;
    case CN_JSON_NUMBER:
        if (cn_json_f64(x, &fx) == CAIRN_OK) {
            CHECK(cn_json_f64(y, &fy) == CAIRN_OK && fx == fy);
        } else {
            sx = cn_json_raw(x);
            CHECK(cn_str_eq(sx, cn_json_raw(y)));
        }
        return;
    case CN_JSON_ARRAY:
    case CN_JSON_OBJECT:
        ix = cn_json_iter(x);
        iy = cn_json_iter(y);
        while (cn_json_next(&ix, &kx, &vx)) {
            CHECK(cn_json_next(&iy, &ky, &vy));
            if (cn_json_exists(kx))
                same(kx, ky, a, true);
            same(vx, vy, a, false);
        }
        CHECK(!cn_json_next(&iy, &ky, &vy));
        return;
    default:
        return;
    }
}

static void check_document(cn_json *j, const char *p, size_t n, cn_arena *a, cn_buf *out)
{
    cn_json again;
    cn_jw w;
    uint32_t depth = walk(cn_json_root(j), a);

    /* a lower limit rejects exactly the documents that nest deeper */
    if (depth > 1) {
        cn_json lim;
        cn_json_init(&lim);
        lim.max_depth = depth - 1;
        CHECK(cn_json_parse(&lim, p, n, NULL) == CAIRN_PARSE);
        lim.max_depth = depth;
        CHECK(cn_json_parse(&lim, p, n, NULL) == CAIRN_OK);
        cn_json_release(&lim);
    }

    cn_buf_reset(out);
    cn_jw_init(&w, out, n & 1); /* pretty or not, by the input's parity */
    emit(&w, cn_json_root(j), a, 0);
    CHECK(cn_jw_finish(&w) == CAIRN_OK);
    cn_json_init(&again);
    CHECK(cn_json_parse(&again, out->ptr, out->len, NULL) == CAIRN_OK);
    same(cn_json_root(j), cn_json_root(&again), a, false);
    cn_json_release(&again);
}

static void parse_one(cn_json *j, const char *p, size_t n, cn_arena *a, cn_buf *out)
{
    cairn_err err;
    cairn_rc rc = cn_json_parse(j, p, n, &err);
    CHECK(rc == CAIRN_OK || rc == CAIRN_PARSE);
    CHECK((rc == CAIRN_OK) == ref_valid((const uint8_t *)p, n));
    if (rc == CAIRN_PARSE) {
        CHECK(strncmp(err.msg, "line ", 5) == 0);
        return;
    }
    check_document(j, p, n, a, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    cn_arena a;
    cn_buf out;
    cn_json j;
    cn_jsonl r;
    cairn_str line;
    cairn_rc rc;
    size_t last = 0;

    cn_arena_init(&a, 0, 0);
    cn_buf_init(&out, 0);
    cn_json_init(&j);
    parse_one(&j, size ? p : "", size, &a, &out);

    cn_jsonl_init(&r, (cairn_str){size ? p : "", size});
    while ((rc = cn_jsonl_next(&r, &line)) == CAIRN_OK) {
        CHECK(line.len > 0 && line.ptr >= p && line.ptr + line.len <= p + size);
        CHECK(!memchr(line.ptr, '\n', line.len));
        CHECK(cn_jsonl_offset(&r) > last && cn_jsonl_offset(&r) <= size);
        last = cn_jsonl_offset(&r);
        parse_one(&j, line.ptr, line.len, &a, &out);
    }
    /* at the end: all consumed, or only a partial line (no '\n') is left */
    CHECK(rc == CAIRN_NOTFOUND || rc == CAIRN_AGAIN);
    last = cn_jsonl_offset(&r);
    CHECK(rc == CAIRN_AGAIN ? last < size && !memchr(p + last, '\n', size - last) : last == size);

    cn_json_release(&j);
    cn_buf_release(&out);
    cn_arena_release(&a);
    return 0;
}
