/* base/buf.c - cn_buf.  Invariant: ptr == NULL or ptr[len] == '\0' and len < cap. */
#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cn_buf_init(cn_buf *b, size_t max_bytes)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->max = max_bytes ? max_bytes : CN_BUF_MAX_DEFAULT;
}

void cn_buf_release(cn_buf *b)
{
    if (!b)
        return;
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

void cn_buf_reset(cn_buf *b)
{
    b->len = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

cairn_rc cn_buf_grow(cn_buf *b, size_t n)
{
    size_t need, cap;
    char *p;

    if (n > b->max || b->len > b->max - n)
        return CAIRN_TOOBIG;
    need = b->len + n + 1;
    if (need <= b->cap)
        return CAIRN_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    p = realloc(b->ptr, cap);
    if (!p)
        return CAIRN_NOMEM;
    b->ptr = p;
    b->cap = cap;
    return CAIRN_OK;
}

cairn_rc cn_buf_add(cn_buf *b, const void *p, size_t n)
{
    cairn_rc rc = cn_buf_grow(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return CAIRN_OK;
}

cairn_rc cn_buf_adds(cn_buf *b, const char *s)
{
    return cn_buf_add(b, s, strlen(s));
}

cairn_rc cn_buf_addstr(cn_buf *b, cairn_str s)
{
    return cn_buf_add(b, s.ptr, s.len);
}

cairn_rc cn_buf_addc(cn_buf *b, char c)
{
    return cn_buf_add(b, &c, 1);
}

cairn_rc cn_buf_vaddf(cn_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    cairn_rc rc;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return CAIRN_INVAL;
    rc = cn_buf_grow(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return CAIRN_OK;
}

cairn_rc cn_buf_addf(cn_buf *b, const char *fmt, ...)
{
    va_list ap;
    cairn_rc rc;
    va_start(ap, fmt);
    rc = cn_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void cn_buf_truncate(cn_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->ptr[len] = '\0';
    }
}

cairn_str cn_buf_str(const cn_buf *b)
{
    return (cairn_str){b->ptr ? b->ptr : "", b->len};
}

const char *cn_buf_cstr(const cn_buf *b)
{
    return b->ptr ? b->ptr : "";
}

char *cn_buf_detach(cn_buf *b, size_t *len)
{
    char *p = b->ptr;
    if (len)
        *len = b->len;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return p;
}

cairn_rc cn_buf_adopt(cn_buf *b, char *p, size_t len)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
    if (len > b->max) {
        free(p);
        return CAIRN_TOOBIG;
    }
    b->ptr = p;
    b->len = len;
    b->cap = len + 1; /* at least: the NUL is there */
    return CAIRN_OK;
}
