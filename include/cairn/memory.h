/*
 * cairn/memory.h - cairn's own data: project memories and session context.
 *
 * Unlike the index of agent transcripts, this data exists nowhere else, so
 * every write is committed with synchronous=FULL before the call returns.
 *
 * Project memories: a key and a value (plus metadata JSON and an optional
 * TTL) in a project.  Saving an existing key makes a new version; the old
 * ones stay in the history.  Reads return live memories only (not expired,
 * not forgotten), newest access first, and count the access.  Forgetting is
 * a soft delete, undone by cairn_memory_restore; expired memories are hidden
 * at once and removed by cairn_memory_sweep after a grace period.
 *
 * Session context: append-only events (a file accessed with an importance, a
 * search, a decision, a memory referenced) on a session; the context document
 * is composed from them, so concurrent appends never lose each other.  Past a
 * threshold (256 events or 32 KiB of their text after the last fold) the
 * append that crosses it also folds the session's older events into one
 * zstd-compressed snapshot, in the same transaction; the document reads the
 * same, byte for byte (docs/CONTEXT.md).
 *
 * Threads: as cairn_store.
 */
#ifndef CAIRN_MEMORY_H
#define CAIRN_MEMORY_H

#include "cairn/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cairn_memory {
    const char *memory_id; /* "mem_" + 12 hex */
    const char *project_id;
    const char *key;
    const char *value;
    const char *metadata_json; /* NULL when none */
    int64_t version;
    int64_t created_ms, last_accessed_ms, accessed_count;
    int64_t ttl_seconds;  /* 0: none */
    int64_t expires_ms;   /* 0: never */
    int64_t deleted_ms;   /* history only: when it was forgotten, 0 if not */
    int64_t superseded_ms; /* history only: when a newer version replaced it */
} cairn_memory;

typedef struct cairn_memories {
    cairn_memory *items;
    size_t n;
    struct cn_memories_priv *priv;
} cairn_memories;

/** Free a list (NULL allowed). */
CAIRN_API void cairn_memories_free(cairn_memories *m);

/* The longest key and project id a save takes, in bytes (CAIRN_RANGE past them). */
#define CAIRN_KEY_MAX 1024
#define CAIRN_PROJECT_MAX 4096

/* The longest ttl a memory can have: 100 years (an expiry past it is no longer a date). */
#define CAIRN_TTL_MAX_SECONDS 3155760000LL

/**
 * Save key = value in project (a new version if the key exists).
 * metadata_json must be a JSON object or NULL (CAIRN_INVAL naming it);
 * ttl_seconds must be 0 (no expiry) to CAIRN_TTL_MAX_SECONDS, key and project at most
 * CAIRN_KEY_MAX and CAIRN_PROJECT_MAX bytes (CAIRN_RANGE otherwise).
 * *out (NULL allowed) receives the saved memory as a one-item list, read back
 * before the commit: CAIRN_CORRUPT, and nothing saved, when the store cannot give
 * it back (a damaged index).
 */
CAIRN_API cairn_rc cairn_memory_save(cairn_store *s, const char *project, const char *key,
                                     const char *value, const char *metadata_json,
                                     int64_t ttl_seconds, cairn_memories **out, cairn_err *err);

/**
 * Live memories of project, the newest version of each key, most recently
 * accessed first (at most limit; 0 means 20); key != NULL returns only that
 * key's (CAIRN_NOTFOUND if none).  Each returned memory's access is counted.
 */
CAIRN_API cairn_rc cairn_memory_recall(cairn_store *s, const char *project, const char *key,
                                       size_t limit, cairn_memories **out, cairn_err *err);

/**
 * cairn_memory_recall without counting the accesses: the caller counts them
 * with cairn_memory_touch, on another connection if it likes (a server reads
 * on its handler threads and counts on its one writer).
 */
CAIRN_API cairn_rc cairn_memory_peek(cairn_store *s, const char *project, const char *key,
                                     size_t limit, cairn_memories **out, cairn_err *err);

