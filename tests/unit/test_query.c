/*
 * Unit tests for search/query.c: cairn_query_parse turns the user's query
 * (words, "phrases", prefix*, -excluded, a OR b) into terms that are views
 * into the query string, and rejects what cannot be searched with a message
 * that names the problem.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cairn/search.h"

/* One expected term: its text and flags ("P" prefix, "N" negated, "O" or_next). */
typedef struct want {
    const char *text;
    const char *flags;
} want;

static void check_terms(const char *q, const want *w, size_t n)
{
    cairn_query qy;
    cairn_err e = {0};
    size_t len = strlen(q);

    if (cairn_query_parse(q, &qy, &e) != CAIRN_OK)
        fail_msg("query '%s': unexpected error: %s", q, e.msg);
    if (qy.nterms != n)
        fail_msg("query '%s': %zu terms, expected %zu", q, qy.nterms, n);
    for (size_t i = 0; i < n; i++) {
        const cairn_term *t = &qy.terms[i];
        char got[256];
        snprintf(got, sizeof got, "%.*s", CAIRN_STR_FMT(t->text));
        if (strcmp(got, w[i].text) != 0)
            fail_msg("query '%s': term %zu is '%s', expected '%s'", q, i, got, w[i].text);
        /* the term is a view into the query string, not a copy */
        assert_true(t->text.ptr >= q && t->text.ptr + t->text.len <= q + len);
        if (t->prefix != (strchr(w[i].flags, 'P') != NULL) ||
            t->negated != (strchr(w[i].flags, 'N') != NULL) ||
            t->or_next != (strchr(w[i].flags, 'O') != NULL))
            fail_msg("query '%s': term %zu '%s' has prefix=%d negated=%d or_next=%d, "
                     "expected flags '%s'",
                     q, i, got, t->prefix, t->negated, t->or_next, w[i].flags);
    }
}

#define CHECK(q, ...)                                                                             \
    do {                                                                                          \
        const want w_[] = {__VA_ARGS__};                                                          \
        check_terms((q), w_, sizeof w_ / sizeof w_[0]);                                           \
    } while (0)

/* q must fail with CAIRN_PARSE and a message containing needle. */
static void check_error(const char *q, const char *needle)
{
    cairn_query qy;
    cairn_err e = {0};
    cairn_rc rc = cairn_query_parse(q, &qy, &e);
    if (rc != CAIRN_PARSE)
        fail_msg("query '%s': rc %s, expected PARSE (msg '%s')", q, cairn_rc_name(rc), e.msg);
    if (!strstr(e.msg, needle))
        fail_msg("query '%s': message '%s' does not contain '%s'", q, e.msg, needle);
    assert_int_equal(e.rc, CAIRN_PARSE);
    /* no final period (STYLE.md §4), and nothing of SQLite */
    size_t n = strlen(e.msg);
    assert_true(n > 0 && e.msg[n - 1] != '.');
    assert_null(strstr(e.msg, "fts5"));
    assert_null(strstr(e.msg, "syntax error"));
}

static void words(void **state)
{
    (void)state;
    CHECK("jwt", {"jwt", ""});
    CHECK("jwt refresh", {"jwt", ""}, {"refresh", ""});
    CHECK("  \tjwt \n refresh\r\n ", {"jwt", ""}, {"refresh", ""});
    CHECK("a b c d", {"a", ""}, {"b", ""}, {"c", ""}, {"d", ""});
    /* lowercase "or" and "and", "AND", "NOT" are plain words */
    CHECK("jwt or oauth", {"jwt", ""}, {"or", ""}, {"oauth", ""});
    CHECK("jwt AND NOT oauth", {"jwt", ""}, {"AND", ""}, {"NOT", ""}, {"oauth", ""});
    CHECK("ORACLE Or", {"ORACLE", ""}, {"Or", ""});
    /* non-ASCII letters count as letters */
    CHECK("café 日本", {"café", ""}, {"日本", ""});
    CHECK("42", {"42", ""});
}

