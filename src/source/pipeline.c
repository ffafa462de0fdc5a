/*
 * source/pipeline.c - the public pipeline calls, dispatched through the
 * reader table, plus the plan / resolved containers they share.
 */
#include "source/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "base/path.h"
#include "base/str.h"
#include "source/batch.h"

static const cn_reader *const readers[] = {&cn_reader_opencode, &cn_reader_claude,
                                           &cn_reader_codex};

static const cn_reader *reader_for(cairn_agent a)
{
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++)
        if (readers[i]->agent == a)
            return readers[i];
    return NULL;
}

/* ---- sources ---- */

typedef cairn_rc (*locate_fn)(cn_buf *out, cairn_err *err);

static const struct {
    cairn_agent agent;
    locate_fn locate;
} locations[] = {
    {CAIRN_AGENT_OPENCODE, cn_path_opencode_data},
    {CAIRN_AGENT_CLAUDE, cn_path_claude_dir},
    {CAIRN_AGENT_CODEX, cn_path_codex_home},
};

cairn_rc cairn_sources_discover(cairn_source *out, size_t *n, cairn_err *err)
{
    size_t cap = *n, k = 0;
    cn_buf b;
    cn_buf_init(&b, sizeof out->path - 1);
    for (size_t i = 0; i < sizeof locations / sizeof locations[0] && k < cap; i++) {
        if (!reader_for(locations[i].agent))
            continue; /* no reader for it yet */
        if (locations[i].locate(&b, err) != CAIRN_OK)
            continue;
        memset(&out[k], 0, sizeof out[k]);
        out[k].agent = locations[i].agent;
        out[k].from_env = true;
        memcpy(out[k].path, b.ptr, b.len + 1);
        k++;
    }
    cn_buf_release(&b);
    *n = k;
    return CAIRN_OK;
}

cairn_rc cairn_source_parse(const char *spec, cairn_source *out, cairn_err *err)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return cn_err_set(
            err, CAIRN_INVAL,
            "bad source '%s': expected KIND=DIR, e.g. opencode=~/.local/share/opencode", spec);
    cairn_agent a = cairn_agent_parse((cairn_str){spec, (size_t)(eq - spec)});
    if (a == CAIRN_AGENT_NONE)
        return cn_err_set(err, CAIRN_INVAL,
                          "bad source '%s': unknown kind '%.*s' (opencode, claude, codex)", spec,
                          (int)(eq - spec), spec);
    if (!reader_for(a))
        return cn_err_set(err, CAIRN_INVAL, "bad source '%s': %s is not supported yet", spec,
                          cairn_agent_name(a));
    size_t len = strlen(eq + 1);
    if (len >= sizeof out->path)
        return cn_err_set(err, CAIRN_INVAL, "bad source '%s': path too long", spec);
    memset(out, 0, sizeof *out);
    out->agent = a;
    memcpy(out->path, eq + 1, len + 1);
    return CAIRN_OK;
}

bool cairn_source_exists(const cairn_source *s)
{
    struct stat st;
    return stat(s->path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ---- plan ---- */

cairn_plan_item *cn_plan_add(cairn_plan *p, const cairn_plan_item *it)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        cairn_plan_item *items = realloc(p->items, cap * sizeof *items);
        if (!items)
            return NULL;
        p->items = items;
        p->cap = cap;
    }
    cairn_plan_item *d = &p->items[p->n];
    *d = *it;
    d->path = cn_arena_strdup(&p->arena, it->path);
    d->id = cn_arena_strdup(&p->arena, it->id);
    d->parent_id = cn_arena_strdup(&p->arena, it->parent_id);
    d->session_id = cn_arena_strdup(&p->arena, it->session_id);
    if (!d->path.ptr || !d->id.ptr || !d->parent_id.ptr || !d->session_id.ptr)
        return NULL;
    d->selected = !d->shadowed;
    p->n++;
    return d;
}

bool cn_plan_has_path(const cairn_plan *p, const char *rel)
{
    for (size_t i = 0; p->partial && i < p->n; i++) /* a handful of items per change */
        if (cn_str_eqc(p->items[i].path, rel))
            return true;
    return false;
}

