/* Unit tests for json/: reader, accessors, JSONL, writer. (Conformance: tests/unit/test_json_conf.c) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "json/json.h"
#include "json/jsonl.h"
#include "json/write.h"

static void test_basic(void **state)
{
    (void)state;
    cn_json j;
    cn_json_init(&j);
    const char *s = "{\"a\": [1, 2.5, \"x\\ny\"], \"b\": {\"c\": true}, \"a\": null}";
    assert_int_equal(cn_json_parse(&j, s, strlen(s), NULL), CAIRN_OK);
    cn_jval r = cn_json_root(&j);
    assert_true(cn_json_is(r, CN_JSON_OBJECT));
    /* duplicate key: last wins */
    assert_true(cn_json_is(cn_json_get(r, "a"), CN_JSON_NULL));
    assert_true(cn_json_is(cn_json_path(r, "b", "c", NULL), CN_JSON_TRUE));
    assert_false(cn_json_exists(cn_json_get(r, "zz")));
    assert_int_equal(cn_json_count(r), 3);
    cn_json_release(&j);
}

static void test_strings(void **state)
{
    (void)state;
    cn_json j;
    cn_arena a;
    cn_json_init(&j);
    cn_arena_init(&a, 0, 0);
    const char *s = "[\"plain\", \"t\\u00e9\\t\\ud83d\\ude00\", \"\\ud800x\"]";
    assert_int_equal(cn_json_parse(&j, s, strlen(s), NULL), CAIRN_OK);
    cn_jiter it = cn_json_iter(cn_json_root(&j));
    cn_jval v;
    cairn_str out;
    assert_true(cn_json_next(&it, NULL, &v));
    assert_int_equal(cn_json_str(v, &a, &out), CAIRN_OK);
    assert_ptr_equal(out.ptr, s + 2); /* zero-copy */
    assert_true(cn_json_next(&it, NULL, &v));
    assert_int_equal(cn_json_str(v, &a, &out), CAIRN_OK);
    assert_string_equal(out.ptr, "t\xC3\xA9\t\xF0\x9F\x98\x80");
    assert_true(cn_json_next(&it, NULL, &v));
    assert_int_equal(cn_json_str(v, &a, &out), CAIRN_OK);
    assert_string_equal(out.ptr, "\xEF\xBF\xBDx"); /* lone surrogate -> U+FFFD */
    assert_false(cn_json_next(&it, NULL, &v));
    cn_arena_release(&a);
    cn_json_release(&j);
}

static void test_numbers(void **state)
{
    (void)state;
    cn_json j;
    int64_t i;
    double d;
    cn_json_init(&j);
    const char *s = "[9223372036854775807, 9223372036854775808, -5, 1e3, 1.5, 1e400]";
    assert_int_equal(cn_json_parse(&j, s, strlen(s), NULL), CAIRN_OK);
    cn_jiter it = cn_json_iter(cn_json_root(&j));
    cn_jval v;
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_i64(v, &i), CAIRN_OK);
    assert_true(i == INT64_MAX);
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_i64(v, &i), CAIRN_RANGE);
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_i64(v, &i), CAIRN_OK);
    assert_true(i == -5);
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_i64(v, &i), CAIRN_OK);
    assert_true(i == 1000);
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_i64(v, &i), CAIRN_INVAL);
    assert_int_equal(cn_json_f64(v, &d), CAIRN_OK);
    assert_true(d == 1.5);
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_f64(v, &d), CAIRN_RANGE);
    cn_json_release(&j);
}

static void expect_fail(const char *s, size_t n, const char *what)
{
    cn_json j;
    cairn_err e;
    cn_json_init(&j);
    assert_int_equal(cn_json_parse(&j, s, n, &e), CAIRN_PARSE);
    if (!strstr(e.msg, what))
        fail_msg("'%s': got '%s', expected '%s'", s, e.msg, what);
    cn_json_release(&j);
}

static void test_errors(void **state)
{
    (void)state;
    expect_fail("[1,2,]", 6, "trailing comma");
    expect_fail("{\"a\":1,}", 8, "trailing comma");
    expect_fail("[01]", 4, "leading zero");
    expect_fail("", 0, "empty input");
    expect_fail("\xEF\xBB\xBF{}", 5, "byte order mark");
    expect_fail("[\"a\x01\"]", 6, "control character");
    expect_fail("[\"\xC0\x80\"]", 6, "invalid UTF-8");
    expect_fail("[\"\xED\xA0\x80\"]", 7, "invalid UTF-8");
    expect_fail("{\"a\"\n 1}", 8, "line 2, column 2");
    expect_fail("[1] x", 5, "after the JSON value");
    expect_fail("[\"abc", 5, "unterminated string");
    char deep[1200];
    memset(deep, '[', 600);
    memset(deep + 600, ']', 600);
    expect_fail(deep, sizeof deep, "nesting too deep");
}

