/*
 * source/codex/plan.c - the Codex reader's plan and resolve stages, and its reader table
 * entry (formats/codex.md §1, §5).
 *
 * plan walks <codex>/sessions/ (YYYY/MM/DD) and <codex>/archived_sessions/ (flat, or
 * dated) with fstatat() only, and lists one SESSION item per rollout-*.jsonl or
 * rollout-*.jsonl.zst: id = session_id = the thread uuid at the end of the file name, path
 * relative to the codex home.  Nothing else under the home is opened: not auth.json, not
 * config.toml, not the SQLite side indexes (the rollout is the source of truth, and the
 * folder dates are local time, so nothing is taken from them).
 * A thread found more than once is planned once; the other copies are shadowed.  Codex
 * prefers X.jsonl over X.jsonl.zst; a live rollout is preferred over an archived one.
 *
 * resolve reads each selected rollout whole (mapped when large), or decompresses it.
 */
#include "source/codex/codex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/str.h"

#define MAX_DEPTH 4 /* sessions/YYYY/MM/DD/file */

typedef struct walk {
    cairn_plan *plan;
    cairn_report *rep;
    cn_map ids;  /* thread id -> plan index of the preferred copy */
    cairn_rc rc; /* out of memory */
} walk;

static void issue(walk *w, cairn_rc rc, const char *rel, const char *what)
{
    char where[4352];
    snprintf(where, sizeof where, "%s/%s", w->plan->src.path, rel);
    cairn_report_add(w->rep, rc, where, what);
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* True when s (36 bytes) is a UUID in 8-4-4-4-12 form. */
static bool is_uuid(const char *s)
{
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return false;
    }
    return true;
}

/*
 * The thread id of a rollout file name: the uuid before ".jsonl" / ".jsonl.zst", or, for
 * a name that does not end in one, everything after "rollout-".  False if name is not a
 * rollout.
 */
static bool rollout_id(const char *name, cairn_str *id)
{
    cairn_str n = cn_str(name);
    size_t ext;
    if (!cn_str_starts(n, "rollout-"))
        return false;
    if (cn_str_ends(n, ".jsonl"))
        ext = 6;
    else if (cn_str_ends(n, ".jsonl.zst"))
        ext = 10;
    else
        return false;
    size_t stem = n.len - ext;
    if (stem >= 8 + 36 && is_uuid(name + stem - 36))
        *id = (cairn_str){name + stem - 36, 36};
    else if (stem > 8)
        *id = (cairn_str){name + 8, stem - 8};
    else
        return false;
    return true;
}

/* Preference of a copy: live before archived, plain before compressed. */
static int rank(const cairn_plan_item *it)
{
    bool archived = cn_str_starts(it->path, "archived_sessions/");
    return (archived ? 2 : 0) + (cn_str_ends(it->path, ".zst") ? 1 : 0);
}

static bool preferred(const cairn_plan_item *a, const cairn_plan_item *b)
{
    return rank(a) < rank(b);
}

static void add(walk *w, const char *rel, const char *name, const struct stat *st)
{
    cairn_str id;
    if (!rollout_id(name, &id) || cn_plan_has_path(w->plan, rel))
        return;
    cairn_plan_item it = {.kind = CAIRN_ITEM_SESSION,
                          .origin = CAIRN_ORIGIN_JSONL,
                          .path = cn_str(rel),
                          .id = id,
                          .parent_id = {"", 0},
                          .session_id = id,
                          .size = st->st_size,
                          .mtime_ns = cn_stat_mtime_ns(st)};
    cairn_plan_item *p = cn_plan_add(w->plan, &it);
    if (!p) {
        w->rc = CAIRN_NOMEM;
        return;
    }
    if (cn_plan_keep_best(w->plan, &w->ids, p, preferred))
        w->rc = CAIRN_NOMEM;
}

