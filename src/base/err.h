/* base/err.h - setting a cairn_err (internal). */
#ifndef CN_BASE_ERR_H
#define CN_BASE_ERR_H

#include "cairn/err.h"

/**
 * Fill err (NULL allowed) with rc and a printf-style message; returns rc, so
 * that `return cn_err_set(err, CAIRN_EPARSE, "...")` is the idiom.
 * The message is truncated to fit cairn_err.msg.
 */
cairn_rc cn_err_set(cairn_err *err, cairn_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Prefix err->msg with "<prefix>: " (used to add a path to a lower error). */
void cn_err_prefix(cairn_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Translate an errno value from a failed system call into a cairn_rc. */
cairn_rc cn_err_from_errno(int e);

/** Reset err to CAIRN_OK with an empty message (NULL allowed). */
void cn_err_clear(cairn_err *err);

#endif
