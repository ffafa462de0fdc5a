/*
 * tests/unit/fixture.h - reaching the shared fixtures from a cmocka test:
 * where they are ($CAIRN_SHARED_DIR, which tests/meson.build sets, else the
 * CAIRN_SHARED_DIR macro, else ../../shared from the test's working
 * directory) and copying one file into a temp dir.  Include after cmocka.h.
 */
#ifndef CN_TEST_FIXTURE_H
#define CN_TEST_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

#endif
