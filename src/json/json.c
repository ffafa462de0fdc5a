/*
 * json/json.c - the strict JSON tokenizer and the value accessors.
 *
 * One pass over the input, no recursion: an explicit stack of open
 * containers (bounded by max_depth) and a tape of 16-byte tokens.
 * Invariants of the tape after a successful parse:
 *  - token 0 is the root; a container's children follow it in order, and
 *    tok[c].next is the index just past its last descendant, so a subtree is
 *    skipped in O(1);
 *  - an object's children alternate key (a string token), value.
 * Strings are scanned 32 bytes at a time with SSE2 where available: one
 * signed compare against 0x20 catches both control characters and bytes
 * >= 0x80 (negative as signed), which then get the strict UTF-8 check.
 */
#include "json/json.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/err.h"
#include "base/utf8.h"

void cn_json_init(cn_json *j)
{
    memset(j, 0, sizeof *j);
}

void cn_json_release(cn_json *j)
{
    if (!j)
        return;
    free(j->tok);
    j->tok = NULL;
    j->ntok = j->cap = 0;
}

void cn_json_locate(const char *p, size_t n, size_t off, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < off && i < n; i++) {
        if (p[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static cairn_rc fail(const cn_json *j, cairn_err *err, const char *at, const char *what)
{
    size_t line, col;
    cn_json_locate(j->src, j->len, (size_t)(at - j->src), &line, &col);
    return cn_err_set(err, CAIRN_PARSE, "line %zu, column %zu: %s", line, col, what);
}

static int grow(cn_json *j)
{
    uint32_t cap = j->cap ? j->cap * 2 : 256;
    cn_jtok *t;
    if (j->cap >= UINT32_MAX / 2)
        return -1;
    t = realloc(j->tok, (size_t)cap * sizeof *t);
    if (!t)
        return -1;
    j->tok = t;
    j->cap = cap;
    return 0;
}

static const unsigned char ws_table[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && ws_table[(unsigned char)*p])
        p++;
    return p;
}

static inline int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Four hex digits at p (p + 4 <= end checked by the caller); -1 if not hex. */
static long hex4(const char *p)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Bytes taken by a backslash escape, by the byte after the backslash: 0 = invalid. */
static const unsigned char escape_len[256] = {
    ['"'] = 2, ['\\'] = 2, ['/'] = 2, ['b'] = 2, ['f'] = 2, ['n'] = 2, ['r'] = 2, ['t'] = 2,
    ['u'] = 6,
};

/*
 * The byte at s is a backslash, a control character or >= 0x80 (inside a
 * string): the number of bytes of the escape or UTF-8 sequence it starts,
 * always within end, or 0 with *why set when it is invalid there.
 */
static inline size_t scan_special(const char *s, const char *end, uint8_t *flags, const char **why)
{
    unsigned char c = (unsigned char)*s;
    size_t n;

    if (c == '\\') {
        *flags |= CN_JTOK_ESCAPED;
        if (end - s < 2) {
            *why = "unterminated string";
            return 0;
        }
        n = escape_len[(unsigned char)s[1]];
        if (n == 2)
            return 2;
        if (n == 0) {
            *why = "invalid escape in string";
            return 0;
        }
        if (end - s < 6 || hex4(s + 2) < 0) {
            *why = "invalid \\u escape: expected four hex digits";
            return 0;
        }
        return 6;
    }
    if (c < 0x20) {
        *why = "raw control character in string (must be escaped)";
        return 0;
    }
    n = cn_utf8_check((const unsigned char *)s, (const unsigned char *)end);
    if (!n)
        *why = "invalid UTF-8 in string";
    return n;
}

#ifdef __SSE2__
/* Bit k set when p[k] (k < 16) is a quote, a backslash, < 0x20 or >= 0x80 (signed compare). */
static inline uint32_t special_mask16(const char *p)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    const __m128i ctl = _mm_set1_epi8(0x20);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                               _mm_cmplt_epi8(v, ctl));
    return (uint32_t)_mm_movemask_epi8(hit);
}
#endif

