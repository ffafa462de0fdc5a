/*
 * json/json.h - strict, zero-copy JSON reading over a span.
 *
 * cn_json_parse() validates a whole document (RFC 8259: grammar, UTF-8,
 * escapes, nesting depth) in one pass and records a tape of tokens; it copies
 * nothing.  Values are then looked at through cn_jval handles: a string is a
 * span into the input until it is asked for unescaped (only strings that
 * contain a backslash need an arena); a number is parsed, with overflow
 * checks, only when asked for.
 *
 * Policies (documented in docs/JSON.md):
 *  - duplicate keys are accepted; lookup returns the LAST one, as the
 *    JavaScript JSON.parse that the agents themselves use;
 *  - \u escapes of lone surrogates are accepted and read as U+FFFD;
 *  - raw bytes that are not UTF-8 (overlong, truncated, encoded
 *    surrogates, > U+10FFFF) are rejected, as are raw control characters
 *    in strings;
 *  - a byte order mark, empty input, trailing commas, leading zeros, and
 *    anything after the root value are rejected;
 *  - any grammatical number is accepted; cn_json_i64 / cn_json_f64 report
 *    CAIRN_RANGE when it does not fit.
 *
 * Threads: a cn_json belongs to one thread; its values are valid until the
 * next parse into it, its release, or the end of the input's lifetime.
 */
#ifndef CN_JSON_JSON_H
#define CN_JSON_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "cairn/err.h"
#include "cairn/str.h"

typedef enum cn_json_type {
    CN_JSON_NONE = 0, /* "no value": a missing key, the end of an iteration */
    CN_JSON_NULL,
    CN_JSON_FALSE,
    CN_JSON_TRUE,
    CN_JSON_NUMBER,
    CN_JSON_STRING,
    CN_JSON_ARRAY,
    CN_JSON_OBJECT,
} cn_json_type;

#define CN_JSON_MAX_DEPTH 512 /* default nesting limit */
#define CN_JSON_MAX_INPUT ((size_t)UINT32_MAX - 1)

/* One token of the tape: 16 bytes. */
typedef struct cn_jtok {
    uint32_t start; /* string: first byte after the quote; others: first byte */
    uint32_t len;   /* bytes (string: without quotes; container: brackets included) */
    uint32_t next;  /* index of the first token after this value */
    uint8_t type;   /* cn_json_type */
    uint8_t flags;  /* CN_JTOK_* */
    uint16_t unused;
} cn_jtok;

#define CN_JTOK_ESCAPED 1 /* string holds at least one backslash escape */
#define CN_JTOK_FLOAT 2   /* number has a fraction or exponent */

typedef struct cn_json {
    const char *src;
    size_t len;
    cn_jtok *tok;
    uint32_t ntok;
    uint32_t cap;
    uint32_t max_depth; /* set before parsing; 0 means CN_JSON_MAX_DEPTH */
} cn_json;

/* A handle on one value of a parsed document. */
typedef struct cn_jval {
    const cn_json *doc;
    uint32_t i; /* token index; UINT32_MAX for "no value" */
} cn_jval;

/* An iteration over an array's elements or an object's members. */
typedef struct cn_jiter {
    const cn_json *doc;
    uint32_t i, end;
    bool object;
} cn_jiter;

/** Prepare j (no memory yet). */
void cn_json_init(cn_json *j);
/** Free the tape. NULL allowed. */
void cn_json_release(cn_json *j);

/**
 * Validate and tokenize p[0..n).  The tape is reused across calls.
 * Errors: CAIRN_PARSE (message gives line, column and what was wrong),
 * CAIRN_TOOBIG (input over CN_JSON_MAX_INPUT), CAIRN_NOMEM.
 */
cairn_rc cn_json_parse(cn_json *j, const char *p, size_t n, cairn_err *err);

/** The root value of the last successful parse. */
cn_jval cn_json_root(const cn_json *j);

static inline cn_json_type cn_json_typeof(cn_jval v)
{
    return v.i == UINT32_MAX ? CN_JSON_NONE : (cn_json_type)v.doc->tok[v.i].type;
}
static inline bool cn_json_is(cn_jval v, cn_json_type t)
{
    return cn_json_typeof(v) == t;
}
static inline bool cn_json_exists(cn_jval v)
{
    return v.i != UINT32_MAX;
}

/** Member key of an object ("no value" when absent or v is not an object); last duplicate wins. */
cn_jval cn_json_get(cn_jval obj, const char *key);
/** Walk a path of keys: cn_json_path(v, "state", "metadata", "sessionId", NULL). */
cn_jval cn_json_path(cn_jval v, ...);

/**
 * Look up n keys in one pass over obj: vals[k] receives keys[k]'s value (or
 * "no value").  Faster than n calls to cn_json_get on the hot path.
 */
void cn_json_fields(cn_jval obj, const char *const *keys, size_t n, cn_jval *vals);

/** The raw JSON text of any value (a string includes its quotes). */
cairn_str cn_json_raw(cn_jval v);

/**
 * The content of a string value: a span into the input when it has no escape,
 * otherwise unescaped into arena (valid UTF-8, NUL-terminated).
 * CAIRN_INVAL if v is not a string, CAIRN_NOMEM.
 */
cairn_rc cn_json_str(cn_jval v, cn_arena *arena, cairn_str *out);
/** Like cn_json_str but returns {NULL,0} for anything that is not a string. */
cairn_str cn_json_str_or(cn_jval v, cn_arena *arena);
/** True when v is a string equal (after unescaping) to s. */
bool cn_json_str_eq(cn_jval v, const char *s);

/** An integral number as int64: CAIRN_INVAL (not a number or not integral), CAIRN_RANGE. */
cairn_rc cn_json_i64(cn_jval v, int64_t *out);
/** A number as double: CAIRN_INVAL (not a number), CAIRN_RANGE (overflows to infinity). */
cairn_rc cn_json_f64(cn_jval v, double *out);
/** Integer value, or def when v is absent, not a number or out of range. */
int64_t cn_json_i64_or(cn_jval v, int64_t def);
double cn_json_f64_or(cn_jval v, double def);
/** true/false value, or def. */
bool cn_json_bool_or(cn_jval v, bool def);

/** Elements of an array or members of an object; empty for anything else. */
cn_jiter cn_json_iter(cn_jval container);
/** Next element (key is "no value" for arrays; NULL allowed). false at the end. */
bool cn_json_next(cn_jiter *it, cn_jval *key, cn_jval *val);
/** Number of elements / members (a walk over the container's children). */
size_t cn_json_count(cn_jval container);

/** "line L, column C" of byte offset off in p[0..n), for messages. */
void cn_json_locate(const char *p, size_t n, size_t off, size_t *line, size_t *col);

#endif
