/* cli/cmd_show.c - `cairn show SESSION_ID`: one session as a tree, or as JSON. */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/str.h"
#include "cli/cli.h"
#include "json/json.h"
#include "json/write.h"

typedef struct found {
    const cairn_batch *b;
    const cairn_session *s;
    size_t matches;
} found;

/*
 * The session whose id is id, else the one it is a prefix of (matches counts
 * them).  A session several sources hold is one match: its newest copy.
 */
static void find_session(const cli_load *l, cairn_str id, found *f)
{
    bool exact = false;
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < l->n; i++) {
        const cairn_batch *b = l->batches[i];
        for (size_t k = 0; k < b->nsessions; k++) {
            const cairn_session *s = &b->sessions[k];
            bool is_exact = cn_str_eq(s->id, id);
            if (!is_exact && (exact || s->id.len <= id.len || memcmp(s->id.ptr, id.ptr, id.len)))
                continue;
            if (f->s && cn_str_eq(f->s->id, s->id)) { /* another copy of the one found */
                if (cli_newer_copy(s, f->s))
                    *f = (found){b, s, f->matches};
                continue;
            }
            if (is_exact && !exact) { /* the id itself beats every prefix */
                exact = true;
                *f = (found){b, s, 1};
                continue;
            }
            *f = (found){b, s, f->matches + 1};
        }
    }
}

/* Files a session touched: write/edit tool inputs, patch parts, attached files. */
static size_t touched_files(const cairn_batch *b, const cairn_session *s, cairn_str *out,
                            size_t max, cn_arena *a)
{
    size_t n = 0;
    cn_json j;
    cn_json_init(&j);
    for (uint32_t m = s->first_message; m < s->first_message + s->nmessages; m++) {
        const cairn_message *msg = &b->messages[m];
        for (uint32_t k = msg->first_part; k < msg->first_part + msg->nparts; k++) {
            const cairn_part *p = &b->parts[k];
            cairn_str raw = {NULL, 0};
            const char *key = NULL;
            if (p->type == CAIRN_PART_TOOL) {
                raw = p->u.tool.input;
                key = "filePath";
            } else if (p->type == CAIRN_PART_PATCH) {
                raw = p->u.patch.files;
            }
            if (!raw.len || cn_json_parse(&j, raw.ptr, raw.len, NULL))
                continue;
            cn_jval root = cn_json_root(&j), v;
            cn_jiter it = key ? (cn_jiter){0} : cn_json_iter(root);
            cairn_str path = {NULL, 0};
            if (key) {
                static const char *const keys[] = {"filePath", "file_path", "path"};
                for (size_t ki = 0; ki < 3 && !path.len; ki++)
                    path = cn_json_str_or(cn_json_get(root, keys[ki]), a);
            }
            do {
                if (!key && cn_json_next(&it, NULL, &v))
                    path = cn_json_str_or(v, a);
                if (!path.len)
                    break;
                size_t x;
                for (x = 0; x < n && !cn_str_eq(out[x], path); x++)
                    ;
                if (x == n && n < max)
                    out[n++] = path;
                path = (cairn_str){NULL, 0};
            } while (!key && it.i < it.end);
        }
    }
    cn_json_release(&j);
    return n;
}

static void jw_kv(cn_jw *w, const char *key, cairn_str v)
{
    if (!v.ptr)
        return;
    cn_jw_key(w, key);
    cn_jw_str(w, v);
}

