/* fuzz/lib/store.c - the store of the server fuzz targets (fuzz/lib/store.h). */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "cairn/memory.h"
#include "cairn/store.h"

void fuzz_store_make(char *dir, size_t n, const char *name)
{
    struct stat st;
    cairn_store *s;
    cairn_err err;
    char sid[64], path[4200], *sql;
    cairn_session_new ns = {"fuzz", "/fuzz", "fuzz", NULL, 0};

    snprintf(dir, n, "%s/cairn-fuzz-%s-XXXXXX", stat("/dev/shm", &st) == 0 ? "/dev/shm" : "/tmp",
             name);
    if (!mkdtemp(dir))
        abort();
    if (cairn_store_open(dir, 0, &s, &err) || cairn_session_create(s, &ns, sid, sizeof sid, &err)) {
        fprintf(stderr, "fuzz/%s: %s\n", name, err.msg);
        abort();
    }
    cairn_store_close(s);
    /* renamed by hand: ids are random */
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/cairn.db", dir);
    sql = sqlite3_mprintf("UPDATE sessions SET session_id = %Q WHERE session_id = %Q", FUZZ_SESSION,
                          sid);
    if (!sql || sqlite3_open(path, &db) || sqlite3_exec(db, sql, NULL, NULL, NULL) ||
        sqlite3_changes(db) != 1)
        abort();
    sqlite3_free(sql);
    sqlite3_close(db);
}
