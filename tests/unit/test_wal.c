/*
 * tests/unit/test_wal.c - checkpoints run elsewhere (cairn_store_checkpoint_elsewhere,
 * cairn_store_checkpoint; store/wal.c).
 *
 * What a checkpoint did is read off the database file alone: a copy of it without its
 * WAL holds exactly the memories checkpointed so far.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cairn/memory.h"
#include "cairn/store.h"

#include "fixture.h"

#define FRAMES 20 /* due threshold of these tests, in WAL frames */

static void count_due(void *ud)
{
    ++*(int *)ud;
}

/* Memories in the database file of s alone (the WAL left out), or -1 before its tables. */
static int64_t in_db_file(cairn_store *s, const char *dir)
{
    char copy[4200];
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t n = -1;
    snprintf(copy, sizeof copy, "%s/copy.db", dir);
    unlink(copy);
    copy_file(cairn_store_path(s), copy);
    assert_int_equal(sqlite3_open_v2(copy, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM memories", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static off_t wal_size(cairn_store *s)
{
    char wal[4200];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", cairn_store_path(s));
    return stat(wal, &sb) == 0 ? sb.st_size : -1;
}

static void save(cairn_store *s, int i)
{
    char key[32];
    snprintf(key, sizeof key, "key%d", i);
    OK(cairn_memory_save(s, "proj", key, "a value long enough to take some room", NULL, 0, NULL,
                         E));
}

/* The writer's commits say when a checkpoint is due and leave it to another handle. */
static void test_checkpoint_elsewhere(void **state)
{
    (void)state;
    char dir[4096];
    cairn_store *s = NULL, *other = NULL;
    int due = 0, n = 0;
    temp_dir(dir, sizeof dir);
    OK(cairn_store_open(dir, 0, &s, E));
    OK(cairn_store_checkpoint(s, NULL, E)); /* the schema into the file: a clean start */
    int64_t base = in_db_file(s, dir);
    assert_int_equal(base, 0);
    cairn_store_checkpoint_elsewhere(s, FRAMES, count_due, &due);
    while (!due && n < 200)
        save(s, n++);
    assert_true(due > 0);
    assert_true(n > 1);                      /* one save is fewer frames than FRAMES */
    assert_int_equal(in_db_file(s, dir), 0); /* nobody checkpointed */
    OK(cairn_store_open(dir, 0, &other, E));
    int left = -1;
    OK(cairn_store_checkpoint(other, &left, E));
    assert_int_equal(left, 0);
    assert_int_equal(in_db_file(s, dir), n); /* all of it, by the other handle */
    cairn_store_close(other);
    cairn_store_close(s);
}

/* Nobody answers: past 4 x FRAMES the writer checkpoints itself, and the WAL stays bounded. */
static void test_checkpoint_nobody_answers(void **state)
{
    (void)state;
    char dir[4096];
    cairn_store *s = NULL;
    int due = 0;
    temp_dir(dir, sizeof dir);
    OK(cairn_store_open(dir, 0, &s, E));
    OK(cairn_store_checkpoint(s, NULL, E));
    cairn_store_checkpoint_elsewhere(s, FRAMES, count_due, &due);
    for (int i = 0; i < 300; i++)
        save(s, i);
    assert_true(due > 0);
    assert_true(in_db_file(s, dir) > 0); /* checkpointed by s itself */
    /* 300 saves are thousands of frames; the file holds at most 4 x FRAMES and a commit */
    assert_true(wal_size(s) > 0);
    assert_true(wal_size(s) < 32 + (4 * FRAMES + 40) * (4096 + 24));
    cairn_store_close(s);
}

/* Due once per FRAMES' worth of new frames, not at every commit past the threshold (each
 * checkpoint syncs the database file). */
static void test_checkpoint_due_once(void **state)
{
    (void)state;
    char dir[4096];
    cairn_store *s = NULL;
    int due = 0, n = 0;
    temp_dir(dir, sizeof dir);
    OK(cairn_store_open(dir, 0, &s, E));
    OK(cairn_store_checkpoint(s, NULL, E));
    cairn_store_checkpoint_elsewhere(s, 10 * FRAMES, count_due, &due);
    while (!due && n < 500)
        save(s, n++);
    assert_int_equal(due, 1);
    save(s, n++); /* a few frames more: not another 10 x FRAMES */
    save(s, n++);
    assert_int_equal(due, 1);
    while (due < 2 && n < 1000)
        save(s, n++);
    assert_int_equal(due, 2); /* the next 10 x FRAMES */
    cairn_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoint_elsewhere),
        cmocka_unit_test(test_checkpoint_nobody_answers),
        cmocka_unit_test(test_checkpoint_due_once),
    };
    return cmocka_run_group_tests_name("wal", tests, NULL, remove_temp_dirs);
}