/*
 * Scan a string body starting after the opening quote.  Returns a pointer to
 * the closing quote, or NULL with *why set (and *at at the fault).
 * The SIMD loop takes 32 bytes (16 near the end of the input) per step and
 * handles every special byte of the block from its one mask: escapes come
 * every 15 bytes in tool outputs, and leaving the loop for each one cost
 * 20% of the throughput.  A sequence that runs past the block restarts the
 * loop after it.
 */
static const char *scan_string(const char *p, const char *end, uint8_t *flags, const char **at,
                               const char **why)
{
    size_t n;
#ifdef __SSE2__
    while (end - p >= 16) {
        uint32_t m = special_mask16(p);
        unsigned width = 16;
        if (end - p >= 32) {
            m |= special_mask16(p + 16) << 16;
            width = 32;
        }
        unsigned adv = width;
        while (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            if (p[k] == '"')
                return p + k;
            if (!(n = scan_special(p + k, end, flags, why))) {
                *at = p + k;
                return NULL;
            }
            k += (unsigned)n;
            if (k >= width) {
                adv = k;
                break;
            }
            m &= ~(uint32_t)0 << k; /* drop the bytes the sequence took */
        }
        p += adv;
    }
#endif
    for (;;) {
        if (p >= end) {
            *at = p;
            *why = "unterminated string";
            return NULL;
        }
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p;
        if (c != '\\' && c >= 0x20 && c < 0x80) {
            p++;
            continue;
        }
        if (!(n = scan_special(p, end, flags, why))) {
            *at = p;
            return NULL;
        }
        p += n;
    }
}

static const char *scan_number(const char *p, const char *end, uint8_t *flags, const char **why)
{
    if (*p == '-')
        p++;
    if (p >= end || *p < '0' || *p > '9') {
        *why = "invalid number";
        return NULL;
    }
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9') {
            *why = "leading zero in number";
            return NULL;
        }
    } else {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && *p == '.') {
        *flags |= CN_JTOK_FLOAT;
        p++;
        if (p >= end || *p < '0' || *p > '9') {
            *why = "expected a digit after '.' in number";
            return NULL;
        }
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *flags |= CN_JTOK_FLOAT;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9') {
            *why = "expected a digit in exponent";
            return NULL;
        }
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return p;
}

#define PUSH(type_, start_, len_, flags_)                                                         \
    do {                                                                                          \
        if (j->ntok == j->cap && grow(j))                                                         \
            return cn_err_set(err, CAIRN_NOMEM, "out of memory for JSON tokens");                 \
        cn_jtok *t_ = &j->tok[j->ntok];                                                           \
        t_->start = (uint32_t)((start_)-src);                                                     \
        t_->len = (uint32_t)(len_);                                                               \
        t_->next = j->ntok + 1;                                                                   \
        t_->type = (type_);                                                                       \
        t_->flags = (flags_);                                                                     \
        t_->unused = 0;                                                                           \
        j->ntok++;                                                                                \
    } while (0)

