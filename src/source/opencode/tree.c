/*
 * source/opencode/tree.c - the JSON generations: G1 <data>/storage/ and G0
 * <data>/project/<slug>/storage/ (formats §4, §5).
 *
 * plan lists files with fstatat() only (size, mtime); ids come from the
 * path, which wins over ids inside the files.  A session present in a
 * preferred source (SQLite over G1 over G0) is planned as shadowed, with its
 * messages and parts, and is not resolved.  Part directories are keyed by
 * message id, so the message -> session map built while listing messages
 * tells which session a part belongs to.
 */
#include "source/opencode/oc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/err.h"
#include "base/file.h"
#include "base/str.h"
#include "json/json.h"

typedef struct walk {
    cairn_plan *plan;
    cairn_report *rep;
    int datafd;
    const cn_map *db_sessions; /* sessions in SQLite */
    cn_map g1_sessions;        /* sessions in G1 (shadow G0 copies) */
    cn_map msg_session;        /* message id -> plan index of the message */
    cairn_rc rc;               /* first fatal error (out of memory) */
    uint8_t origin;
} walk;

typedef struct entry {
    const char *rel;  /* path relative to the data dir */
    cairn_str name;   /* file name without ".json" */
    cairn_str parent; /* the directory's name (an id) */
    struct stat st;
} entry;

typedef void (*file_fn)(walk *w, const entry *e, const void *arg);

static void issue(walk *w, cairn_rc rc, const char *rel, const char *fmt, const char *detail)
{
    char where[4352];
    snprintf(where, sizeof where, "%s/%s", w->plan->src.path, rel);
    cn_report_addf(w->rep, rc, where, fmt, detail);
}

static bool ends_json(const char *name, size_t *stem)
{
    size_t n = strlen(name);
    if (n <= 5 || strcmp(name + n - 5, ".json"))
        return false;
    *stem = n - 5;
    return true;
}

/* Open rel (relative to the data dir) for listing; an issue unless it does not exist. */
static DIR *open_dir(walk *w, const char *rel)
{
    DIR *d = cn_dir_open(w->datafd, rel);
    if (!d && errno != ENOENT)
        issue(w, cn_err_from_errno(errno), rel, "cannot list directory: %s", strerror(errno));
    return d;
}

/* Call fn for the JSON file name in rel (fd open on rel); false when it is not one. */
static bool visit(walk *w, int fd, const char *rel, const char *name, cairn_str parent, file_fn fn,
                  const void *arg)
{
    size_t stem;
    char path[4096];
    if (name[0] == '.' || !ends_json(name, &stem))
        return false;
    entry e = {path, {name, stem}, parent, {0}};
    snprintf(path, sizeof path, "%s/%s", rel, name);
    if (fstatat(fd, name, &e.st, 0) != 0) {
        if (errno != ENOENT) /* gone since it was listed or named */
            issue(w, cn_err_from_errno(errno), path,
                  errno == ELOOP ? "%s (symbolic link loop)" : "%s", strerror(errno));
        return false;
    }
    if (S_ISDIR(e.st.st_mode)) {
        issue(w, CAIRN_INVAL, path, "%s", "is a directory, expected a JSON file");
        return false;
    }
    if (!S_ISREG(e.st.st_mode)) {
        issue(w, CAIRN_INVAL, path, "%s", "is not a regular file");
        return false;
    }
    fn(w, &e, arg);
    return true;
}

/* Call fn for each *.json file in rel (relative to the data dir). */
static void list_files(walk *w, const char *rel, cairn_str parent, file_fn fn, const void *arg)
{
    DIR *d = open_dir(w, rel);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) && !w->rc)
        visit(w, dirfd(d), rel, de->d_name, parent, fn, arg);
    closedir(d);
}

