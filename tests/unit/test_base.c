/* Unit tests for base/: buffers, arena, spans, time, paths, files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/file.h"
#include "base/hash.h"
#include "base/path.h"
#include "base/str.h"

static void test_buf_limit(void **state)
{
    (void)state;
    cn_buf b;
    cn_buf_init(&b, 8);
    assert_int_equal(cn_buf_adds(&b, "abcd"), CAIRN_OK);
    assert_int_equal(cn_buf_addf(&b, "%d", 123), CAIRN_OK);
    assert_string_equal(cn_buf_cstr(&b), "abcd123");
    /* over the limit: an error, and the contents are untouched */
    assert_int_equal(cn_buf_adds(&b, "xy"), CAIRN_TOOBIG);
    assert_string_equal(cn_buf_cstr(&b), "abcd123");
    assert_int_equal(cn_buf_addc(&b, 'z'), CAIRN_OK);
    assert_int_equal(b.len, 8);
    cn_buf_release(&b);
    cn_buf_release(NULL);
}

static void test_arena(void **state)
{
    (void)state;
    cn_arena a;
    cn_arena_init(&a, 128, 1024);
    void *p = cn_arena_alloc(&a, 10);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    cairn_str s = cn_arena_strdup(&a, CAIRN_STR("hello"));
    assert_string_equal(s.ptr, "hello");
    assert_non_null(cn_arena_bytes(&a, 100)); /* a chunk of its own */
    assert_null(cn_arena_bytes(&a, 4096));    /* over the limit */
    cn_arena_release(&a);
    cn_arena_release(NULL);
}

static void test_str(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(cn_str_to_i64(CAIRN_STR("-9223372036854775808"), &v), CAIRN_OK);
    assert_true(v == INT64_MIN);
    assert_int_equal(cn_str_to_i64(CAIRN_STR("9223372036854775808"), &v), CAIRN_RANGE);
    assert_int_equal(cn_str_to_i64(CAIRN_STR("12a"), &v), CAIRN_PARSE);
    assert_true(cn_str_cmp(CAIRN_STR("ab"), CAIRN_STR("abc")) < 0);
    assert_int_equal(cn_utf8_valid_prefix(CAIRN_STR("a\xC3\xA9\xC0\x80")), 3);
}

static void test_time(void **state)
{
    (void)state;
    char b[40];
    int64_t t;
    assert_string_equal(cn_time_iso(1795239878097, b, sizeof b), "2026-11-21T05:44:38.097Z");
    /* the digits written by hand agree with gmtime + strftime, every day of 1900-2200 */
    for (int64_t ms = -2208988800000LL + 3723004; ms < 7258118400000LL; ms += 86400000LL + 1001) {
        time_t sec = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        struct tm tm;
        char want[40];
        gmtime_r(&sec, &tm);
        size_t n = strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(want + n, sizeof want - n, ".%03dZ", (int)(ms - (int64_t)sec * 1000));
        assert_string_equal(cn_time_iso(ms, b, sizeof b), want);
    }
    assert_string_equal(cn_time_iso(253402300800000LL, b, sizeof b), "10000-01-01T00:00:00.000Z");
    assert_int_equal(cn_time_parse(CAIRN_STR("2026-11-21T05:44:38.097Z"), 0, &t, NULL), CAIRN_OK);
    assert_true(t == 1795239878097);
    assert_int_equal(cn_time_parse(CAIRN_STR("1970-01-02"), 0, &t, NULL), CAIRN_OK);
    assert_true(t == 86400000);
    assert_int_equal(cn_time_parse(CAIRN_STR("7d"), 1000000000000, &t, NULL), CAIRN_OK);
    assert_true(t == 1000000000000 - 7 * 86400000LL);
    cairn_err e;
    assert_int_equal(cn_time_parse(CAIRN_STR("yesterday"), 0, &t, &e), CAIRN_PARSE);
    assert_non_null(strstr(e.msg, "yesterday"));
}

