/*
 * Conformance of the JSON reader (docs/JSON.md).
 *
 * Two sets of files, each parsed from an exact-size heap copy so that
 * AddressSanitizer sees any read past the end:
 *  - cairn's own cases in tests/data/json: ok_* must parse; bad_* must fail
 *    with CAIRN_PARSE, a "line L, column C" message, and the reason listed
 *    for the file in tests/data/json/reasons.txt;
 *  - the JSONTestSuite parsing cases in <shared>/fixtures/json/JSONTestSuite:
 *    y_ accepted, n_ rejected, i_ as decided in i_decisions below, which
 *    docs/JSON.md must state identically.  <shared> is $CAIRN_SHARED_DIR or
 *    the CAIRN_SHARED_DIR given by meson; a missing suite is a failure.
 * Every accepted document is also walked: each string unescapes to valid
 * UTF-8 and each number reads without an error other than CAIRN_RANGE.
 * Runs with the working directory tests/ (meson's workdir).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/str.h"
#include "json/json.h"

#ifndef CAIRN_SHARED_DIR
#define CAIRN_SHARED_DIR "../../shared"
#endif

#define DATA_DIR "data/json"
#define DOC_PATH "../docs/JSON.md"
#define SUITE_SUBDIR "/fixtures/json/JSONTestSuite/test_parsing"
#define MAX_FILE ((size_t)64 << 20)

/* The i_ cases of JSONTestSuite: true = accept.  docs/JSON.md gives the reasons. */
static const struct {
    const char *name;
    bool accept;
} i_decisions[] = {
    {"i_number_double_huge_neg_exp.json", true},
    {"i_number_huge_exp.json", true},
    {"i_number_neg_int_huge_exp.json", true},
    {"i_number_pos_double_huge_exp.json", true},
    {"i_number_real_neg_overflow.json", true},
    {"i_number_real_pos_overflow.json", true},
    {"i_number_real_underflow.json", true},
    {"i_number_too_big_neg_int.json", true},
    {"i_number_too_big_pos_int.json", true},
    {"i_number_very_big_negative_int.json", true},
    {"i_object_key_lone_2nd_surrogate.json", true},
    {"i_string_1st_surrogate_but_2nd_missing.json", true},
    {"i_string_1st_valid_surrogate_2nd_invalid.json", true},
    {"i_string_UTF-16LE_with_BOM.json", false},
    {"i_string_UTF-8_invalid_sequence.json", false},
    {"i_string_UTF8_surrogate_U+D800.json", false},
    {"i_string_incomplete_surrogate_and_escape_valid.json", true},
    {"i_string_incomplete_surrogate_pair.json", true},
    {"i_string_incomplete_surrogates_escape_valid.json", true},
    {"i_string_invalid_lonely_surrogate.json", true},
    {"i_string_invalid_surrogate.json", true},
    {"i_string_invalid_utf-8.json", false},
    {"i_string_inverted_surrogates_U+1D11E.json", true},
    {"i_string_iso_latin_1.json", false},
    {"i_string_lone_second_surrogate.json", true},
    {"i_string_lone_utf8_continuation_byte.json", false},
    {"i_string_not_in_unicode_range.json", false},
    {"i_string_overlong_sequence_2_bytes.json", false},
    {"i_string_overlong_sequence_6_bytes.json", false},
    {"i_string_overlong_sequence_6_bytes_null.json", false},
    {"i_string_truncated-utf-8.json", false},
    {"i_string_utf16BE_no_BOM.json", false},
    {"i_string_utf16LE_no_BOM.json", false},
    {"i_structure_500_nested_arrays.json", true},
    {"i_structure_UTF-8_BOM_empty_object.json", false},
};
#define N_DECISIONS (sizeof i_decisions / sizeof i_decisions[0])

/* ---- helpers ---- */

