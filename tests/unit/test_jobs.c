/*
 * tests/unit/test_jobs.c - a server's writes in groups of the store (serve/jobs.c).
 *
 * Jobs are real calls of the operation table (memory_save), plus a fake
 * operation that does what SQLite does to a transaction on a full disk or an
 * I/O error: it rolls the whole transaction back under the group.  Every
 * job's result must match what is stored.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cairn/memory.h"
#include "cairn/store.h"
#include "base/err.h"
#include "base/str.h"
#include "serve/jobs.h"
#include "store/db.h" /* s->db: the fake operation's ROLLBACK */

#include "fixture.h"

#define MAX_JOBS 8

/* A failing write that takes the whole transaction with it, as SQLite may. */
static cairn_rc lose_transaction(cn_call *c)
{
    sqlite3_exec(c->store->db, "ROLLBACK", NULL, NULL, NULL);
    return cn_err_set(&c->err, CAIRN_IO, "database or disk is full (simulated)");
}

static const cn_op lose_op = {.name = "lose", .writes = true, .run = lose_transaction};

typedef struct batch {
    cn_call c[MAX_JOBS];
    cn_job j[MAX_JOBS];
    size_t n;
} batch;

/* Add a job: memory_save of key in project p, or (key NULL) the transaction-losing write. */
static void add(batch *b, cairn_store *s, const char *key)
{
    const cn_op *op = &lose_op;
    char body[128];
    assert_true(b->n < MAX_JOBS);
    cn_call *c = &b->c[b->n];
    if (key)
        for (size_t i = 0; i < cn_nops; i++)
            if (!strcmp(cn_ops[i].name, "memory_save"))
                op = &cn_ops[i];
    cn_call_init(c, op, s);
    if (key) {
        assert_int_equal(cn_call_set_text(c, "project_id", cn_str("p")), CAIRN_OK);
        snprintf(body, sizeof body, "{\"key\":\"%s\",\"value\":\"value of %s\"}", key, key);
        assert_int_equal(cn_call_validate(c, cn_str(body)), CAIRN_OK);
    }
    b->j[b->n] = (cn_job){.c = c, .whole = true};
    if (b->n)
        b->j[b->n - 1].next = &b->j[b->n];
    b->n++;
}

static void release(batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        cn_call_release(&b->c[i]);
    b->n = 0;
}

/* The keys stored in project p, comma-joined in key order, into out. */
static void stored(cairn_store *s, char *out, size_t n)
{
    cairn_memories *m = NULL;
    sqlite3_stmt *st;
    size_t len = 0;
    out[0] = '\0';
    OK(cairn_memory_peek(s, "p", NULL, 0, &m, E)); /* the store answers reads */
    cairn_memories_free(m);
    assert_int_equal(sqlite3_prepare_v2(s->db,
                                        "SELECT group_concat(key, ',') FROM (SELECT key FROM"
                                        " memories WHERE project_id = 'p' ORDER BY key)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        len = (size_t)snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    assert_true(len < n);
}

static cairn_store *new_store(void)
{
    char dir[4096];
    cairn_store *s = NULL;
    temp_dir(dir, sizeof dir);
    OK(cairn_store_open(dir, 0, &s, E));
    return s;
}

/* Jobs in one group: each succeeds, each is stored. */
static void test_jobs_group(void **state)
{
    (void)state;
    cairn_store *s = new_store();
    batch b = {.n = 0};
    char keys[256];
    size_t due = 0;
    add(&b, s, "a");
    add(&b, s, "b");
    add(&b, s, "c");
    cn_jobs_run(s, b.j, &due);
    for (size_t i = 0; i < b.n; i++)
        assert_int_equal(b.j[i].rc, CAIRN_OK);
    assert_false(cairn_store_group_open(s));
    stored(s, keys, sizeof keys);
    assert_string_equal(keys, "a,b,c");
    release(&b);
    cairn_store_close(s);
}

/*
 * A write that loses the group's transaction: the jobs before it fail (their writes
 * went with it), the jobs after it run in a group of their own and are kept.
 */
static void test_jobs_transaction_lost(void **state)
{
    (void)state;
    cairn_store *s = new_store();
    batch b = {.n = 0};
    char keys[256];
    size_t due = 0;
    add(&b, s, "a");
    add(&b, s, "b");
    add(&b, s, NULL);
    add(&b, s, "c");
    add(&b, s, "d");
    cn_jobs_run(s, b.j, &due);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(b.j[i].rc, CAIRN_IO);
        assert_non_null(strstr(b.c[i].err.msg, "not stored"));
        assert_non_null(strstr(b.c[i].err.msg, "disk is full (simulated)"));
    }
    assert_int_equal(b.j[2].rc, CAIRN_IO);
    assert_int_equal(b.j[3].rc, CAIRN_OK);
    assert_int_equal(b.j[4].rc, CAIRN_OK);
    assert_false(cairn_store_group_open(s));
    stored(s, keys, sizeof keys);
    assert_string_equal(keys, "c,d");
    release(&b);

    /* lost by the last job: no group is left open, and the store groups again */
    add(&b, s, "e");
    add(&b, s, NULL);
    cn_jobs_run(s, b.j, &due);
    assert_int_equal(b.j[0].rc, CAIRN_IO);
    assert_int_equal(b.j[1].rc, CAIRN_IO);
    assert_false(cairn_store_group_open(s));
    release(&b);
    add(&b, s, "f");
    cn_jobs_run(s, b.j, &due);
    assert_int_equal(b.j[0].rc, CAIRN_OK);
    stored(s, keys, sizeof keys);
    assert_string_equal(keys, "c,d,f");
    release(&b);
    cairn_store_close(s);
}

/* No store: every job fails, and says why. */
static void test_jobs_no_store(void **state)
{
    (void)state;
    cairn_store *s = new_store();
    batch b = {.n = 0};
    size_t due = 0;
    add(&b, s, "a");
    add(&b, s, "b");
    cn_jobs_run(NULL, b.j, &due);
    for (size_t i = 0; i < b.n; i++) {
        assert_int_equal(b.j[i].rc, CAIRN_BUSY);
        assert_non_null(strstr(b.c[i].err.msg, "not open"));
    }
    release(&b);
    cairn_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs_group),
        cmocka_unit_test(test_jobs_transaction_lost),
        cmocka_unit_test(test_jobs_no_store),
    };
    return cmocka_run_group_tests_name("jobs", tests, NULL, remove_temp_dirs);
}
