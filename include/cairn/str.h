/*
 * cairn/str.h - non-owning string views.
 *
 * A cairn_str is a (ptr, len) view into memory owned by someone else: a
 * mapped file, an arena, a string literal.  It is never assumed to be
 * NUL-terminated.  Its lifetime is the lifetime of what it points into; each
 * function returning one says how long that is.
 */
#ifndef CAIRN_STR_H
#define CAIRN_STR_H

#include <stddef.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cairn_str {
    const char *ptr;
    size_t len;
} cairn_str;

/* A view of a string literal or other NUL-terminated string. */
#define CAIRN_STR(lit) ((cairn_str){(lit), sizeof(lit) - 1})
#define CAIRN_STR_NULL ((cairn_str){NULL, 0})

/* printf("%.*s", CAIRN_STR_FMT(s)) */
#define CAIRN_STR_FMT(s) (int)(s).len, (s).ptr

#ifdef __cplusplus
}
#endif
#endif
