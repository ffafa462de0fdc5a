/*
 * source/opencode/oc.h - the opencode reader's internals.
 *
 * Three storage generations (shared/formats/opencode.md §2): G2 SQLite
 * (db.c), G1 storage/ tree and G0 project/<slug>/storage/ (tree.c).  Both
 * feed the same units: a message or part is its JSON object (file contents,
 * or the row's data column); sessions, projects and todos from SQLite are
 * turned into the JSON shape of their G1 files, so hydrate.c reads one shape.
 */
#ifndef CN_SOURCE_OC_H
#define CN_SOURCE_OC_H

#include "base/map.h"
#include "source/pipeline.h"

typedef struct cn_oc_db cn_oc_db;

/**
 * Open an opencode database read-only ("file:...?mode=ro", WAL honoured,
 * never immutable, busy timeout).  The schema is checked by name.
 */
cairn_rc cn_oc_db_open(const char *path, cn_oc_db **out, cairn_err *err);
void cn_oc_db_close(cn_oc_db *db);
/** Add the database's projects and sessions to plan; ids go into *ids (session id -> 1). */
cairn_rc cn_oc_db_plan(cn_oc_db *db, cairn_plan *plan, cn_map *ids, cairn_report *rep,
                       cairn_err *err);
/** Fetch the rows of the selected sessions of this database into res. */
cairn_rc cn_oc_db_resolve(cn_oc_db *db, const cairn_plan *plan, cairn_resolved *res,
                          cairn_report *rep, cairn_err *err);

/** Walk storage/ (G1) and project/<slug>/storage/ (G0) under dirfd into plan. */
cairn_rc cn_oc_tree_plan(cairn_plan *plan, int datafd, const cn_map *db_sessions,
                         cairn_report *rep, cairn_err *err);

/** Read the selected files of plan into res. */
/**
 * Plan only the G1 sessions that the changed files paths[0..n) (relative to
 * the data dir, under storage/) belong to, each with every file a whole plan
 * lists for it; the sessions are covered (cn_plan_cover).  CAIRN_AGAIN when a
 * path cannot be told alone (a directory, a project file).  The caller plans
 * whole when a database or G0 tree is there to shadow G1.
 */
cairn_rc cn_oc_tree_plan_paths(cairn_plan *plan, int datafd, const char *const *paths, size_t n,
                               cairn_report *rep, cairn_err *err);
cairn_rc cn_oc_tree_resolve(const cairn_plan *plan, int datafd, cairn_resolved *res,
                            cairn_report *rep, cairn_err *err);

/** hydrate.c: the reader's hydrate stage. */
cairn_rc cn_oc_hydrate(cairn_resolved *res, cairn_batch *b, cairn_report *rep, cairn_err *err);

#endif