/**
 * Count one access at now_ms to every memory of m (from cairn_memory_peek or
 * cairn_memory_recall of the same store file), and show it in m
 * (accessed_count + 1, last_accessed = now_ms).  Inside a group
 * (cairn_store_group_begin) it joins the group's transaction; otherwise it
 * commits on its own, without waiting: when another connection holds the
 * write lock the count is skipped (CAIRN_BUSY, m unchanged).
 */
CAIRN_API cairn_rc cairn_memory_touch(cairn_store *s, cairn_memories *m, int64_t now_ms,
                                      cairn_err *err);

/** Every version of key, newest first, forgotten and superseded ones too. */
CAIRN_API cairn_rc cairn_memory_history(cairn_store *s, const char *project, const char *key,
                                        cairn_memories **out, cairn_err *err);

/** Full-text search over the live memories' keys, values and metadata. */
CAIRN_API cairn_rc cairn_memory_search(cairn_store *s, const char *project,
                                       const cairn_query *q, size_t limit, cairn_memories **out,
                                       cairn_err *err);

/**
 * Let up to rows saves on this connection leave their memories out of the
 * full-text index, to be indexed together (0, the default: each save
 * indexes its row before it commits).  An FTS5 insert committed on its own
 * writes a new segment of the index, which was half of a lone save's work.
 * The rows are durable at once either way; until indexed they are found by
 * recall and history but not by search.  They are indexed by the save past
 * the bound, by any search on a connection that can take the write lock at
 * once, by cairn_memory_index and by cairn_store_close.  A connection that
 * defers should call cairn_memory_index when it falls idle, so that other
 * processes' searches see its rows.
 */
CAIRN_API void cairn_memory_defer_index(cairn_store *s, unsigned rows);
/** Saves on this connection since it last indexed (0: nothing of its own waits). */
CAIRN_API unsigned cairn_memory_unindexed(const cairn_store *s);
/**
 * Index every memory that waits to be (any connection's), in a transaction
 * of its own (or the caller's, if one is open).  wait: false returns
 * CAIRN_BUSY at once when another connection holds the write lock.
 */
CAIRN_API cairn_rc cairn_memory_index(cairn_store *s, bool wait, cairn_err *err);

/** Soft-delete key (its live version); CAIRN_NOTFOUND if there is none. */
CAIRN_API cairn_rc cairn_memory_forget(cairn_store *s, const char *project, const char *key,
                                       cairn_err *err);
/** Undo the last forget of key; CAIRN_NOTFOUND if nothing to restore. */
CAIRN_API cairn_rc cairn_memory_restore(cairn_store *s, const char *project, const char *key,
                                        cairn_err *err);
/** Remove memories expired more than grace_ms ago; *n receives how many. */
CAIRN_API cairn_rc cairn_memory_sweep(cairn_store *s, int64_t grace_ms, size_t *n,
                                      cairn_err *err);

/* ---- sessions of cairn's own API (clients that are not agents cairn reads) ---- */

typedef struct cairn_session_new {
    const char *tool_id;        /* required: the client ("my-agent", "claude-code", ...) */
    const char *workspace_path; /* required */
    const char *project_id;     /* required */
    const char *user_id;        /* NULL allowed */
    int64_t process_id;         /* 0: none */
} cairn_session_new;

/** Create a session; out (33 bytes at least) receives its id ("ses_" + 24 hex). Durable. */
CAIRN_API cairn_rc cairn_session_create(cairn_store *s, const cairn_session_new *n, char *out,
                                        size_t out_size, cairn_err *err);

typedef enum cairn_session_action {
    CAIRN_SESSION_END,
    CAIRN_SESSION_PIN,
    CAIRN_SESSION_UNPIN,
    CAIRN_SESSION_ARCHIVE,
} cairn_session_action;

