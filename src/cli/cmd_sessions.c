/* cli/cmd_sessions.c - `cairn sources`, `cairn sessions` and `cairn show`. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/map.h"
#include "base/str.h"
#include "cli/cli.h"
#include "json/write.h"

/* ---- sources ---- */

typedef struct plan_counts {
    size_t sessions[CAIRN_ORIGIN_JSONL + 1];
    size_t shadowed, messages, parts, files, dbs;
    int64_t bytes;
} plan_counts;

static void count_plan(cairn_plan *p, plan_counts *pc)
{
    memset(pc, 0, sizeof *pc);
    for (size_t i = 0; i < cairn_plan_count(p); i++) {
        const cairn_plan_item *it = cairn_plan_item_at(p, i);
        if (it->kind == CAIRN_ITEM_DB) {
            pc->dbs++;
            continue;
        }
        if (it->origin != CAIRN_ORIGIN_SQLITE) {
            pc->files++;
            pc->bytes += it->size;
        }
        if (it->shadowed) {
            pc->shadowed += it->kind == CAIRN_ITEM_SESSION;
            continue;
        }
        if (it->kind == CAIRN_ITEM_SESSION)
            pc->sessions[it->origin]++;
        pc->messages += it->kind == CAIRN_ITEM_MESSAGE;
        pc->parts += it->kind == CAIRN_ITEM_PART;
    }
}

int cmd_sources(cli *c)
{
    cairn_report *rep = cairn_report_new();
    cn_buf out;
    cn_jw w;
    cairn_source found[CLI_MAX_SOURCES];
    size_t n = CLI_MAX_SOURCES;

    if (!c->sources_given) {
        cairn_sources_discover(found, &n, NULL);
        memcpy(c->sources, found, n * sizeof *found);
        c->nsources = n;
    }
    cli_json_begin(&out, &w);
    cn_jw_arr(&w);
    if (!c->json)
        printf("%-11s %-6s %8s %7s %7s %7s %7s %9s  %s\n", "AGENT", "FOUND", "SESSIONS",
               "SQLITE", "JSON", "JSON-G0", "JSONL", "FILES", "PATH");
    for (size_t i = 0; i < c->nsources; i++) {
        cairn_source *s = &c->sources[i];
        plan_counts pc = {0};
        cairn_plan *p = NULL;
        bool exists = cairn_source_exists(s);
        if (exists) {
            cairn_err e;
            if (cairn_plan_new(s, &p, rep, &e) == CAIRN_OK)
                count_plan(p, &pc);
            else
                cairn_report_add(rep, e.rc, s->path, e.msg);
        }
        size_t total = 0;
        for (int o = CAIRN_ORIGIN_SQLITE; o <= CAIRN_ORIGIN_JSONL; o++)
            total += pc.sessions[o];
        if (c->json) {
            cn_jw_obj(&w);
            cn_jw_key(&w, "agent");
            cn_jw_cstr(&w, cairn_agent_name(s->agent));
            cn_jw_key(&w, "path");
            cn_jw_cstr(&w, s->path);
            cn_jw_key(&w, "discovered");
            cn_jw_bool(&w, s->from_env);
            cn_jw_key(&w, "exists");
            cn_jw_bool(&w, exists);
            cn_jw_key(&w, "sessions");
            cn_jw_i64(&w, (int64_t)total);
            cn_jw_key(&w, "by_origin");
            cn_jw_obj(&w);
            for (int o = CAIRN_ORIGIN_SQLITE; o <= CAIRN_ORIGIN_JSONL; o++) {
                cn_jw_key(&w, cairn_origin_name((cairn_origin)o));
                cn_jw_i64(&w, (int64_t)pc.sessions[o]);
            }
            cn_jw_obj_end(&w);
            cn_jw_key(&w, "shadowed");
            cn_jw_i64(&w, (int64_t)pc.shadowed);
            cn_jw_key(&w, "databases");
            cn_jw_arr(&w);
            for (size_t k = 0; p && k < cairn_plan_count(p); k++) {
                const cairn_plan_item *it = cairn_plan_item_at(p, k);
                if (it->kind == CAIRN_ITEM_DB)
                    cn_jw_str(&w, it->path);
            }
            cn_jw_arr_end(&w);
            cn_jw_key(&w, "json_files");
            cn_jw_i64(&w, (int64_t)pc.files);
            cn_jw_key(&w, "json_bytes");
            cn_jw_i64(&w, pc.bytes);
            cn_jw_obj_end(&w);
        } else {
            printf("%-11s %-6s %8zu %7zu %7zu %7zu %7zu %9zu  %s\n", cairn_agent_name(s->agent),
                   exists ? "yes" : "no", total, pc.sessions[CAIRN_ORIGIN_SQLITE],
                   pc.sessions[CAIRN_ORIGIN_JSON], pc.sessions[CAIRN_ORIGIN_JSON_G0],
                   pc.sessions[CAIRN_ORIGIN_JSONL], pc.files, s->path);
            if (pc.shadowed)
                printf("%-11s %zu sessions kept in two places are read once\n", "",
                       pc.shadowed);
        }
        cairn_plan_free(p);
    }
    cn_jw_arr_end(&w);
    if (c->json)
        cli_json_end(&out, &w);
    else
        cn_buf_release(&out);
    cli_print_issues(c, rep);
    int st = cli_status(rep);
    cairn_report_free(rep);
    return st;
}

