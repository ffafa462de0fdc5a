/*
 * store/write.c - writing records: sessions with their messages and parts,
 * and the full-text rows that index them.
 *
 * Invariant: fts_parts holds exactly one row per parts row that has text,
 * with the same values; rows are deleted from fts_parts (the 'delete'
 * command, fed the old values) before the parts rows they index.  A session
 * keeps its rowid across re-indexing, and the columns that belong to
 * cairn's own session API (context, pinned, archived, ...) are never
 * written here.  Re-indexing a session rewrites only the messages whose
 * content hash changed (a reply streaming into a long session, a line
 * appended to a transcript): the unchanged ones keep their rows and index.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/map.h"
#include "base/str.h"
#include "json/json.h"
#include "store/db.h"

#define BODY_MAX ((size_t)64 << 10)  /* text indexed per part */
#define INPUT_MAX ((size_t)16 << 10) /* tool input indexed per part */

static const char *const sql[ST_COUNT] = {
    [ST_SOURCE_GET] = "SELECT id FROM sources WHERE agent = ?1 AND path = ?2",
    [ST_SOURCE_ADD] = "INSERT INTO sources(agent, path) VALUES(?1, ?2)",
    [ST_SOURCE_TOUCH] = "UPDATE sources SET last_ingest_ms = ?2 WHERE id = ?1",
    [ST_SESSION_FIND] = "SELECT id, title, directory FROM sessions WHERE session_id = ?1",
    [ST_SESSION_INSERT] =
        "INSERT INTO sessions(session_id, tool_id, workspace_path, project_id, created_at,"
        " last_activity, title, directory, slug, parent_id, version, agent_name, model,"
        " tokens_input, tokens_output, tokens_reasoning, tokens_cache_read, tokens_cache_write,"
        " cost, totals_computed, nmessages, nparts, source_id, origin, source_path, fp_meta,"
        " fp_content, indexed_at, source_key, tail_offset, tail_hash, resume_offset,"
        " resume_line, resume_seq, gone_at, archived)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,"
        "?22,?23,?24,?25,?26,?27,?28,?29,?30,?31,?32,?33,?34,NULL,?35)",
    /* NULL keeps the stored value: a partial read of a grown transcript binds only
     * what its tail can tell */
    [ST_SESSION_UPDATE] =
        "UPDATE sessions SET tool_id=?2, workspace_path=coalesce(?3, workspace_path),"
        " project_id=coalesce(?4, project_id), created_at=coalesce(?5, created_at),"
        " last_activity=max(coalesce(last_activity, 0), ?6), title=coalesce(?7, title),"
        " directory=coalesce(?8, directory), slug=coalesce(?9, slug),"
        " parent_id=coalesce(?10, parent_id), version=coalesce(?11, version),"
        " agent_name=coalesce(?12, agent_name), model=coalesce(?13, model),"
        " tokens_input=coalesce(?14, tokens_input), tokens_output=coalesce(?15, tokens_output),"
        " tokens_reasoning=coalesce(?16, tokens_reasoning),"
        " tokens_cache_read=coalesce(?17, tokens_cache_read),"
        " tokens_cache_write=coalesce(?18, tokens_cache_write), cost=coalesce(?19, cost),"
        " totals_computed=?20, nmessages=coalesce(?21, nmessages),"
        " nparts=coalesce(?22, nparts), source_id=?23, origin=?24, source_path=?25,"
        " fp_meta=?26, fp_content=?27, indexed_at=?28, source_key=?29, tail_offset=?30,"
        " tail_hash=?31, resume_offset=?32, resume_line=?33, resume_seq=?34, gone_at=NULL"
        " WHERE session_id=?1",
    [ST_SESSION_TOTALS] =
        "UPDATE sessions SET (tokens_input, tokens_output, tokens_reasoning, tokens_cache_read,"
        " tokens_cache_write) = (SELECT coalesce(sum(tokens_input), 0),"
        " coalesce(sum(tokens_output), 0), coalesce(sum(tokens_reasoning), 0),"
        " coalesce(sum(tokens_cache_read), 0), coalesce(sum(tokens_cache_write), 0)"
        " FROM messages WHERE session_rowid = ?1) WHERE id = ?1",
    [ST_SESSION_COUNTS] =
        "UPDATE sessions SET nmessages = (SELECT count(*) FROM messages WHERE session_rowid ="
        " ?1), nparts = (SELECT count(*) FROM parts WHERE session_rowid = ?1) WHERE id = ?1",
    [ST_SESSION_FP] = "UPDATE sessions SET fp_meta=?2 WHERE source_id=?3 AND source_key=?1",
    [ST_SESSION_FTS_DELETE] =
        "INSERT INTO fts_sessions(fts_sessions, rowid, title, directory) VALUES('delete', ?1,"
        " ?2, ?3)",
    /* indexed from the row as stored (a partial read keeps the stored title), so that
     * the 'delete' fed from the row later matches exactly */
    [ST_SESSION_FTS_INSERT] = "INSERT INTO fts_sessions(rowid, title, directory) SELECT id,"
                              " title, directory FROM sessions WHERE id = ?1",
    [ST_MESSAGE_INSERT] =
        "INSERT INTO messages(session_rowid, message_id, seq, role, model, provider,"
        " agent_name, finish, error, time_created, time_completed, tokens_input,"
        " tokens_output, tokens_reasoning, tokens_cache_read, tokens_cache_write, cost, hash)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
    [ST_PART_INSERT] =
        "INSERT INTO parts(session_rowid, message_rowid, part_id, seq, type, tool, status,"
        " call_id, synthetic, time_start, time_end, body, input, paths)"
        " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
    [ST_PART_FTS_INSERT] =
        "INSERT INTO fts_parts(rowid, body, input, paths, tool) VALUES(?1,?2,?3,?4,?5)",
    [ST_PROJECT_UPSERT] =
        "INSERT INTO projects(agent, project_id, worktree, vcs, name, dirs, time_created,"
        " time_updated) VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(agent, project_id) DO"
        " UPDATE SET worktree=excluded.worktree, vcs=excluded.vcs, name=excluded.name,"
        " dirs=excluded.dirs, time_created=excluded.time_created,"
        " time_updated=excluded.time_updated",
    /* a turn posted over the API (store/turns.c) is a message of ids turn_<hex>:user/assistant */
    [ST_MSG_LIST] = "SELECT id, message_id, hash, seq, message_id GLOB 'turn_*:user' OR"
                    " message_id GLOB 'turn_*:assistant' FROM messages WHERE session_rowid = ?1"
                    " ORDER BY seq, id",
    [ST_MSG_PARTS_FTS_DELETE] =
        "INSERT INTO fts_parts(fts_parts, rowid, body, input, paths, tool) SELECT 'delete', id,"
        " body, input, paths, tool FROM parts WHERE message_rowid = ?1 AND"
        " (body IS NOT NULL OR input IS NOT NULL OR paths IS NOT NULL OR tool IS NOT NULL)",
    [ST_MSG_PARTS_DELETE] = "DELETE FROM parts WHERE message_rowid = ?1",
    [ST_MSG_DELETE] = "DELETE FROM messages WHERE id = ?1",
    [ST_MSG_SEQ] = "UPDATE messages SET seq = ?2 WHERE id = ?1",
    /* memory search (store/memory.c): ?1 project, ?2 FTS5 expression, ?3 limit, ?9 now (ms);
     * cairn_bm25 is bm25(fts_memories, 2.0, 1.0, 0.5) given the row's docsize blob.  CROSS
     * JOIN keeps the index the outer loop; the filter runs before the size is read and
     * the row scored */
    /* memory reads (store/memory.c): ?1 project, ?2 key, ?3 limit, ?9 now (ms) */
    [ST_MEMORY_PEEK] = "SELECT " CN_MEMORY_COLS " FROM memories WHERE project_id = ?1 AND "
                       CN_MEMORY_LIVE " ORDER BY last_accessed DESC, id DESC LIMIT ?3",
    /* by its key, not the access order: without statistics SQLite would walk the project's
     * memories in memories_access to spare the sort of a row or two */
    [ST_MEMORY_PEEK_KEY] = "SELECT " CN_MEMORY_COLS " FROM memories INDEXED BY memories_key"
                           " WHERE project_id = ?1 AND key = ?2 AND " CN_MEMORY_LIVE
                           " ORDER BY last_accessed DESC, id DESC LIMIT ?3",
    [ST_MEMORY_TOUCH] = "UPDATE memories SET accessed_count = accessed_count + 1, last_accessed ="
                        " ?2 WHERE id = ?1",
    [ST_MEMORY_SEARCH] =
        "SELECT m.id, m.memory_id, m.project_id, m.key, m.value, m.metadata_json, m.version,"
        " m.created_at, m.last_accessed, m.accessed_count, m.ttl_seconds, m.expires_at,"
        " m.deleted_at, m.superseded_at FROM fts_memories f CROSS JOIN memories m ON m.id ="
        " f.rowid LEFT JOIN fts_memories_docsize d ON d.id = f.rowid WHERE fts_memories MATCH"
        " ?2 AND m.project_id = ?1 AND m.superseded_at IS NULL AND m.deleted_at IS NULL AND"
        " (m.expires_at IS NULL OR m.expires_at > ?9) ORDER BY cairn_bm25(fts_memories, d.sz),"
        " m.id LIMIT ?3",
};