cairn_rc cn_json_parse(cn_json *j, const char *src, size_t n, cairn_err *err)
{
    uint32_t open[CN_JSON_MAX_DEPTH];
    uint32_t depth = 0, max_depth = j->max_depth ? j->max_depth : CN_JSON_MAX_DEPTH;
    const char *p = src, *end = src + n, *at, *why, *q;
    uint8_t flags;

    if (max_depth > CN_JSON_MAX_DEPTH)
        max_depth = CN_JSON_MAX_DEPTH;
    j->src = src;
    j->len = n;
    j->ntok = 0;
    if (n > CN_JSON_MAX_INPUT)
        return cn_err_set(err, CAIRN_TOOBIG, "JSON input of %zu bytes is over the limit", n);
    if (n >= 3 && !memcmp(src, "\xEF\xBB\xBF", 3))
        return fail(j, err, p, "byte order mark at the start (not allowed in JSON)");
    p = skip_ws(p, end);
    if (p == end)
        return fail(j, err, p, n ? "no value, only white space" : "empty input");

value:
    switch (*p) {
    case '{':
    case '[':
        if (depth == max_depth)
            return fail(j, err, p, "nesting too deep");
        open[depth++] = j->ntok;
        PUSH(*p == '{' ? CN_JSON_OBJECT : CN_JSON_ARRAY, p, 0, 0);
        p = skip_ws(p + 1, end);
        if (p < end && *p == (j->tok[open[depth - 1]].type == CN_JSON_OBJECT ? '}' : ']'))
            goto close;
        if (j->tok[open[depth - 1]].type == CN_JSON_OBJECT)
            goto key;
        if (p == end)
            return fail(j, err, p, "unexpected end of input in array");
        goto value;
    case '"':
        flags = 0;
        q = scan_string(p + 1, end, &flags, &at, &why);
        if (!q)
            return fail(j, err, at, why);
        PUSH(CN_JSON_STRING, p + 1, q - p - 1, flags);
        p = q + 1;
        goto after;
    case 't':
        if (end - p >= 4 && !memcmp(p, "true", 4)) {
            PUSH(CN_JSON_TRUE, p, 4, 0);
            p += 4;
            goto after;
        }
        break;
    case 'f':
        if (end - p >= 5 && !memcmp(p, "false", 5)) {
            PUSH(CN_JSON_FALSE, p, 5, 0);
            p += 5;
            goto after;
        }
        break;
    case 'n':
        if (end - p >= 4 && !memcmp(p, "null", 4)) {
            PUSH(CN_JSON_NULL, p, 4, 0);
            p += 4;
            goto after;
        }
        break;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        flags = 0;
        q = scan_number(p, end, &flags, &why);
        if (!q)
            return fail(j, err, p, why);
        PUSH(CN_JSON_NUMBER, p, q - p, flags);
        p = q;
        goto after;
    case ']':
    case '}':
        if (depth && p > src) {
            const char *b = p - 1;
            while (b > src && ws_table[(unsigned char)*b])
                b--;
            if (*b == ',')
                return fail(j, err, b, "trailing comma");
        }
        return fail(j, err, p, "expected a value");
    default:
        break;
    }
    return fail(j, err, p, (unsigned char)*p >= 0x80 ? "unexpected byte outside a string"
                                                      : "expected a value");

key:
    if (p == end)
        return fail(j, err, p, "unexpected end of input in object");
    if (*p != '"') {
        if (*p == '}')
            return fail(j, err, p, "trailing comma");
        return fail(j, err, p, "expected a string key");
    }
    flags = 0;
    q = scan_string(p + 1, end, &flags, &at, &why);
    if (!q)
        return fail(j, err, at, why);
    PUSH(CN_JSON_STRING, p + 1, q - p - 1, flags);
    p = skip_ws(q + 1, end);
    if (p == end || *p != ':')
        return fail(j, err, p, "expected ':' after key");
    p = skip_ws(p + 1, end);
    if (p == end)
        return fail(j, err, p, "unexpected end of input in object");
    goto value;

after:
    if (depth == 0)
        goto done;
    p = skip_ws(p, end);
    if (p == end)
        return fail(j, err, p, "unexpected end of input: unclosed container");
    if (j->tok[open[depth - 1]].type == CN_JSON_OBJECT) {
        if (*p == ',') {
            p = skip_ws(p + 1, end);
            goto key;
        }
        if (*p == '}')
            goto close;
        return fail(j, err, p, "expected ',' or '}' in object");
    }
    if (*p == ',') {
        p = skip_ws(p + 1, end);
        if (p == end)
            return fail(j, err, p, "unexpected end of input in array");
        goto value;
    }
    if (*p == ']')
        goto close;
    return fail(j, err, p, "expected ',' or ']' in array");

close: {
    cn_jtok *c = &j->tok[open[--depth]];
    c->len = (uint32_t)(p + 1 - (src + c->start));
    c->next = j->ntok;
    p++;
    goto after;
}

done:
    p = skip_ws(p, end);
    if (p != end)
        return fail(j, err, p, "unexpected data after the JSON value");
    return CAIRN_OK;
}

/* ---- accessors ---- */

cn_jval cn_json_root(const cn_json *j)
{
    return (cn_jval){j, j->ntok ? 0 : UINT32_MAX};
}