typedef struct names {
    char **v;
    size_t n;
} names;

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir that start with prefix and end with suffix; false if dir cannot be read. */
static bool list_dir(const char *dir, const char *prefix, const char *suffix, names *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t cap = 0;

    out->v = NULL;
    out->n = 0;
    if (!d)
        return false;
    while ((e = readdir(d)) != NULL) {
        cairn_str s = cn_str(e->d_name);
        if (!cn_str_starts(s, prefix) || !cn_str_ends(s, suffix))
            continue;
        if (out->n == cap) {
            cap = cap ? cap * 2 : 64;
            out->v = realloc(out->v, cap * sizeof *out->v);
            assert_non_null(out->v);
        }
        out->v[out->n] = strdup(e->d_name);
        assert_non_null(out->v[out->n]);
        out->n++;
    }
    closedir(d);
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_names);
    return true;
}

static void names_free(names *l)
{
    for (size_t k = 0; k < l->n; k++)
        free(l->v[k]);
    free(l->v);
}

/* The file dir/name in an exact-size heap copy (free() it); *n receives its size. */
static char *load(const char *dir, const char *name, size_t *n)
{
    char path[4096];
    cn_arena a;
    cn_file f;
    cairn_err err;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    cn_arena_init(&a, 0, 0);
    if (cn_file_load(AT_FDCWD, path, NULL, MAX_FILE, &a, &f, &err) != CAIRN_OK)
        fail_msg("%s", err.msg);
    char *p = malloc(f.data.len ? f.data.len : 1);
    assert_non_null(p);
    if (f.data.len)
        memcpy(p, f.data.ptr, f.data.len);
    *n = f.data.len;
    cn_file_close(&f);
    cn_arena_release(&a);
    return p;
}

/* Like load, NUL-terminated. */
static char *load_text(const char *dir, const char *name, size_t *n)
{
    char *p = load(dir, name, n);
    char *t = realloc(p, *n + 1);
    if (!t)
        free(p);
    assert_non_null(t);
    t[*n] = '\0';
    return t;
}

/* Read every value below v; false (with a message) on the first inconsistency. */
static bool walk(cn_jval v, cn_arena *a, const char *name)
{
    cn_jiter it;
    cn_jval key, val;
    cairn_str s;
    int64_t i;
    double d;
    cairn_rc rc;

    switch (cn_json_typeof(v)) {
    case CN_JSON_STRING:
        if (cn_json_str(v, a, &s) != CAIRN_OK || cn_utf8_valid_prefix(s) != s.len) {
            print_error("%s: a string does not unescape to valid UTF-8\n", name);
            return false;
        }
        return true;
    case CN_JSON_NUMBER:
        rc = cn_json_i64(v, &i);
        if (rc != CAIRN_OK && rc != CAIRN_RANGE && rc != CAIRN_INVAL)
            return false;
        rc = cn_json_f64(v, &d);
        if (rc != CAIRN_OK && rc != CAIRN_RANGE) {
            print_error("%s: number '%.*s' does not read as a double\n", name,
                        CAIRN_STR_FMT(cn_json_raw(v)));
            return false;
        }
        return true;
    case CN_JSON_ARRAY:
    case CN_JSON_OBJECT:
        it = cn_json_iter(v);
        while (cn_json_next(&it, &key, &val)) {
            if (cn_json_exists(key) && !walk(key, a, name))
                return false;
            if (!walk(val, a, name))
                return false;
        }
        return true;
    case CN_JSON_NONE:
        print_error("%s: a value is missing from the tape\n", name);
        return false;
    default:
        return true;
    }
}

/*
 * Parse dir/name; true when the outcome is as expected: accepted (and walks
 * cleanly) when accept, else CAIRN_PARSE with "line " and reason (NULL: any).
 */