sqlite3_stmt *cn_store_stmt(cairn_store *s, int id, cairn_err *err)
{
    if (!s->st[id] && sqlite3_prepare_v3(s->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                         &s->st[id], NULL) != SQLITE_OK) {
        cn_store_error(s, err, "cannot prepare statement");
        return NULL;
    }
    sqlite3_reset(s->st[id]);
    sqlite3_clear_bindings(s->st[id]);
    return s->st[id];
}

sqlite3_stmt *cn_store_cached(cairn_store *s, const char *text, cairn_err *err)
{
    for (size_t i = 0; i < s->ncached; i++)
        if (s->cached[i].sql == text) {
            sqlite3_reset(s->cached[i].st);
            sqlite3_clear_bindings(s->cached[i].st);
            return s->cached[i].st;
        }
    if (s->ncached == CN_STORE_CACHED) {
        cn_err_set(err, CAIRN_ERROR, "more than %d cached statements", CN_STORE_CACHED);
        return NULL;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(s->db, text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        cn_store_error(s, err, "cannot prepare statement");
        return NULL;
    }
    s->cached[s->ncached].sql = text;
    s->cached[s->ncached++].st = st;
    return st;
}

cairn_rc cn_store_run(cairn_store *s, const char *text, cairn_err *err)
{
    sqlite3_stmt *st = cn_store_cached(s, text, err);
    if (!st)
        return CAIRN_IO;
    int rc = sqlite3_step(st);
    cairn_rc out =
        rc == SQLITE_DONE || rc == SQLITE_ROW ? CAIRN_OK : cn_store_error(s, err, "cannot write");
    sqlite3_reset(st);
    return out;
}

/*
 * synchronous is FULL for a durable commit, NORMAL for the others.  It is
 * changed only when it differs from what the connection has (a pragma acts
 * when prepared: it is parsed each time, so it is not one of the kept
 * statements), and outside a transaction, where SQLite takes it into account.
 */
cairn_rc cn_store_sync(cairn_store *s, bool full, cairn_err *err)
{
    if (s->sync_full == full)
        return CAIRN_OK;
    cairn_rc rc =
        cn_store_exec(s, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err);
    if (!rc)
        s->sync_full = full;
    return rc;
}

int cn_store_begin_now(cairn_store *s, bool wait)
{
    if (!wait)
        sqlite3_busy_timeout(s->db, 0);
    int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (!wait)
        sqlite3_busy_timeout(s->db, CN_STORE_BUSY_MS);
    return rc;
}

/* BEGIN IMMEDIATE; durable: with synchronous=FULL for its commit. */
static cairn_rc begin(cairn_store *s, bool durable, cairn_err *err)
{
    cairn_rc rc = cn_store_sync(s, durable, err);
    return rc ? rc : cn_store_run(s, "BEGIN IMMEDIATE", err);
}

cairn_rc cn_store_begin(cairn_store *s, cairn_err *err)
{
    return begin(s, false, err);
}

/*
 * After a commit: the store's files are still the ones the connection opened.
 * A WAL deleted (or a store file replaced) under a live connection takes what
 * it writes with it at the next crash, while every commit still succeeds: say
 * so instead, at each commit, so that nothing more is acknowledged.
 */
static cairn_rc files_still_there(cairn_store *s, cairn_err *err)
{
    struct stat st;
    if (!s->db_ino) /* not noted: a store opened read-only */
        return CAIRN_OK;
    if (stat(s->path, &st) || (uint64_t)st.st_dev != s->db_dev ||
        (uint64_t)st.st_ino != s->db_ino)
        return cn_err_set(err, CAIRN_IO,
                          "store '%s' was deleted or replaced while cairn had it open: what was "
                          "just written is not in it; restart cairn",
                          s->path);
    if (s->wal_path && stat(s->wal_path, &st) && errno == ENOENT)
        return cn_err_set(err, CAIRN_IO,
                          "store '%s': its write-ahead log was deleted while cairn had it open: "
                          "what was just written may be lost at the next crash; restart cairn",
                          s->path);
    return CAIRN_OK;
}

cairn_rc cn_store_commit(cairn_store *s, cairn_err *err)
{
    cairn_rc rc = cn_store_run(s, "COMMIT", err);
    return rc ? rc : files_still_there(s, err);
}

void cn_store_rollback(cairn_store *s)
{
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* In a group, each durable write is a savepoint of the group's transaction. */
cairn_rc cn_store_begin_durable(cairn_store *s, cairn_err *err)
{
    if (s->readonly)
        return cn_err_set(err, CAIRN_PERM, "store '%s' is open read-only", s->path);
    return s->group ? cn_store_run(s, "SAVEPOINT durable", err) : begin(s, true, err);
}

cairn_rc cn_store_commit_durable(cairn_store *s, cairn_err *err)
{
    return s->group ? cn_store_run(s, "RELEASE durable", err) : cn_store_commit(s, err);
}

void cn_store_rollback_durable(cairn_store *s)
{
    if (s->group)
        sqlite3_exec(s->db, "ROLLBACK TO durable; RELEASE durable", NULL, NULL, NULL);
    else
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static cairn_rc group_begin(cairn_store *s, bool durable, cairn_err *err)
{
    cairn_rc rc;
    if (s->readonly)
        return cn_err_set(err, CAIRN_PERM, "store '%s' is open read-only", s->path);
    if (s->group)
        return cn_err_set(err, CAIRN_INVAL, "a group is already open");
    if ((rc = begin(s, durable, err)))
        return rc;
    s->group = true;
    return CAIRN_OK;
}

cairn_rc cairn_store_group_begin(cairn_store *s, cairn_err *err)
{
    return group_begin(s, true, err);
}

cairn_rc cairn_store_group_begin_light(cairn_store *s, cairn_err *err)
{
    return group_begin(s, false, err); /* synchronous=NORMAL */
}

cairn_rc cairn_store_group_end(cairn_store *s, cairn_err *err)
{
    if (!s->group)
        return cn_err_set(err, CAIRN_INVAL, "no group is open");
    s->group = false;
    cairn_rc rc = cn_store_commit(s, err);
    if (rc)
        cn_store_rollback_durable(s); /* out of the group now: the whole transaction */
    return rc;
}

bool cairn_store_group_open(const cairn_store *s)
{
    return s->group && !sqlite3_get_autocommit(s->db);
}

void cairn_store_group_abort(cairn_store *s)
{
    s->group = false;
    if (!sqlite3_get_autocommit(s->db))
        cn_store_rollback(s);
}

static void bind_str(sqlite3_stmt *st, int i, cairn_str v)
{
    if (v.ptr)
        sqlite3_bind_text(st, i, v.ptr, (int)v.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_cstr(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void bind_tokens(sqlite3_stmt *st, int i, const cairn_tokens *t)
{
    sqlite3_bind_int64(st, i, t->input);
    sqlite3_bind_int64(st, i + 1, t->output);
    sqlite3_bind_int64(st, i + 2, t->reasoning);
    sqlite3_bind_int64(st, i + 3, t->cache_read);
    sqlite3_bind_int64(st, i + 4, t->cache_write);
}

static cairn_rc step(cairn_store *s, sqlite3_stmt *st, cairn_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return cn_store_error(s, err, what);
    return CAIRN_OK;
}

cairn_rc cn_store_source_id(cairn_store *s, cairn_agent agent, const char *path, int64_t *id,
                            cairn_err *err)
{
    sqlite3_stmt *st = cn_store_stmt(s, ST_SOURCE_GET, err);
    if (!st)
        return err ? err->rc : CAIRN_IO;
    bind_cstr(st, 1, cairn_agent_name(agent));
    bind_cstr(st, 2, path);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    *id = found ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st); /* a statement left on a row holds its read, and its snapshot, open */
    if (found)
        return CAIRN_OK;
    if (!(st = cn_store_stmt(s, ST_SOURCE_ADD, err)))
        return err ? err->rc : CAIRN_IO;
    bind_cstr(st, 1, cairn_agent_name(agent));
    bind_cstr(st, 2, path);
    cairn_rc rc = step(s, st, err, "cannot add source");
    *id = sqlite3_last_insert_rowid(s->db);
    return rc;
}

/* Paths a part names: a tool's file argument, a file part, a patch's files. */
static cairn_str part_paths(const cairn_part *p, cn_json *j, cn_buf *b)
{
    static const char *const keys[] = {"filePath", "file_path", "path", "filepath"};
    cn_buf_reset(b);
    if (p->type == CAIRN_PART_FILE)
        return p->u.file.source_path.ptr ? p->u.file.source_path : p->u.file.url;
    cairn_str raw = p->type == CAIRN_PART_TOOL    ? p->u.tool.input
                    : p->type == CAIRN_PART_PATCH ? p->u.patch.files
                                                  : (cairn_str){NULL, 0};
    if (!raw.len || cn_json_parse(j, raw.ptr, raw.len, NULL))
        return (cairn_str){NULL, 0};
    cn_jval root = cn_json_root(j), v;
    if (cn_json_is(root, CN_JSON_OBJECT)) {
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            v = cn_json_get(root, keys[k]);
            if (cn_json_is(v, CN_JSON_STRING))
                return cn_json_raw(v).len > 2
                           ? (cairn_str){cn_json_raw(v).ptr + 1, cn_json_raw(v).len - 2}
                           : (cairn_str){NULL, 0};
        }
        return (cairn_str){NULL, 0};
    }
    cn_jiter it = cn_json_iter(root);
    while (cn_json_next(&it, NULL, &v)) {
        cairn_str r = cn_json_raw(v);
        if (cn_json_is(v, CN_JSON_STRING) && r.len > 2) {
            if (b->len)
                cn_buf_addc(b, ' ');
            cn_buf_add(b, r.ptr + 1, r.len - 2);
        }
    }
    return b->len ? cn_buf_str(b) : (cairn_str){NULL, 0};
}

static cairn_rc write_part(cairn_store *s, int64_t srow, int64_t mrow, uint32_t seq,
                           const cairn_part *p, cn_json *j, cn_buf *pathbuf, cairn_err *err)
{
    sqlite3_stmt *st = cn_store_stmt(s, ST_PART_INSERT, err);
    if (!st)
        return CAIRN_IO;
    cairn_str body = cn_str_cut(cairn_part_text(p), BODY_MAX);
    cairn_str input = p->type == CAIRN_PART_TOOL ? cn_str_cut(p->u.tool.input, INPUT_MAX)
                                                 : (cairn_str){NULL, 0};
    cairn_str paths = cn_str_cut(part_paths(p, j, pathbuf), INPUT_MAX);
    if (p->type == CAIRN_PART_PATCH)
        body = (cairn_str){NULL, 0}; /* its files are in paths */
    if (!body.len)
        body.ptr = NULL;
    sqlite3_bind_int64(st, 1, srow);
    sqlite3_bind_int64(st, 2, mrow);
    bind_str(st, 3, p->id);
    sqlite3_bind_int64(st, 4, seq);
    bind_str(st, 5, p->type_name);
    bind_str(st, 6, p->type == CAIRN_PART_TOOL ? p->u.tool.name : (cairn_str){NULL, 0});
    if (p->type == CAIRN_PART_TOOL)
        bind_cstr(st, 7, cairn_tool_status_name((cairn_tool_status)p->status));
    bind_str(st, 8, p->type == CAIRN_PART_TOOL ? p->u.tool.call_id : (cairn_str){NULL, 0});
    sqlite3_bind_int(st, 9, p->synthetic);
    sqlite3_bind_int64(st, 10, p->time_start_ms);
    sqlite3_bind_int64(st, 11, p->time_end_ms);
    bind_str(st, 12, body);
    bind_str(st, 13, input);
    bind_str(st, 14, paths);
    cairn_str tool = p->type == CAIRN_PART_TOOL && p->u.tool.name.len ? p->u.tool.name
                                                                      : (cairn_str){NULL, 0};
    cairn_rc rc = step(s, st, err, "cannot write part");
    if (rc || (!body.ptr && !input.ptr && !paths.ptr && !tool.ptr))
        return rc;
    int64_t prow = sqlite3_last_insert_rowid(s->db);
    if (!(st = cn_store_stmt(s, ST_PART_FTS_INSERT, err)))
        return CAIRN_IO;
    sqlite3_bind_int64(st, 1, prow);
    bind_str(st, 2, body);
    bind_str(st, 3, input);
    bind_str(st, 4, paths);
    bind_str(st, 5, tool);
    return step(s, st, err, "cannot index part");
}

static cairn_rc write_message(cairn_store *s, int64_t srow, uint32_t seq, const cairn_batch *b,
                              const cairn_message *m, uint64_t hash, cn_json *j, cn_buf *pathbuf,
                              cairn_err *err)
{
    sqlite3_stmt *st = cn_store_stmt(s, ST_MESSAGE_INSERT, err);
    if (!st)
        return CAIRN_IO;
    sqlite3_bind_int64(st, 1, srow);
    bind_str(st, 2, m->id);
    sqlite3_bind_int64(st, 3, seq);
    bind_str(st, 4, m->role);
    bind_str(st, 5, m->model_id);
    bind_str(st, 6, m->provider_id);
    bind_str(st, 7, m->agent_name);
    bind_str(st, 8, m->finish);
    bind_str(st, 9, m->error_message.ptr ? m->error_message : m->error_name);
    sqlite3_bind_int64(st, 10, m->time_created_ms);
    sqlite3_bind_int64(st, 11, m->time_completed_ms);
    bind_tokens(st, 12, &m->tokens);
    sqlite3_bind_double(st, 17, m->cost);
    sqlite3_bind_int64(st, 18, (int64_t)hash);
    cairn_rc rc = step(s, st, err, "cannot write message");
    int64_t mrow = sqlite3_last_insert_rowid(s->db);
    for (uint32_t k = 0; k < m->nparts && !rc; k++)
        rc = write_part(s, srow, mrow, k, &b->parts[m->first_part + k], j, pathbuf, err);
    return rc;
}

/* ---- message-level re-indexing ---- */

static uint64_t message_hash(const cairn_batch *b, const cairn_message *m);

cairn_rc cn_store_write_message(cairn_store *s, int64_t srow, uint32_t seq, const cairn_batch *b,
                                const cairn_message *m, cairn_err *err)
{
    cn_json j;
    cn_buf pathbuf;
    cn_json_init(&j);
    cn_buf_init(&pathbuf, INPUT_MAX * 2);
    cairn_rc rc = write_message(s, srow, seq, b, m, message_hash(b, m), &j, &pathbuf, err);
    cn_json_release(&j);
    cn_buf_release(&pathbuf);
    return rc;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15u + (h << 6) + (h >> 2);
    return h;
}

static uint64_t mix_str(uint64_t h, cairn_str s)
{
    return mix(h, s.ptr ? cn_hash_str(s) : 0x5bd1e995u);
}

/* What a message and its parts hold that the store keeps: equal hashes, equal rows. */
static uint64_t message_hash(const cairn_batch *b, const cairn_message *m)
{
    const cairn_str fields[] = {m->role, m->model_id, m->provider_id, m->agent_name, m->finish,
                                m->error_name, m->error_message, m->parent_id};
    int64_t nums[] = {m->time_created_ms, m->time_completed_ms, m->tokens.input, m->tokens.output,
                      m->tokens.reasoning, m->tokens.cache_read, m->tokens.cache_write};
    uint64_t h = 1469598103934665603u;
    double cost = m->cost;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        h = mix_str(h, fields[i]);
    h = mix(h, cn_hash64(nums, sizeof nums));
    h = mix(h, cn_hash64(&cost, sizeof cost));
    for (uint32_t k = 0; k < m->nparts; k++) {
        const cairn_part *p = &b->parts[m->first_part + k];
        int64_t pn[] = {p->type, p->status, p->synthetic, p->time_start_ms, p->time_end_ms};
        h = mix_str(h, p->id);
        h = mix_str(h, p->type_name);
        h = mix(h, cn_hash64(pn, sizeof pn));
        h = mix_str(h, cairn_part_text(p));
        if (p->type == CAIRN_PART_TOOL) {
            h = mix_str(h, p->u.tool.name);
            h = mix_str(h, p->u.tool.input);
            h = mix_str(h, p->u.tool.call_id);
        } else if (p->type == CAIRN_PART_FILE) {
            h = mix_str(h, p->u.file.url);
        }
    }
    return h & INT64_MAX;
}

static cairn_rc run_id(cairn_store *s, int id, int64_t a, int64_t b2, bool two, cairn_err *err)
{
    sqlite3_stmt *st = cn_store_stmt(s, id, err);
    if (!st)
        return CAIRN_IO;
    sqlite3_bind_int64(st, 1, a);
    if (two)
        sqlite3_bind_int64(st, 2, b2);
    return step(s, st, err, "cannot re-index messages");
}

/* Drop one stored message with its parts and their full-text rows. */
static cairn_rc delete_message(cairn_store *s, int64_t mrow, cairn_err *err)
{
    cairn_rc rc;
    if ((rc = run_id(s, ST_MSG_PARTS_FTS_DELETE, mrow, 0, false, err)) ||
        (rc = run_id(s, ST_MSG_PARTS_DELETE, mrow, 0, false, err)))
        return rc;
    return run_id(s, ST_MSG_DELETE, mrow, 0, false, err);
}

typedef struct old_msg {
    int64_t rowid, hash, seq;
    bool seen;
    bool turn; /* posted over the API: not in the agent's files */
} old_msg;

typedef struct old_msgs {
    cn_map ids; /* message_id -> index */
    old_msg *v;
    size_t n;
    cn_arena a;
} old_msgs;

static cairn_rc load_old(cairn_store *s, int64_t srow, old_msgs *o, cairn_err *err)
{
    sqlite3_stmt *st = cn_store_stmt(s, ST_MSG_LIST, err);
    size_t cap = 0;
    if (!st)
        return CAIRN_IO;
    sqlite3_bind_int64(st, 1, srow);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (o->n == cap) {
            cap = cap ? cap * 2 : 64;
            old_msg *v = realloc(o->v, cap * sizeof *v);
            if (!v) {
                sqlite3_reset(st);
                return cn_err_set(err, CAIRN_NOMEM, "out of memory");
            }
            o->v = v;
        }
        cairn_str id = cn_arena_strdup(&o->a, (cairn_str){(const char *)sqlite3_column_text(st, 1),
                                                          (size_t)sqlite3_column_bytes(st, 1)});
        if (!id.ptr || cn_map_put(&o->ids, id, (uint32_t)o->n)) {
            sqlite3_reset(st);
            return cn_err_set(err, CAIRN_NOMEM, "out of memory");
        }
        bool turn = sqlite3_column_int(st, 4) != 0;
        o->v[o->n++] = (old_msg){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 2),
                                 sqlite3_column_int64(st, 3), turn, turn};
    }
    return CAIRN_OK;
}

/*
 * Write the session's messages, keeping the stored ones whose hash is unchanged.
 * Turns posted to the session over the API are kept too, after the agent's
 * messages in the order they had; *turns receives how many.
 */
static cairn_rc write_messages(cairn_store *s, int64_t srow, bool exists, const cairn_batch *b,
                               const cairn_session *x, size_t *turns, cairn_err *err)
{
    old_msgs o = {.v = NULL};
    cn_json j;
    cn_buf pathbuf;
    cairn_rc rc = CAIRN_OK;

    cn_map_init(&o.ids);
    cn_arena_init(&o.a, 0, 0);
    cn_json_init(&j);
    cn_buf_init(&pathbuf, INPUT_MAX * 2);
    if (exists)
        rc = load_old(s, srow, &o, err);
    /* a partial read continues after the first first_seq stored messages */
    for (size_t i = 0; i < o.n; i++)
        o.v[i].seen = o.v[i].turn || o.v[i].seq < x->first_seq;
    for (uint32_t k = 0; k < x->nmessages && !rc; k++) {
        const cairn_message *m = &b->messages[x->first_message + k];
        uint64_t h = message_hash(b, m);
        uint32_t i = cn_map_get(&o.ids, m->id), seq = x->first_seq + k;
        if (i != UINT32_MAX && !o.v[i].seen) {
            o.v[i].seen = true;
            if ((uint64_t)o.v[i].hash == h) {
                if (o.v[i].seq != seq)
                    rc = run_id(s, ST_MSG_SEQ, o.v[i].rowid, seq, true, err);
                continue;
            }
            if ((rc = delete_message(s, o.v[i].rowid, err)))
                break;
        }
        rc = write_message(s, srow, seq, b, m, h, &j, &pathbuf, err);
    }
    for (size_t i = 0; i < o.n && !rc; i++)
        if (!o.v[i].seen)
            rc = delete_message(s, o.v[i].rowid, err);
    *turns = 0;
    for (size_t i = 0; i < o.n && !rc; i++)
        if (o.v[i].turn) {
            int64_t seq = (int64_t)x->first_seq + x->nmessages + (int64_t)(*turns)++;
            if (o.v[i].seq != seq)
                rc = run_id(s, ST_MSG_SEQ, o.v[i].rowid, seq, true, err);
        }
    cn_json_release(&j);
    cn_buf_release(&pathbuf);
    cn_map_release(&o.ids);
    cn_arena_release(&o.a);
    free(o.v);
    return rc;
}

static void bind_session(sqlite3_stmt *st, int64_t source_id, const cairn_batch *b,
                         const cairn_session *x, int64_t fp_meta, int64_t fp_content,
                         size_t nparts, cn_buf *model)
{
    bool partial = x->first_seq > 0;
    bind_str(st, 1, x->id);
    bind_cstr(st, 2, cairn_agent_name(x->agent));
    bind_str(st, 3, x->directory);
    bind_str(st, 4, x->project_id);
    sqlite3_bind_int64(st, 5, x->time_created_ms);
    sqlite3_bind_int64(st, 6, x->time_updated_ms);
    bind_str(st, 7, x->title);
    bind_str(st, 8, x->directory);
    bind_str(st, 9, x->slug);
    bind_str(st, 10, x->parent_id.len ? x->parent_id : (cairn_str){NULL, 0});
    bind_str(st, 11, x->version);
    bind_str(st, 12, x->agent_name);
    cn_buf_reset(model);
    if (x->model_id.len)
        cn_buf_addf(model, "%.*s%s%.*s", CAIRN_STR_FMT(x->provider_id),
                    x->provider_id.len ? "/" : "", CAIRN_STR_FMT(x->model_id));
    bind_str(st, 13, model->len ? cn_buf_str(model) : (cairn_str){NULL, 0});
    bind_tokens(st, 14, &x->tokens);
    sqlite3_bind_double(st, 19, x->cost);
    sqlite3_bind_int(st, 20, x->totals_computed);
    sqlite3_bind_int64(st, 21, x->nmessages);
    sqlite3_bind_int64(st, 22, (int64_t)nparts);
    sqlite3_bind_int64(st, 23, source_id);
    bind_cstr(st, 24, cairn_origin_name(x->origin));
    bind_str(st, 25, x->source_path);
    sqlite3_bind_int64(st, 26, fp_meta);
    sqlite3_bind_int64(st, 27, fp_content);
    sqlite3_bind_int64(st, 28, cn_now_ms());
    bind_str(st, 29, x->key.len ? x->key : x->id);
    sqlite3_bind_int64(st, 30, x->tail_offset);
    sqlite3_bind_int64(st, 31, (int64_t)(x->tail_hash & INT64_MAX));
    sqlite3_bind_int64(st, 32, x->resume_offset);
    sqlite3_bind_int64(st, 33, x->resume_line);
    sqlite3_bind_int64(st, 34, x->resume_seq);
    if (partial) {
        /* what only the whole file tells: keep the stored values; totals are summed
         * again from the stored messages once they are written */
        static const int keep[] = {5, 7, 9, 10, 11, 13, 21, 22};
        const cairn_tokens *t = &x->tokens;
        for (size_t k = 0; k < sizeof keep / sizeof keep[0]; k++)
            sqlite3_bind_null(st, keep[k]);
        /* totals the agent reported (Codex's running total) stand; sums of the read
         * messages do not, nor does a tail without a total */
        if (x->totals_computed || !(t->input || t->output || t->cache_read || t->cache_write))
            for (int k = 14; k <= 18; k++)
                sqlite3_bind_null(st, k);
        if (x->cost <= 0)
            sqlite3_bind_null(st, 19);
    }
    (void)b;
}

cairn_rc cn_store_write_session(cairn_store *s, int64_t source_id, const cairn_batch *b,
                                size_t i, int64_t fp_meta, int64_t fp_content, bool *existed,
                                cairn_err *err)
{
    const cairn_session *x = &b->sessions[i];
    sqlite3_stmt *st = cn_store_stmt(s, ST_SESSION_FIND, err);
    cairn_rc rc = CAIRN_OK;
    int64_t srow = 0;
    size_t nparts = 0;
    cn_buf model;

    if (!st)
        return CAIRN_IO;
    for (uint32_t m = 0; m < x->nmessages; m++)
        nparts += b->messages[x->first_message + m].nparts;
    cn_buf_init(&model, 1024);
    bind_str(st, 1, x->id);
    bool exists = sqlite3_step(st) == SQLITE_ROW;
    if (existed)
        *existed = exists;
    if (exists) {
        srow = sqlite3_column_int64(st, 0);
        sqlite3_stmt *del = cn_store_stmt(s, ST_SESSION_FTS_DELETE, err);
        if (!del) {
            sqlite3_reset(st);
            rc = CAIRN_IO;
            goto out;
        }
        sqlite3_bind_int64(del, 1, srow);
        sqlite3_bind_value(del, 2, sqlite3_column_value(st, 1));
        sqlite3_bind_value(del, 3, sqlite3_column_value(st, 2));
        sqlite3_reset(st); /* as in cn_store_source_id; the values bound are copies */
        if ((rc = step(s, del, err, "cannot unindex session")))
            goto out;
        st = cn_store_stmt(s, ST_SESSION_UPDATE, err);
    } else {
        sqlite3_reset(st);
        st = cn_store_stmt(s, ST_SESSION_INSERT, err);
    }
    if (!st) {
        rc = CAIRN_IO;
        goto out;
    }
    bind_session(st, source_id, b, x, fp_meta, fp_content, nparts, &model);
    if (!exists)
        sqlite3_bind_int(st, 35, x->time_archived_ms > 0);
    if ((rc = step(s, st, err, "cannot write session")))
        goto out;
    if (!exists)
        srow = sqlite3_last_insert_rowid(s->db);
    if (!(st = cn_store_stmt(s, ST_SESSION_FTS_INSERT, err))) {
        rc = CAIRN_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, srow);
    if ((rc = step(s, st, err, "cannot index session")))
        goto out;
    size_t turns = 0;
    rc = write_messages(s, srow, exists, b, x, &turns, err);
    if (!rc && exists && (x->first_seq > 0 || turns)) { /* the counts the batch gave are short */
        rc = run_id(s, ST_SESSION_COUNTS, srow, 0, false, err);
        if (!rc && x->totals_computed)
            rc = run_id(s, ST_SESSION_TOTALS, srow, 0, false, err);
    }
out:
    cn_buf_release(&model);
    return rc;
}

cairn_rc cn_store_write_projects(cairn_store *s, const cairn_batch *b, cairn_err *err)
{
    cn_buf dirs;
    cairn_rc rc = CAIRN_OK;
    cn_buf_init(&dirs, 1 << 20);
    for (size_t i = 0; i < b->nprojects && !rc; i++) {
        const cairn_project *p = &b->projects[i];
        sqlite3_stmt *st = cn_store_stmt(s, ST_PROJECT_UPSERT, err);
        if (!st)
            return CAIRN_IO;
        cn_buf_reset(&dirs);
        for (uint32_t d = 0; d < p->ndirs; d++) {
            if (d)
                cn_buf_addc(&dirs, '\n');
            cn_buf_addstr(&dirs, p->dirs[d]);
        }
        bind_cstr(st, 1, cairn_agent_name(p->agent));
        bind_str(st, 2, p->id);
        bind_str(st, 3, p->worktree);
        bind_str(st, 4, p->vcs);
        bind_str(st, 5, p->name);
        bind_str(st, 6, cn_buf_str(&dirs));
        sqlite3_bind_int64(st, 7, p->time_created_ms);
        sqlite3_bind_int64(st, 8, p->time_updated_ms);
        rc = step(s, st, err, "cannot write project");
    }
    cn_buf_release(&dirs);
    return rc;
}