/* ---- sessions ---- */

typedef struct sref {
    const cairn_batch *b;
    const cairn_session *s;
} sref;

static size_t session_parts(const cairn_batch *b, const cairn_session *s)
{
    size_t n = 0;
    for (uint32_t m = s->first_message; m < s->first_message + s->nmessages; m++)
        n += b->messages[m].nparts;
    return n;
}

static bool matches(const cli *c, const cairn_batch *b, const cairn_session *s)
{
    if (c->since_ms && s->time_updated_ms < c->since_ms)
        return false;
    if (c->until_ms && s->time_updated_ms >= c->until_ms)
        return false;
    if (c->project) {
        const char *p = c->project;
        bool hit = memmem(s->project_id.ptr, s->project_id.len, p, strlen(p)) ||
                   memmem(s->directory.ptr, s->directory.len, p, strlen(p));
        if (!hit && s->project != CAIRN_NONE) {
            const cairn_project *pr = &b->projects[s->project];
            for (uint32_t d = 0; d < pr->ndirs && !hit; d++)
                hit = memmem(pr->dirs[d].ptr, pr->dirs[d].len, p, strlen(p)) != NULL;
        }
        if (!hit)
            return false;
    }
    return true;
}

static int by_updated_desc(const void *a, const void *b)
{
    const sref *x = a, *y = b;
    if (x->s->time_updated_ms != y->s->time_updated_ms)
        return x->s->time_updated_ms > y->s->time_updated_ms ? -1 : 1;
    return cn_str_cmp(x->s->id, y->s->id);
}

static void jw_session(cn_jw *w, const cairn_batch *b, const cairn_session *s)
{
    cn_jw_key(w, "id");
    cn_jw_str(w, s->id);
    cn_jw_key(w, "agent");
    cn_jw_cstr(w, cairn_agent_name(s->agent));
    cn_jw_key(w, "origin");
    cn_jw_cstr(w, cairn_origin_name(s->origin));
    cn_jw_key(w, "title");
    cn_jw_str_or_null(w, s->title);
    cn_jw_key(w, "slug");
    cn_jw_str_or_null(w, s->slug);
    cn_jw_key(w, "project_id");
    cn_jw_str_or_null(w, s->project_id);
    cn_jw_key(w, "directory");
    cn_jw_str_or_null(w, s->directory);
    cn_jw_key(w, "parent_id");
    cn_jw_str_or_null(w, s->parent_id.len ? s->parent_id : (cairn_str){NULL, 0});
    cn_jw_key(w, "version");
    cn_jw_str_or_null(w, s->version);
    cn_jw_key(w, "agent_name");
    cn_jw_str_or_null(w, s->agent_name);
    cn_jw_key(w, "created");
    cn_jw_time(w, s->time_created_ms);
    cn_jw_key(w, "updated");
    cn_jw_time(w, s->time_updated_ms);
    cn_jw_key(w, "time_created_ms");
    cn_jw_i64(w, s->time_created_ms);
    cn_jw_key(w, "time_updated_ms");
    cn_jw_i64(w, s->time_updated_ms);
    cn_jw_key(w, "messages");
    cn_jw_i64(w, s->nmessages);
    cn_jw_key(w, "parts");
    cn_jw_i64(w, (int64_t)session_parts(b, s));
    cn_jw_key(w, "tokens");
    cli_jw_tokens(w, &s->tokens);
    cn_jw_key(w, "tokens_computed");
    cn_jw_bool(w, s->totals_computed);
    cn_jw_key(w, "cost");
    cn_jw_f64(w, s->cost);
    cn_jw_key(w, "source_path");
    cn_jw_str_or_null(w, s->source_path);
}

