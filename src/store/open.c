/*
 * store/open.c - opening the store: the file, pragmas, schema migrations.
 *
 * Lifecycle: open (create dir 0700 and file) -> check user_version against
 * the migrations this binary knows (newer: refuse, touch nothing) -> WAL ->
 * apply missing migrations, each in its own IMMEDIATE transaction -> ready.
 * synchronous=NORMAL: the transcript index can be rebuilt from the agents'
 * files; writers of cairn's own data switch to FULL for their commits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/path.h"
#include "store/db.h"

int cairn_store_schema_version(void)
{
    return cn_store_nmigrations;
}

cairn_rc cn_store_error(cairn_store *s, cairn_err *err, const char *what)
{
    int code = sqlite3_errcode(s->db);
    cairn_rc rc = code == SQLITE_BUSY || code == SQLITE_LOCKED ? CAIRN_BUSY
                  : code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? CAIRN_CORRUPT
                  : code == SQLITE_NOMEM ? CAIRN_NOMEM
                  : code == SQLITE_FULL ? CAIRN_FULL
                  : code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_CANTOPEN
                      ? CAIRN_PERM
                      : CAIRN_IO;
    return cn_err_set(err, rc, "store '%s': %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

cairn_rc cn_store_exec(cairn_store *s, const char *sql, cairn_err *err)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot write");
    return CAIRN_OK;
}

/*
 * Switch the store to WAL.  On a new store that needs the database alone for
 * a moment, and SQLite answers SQLITE_BUSY at once, without its busy handler,
 * while another process's first open holds it: wait here instead (5 s at most).
 */
static cairn_rc use_wal(cairn_store *s, cairn_err *err)
{
    for (int i = 0;; i++) {
        cairn_rc rc = cn_store_exec(s, "PRAGMA journal_mode=WAL", err);
        if (rc != CAIRN_BUSY || i == 200)
            return rc;
        usleep(25 * 1000);
    }
}

/* mkdir -p with mode 0700 for what it creates. */
static cairn_rc make_dirs(const char *dir, cairn_err *err)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n >= sizeof tmp)
        return cn_err_set(err, CAIRN_INVAL, "data dir path too long: '%s'", dir);
    memcpy(tmp, dir, n + 1);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || !*p) {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return cn_err_set(err, cn_err_from_errno(errno), "cannot create '%s': %s", tmp,
                                  strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return CAIRN_OK;
}

static int user_version(cairn_store *s, int *v)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* A version-0 file that already has tables was not made by cairn. */
static bool foreign_tables(cairn_store *s)
{
    sqlite3_stmt *st;
    bool any = false;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master LIMIT 1", -1, &st, NULL) ==
        SQLITE_OK) {
        any = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
    }
    return any;
}