static void identifiers(void **state)
{
    (void)state;
    /* punctuation inside a word stays in the term (the store matches it as a phrase) */
    CHECK("parse_config_file", {"parse_config_file", ""});
    CHECK("JwtRefreshToken", {"JwtRefreshToken", ""});
    CHECK("error[E0425]", {"error[E0425]", ""});
    CHECK("src/store/db.c hello.txt", {"src/store/db.c", ""}, {"hello.txt", ""});
    CHECK("/home/dev/src/webshop/hello.txt", {"/home/dev/src/webshop/hello.txt", ""});
    CHECK("hello-from-tool", {"hello-from-tool", ""});
    /* a '-' inside or at the end of a word is not an exclusion */
    CHECK("a-b c-", {"a-b", ""}, {"c-", ""});
    CHECK("it's", {"it's", ""});
}

static void phrases(void **state)
{
    (void)state;
    CHECK("\"refresh token\"", {"refresh token", ""});
    CHECK("jwt \"refresh token\" x", {"jwt", ""}, {"refresh token", ""}, {"x", ""});
    /* a quote ends a word; a word may follow a closing quote directly */
    CHECK("a\"b c\"", {"a", ""}, {"b c", ""});
    CHECK("\"ab\"cd", {"ab", ""}, {"cd", ""});
    /* OR inside quotes is text */
    CHECK("\"a OR b\"", {"a OR b", ""});
    CHECK("\"OR\" x", {"OR", ""}, {"x", ""});
    /* '*' and '-' inside quotes are text; an empty phrase matches nothing and is dropped */
    CHECK("\"a* -b\"", {"a* -b", ""});
    CHECK("\"\" hello \"  \"", {"hello", ""});
}

static void prefixes(void **state)
{
    (void)state;
    CHECK("hell*", {"hell", "P"});
    CHECK("hell* world", {"hell", "P"}, {"world", ""});
    CHECK("\"refresh tok\"*", {"refresh tok", "P"});
    CHECK("parse_conf*", {"parse_conf", "P"});
    /* only a final '*' makes a prefix */
    CHECK("a*b", {"a*b", ""});
    /* '*' alone, or '**', has no letter: nothing to match, dropped */
    CHECK("hello * **", {"hello", ""});
}

static void negation(void **state)
{
    (void)state;
    CHECK("jwt -oauth", {"jwt", ""}, {"oauth", "N"});
    CHECK("-oauth jwt", {"oauth", "N"}, {"jwt", ""});
    CHECK("jwt -\"bad phrase\"", {"jwt", ""}, {"bad phrase", "N"});
    CHECK("jwt -tok*", {"jwt", ""}, {"tok", "NP"});
    CHECK("jwt -a -b", {"jwt", ""}, {"a", "N"}, {"b", "N"});
    /* "-OR" is an excluded word, not the operator */
    CHECK("jwt -OR", {"jwt", ""}, {"OR", "N"});
    /* a lone '-' is punctuation, dropped; "--x" excludes "-x" */
    CHECK("- jwt", {"jwt", ""});
    CHECK("jwt --x", {"jwt", ""}, {"-x", "N"});
}

static void or_groups(void **state)
{
    (void)state;
    CHECK("jwt OR oauth", {"jwt", "O"}, {"oauth", ""});
    /* OR binds tighter than the implicit AND: (jwt OR oauth) AND refresh */
    CHECK("jwt OR oauth refresh", {"jwt", "O"}, {"oauth", ""}, {"refresh", ""});
    CHECK("refresh jwt OR oauth", {"refresh", ""}, {"jwt", "O"}, {"oauth", ""});
    CHECK("a OR b OR c", {"a", "O"}, {"b", "O"}, {"c", ""});
    CHECK("a OR b c OR d", {"a", "O"}, {"b", ""}, {"c", "O"}, {"d", ""});
    CHECK("\"a b\" OR c*", {"a b", "O"}, {"c", "P"});
    CHECK("a OR b -c", {"a", "O"}, {"b", ""}, {"c", "N"});
    /* a dropped punctuation token does not swallow the OR's left side */
    CHECK("a *** OR b", {"a", "O"}, {"b", ""});
}

