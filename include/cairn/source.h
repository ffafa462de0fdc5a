/*
 * cairn/source.h - reading agent histories: discover -> plan -> resolve -> hydrate.
 *
 * The staged pipeline (DESIGN.md §4):
 *   plan     lists what exists (files with sizes and mtimes; SQLite ids and
 *            time_updated) without reading any content;
 *   resolve  brings in the selected content: files are read or mapped, rows
 *            are fetched; leaves are spans, nothing is parsed;
 *   hydrate  parses only the fields the records need, into a cairn_batch.
 * Every stage appends what went wrong to a cairn_report (a bad file or row is
 * an issue naming the path or row, never a crash and never the end of the
 * run) and returns CAIRN_OK unless the source as a whole cannot be read.
 * cairn_source_load() runs the three stages.
 *
 * Agent files are read-only to cairn: nothing here writes, locks, renames or
 * checkpoints them.  SQLite databases are opened with mode=ro (WAL honoured,
 * never immutable=1) and only named columns of the session tables are read,
 * never the tables that hold credentials.
 *
 * Threads: every object belongs to the thread that made it; different
 * objects may be used on different threads at once.
 */
#ifndef CAIRN_SOURCE_H
#define CAIRN_SOURCE_H

#include "cairn/record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- report ---- */

typedef struct cairn_report cairn_report;

typedef struct cairn_issue {
    cairn_rc rc;
    const char *where; /* path, "path:line" or "db: table id" */
    const char *what;  /* lowercase message */
} cairn_issue;

/** A new empty report, or NULL when out of memory. */
CAIRN_API cairn_report *cairn_report_new(void);
/** NULL allowed. */
CAIRN_API void cairn_report_free(cairn_report *r);
CAIRN_API size_t cairn_report_count(const cairn_report *r);
/** Issue i (< count); valid until the report is freed. */
CAIRN_API const cairn_issue *cairn_report_get(const cairn_report *r, size_t i);
/** Add an issue; both strings are copied. */
CAIRN_API void cairn_report_add(cairn_report *r, cairn_rc rc, const char *where, const char *what);

/* ---- sources ---- */

/** One place an agent keeps history, found from the environment or given. */
typedef struct cairn_source {
    cairn_agent agent;
    char path[4096]; /* the agent's data dir (opencode), config dir (claude), home (codex) */
    bool from_env;   /* discovered (true) or given with --source (false) */
} cairn_source;

/**
 * Fill out[0..*n) with the default location of every agent, found the way
 * each agent finds it (XDG_DATA_HOME, HOME, OPENCODE_DB, CLAUDE_CONFIG_DIR,
 * CODEX_HOME).  *n is the capacity on entry.  Locations that do not exist
 * are still listed; cairn_source_exists() tells.
 */
CAIRN_API cairn_rc cairn_sources_discover(cairn_source *out, size_t *n, cairn_err *err);
/** Parse "KIND=DIR" (opencode=DIR, claude=DIR, codex=DIR). CAIRN_INVAL with a message. */
CAIRN_API cairn_rc cairn_source_parse(const char *spec, cairn_source *out, cairn_err *err);
/** True if the source's directory exists. */
CAIRN_API bool cairn_source_exists(const cairn_source *s);

/* ---- plan ---- */

typedef enum cairn_item_kind {
    CAIRN_ITEM_PROJECT,
    CAIRN_ITEM_SESSION,
    CAIRN_ITEM_MESSAGE,
    CAIRN_ITEM_PART,
    CAIRN_ITEM_TODO,
    CAIRN_ITEM_DIFF,
    CAIRN_ITEM_DB, /* an agent database: sessions are planned as its rows */
    CAIRN_ITEM_META, /* a side file describing a session (Claude sub-agent .meta.json) */
} cairn_item_kind;

/** One thing that exists: a file, or a row group in a database. */
typedef struct cairn_plan_item {
    uint8_t kind;   /* cairn_item_kind */
    uint8_t origin; /* cairn_origin */
    bool selected;  /* resolve brings it in (all are, after plan) */
    bool shadowed;  /* a copy of something a preferred source also has */
    cairn_str path; /* file path; for rows, the database path */
    cairn_str id;        /* the entity's id (from the path for files) */
    cairn_str parent_id; /* session of a message, message of a part, project of a session */
    cairn_str session_id; /* the session it belongs to, when known */
    int64_t size;         /* bytes (files) or rows (database sessions) */
    int64_t mtime_ns;     /* files: mtime; rows: max time_updated in ms * 1e6 */
} cairn_plan_item;

typedef struct cairn_plan cairn_plan;

/**
 * List what source s holds.  Issues (unreadable directories, a database that
 * cannot be opened) go to rep.  Fails only when s itself cannot be listed at
 * all (CAIRN_NOTFOUND: the directory does not exist).
 */
CAIRN_API cairn_rc cairn_plan_new(const cairn_source *s, cairn_plan **out, cairn_report *rep,
                                  cairn_err *err);