/* Call fn for rel/name only, when it is there. */
static bool one_file(walk *w, const char *rel, const char *name, cairn_str parent, file_fn fn,
                     const void *arg)
{
    int fd = openat(w->datafd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool found = visit(w, fd, rel, name, parent, fn, arg);
    close(fd);
    return found;
}

/* Call fn for each *.json file one directory level below rel. */
static void list_tree(walk *w, const char *rel, file_fn fn, const void *arg)
{
    DIR *d = open_dir(w, rel);
    if (!d)
        return;
    struct dirent *de;
    char sub[4096];
    while ((de = readdir(d)) && !w->rc) {
        if (de->d_name[0] == '.')
            continue;
        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", rel, de->d_name);
        list_files(w, sub, cn_str(de->d_name), fn, arg);
    }
    closedir(d);
}

static cairn_plan_item *add(walk *w, uint8_t kind, const entry *e, cairn_str parent,
                            cairn_str session, bool shadowed)
{
    cairn_plan_item it = {.kind = kind, .origin = w->origin, .shadowed = shadowed,
                          .path = cn_str(e->rel), .id = e->name, .parent_id = parent,
                          .session_id = session, .size = e->st.st_size,
                          .mtime_ns = cn_stat_mtime_ns(&e->st)};
    cairn_plan_item *p = cn_plan_add(w->plan, &it);
    if (!p)
        w->rc = CAIRN_NOMEM;
    return p;
}

static bool is_shadowed(walk *w, cairn_str sid)
{
    if (cn_map_get(w->db_sessions, sid) != UINT32_MAX)
        return true;
    return w->origin == CAIRN_ORIGIN_JSON_G0 && cn_map_get(&w->g1_sessions, sid) != UINT32_MAX;
}

static void on_project(walk *w, const entry *e, const void *arg)
{
    (void)arg;
    add(w, CAIRN_ITEM_PROJECT, e, (cairn_str){"", 0}, (cairn_str){"", 0}, false);
}

static void on_session(walk *w, const entry *e, const void *arg)
{
    cairn_str project = arg ? *(const cairn_str *)arg : e->parent;
    cairn_plan_item *p = add(w, CAIRN_ITEM_SESSION, e, project, e->name, is_shadowed(w, e->name));
    if (p && w->origin == CAIRN_ORIGIN_JSON && cn_map_put(&w->g1_sessions, p->id, 1))
        w->rc = CAIRN_NOMEM;
}

static void on_message(walk *w, const entry *e, const void *arg)
{
    (void)arg;
    cairn_plan_item *p = add(w, CAIRN_ITEM_MESSAGE, e, e->parent, e->parent,
                             is_shadowed(w, e->parent));
    if (p && cn_map_put(&w->msg_session, p->id, (uint32_t)(p - w->plan->items)))
        w->rc = CAIRN_NOMEM;
}

static void on_part(walk *w, const entry *e, const void *arg)
{
    cairn_str session = {"", 0};
    bool shadowed = false;
    (void)arg;
    uint32_t m = cn_map_get(&w->msg_session, e->parent);
    if (m != UINT32_MAX) {
        session = w->plan->items[m].session_id;
        shadowed = w->plan->items[m].shadowed;
    }
    add(w, CAIRN_ITEM_PART, e, e->parent, session, shadowed);
}

static void on_todo(walk *w, const entry *e, const void *arg)
{
    (void)arg;
    add(w, CAIRN_ITEM_TODO, e, e->name, e->name, is_shadowed(w, e->name));
}

static void on_diff(walk *w, const entry *e, const void *arg)
{
    (void)arg;
    cairn_plan_item *p = add(w, CAIRN_ITEM_DIFF, e, e->name, e->name, is_shadowed(w, e->name));
    if (p)
        p->selected = false; /* listed, not read: patch parts name the changed files */
}

/* G1: storage/{project,session,message,part,todo,session_diff}. Messages before parts. */
static void plan_g1(walk *w)
{
    w->origin = CAIRN_ORIGIN_JSON;
    list_files(w, "storage/project", (cairn_str){"", 0}, on_project, NULL);
    list_tree(w, "storage/session", on_session, NULL);
    list_tree(w, "storage/message", on_message, NULL);
    list_tree(w, "storage/part", on_part, NULL);
    list_files(w, "storage/todo", (cairn_str){"", 0}, on_todo, NULL);
    list_files(w, "storage/session_diff", (cairn_str){"", 0}, on_diff, NULL);
}

/* G0: project/<slug>/storage/session/{info,message/<ses>,part/<ses>/<msg>}. */
static void plan_g0_project(walk *w, const char *slug)
{
    char rel[4096];
    cairn_str project;
    cairn_plan_item it = {.kind = CAIRN_ITEM_PROJECT, .origin = CAIRN_ORIGIN_JSON_G0,
                          .id = cn_str(slug)};
    snprintf(rel, sizeof rel, "project/%s", slug);
    it.path = cn_str(rel);
    cairn_plan_item *p = cn_plan_add(w->plan, &it);
    if (!p) {
        w->rc = CAIRN_NOMEM;
        return;
    }
    project = p->id;
    snprintf(rel, sizeof rel, "project/%s/storage/session/info", slug);
    list_files(w, rel, (cairn_str){"", 0}, on_session, &project);
    snprintf(rel, sizeof rel, "project/%s/storage/session/message", slug);
    list_tree(w, rel, on_message, NULL);
    snprintf(rel, sizeof rel, "project/%s/storage/session/part", slug);
    DIR *d = cn_dir_open(w->datafd, rel);
    if (!d)
        return;
    struct dirent *de;
    char sub[4096];
    while ((de = readdir(d)) && !w->rc) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(sub, sizeof sub, "%s/%s", rel, de->d_name);
        list_tree(w, sub, on_part, NULL);
    }
    closedir(d);
}

