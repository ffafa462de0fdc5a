/*
 * serve/jobs.c - a server's writes in groups of the store (serve/jobs.h).
 */
#include "serve/jobs.h"

#include <stdio.h>

#include "base/err.h"

static cairn_rc group_begin(cairn_store *s, bool light, cairn_err *e)
{
    if (!s)
        return cn_err_set(e, CAIRN_BUSY, "the store is not open");
    return light ? cairn_store_group_begin_light(s, e) : cairn_store_group_begin(s, e);
}

/* Jobs from..upto (inclusive; NULL: to the end) that have no error yet fail with rc, msg. */
static void fail(cn_job *from, const cn_job *upto, cairn_rc rc, const char *msg)
{
    for (cn_job *j = from; j; j = j == upto ? NULL : j->next)
        if (!j->rc)
            j->rc = cn_err_set(&j->c->err, rc, "%s", msg);
}

void cn_jobs_run(cairn_store *s, cn_job *batch, size_t *due)
{
    bool light = true; /* access counts alone need no disk sync */
    cairn_err e;
    for (cn_job *j = batch; j && light; j = j->next)
        light = !j->whole;
    cn_job *first = batch; /* the first job of the open group */
    cairn_rc grc = group_begin(s, light, &e);
    for (cn_job *j = batch; j; j = j->next) {
        if (grc) {
            j->rc = cn_err_set(&j->c->err, grc, "%s", e.msg);
            continue;
        }
        if (j->whole) { /* the write; its answer is read by the handler after the commit */
            j->c->store = s;
            j->rc = j->c->op->run(j->c);
        } else {
            j->rc = cn_call_run_deferred(j->c, s);
        }
        if (cairn_store_group_open(s))
            continue;
        /* SQLite rolled the group's transaction back: its jobs so far wrote nothing */
        char msg[sizeof e.msg];
        snprintf(msg, sizeof msg, "not stored, the store rolled its transaction back: %s",
                 j->rc ? j->c->err.msg : "(no error given)");
        fail(first, j, j->rc ? j->rc : CAIRN_IO, msg);
        cairn_store_group_abort(s);
        if (!(first = j->next))
            return;
        grc = group_begin(s, light, &e); /* the jobs left, in a group of their own */
    }
    if (grc)
        return;
    if (!light)
        cairn_context_fold_due(s, CN_JOBS_FOLD_US, due, &e);
    if ((grc = cairn_store_group_end(s, &e)))
        fail(first, NULL, grc, e.msg);
}

bool cn_jobs_folds(cairn_store *s, size_t *due, cairn_err *err)
{
    if (cairn_store_group_begin(s, err))
        return true;
    cairn_rc rc = cairn_context_fold_due(s, CN_JOBS_FOLD_US, due, err);
    return cairn_store_group_end(s, err) || rc;
}