static void jw_part(cn_jw *w, const cairn_part *p)
{
    cn_jw_obj(w);
    jw_kv(w, "id", p->id);
    cn_jw_key(w, "type");
    cn_jw_str(w, p->type_name);
    switch (p->type) {
    case CAIRN_PART_TEXT:
    case CAIRN_PART_REASONING:
        jw_kv(w, "text", p->u.text.text);
        if (p->synthetic) {
            cn_jw_key(w, "synthetic");
            cn_jw_bool(w, true);
        }
        break;
    case CAIRN_PART_TOOL:
        jw_kv(w, "tool", p->u.tool.name);
        jw_kv(w, "call_id", p->u.tool.call_id);
        cn_jw_key(w, "status");
        cn_jw_cstr(w, cairn_tool_status_name((cairn_tool_status)p->status));
        jw_kv(w, "title", p->u.tool.title);
        if (p->u.tool.input.ptr) {
            cn_jw_key(w, "input");
            cn_jw_raw(w, p->u.tool.input);
        }
        jw_kv(w, "output", p->u.tool.output);
        jw_kv(w, "error", p->u.tool.error);
        jw_kv(w, "child_session_id", p->u.tool.child_session_id);
        break;
    case CAIRN_PART_FILE:
        jw_kv(w, "mime", p->u.file.mime);
        jw_kv(w, "filename", p->u.file.filename);
        jw_kv(w, "url", p->u.file.url);
        jw_kv(w, "source_path", p->u.file.source_path);
        break;
    case CAIRN_PART_STEP_FINISH:
        jw_kv(w, "reason", p->u.step.reason);
        cn_jw_key(w, "tokens");
        cli_jw_tokens(w, &p->u.step.tokens);
        cn_jw_key(w, "cost");
        cn_jw_f64(w, p->u.step.cost);
        break;
    case CAIRN_PART_STEP_START:
    case CAIRN_PART_SNAPSHOT:
        jw_kv(w, "snapshot", p->u.step.snapshot);
        break;
    case CAIRN_PART_PATCH:
        jw_kv(w, "hash", p->u.patch.hash);
        if (p->u.patch.files.ptr) {
            cn_jw_key(w, "files");
            cn_jw_raw(w, p->u.patch.files);
        }
        break;
    case CAIRN_PART_SUBTASK:
        jw_kv(w, "prompt", p->u.subtask.prompt);
        jw_kv(w, "description", p->u.subtask.description);
        jw_kv(w, "agent", p->u.subtask.agent);
        break;
    case CAIRN_PART_AGENT:
        jw_kv(w, "name", p->u.agent.name);
        break;
    case CAIRN_PART_RETRY:
        cn_jw_key(w, "attempt");
        cn_jw_i64(w, p->u.retry.attempt);
        jw_kv(w, "error", p->u.retry.error);
        break;
    case CAIRN_PART_COMPACTION:
        cn_jw_key(w, "auto");
        cn_jw_bool(w, p->u.compaction.automatic);
        break;
    default:
        break;
    }
    cn_jw_obj_end(w);
}

static void show_json(const cli_load *l, const found *f, const cairn_str *files, size_t nfiles)
{
    const cairn_batch *b = f->b;
    const cairn_session *s = f->s;
    cn_buf out;
    cn_jw w;
    cli_json_begin(&out, &w);
    cn_jw_obj(&w);
    jw_kv(&w, "id", s->id);
    cn_jw_key(&w, "agent");
    cn_jw_cstr(&w, cairn_agent_name(s->agent));
    jw_kv(&w, "title", s->title);
    jw_kv(&w, "project_id", s->project_id);
    jw_kv(&w, "directory", s->directory);
    jw_kv(&w, "parent_id", s->parent_id);
    jw_kv(&w, "version", s->version);
    cn_jw_key(&w, "created");
    cn_jw_time(&w, s->time_created_ms);
    cn_jw_key(&w, "updated");
    cn_jw_time(&w, s->time_updated_ms);
    cn_jw_key(&w, "tokens");
        cli_jw_tokens(&w, &s->tokens);
    cn_jw_key(&w, "cost");
    cn_jw_f64(&w, s->cost);
    cn_jw_key(&w, "children");
    cn_jw_arr(&w);
    for (size_t i = 0; i < l->n; i++)
        for (size_t k = 0; k < l->batches[i]->nsessions; k++)
            if (cn_str_eq(l->batches[i]->sessions[k].parent_id, s->id))
                cn_jw_str(&w, l->batches[i]->sessions[k].id);
    cn_jw_arr_end(&w);
    cn_jw_key(&w, "files");
    cn_jw_arr(&w);
    for (size_t i = 0; i < nfiles; i++)
        cn_jw_str(&w, files[i]);
    cn_jw_arr_end(&w);
    cn_jw_key(&w, "messages");
    cn_jw_arr(&w);
    for (uint32_t m = s->first_message; m < s->first_message + s->nmessages; m++) {
        const cairn_message *msg = &b->messages[m];
        cn_jw_obj(&w);
        jw_kv(&w, "id", msg->id);
        jw_kv(&w, "role", msg->role);
        jw_kv(&w, "parent_id", msg->parent_id.len ? msg->parent_id : (cairn_str){NULL, 0});
        jw_kv(&w, "model", msg->model_id);
        jw_kv(&w, "provider", msg->provider_id);
        jw_kv(&w, "agent", msg->agent_name);
        jw_kv(&w, "finish", msg->finish);
        jw_kv(&w, "error", msg->error_message.ptr ? msg->error_message : msg->error_name);
        cn_jw_key(&w, "created");
        cn_jw_time(&w, msg->time_created_ms);
        cn_jw_key(&w, "tokens");
        cli_jw_tokens(&w, &msg->tokens);
        cn_jw_key(&w, "cost");
        cn_jw_f64(&w, msg->cost);
        cn_jw_key(&w, "parts");
        cn_jw_arr(&w);
        for (uint32_t k = msg->first_part; k < msg->first_part + msg->nparts; k++)
            jw_part(&w, &b->parts[k]);
        cn_jw_arr_end(&w);
        cn_jw_obj_end(&w);
    }
    cn_jw_arr_end(&w);
    cn_jw_obj_end(&w);
    cli_json_end(&out, &w);
}