static void plan_g0(walk *w)
{
    DIR *d = cn_dir_open(w->datafd, "project");
    if (!d)
        return;
    int fd = dirfd(d);
    w->origin = CAIRN_ORIGIN_JSON_G0;
    struct dirent *de;
    while ((de = readdir(d)) && !w->rc) {
        struct stat st;
        char probe[4096];
        if (de->d_name[0] == '.')
            continue;
        snprintf(probe, sizeof probe, "%s/storage", de->d_name);
        if (fstatat(fd, probe, &st, 0) == 0 && S_ISDIR(st.st_mode))
            plan_g0_project(w, de->d_name);
    }
    closedir(d);
}

cairn_rc cn_oc_tree_plan(cairn_plan *plan, int datafd, const cn_map *db_sessions,
                         cairn_report *rep, cairn_err *err)
{
    walk w = {.plan = plan, .rep = rep, .datafd = datafd, .db_sessions = db_sessions};
    cn_map_init(&w.g1_sessions);
    cn_map_init(&w.msg_session);
    plan_g1(&w);
    if (!w.rc)
        plan_g0(&w);
    cn_map_release(&w.g1_sessions);
    cn_map_release(&w.msg_session);
    if (w.rc)
        return cn_err_set(err, w.rc, "out of memory planning '%s'", plan->src.path);
    return CAIRN_OK;
}

/* ---- a partial plan of G1 (storage/): the sessions changed files belong to ---- */

/* The session a part file names (its sessionID); CAIRN_AGAIN when it cannot be read. */
static cairn_rc part_session(walk *w, const char *rel, char *sid, size_t n)
{
    cn_arena a;
    cn_file f = {0};
    cn_json j;
    cairn_err e;
    cairn_rc rc = CAIRN_AGAIN; /* gone or unreadable: the whole plan tells */
    cn_arena_init(&a, 0, 0);
    cn_json_init(&j);
    if (!cn_file_load(w->datafd, rel, NULL, CN_FILE_MAX, &a, &f, &e) &&
        !cn_json_parse(&j, f.data.ptr, f.data.len, &e)) {
        cairn_str v = cn_json_str_or(cn_json_get(cn_json_root(&j), "sessionID"), &a);
        if (v.len && v.len < n) {
            snprintf(sid, n, "%.*s", CAIRN_STR_FMT(v));
            rc = CAIRN_OK;
        }
    }
    cn_json_release(&j);
    cn_file_close(&f);
    cn_arena_release(&a);
    return rc;
}

/* The session a changed file of storage/ belongs to, into sid; CAIRN_OK with sid[0] == 0
 * when the file is none of the agent's; CAIRN_AGAIN when it cannot be told alone. */
static cairn_rc session_of(walk *w, const char *rel, char *sid, size_t n)
{
    char buf[4096];
    const char *part[5];
    size_t np = 0, stem;
    struct stat st;
    sid[0] = '\0';
    if (snprintf(buf, sizeof buf, "%s", rel) >= (int)sizeof buf)
        return CAIRN_AGAIN;
    char *save = NULL;
    for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (t[0] == '.')
            return CAIRN_OK; /* hidden: never the agent's */
        if (np == sizeof part / sizeof part[0])
            return CAIRN_AGAIN;
        part[np++] = t;
    }
    bool exists = fstatat(w->datafd, rel, &st, 0) == 0;
    if (np < 3 || strcmp(part[0], "storage") || (exists && S_ISDIR(st.st_mode)))
        return CAIRN_AGAIN;
    const char *kind = part[1], *name = part[np - 1];
    if (!ends_json(name, &stem))
        return exists || strchr(name, '.') ? CAIRN_OK : CAIRN_AGAIN; /* gone: a directory? */
    const char *id = name; /* session/<project>/<ses>.json, todo/<ses>.json, session_diff/ */
    size_t len = stem;
    bool by_name = (np == 4 && !strcmp(kind, "session")) ||
                   (np == 3 && (!strcmp(kind, "todo") || !strcmp(kind, "session_diff")));
    if (np == 4 && !strcmp(kind, "message")) /* message/<ses>/<msg>.json */
        id = part[2], len = strlen(part[2]);
    else if (np == 4 && !strcmp(kind, "part")) /* part/<msg>/<prt>.json */
        return part_session(w, rel, sid, n);
    else if (!by_name)
        return CAIRN_AGAIN; /* a project file, or a shape not known */
    if (len >= n)
        return CAIRN_AGAIN;
    memcpy(sid, id, len);
    sid[len] = '\0';
    return CAIRN_OK;
}

