/*
 * store/schema.c - the schema, as numbered migrations (PRAGMA user_version).
 *
 * Transcripts: projects, sessions, messages, parts, indexed by two FTS5
 * external-content tables kept in sync by explicit inserts (a trigger was
 * measured 3.4x slower, DESIGN.md §8): fts_parts(body, input, paths, tool)
 * over parts and fts_sessions(title, directory) over sessions.  A session
 * that two sources hold is stored once, from the newest copy; shadows
 * remembers the fingerprints of the other copies so they are not re-read.  unicode61 with
 * diacritics removed; no trigram index (docs/SEARCH.md says why).
 * sessions also carries the columns of cairn's own session API (tool_id,
 * user_id, workspace_path, context_json, pinned, ...): re-indexing a
 * transcript never touches them.
 */
#include "store/db.h"

const char *const cn_store_migrations[] = {
    /* 1 */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
    "CREATE TABLE sources("
    "  id INTEGER PRIMARY KEY, agent TEXT NOT NULL, path TEXT NOT NULL,"
    "  last_ingest_ms INTEGER, UNIQUE(agent, path));"
    "CREATE TABLE projects("
    "  id INTEGER PRIMARY KEY, agent TEXT NOT NULL, project_id TEXT NOT NULL,"
    "  worktree TEXT, vcs TEXT, name TEXT, dirs TEXT,"
    "  time_created INTEGER, time_updated INTEGER, UNIQUE(agent, project_id));"
    "CREATE TABLE sessions("
    "  id INTEGER PRIMARY KEY,"
    "  session_id TEXT NOT NULL UNIQUE,"
    "  tool_id TEXT NOT NULL,"
    "  user_id TEXT, workspace_path TEXT, project_id TEXT,"
    "  created_at INTEGER, last_activity INTEGER, ended_at INTEGER,"
    "  context_json TEXT, pinned INTEGER NOT NULL DEFAULT 0,"
    "  archived INTEGER NOT NULL DEFAULT 0, compressed_context BLOB,"
    "  context_size_bytes INTEGER, metrics_json TEXT, process_id INTEGER,"
    "  title TEXT, directory TEXT, slug TEXT, parent_id TEXT, version TEXT,"
    "  agent_name TEXT, model TEXT,"
    "  tokens_input INTEGER, tokens_output INTEGER, tokens_reasoning INTEGER,"
    "  tokens_cache_read INTEGER, tokens_cache_write INTEGER, cost REAL,"
    "  totals_computed INTEGER, nmessages INTEGER, nparts INTEGER,"
    "  source_id INTEGER REFERENCES sources(id), source_key TEXT, origin TEXT, source_path TEXT,"
    "  fp_meta INTEGER, fp_content INTEGER, indexed_at INTEGER, gone_at INTEGER,"
    "  tail_offset INTEGER, tail_hash INTEGER, resume_offset INTEGER, resume_line INTEGER,"
    "  resume_seq INTEGER);"
    "CREATE INDEX sessions_project ON sessions(project_id);"
    "CREATE INDEX sessions_workspace ON sessions(workspace_path);"
    "CREATE INDEX sessions_activity ON sessions(last_activity DESC);"
    "CREATE INDEX sessions_process ON sessions(process_id, ended_at);"
    "CREATE INDEX sessions_source ON sessions(source_id, source_key);"
    "CREATE TABLE messages("
    "  id INTEGER PRIMARY KEY, session_rowid INTEGER NOT NULL, message_id TEXT NOT NULL,"
    "  seq INTEGER, role TEXT, model TEXT, provider TEXT, agent_name TEXT, finish TEXT,"
    "  error TEXT, time_created INTEGER, time_completed INTEGER,"
    "  tokens_input INTEGER, tokens_output INTEGER, tokens_reasoning INTEGER,"
    "  tokens_cache_read INTEGER, tokens_cache_write INTEGER, cost REAL, hash INTEGER);"
    "CREATE INDEX messages_session ON messages(session_rowid, seq);"
    "CREATE TABLE parts("
    "  id INTEGER PRIMARY KEY, session_rowid INTEGER NOT NULL, message_rowid INTEGER,"
    "  part_id TEXT NOT NULL, seq INTEGER, type TEXT, tool TEXT, status TEXT,"
    "  call_id TEXT, synthetic INTEGER, time_start INTEGER, time_end INTEGER,"
    "  body TEXT, input TEXT, paths TEXT);"
    "CREATE INDEX parts_session ON parts(session_rowid);"
    "CREATE INDEX parts_message ON parts(message_rowid, seq);"
    "CREATE TABLE shadows(source_id INTEGER NOT NULL, source_key TEXT NOT NULL,"
    "  session_id TEXT, fp_meta INTEGER, PRIMARY KEY(source_id, source_key)) WITHOUT ROWID;"
    "CREATE VIRTUAL TABLE fts_parts USING fts5(body, input, paths, tool, content='parts',"
    "  content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
    "CREATE VIRTUAL TABLE fts_sessions USING fts5(title, directory, content='sessions',"
    "  content_rowid='id', tokenize='unicode61 remove_diacritics 2');",
    /* 2: cairn's own data -- project memories (every version a row) and session
     * context as append-only events.  Written with synchronous=FULL. */
    "CREATE TABLE memories("
    "  id INTEGER PRIMARY KEY, memory_id TEXT NOT NULL UNIQUE, project_id TEXT NOT NULL,"
    "  key TEXT NOT NULL, value TEXT NOT NULL, metadata_json TEXT, version INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL, last_accessed INTEGER, accessed_count INTEGER NOT NULL"
    "  DEFAULT 0, ttl_seconds INTEGER, expires_at INTEGER, superseded_at INTEGER,"
    "  deleted_at INTEGER, tenant TEXT);"
    "CREATE INDEX memories_key ON memories(project_id, key, version DESC);"
    "CREATE INDEX memories_access ON memories(project_id, last_accessed DESC);"
    "CREATE INDEX memories_expiry ON memories(expires_at) WHERE expires_at IS NOT NULL;"
    "CREATE VIRTUAL TABLE fts_memories USING fts5(key, value, metadata_json,"
    "  content='memories', content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
    "CREATE TABLE context_events("
    "  id INTEGER PRIMARY KEY, session_rowid INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  path TEXT, importance REAL, query TEXT, decision TEXT, memory_id TEXT, memory_key TEXT,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX context_events_session ON context_events(session_rowid, id);",
    /* 3: conversation turns posted by clients: a durable queue, indexed by a worker */
    "CREATE TABLE turns("
    "  id INTEGER PRIMARY KEY, turn_id TEXT NOT NULL UNIQUE, session_id TEXT,"
    "  project_id TEXT, user_message TEXT NOT NULL, assistant_message TEXT NOT NULL,"
    "  metadata_json TEXT, received_at INTEGER NOT NULL, status TEXT NOT NULL,"
    "  indexed_at INTEGER, error TEXT);"
    "CREATE INDEX turns_queued ON turns(status, id);",
    /* 4: session context folded into a zstd snapshot (compressed_context, store/context.c):
     * the last event id it holds and how many events; the events after it and their
     * text bytes, counted on append to know when to fold again */
    "ALTER TABLE sessions ADD COLUMN context_folded_id INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN context_folded_events INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN context_pending_events INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE sessions ADD COLUMN context_pending_bytes INTEGER NOT NULL DEFAULT 0;"
    "UPDATE sessions SET (context_pending_events, context_pending_bytes) = (SELECT count(*),"
    "  coalesce(sum(length(CAST(coalesce(path, query, decision, memory_id) AS BLOB)) +"
    "  coalesce(length(CAST(memory_key AS BLOB)), 0)), 0) FROM context_events c"
    "  WHERE c.session_rowid = sessions.id)"
    "  WHERE id IN (SELECT session_rowid FROM context_events);",
    /* 5: repair.  Builds of the first day grew schema 1 in place: stores they made lack
     * the shadows table and the columns of cn_store_repaired_columns (added before this
     * step runs, when missing).  Harmless on a store that has them. */
    "CREATE TABLE IF NOT EXISTS shadows(source_id INTEGER NOT NULL, source_key TEXT NOT NULL,"
    "  session_id TEXT, fp_meta INTEGER, PRIMARY KEY(source_id, source_key)) WITHOUT ROWID;",
    /* 6: a session's events read from the index alone, in order and side by side,
     * not one table row per event (sessions append in turns, so their rows interleave):
     * the index carries every column that reading a context needs.  Few rows are
     * live (folding deletes them), so the copy costs little room. */
    "DROP INDEX IF EXISTS context_events_session;"
    "CREATE INDEX context_events_session ON context_events(session_rowid, id, kind, path,"
    "  importance, query, decision, memory_id, memory_key, at);",
    /* 7: a generation number of the memories, with the largest row id the version of what
     * search filters on: the rows that are live and their text.  A save of a new key adds
     * the largest id (nothing more to write); every other change bumps the number: an
     * insert below the largest id, a delete, an update of what makes a row live or of its
     * text (not access counts).  Memory search keeps a project's live rows in memory
     * while both stay the same (store/memlive.c).  Written to run again harmlessly, as
     * migration 5's repair may make it. */
    "CREATE TABLE IF NOT EXISTS memory_gen(id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  gen INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO memory_gen VALUES(1, 0);"
    "CREATE TRIGGER IF NOT EXISTS memories_gen_insert AFTER INSERT ON memories"
    "  WHEN NEW.id < (SELECT max(id) FROM memories)"
    "  BEGIN UPDATE memory_gen SET gen = gen + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS memories_gen_delete AFTER DELETE ON memories"
    "  BEGIN UPDATE memory_gen SET gen = gen + 1; END;"
    "CREATE TRIGGER IF NOT EXISTS memories_gen_update AFTER UPDATE OF id, project_id, key,"
    "  value, metadata_json, expires_at, superseded_at, deleted_at ON memories"
    "  BEGIN UPDATE memory_gen SET gen = gen + 1; END;",
    /* 8: a session's context snapshot in a table of its own, out of the sessions row.  The
     * row is updated by every context append (last_activity, the pending counts): with a
     * snapshot of a few KB inline, each row filled a page of its own and every append wrote
     * that page, and a row whose size changed rewrote the snapshot's overflow pages too
     * (measured on the HTTP benchmark's appends: 8.5 of 20.5 WAL pages per commit were
     * sessions pages, 4.3 freed or new ones).  sessions.compressed_context stays, NULL.
     * Written to run again harmlessly, as migration 5's repair may make it. */
    "CREATE TABLE IF NOT EXISTS context_snapshots(session_rowid INTEGER PRIMARY KEY,"
    "  snapshot BLOB NOT NULL);"
    "INSERT OR REPLACE INTO context_snapshots SELECT id, compressed_context FROM sessions"
    "  WHERE compressed_context IS NOT NULL;"
    "UPDATE sessions SET compressed_context = NULL WHERE compressed_context IS NOT NULL;",
    /* 9: a session's events side by side in the table itself, keyed (session, id) with ids
     * counted per session (store/context.c), instead of in append order with a covering
     * index.  Sessions append in turns, so in append order one session's events are spread
     * over as many pages as it has events: a fold deleting 63 of them wrote ~60 pages (the
     * HTTP benchmark: 11 of 19 WAL pages per commit).  The index carried every column, so
     * the table is no bigger than the index was.  Written to run again harmlessly. */
    "CREATE TABLE context_events_by_session(session_rowid INTEGER NOT NULL,"
    "  id INTEGER NOT NULL, kind TEXT NOT NULL, path TEXT, importance REAL, query TEXT,"
    "  decision TEXT, memory_id TEXT, memory_key TEXT, at INTEGER NOT NULL,"
    "  PRIMARY KEY(session_rowid, id)) WITHOUT ROWID;"
    "INSERT INTO context_events_by_session SELECT session_rowid, id, kind, path, importance,"
    "  query, decision, memory_id, memory_key, at FROM context_events;"
    "DROP TABLE context_events;"
    "ALTER TABLE context_events_by_session RENAME TO context_events;",
    /* 10: saves may leave their rows out of fts_memories for a while (store/memfts.c).  Nothing
     * in the schema changes, but a cairn from before would index its own saves past such rows,
     * which would then never be indexed: the version keeps it from opening the store. */
    "SELECT 1;",
};

const cn_column_fix cn_store_repaired_columns[] = {
    {"sessions", "tail_offset", "INTEGER"},   {"sessions", "tail_hash", "INTEGER"},
    {"sessions", "resume_offset", "INTEGER"}, {"sessions", "resume_line", "INTEGER"},
    {"sessions", "resume_seq", "INTEGER"},    {"messages", "hash", "INTEGER"},
    {NULL, NULL, NULL},
};

const int cn_store_nmigrations = sizeof cn_store_migrations / sizeof cn_store_migrations[0];