static void show_part(const cairn_part *p)
{
    fputs("      ", stdout);
    switch (p->type) {
    case CAIRN_PART_TEXT:
    case CAIRN_PART_REASONING:
        printf("%s%s: ", cairn_part_type_name((cairn_part_type)p->type),
               p->synthetic ? " (synthetic)" : "");
        cli_put_line(stdout, p->u.text.text, 100);
        break;
    case CAIRN_PART_TOOL:
        printf("tool %.*s [%s] ", CAIRN_STR_FMT(p->u.tool.name),
               cairn_tool_status_name((cairn_tool_status)p->status));
        cli_put_line(stdout, p->u.tool.title.len ? p->u.tool.title : p->u.tool.input, 60);
        if (p->status == CAIRN_TOOL_ERROR) {
            fputs(" -> error: ", stdout);
            cli_put_line(stdout, p->u.tool.error, 80);
        } else if (p->u.tool.output.len) {
            fputs(" -> ", stdout);
            cli_put_line(stdout, p->u.tool.output, 60);
        }
        if (p->u.tool.child_session_id.len)
            printf(" (child %.*s)", CAIRN_STR_FMT(p->u.tool.child_session_id));
        break;
    case CAIRN_PART_FILE:
        printf("file %.*s (%.*s)", CAIRN_STR_FMT(p->u.file.filename),
               CAIRN_STR_FMT(p->u.file.mime));
        break;
    case CAIRN_PART_STEP_FINISH:
        printf("step-finish %.*s tokens %lld/%lld", CAIRN_STR_FMT(p->u.step.reason),
               (long long)p->u.step.tokens.input, (long long)p->u.step.tokens.output);
        break;
    case CAIRN_PART_PATCH:
        printf("patch ");
        cli_put_line(stdout, p->u.patch.files, 100);
        break;
    default:
        printf("%.*s", CAIRN_STR_FMT(p->type_name));
        cli_put_line(stdout, cairn_part_text(p), 80);
    }
    putchar('\n');
}

static void show_text(const cli_load *l, const found *f, const cairn_str *files, size_t nfiles)
{
    const cairn_batch *b = f->b;
    const cairn_session *s = f->s;
    char t1[40], t2[40];
    printf("session  %.*s  ", CAIRN_STR_FMT(s->id));
    cli_put_line(stdout, s->title, 100);
    printf("\n  agent    %s (%s%s%.*s)\n", cairn_agent_name(s->agent),
           cairn_origin_name(s->origin), s->version.len ? ", version " : "",
           CAIRN_STR_FMT(s->version));
    printf("  project  %.*s  %.*s\n", CAIRN_STR_FMT(s->project_id), CAIRN_STR_FMT(s->directory));
    printf("  time     created %s, updated %s\n", cli_time(s->time_created_ms, t1, sizeof t1),
           cli_time(s->time_updated_ms, t2, sizeof t2));
    printf("  tokens   in %lld, out %lld, reasoning %lld, cache read %lld, cache write %lld%s\n",
           (long long)s->tokens.input, (long long)s->tokens.output,
           (long long)s->tokens.reasoning, (long long)s->tokens.cache_read,
           (long long)s->tokens.cache_write, s->totals_computed ? " (summed from messages)" : "");
    printf("  cost     $%.4f\n", s->cost);
    if (s->parent_id.len)
        printf("  parent   %.*s\n", CAIRN_STR_FMT(s->parent_id));
    for (size_t i = 0; i < l->n; i++)
        for (size_t k = 0; k < l->batches[i]->nsessions; k++)
            if (cn_str_eq(l->batches[i]->sessions[k].parent_id, s->id)) {
                printf("  child    %.*s  ", CAIRN_STR_FMT(l->batches[i]->sessions[k].id));
                cli_put_line(stdout, l->batches[i]->sessions[k].title, 80);
                putchar('\n');
            }
    for (size_t i = 0; i < nfiles; i++)
        printf("  file     %.*s\n", CAIRN_STR_FMT(files[i]));
    printf("\n");
    for (uint32_t m = s->first_message; m < s->first_message + s->nmessages; m++) {
        const cairn_message *msg = &b->messages[m];
        printf("  %.*s  %-9.*s %s", CAIRN_STR_FMT(msg->id), CAIRN_STR_FMT(msg->role),
               cli_time(msg->time_created_ms, t1, sizeof t1));
        if (msg->model_id.len)
            printf("  %.*s/%.*s", CAIRN_STR_FMT(msg->provider_id), CAIRN_STR_FMT(msg->model_id));
        if (msg->finish.len)
            printf("  finish=%.*s", CAIRN_STR_FMT(msg->finish));
        if (msg->tokens.input || msg->tokens.output)
            printf("  tokens %lld/%lld", (long long)msg->tokens.input,
                   (long long)msg->tokens.output);
        if (msg->error_name.len)
            printf("  error=%.*s", CAIRN_STR_FMT(msg->error_name));
        putchar('\n');
        for (uint32_t k = msg->first_part; k < msg->first_part + msg->nparts; k++)
            show_part(&b->parts[k]);
    }
}

