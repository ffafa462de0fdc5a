/* base/err.c - the code table and the helpers that fill a cairn_err. */
#include "base/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    const char *text;
} rc_table[] = {
#define X(name, text) {#name, text},
    CAIRN_RC_MAP(X)
#undef X
};

const char *cairn_rc_name(cairn_rc rc)
{
    if ((unsigned)rc >= sizeof rc_table / sizeof rc_table[0])
        return "UNKNOWN";
    return rc_table[rc].name;
}

const char *cairn_rc_text(cairn_rc rc)
{
    if ((unsigned)rc >= sizeof rc_table / sizeof rc_table[0])
        return "unknown error";
    return rc_table[rc].text;
}

cairn_rc cn_err_set(cairn_err *err, cairn_rc rc, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->rc = rc;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return rc;
}

void cn_err_prefix(cairn_err *err, const char *fmt, ...)
{
    char pre[sizeof err->msg], old[sizeof err->msg];
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t n = strlen(pre);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, pre, n);
    memcpy(err->msg + n, ": ", 2);
    size_t rest = sizeof err->msg - n - 3, olen = strlen(old);
    if (olen > rest)
        olen = rest;
    memcpy(err->msg + n + 2, old, olen);
    err->msg[n + 2 + olen] = '\0';
}

void cn_err_clear(cairn_err *err)
{
    if (err) {
        err->rc = CAIRN_OK;
        err->msg[0] = '\0';
    }
}

cairn_rc cn_err_from_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        return CAIRN_NOTFOUND;
    case EACCES:
    case EPERM:
    case EROFS:
        return CAIRN_PERM;
    case ENOMEM:
        return CAIRN_NOMEM;
    case EEXIST:
        return CAIRN_EXISTS;
    case EINVAL:
    case ELOOP:
    case EISDIR:
    case ENAMETOOLONG:
        return CAIRN_INVAL;
    case EFBIG:
        return CAIRN_TOOBIG;
    case ENOSPC:
    case EDQUOT:
        return CAIRN_FULL;
    case EINTR:
        return CAIRN_INTERRUPTED;
    case EBUSY:
    case EAGAIN:
        return CAIRN_BUSY;
    default:
        return CAIRN_IO;
    }
}