/**
 * Like cairn_plan_new, but list only what the files paths[0..n) hold (paths
 * relative to the source directory: the files a watcher saw change).  The
 * result is partial: it speaks only for the sessions cairn_plan_covered
 * names, and a covered session that it does not list is gone.  Paths that
 * name nothing the agent writes (temp files, other files) are passed over.
 * CAIRN_AGAIN when the paths cannot be planned alone (a directory came or
 * went, a copy may live elsewhere: an archived Codex rollout, an opencode
 * database or G0 tree beside a G1 tree): plan the whole source instead.
 * opencode's G1 tree (storage/) is planned by session: a changed message or
 * part re-plans the session it belongs to.
 */
CAIRN_API cairn_rc cairn_plan_paths(const cairn_source *s, const char *const *paths, size_t n,
                                    cairn_plan **out, cairn_report *rep, cairn_err *err);
/** True for a plan made by cairn_plan_paths. */
CAIRN_API bool cairn_plan_is_partial(const cairn_plan *p);
/** The sessions a partial plan speaks for: ids 0..cairn_plan_ncovered(). */
CAIRN_API size_t cairn_plan_ncovered(const cairn_plan *p);
CAIRN_API cairn_str cairn_plan_covered(const cairn_plan *p, size_t i);
CAIRN_API void cairn_plan_free(cairn_plan *p);
CAIRN_API size_t cairn_plan_count(const cairn_plan *p);
/** Item i, valid until the plan is freed; the selected flag may be changed. */
CAIRN_API cairn_plan_item *cairn_plan_item_at(cairn_plan *p, size_t i);
/** Deselect everything, then select every item of session id (and its project). */
CAIRN_API void cairn_plan_select_none(cairn_plan *p);
CAIRN_API size_t cairn_plan_select_session(cairn_plan *p, cairn_str session_id);
/** Number of distinct sessions the plan lists (shadowed copies not counted). */
CAIRN_API size_t cairn_plan_sessions(const cairn_plan *p);

/* ---- resolve ---- */

typedef struct cairn_resolved cairn_resolved;

/**
 * Bring in the content of the selected items of plan (borrowed; it must
 * outlive the result).  Unreadable files are issues in rep.
 */
CAIRN_API cairn_rc cairn_resolve(cairn_plan *plan, cairn_resolved **out, cairn_report *rep,
                                 cairn_err *err);
CAIRN_API void cairn_resolved_free(cairn_resolved *r);
/** Bytes brought in (file contents and row data). */
CAIRN_API size_t cairn_resolved_bytes(const cairn_resolved *r);

/* ---- hydrate ---- */

/** Records read from one source; owns every string the records point to. */
typedef struct cairn_batch {
    cairn_agent agent;
    cairn_project *projects;
    size_t nprojects;
    cairn_session *sessions; /* ordered by time_created */
    size_t nsessions;
    cairn_message *messages; /* grouped by session, ordered by (time_created, id) */
    size_t nmessages;
    cairn_part *parts; /* grouped by message, ordered by id */
    size_t nparts;
    cairn_todo *todos;
    size_t ntodos;
    size_t bytes; /* memory held: records, strings, file contents */
    size_t skipped; /* records of unknown or unindexed types passed over knowingly */
    struct cn_batch_priv *priv;
} cairn_batch;

/**
 * Parse the resolved content into records.  Takes res: it is freed or moved
 * into the batch whatever the outcome.  Bad content is an issue in rep.
 */
CAIRN_API cairn_rc cairn_hydrate_take(cairn_resolved *res, cairn_batch **out, cairn_report *rep,
                                      cairn_err *err);
/** NULL allowed. */
CAIRN_API void cairn_batch_free(cairn_batch *b);

/** plan + resolve + hydrate for everything in s. */
CAIRN_API cairn_rc cairn_source_load(const cairn_source *s, cairn_batch **out, cairn_report *rep,
                                     cairn_err *err);

/** Index of the session with this id in b, or CAIRN_NONE. */
CAIRN_API uint32_t cairn_batch_find_session(const cairn_batch *b, cairn_str id);

/** The searchable text of a part (text, tool output, ...), or {NULL,0}. */
CAIRN_API cairn_str cairn_part_text(const cairn_part *p);

/* ---- opencode ids ---- */

typedef struct cairn_oc_id {
    cairn_str prefix;    /* "ses", "msg", "prt", ... */
    uint64_t value;      /* the 48-bit counter field (un-inverted for descending ids) */
    int64_t ms_mod;      /* creation time in ms, modulo 2^36 */
    uint32_t counter;    /* counter within that millisecond */
    cairn_str random;    /* the 14 base62 characters */
    bool descending;
} cairn_oc_id;

/** Parse an opencode id ("ses_e035dec6effeeawMfBf3ow9Lhu"). CAIRN_PARSE if malformed. */
CAIRN_API cairn_rc cairn_oc_id_parse(cairn_str id, cairn_oc_id *out, cairn_err *err);
/** The absolute creation time of id, given a reference time near it (a row's time_created, a file mtime). */
CAIRN_API int64_t cairn_oc_id_time(const cairn_oc_id *id, int64_t ref_ms);

#ifdef __cplusplus
}
#endif
#endif
