/* base/file.c - whole-file reads with change detection. */
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"

int64_t cn_stat_mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static cairn_rc read_fully(int fd, char *p, size_t n, size_t *got)
{
    size_t off = 0;
    while (off < n) {
        ssize_t r = read(fd, p + off, n - off);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return cn_err_from_errno(errno);
        }
        if (r == 0)
            break;
        off += (size_t)r;
    }
    *got = off;
    return CAIRN_OK;
}

cairn_rc cn_file_load(int dirfd, const char *name, const char *label, size_t max_bytes,
                      cn_arena *arena, cn_file *out, cairn_err *err)
{
    struct stat st, st2;
    cairn_rc rc = CAIRN_OK;
    size_t n, got = 0;
    char probe;
    int fd;

    memset(out, 0, sizeof *out);
    if (!label)
        label = name;
    fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP)
            return cn_err_set(err, CAIRN_INVAL, "cannot open '%s': symbolic link loop", label);
        return cn_err_set(err, cn_err_from_errno(e), "cannot open '%s': %s", label, strerror(e));
    }
    if (fstat(fd, &st) != 0) {
        rc = cn_err_set(err, CAIRN_IO, "cannot stat '%s': %s", label, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = cn_err_set(err, CAIRN_INVAL, "'%s' is a directory, expected a file", label);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = cn_err_set(err, CAIRN_INVAL, "'%s' is not a regular file", label);
        goto out;
    }
    if ((uint64_t)st.st_size > max_bytes) {
        rc = cn_err_set(err, CAIRN_TOOBIG, "'%s' is %lld bytes, over the limit of %zu", label,
                        (long long)st.st_size, max_bytes);
        goto out;
    }
    n = (size_t)st.st_size;
    out->size = st.st_size;
    out->mtime_ns = cn_stat_mtime_ns(&st);
    if (n >= CN_FILE_MAP_MIN) {
        void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = cn_err_set(err, CAIRN_IO, "cannot map '%s': %s", label, strerror(errno));
            goto out;
        }
        madvise(m, n, MADV_SEQUENTIAL);
        out->map = m;
        out->map_len = n;
        out->data = (cairn_str){m, n};
        goto out;
    }
    char *buf = cn_arena_bytes(arena, n + 1);
    if (!buf) {
        rc = cn_err_set(err, CAIRN_NOMEM, "cannot read '%s': out of memory", label);
        goto out;
    }
    if ((rc = read_fully(fd, buf, n, &got)) != CAIRN_OK) {
        cn_err_set(err, rc, "cannot read '%s': %s", label, strerror(errno));
        goto out;
    }
    buf[got] = '\0';
    /* A short read, a byte past the end, or a new size/mtime: rewritten meanwhile. */
    if (got != n || read(fd, &probe, 1) > 0 || fstat(fd, &st2) != 0 ||
        st2.st_size != st.st_size || cn_stat_mtime_ns(&st2) != out->mtime_ns) {
        rc = cn_err_set(err, CAIRN_CHANGED, "'%s' changed while being read", label);
        goto out;
    }
    out->data = (cairn_str){buf, n};
out:
    close(fd);
    return rc;
}

DIR *cn_dir_open(int dirfd, const char *rel)
{
    int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return d;
}

void cn_file_close(cn_file *f)
{
    if (f && f->map) {
        munmap(f->map, f->map_len);
        f->map = NULL;
    }
}
