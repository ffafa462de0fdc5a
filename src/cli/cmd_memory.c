/* cli/cmd_memory.c - `cairn remember / recall / forget / context`: cairn's own data. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/str.h"
#include "cli/cli.h"
#include "api/api.h"
#include "json/write.h"

static void print_memories(const cli *c, const cairn_memories *m, const char *list_key)
{
    char t[40];
    if (c->json) {
        cn_buf out;
        cn_jw w;
        cli_json_begin(&out, &w);
        cn_jw_obj(&w);
        cn_jw_key(&w, list_key);
        cn_jw_arr(&w);
        for (size_t i = 0; i < m->n; i++)
            cn_api_memory_json(&w, &m->items[i]);
        cn_jw_arr_end(&w);
        cn_jw_key(&w, "count");
        cn_jw_i64(&w, (int64_t)m->n);
        cn_jw_obj_end(&w);
        cli_json_end(&out, &w);
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        const cairn_memory *x = &m->items[i];
        printf("%s = ", x->key);
        cli_put_line(stdout, cn_str(x->value), 200);
        printf("\n  %s  v%lld  used %lld time%s, last %s", x->memory_id, (long long)x->version,
               (long long)x->accessed_count, x->accessed_count == 1 ? "" : "s",
               cli_time(x->last_accessed_ms, t, sizeof t));
        if (x->expires_ms)
            printf("  expires %s", cli_time(x->expires_ms, t, sizeof t));
        if (x->deleted_ms)
            printf("  (forgotten)");
        else if (x->superseded_ms)
            printf("  (superseded)");
        if (x->metadata_json)
            printf("\n  meta %s", x->metadata_json);
        putchar('\n');
    }
}

int cmd_remember(cli *c)
{
    cairn_store *s;
    cairn_memories *m;
    cairn_err e;
    int64_t ttl = 0;
    int st;

    if (c->nargs != 3) {
        cli_error("usage: cairn remember PROJECT KEY VALUE [--ttl 1h] [--meta JSON]");
        return EXIT_FATAL;
    }
    if (c->ttl && cn_duration_parse(cn_str(c->ttl), &ttl, &e)) {
        cli_error("--ttl: %s", e.msg);
        return EXIT_FATAL;
    }
    if (ttl > CAIRN_TTL_MAX_SECONDS) {
        cli_error("--ttl: '%s' is over 100 years (36525d)", c->ttl);
        return EXIT_FATAL;
    }
    if ((st = cli_open_store(c, 0, &s)))
        return st;
    if (cairn_memory_save(s, c->args[0], c->args[1], c->args[2], c->meta, ttl, &m, &e)) {
        cli_store_error(&e);
        cairn_store_close(s);
        return EXIT_FATAL;
    }
    if (c->json) {
        cn_buf out;
        cn_jw w;
        cli_json_begin(&out, &w);
        cn_jw_obj(&w);
        cn_jw_key(&w, "memory_id");
        cn_jw_cstr(&w, m->items[0].memory_id);
        cn_jw_key(&w, "project_id");
        cn_jw_cstr(&w, m->items[0].project_id);
        cn_jw_key(&w, "key");
        cn_jw_cstr(&w, m->items[0].key);
        cn_jw_key(&w, "version");
        cn_jw_i64(&w, m->items[0].version);
        cn_jw_key(&w, "message");
        cn_jw_cstr(&w, "Memory created successfully");
        cn_jw_obj_end(&w);
        cli_json_end(&out, &w);
    } else if (!c->quiet) { /* the value as recall shows it: no control bytes reach the terminal */
        fputs("remembered ", stdout);
        cli_put_line(stdout, cn_str(m->items[0].key), 200);
        fputs(" = ", stdout);
        cli_put_line(stdout, cn_str(m->items[0].value), 200);
        fputs(" in ", stdout);
        cli_put_line(stdout, cn_str(m->items[0].project_id), 200);
        printf(" (%s, version %lld)\n", m->items[0].memory_id, (long long)m->items[0].version);
    }
    cairn_memories_free(m);
    cairn_store_close(s);
    return EXIT_OK;
}

int cmd_recall(cli *c)
{
    cairn_store *s;
    cairn_memories *m;
    cairn_err e;
    cairn_rc rc;
    int st;

    if (c->nargs < 1 || c->nargs > 2 || (c->history && c->nargs != 2)) {
        cli_error("usage: cairn recall PROJECT [KEY] [--history] [--limit N] [--json]");
        return EXIT_FATAL;
    }
    if ((st = cli_open_store(c, CAIRN_STORE_EXISTING, &s)))
        return st;
    const char *key = c->nargs == 2 ? c->args[1] : NULL;
    if (c->history)
        rc = cairn_memory_history(s, c->args[0], key, &m, &e);
    else
        rc = cairn_memory_recall(s, c->args[0], key, c->limit, &m, &e);
    if (rc) {
        cli_store_error(&e);
        cairn_store_close(s);
        return EXIT_FATAL;
    }
    if (!m->n && !c->json && !c->quiet)
        fprintf(stderr, "no memories in project '%s'\n", c->args[0]);
    print_memories(c, m, c->history ? "versions" : "memories");
    cairn_memories_free(m);
    cairn_store_close(s);
    return EXIT_OK;
}

int cmd_forget(cli *c)
{
    cairn_store *s;
    cairn_err e;
    int st;
    if (c->nargs != 2) {
        cli_error("usage: cairn forget PROJECT KEY [--undo]");
        return EXIT_FATAL;
    }
    if ((st = cli_open_store(c, CAIRN_STORE_EXISTING, &s)))
        return st;
    cairn_rc rc = c->undo ? cairn_memory_restore(s, c->args[0], c->args[1], &e)
                          : cairn_memory_forget(s, c->args[0], c->args[1], &e);
    if (rc)
        cli_store_error(&e);
    else if (!c->quiet)
        printf("%s %s in %s%s\n", c->undo ? "restored" : "forgot", c->args[1], c->args[0],
               c->undo ? "" : " ('cairn forget --undo' brings it back)");
    cairn_store_close(s);
    return rc ? EXIT_FATAL : EXIT_OK;
}

int cmd_context(cli *c)
{
    cairn_store *s;
    cairn_err e;
    char *json;
    size_t len;
    int st;

    if (c->nargs != 1) {
        cli_error("usage: cairn context SESSION [--add-file P [--importance X]] [--add-search Q]"
                  " [--add-decision TEXT] [--add-memory ID]");
        return EXIT_FATAL;
    }
    if ((st = cli_open_store(c, CAIRN_STORE_EXISTING, &s)))
        return st;
    char id[256]; /* the session's id, from a unique prefix of it too (as show takes) */
    if (cairn_session_resolve(s, c->args[0], id, sizeof id, &e) ||
        (c->nadd && cairn_context_append(s, id, c->add, c->nadd, &e))) {
        cli_store_error(&e);
        cairn_store_close(s);
        return EXIT_FATAL;
    }
    if (cairn_context_get(s, id, &json, &len, &e)) {
        cli_store_error(&e);
        cairn_store_close(s);
        return EXIT_FATAL;
    }
    if (!c->quiet || !c->nadd) /* what was asked for; after --add-*, a confirmation */
        cli_put_json(json, len);
    free(json);
    cairn_store_close(s);
    return EXIT_OK;
}
