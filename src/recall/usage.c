/*
 * recall/usage.c - pricing and grouping of token usage (cairn/usage.h).
 *
 * The price table is dollars per million tokens, matched by the longest
 * model-name prefix (a provider prefix such as "anthropic/" is ignored).
 * Models with a long-context tier are priced per token type: the first
 * 200,000 tokens of a type in one response at the base price, the rest at
 * the tier price -- the rule ccusage applies, so estimates agree with it.
 * Prices as published by the vendors in 2025-2026; override with a file.
 */
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/file.h"
#include "base/str.h"
#include "cairn/usage.h"
#include "json/json.h"

typedef struct price {
    char model[64];
    double in, out, cache_read, cache_write;         /* $ per million tokens */
    double in_hi, out_hi, cache_read_hi, cache_write_hi; /* above 200k tokens, 0: no tier */
} price;

#define TIER 200000

static const price shipped[] = {
    {"claude-opus-4-5", 5, 25, 0.5, 6.25, 0, 0, 0, 0},
    {"claude-opus-4-1", 15, 75, 1.5, 18.75, 0, 0, 0, 0},
    {"claude-opus-4", 15, 75, 1.5, 18.75, 0, 0, 0, 0},
    {"claude-sonnet-4-5", 3, 15, 0.3, 3.75, 6, 22.5, 0.6, 7.5},
    {"claude-sonnet-4", 3, 15, 0.3, 3.75, 6, 22.5, 0.6, 7.5},
    {"claude-3-7-sonnet", 3, 15, 0.3, 3.75, 0, 0, 0, 0},
    {"claude-3-5-sonnet", 3, 15, 0.3, 3.75, 0, 0, 0, 0},
    {"claude-haiku-4-5", 1, 5, 0.1, 1.25, 0, 0, 0, 0},
    {"claude-3-5-haiku", 0.8, 4, 0.08, 1, 0, 0, 0, 0},
    {"claude-3-haiku", 0.25, 1.25, 0.03, 0.3, 0, 0, 0, 0},
    {"claude-3-opus", 15, 75, 1.5, 18.75, 0, 0, 0, 0},
    {"gpt-5.3", 1.75, 14, 0.175, 0, 0, 0, 0, 0},
    {"gpt-5.2", 1.75, 14, 0.175, 0, 0, 0, 0, 0},
    {"gpt-5-mini", 0.25, 2, 0.025, 0, 0, 0, 0, 0},
    {"gpt-5-nano", 0.05, 0.4, 0.005, 0, 0, 0, 0, 0},
    {"gpt-5", 1.25, 10, 0.125, 0, 0, 0, 0, 0},
    {"gpt-4.1-mini", 0.4, 1.6, 0.1, 0, 0, 0, 0, 0},
    {"gpt-4.1", 2, 8, 0.5, 0, 0, 0, 0, 0},
    {"gpt-4o-mini", 0.15, 0.6, 0.075, 0, 0, 0, 0, 0},
    {"gpt-4o", 2.5, 10, 1.25, 0, 0, 0, 0, 0},
    {"o4-mini", 1.1, 4.4, 0.275, 0, 0, 0, 0, 0},
    {"o3", 2, 8, 0.5, 0, 0, 0, 0, 0},
    {"codex-mini", 1.5, 6, 0.375, 0, 0, 0, 0, 0},
};

typedef struct table {
    price *p;
    size_t n;
} table;

static const price *lookup(const table *t, const char *model)
{
    const price *best = NULL;
    size_t best_len = 0;
    if (!model)
        return NULL;
    const char *slash = strrchr(model, '/');
    if (slash)
        model = slash + 1;
    for (size_t i = 0; i < t->n; i++) {
        size_t n = strlen(t->p[i].model);
        if (n > best_len && !strncmp(model, t->p[i].model, n)) {
            best = &t->p[i];
            best_len = n;
        }
    }
    return best;
}

static double tiered(int64_t tokens, double base, double hi)
{
    if (tokens <= 0)
        return 0;
    if (hi <= 0 || tokens <= TIER)
        return (double)tokens * base / 1e6;
    return ((double)TIER * base + (double)(tokens - TIER) * hi) / 1e6;
}

static double cost_of(const price *p, const cairn_tokens *t)
{
    return tiered(t->input, p->in, p->in_hi) + tiered(t->output, p->out, p->out_hi) +
           tiered(t->cache_read, p->cache_read, p->cache_read_hi) +
           tiered(t->cache_write, p->cache_write, p->cache_write_hi);
}