cairn_rc cn_plan_keep_best(cairn_plan *p, cn_map *ids, cairn_plan_item *it,
                           bool (*better)(const cairn_plan_item *a, const cairn_plan_item *b))
{
    uint32_t prev = cn_map_get(ids, it->id);
    if (prev != UINT32_MAX) {
        cairn_plan_item *q = &p->items[prev];
        cairn_plan_item *lose = better(it, q) ? q : it;
        lose->shadowed = true;
        lose->selected = false;
        if (lose == it)
            return CAIRN_OK;
    }
    return cn_map_put(ids, it->id, (uint32_t)(it - p->items));
}

bool cn_plan_cover(cairn_plan *p, cairn_str id, cairn_rc *rc)
{
    for (size_t i = 0; i < p->ncovered; i++) /* a handful of paths per change */
        if (cn_str_eq(p->covered[i], id))
            return false;
    if (p->ncovered == p->covcap) {
        size_t cap = p->covcap ? p->covcap * 2 : 16;
        cairn_str *c = realloc(p->covered, cap * sizeof *c);
        if (!c) {
            *rc = CAIRN_NOMEM;
            return false;
        }
        p->covered = c, p->covcap = cap;
    }
    cairn_str copy = cn_arena_strdup(&p->arena, id);
    if (!copy.ptr) {
        *rc = CAIRN_NOMEM;
        return false;
    }
    p->covered[p->ncovered++] = copy;
    return true;
}

/* A plan of s, whole (paths NULL) or of the named paths only. */
static cairn_rc plan(const cairn_source *s, const char *const *paths, size_t n, cairn_plan **out,
                     cairn_report *rep, cairn_err *err)
{
    const cn_reader *r = reader_for(s->agent);
    cairn_plan *p;
    cairn_rc rc;

    *out = NULL;
    if (!r)
        return cn_err_set(err, CAIRN_INVAL, "no reader for %s", cairn_agent_name(s->agent));
    if (!cairn_source_exists(s))
        return cn_err_set(err, CAIRN_NOTFOUND, "%s: '%s' is not a directory",
                          cairn_agent_name(s->agent), s->path);
    if (paths && !r->plan_paths)
        return cn_err_set(err, CAIRN_AGAIN, "%s is planned whole", cairn_agent_name(s->agent));
    p = calloc(1, sizeof *p);
    if (!p)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    p->src = *s;
    p->partial = paths != NULL;
    cn_arena_init(&p->arena, (size_t)1 << 20, 0);
    rc = paths ? r->plan_paths(p, paths, n, rep, err) : r->plan(p, rep, err);
    if (rc) {
        cairn_plan_free(p);
        return rc;
    }
    *out = p;
    return CAIRN_OK;
}

cairn_rc cairn_plan_new(const cairn_source *s, cairn_plan **out, cairn_report *rep, cairn_err *err)
{
    return plan(s, NULL, 0, out, rep, err);
}

cairn_rc cairn_plan_paths(const cairn_source *s, const char *const *paths, size_t n,
                          cairn_plan **out, cairn_report *rep, cairn_err *err)
{
    return plan(s, paths, n, out, rep, err);
}

bool cairn_plan_is_partial(const cairn_plan *p)
{
    return p->partial;
}

size_t cairn_plan_ncovered(const cairn_plan *p)
{
    return p->ncovered;
}

cairn_str cairn_plan_covered(const cairn_plan *p, size_t i)
{
    return i < p->ncovered ? p->covered[i] : (cairn_str){NULL, 0};
}

void cairn_plan_free(cairn_plan *p)
{
    if (!p)
        return;
    cn_arena_release(&p->arena);
    free(p->items);
    free(p->db_path);
    free(p->covered);
    free(p);
}

size_t cairn_plan_count(const cairn_plan *p)
{
    return p->n;
}

cairn_plan_item *cairn_plan_item_at(cairn_plan *p, size_t i)
{
    return i < p->n ? &p->items[i] : NULL;
}

void cairn_plan_select_none(cairn_plan *p)
{
    for (size_t i = 0; i < p->n; i++)
        p->items[i].selected = false;
}

size_t cairn_plan_select_session(cairn_plan *p, cairn_str sid)
{
    size_t n = 0;
    cairn_str project = {NULL, 0};
    for (size_t i = 0; i < p->n; i++) {
        cairn_plan_item *it = &p->items[i];
        if (it->shadowed || !cn_str_eq(it->session_id, sid))
            continue;
        it->selected = true;
        n++;
        if (it->kind == CAIRN_ITEM_SESSION)
            project = it->parent_id;
    }
    for (size_t i = 0; i < p->n && project.len; i++) {
        cairn_plan_item *it = &p->items[i];
        if (it->kind == CAIRN_ITEM_PROJECT && cn_str_eq(it->id, project))
            it->selected = true;
    }
    return n;
}