static void test_paths(void **state)
{
    (void)state;
    cn_buf b;
    cn_buf_init(&b, 0);
    setenv("HOME", "/home/u", 1);
    unsetenv("XDG_DATA_HOME");
    unsetenv("OPENCODE_DB");
    assert_int_equal(cn_path_opencode_data(&b, NULL), CAIRN_OK);
    assert_string_equal(cn_buf_cstr(&b), "/home/u/.local/share/opencode");
    setenv("XDG_DATA_HOME", "/x", 1);
    assert_int_equal(cn_path_opencode_data(&b, NULL), CAIRN_OK);
    assert_string_equal(cn_buf_cstr(&b), "/x/opencode");
    assert_int_equal(cn_path_opencode_db("/x/opencode", &b, NULL), CAIRN_OK);
    assert_string_equal(cn_buf_cstr(&b), "/x/opencode/opencode.db");
    setenv("OPENCODE_DB", "other.db", 1);
    assert_int_equal(cn_path_opencode_db("/x/opencode", &b, NULL), CAIRN_OK);
    assert_string_equal(cn_buf_cstr(&b), "/x/opencode/other.db");
    setenv("OPENCODE_DB", "/abs/o.db", 1);
    assert_int_equal(cn_path_opencode_db("/x/opencode", &b, NULL), CAIRN_OK);
    assert_string_equal(cn_buf_cstr(&b), "/abs/o.db");
    setenv("OPENCODE_DB", ":memory:", 1);
    assert_int_equal(cn_path_opencode_db("/x/opencode", &b, NULL), CAIRN_NOTFOUND);
    unsetenv("OPENCODE_DB");
    setenv("CLAUDE_CONFIG_DIR", "/c", 1);
    assert_int_equal(cn_path_claude_dir(&b, NULL), CAIRN_OK);
    assert_string_equal(cn_buf_cstr(&b), "/c");
    unsetenv("CODEX_HOME");
    assert_int_equal(cn_path_codex_home(&b, NULL), CAIRN_OK);
    assert_string_equal(cn_buf_cstr(&b), "/home/u/.codex");
    cn_buf_release(&b);
}

static void test_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/cairn-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/f.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"a\":1}", f);
    fclose(f);
    cn_arena a;
    cn_arena_init(&a, 0, 0);
    cn_file file;
    cairn_err e;
    assert_int_equal(cn_file_load(AT_FDCWD, path, NULL, 1 << 20, &a, &file, &e), CAIRN_OK);
    assert_int_equal(file.data.len, 7);
    assert_memory_equal(file.data.ptr, "{\"a\":1}", 7);
    assert_int_equal(cn_file_load(AT_FDCWD, dir, NULL, 1 << 20, &a, &file, &e), CAIRN_INVAL);
    assert_non_null(strstr(e.msg, "is a directory"));
    assert_int_equal(cn_file_load(AT_FDCWD, path, NULL, 3, &a, &file, &e), CAIRN_TOOBIG);
    unlink(path);
    assert_int_equal(cn_file_load(AT_FDCWD, path, NULL, 1 << 20, &a, &file, &e), CAIRN_NOTFOUND);
    assert_non_null(strstr(e.msg, "f.json"));
    rmdir(dir);
    cn_arena_release(&a);
    assert_true(cn_hash64("abc", 3) == cn_hash_str(CAIRN_STR("abc")));
    assert_true(cn_hash64("abc", 3) != cn_hash64("abd", 3));
}

static void test_err(void **state)
{
    (void)state;
    cairn_err e;
    assert_int_equal(cn_err_set(&e, CAIRN_PARSE, "bad %s", "x"), CAIRN_PARSE);
    cn_err_prefix(&e, "file '%s'", "a.json");
    assert_string_equal(e.msg, "file 'a.json': bad x");
    assert_string_equal(cairn_rc_name(CAIRN_PARSE), "PARSE");
    assert_int_equal(CAIRN_OK, 0);
    assert_int_equal(cn_err_set(NULL, CAIRN_IO, "ignored"), CAIRN_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_limit), cmocka_unit_test(test_arena),
        cmocka_unit_test(test_str),       cmocka_unit_test(test_time),
        cmocka_unit_test(test_paths),     cmocka_unit_test(test_file),
        cmocka_unit_test(test_err),
    };
    return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