static const char *unescape(const char *s, size_t n, char *d)
{
    const char *end = s + n;
    while (s < end) {
        if (*s != '\\') {
            *d++ = *s++;
            continue;
        }
        char e = s[1];
        s += 2;
        switch (e) {
        case 'b': *d++ = '\b'; continue;
        case 'f': *d++ = '\f'; continue;
        case 'n': *d++ = '\n'; continue;
        case 'r': *d++ = '\r'; continue;
        case 't': *d++ = '\t'; continue;
        case 'u': break;
        default: *d++ = e; continue;
        }
        unsigned long cp = (unsigned long)hex4(s);
        s += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && end - s >= 6 && s[0] == '\\' && s[1] == 'u') {
            long lo = hex4(s + 2);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)lo - 0xDC00);
                s += 6;
            }
        }
        if (cp >= 0xD800 && cp <= 0xDFFF)
            cp = 0xFFFD; /* lone surrogate */
        if (cp < 0x80) {
            *d++ = (char)cp;
        } else if (cp < 0x800) {
            *d++ = (char)(0xC0 | (cp >> 6));
            *d++ = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            *d++ = (char)(0xE0 | (cp >> 12));
            *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
            *d++ = (char)(0x80 | (cp & 0x3F));
        } else {
            *d++ = (char)(0xF0 | (cp >> 18));
            *d++ = (char)(0x80 | ((cp >> 12) & 0x3F));
            *d++ = (char)(0x80 | ((cp >> 6) & 0x3F));
            *d++ = (char)(0x80 | (cp & 0x3F));
        }
    }
    return d;
}

static bool key_is(const cn_json *j, const cn_jtok *k, const char *key, size_t klen)
{
    const char *s = j->src + k->start;
    if (!(k->flags & CN_JTOK_ESCAPED))
        return k->len == klen && !memcmp(s, key, klen);
    if (k->len > 512 || k->len < klen)
        return false;
    char tmp[512];
    size_t n = (size_t)(unescape(s, k->len, tmp) - tmp);
    return n == klen && !memcmp(tmp, key, klen);
}

cn_jval cn_json_get(cn_jval obj, const char *key)
{
    cn_jval r = {obj.doc, UINT32_MAX};
    if (cn_json_typeof(obj) != CN_JSON_OBJECT)
        return r;
    const cn_jtok *t = obj.doc->tok;
    size_t klen = strlen(key);
    for (uint32_t i = obj.i + 1, end = t[obj.i].next; i < end; i = t[i + 1].next)
        if (key_is(obj.doc, &t[i], key, klen))
            r.i = i + 1;
    return r;
}

cn_jval cn_json_path(cn_jval v, ...)
{
    va_list ap;
    const char *k;
    va_start(ap, v);
    while ((k = va_arg(ap, const char *)) != NULL && cn_json_exists(v))
        v = cn_json_get(v, k);
    va_end(ap);
    return v;
}

void cn_json_fields(cn_jval obj, const char *const *keys, size_t n, cn_jval *vals)
{
    size_t lens[64];
    for (size_t k = 0; k < n; k++)
        vals[k] = (cn_jval){obj.doc, UINT32_MAX};
    if (cn_json_typeof(obj) != CN_JSON_OBJECT || n > 64)
        return;
    for (size_t k = 0; k < n; k++)
        lens[k] = strlen(keys[k]);
    const cn_jtok *t = obj.doc->tok;
    for (uint32_t i = obj.i + 1, end = t[obj.i].next; i < end; i = t[i + 1].next)
        for (size_t k = 0; k < n; k++)
            if (key_is(obj.doc, &t[i], keys[k], lens[k]))
                vals[k].i = i + 1;
}

cairn_str cn_json_raw(cn_jval v)
{
    if (!cn_json_exists(v))
        return (cairn_str){NULL, 0};
    const cn_jtok *t = &v.doc->tok[v.i];
    if (t->type == CN_JSON_STRING)
        return (cairn_str){v.doc->src + t->start - 1, (size_t)t->len + 2};
    return (cairn_str){v.doc->src + t->start, t->len};
}

cairn_rc cn_json_str(cn_jval v, cn_arena *arena, cairn_str *out)
{
    if (cn_json_typeof(v) != CN_JSON_STRING)
        return CAIRN_INVAL;
    const cn_jtok *t = &v.doc->tok[v.i];
    const char *s = v.doc->src + t->start;
    if (!(t->flags & CN_JTOK_ESCAPED)) {
        *out = (cairn_str){s, t->len};
        return CAIRN_OK;
    }
    char *d = cn_arena_bytes(arena, (size_t)t->len + 1);
    if (!d)
        return CAIRN_NOMEM;
    char *e = (char *)unescape(s, t->len, d);
    *e = '\0';
    *out = (cairn_str){d, (size_t)(e - d)};
    return CAIRN_OK;
}