static void test_jsonl(void **state)
{
    (void)state;
    const char *s = "{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":";
    cn_jsonl r;
    cairn_str line;
    cn_jsonl_init(&r, (cairn_str){s, strlen(s)});
    assert_int_equal(cn_jsonl_next(&r, &line), CAIRN_OK);
    assert_int_equal(line.len, 7);
    assert_int_equal(r.line_no, 1);
    assert_int_equal(cn_jsonl_next(&r, &line), CAIRN_OK);
    assert_memory_equal(line.ptr, "{\"b\":2}", 7);
    assert_int_equal(r.line_no, 4);
    assert_int_equal(cn_jsonl_next(&r, &line), CAIRN_AGAIN);
    assert_int_equal(cn_jsonl_offset(&r), strlen(s) - 5);
}

static void test_writer(void **state)
{
    (void)state;
    cn_buf b;
    cn_jw w;
    cn_buf_init(&b, 0);
    cn_jw_init(&w, &b, false);
    cn_jw_obj(&w);
    cn_jw_key(&w, "s");
    cn_jw_str(&w, (cairn_str){"q\"\\\n\x01\xFF", 6});
    cn_jw_key(&w, "n");
    cn_jw_arr(&w);
    cn_jw_i64(&w, -3);
    cn_jw_f64(&w, 0.1);
    cn_jw_bool(&w, true);
    cn_jw_null(&w);
    cn_jw_arr_end(&w);
    cn_jw_obj_end(&w);
    assert_int_equal(cn_jw_finish(&w), CAIRN_OK);
    assert_string_equal(cn_buf_cstr(&b),
                        "{\"s\":\"q\\\"\\\\\\n\\u0001\xEF\xBF\xBD\",\"n\":[-3,0.1,true,null]}");
    /* the output reads back */
    cn_json j;
    cn_json_init(&j);
    assert_int_equal(cn_json_parse(&j, b.ptr, b.len, NULL), CAIRN_OK);
    cn_json_release(&j);
    cn_jw_init(&w, &b, false);
    cn_jw_obj(&w);
    assert_int_equal(cn_jw_finish(&w), CAIRN_INVAL); /* unclosed */
    cn_buf_release(&b);
}

/* cn_jw_f64 writes what %.15g (or %.17g, if %.15g does not read back) writes. */
static void expect_f64(double v)
{
    char want[40];
    snprintf(want, sizeof want, "%.15g", v);
    if (strtod(want, NULL) != v)
        snprintf(want, sizeof want, "%.17g", v);
    cn_buf b;
    cn_jw w;
    cn_buf_init(&b, 0);
    cn_jw_init(&w, &b, false);
    cn_jw_f64(&w, v);
    if (strcmp(cn_buf_cstr(&b), want))
        fail_msg("cn_jw_f64(%.17g) wrote '%s', not '%s'", v, cn_buf_cstr(&b), want);
    cn_buf_release(&b);
}

static void test_writer_numbers(void **state)
{
    (void)state;
    static const double fixed[] = {0,      -0.0,      1,        -1,     0.5,       0.1,
                                   0.85,   0.0001,    0.00012,  0.00009, 1e-4,     1e9,
                                   999999999.999999, 123456789.5, 3.14159265358979,
                                   0.3333333333333333, 1e-7, 2.5e15, -42.125, 0.000001,
                                   100,    1000000,   0.999999, 5e-324, 1.7976931348623157e308};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        expect_f64(fixed[i]);
    uint64_t x = 0x9E3779B97F4A7C15u; /* every short decimal of a sweep, and random doubles */
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t k = (int64_t)(x % 2000000000000u) - 1000000000000;
        expect_f64((double)k / 1e6);
        expect_f64((double)(x % 1000) / (double)(1 + (x >> 40) % 1000));
        double d;
        memcpy(&d, &x, sizeof d);
        if (isfinite(d))
            expect_f64(d);
    }
}