/* Every file of session sid, as the whole plan lists them, and its project. */
static void plan_session(walk *w, const char *sid)
{
    char rel[4096], name[600];
    snprintf(name, sizeof name, "%s.json", sid);
    DIR *d = open_dir(w, "storage/session");
    struct dirent *de;
    while (d && (de = readdir(d)) && !w->rc) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(rel, sizeof rel, "storage/session/%s", de->d_name);
        if (one_file(w, rel, name, cn_str(de->d_name), on_session, NULL)) {
            char project[600];
            snprintf(project, sizeof project, "%s.json", de->d_name);
            one_file(w, "storage/project", project, (cairn_str){"", 0}, on_project, NULL);
            break;
        }
    }
    if (d)
        closedir(d);
    size_t first = w->plan->n;
    snprintf(rel, sizeof rel, "storage/message/%s", sid);
    list_files(w, rel, cn_str(sid), on_message, NULL);
    for (size_t i = first, end = w->plan->n; i < end && !w->rc; i++) {
        const cairn_plan_item *m = &w->plan->items[i];
        snprintf(rel, sizeof rel, "storage/part/%.*s", CAIRN_STR_FMT(m->id));
        list_files(w, rel, m->id, on_part, NULL);
    }
    one_file(w, "storage/todo", name, (cairn_str){"", 0}, on_todo, NULL);
    one_file(w, "storage/session_diff", name, (cairn_str){"", 0}, on_diff, NULL);
}

cairn_rc cn_oc_tree_plan_paths(cairn_plan *plan, int datafd, const char *const *paths, size_t n,
                               cairn_report *rep, cairn_err *err)
{
    walk w = {.plan = plan, .rep = rep, .datafd = datafd, .origin = CAIRN_ORIGIN_JSON};
    cn_map none;
    char sid[512];
    cairn_rc rc = CAIRN_OK;
    size_t i;

    cn_map_init(&none);
    cn_map_init(&w.g1_sessions);
    cn_map_init(&w.msg_session);
    w.db_sessions = &none; /* the caller plans whole when a database could shadow these */
    for (i = 0; i < n && !rc && !w.rc; i++) {
        if ((rc = session_of(&w, paths[i], sid, sizeof sid)) || !sid[0])
            continue;
        if (cn_plan_cover(plan, cn_str(sid), &rc))
            plan_session(&w, sid);
    }
    cn_map_release(&none);
    cn_map_release(&w.g1_sessions);
    cn_map_release(&w.msg_session);
    if (rc == CAIRN_AGAIN)
        return cn_err_set(err, rc, "'%s' is planned with its whole source", paths[i - 1]);
    if (rc || w.rc)
        return cn_err_set(err, rc ? rc : w.rc, "out of memory planning '%s'", plan->src.path);
    return CAIRN_OK;
}

cairn_rc cn_oc_tree_resolve(const cairn_plan *plan, int datafd, cairn_resolved *res,
                            cairn_report *rep, cairn_err *err)
{
    char label[8192];
    for (size_t i = 0; i < plan->n; i++) {
        const cairn_plan_item *it = &plan->items[i];
        if (!it->selected || (it->origin != CAIRN_ORIGIN_JSON && it->origin != CAIRN_ORIGIN_JSON_G0))
            continue;
        cn_unit *u = cn_resolved_add(res);
        if (!u)
            return cn_err_set(err, CAIRN_NOMEM, "out of memory");
        u->kind = it->kind;
        u->origin = it->origin;
        snprintf(label, sizeof label, "%s/%.*s", plan->src.path, CAIRN_STR_FMT(it->path));
        u->path = cn_arena_strdup(&res->arena, cn_str(label));
        u->id = cn_arena_strdup(&res->arena, it->id);
        u->parent_id = cn_arena_strdup(&res->arena, it->parent_id);
        u->session_id = cn_arena_strdup(&res->arena, it->session_id);
        if (!u->path.ptr || !u->id.ptr || !u->parent_id.ptr || !u->session_id.ptr)
            return cn_err_set(err, CAIRN_NOMEM, "out of memory");
        if (it->kind == CAIRN_ITEM_PROJECT && it->origin == CAIRN_ORIGIN_JSON_G0) {
            u->content = CAIRN_STR("{}"); /* G0 keeps no project file: the slug is all */
            continue;
        }
        cairn_err e;
        cairn_rc rc = cn_resolved_load(res, datafd, it->path.ptr, label, CN_FILE_MAX,
                                       &u->content, &u->mtime_ns, &e);
        if (rc == CAIRN_NOMEM)
            return cn_err_set(err, rc, "%s", e.msg);
        if (rc) {
            /* the message already names the path */
            cairn_report_add(rep, rc, label, e.msg);
            res->n--;
        }
    }
    return CAIRN_OK;
}