static void limits(void **state)
{
    (void)state;
    char q[CAIRN_QUERY_MAX_TERMS * 8 + 16];
    size_t n = 0;
    cairn_query qy;
    cairn_err e = {0};

    for (int i = 0; i < CAIRN_QUERY_MAX_TERMS; i++)
        n += (size_t)snprintf(q + n, sizeof q - n, "w%d ", i);
    assert_int_equal(cairn_query_parse(q, &qy, &e), CAIRN_OK);
    assert_int_equal(qy.nterms, CAIRN_QUERY_MAX_TERMS);
    assert_int_equal(qy.terms[CAIRN_QUERY_MAX_TERMS - 1].text.len, 3); /* "w31" */
    /* punctuation-only tokens do not count */
    snprintf(q + n, sizeof q - n, "*** - \"\"");
    assert_int_equal(cairn_query_parse(q, &qy, &e), CAIRN_OK);
    assert_int_equal(qy.nterms, CAIRN_QUERY_MAX_TERMS);
    /* one more term is an error */
    snprintf(q + n, sizeof q - n, "extra");
    check_error(q, "too many terms");
    snprintf(q + n, sizeof q - n, "-extra");
    check_error(q, "too many terms");
    /* out is reset by every call: a short query after a long one */
    CHECK("one", {"one", ""});
}

static void errors(void **state)
{
    (void)state;
    check_error("", "empty query");
    check_error("   \t\r\n", "empty query");
    check_error("***", "empty query");
    check_error("- -- ---", "empty query");
    check_error("\"\"", "empty query");
    check_error("\"unclosed", "unclosed quote");
    check_error("a \"b c", "unclosed quote");
    check_error("a \"b\" \"c", "unclosed quote");
    check_error("-\"b c", "unclosed quote");
    check_error("he\"llo", "unclosed quote");
    check_error("OR", "OR needs a term on both sides");
    check_error("OR a", "OR needs a term on both sides");
    check_error("a OR", "OR needs a term on both sides");
    check_error("a OR   ", "OR needs a term on both sides");
    check_error("a OR OR b", "OR needs a term on both sides");
    check_error("a OR *** b", "OR needs a term on both sides");
    check_error("a OR \"\"", "OR needs a term on both sides");
    check_error("-a", "not excluded");
    check_error("-a -\"b c\" -d*", "not excluded");
    check_error("a OR -b", "excluded term cannot be part of OR");
    check_error("-a OR b", "excluded term cannot be part of OR");
    check_error("x -a OR b", "excluded term cannot be part of OR");
}

static void null_err(void **state)
{
    (void)state;
    cairn_query qy;
    /* err may be NULL */
    assert_int_equal(cairn_query_parse("", &qy, NULL), CAIRN_PARSE);
    assert_int_equal(cairn_query_parse("a OR", &qy, NULL), CAIRN_PARSE);
    assert_int_equal(cairn_query_parse("\"x", &qy, NULL), CAIRN_PARSE);
    assert_int_equal(cairn_query_parse("ok", &qy, NULL), CAIRN_OK);
    assert_int_equal(qy.nterms, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words),     cmocka_unit_test(identifiers), cmocka_unit_test(phrases),
        cmocka_unit_test(prefixes),  cmocka_unit_test(negation),    cmocka_unit_test(or_groups),
        cmocka_unit_test(limits),    cmocka_unit_test(errors),      cmocka_unit_test(null_err),
    };
    return cmocka_run_group_tests_name("query", tests, NULL, NULL);
}