/* cn_jw_raw_take: the whole document is taken as it is, a part is copied (and freed). */
static void test_writer_raw_take(void **state)
{
    (void)state;
    cn_buf b;
    cn_jw w;
    cn_buf_init(&b, 0);
    cn_jw_init(&w, &b, false);
    char *doc = strdup("{\"a\":[1,2]}");
    assert_non_null(doc);
    cn_jw_raw_take(&w, doc, strlen(doc));
    assert_int_equal(cn_jw_finish(&w), CAIRN_OK);
    assert_ptr_equal(b.ptr, doc); /* no copy */
    assert_string_equal(cn_buf_cstr(&b), "{\"a\":[1,2]}");
    assert_int_equal(cn_buf_add(&b, " ", 1), CAIRN_OK); /* and it can grow */
    cn_buf_release(&b);

    cn_buf_init(&b, 0);
    cn_jw_init(&w, &b, false);
    cn_jw_obj(&w);
    cn_jw_key(&w, "x");
    char *part = strdup("[true]");
    assert_non_null(part);
    cn_jw_raw_take(&w, part, strlen(part)); /* copied; part is freed (ASan would tell) */
    cn_jw_key(&w, "y");
    cn_jw_i64(&w, 7);
    cn_jw_obj_end(&w);
    assert_int_equal(cn_jw_finish(&w), CAIRN_OK);
    assert_string_equal(cn_buf_cstr(&b), "{\"x\":[true],\"y\":7}");
    cn_buf_release(&b);

    cn_buf_init(&b, 4); /* over the output's limit: an error, and the text is freed */
    cn_jw_init(&w, &b, false);
    char *big = strdup("[1,2,3]");
    assert_non_null(big);
    cn_jw_raw_take(&w, big, strlen(big));
    assert_int_equal(cn_jw_finish(&w), CAIRN_TOOBIG);
    cn_buf_release(&b);
}

/* What cn_json_escape must write for s, one byte at a time: the oracle of test_escape_fast. */
static void escape_slowly(cn_buf *out, const unsigned char *s, size_t n)
{
    cn_buf_addc(out, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t u = c >= 0x80 ? cn_utf8_check(s + i, s + n) : 0;
        if (u) { /* valid UTF-8: as it is */
            cn_buf_add(out, s + i, u);
            i += u;
            continue;
        }
        i++;
        if (c >= 0x80)
            cn_buf_add(out, "\xEF\xBF\xBD", 3);
        else if (c == '"' || c == '\\')
            cn_buf_addf(out, "\\%c", c);
        else if (c == '\n')
            cn_buf_adds(out, "\\n");
        else if (c == '\r')
            cn_buf_adds(out, "\\r");
        else if (c == '\t')
            cn_buf_adds(out, "\\t");
        else if (c == '\b')
            cn_buf_adds(out, "\\b");
        else if (c == '\f')
            cn_buf_adds(out, "\\f");
        else if (c < 0x20)
            cn_buf_addf(out, "\\u%04x", c);
        else
            cn_buf_addc(out, (char)c);
    }
    cn_buf_addc(out, '"');
}

static void same_escape(const unsigned char *s, size_t n)
{
    cn_buf fast, slow;
    cn_buf_init(&fast, 0);
    cn_buf_init(&slow, 0);
    cn_buf_adds(&fast, "x"); /* after other output, as in a document */
    cn_buf_adds(&slow, "x");
    assert_int_equal(cn_json_escape(&fast, (cairn_str){(const char *)s, n}), CAIRN_OK);
    escape_slowly(&slow, s, n);
    if (fast.len != slow.len || memcmp(fast.ptr, slow.ptr, fast.len) || fast.ptr[fast.len])
        fail_msg("escape of %zu bytes: got %zu bytes '%s', want %zu '%s'", n, fast.len, fast.ptr,
                 slow.len, slow.ptr);
    cn_buf_release(&fast);
    cn_buf_release(&slow);
}

/*
 * cn_json_escape scans eight bytes at a time: every byte that needs care, at every
 * place of a word and of the tail, and random bytes, give what a byte-by-byte
 * escape gives.
 */
static void test_escape_fast(void **state)
{
    (void)state;
    static const char *const odd[] = {
        "\x00",
        "\x01",
        "\x1f",
        " ",
        "\"",
        "\\",
        "\x7f",
        "\n",
        "\x80",
        "\xff",
        "\xc3\xa9",
        "\xe2\x82\xac",
        "\xf0\x9f\x98\x80",
        "\xed\xa0\x80",
        "\xc3",
        "\xe2\x82",
        "~",
    };
    static const size_t odd_len[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 3, 1, 2, 1};
    unsigned char s[96];
    same_escape(NULL, 0);
    for (size_t len = 0; len <= 40; len++)
        for (size_t at = 0; at <= len; at++)
            for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
                memset(s, 'a', at); /* len plain bytes, odd[k] among them at at */
                memcpy(s + at, odd[k], odd_len[k]);
                memset(s + at + odd_len[k], 'a', len - at);
                same_escape(s, len + odd_len[k]);
            }
    uint32_t seed = 7;
    for (int round = 0; round < 20000; round++) {
        size_t n = (seed = seed * 1103515245u + 12345u) >> 16 & 63;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            /* mostly plain text, so the runs are long enough for the words */
            s[i] = (unsigned char)(r % 8 ? 0x20 + r % 0x5f : r >> 3);
        }
        same_escape(s, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_numbers), cmocka_unit_test(test_writer_raw_take),
        cmocka_unit_test(test_escape_fast),    cmocka_unit_test(test_basic),
        cmocka_unit_test(test_strings),        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_jsonl),
        cmocka_unit_test(test_writer),
    };
    return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