/*
 * The session is in none of the histories read: when the store has it (read
 * with --source, say), read the source it came from instead.  True when l was
 * loaded again; id (size bytes) then holds the session's full id.
 */
static bool from_store(cli *c, cli_load *l, char *id, size_t size)
{
    cairn_store *s;
    cairn_err e;
    cairn_source src;
    if (cairn_store_open(c->data_dir, CAIRN_STORE_READONLY, &s, &e))
        return false; /* no store: nothing to add to "no session" */
    cairn_rc rc = cairn_store_session_source(s, c->args[0], &src, id, size, &e);
    cairn_store_close(s);
    if (rc)
        return false;
    cli_load_free(l);
    c->sources[0] = src;
    c->nsources = 1;
    c->sources_given = true;
    cli_load_all(c, l); /* a source gone is said below, as "not there now" */
    return true;
}

/* Whether the store holds a session id names that was made over the API (no agent files). */
static bool made_over_api(const cli *c, char *id, size_t size)
{
    cairn_store *s;
    cairn_err e;
    if (cairn_store_open(c->data_dir, CAIRN_STORE_READONLY, &s, &e))
        return false;
    bool api = cairn_session_resolve(s, c->args[0], id, size, &e) == CAIRN_OK;
    cairn_store_close(s);
    return api;
}

int cmd_show(cli *c)
{
    cli_load l;
    found f;
    cairn_str files[256];
    cn_arena a;

    if (c->nargs != 1) {
        cli_error("usage: cairn show SESSION_ID [--json]");
        return EXIT_FATAL;
    }
    if (cli_load_all(c, &l)) {
        cli_load_free(&l);
        return EXIT_FATAL;
    }
    find_session(&l, cn_str(c->args[0]), &f);
    char stored[512];
    bool in_store = !f.matches && from_store(c, &l, stored, sizeof stored);
    if (in_store)
        find_session(&l, cn_str(stored), &f);
    if (f.matches != 1) {
        cli_print_issues(c, l.rep);
        if (f.matches)
            cli_error("'%s' matches %zu sessions; give more of the id", c->args[0], f.matches);
        else if (in_store)
            cli_error("session '%s' is in the store, read from '%s', but its files are not "
                      "there now (moved or deleted; 'cairn search --session %s' still finds its "
                      "text)",
                      stored, c->sources[0].path, stored);
        else if (made_over_api(c, stored, sizeof stored))
            cli_error("session '%s' was made over the API, not read from an agent: 'cairn "
                      "context %s' shows its context, GET /sessions/%s its fields",
                      stored, stored, stored);
        else
            cli_error("no session '%s'; 'cairn sessions' lists the agents' sessions", c->args[0]);
        cli_load_free(&l);
        return EXIT_FATAL;
    }
    cn_arena_init(&a, 0, 0);
    size_t nfiles = touched_files(f.b, f.s, files, 256, &a);
    if (c->json)
        show_json(&l, &f, files, nfiles);
    else
        show_text(&l, &f, files, nfiles);
    cn_arena_release(&a);
    cli_print_issues(c, l.rep);
    int st = cli_status(l.rep);
    cli_load_free(&l);
    return st;
}
