/*
 * source/claude/reader.c - Claude Code transcripts: plan and resolve.
 *
 * <claude>/projects/<escaped-cwd>/<session>.jsonl is one session;
 * <session>/subagents/agent-<id>.jsonl is a sub-agent run (a child session,
 * id "agent-<id>") and agent-<id>.meta.json describes it.  A directory with
 * no projects/ folder is read as a flat folder of transcripts (exports,
 * test fixtures).  Only these files are read: never ~/.claude.json,
 * .credentials.json, settings or the CLI's bookkeeping folders
 * (shared/formats/claude-code.md §1).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/map.h"
#include "base/str.h"
#include "source/claude/claude.h"

typedef struct walk {
    cairn_plan *plan;
    cairn_report *rep;
    int rootfd;
    cairn_rc rc;
    cn_map ids; /* transcript id -> plan index of the copy read (the newest) */
} walk;

static bool has_suffix(const char *name, const char *suf, size_t *stem)
{
    size_t n = strlen(name), k = strlen(suf);
    if (n <= k || strcmp(name + n - k, suf))
        return false;
    *stem = n - k;
    return true;
}

/* Plan a file (once: a partial plan may name it twice); the item, NULL if not added. */
static cairn_plan_item *add(walk *w, uint8_t kind, const char *rel, cairn_str id, cairn_str parent,
                            const struct stat *st)
{
    cairn_plan_item it = {.kind = kind,
                          .origin = CAIRN_ORIGIN_JSONL,
                          .path = cn_str(rel),
                          .id = id,
                          .parent_id = parent,
                          .session_id = id,
                          .size = st->st_size,
                          .mtime_ns = cn_stat_mtime_ns(st)};
    cairn_plan_item *p = NULL;
    if (!cn_plan_has_path(w->plan, rel) && !(p = cn_plan_add(w->plan, &it)))
        w->rc = CAIRN_NOMEM;
    return p;
}

/* a is the newer copy: written later, or as late and longer. */
static bool newer(const cairn_plan_item *a, const cairn_plan_item *b)
{
    return a->mtime_ns > b->mtime_ns || (a->mtime_ns == b->mtime_ns && a->size > b->size);
}

/*
 * Plan a transcript of project.  Two copies of one (projects/A/S.jsonl and
 * projects/B/S.jsonl): the newest is read, the other is its shadow (README:
 * read once, from the newest copy).
 */
static void add_transcript(walk *w, const char *rel, cairn_str id, cairn_str project,
                           const struct stat *st)
{
    cairn_plan_item *p = add(w, CAIRN_ITEM_SESSION, rel, id, project, st);
    if (p && cn_plan_keep_best(w->plan, &w->ids, p, newer))
        w->rc = CAIRN_NOMEM;
}

/* stat one entry; issues for what is not a regular file */
/* "<source dir>/<rel>" for messages: issues always name the full path. */
static const char *full(walk *w, const char *rel, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s", w->plan->src.path, rel);
    return buf;
}

static bool stat_file(walk *w, int dirfd, const char *name, const char *rel, struct stat *st)
{
    char where[8192];
    if (fstatat(dirfd, name, st, 0) != 0) {
        cn_report_addf(w->rep, cn_err_from_errno(errno), full(w, rel, where, sizeof where), "%s%s",
                       strerror(errno), errno == ELOOP ? " (symbolic link loop)" : "");
        return false;
    }
    if (S_ISDIR(st->st_mode))
        return false;
    if (!S_ISREG(st->st_mode)) {
        cairn_report_add(w->rep, CAIRN_INVAL, full(w, rel, where, sizeof where),
                         "not a regular file");
        return false;
    }
    return true;
}

/* dir "." is the source dir itself: its files are named without a "./" */
static void join(char *buf, size_t n, const char *dir, const char *name)
{
    if (!strcmp(dir, "."))
        snprintf(buf, n, "%s", name);
    else
        snprintf(buf, n, "%s/%s", dir, name);
}

/* <session>/subagents/agent-<id>.jsonl and .meta.json */
static void walk_subagents(walk *w, const char *sessdir, cairn_str parent)
{
    char rel[4096], id[512];
    snprintf(rel, sizeof rel, "%s/subagents", sessdir);
    DIR *d = cn_dir_open(w->rootfd, rel);
    if (!d)
        return;
    int fd = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d)) && !w->rc) {
        size_t stem;
        uint8_t kind;
        if (has_suffix(de->d_name, ".jsonl", &stem))
            kind = CAIRN_ITEM_SESSION;
        else if (has_suffix(de->d_name, ".meta.json", &stem))
            kind = CAIRN_ITEM_META;
        else
            continue;
        char path[4600];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", rel, de->d_name);
        if (stem >= sizeof id || !stat_file(w, fd, de->d_name, path, &st))
            continue;
        memcpy(id, de->d_name, stem);
        id[stem] = '\0';
        add(w, kind, path, cn_str(id), parent, &st);
    }
    closedir(d);
}

