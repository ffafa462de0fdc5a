/*
 * serve/jobs.h - a server's writes, run in groups of the store (group commit):
 * the writer of `cairn serve` takes every job queued so far and runs them
 * here, then resumes their connections.
 *
 * A job's call succeeds only if its write is committed.  SQLite can roll a
 * whole transaction back under a group (a full disk, an I/O error): the jobs
 * run in it until then have lost their writes and fail with the error, and
 * the rest run in a new group, so no job is told its write failed when it was
 * committed, nor that it was kept when it was not.
 */
#ifndef CN_SERVE_JOBS_H
#define CN_SERVE_JOBS_H

#include <stdbool.h>

#include "api/api.h"

struct MHD_Connection;

/* Of a group's time, at most this much goes to context folds left for later (one at least):
 * a batch never carries the folds of every session that reached the threshold with it. */
#define CN_JOBS_FOLD_US 1000

/* One call for the writer: all of it (whole), or its deferred bookkeeping write. */
typedef struct cn_job {
    cn_call *c;
    bool whole; /* run all of c's write here; else cn_call_run_deferred (an access count) */
    cairn_rc rc;
    struct MHD_Connection *conn; /* the server's, resumed once rc is set (not used here) */
    struct cn_job *next;
} cn_job;

/*
 * Run the jobs of the list batch on s (NULL: the store is not open, every job
 * fails) in groups, setting each job's rc (and its call's err): durable groups,
 * or light ones when every job is a deferred access count.  After a durable
 * group's jobs, context folds they left for later run for at most
 * CN_JOBS_FOLD_US; *due receives how many are still due.
 */
void cn_jobs_run(cairn_store *s, cn_job *batch, size_t *due);

/*
 * Nothing queued and folds due: a group of folds alone (CN_JOBS_FOLD_US of them);
 * *due receives how many are still due.  True if any step failed (folds that did
 * not commit happen at their sessions' next appends).
 */
bool cn_jobs_folds(cairn_store *s, size_t *due, cairn_err *err);

#endif