/* Migration 5's first half: add the columns a store of the first day's builds lacks. */
static cairn_rc repair_columns(cairn_store *s, cairn_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
                           NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read the schema");
    cairn_rc rc = CAIRN_OK;
    for (const cn_column_fix *f = cn_store_repaired_columns; f->table && !rc; f++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, f->table, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, f->column, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            continue;
        char sql[200];
        snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", f->table, f->column, f->decl);
        rc = cn_store_exec(s, sql, err);
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * Apply the missing migrations, each in an IMMEDIATE transaction.  Another
 * process may be migrating the same new store at the same moment: the
 * version is read again under the write lock, and steps already applied are
 * skipped.
 */
static cairn_rc migrate(cairn_store *s, cairn_err *err)
{
    for (;;) {
        char pragma[64];
        cairn_rc rc;
        int v = 0;
        if ((rc = cn_store_exec(s, "BEGIN IMMEDIATE", err)))
            return rc;
        if (user_version(s, &v) != 0 || v >= cn_store_nmigrations) {
            sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
            return CAIRN_OK;
        }
        if (v == 0 && foreign_tables(s)) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return cn_err_set(err, CAIRN_CORRUPT,
                              "'%s' is not a cairn store (it has other tables)", s->path);
        }
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", v + 1);
        if ((v == 4 && (rc = repair_columns(s, err))) ||
            (rc = cn_store_exec(s, cn_store_migrations[v], err)) ||
            (rc = cn_store_exec(s, pragma, err)) || (rc = cn_store_exec(s, "COMMIT", err))) {
            cn_err_prefix(err, "migration to schema %d", v + 1);
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
}

/*
 * An open that failed on the data dir's file system: say what is wrong with it
 * when that is why (SQLite says "unable to open" or "disk I/O error").
 */
static cairn_rc why_not(cairn_err *err, cairn_rc rc, const char *dir)
{
    char was[sizeof err->msg];
    struct statvfs fs;
    snprintf(was, sizeof was, "%s", err->msg);
    if (access(dir, W_OK) && errno == EROFS)
        return cn_err_set(err, CAIRN_PERM,
                          "%s: the data dir '%s' is on a read-only file system (cairn writes its "
                          "-wal and -shm files beside the store, even to read it)",
                          was, dir);
    if (!statvfs(dir, &fs) && fs.f_bavail == 0)
        return cn_err_set(err, CAIRN_FULL,
                          "%s: the disk holding the data dir '%s' is full (cairn writes its -wal "
                          "and -shm files beside the store, even to read it)",
                          was, dir);
    return rc;
}

/* The store file's identity and its WAL's path (in WAL mode), for cn_store_commit's check. */
static cairn_rc note_files(cairn_store *s)
{
    struct stat st;
    sqlite3_stmt *q;
    size_t n = strlen(s->path);
    bool wal = false;
    if (stat(s->path, &st))
        return cn_err_from_errno(errno);
    s->db_dev = (uint64_t)st.st_dev;
    s->db_ino = (uint64_t)st.st_ino;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK) {
        wal = sqlite3_step(q) == SQLITE_ROW &&
              !sqlite3_stricmp((const char *)sqlite3_column_text(q, 0), "wal");
        sqlite3_finalize(q);
    }
    if (!wal)
        return CAIRN_OK;
    if (!(s->wal_path = malloc(n + 5)))
        return CAIRN_NOMEM;
    memcpy(s->wal_path, s->path, n);
    memcpy(s->wal_path + n, "-wal", 5);
    return CAIRN_OK;
}

cairn_rc cairn_store_open(const char *data_dir, unsigned flags, cairn_store **out, cairn_err *err)
{
    cairn_store *s;
    cn_buf dir, path;
    cairn_rc rc = CAIRN_OK;
    int v = 0;

    *out = NULL;
    cn_buf_init(&dir, 4096);
    cn_buf_init(&path, 4096);
    if (data_dir)
        rc = cn_buf_adds(&dir, data_dir) ? cn_err_set(err, CAIRN_INVAL, "data dir too long") : 0;
    else
        rc = cn_path_cairn_data(&dir, err);
    if (rc || (rc = cn_path_join(&path, dir.ptr, "cairn.db"))) {
        cn_buf_release(&dir);
        cn_buf_release(&path);
        return rc ? rc : CAIRN_INVAL;
    }
    if (!(s = calloc(1, sizeof *s))) {
        cn_buf_release(&dir);
        cn_buf_release(&path);
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    }
    s->path = cn_buf_detach(&path, NULL);
    s->readonly = flags & CAIRN_STORE_READONLY;
    bool create = !s->readonly && !(flags & CAIRN_STORE_EXISTING);
    if (create && (rc = make_dirs(dir.ptr, err)))
        goto out;
    struct stat st;
    if (stat(dir.ptr, &st) == 0 && !S_ISDIR(st.st_mode)) {
        rc = cn_err_set(err, CAIRN_INVAL, "data dir '%s' is not a directory", dir.ptr);
        goto out;
    }
    int oflags = s->readonly ? SQLITE_OPEN_READONLY
                 : create    ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                             : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(s->path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = s->db ? cn_store_error(s, err, "cannot open")
                   : cn_err_set(err, CAIRN_NOMEM, "out of memory");
        if (!create && rc == CAIRN_PERM && access(s->path, F_OK) != 0)
            rc = cn_err_set(err, CAIRN_NOTFOUND,
                            s->readonly ? "no store at '%s' yet: run 'cairn ingest'"
                                        : "no store at '%s' yet (nothing was saved or indexed "
                                          "there: is --data-dir right?)",
                            s->path);
        goto out;
    }
    sqlite3_busy_timeout(s->db, CN_STORE_BUSY_MS);
    if (user_version(s, &v) != 0) {
        rc = sqlite3_errcode(s->db) == SQLITE_NOTADB
                 ? cn_err_set(err, CAIRN_CORRUPT, "'%s' is not a cairn store (not a database)",
                              s->path)
                 : cn_store_error(s, err, "cannot read");
        goto out;
    }
    if (v > cn_store_nmigrations) {
        rc = cn_err_set(err, CAIRN_SCHEMA,
                        "store '%s' has schema version %d, newer than this cairn knows (%d): "
                        "upgrade cairn; the store was left untouched",
                        s->path, v, cn_store_nmigrations);
        goto out;
    }
    /* tables but no version: another program's database -- or a cairn that migrated
     * it between our two reads, which a second read of the version tells */
    if (v == 0 && foreign_tables(s) && user_version(s, &v) == 0 && v == 0) {
        rc = cn_err_set(err, CAIRN_CORRUPT, "'%s' is not a cairn store (it has other tables)",
                        s->path);
        goto out;
    }
    if (s->readonly) {
        if (v < cn_store_nmigrations)
            rc = cn_err_set(err, CAIRN_SCHEMA,
                            "store '%s' has schema %d, this cairn needs %d: open it for writing "
                            "(e.g. 'cairn ingest') to migrate",
                            s->path, v, cn_store_nmigrations);
        goto out;
    }
    if ((rc = use_wal(s, err)) ||
        (rc = cn_store_exec(s, "PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;", err)) ||
        (rc = cn_store_exec(s,
                            flags & CAIRN_STORE_LEAN ? "PRAGMA cache_size=-8192" /* KiB */
                                                     : "PRAGMA cache_size=-65536",
                            err)))
        goto out;
    if (v < cn_store_nmigrations)
        rc = migrate(s, err);
    if (!rc && (rc = note_files(s)))
        rc = cn_err_set(err, rc, "store '%s': cannot read what it is: %s", s->path,
                        strerror(errno));
out:
    if ((rc == CAIRN_PERM || rc == CAIRN_IO) && err)
        rc = why_not(err, rc, dir.ptr);
    cn_buf_release(&dir);
    if (rc) {
        cairn_store_close(s);
        return rc;
    }
    *out = s;
    return CAIRN_OK;
}

void cairn_store_close(cairn_store *s)
{
    if (!s)
        return;
    if (s->fts_lag && !s->readonly) { /* what its saves left out of the index */
        cairn_err e;
        cairn_memory_index(s, true, &e);
    }
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    for (size_t i = 0; i < s->ncached; i++)
        sqlite3_finalize(s->cached[i].st);
    sqlite3_close(s->db);
    cn_zstd_release(&s->zstd);
    cn_memlive_release(&s->live);
    cn_context_due_release(s);
    free(s->wal_path);
    free(s->path);
    free(s);
}

const char *cairn_store_path(const cairn_store *s)
{
    return s->path;
}
