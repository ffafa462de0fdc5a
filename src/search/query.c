/*
 * search/query.c - parsing the user's query language (cairn/search.h).
 * A small cursor over the string; terms are views into it.
 */
#include <string.h>

#include "base/err.h"
#include "cairn/search.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

cairn_rc cairn_query_parse(const char *q, cairn_query *out, cairn_err *err)
{
    const char *p = q, *end = q + strlen(q);
    bool pending_or = false;
    size_t positive = 0;

    memset(out, 0, sizeof *out);
    for (;;) {
        while (p < end && is_space(*p))
            p++;
        if (p == end)
            break;
        cairn_term t = {0};
        if (*p == '-' && p + 1 < end && !is_space(p[1])) {
            t.negated = true;
            p++;
        }
        if (*p == '"') {
            const char *close = memchr(p + 1, '"', (size_t)(end - p - 1));
            if (!close)
                return cn_err_set(err, CAIRN_PARSE, "unclosed quote in query: %s", p);
            t.text = (cairn_str){p + 1, (size_t)(close - p - 1)};
            p = close + 1;
            if (p < end && *p == '*') {
                t.prefix = true;
                p++;
            }
        } else {
            const char *s = p;
            while (p < end && !is_space(*p) && *p != '"')
                p++;
            t.text = (cairn_str){s, (size_t)(p - s)};
            if (!t.negated && t.text.len == 2 && !memcmp(s, "OR", 2)) {
                if (!out->nterms || pending_or)
                    return cn_err_set(err, CAIRN_PARSE, "OR needs a term on both sides");
                out->terms[out->nterms - 1].or_next = true;
                pending_or = true;
                continue;
            }
            if (t.text.len && s[t.text.len - 1] == '*') {
                t.prefix = true;
                t.text.len--;
            }
        }
        /* a term must hold at least one letter or digit to match anything */
        bool word = false;
        for (size_t k = 0; k < t.text.len && !word; k++) {
            unsigned char c = (unsigned char)t.text.ptr[k];
            word = c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
        }
        if (!word) {
            if (pending_or)
                return cn_err_set(err, CAIRN_PARSE, "OR needs a term on both sides");
            continue; /* punctuation alone: nothing to match */
        }
        if (t.negated && pending_or)
            return cn_err_set(err, CAIRN_PARSE, "an excluded term cannot be part of OR");
        if (out->nterms == CAIRN_QUERY_MAX_TERMS)
            return cn_err_set(err, CAIRN_PARSE, "too many terms in query (at most %d)",
                              CAIRN_QUERY_MAX_TERMS);
        out->terms[out->nterms++] = t;
        positive += !t.negated;
        pending_or = false;
    }
    if (pending_or)
        return cn_err_set(err, CAIRN_PARSE, "OR needs a term on both sides");
    if (!out->nterms)
        return cn_err_set(err, CAIRN_PARSE, "empty query: give at least one word to search for");
    if (!positive)
        return cn_err_set(err, CAIRN_PARSE,
                          "a query needs at least one word that is not excluded with '-'");
    for (size_t i = 0; i < out->nterms; i++)
        if (out->terms[i].negated && out->terms[i].or_next)
            return cn_err_set(err, CAIRN_PARSE, "an excluded term cannot be part of OR");
    return CAIRN_OK;
}
