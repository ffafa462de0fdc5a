/*
 * base/buf.h - cn_buf, the one growable byte buffer.
 *
 * Always NUL-terminated (ptr[len] == 0 once anything was added), and bounded
 * by a hard limit set at init: growing past it fails with CAIRN_TOOBIG and
 * leaves the contents as they were (curl's dynbuf).  A zeroed cn_buf is not
 * valid: call cn_buf_init first.
 * Threads: a cn_buf belongs to one thread.
 */
#ifndef CN_BASE_BUF_H
#define CN_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "cairn/err.h"
#include "cairn/str.h"

typedef struct cn_buf {
    char *ptr; /* NULL until the first add; then NUL-terminated */
    size_t len;
    size_t cap;
    size_t max; /* hard limit on len */
} cn_buf;

/* Default limits used across cairn. */
#define CN_BUF_MAX_DEFAULT ((size_t)64 << 20)

/** Prepare b with a limit of max_bytes (0 means CN_BUF_MAX_DEFAULT). */
void cn_buf_init(cn_buf *b, size_t max_bytes);
/** Free the memory; b can be reused after cn_buf_init. NULL allowed. */
void cn_buf_release(cn_buf *b);
/** Empty b, keeping its memory. */
void cn_buf_reset(cn_buf *b);
/** Make room for n more bytes.  CAIRN_TOOBIG past the limit, CAIRN_NOMEM. */
cairn_rc cn_buf_grow(cn_buf *b, size_t n);
/** Append n bytes. */
cairn_rc cn_buf_add(cn_buf *b, const void *p, size_t n);
cairn_rc cn_buf_adds(cn_buf *b, const char *s);
cairn_rc cn_buf_addstr(cn_buf *b, cairn_str s);
cairn_rc cn_buf_addc(cn_buf *b, char c);
cairn_rc cn_buf_addf(cn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
cairn_rc cn_buf_vaddf(cn_buf *b, const char *fmt, va_list ap);
/** Shorten to len bytes (len <= b->len). */
void cn_buf_truncate(cn_buf *b, size_t len);
/** The contents as a view, valid until the next change to b. */
cairn_str cn_buf_str(const cn_buf *b);
/** The contents as a C string ("" when empty), valid until the next change. */
const char *cn_buf_cstr(const cn_buf *b);
/** Take ownership of the memory (free() it); b is left empty. */
char *cn_buf_detach(cn_buf *b, size_t *len);
/**
 * The opposite: b (empty, its memory released) takes p, len bytes followed by
 * a NUL, malloc()ed (what cn_buf_detach gives).  CAIRN_TOOBIG (p freed) past
 * b's limit.
 */
cairn_rc cn_buf_adopt(cn_buf *b, char *p, size_t len);

#endif