static bool check_file(const char *dir, const char *name, bool accept, const char *reason)
{
    size_t n;
    char *p = load(dir, name, &n);
    cairn_err err = {0};
    cn_json j;
    cn_arena a;
    bool ok;

    cn_json_init(&j);
    cn_arena_init(&a, 0, 0);
    cairn_rc rc = cn_json_parse(&j, p, n, &err);
    if (accept) {
        ok = rc == CAIRN_OK && walk(cn_json_root(&j), &a, name);
        if (rc != CAIRN_OK)
            print_error("%s: rejected, expected to be accepted: %s\n", name, err.msg);
    } else {
        ok = rc == CAIRN_PARSE && strstr(err.msg, "line ") && (!reason || strstr(err.msg, reason));
        if (!ok)
            print_error("%s: %s '%s', expected a parse error with '%s'\n", name,
                        rc == CAIRN_OK ? "accepted" : "got", err.msg, reason ? reason : "line ");
    }
    cn_arena_release(&a);
    cn_json_release(&j);
    free(p);
    return ok;
}

/* Run check_file over the files of dir that start with prefix; returns the number of failures. */
static size_t check_all(const char *dir, const char *prefix, bool accept, size_t min_files)
{
    names l;
    size_t bad = 0;

    if (!list_dir(dir, prefix, ".json", &l))
        fail_msg("cannot read the folder '%s'", dir);
    if (l.n < min_files)
        fail_msg("'%s' has %zu %s* files, expected at least %zu", dir, l.n, prefix, min_files);
    for (size_t k = 0; k < l.n; k++)
        bad += !check_file(dir, l.v[k], accept, NULL);
    names_free(&l);
    return bad;
}

static const char *suite_dir(void)
{
    static char path[4096];
    const char *shared = getenv("CAIRN_SHARED_DIR");
    DIR *d;

    if (!shared || !*shared)
        shared = CAIRN_SHARED_DIR;
    snprintf(path, sizeof path, "%s%s", shared, SUITE_SUBDIR);
    if (!(d = opendir(path)))
        fail_msg("JSONTestSuite not found at '%s' (set CAIRN_SHARED_DIR or -Dshared_dir)", path);
    closedir(d);
    return path;
}

/* ---- cairn's own cases ---- */

static void test_ok_files(void **state)
{
    (void)state;
    size_t bad = check_all(DATA_DIR, "ok_", true, 40);
    if (bad)
        fail_msg("%zu ok_ file(s) were not accepted cleanly", bad);
}

static void test_bad_files(void **state)
{
    (void)state;
    size_t n, bad = 0;
    char *text = load_text(DATA_DIR, "reasons.txt", &n);
    names l;

    if (!list_dir(DATA_DIR, "bad_", ".json", &l) || l.n < 40)
        fail_msg("too few bad_ files in " DATA_DIR);
    bool *listed = calloc(l.n, sizeof *listed);
    assert_non_null(listed);
    /* reasons.txt: "<file>\t<reason>" lines; '#' starts a comment line. */
    for (char *line = text, *end = text + n, *nl; line < end; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(end - line));
        if (!nl)
            nl = end;
        *nl = '\0';
        char *tab = strchr(line, '\t');
        if (*line == '#' || line == nl)
            continue;
        if (!tab)
            fail_msg("reasons.txt: no tab in '%s'", line);
        *tab = '\0';
        char **hit = bsearch(&line, l.v, l.n, sizeof *l.v, cmp_names);
        if (!hit) {
            print_error("reasons.txt: no file '%s'\n", line);
            bad++;
            continue;
        }
        listed[hit - l.v] = true;
        bad += !check_file(DATA_DIR, line, false, tab + 1);
    }
    for (size_t k = 0; k < l.n; k++) {
        if (!listed[k]) {
            print_error("%s: no line in reasons.txt\n", l.v[k]);
            bad++;
        }
    }
    free(listed);
    names_free(&l);
    free(text);
    if (bad)
        fail_msg("%zu bad_ case(s) failed", bad);
}