/* Transcripts directly in dir (relative to the root); sub-agents below each. */
static void walk_dir(walk *w, const char *dir, cairn_str project)
{
    char where[8192];
    DIR *d = cn_dir_open(w->rootfd, dir);
    if (!d) {
        if (errno != ENOENT && errno != ENOTDIR) /* a stray file is not a project */
            cn_report_addf(w->rep, cn_err_from_errno(errno), full(w, dir, where, sizeof where),
                           "cannot list: %s", strerror(errno));
        return;
    }
    int fd = dirfd(d);
    struct dirent *de;
    char path[4600], id[512];
    while ((de = readdir(d)) && !w->rc) {
        size_t stem;
        struct stat st;
        if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".jsonl", &stem))
            continue;
        join(path, sizeof path, dir, de->d_name);
        if (stem >= sizeof id || !stat_file(w, fd, de->d_name, path, &st))
            continue;
        memcpy(id, de->d_name, stem);
        id[stem] = '\0';
        add_transcript(w, path, cn_str(id), project, &st);
        join(path, sizeof path, dir, id);
        walk_subagents(w, path, cn_str(id));
    }
    closedir(d);
}

static cairn_rc cc_plan(cairn_plan *p, cairn_report *rep, cairn_err *err)
{
    walk w = {.plan = p, .rep = rep};
    cn_map_init(&w.ids);
    struct stat st;

    w.rootfd = open(p->src.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w.rootfd < 0)
        return cn_err_set(err, cn_err_from_errno(errno), "cannot open '%s': %s", p->src.path,
                          strerror(errno));
    if (fstatat(w.rootfd, "projects", &st, 0) == 0 && S_ISDIR(st.st_mode)) {
        DIR *d = cn_dir_open(w.rootfd, "projects");
        struct dirent *de;
        char rel[4096];
        while (d && (de = readdir(d)) && !w.rc) {
            if (de->d_name[0] == '.')
                continue;
            snprintf(rel, sizeof rel, "projects/%s", de->d_name);
            walk_dir(&w, rel, cn_str(de->d_name));
        }
        if (d)
            closedir(d);
    } else {
        walk_dir(&w, ".", CAIRN_STR(""));
    }
    close(w.rootfd);
    cn_map_release(&w.ids);
    return w.rc ? cn_err_set(err, w.rc, "out of memory planning '%s'", p->src.path) : CAIRN_OK;
}

/*
 * Plan one changed path.  Shapes, under projects/<P>/ (or the flat folder):
 *   <S>.jsonl                            a transcript: session S
 *   <S>/subagents/<A>.jsonl|.meta.json   a sub-agent run: session A, both files
 * Another regular file (a temp file, a lock) and anything hidden is passed
 * over; a directory, or a path that is gone, cannot be planned alone (the
 * session of a transcript deleted may live on in a copy elsewhere: a whole
 * plan sees it, and it is not gone).
 */
