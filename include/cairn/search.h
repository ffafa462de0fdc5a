/*
 * cairn/search.h - the query language of `cairn search`, parsed once.
 *
 * Syntax: plain words (all must match), "quoted phrases", prefix* (words
 * starting with prefix), -word or -"phrase" (must not match), and OR between
 * two terms (either may match; OR binds tighter than the implicit AND, so
 * `jwt OR oauth refresh` means (jwt OR oauth) AND refresh).  Identifiers
 * with punctuation (snake_case, CamelCase, src/store/db.c, E0425) are
 * matched as phrases of their parts.
 */
#ifndef CAIRN_SEARCH_H
#define CAIRN_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "cairn/err.h"
#include "cairn/str.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAIRN_QUERY_MAX_TERMS 32

typedef struct cairn_term {
    cairn_str text; /* view into the query string, quotes and '*' removed */
    bool prefix;    /* word* */
    bool negated;   /* -word */
    bool or_next;   /* joined to the next term by OR */
} cairn_term;

typedef struct cairn_query {
    cairn_term terms[CAIRN_QUERY_MAX_TERMS];
    size_t nterms;
} cairn_query;

/**
 * Parse q (borrowed: terms point into it).  CAIRN_PARSE with a message
 * naming the problem: empty query, unclosed quote, OR without a term on
 * both sides, only excluded terms, too many terms.
 */
CAIRN_API cairn_rc cairn_query_parse(const char *q, cairn_query *out, cairn_err *err);

#ifdef __cplusplus
}
#endif
#endif