cairn_str cn_json_str_or(cn_jval v, cn_arena *arena)
{
    cairn_str s = {NULL, 0};
    if (cn_json_str(v, arena, &s) != CAIRN_OK)
        return (cairn_str){NULL, 0};
    return s;
}

bool cn_json_str_eq(cn_jval v, const char *s)
{
    if (cn_json_typeof(v) != CN_JSON_STRING)
        return false;
    return key_is(v.doc, &v.doc->tok[v.i], s, strlen(s));
}

cairn_rc cn_json_f64(cn_jval v, double *out)
{
    char tmp[128], *buf = tmp, *endp;
    if (cn_json_typeof(v) != CN_JSON_NUMBER)
        return CAIRN_INVAL;
    cairn_str r = cn_json_raw(v);
    if (r.len >= sizeof tmp && !(buf = malloc(r.len + 1)))
        return CAIRN_NOMEM;
    memcpy(buf, r.ptr, r.len);
    buf[r.len] = '\0';
    double d = strtod(buf, &endp);
    if (buf != tmp)
        free(buf);
    if (d == __builtin_inf() || d == -__builtin_inf())
        return CAIRN_RANGE;
    *out = d;
    return CAIRN_OK;
}

cairn_rc cn_json_i64(cn_jval v, int64_t *out)
{
    if (cn_json_typeof(v) != CN_JSON_NUMBER)
        return CAIRN_INVAL;
    const cn_jtok *t = &v.doc->tok[v.i];
    if (t->flags & CN_JTOK_FLOAT) {
        double d;
        cairn_rc rc = cn_json_f64(v, &d);
        if (rc)
            return rc;
        /* range first: converting an out-of-range double is undefined; all are integral */
        if (d >= 9223372036854775808.0 || d < -9223372036854775808.0)
            return CAIRN_RANGE;
        if (d != (double)(int64_t)d)
            return CAIRN_INVAL;
        *out = (int64_t)d;
        return CAIRN_OK;
    }
    const char *s = v.doc->src + t->start;
    bool neg = *s == '-';
    uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (size_t k = neg; k < t->len; k++) {
        unsigned d = (unsigned)(s[k] - '0');
        if (acc > (lim - d) / 10)
            return CAIRN_RANGE;
        acc = acc * 10 + d;
    }
    *out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
    return CAIRN_OK;
}

int64_t cn_json_i64_or(cn_jval v, int64_t def)
{
    int64_t x;
    return cn_json_i64(v, &x) == CAIRN_OK ? x : def;
}

double cn_json_f64_or(cn_jval v, double def)
{
    double x;
    return cn_json_f64(v, &x) == CAIRN_OK ? x : def;
}

bool cn_json_bool_or(cn_jval v, bool def)
{
    switch (cn_json_typeof(v)) {
    case CN_JSON_TRUE:
        return true;
    case CN_JSON_FALSE:
        return false;
    default:
        return def;
    }
}

cn_jiter cn_json_iter(cn_jval c)
{
    cn_json_type t = cn_json_typeof(c);
    if (t != CN_JSON_ARRAY && t != CN_JSON_OBJECT)
        return (cn_jiter){c.doc, 0, 0, false};
    return (cn_jiter){c.doc, c.i + 1, c.doc->tok[c.i].next, t == CN_JSON_OBJECT};
}

bool cn_json_next(cn_jiter *it, cn_jval *key, cn_jval *val)
{
    if (it->i >= it->end)
        return false;
    if (it->object) {
        if (key)
            *key = (cn_jval){it->doc, it->i};
        it->i++;
    } else if (key) {
        *key = (cn_jval){it->doc, UINT32_MAX};
    }
    *val = (cn_jval){it->doc, it->i};
    it->i = it->doc->tok[it->i].next;
    return true;
}

size_t cn_json_count(cn_jval c)
{
    cn_jiter it = cn_json_iter(c);
    cn_jval v;
    size_t n = 0;
    while (cn_json_next(&it, NULL, &v))
        n++;
    return n;
}