/* List rel (relative to the home, open as dirfd) and below, depth levels at most. */
static void walk_dir(walk *w, int homefd, const char *rel, int depth)
{
    DIR *d = cn_dir_open(homefd, rel);
    if (!d) {
        if (errno != ENOENT) { /* no sessions/ yet, or removed since it was listed */
            char what[300];
            snprintf(what, sizeof what, "cannot list directory: %s", strerror(errno));
            issue(w, cn_err_from_errno(errno), rel, what);
        }
        return;
    }
    int fd = dirfd(d);
    struct dirent *de;
    char path[4096];
    while ((de = readdir(d)) && !w->rc) {
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", rel, de->d_name) >= (int)sizeof path)
            continue;
        if (fstatat(fd, de->d_name, &st, 0) != 0) {
            if (errno == ENOENT)
                continue; /* removed since it was listed */
            issue(w, cn_err_from_errno(errno), path,
                  errno == ELOOP ? "symbolic link loop" : strerror(errno));
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (depth + 1 < MAX_DEPTH)
                walk_dir(w, homefd, path, depth + 1);
        } else if (S_ISREG(st.st_mode)) {
            add(w, path, de->d_name, &st);
        }
    }
    closedir(d);
}

static cairn_rc cx_plan(cairn_plan *p, cairn_report *rep, cairn_err *err)
{
    walk w = {.plan = p, .rep = rep};
    int fd = open(p->src.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cn_err_set(err, cn_err_from_errno(errno), "cannot open '%s': %s", p->src.path,
                          strerror(errno));
    cn_map_init(&w.ids);
    walk_dir(&w, fd, "sessions", 0);
    if (!w.rc)
        walk_dir(&w, fd, "archived_sessions", 0);
    cn_map_release(&w.ids);
    close(fd);
    if (w.rc)
        return cn_err_set(err, w.rc, "out of memory planning '%s'", p->src.path);
    return CAIRN_OK;
}

/*
 * Plan one changed path: a rollout directly under sessions/YYYY/MM/DD, with
 * its other form in the same folder (X.jsonl beside X.jsonl.zst) so that the
 * preferred copy wins as in a whole plan.  Archived rollouts (a thread moved
 * there may also be live elsewhere), rollouts that are gone and directories
 * cannot be planned alone.
 */
static cairn_rc plan_path(walk *w, int homefd, const char *rel)
{
    const char *slash = strrchr(rel, '/'), *name = slash ? slash + 1 : rel;
    struct stat st;
    cairn_str id;
    bool exists = fstatat(homefd, rel, &st, 0) == 0;

    if (!cn_str_starts(cn_str(rel), "sessions/") || (exists && S_ISDIR(st.st_mode)))
        return CAIRN_AGAIN;
    if (!rollout_id(name, &id))
        return !exists && !strchr(name, '.') ? CAIRN_AGAIN : CAIRN_OK;
    if (!exists) /* its thread may live on in another copy (archived): a whole plan sees it */
        return CAIRN_AGAIN;
    cairn_rc rc = CAIRN_OK;
    if (!cn_plan_cover(w->plan, id, &rc) && rc) /* covered already: plan this path's files too */
        return rc;
    char path[4096];
    size_t dlen = (size_t)(name - rel),
           stem = strlen(name) - (cn_str_ends(cn_str(name), ".zst") ? 10 : 6);
    for (int zst = 0; zst < 2; zst++) {
        if (snprintf(path, sizeof path, "%.*s%.*s%s", (int)dlen, rel, (int)stem, name,
                     zst ? ".jsonl.zst" : ".jsonl") >= (int)sizeof path)
            return CAIRN_AGAIN;
        if (fstatat(homefd, path, &st, 0) == 0 && S_ISREG(st.st_mode))
            add(w, path, path + dlen, &st);
    }
    return w->rc;
}

static cairn_rc cx_plan_paths(cairn_plan *p, const char *const *paths, size_t n, cairn_report *rep,
                              cairn_err *err)
{
    walk w = {.plan = p, .rep = rep};
    cairn_rc rc = CAIRN_OK;
    int fd = open(p->src.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cn_err_set(err, cn_err_from_errno(errno), "cannot open '%s': %s", p->src.path,
                          strerror(errno));
    cn_map_init(&w.ids);
    size_t i = 0;
    while (i < n && !(rc = plan_path(&w, fd, paths[i])))
        i++;
    cn_map_release(&w.ids);
    close(fd);
    if (rc == CAIRN_AGAIN)
        return cn_err_set(err, rc, "'%s' is planned with its whole source", paths[i]);
    return rc ? cn_err_set(err, rc, "out of memory planning '%s'", p->src.path) : CAIRN_OK;
}

/* Read one rollout into u.  CAIRN_AGAIN (after an issue) when it cannot be read at all. */
static cairn_rc load(cairn_resolved *res, int fd, const cairn_plan_item *it, const char *label,
                     cn_unit *u, cairn_report *rep, cairn_err *err)
{
    cairn_err e;
    cairn_rc rc;
    for (int attempt = 0;; attempt++) {
        if (cn_str_ends(it->path, ".zst"))
            rc = cn_cx_zst_load(res, fd, it->path.ptr, label, CN_CX_FILE_MAX, &u->content,
                                &u->mtime_ns, &e);
        else
            rc = cn_resolved_load(res, fd, it->path.ptr, label, CN_CX_FILE_MAX, &u->content,
                                  &u->mtime_ns, &e);
        if (rc != CAIRN_CHANGED || attempt == 1)
            break; /* Codex appends while we read: one more try */
    }
    if (rc == CAIRN_NOMEM)
        return cn_err_set(err, rc, "%s", e.msg);
    if (rc)
        cairn_report_add(rep, rc, label, e.msg); /* the message names the file */
    if (rc == CAIRN_CORRUPT && u->content.ptr)
        return CAIRN_OK; /* a damaged .zst: keep what decompressed cleanly */
    return rc ? CAIRN_AGAIN : CAIRN_OK;
}

static cairn_rc cx_resolve(const cairn_plan *p, cairn_resolved *res, cairn_report *rep,
                           cairn_err *err)
{
    char label[8192];
    cairn_rc rc = CAIRN_OK;
    int fd = open(p->src.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cn_err_set(err, cn_err_from_errno(errno), "cannot open '%s': %s", p->src.path,
                          strerror(errno));
    for (size_t i = 0; i < p->n && !rc; i++) {
        const cairn_plan_item *it = &p->items[i];
        if (!it->selected || it->kind != CAIRN_ITEM_SESSION)
            continue;
        cn_unit *u = cn_resolved_add(res);
        if (!u) {
            rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
            break;
        }
        snprintf(label, sizeof label, "%s/%.*s", p->src.path, CAIRN_STR_FMT(it->path));
        u->kind = CAIRN_ITEM_SESSION;
        u->origin = CAIRN_ORIGIN_JSONL;
        u->path = cn_arena_strdup(&res->arena, cn_str(label));
        u->id = u->session_id = cn_arena_strdup(&res->arena, it->id);
        u->parent_id = cn_str_starts(it->path, "archived_sessions/")
                           ? CAIRN_STR("archived_sessions")
                           : CAIRN_STR("sessions");
        if (!u->path.ptr || !u->id.ptr) {
            rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
            break;
        }
        rc = load(res, fd, it, label, u, rep, err);
        if (rc == CAIRN_AGAIN) {
            res->n--; /* unreadable: reported, not hydrated */
            rc = CAIRN_OK;
        }
    }
    close(fd);
    return rc;
}

const cn_reader cn_reader_codex = {
    .agent = CAIRN_AGENT_CODEX,
    .plan = cx_plan,
    .plan_paths = cx_plan_paths,
    .resolve = cx_resolve,
    .hydrate = cn_cx_hydrate,
};
