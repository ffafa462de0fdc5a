/*
 * source/opencode/reader.c - the opencode reader's plan and resolve stages:
 * every database in the data dir (opencode.db, opencode-<channel>.db, or
 * $OPENCODE_DB), then the JSON generations, in order of preference.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/err.h"
#include "base/path.h"
#include "base/str.h"
#include "source/opencode/oc.h"

static bool is_db_name(const char *n)
{
    size_t len = strlen(n);
    return !strncmp(n, "opencode", 8) && len >= 11 && !strcmp(n + len - 3, ".db") &&
           (len == 11 || n[8] == '-');
}

static void plan_db(cairn_plan *p, const char *path, cn_map *ids, cairn_report *rep,
                    cairn_rc *fatal, cairn_err *err)
{
    cn_oc_db *db;
    cairn_err e;
    if (cn_oc_db_open(path, &db, &e)) {
        cairn_report_add(rep, e.rc, path, e.msg);
        return;
    }
    *fatal = cn_oc_db_plan(db, p, ids, rep, err);
    cn_oc_db_close(db);
}

static cairn_rc oc_plan(cairn_plan *p, cairn_report *rep, cairn_err *err)
{
    cn_map ids;
    cn_buf path, env_path;
    cairn_rc rc = CAIRN_OK;
    int fd = open(p->src.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return cn_err_set(err, cn_err_from_errno(errno), "cannot open '%s': %s", p->src.path,
                          strerror(errno));
    cn_map_init(&ids);
    cn_buf_init(&path, 8192);
    cn_buf_init(&env_path, 8192);
    /* $OPENCODE_DB applies to the data dir found from the environment. */
    const char *env_db = getenv("OPENCODE_DB");
    if (p->src.from_env && env_db && *env_db && strcmp(env_db, ":memory:") &&
        cn_path_opencode_db(p->src.path, &env_path, NULL) == CAIRN_OK &&
        access(env_path.ptr, F_OK) == 0)
        plan_db(p, env_path.ptr, &ids, rep, &rc, err);
    DIR *d = cn_dir_open(fd, ".");
    struct dirent *de;
    while (d && !rc && (de = readdir(d))) {
        if (!is_db_name(de->d_name))
            continue;
        cn_path_join(&path, p->src.path, de->d_name);
        if (!strcmp(path.ptr, cn_buf_cstr(&env_path)))
            continue; /* planned above */
        plan_db(p, path.ptr, &ids, rep, &rc, err);
    }
    if (d)
        closedir(d);
    if (!rc)
        rc = cn_oc_tree_plan(p, fd, &ids, rep, err);
    cn_map_release(&ids);
    cn_buf_release(&path);
    cn_buf_release(&env_path);
    close(fd);
    return rc;
}

/*
 * Only the changed files of a G1 tree (storage/) are planned alone; with a
 * database or a G0 tree beside it (either may hold a copy that shadows a G1
 * session, and a database change is a query of its own), the source is
 * planned whole.
 */
static cairn_rc oc_plan_paths(cairn_plan *p, const char *const *paths, size_t n, cairn_report *rep,
                              cairn_err *err)
{
    struct stat st;
    const char *env_db = getenv("OPENCODE_DB");
    int fd = open(p->src.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cn_err_set(err, cn_err_from_errno(errno), "cannot open '%s': %s", p->src.path,
                          strerror(errno));
    bool alone = !(p->src.from_env && env_db && *env_db) && fstatat(fd, "project", &st, 0) != 0;
    DIR *d = alone ? cn_dir_open(fd, ".") : NULL;
    struct dirent *de;
    while (d && alone && (de = readdir(d)))
        alone = !is_db_name(de->d_name);
    if (d)
        closedir(d);
    cairn_rc rc = alone ? cn_oc_tree_plan_paths(p, fd, paths, n, rep, err)
                        : cn_err_set(err, CAIRN_AGAIN, "opencode with a database is planned whole");
    close(fd);
    return rc;
}

static cairn_rc oc_resolve(const cairn_plan *p, cairn_resolved *res, cairn_report *rep,
                           cairn_err *err)
{
    cairn_rc rc = CAIRN_OK;
    int fd;

    for (size_t i = 0; i < p->n && !rc; i++) {
        const cairn_plan_item *it = &p->items[i];
        cn_oc_db *db;
        cairn_err e;
        if (it->kind != CAIRN_ITEM_DB)
            continue;
        if (cn_oc_db_open(it->path.ptr, &db, &e)) {
            cairn_report_add(rep, e.rc, it->path.ptr, e.msg);
            continue;
        }
        rc = cn_oc_db_resolve(db, p, res, rep, err);
        cn_oc_db_close(db);
    }
    if (rc)
        return rc;
    fd = open(p->src.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cn_err_set(err, cn_err_from_errno(errno), "cannot open '%s': %s", p->src.path,
                          strerror(errno));
    rc = cn_oc_tree_resolve(p, fd, res, rep, err);
    close(fd);
    return rc;
}

const cn_reader cn_reader_opencode = {
    .agent = CAIRN_AGENT_OPENCODE,
    .plan = oc_plan,
    .plan_paths = oc_plan_paths,
    .resolve = oc_resolve,
    .hydrate = cn_oc_hydrate,
};
