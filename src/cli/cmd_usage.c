/* cli/cmd_usage.c - `cairn usage`: tokens and cost per day, week, month, project, model or session. */
#include <string.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "json/write.h"

static void jw_group(cn_jw *w, const cairn_usage_group *g)
{
    cn_jw_obj(w);
    cn_jw_key(w, "key");
    cn_jw_cstr(w, g->key);
    cn_jw_key(w, "agents");
    cn_jw_cstr(w, g->agents);
    cn_jw_key(w, "responses");
    cn_jw_i64(w, (int64_t)g->responses);
    cn_jw_key(w, "input");
    cn_jw_i64(w, g->tokens.input);
    cn_jw_key(w, "output");
    cn_jw_i64(w, g->tokens.output);
    cn_jw_key(w, "reasoning");
    cn_jw_i64(w, g->tokens.reasoning);
    cn_jw_key(w, "cache_read");
    cn_jw_i64(w, g->tokens.cache_read);
    cn_jw_key(w, "cache_write");
    cn_jw_i64(w, g->tokens.cache_write);
    cn_jw_key(w, "cost");
    cn_jw_f64(w, g->cost);
    cn_jw_key(w, "cost_estimated");
    cn_jw_f64(w, g->cost_estimated);
    cn_jw_key(w, "unpriced_responses");
    cn_jw_i64(w, (int64_t)g->unpriced);
    cn_jw_obj_end(w);
}

static void print_group(const cairn_usage_group *g)
{
    char key[48]; /* a longer key keeps its end, where a path's project is: "…/app" */
    size_t n = strlen(g->key);
    if (n > 40)
        snprintf(key, sizeof key, "\xe2\x80\xa6%s", g->key + n - 39);
    else
        snprintf(key, sizeof key, "%s", g->key);
    printf("%-*s %12lld %10lld %10lld %13lld %12lld %10.4f%s\n", n > 40 ? 42 : 40, key,
           (long long)g->tokens.input, (long long)g->tokens.output,
           (long long)g->tokens.reasoning, (long long)g->tokens.cache_read,
           (long long)g->tokens.cache_write, g->cost,
           g->cost_estimated > 0 ? (g->cost_estimated < g->cost ? " ~" : " est") : "");
}

int cmd_usage(cli *c)
{
    cairn_store *s;
    cairn_err e;
    cairn_usage_report r;
    int by = cairn_usage_by_parse(c->by ? c->by : "day");

    if (by < 0) {
        cli_error("--by takes day, week, month, project, model or session, not '%s'", c->by);
        return EXIT_FATAL;
    }
    if (cli_open_store(c, CAIRN_STORE_READONLY, &s))
        return EXIT_FATAL;
    cairn_usage_filter f = {c->agent, c->since_ms, c->until_ms, c->project};
    if (cairn_usage_compute(s, &f, (cairn_usage_by)by, c->prices, &r, &e)) {
        cli_error("%s", e.msg);
        cairn_store_close(s);
        return EXIT_FATAL;
    }
    if (c->json) {
        cn_buf out;
        cn_jw w;
        cli_json_begin(&out, &w);
        cn_jw_obj(&w);
        cn_jw_key(&w, "by");
        cn_jw_cstr(&w, c->by ? c->by : "day");
        cn_jw_key(&w, "groups");
        cn_jw_arr(&w);
        for (size_t i = 0; i < r.n; i++)
            jw_group(&w, &r.groups[i]);
        cn_jw_arr_end(&w);
        cn_jw_key(&w, "total");
        jw_group(&w, &r.total);
        cn_jw_obj_end(&w);
        cli_json_end(&out, &w);
    } else {
        printf("%-40s %12s %10s %10s %13s %12s %10s\n", c->by ? c->by : "day", "input", "output",
               "reasoning", "cache read", "cache write", "cost $");
        for (size_t i = 0; i < r.n; i++)
            print_group(&r.groups[i]);
        print_group(&r.total);
        if (r.total.cost_estimated > 0)
            printf("\n'est': cost estimated from the price table; '~': partly estimated. "
                   "Recorded costs come from the agents.\n");
        if (r.total.unpriced)
            printf("%zu responses of models without a price are counted at $0 "
                   "(--prices FILE adds prices).\n", r.total.unpriced);
    }
    cairn_usage_report_release(&r);
    cairn_store_close(s);
    return EXIT_OK;
}
