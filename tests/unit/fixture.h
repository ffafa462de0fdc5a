/*
 * tests/unit/fixture.h - what the cmocka tests share: where the shared
 * fixtures are ($CAIRN_SHARED_DIR, which tests/meson.build sets, else the
 * CAIRN_SHARED_DIR macro, else ../../shared from the test's working
 * directory), copying one file, temp dirs removed by the group teardown
 * even after a failure, removing a tree, and OK() for calls that must
 * succeed.  Include after cmocka.h.
 */
#ifndef CN_TEST_FIXTURE_H
#define CN_TEST_FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/arena.h"
#include "json/json.h"

#ifndef CAIRN_SHARED_DIR
#define CAIRN_SHARED_DIR "../../shared"
#endif

static inline const char *shared_dir(void)
{
    const char *s = getenv("CAIRN_SHARED_DIR");
    return s && *s ? s : CAIRN_SHARED_DIR;
}

static inline void copy_file(const char *from, const char *to)
{
    char buf[65536];
    int in = open(from, O_RDONLY | O_CLOEXEC), out;
    if (in < 0)
        fail_msg("cannot open fixture '%s': %s", from, strerror(errno));
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    assert_true(out >= 0);
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        assert_true(n >= 0);
        if (n == 0)
            break;
        assert_int_equal(write(out, buf, (size_t)n), n);
    }
    close(in);
    close(out);
}

/* Copy the tree at from into the existing directory to. */
static inline void copy_tree(const char *from, const char *to)
{
    DIR *d = opendir(from);
    struct dirent *de;
    if (!d)
        fail_msg("cannot open fixture dir '%s': %s", from, strerror(errno));
    while ((de = readdir(d))) {
        char src[4096], dst[4096];
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(src, sizeof src, "%s/%s", from, de->d_name);
        snprintf(dst, sizeof dst, "%s/%s", to, de->d_name);
        assert_int_equal(lstat(src, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            assert_int_equal(mkdir(dst, 0755), 0);
            copy_tree(src, dst);
        } else if (S_ISREG(st.st_mode)) {
            copy_file(src, dst);
        }
    }
    closedir(d);
}

/* OK(call): call must return CAIRN_OK; E is the cairn_err to pass it (its message is shown). */
#define OK(call)                                                                                   \
    do {                                                                                           \
        cairn_err e_;                                                                              \
        e_.msg[0] = '\0';                                                                          \
        cairn_rc rc_ = (call);                                                                     \
        if (rc_ != CAIRN_OK)                                                                       \
            fail_msg("%s: rc %d: %s", #call, (int)rc_, e_.msg);                                    \
    } while (0)
#define E (&e_)

static inline int rm_one_(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/** Remove path and everything below it (symbolic links are not followed). */
static inline void rm_tree(const char *path)
{
    nftw(path, rm_one_, 16, FTW_DEPTH | FTW_PHYS);
}

/* The temp dirs temp_dir made, until remove_temp_dirs. */
static inline char (*made_dirs(size_t **n))[4096]
{
    static char made[64][4096];
    static size_t nmade;
    *n = &nmade;
    return made;
}

/** A new temp dir in dir (n bytes), removed by remove_temp_dirs. */
static inline void temp_dir(char *dir, size_t n)
{
    size_t *nmade;
    char(*made)[4096] = made_dirs(&nmade);
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, n, "%s/cairn-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    assert_true(*nmade < 64);
    snprintf(made[(*nmade)++], 4096, "%s", dir);
}

/** A group teardown: remove every temp dir temp_dir made. */
static inline int remove_temp_dirs(void **state)
{
    size_t *nmade;
    char(*made)[4096] = made_dirs(&nmade);
    (void)state;
    for (size_t i = 0; i < *nmade; i++)
        rm_tree(made[i]);
    *nmade = 0;
    return 0;
}

/**
 * What concurrent appenders of the paths "t<T>/f<N>.c" (T < nthreads,
 * N < nper) must leave in a context's files (the files_accessed array):
 * each path exactly once, and orders 1, 2, 3, ... in array order.
 */
static inline void check_each_file_once(cn_jval files, int nthreads, int nper)
{
    unsigned char *seen = calloc((size_t)nthreads * (size_t)nper, 1);
    cn_jiter it = cn_json_iter(files);
    cn_jval f;
    int64_t k = 0;
    cn_arena a;
    assert_non_null(seen);
    cn_arena_init(&a, 0, 0);
    while (cn_json_next(&it, NULL, &f)) {
        char buf[64];
        int t, n;
        cairn_str p = cn_json_str_or(cn_json_get(f, "path"), &a);
        assert_true(p.ptr && p.len < sizeof buf);
        memcpy(buf, p.ptr, p.len);
        buf[p.len] = '\0';
        assert_int_equal(sscanf(buf, "t%d/f%d.c", &t, &n), 2);
        assert_true(t >= 0 && t < nthreads && n >= 0 && n < nper);
        seen[t * nper + n]++;
        assert_int_equal(cn_json_i64_or(cn_json_get(f, "order"), -1), ++k);
    }
    cn_arena_release(&a);
    for (int t = 0; t < nthreads; t++)
        for (int n = 0; n < nper; n++)
            if (seen[t * nper + n] != 1)
                fail_msg("t%d/f%02d.c is there %d times", t, n, seen[t * nper + n]);
    free(seen);
}

#endif