bool cairn_price_estimate(const char *model, const cairn_tokens *t, double *usd)
{
    table tb = {(price *)shipped, sizeof shipped / sizeof shipped[0]};
    const price *p = lookup(&tb, model);
    if (!p)
        return false;
    *usd = cost_of(p, t);
    return true;
}

/* An entry of a prices file: its fields are prices, each a number >= 0. */
static cairn_rc load_price(cn_jval v, price *p, cn_arena *a, cairn_err *err)
{
    static const struct {
        const char *name;
        size_t off;
    } fields[] = {{"input", offsetof(price, in)},
                  {"output", offsetof(price, out)},
                  {"cache_read", offsetof(price, cache_read)},
                  {"cache_write", offsetof(price, cache_write)}};
    cn_jiter it = cn_json_iter(v);
    cn_jval k, x;
    while (cn_json_next(&it, &k, &x)) {
        cairn_str key = cn_json_str_or(k, a);
        size_t f;
        for (f = 0; f < sizeof fields / sizeof fields[0] && !cn_str_eqc(key, fields[f].name); f++)
            ;
        if (f == sizeof fields / sizeof fields[0])
            return cn_err_set(err, CAIRN_PARSE,
                              "unknown field '%.*s' (input, output, cache_read, cache_write)",
                              CAIRN_STR_FMT(key));
        double d;
        if (cn_json_f64(x, &d) || !isfinite(d) || d < 0)
            return cn_err_set(err, CAIRN_PARSE,
                              "field '%s' must be a number of dollars per million tokens, >= 0",
                              fields[f].name);
        memcpy((char *)p + fields[f].off, &d, sizeof d);
    }
    return CAIRN_OK;
}

/* The shipped table plus the entries of a prices file (which win). */
static cairn_rc load_table(const char *path, table *t, cairn_err *err)
{
    size_t extra = 0;
    cn_arena a;
    cn_file f;
    cn_json j;
    cairn_rc rc = CAIRN_OK;

    t->n = sizeof shipped / sizeof shipped[0];
    t->p = malloc(sizeof shipped);
    if (!t->p)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    memcpy(t->p, shipped, sizeof shipped);
    if (!path)
        return CAIRN_OK;
    cn_arena_init(&a, 0, 0);
    cn_json_init(&j);
    if ((rc = cn_file_load(AT_FDCWD, path, NULL, 1 << 20, &a, &f, err)))
        goto out;
    if ((rc = cn_json_parse(&j, f.data.ptr, f.data.len, err))) {
        cn_err_prefix(err, "prices file '%s'", path);
        goto out;
    }
    cn_jval root = cn_json_root(&j), k, v;
    if (!cn_json_is(root, CN_JSON_OBJECT)) {
        rc = cn_err_set(err, CAIRN_PARSE, "prices file '%s': expected an object of models", path);
        goto out;
    }
    extra = cn_json_count(root);
    price *np = realloc(t->p, (t->n + extra) * sizeof *np);
    if (!np) {
        rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
        goto out;
    }
    t->p = np;
    cn_jiter it = cn_json_iter(root);
    while (cn_json_next(&it, &k, &v)) {
        cairn_str name = cn_json_str_or(k, &a);
        price p = {0};
        if (!cn_json_is(v, CN_JSON_OBJECT) || name.len >= sizeof p.model || !name.len) {
            rc = cn_err_set(err, CAIRN_PARSE, "prices file '%s': entry '%.*s' is not an object",
                            path, CAIRN_STR_FMT(name));
            goto out;
        }
        memcpy(p.model, name.ptr, name.len);
        if ((rc = load_price(v, &p, &a, err))) {
            cn_err_prefix(err, "prices file '%s': model '%s'", path, p.model);
            goto out;
        }
        size_t i;
        for (i = 0; i < t->n && strcmp(t->p[i].model, p.model); i++)
            ;
        t->p[i] = p; /* a file entry replaces a shipped one of the same name */
        if (i == t->n)
            t->n++;
    }
out:
    cn_file_close(&f);
    cn_json_release(&j);
    cn_arena_release(&a);
    return rc;
}