size_t cairn_plan_sessions(const cairn_plan *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        n += p->items[i].kind == CAIRN_ITEM_SESSION && !p->items[i].shadowed;
    return n;
}

/* ---- resolve ---- */

cn_unit *cn_resolved_add(cairn_resolved *res)
{
    if (res->n == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 1024;
        cn_unit *u = realloc(res->units, cap * sizeof *u);
        if (!u)
            return NULL;
        res->units = u;
        res->cap = cap;
    }
    cn_unit *u = &res->units[res->n++];
    memset(u, 0, sizeof *u);
    return u;
}

cairn_rc cn_resolved_load(cairn_resolved *res, int dirfd, const char *name, const char *label,
                          size_t max_bytes, cairn_str *content, int64_t *mtime_ns, cairn_err *err)
{
    cn_file f;
    cairn_rc rc = cn_file_load(dirfd, name, label, max_bytes, &res->arena, &f, err);
    if (rc)
        return rc;
    if (f.map) {
        if (res->nmaps == res->mapcap) {
            size_t cap = res->mapcap ? res->mapcap * 2 : 16;
            cn_file *m = realloc(res->maps, cap * sizeof *m);
            if (!m) {
                cn_file_close(&f);
                return cn_err_set(err, CAIRN_NOMEM, "out of memory");
            }
            res->maps = m;
            res->mapcap = cap;
        }
        res->maps[res->nmaps++] = f;
    }
    res->bytes += f.data.len;
    *content = f.data;
    if (mtime_ns)
        *mtime_ns = f.mtime_ns;
    return CAIRN_OK;
}

cairn_rc cairn_resolve(cairn_plan *plan, cairn_resolved **out, cairn_report *rep, cairn_err *err)
{
    const cn_reader *r = reader_for(plan->src.agent);
    cairn_resolved *res = calloc(1, sizeof *res);
    cairn_rc rc;

    *out = NULL;
    if (!res)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    res->agent = plan->src.agent;
    cn_arena_init(&res->arena, (size_t)4 << 20, 0);
    rc = r->resolve(plan, res, rep, err);
    if (rc) {
        cairn_resolved_free(res);
        return rc;
    }
    *out = res;
    return CAIRN_OK;
}

void cairn_resolved_free(cairn_resolved *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nmaps; i++)
        cn_file_close(&r->maps[i]);
    free(r->maps);
    free(r->units);
    cn_arena_release(&r->arena);
    free(r);
}

size_t cairn_resolved_bytes(const cairn_resolved *r)
{
    return r->bytes;
}

/* ---- hydrate ---- */

cairn_rc cairn_hydrate_take(cairn_resolved *res, cairn_batch **out, cairn_report *rep,
                            cairn_err *err)
{
    const cn_reader *r = reader_for(res->agent);
    cairn_batch *b = cn_batch_new(res->agent);
    cairn_rc rc;

    *out = NULL;
    if (!b) {
        cairn_resolved_free(res);
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    }
    cn_batch_adopt(b, res);
    rc = r->hydrate(res, b, rep, err);
    if (rc) {
        cairn_batch_free(b);
        return rc;
    }
    /* records and strings, the resolve arena (contents, labels, ids), the mappings */
    size_t mapped = 0;
    for (size_t i = 0; i < res->nmaps; i++)
        mapped += res->maps[i].map_len;
    b->bytes = cn_arena_used(cn_batch_arena(b)) + cn_arena_used(&res->arena) + mapped +
               res->cap * sizeof *res->units;
    *out = b;
    return CAIRN_OK;
}

cairn_rc cairn_source_load(const cairn_source *s, cairn_batch **out, cairn_report *rep,
                           cairn_err *err)
{
    cairn_plan *plan;
    cairn_resolved *res;
    cairn_rc rc;

    *out = NULL;
    if ((rc = cairn_plan_new(s, &plan, rep, err)))
        return rc;
    rc = cairn_resolve(plan, &res, rep, err);
    cairn_plan_free(plan);
    if (rc)
        return rc;
    return cairn_hydrate_take(res, out, rep, err);
}