/** End, pin, unpin or archive a session (any session, agent ones too). Durable. */
CAIRN_API cairn_rc cairn_session_set(cairn_store *s, const char *session_id,
                                     cairn_session_action a, cairn_err *err);

typedef struct cairn_session_filter {
    const char *project_id, *workspace_path;
    int active; /* -1 any, 1 not ended, 0 ended */
    size_t limit;  /* 0: 50 */
    size_t offset; /* sessions skipped first (a page after the first) */
} cairn_session_filter;

/**
 * Sessions as a JSON array (newest activity first), or one session as an
 * object (session_id != NULL; CAIRN_NOTFOUND).  Fields: session_id, tool_id,
 * user_id, workspace_path, project_id, title, created_at, last_activity,
 * ended_at, pinned, archived, process_id, messages, context_events.
 * *json is malloc'd (free()).
 */
CAIRN_API cairn_rc cairn_session_json(cairn_store *s, const char *session_id,
                                      const cairn_session_filter *f, char **json, size_t *len,
                                      cairn_err *err);

/**
 * The id of the session that id is, or is a unique prefix of, into out
 * (out_size bytes): any session, made over the API or read from an agent.
 * CAIRN_NOTFOUND when none has it, CAIRN_INVAL when several do (the message
 * names two).
 */
CAIRN_API cairn_rc cairn_session_resolve(cairn_store *s, const char *id, char *out, size_t out_size,
                                         cairn_err *err);

/* ---- conversation turns (a chat backend posts each exchange) ---- */

typedef struct cairn_turn {
    const char *user_message, *assistant_message; /* required */
    const char *session_id;    /* NULL: a session per project ("turns-<project>") */
    const char *project_id;    /* NULL: "default" */
    const char *metadata_json; /* a JSON object or NULL */
} cairn_turn;

/**
 * Write a turn durably to the queue; id (at least 24 bytes) receives its id
 * ("turn_" + 16 hex).  It is indexed later by cairn_turns_index.
 */
CAIRN_API cairn_rc cairn_turn_enqueue(cairn_store *s, const cairn_turn *t, char *id,
                                      size_t id_size, cairn_err *err);
/** The turn's status as JSON {id, status: queued|indexed|failed, received_at, indexed_at}. */
CAIRN_API cairn_rc cairn_turn_status(cairn_store *s, const char *id, char **json, size_t *len,
                                     cairn_err *err);
/** How many turns wait to be indexed. */
CAIRN_API cairn_rc cairn_turns_queued(cairn_store *s, int64_t *n, cairn_err *err);
/** Index up to max queued turns (oldest first); *n receives how many were done. */
CAIRN_API cairn_rc cairn_turns_index(cairn_store *s, size_t max, size_t *n, cairn_err *err);

/**
 * The last n messages of session_id (oldest first) as a JSON array of
 * {message_id, role, time, text, tools}: text is the message's text parts
 * joined (harness text left out), tools the names of its tool calls.
 */
CAIRN_API cairn_rc cairn_session_messages_json(cairn_store *s, const char *session_id, size_t n,
                                               char **json, size_t *len, cairn_err *err);

/* ---- rule-based summaries (no LLM) ---- */

/**
 * A summary of session_id as JSON: counts (messages by role, parts by type,
 * tool calls by name and status), time span, files touched, tools used,
 * decisions, and the last messages.  *json is malloc'd.  CAIRN_NOTFOUND.
 */
CAIRN_API cairn_rc cairn_session_summary(cairn_store *s, const char *session_id, char **json,
                                         size_t *len, cairn_err *err);

/**
 * Candidate memories found by rules in the session's text (decisions;
 * "always", "never", "use X instead of Y", preferences; configuration facts),
 * each with the span of text it came from.  Nothing is saved.
 */
CAIRN_API cairn_rc cairn_memory_suggestions(cairn_store *s, const char *session_id, char **json,
                                            size_t *len, cairn_err *err);

/* ---- session context ---- */