/* Parse an ok_ file into j (whose src is *buf, to free). */
static cn_jval parse_ok(cn_json *j, const char *name, char **buf)
{
    size_t n;
    cairn_err err;
    *buf = load(DATA_DIR, name, &n);
    if (cn_json_parse(j, *buf, n, &err) != CAIRN_OK)
        fail_msg("%s: %s", name, err.msg);
    return cn_json_root(j);
}

/* The root when it is a string, else the first element of the root array. */
static cn_jval first_value(cn_jval root)
{
    cn_jiter it = cn_json_iter(root);
    cn_jval v;
    if (!cn_json_is(root, CN_JSON_ARRAY))
        return root;
    return cn_json_next(&it, NULL, &v) ? v : (cn_jval){root.doc, UINT32_MAX};
}

static void test_ok_strings(void **state)
{
    static const struct {
        const char *file, *want;
        size_t len;
    } cases[] = {
#define S(f, w) {f, w, sizeof(w) - 1}
        S("ok_surrogate_pair.json", "\xF0\x9F\x98\x80"),
        S("ok_surrogate_pair_upper.json", "\xF0\x9D\x84\x9E"),
        S("ok_surrogate_pair_max.json", "\xF4\x8F\xBF\xBF"),
        S("ok_lone_high_surrogate.json", "\xEF\xBF\xBD"),
        S("ok_lone_low_surrogate.json", "\xEF\xBF\xBD"),
        S("ok_lone_high_then_text.json", "\xEF\xBF\xBD" "abc"),
        S("ok_lone_high_then_escape.json", "\xEF\xBF\xBD\n"),
        S("ok_lone_high_at_end_of_string.json", "abc\xEF\xBF\xBD"),
        S("ok_inverted_surrogates.json", "\xEF\xBF\xBD\xEF\xBF\xBD"),
        S("ok_high_high_low.json", "\xEF\xBF\xBD\xF0\x90\x80\x80"),
        S("ok_high_then_bmp_escape.json", "\xEF\xBF\xBD" "A"),
        S("ok_escapes_all.json", "\"\\/\b\f\n\r\t\0\x1F\x7F\xC3\xA9\xE2\x82\xAC"),
        S("ok_escaped_slash.json", "a/b//c"),
        S("ok_escape_u_mixed_case.json", "\xC3\xA9\xC3\xA9\xEA\xAF\x8D"),
        S("ok_del_raw.json", "a\x7F" "b"),
        S("ok_utf8_4byte.json", "\xF0\x9F\x98\x80"),
        S("ok_long_string_escapes.json", "0123456789abcd\"ef0123456789abcdef\\0123456789abcde\n"),
        S("ok_top_string_ws.json", "x"),
#undef S
    };
    cn_arena a;
    cn_json j;
    (void)state;
    cn_arena_init(&a, 0, 0);
    cn_json_init(&j);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *buf;
        cairn_str s;
        cn_jval v = first_value(parse_ok(&j, cases[k].file, &buf));
        assert_int_equal(cn_json_str(v, &a, &s), CAIRN_OK);
        if (s.len != cases[k].len || memcmp(s.ptr, cases[k].want, s.len) != 0)
            fail_msg("%s: unexpected string of %zu bytes", cases[k].file, s.len);
        free(buf);
    }
    cn_json_release(&j);
    cn_arena_release(&a);
}

struct i64_case {
    cairn_rc rc;
    int64_t v;
};

/* The elements of the array in file read with cn_json_i64 as in want[0..n). */
static void check_i64s(cn_json *j, const char *file, const struct i64_case *want, size_t n)
{
    char *buf;
    cn_jiter it = cn_json_iter(parse_ok(j, file, &buf));
    cn_jval v;
    int64_t i;
    for (size_t k = 0; k < n; k++) {
        assert_true(cn_json_next(&it, NULL, &v));
        cairn_rc rc = cn_json_i64(v, &i);
        if (rc != want[k].rc || (rc == CAIRN_OK && i != want[k].v))
            fail_msg("%s: element %zu: got %s, %lld", file, k, cairn_rc_name(rc), (long long)i);
    }
    assert_false(cn_json_next(&it, NULL, &v));
    free(buf);
}