static cairn_rc plan_path(walk *w, bool tree, const char *rel)
{
    char buf[4096], id[512];
    const char *part[8];
    size_t np = 0, stem;
    struct stat st;

    if (snprintf(buf, sizeof buf, "%s", rel) >= (int)sizeof buf)
        return CAIRN_AGAIN;
    char *save = NULL;
    for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (t[0] == '.') /* hidden: never the agent's (a whole plan passes over it too) */
            return CAIRN_OK;
        if (np == sizeof part / sizeof part[0])
            return CAIRN_AGAIN;
        part[np++] = t;
    }
    size_t base = tree ? 2 : 0; /* "projects", P */
    if (np <= base || (tree && strcmp(part[0], "projects")))
        return CAIRN_AGAIN;
    const char *name = part[np - 1];
    bool exists = fstatat(w->rootfd, rel, &st, 0) == 0, is_dir = exists && S_ISDIR(st.st_mode);
    bool jsonl = has_suffix(name, ".jsonl", &stem);
    if (!jsonl && !has_suffix(name, ".meta.json", &stem)) /* gone and no suffix: a directory? */
        return is_dir || (!exists && !strchr(name, '.')) ? CAIRN_AGAIN : CAIRN_OK;
    if (is_dir || !exists || stem >= sizeof id)
        return CAIRN_AGAIN;
    memcpy(id, name, stem);
    id[stem] = '\0';
    cairn_str project = tree ? cn_str(part[1]) : CAIRN_STR("");
    cairn_rc rc = CAIRN_OK;
    /* covered already (two files of one session in one change): this path's files
     * are planned too, once (add) */
    if (np == base + 1 && jsonl) { /* a transcript */
        if (!cn_plan_cover(w->plan, cn_str(id), &rc) && rc)
            return rc;
        if (stat_file(w, w->rootfd, rel, rel, &st))
            add_transcript(w, rel, cn_str(id), project, &st);
        return w->rc;
    }
    if (np != base + 3 || strcmp(part[base + 1], "subagents"))
        return CAIRN_OK; /* not a file the agent writes */
    /* a sub-agent: its transcript and its .meta.json together make its fingerprint */
    if (!cn_plan_cover(w->plan, cn_str(id), &rc) && rc)
        return rc;
    char dir[4096], path[4600];
    size_t dlen = (size_t)(name - buf) - 1; /* rel up to the last '/' */
    memcpy(dir, rel, dlen);
    dir[dlen] = '\0';
    static const struct {
        const char *suffix;
        uint8_t kind;
    } files[] = {{".jsonl", CAIRN_ITEM_SESSION}, {".meta.json", CAIRN_ITEM_META}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s%s", dir, id, files[i].suffix);
        if (fstatat(w->rootfd, path, &st, 0) == 0 && stat_file(w, w->rootfd, path, path, &st))
            add(w, files[i].kind, path, cn_str(id), cn_str(part[base]), &st);
    }
    return w->rc;
}

static cairn_rc cc_plan_paths(cairn_plan *p, const char *const *paths, size_t n, cairn_report *rep,
                              cairn_err *err)
{
    walk w = {.plan = p, .rep = rep};
    cn_map_init(&w.ids);
    struct stat st;
    cairn_rc rc = CAIRN_OK;

    w.rootfd = open(p->src.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w.rootfd < 0)
        return cn_err_set(err, cn_err_from_errno(errno), "cannot open '%s': %s", p->src.path,
                          strerror(errno));
    bool tree = fstatat(w.rootfd, "projects", &st, 0) == 0 && S_ISDIR(st.st_mode);
    size_t i = 0;
    while (i < n && !(rc = plan_path(&w, tree, paths[i])))
        i++;
    close(w.rootfd);
    cn_map_release(&w.ids);
    if (rc == CAIRN_AGAIN)
        return cn_err_set(err, rc, "'%s' is planned with its whole source", paths[i]);
    return rc ? cn_err_set(err, rc, "out of memory planning '%s'", p->src.path) : CAIRN_OK;
}

static cairn_rc cc_resolve(const cairn_plan *p, cairn_resolved *res, cairn_report *rep,
                           cairn_err *err)
{
    char label[8192];
    int fd = open(p->src.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cn_err_set(err, cn_err_from_errno(errno), "cannot open '%s': %s", p->src.path,
                          strerror(errno));
    for (size_t i = 0; i < p->n; i++) {
        const cairn_plan_item *it = &p->items[i];
        if (!it->selected)
            continue;
        cn_unit *u = cn_resolved_add(res);
        if (!u) {
            close(fd);
            return cn_err_set(err, CAIRN_NOMEM, "out of memory");
        }
        snprintf(label, sizeof label, "%s/%.*s", p->src.path, CAIRN_STR_FMT(it->path));
        u->kind = it->kind;
        u->origin = it->origin;
        u->path = cn_arena_strdup(&res->arena, cn_str(label));
        u->id = cn_arena_strdup(&res->arena, it->id);
        u->parent_id = cn_arena_strdup(&res->arena, it->parent_id);
        u->session_id = u->id;
        cairn_err e;
        cairn_rc rc = cn_resolved_load(res, fd, it->path.ptr, label, CN_JSONL_FILE_MAX, &u->content,
                                       &u->mtime_ns, &e);
        if (rc == CAIRN_NOMEM) {
            close(fd);
            return cn_err_set(err, rc, "%s", e.msg);
        }
        if (rc) {
            cairn_report_add(rep, rc, label, e.msg);
            res->n--;
        }
    }
    close(fd);
    return CAIRN_OK;
}

const cn_reader cn_reader_claude = {
    .agent = CAIRN_AGENT_CLAUDE,
    .plan = cc_plan,
    .plan_paths = cc_plan_paths,
    .resolve = cc_resolve,
    .hydrate = cn_claude_hydrate,
};