/* The sessions that pass the filters, each once: a session several sources hold, newest copy. */
static size_t collect(cli *c, const cli_load *l, sref **out)
{
    size_t n = 0, cap = 0;
    cn_map ids;
    for (size_t i = 0; i < l->n; i++)
        cap += l->batches[i]->nsessions;
    *out = calloc(cap + 1, sizeof **out);
    if (!*out)
        return 0;
    cn_map_init(&ids);
    for (size_t i = 0; i < l->n; i++)
        for (size_t k = 0; k < l->batches[i]->nsessions; k++) {
            const cairn_session *s = &l->batches[i]->sessions[k];
            if (!matches(c, l->batches[i], s))
                continue;
            uint32_t at = cn_map_get(&ids, s->id);
            if (at != UINT32_MAX) { /* another copy */
                if (cli_newer_copy(s, (*out)[at].s))
                    (*out)[at] = (sref){l->batches[i], s};
                continue;
            }
            (void)cn_map_put(&ids, s->id, (uint32_t)n); /* out of memory: a copy listed twice */
            (*out)[n++] = (sref){l->batches[i], s};
        }
    cn_map_release(&ids);
    return n;
}

int cmd_sessions(cli *c)
{
    cli_load l;
    sref *refs;
    char t[40];

    if (c->nargs) {
        cli_error("'sessions' takes no arguments (got '%s'); see 'cairn sessions --help'",
                  c->args[0]);
        return EXIT_FATAL;
    }
    if (cli_load_all(c, &l)) {
        cli_load_free(&l);
        return EXIT_FATAL;
    }
    size_t n = collect(c, &l, &refs);
    qsort(refs, n, sizeof *refs, by_updated_desc);
    if (c->json) {
        cn_buf out;
        cn_jw w;
        cli_json_begin(&out, &w);
        cn_jw_arr(&w);
        for (size_t i = 0; i < n; i++) {
            cn_jw_obj(&w);
            jw_session(&w, refs[i].b, refs[i].s);
            cn_jw_obj_end(&w);
        }
        cn_jw_arr_end(&w);
        cli_json_end(&out, &w);
    } else {
        printf("%-30s %-16s %-9s %5s %6s %15s  %s\n", "SESSION", "UPDATED", "AGENT", "MSGS",
               "PARTS", "TOKENS IN/OUT", "TITLE");
        for (size_t i = 0; i < n; i++) {
            const cairn_session *s = refs[i].s;
            char tok[40];
            snprintf(tok, sizeof tok, "%lld/%lld", (long long)s->tokens.input,
                     (long long)s->tokens.output);
            printf("%-30.*s %-16s %-9s %5u %6zu %15s  ", CAIRN_STR_FMT(s->id),
                   cli_time(s->time_updated_ms, t, sizeof t), cairn_agent_name(s->agent),
                   s->nmessages, session_parts(refs[i].b, s), tok);
            cli_put_line(stdout, s->title, 60);
            if (s->parent_id.len)
                printf("  (child of %.*s)", CAIRN_STR_FMT(s->parent_id));
            putchar('\n');
        }
        if (!c->quiet)
            fprintf(stderr, "%zu session%s\n", n, n == 1 ? "" : "s");
    }
    free(refs);
    cli_print_issues(c, l.rep);
    int st = cli_status(l.rep);
    cli_load_free(&l);
    return st;
}