static void test_ok_values(void **state)
{
    cn_json j;
    cn_arena a;
    char *buf;
    cn_jval r, k, v;
    cairn_str s;
    int64_t i;
    double d;
    (void)state;
    cn_json_init(&j);
    cn_arena_init(&a, 0, 0);

    /* duplicate keys: every member is kept, lookup returns the last */
    r = parse_ok(&j, "ok_duplicate_keys.json", &buf);
    assert_int_equal(cn_json_count(r), 3);
    assert_true(cn_json_i64_or(cn_json_get(r, "a"), 0) == 3);
    free(buf);
    r = parse_ok(&j, "ok_duplicate_keys_escaped.json", &buf);
    assert_true(cn_json_str_eq(cn_json_get(r, "k"), "second"));
    free(buf);
    r = parse_ok(&j, "ok_duplicate_keys_nested.json", &buf);
    assert_true(cn_json_i64_or(cn_json_path(r, "o", "x", NULL), 0) == 3);
    free(buf);
    r = parse_ok(&j, "ok_empty_key.json", &buf);
    assert_true(cn_json_i64_or(cn_json_get(r, ""), 0) == 1);
    free(buf);

    /* a key with an escaped NUL unescapes to 3 bytes and matches no C string */
    r = parse_ok(&j, "ok_key_nul_escape.json", &buf);
    cn_jiter it = cn_json_iter(r);
    assert_true(cn_json_next(&it, &k, &v));
    assert_int_equal(cn_json_str(k, &a, &s), CAIRN_OK);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.ptr, "a\0b", 3);
    assert_false(cn_json_exists(cn_json_get(r, "a")));
    free(buf);

    /* a raw string with no escape is a span into the input */
    r = parse_ok(&j, "ok_del_raw.json", &buf);
    assert_int_equal(cn_json_str(first_value(r), &a, &s), CAIRN_OK);
    assert_ptr_equal(s.ptr, buf + 2);
    free(buf);

    /* numbers: the grammar accepts any size; readers report CAIRN_RANGE */
    check_i64s(&j, "ok_int64_edges.json", (const struct i64_case[]){
        {CAIRN_OK, INT64_MAX}, {CAIRN_OK, INT64_MIN}, {CAIRN_RANGE, 0}, {CAIRN_OK, 1000},
        {CAIRN_INVAL, 0}}, 5);
    /* integral floats: out of range is CAIRN_RANGE (and no undefined conversion) */
    check_i64s(&j, "ok_integral_floats.json", (const struct i64_case[]){
        {CAIRN_RANGE, 0}, {CAIRN_RANGE, 0}, {CAIRN_RANGE, 0}, {CAIRN_OK, INT64_MIN},
        {CAIRN_OK, 1000000000000000000}, {CAIRN_OK, 0}, {CAIRN_INVAL, 0}}, 7);

    r = parse_ok(&j, "ok_huge_exponent.json", &buf);
    it = cn_json_iter(r);
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_f64(v, &d), CAIRN_RANGE);
    assert_int_equal(cn_json_i64(v, &i), CAIRN_RANGE);
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_f64(v, &d), CAIRN_RANGE);
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_f64(v, &d), CAIRN_OK);
    assert_true(d == 0.0);
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_f64(v, &d), CAIRN_OK);
    assert_true(d == 0.0);
    cn_json_next(&it, NULL, &v);
    assert_int_equal(cn_json_i64(v, &i), CAIRN_OK);
    assert_true(i == 10);
    free(buf);

    r = parse_ok(&j, "ok_huge_integer.json", &buf);
    v = first_value(r);
    assert_int_equal(cn_json_i64(v, &i), CAIRN_RANGE);
    assert_int_equal(cn_json_f64(v, &d), CAIRN_OK);
    assert_true(d > 1.2e99 && d < 1.3e99);
    free(buf);

    /* top-level scalars */
    r = parse_ok(&j, "ok_top_number.json", &buf);
    assert_true(cn_json_f64_or(r, 0) == -12500.0);
    free(buf);
    r = parse_ok(&j, "ok_top_false.json", &buf);
    assert_true(cn_json_is(r, CN_JSON_FALSE));
    free(buf);
    r = parse_ok(&j, "ok_top_null.json", &buf);
    assert_true(cn_json_is(r, CN_JSON_NULL));
    free(buf);

    /* depth: 512 is the limit; a lower max_depth applies */
    r = parse_ok(&j, "ok_depth_512.json", &buf);
    assert_int_equal(j.ntok, 512);
    j.max_depth = 511;
    cairn_err err;
    assert_int_equal(cn_json_parse(&j, buf, 1024, &err), CAIRN_PARSE);
    assert_non_null(strstr(err.msg, "nesting too deep"));
    j.max_depth = 0;
    free(buf);

    cn_arena_release(&a);
    cn_json_release(&j);
}