int cairn_usage_by_parse(const char *name)
{
    static const char *const names[] = {"day", "week", "month", "project", "model", "session"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}

typedef struct acc {
    cairn_usage_by by;
    table prices;
    cairn_usage_report *r;
    size_t cap;
    bool oom;
} acc;

static void group_key(const acc *a, const cairn_usage_row *row, char *key, size_t n)
{
    char iso[40];
    switch (a->by) {
    case CAIRN_USAGE_BY_DAY:
    case CAIRN_USAGE_BY_MONTH:
        cn_time_iso(row->time_ms, iso, sizeof iso);
        snprintf(key, n, "%.*s", a->by == CAIRN_USAGE_BY_DAY ? 10 : 7, iso);
        break;
    case CAIRN_USAGE_BY_WEEK: {
        /* the Monday that starts the week (UTC) */
        int64_t day = row->time_ms / 86400000, dow = (day + 3) % 7; /* 1970-01-01 was a Thursday */
        cn_time_iso((day - dow) * 86400000, iso, sizeof iso);
        snprintf(key, n, "%.10s", iso);
        break;
    }
    case CAIRN_USAGE_BY_PROJECT:
        snprintf(key, n, "%s", row->directory && *row->directory ? row->directory
                               : row->project_id ? row->project_id : "-");
        break;
    case CAIRN_USAGE_BY_MODEL:
        snprintf(key, n, "%s", row->model ? row->model : "-");
        break;
    case CAIRN_USAGE_BY_SESSION:
        snprintf(key, n, "%s", row->session_id ? row->session_id : "-");
        break;
    }
}

static void add_to(cairn_usage_group *g, const cairn_usage_row *row, double cost, bool estimate,
                   bool unpriced)
{
    g->tokens.input += row->tokens.input;
    g->tokens.output += row->tokens.output;
    g->tokens.reasoning += row->tokens.reasoning;
    g->tokens.cache_read += row->tokens.cache_read;
    g->tokens.cache_write += row->tokens.cache_write;
    g->cost += cost;
    if (estimate)
        g->cost_estimated += cost;
    g->responses++;
    g->unpriced += unpriced;
    if (row->agent && !strstr(g->agents, row->agent)) {
        size_t n = strlen(g->agents);
        snprintf(g->agents + n, sizeof g->agents - n, "%s%s", n ? "," : "", row->agent);
    }
}

static int64_t weight(const cairn_tokens *t)
{
    return t->input + t->output + t->cache_read + t->cache_write;
}

static int on_row(const cairn_usage_row *row, void *ud)
{
    acc *a = ud;
    double cost = 0;
    bool estimate = false, unpriced = false;
    if (row->cost > 0) {
        cost = row->cost;
    } else if (row->in_parent_cost && row->session_cost <= 0) {
        cost = 0; /* Claude's cost-state of the parent already counts its sub-agents */
    } else if (row->session_cost > 0 && weight(&row->session_tokens) > 0) {
        cost = row->session_cost * (double)weight(&row->tokens) /
               (double)weight(&row->session_tokens);
    } else {
        const price *p = lookup(&a->prices, row->model);
        cairn_tokens t = row->tokens;
        if (p) {
            cost = cost_of(p, &t);
            estimate = true;
        } else {
            unpriced = true;
        }
    }
    char key[512];
    group_key(a, row, key, sizeof key);
    cairn_usage_report *r = a->r;
    size_t i;
    for (i = 0; i < r->n && strcmp(r->groups[i].key, key); i++)
        ;
    if (i == r->n) {
        if (r->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 32;
            cairn_usage_group *g = realloc(r->groups, cap * sizeof *g);
            if (!g) {
                a->oom = true;
                return 1;
            }
            r->groups = g;
            a->cap = cap;
        }
        memset(&r->groups[i], 0, sizeof r->groups[i]);
        snprintf(r->groups[i].key, sizeof r->groups[i].key, "%s", key);
        r->n++;
    }
    add_to(&r->groups[i], row, cost, estimate, unpriced);
    add_to(&r->total, row, cost, estimate, unpriced);
    return 0;
}

static int by_key(const void *x, const void *y)
{
    return strcmp(((const cairn_usage_group *)x)->key, ((const cairn_usage_group *)y)->key);
}

cairn_rc cairn_usage_compute(cairn_store *s, const cairn_usage_filter *f, cairn_usage_by by,
                             const char *prices_file, cairn_usage_report *out, cairn_err *err)
{
    acc a = {.by = by, .r = out};
    cairn_rc rc;
    memset(out, 0, sizeof *out);
    snprintf(out->total.key, sizeof out->total.key, "total");
    if ((rc = load_table(prices_file, &a.prices, err))) {
        free(a.prices.p);
        return rc;
    }
    rc = cairn_store_usage_rows(s, f, on_row, &a, err);
    free(a.prices.p);
    if (!rc && a.oom)
        rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
    if (rc) {
        cairn_usage_report_release(out);
        return rc;
    }
    qsort(out->groups, out->n, sizeof *out->groups, by_key);
    return CAIRN_OK;
}

void cairn_usage_report_release(cairn_usage_report *r)
{
    if (!r)
        return;
    free(r->groups);
    r->groups = NULL;
    r->n = 0;
}