typedef enum cairn_context_kind {
    CAIRN_CONTEXT_FILE,
    CAIRN_CONTEXT_SEARCH,
    CAIRN_CONTEXT_DECISION,
    CAIRN_CONTEXT_MEMORY,
} cairn_context_kind;

typedef struct cairn_context_item {
    cairn_context_kind kind;
    /* file path, search query, decision, or memory id: NULL with a memory_key is the id of
     * the session's project's memory of that key, else the key itself */
    const char *text;
    const char *memory_key; /* CAIRN_CONTEXT_MEMORY: the memory's key, or NULL */
    double importance;     /* CAIRN_CONTEXT_FILE: 0.0-1.0 (CAIRN_RANGE otherwise) */
} cairn_context_item;

/**
 * Append items to the context of session_id, in one durable transaction, and
 * move the session's last_activity.  When the events after the session's
 * snapshot then number 64 or hold 32 KiB of text, the same transaction folds
 * all of them but the newest into a new compressed snapshot and deletes their
 * rows: the append and its fold are committed together or not at all.
 * Inside a group (cairn_store_group_begin) the fold is left for
 * cairn_context_fold_due instead.
 * CAIRN_NOTFOUND for an unknown session; CAIRN_INVAL / CAIRN_RANGE for a bad
 * item (nothing is appended); CAIRN_CORRUPT, naming the session, when the
 * fold finds the stored snapshot damaged (nothing is appended or deleted).
 */
CAIRN_API cairn_rc cairn_context_append(cairn_store *s, const char *session_id,
                                        const cairn_context_item *items, size_t n,
                                        cairn_err *err);

/**
 * Run folds that appends made inside a group left for later: a server's
 * writer commits many sessions' appends in one group, and in a workload that
 * visits sessions in turn they all reach the threshold together; folding them
 * in that one group would stall every request waiting on it.  Folds the
 * oldest first, at least one when any is due, and goes on while less than
 * budget_us microseconds have passed.  Inside a group each fold is a
 * savepoint of it, else its own durable transaction; a fold that fails (a
 * damaged snapshot) is rolled back alone and dropped: its events stay rows,
 * and the next append past the threshold tries again.  *left (NULL allowed)
 * receives how many stay due.  The list is this connection's, in memory:
 * folds it loses (a crash) happen at the session's next append.
 */
CAIRN_API cairn_rc cairn_context_fold_due(cairn_store *s, uint64_t budget_us, size_t *left,
                                          cairn_err *err);

/**
 * The context document of session_id as JSON, composed from its snapshot (if
 * any) and the events after it, read in one transaction:
 * {"session_id", "context": {"files_accessed": [{path, importance, accessed_at,
 * order}], "file_importance_scores": {path: importance}, "recent_searches":
 * [{query, timestamp}], "decisions": [{decision, timestamp}], "saved_memories":
 * [{memory_id, memory_key, timestamp}]}, "compressed": B, "size_bytes": N}.
 * Each array is in append order; file_importance_scores has each path once,
 * in first-seen order, with its latest importance; order counts file accesses
 * from 1.
 *
 * compressed is true when the session has a snapshot (its first events were
 * folded).  size_bytes is then the bytes stored for the context: the zstd
 * snapshot (sessions.compressed_context) plus the UTF-8 bytes of the text of
 * every event after it (its path, query, decision or memory id, and memory
 * key).  While compressed is false nothing is folded and size_bytes is the
 * length in bytes of the "context" object as written in this document.
 *
 * *json is malloc'd (free()).  CAIRN_NOTFOUND for an unknown session;
 * CAIRN_CORRUPT, naming the session, when its snapshot or an event is damaged
 * (a bad zstd frame, a checksum mismatch, lengths or counts that do not add up).
 */
CAIRN_API cairn_rc cairn_context_get(cairn_store *s, const char *session_id, char **json,
                                     size_t *len, cairn_err *err);

#ifdef __cplusplus
}
#endif
#endif