/* ---- JSONTestSuite ---- */

static void test_suite_y(void **state)
{
    (void)state;
    size_t bad = check_all(suite_dir(), "y_", true, 95);
    if (bad)
        fail_msg("%zu y_ file(s) were not accepted cleanly", bad);
}

static void test_suite_n(void **state)
{
    (void)state;
    size_t bad = check_all(suite_dir(), "n_", false, 188);
    if (bad)
        fail_msg("%zu n_ file(s) were not rejected", bad);
}

static void test_suite_i(void **state)
{
    const char *dir = suite_dir();
    size_t bad = 0;
    names l;
    (void)state;

    if (!list_dir(dir, "i_", ".json", &l))
        fail_msg("cannot read '%s'", dir);
    for (size_t k = 0; k < l.n; k++) {
        size_t d = 0;
        while (d < N_DECISIONS && strcmp(i_decisions[d].name, l.v[k]) != 0)
            d++;
        if (d == N_DECISIONS) {
            print_error("%s: no decision in the table (add it here and in docs/JSON.md)\n",
                        l.v[k]);
            bad++;
            continue;
        }
        bad += !check_file(dir, l.v[k], i_decisions[d].accept, NULL);
    }
    if (l.n != N_DECISIONS) {
        print_error("the suite has %zu i_ files, the table %zu\n", l.n, N_DECISIONS);
        bad++;
    }
    names_free(&l);
    if (bad)
        fail_msg("%zu i_ case(s) differ from the decision table", bad);
}

/* docs/JSON.md states each decision as a row "| <file> | accept |" or "| <file> | reject |". */
static void test_suite_i_documented(void **state)
{
    size_t n, bad = 0;
    char *text = load_text(".", DOC_PATH, &n);
    (void)state;

    for (size_t d = 0; d < N_DECISIONS; d++) {
        char row[160];
        snprintf(row, sizeof row, "| %s | %s |", i_decisions[d].name,
                 i_decisions[d].accept ? "accept" : "reject");
        if (!strstr(text, row)) {
            print_error("docs/JSON.md has no row '%s'\n", row);
            bad++;
        }
    }
    free(text);
    if (bad)
        fail_msg("%zu decision(s) missing from docs/JSON.md", bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok_files),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_ok_strings),
        cmocka_unit_test(test_ok_values),
        cmocka_unit_test(test_suite_y),
        cmocka_unit_test(test_suite_n),
        cmocka_unit_test(test_suite_i),
        cmocka_unit_test(test_suite_i_documented),
    };
    return cmocka_run_group_tests_name("json_conf", tests, NULL, NULL);
}
