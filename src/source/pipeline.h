/*
 * source/pipeline.h - the internals shared by every reader (internal).
 *
 * Each agent reader supplies three stage functions in a cn_reader; the
 * public cairn_plan_new / cairn_resolve / cairn_hydrate_take dispatch through
 * the table in pipeline.c.  Plans and resolved sets use the generic shapes
 * below so that the store and the watcher need not know any format.
 */
#ifndef CN_SOURCE_PIPELINE_H
#define CN_SOURCE_PIPELINE_H

#include "base/arena.h"
#include "base/file.h"
#include "base/map.h"
#include "cairn/source.h"

struct cairn_plan {
    cairn_source src;
    cn_arena arena; /* item strings */
    cairn_plan_item *items;
    size_t n, cap;
    char *db_path; /* opencode: the database planned, or NULL */
    /* a partial plan (cairn_plan_paths) speaks only for these session ids */
    bool partial;
    cairn_str *covered;
    size_t ncovered, covcap;
};

/* One resolved entity: the raw content of a file or a row, not parsed. */
typedef struct cn_unit {
    uint8_t kind;   /* cairn_item_kind */
    uint8_t origin; /* cairn_origin */
    cairn_str id, parent_id, session_id;
    cairn_str path;    /* for messages: file path or "db: table id" */
    cairn_str content; /* the JSON text (file contents, or the row's data column) */
    int64_t time_created_ms, time_updated_ms; /* row columns; 0 for files */
    int64_t mtime_ns;
    /* JSONL: continue an earlier read (set by the caller between resolve and hydrate
     * when the bytes before resume_offset are unchanged); 0 reads the whole file */
    int64_t resume_offset, resume_line;
    uint32_t resume_seq;
    cairn_str resume_id; /* the session's id as stored: a resumed read keeps it */
    cairn_tokens resume_tokens; /* the stored messages' usage before resume_seq (Codex: the
                                 * running total there, which token_counts grow from) */
} cn_unit;

struct cairn_resolved {
    cairn_agent agent;
    cn_arena arena; /* contents and strings */
    cn_unit *units;
    size_t n, cap;
    cn_file *maps; /* large files mapped, unmapped on free */
    size_t nmaps, mapcap;
    size_t bytes;
};

typedef struct cn_reader {
    cairn_agent agent;
    cairn_rc (*plan)(cairn_plan *p, cairn_report *rep, cairn_err *err);
    /* plan only paths[0..n) (relative to the source); CAIRN_AGAIN when they cannot be
     * planned alone.  NULL: the reader always plans everything. */
    cairn_rc (*plan_paths)(cairn_plan *p, const char *const *paths, size_t n, cairn_report *rep,
                           cairn_err *err);
    cairn_rc (*resolve)(const cairn_plan *p, cairn_resolved *res, cairn_report *rep,
                        cairn_err *err);
    cairn_rc (*hydrate)(cairn_resolved *res, cairn_batch *b, cairn_report *rep, cairn_err *err);
} cn_reader;

extern const cn_reader cn_reader_opencode;
extern const cn_reader cn_reader_claude;
extern const cn_reader cn_reader_codex;

/** Append an item; its strings are copied into the plan's arena. NULL on OOM. */
cairn_plan_item *cn_plan_add(cairn_plan *p, const cairn_plan_item *it);
/**
 * Whether a partial plan holds an item of path rel already (two changed paths
 * of one session can each plan its files; a whole plan lists each once).
 */
bool cn_plan_has_path(const cairn_plan *p, const char *rel);
/**
 * One copy of a session read: it, just added to p, against the copy ids (id ->
 * item index) holds for its id.  The copy better() prefers stays; the other is
 * shadowed and unselected.  CAIRN_NOMEM.
 */
cairn_rc cn_plan_keep_best(cairn_plan *p, cn_map *ids, cairn_plan_item *it,
                           bool (*better)(const cairn_plan_item *a, const cairn_plan_item *b));
/**
 * Record that a partial plan speaks for session id (copied); false when it
 * already did.  CAIRN_NOMEM in *rc.
 */
bool cn_plan_cover(cairn_plan *p, cairn_str id, cairn_rc *rc);
/** Append a unit (strings are NOT copied: they must live in res->arena or a map). */
cn_unit *cn_resolved_add(cairn_resolved *res);
/** Read a file into the resolved set (read or map); the content span is returned. */
cairn_rc cn_resolved_load(cairn_resolved *res, int dirfd, const char *name, const char *label,
                          size_t max_bytes, cairn_str *content, int64_t *mtime_ns,
                          cairn_err *err);
/** Add an issue formatted printf-style. */
void cn_report_addf(cairn_report *r, cairn_rc rc, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define CN_FILE_MAX ((size_t)64 << 20) /* largest single JSON file read */

#endif
