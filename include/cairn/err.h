/*
 * cairn/err.h - the one error type of libcairn.
 *
 * Every fallible function returns a cairn_rc and takes an optional
 * cairn_err * (NULL allowed) that receives a human-readable message naming
 * the subject ("cannot parse 'x.json': line 3: ...").  The codes come from
 * one X-macro list so that names, messages and mappings to foreign codes
 * (HTTP status, JSON-RPC, exit status) stay in step.
 */
#ifndef CAIRN_ERR_H
#define CAIRN_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the functions libcairn exports; everything else is hidden. */
#ifndef CAIRN_API
#define CAIRN_API __attribute__((visibility("default")))
#endif

/* X(name, text) - CAIRN_OK comes first and is 0; errors are positive. */
#define CAIRN_RC_MAP(X)                                                                           \
    X(OK, "ok")                                                                                   \
    X(ERROR, "internal error")                                                                    \
    X(NOMEM, "out of memory")                                                                     \
    X(INVAL, "invalid argument")                                                                  \
    X(PARSE, "parse error")                                                                       \
    X(RANGE, "value out of range")                                                                \
    X(TOOBIG, "over the size limit")                                                              \
    X(IO, "i/o error")                                                                            \
    X(NOTFOUND, "not found")                                                                      \
    X(EXISTS, "already exists")                                                                   \
    X(PERM, "permission denied")                                                                  \
    X(CORRUPT, "corrupt data")                                                                    \
    X(BUSY, "busy")                                                                               \
    X(SCHEMA, "unsupported schema")                                                               \
    X(AGAIN, "incomplete input")                                                                  \
    X(CHANGED, "changed while being read")                                                        \
    X(INTERRUPTED, "interrupted")                                                                 \
    X(FULL, "no space left on the disk")

typedef enum cairn_rc {
#define CAIRN_RC_ENUM_(name, text) CAIRN_##name,
    CAIRN_RC_MAP(CAIRN_RC_ENUM_)
#undef CAIRN_RC_ENUM_
} cairn_rc;

/** Details of the last failure of a call. msg is lowercase, no final period. */
typedef struct cairn_err {
    cairn_rc rc;
    char msg[256];
} cairn_err;

/**
 * Name of a code ("PARSE"), or "UNKNOWN".  Returns a static string.
 * Threads: safe.
 */
CAIRN_API const char *cairn_rc_name(cairn_rc rc);

/**
 * Generic text for a code ("parse error").  Returns a static string.
 * Threads: safe.
 */
CAIRN_API const char *cairn_rc_text(cairn_rc rc);

#ifdef __cplusplus
}
#endif
#endif
