/*
 * bench/gen_opencode_out.c - where the synthetic history goes: G1 files or G2 rows.
 *
 * G1 (formats §4.1): storage/migration, project/<pid>.json,
 * session/<pid>/<ses>.json, message/<ses>/<msg>.json, part/<msg>/<prt>.json,
 * todo/<ses>.json, session_diff/<ses>.json; one open/write/close per file.
 * G2 (formats §3.2): the 1.18.33 tables project, project_directory,
 * session, message, part and todo with their column names.  The bulk is
 * loaded without a journal; then the database is switched to WAL and the
 * newest sessions are committed into the WAL and left there (no checkpoint
 * on close): the state of a database opencode is still using.
 *
 * Invariant: nothing here draws random numbers (see gen_opencode.c).
 */
#include "gen_opencode.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { ST_PROJ, ST_PDIR, ST_SES, ST_MSG, ST_PART, ST_TODO };

void oc_die(const char *what, const char *detail)
{
    fprintf(stderr, "gen_opencode: %s: %s\n", what, detail);
    exit(2);
}

static void put_file(oc_ctx *g, int dirfd, const char *rel, cairn_str data)
{
    int fd = openat(dirfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        oc_die(rel, strerror(errno));
    for (size_t off = 0; off < data.len;) {
        ssize_t n = write(fd, data.ptr + off, data.len - off);
        if (n < 0 && errno != EINTR)
            oc_die(rel, strerror(errno));
        off += n > 0 ? (size_t)n : 0;
    }
    if (close(fd))
        oc_die(rel, strerror(errno));
    g->c->files++;
    g->c->json_bytes += data.len;
}

static void make_dir(int dirfd, const char *rel)
{
    if (mkdirat(dirfd, rel, 0755) && errno != EEXIST)
        oc_die(rel, strerror(errno));
}

static int open_dir(int dirfd, const char *rel)
{
    make_dir(dirfd, rel);
    int fd = openat(dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        oc_die(rel, strerror(errno));
    return fd;
}

static void exec_sql(oc_ctx *g, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(g->db, sql, NULL, NULL, &msg) != SQLITE_OK)
        oc_die(sql, msg ? msg : "failed");
}

static void row(oc_ctx *g, int st)
{
    if (sqlite3_step(g->st[st]) != SQLITE_DONE)
        oc_die("sqlite insert", sqlite3_errmsg(g->db));
    sqlite3_reset(g->st[st]);
}

static void bs(oc_ctx *g, int st, int i, cairn_str s)
{
    sqlite3_bind_text(g->st[st], i, s.ptr, (int)s.len, SQLITE_STATIC);
}

static void bc(oc_ctx *g, int st, int i, const char *s)
{
    sqlite3_bind_text(g->st[st], i, s, -1, SQLITE_STATIC);
}

static void bi(oc_ctx *g, int st, int i, int64_t v)
{
    sqlite3_bind_int64(g->st[st], i, v);
}

/* The 1.18.33 DDL of the tables read (shared/fixtures/opencode/sqlite-1.18.33). */
static const char schema[] =
    "CREATE TABLE `project` (`id` text PRIMARY KEY, `worktree` text NOT NULL, `vcs` text, "
    "`name` text, `icon_url` text, `icon_url_override` text, `icon_color` text, "
    "`time_created` integer NOT NULL, `time_updated` integer NOT NULL, `time_initialized` "
    "integer, `sandboxes` text NOT NULL, `commands` text);"
    "CREATE TABLE `project_directory` (`project_id` text NOT NULL, `directory` text NOT NULL, "
    "`type` text, `strategy` text, `time_created` integer NOT NULL, CONSTRAINT "
    "`project_directory_pk` PRIMARY KEY(`project_id`, `directory`));"
    "CREATE TABLE `session` (`id` text PRIMARY KEY, `project_id` text NOT NULL, `workspace_id` "
    "text, `parent_id` text, `slug` text NOT NULL, `directory` text NOT NULL, `path` text, "
    "`title` text NOT NULL, `version` text NOT NULL, `share_url` text, `summary_additions` "
    "integer, `summary_deletions` integer, `summary_files` integer, `summary_diffs` text, "
    "`metadata` text, `cost` real DEFAULT 0 NOT NULL, `tokens_input` integer DEFAULT 0 NOT NULL, "
    "`tokens_output` integer DEFAULT 0 NOT NULL, `tokens_reasoning` integer DEFAULT 0 NOT NULL, "
    "`tokens_cache_read` integer DEFAULT 0 NOT NULL, `tokens_cache_write` integer DEFAULT 0 NOT "
    "NULL, `revert` text, `permission` text, `agent` text, `model` text, `time_created` integer "
    "NOT NULL, `time_updated` integer NOT NULL, `time_compacting` integer, `time_archived` "
    "integer);"
    "CREATE TABLE `message` (`id` text PRIMARY KEY, `session_id` text NOT NULL, `time_created` "
    "integer NOT NULL, `time_updated` integer NOT NULL, `data` text NOT NULL);"
    "CREATE TABLE `part` (`id` text PRIMARY KEY, `message_id` text NOT NULL, `session_id` text "
    "NOT NULL, `time_created` integer NOT NULL, `time_updated` integer NOT NULL, `data` text NOT "
    "NULL);"
    "CREATE TABLE `todo` (`session_id` text NOT NULL, `content` text NOT NULL, `status` text NOT "
    "NULL, `priority` text NOT NULL, `position` integer NOT NULL, `time_created` integer NOT "
    "NULL, `time_updated` integer NOT NULL, CONSTRAINT `todo_pk` PRIMARY KEY(`session_id`, "
    "`position`));";
static const char indexes[] =
    "CREATE INDEX `session_project_idx` ON `session` (`project_id`);"
    "CREATE INDEX `session_workspace_idx` ON `session` (`workspace_id`);"
    "CREATE INDEX `session_parent_idx` ON `session` (`parent_id`);"
    "CREATE INDEX `message_session_time_created_id_idx` ON `message` (`session_id`,"
    "`time_created`,`id`);"
    "CREATE INDEX `part_message_id_id_idx` ON `part` (`message_id`,`id`);"
    "CREATE INDEX `part_session_idx` ON `part` (`session_id`);"
    "CREATE INDEX `todo_session_idx` ON `todo` (`session_id`);";
static const char *const inserts[] = {
    [ST_PROJ] = "INSERT INTO project (id, worktree, vcs, time_created, time_updated, sandboxes) "
                "VALUES (?1, ?2, 'git', ?3, ?4, '[]')",
    [ST_PDIR] = "INSERT INTO project_directory (project_id, directory, time_created) VALUES (?1, "
                "?2, ?3)",
    [ST_SES] = "INSERT INTO session (id, project_id, parent_id, slug, directory, path, title, "
               "version, summary_additions, summary_deletions, summary_files, cost, tokens_input, "
               "tokens_output, tokens_reasoning, tokens_cache_read, tokens_cache_write, "
               "permission, agent, model, time_created, time_updated, time_archived) VALUES (?1, "
               "?2, ?3, ?4, ?5, '', ?6, '1.18.33', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
               "?17, ?18, ?19, ?20, ?21)",
    [ST_MSG] = "INSERT INTO message (id, session_id, time_created, time_updated, data) VALUES "
               "(?1, ?2, ?3, ?4, ?5)",
    [ST_PART] = "INSERT INTO part (id, message_id, session_id, time_created, time_updated, data) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_TODO] = "INSERT INTO todo (session_id, content, status, priority, position, "
                "time_created, time_updated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
};

void oc_out_open(oc_ctx *g)
{
    char path[4096];
    if (!g->o->g2) {
        int root = open_dir(AT_FDCWD, g->o->dir), st = open_dir(root, "storage");
        put_file(g, st, "migration", (cairn_str){"2", 1});
        g->fd_ses = open_dir(st, "session");
        g->fd_msg = open_dir(st, "message");
        g->fd_part = open_dir(st, "part");
        g->fd_todo = open_dir(st, "todo");
        g->fd_diff = open_dir(st, "session_diff");
        g->fd_proj = open_dir(st, "project");
        close(st);
        close(root);
        return;
    }
    static const char *const files[] = {"opencode.db", "opencode.db-wal", "opencode.db-shm"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", g->o->dir, files[k]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/opencode.db", g->o->dir);
    if (sqlite3_open(path, &g->db) != SQLITE_OK)
        oc_die(path, sqlite3_errmsg(g->db));
    exec_sql(g, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;");
    exec_sql(g, schema);
    for (int k = 0; k < 6; k++)
        if (sqlite3_prepare_v2(g->db, inserts[k], -1, &g->st[k], NULL) != SQLITE_OK)
            oc_die(inserts[k], sqlite3_errmsg(g->db));
    exec_sql(g, "BEGIN");
}

void oc_out_tail(oc_ctx *g)
{
    if (!g->o->g2)
        return;
    exec_sql(g, "COMMIT");
    exec_sql(g, indexes);
    exec_sql(g, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=0;");
    sqlite3_db_config(g->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    g->tail = true;
    exec_sql(g, "BEGIN");
}

void oc_out_close(oc_ctx *g)
{
    if (!g->o->g2) {
        close(g->fd_ses);
        close(g->fd_msg);
        close(g->fd_part);
        close(g->fd_todo);
        close(g->fd_diff);
        close(g->fd_proj);
        return;
    }
    exec_sql(g, "COMMIT");
    if (!g->tail) {
        exec_sql(g, indexes);
        exec_sql(g, "PRAGMA journal_mode=WAL");
    }
    for (int k = 0; k < 6; k++)
        sqlite3_finalize(g->st[k]);
    if (sqlite3_close(g->db) != SQLITE_OK)
        oc_die("sqlite close", sqlite3_errmsg(g->db));
}

void oc_out_project(oc_ctx *g, uint32_t p)
{
    char wt[128], rel[128];
    g->c->projects++;
    if (!g->o->g2) {
        snprintf(rel, sizeof rel, "%s.json", g->proj_id[p]);
        put_file(g, g->fd_proj, rel, oc_json_project(g, p));
        make_dir(g->fd_ses, g->proj_id[p]);
        return;
    }
    oc_worktree(p, wt, sizeof wt);
    bc(g, ST_PROJ, 1, g->proj_id[p]);
    bc(g, ST_PROJ, 2, wt);
    bi(g, ST_PROJ, 3, g->proj_created);
    bi(g, ST_PROJ, 4, g->proj_updated);
    row(g, ST_PROJ);
    bc(g, ST_PDIR, 1, g->proj_id[p]);
    bc(g, ST_PDIR, 2, wt);
    bi(g, ST_PDIR, 3, g->proj_created);
    row(g, ST_PDIR);
}

static void out_part(oc_ctx *g, const oc_sess *s, const oc_msg *m, const oc_part *p)
{
    cairn_str json = oc_json_part(g, s, m, p);
    g->c->parts++;
    g->c->tool_parts += p->kind == P_TOOL;
    g->c->big_parts += json.len >= 10000;
    if (!g->o->g2) {
        char rel[80];
        snprintf(rel, sizeof rel, "%s/%s.json", m->id, p->id);
        put_file(g, g->fd_part, rel, json);
        return;
    }
    g->c->json_bytes += json.len;
    bc(g, ST_PART, 1, p->id);
    bc(g, ST_PART, 2, m->id);
    bc(g, ST_PART, 3, s->id);
    bi(g, ST_PART, 4, p->t0);
    bi(g, ST_PART, 5, p->t1);
    bs(g, ST_PART, 6, json);
    row(g, ST_PART);
}

void oc_out_message(oc_ctx *g, const oc_sess *s, const oc_msg *m, const oc_part *parts)
{
    cairn_str json = oc_json_message(g, s, m);
    g->c->messages++;
    if (!g->o->g2) {
        char rel[80];
        if (g->msgdir != s) {
            make_dir(g->fd_msg, s->id);
            g->msgdir = s;
        }
        snprintf(rel, sizeof rel, "%s/%s.json", s->id, m->id);
        put_file(g, g->fd_msg, rel, json);
        if (m->nparts)
            make_dir(g->fd_part, m->id);
    } else {
        g->c->json_bytes += json.len;
        bc(g, ST_MSG, 1, m->id);
        bc(g, ST_MSG, 2, s->id);
        bi(g, ST_MSG, 3, m->t0);
        bi(g, ST_MSG, 4, m->t1);
        bs(g, ST_MSG, 5, json);
        row(g, ST_MSG);
    }
    for (uint32_t j = 0; j < m->nparts; j++)
        out_part(g, s, m, &parts[j]);
}

static void out_session_row(oc_ctx *g, const oc_sess *s)
{
    char wt[128], model[160];
    bc(g, ST_SES, 1, s->id);
    bc(g, ST_SES, 2, g->proj_id[s->project]);
    if (s->parent >= 0)
        bc(g, ST_SES, 3, g->sess[s->parent].id);
    else
        sqlite3_bind_null(g->st[ST_SES], 3);
    bc(g, ST_SES, 4, s->slug);
    bc(g, ST_SES, 5, oc_worktree(s->project, wt, sizeof wt));
    bc(g, ST_SES, 6, s->title);
    bi(g, ST_SES, 7, s->additions);
    bi(g, ST_SES, 8, s->deletions);
    bi(g, ST_SES, 9, s->files);
    sqlite3_bind_double(g->st[ST_SES], 10, s->tok.cost);
    bi(g, ST_SES, 11, s->tok.input);
    bi(g, ST_SES, 12, s->tok.output);
    bi(g, ST_SES, 13, s->tok.reasoning);
    bi(g, ST_SES, 14, s->tok.cache_read);
    bi(g, ST_SES, 15, s->tok.cache_write);
    bc(g, ST_SES, 16, oc_permission_json);
    bc(g, ST_SES, 17, s->parent >= 0 ? "general" : "build");
    bc(g, ST_SES, 18, oc_model_json(s, model, sizeof model));
    bi(g, ST_SES, 19, s->t0);
    bi(g, ST_SES, 20, s->t1);
    if (s->archived)
        bi(g, ST_SES, 21, s->t1);
    else
        sqlite3_bind_null(g->st[ST_SES], 21);
    row(g, ST_SES);
}

void oc_out_session(oc_ctx *g, const oc_sess *s)
{
    char rel[128], content[160];
    const char *status, *priority;
    g->c->sessions++;
    g->c->todos += s->ntodo;
    if (!g->o->g2) {
        snprintf(rel, sizeof rel, "%s/%s.json", g->proj_id[s->project], s->id);
        put_file(g, g->fd_ses, rel, oc_json_session(g, s));
        snprintf(rel, sizeof rel, "%s.json", s->id);
        put_file(g, g->fd_diff, rel, (cairn_str){"[]", 2});
        if (s->ntodo)
            put_file(g, g->fd_todo, rel, oc_json_todos(g, s));
        return;
    }
    out_session_row(g, s);
    for (uint32_t k = 0; k < s->ntodo; k++) {
        oc_todo(s, k, content, sizeof content, &status, &priority);
        bc(g, ST_TODO, 1, s->id);
        bc(g, ST_TODO, 2, content);
        bc(g, ST_TODO, 3, status);
        bc(g, ST_TODO, 4, priority);
        bi(g, ST_TODO, 5, k);
        bi(g, ST_TODO, 6, s->t0);
        bi(g, ST_TODO, 7, s->t1);
        row(g, ST_TODO);
    }
}
