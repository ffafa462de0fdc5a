/*
 * Unit tests for source/registry.c: lookups, replacement and freeing of batches, the time
 * and project indexes, and readers running while a writer replaces batches.
 * Batches are built by hand; ASan (make check) catches any read of a freed batch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <urcu.h> /* rcu_barrier(): run the pending frees before checking for use after free */

#include "base/arena.h"
#include "base/clock.h"
#include "base/str.h"
#include "cairn/registry.h"
#include "source/batch.h"

/* One session to build: messages "<id>/m<j>", each with j % 3 + 1 parts "<id>/m<j>/p<k>". */
typedef struct ses_spec {
    const char *id, *project, *title;
    int64_t updated_ms;
    uint32_t nmessages;
} ses_spec;

static cairn_str dupf(cn_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static cairn_str dupf(cn_arena *a, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return cn_arena_strdup(a, (cairn_str){buf, (size_t)n});
}

static uint32_t nparts_of(uint32_t j)
{
    return j % 3 + 1;
}

/* A batch of agent with the sessions in ss and the projects in pids (named name). */
static cairn_batch *make_batch(cairn_agent agent, const ses_spec *ss, size_t ns,
                               const char *const *pids, size_t np, const char *pname)
{
    cairn_batch *b = cn_batch_new(agent);
    assert_non_null(b);
    cn_arena *a = cn_batch_arena(b);
    size_t nm = 0, npart = 0;
    for (size_t i = 0; i < ns; i++) {
        nm += ss[i].nmessages;
        for (uint32_t j = 0; j < ss[i].nmessages; j++)
            npart += nparts_of(j);
    }
    b->projects = cn_arena_calloc(a, np + 1, sizeof *b->projects);
    b->sessions = cn_arena_calloc(a, ns + 1, sizeof *b->sessions);
    b->messages = cn_arena_calloc(a, nm + 1, sizeof *b->messages);
    b->parts = cn_arena_calloc(a, npart + 1, sizeof *b->parts);
    assert_true(b->projects && b->sessions && b->messages && b->parts);
    for (size_t i = 0; i < np; i++) {
        b->projects[i].id = dupf(a, "%s", pids[i]);
        b->projects[i].name = dupf(a, "%s", pname);
    }
    for (size_t i = 0; i < ns; i++) {
        cairn_session *s = &b->sessions[b->nsessions++];
        s->agent = agent;
        s->id = dupf(a, "%s", ss[i].id);
        s->project_id = ss[i].project ? dupf(a, "%s", ss[i].project) : CAIRN_STR_NULL;
        s->title = dupf(a, "%s", ss[i].title ? ss[i].title : "");
        s->time_updated_ms = ss[i].updated_ms;
        s->project = s->parent = CAIRN_NONE;
        s->first_message = (uint32_t)b->nmessages;
        s->nmessages = ss[i].nmessages;
        for (uint32_t j = 0; j < ss[i].nmessages; j++) {
            cairn_message *m = &b->messages[b->nmessages++];
            m->id = dupf(a, "%s/m%u", ss[i].id, j);
            m->session_id = s->id;
            m->session = (uint32_t)i;
            m->first_part = (uint32_t)b->nparts;
            m->nparts = nparts_of(j);
            for (uint32_t k = 0; k < m->nparts; k++) {
                cairn_part *p = &b->parts[b->nparts++];
                p->id = dupf(a, "%s/m%u/p%u", ss[i].id, j, k);
                p->message_id = m->id;
                p->session_id = s->id;
                p->message = (uint32_t)(b->nmessages - 1);
            }
        }
    }
    b->nprojects = np;
    b->bytes = cn_arena_used(a);
    return b;
}

static cairn_registry *new_registry(void)
{
    cairn_registry *r = cairn_registry_new();
    assert_non_null(r);
    return r;
}

static void add(cairn_registry *r, cairn_batch *b)
{
    cairn_err e = {0};
    assert_int_equal(cairn_registry_add_take(r, b, &e), CAIRN_OK);
}

static cairn_registry_stats stats(cairn_registry *r)
{
    cairn_registry_stats st;
    cairn_registry_stats_get(r, &st);
    return st;
}

static const cairn_session *ses(cairn_registry *r, cairn_agent a, const char *id)
{
    return cairn_registry_session(r, a, cn_str(id));
}

static const cairn_message *msg(cairn_registry *r, const char *id)
{
    return cairn_registry_message(r, CAIRN_AGENT_NONE, cn_str(id));
}

static const cairn_part *part(cairn_registry *r, const char *id)
{
    return cairn_registry_part(r, CAIRN_AGENT_NONE, cn_str(id));
}

static void test_lookup(void **state)
{
    (void)state;
    cairn_registry *r = new_registry();
    const ses_spec ss[] = {{"A", "P", "alpha", 100, 2}, {"B", "P", "beta", 200, 3}};
    const char *pids[] = {"P"};
    add(r, make_batch(CAIRN_AGENT_CLAUDE, ss, 2, pids, 1, "proj"));

    cairn_registry_read_begin();
    const cairn_session *a = ses(r, CAIRN_AGENT_CLAUDE, "A");
    assert_non_null(a);
    assert_true(cn_str_eqc(a->title, "alpha"));
    assert_ptr_equal(ses(r, CAIRN_AGENT_NONE, "A"), a);
    assert_null(ses(r, CAIRN_AGENT_OPENCODE, "A"));
    assert_null(ses(r, CAIRN_AGENT_NONE, "C"));
    assert_null(ses(r, CAIRN_AGENT_NONE, ""));

    const cairn_message *ms;
    assert_int_equal(cairn_registry_messages_of(r, a, &ms), 2);
    assert_true(cn_str_eqc(ms[0].id, "A/m0") && cn_str_eqc(ms[1].id, "A/m1"));
    const cairn_message *m = cairn_registry_message(r, CAIRN_AGENT_CLAUDE, cn_str("B/m2"));
    assert_non_null(m);
    assert_true(cn_str_eqc(m->session_id, "B"));
    assert_null(cairn_registry_message(r, CAIRN_AGENT_CODEX, cn_str("B/m2")));
    const cairn_part *ps;
    assert_int_equal(cairn_registry_parts_of(r, m, &ps), 3);
    assert_true(cn_str_eqc(ps[2].id, "B/m2/p2"));
    const cairn_part *p = part(r, "B/m1/p1");
    assert_non_null(p);
    assert_true(cn_str_eqc(p->message_id, "B/m1"));
    assert_null(part(r, "B/m1/p2"));
    const cairn_project *pr = cairn_registry_project(r, CAIRN_AGENT_NONE, cn_str("P"));
    assert_non_null(pr);
    assert_true(cn_str_eqc(pr->name, "proj"));
    assert_null(cairn_registry_project(r, CAIRN_AGENT_CODEX, cn_str("P")));

    /* records the registry does not hold have no messages or parts */
    cairn_session other = *a;
    assert_int_equal(cairn_registry_messages_of(r, &other, &ms), 0);
    assert_null(ms);
    cairn_message mother = *m;
    assert_int_equal(cairn_registry_parts_of(r, &mother, NULL), 0);
    cairn_registry_read_end();

    /* the same ids under another agent are other records */
    const ses_spec oc[] = {{"A", "Q", "opencode A", 50, 1}};
    add(r, make_batch(CAIRN_AGENT_OPENCODE, oc, 1, NULL, 0, ""));
    cairn_registry_read_begin();
    assert_true(cn_str_eqc(ses(r, CAIRN_AGENT_OPENCODE, "A")->title, "opencode A"));
    assert_true(cn_str_eqc(ses(r, CAIRN_AGENT_CLAUDE, "A")->title, "alpha"));
    assert_non_null(ses(r, CAIRN_AGENT_NONE, "A"));
    assert_int_equal(cairn_registry_messages_of(r, ses(r, CAIRN_AGENT_CLAUDE, "A"), NULL), 2);
    assert_int_equal(cairn_registry_messages_of(r, ses(r, CAIRN_AGENT_OPENCODE, "A"), NULL), 1);
    cairn_registry_read_end();

    cairn_registry_stats st = stats(r);
    assert_int_equal(st.sessions, 3);
    assert_int_equal(st.messages, 6);
    assert_int_equal(st.parts, (1 + 2) + (1 + 2 + 3) + 1); /* A, B, opencode A */
    assert_int_equal(st.projects, 1);
    assert_int_equal(st.batches, 2);
    assert_int_equal(st.replaced, 0);
    assert_true(st.bytes > 0);
    assert_true(st.last_update_ms > 0 && st.last_update_ms <= cn_now_ms());
    cairn_registry_free(r);
    cairn_registry_free(NULL);
}

static void test_replace(void **state)
{
    (void)state;
    cairn_registry *r = new_registry();
    const ses_spec v1[] = {{"A", "P", "A1", 100, 3}, {"B", "P", "B1", 100, 1}};
    const ses_spec v2[] = {{"A", "P", "A2", 200, 2}};
    const ses_spec v3[] = {{"B", "P", "B3", 300, 2}};
    cairn_batch *b1 = make_batch(CAIRN_AGENT_CLAUDE, v1, 2, NULL, 0, "");
    size_t bytes1 = b1->bytes;
    add(r, b1);
    cairn_batch *b2 = make_batch(CAIRN_AGENT_CLAUDE, v2, 1, NULL, 0, "");
    size_t bytes2 = b2->bytes;
    add(r, b2);

    /* A is the new copy; its third message and that message's parts are gone */
    cairn_registry_stats st = stats(r);
    assert_int_equal(st.batches, 2); /* B keeps the first batch */
    assert_int_equal(st.bytes, bytes1 + bytes2);
    assert_int_equal(st.replaced, 1);
    assert_int_equal(st.sessions, 2);
    assert_int_equal(st.messages, 3);
    assert_int_equal(st.parts, 1 + 2 + 1);
    cairn_registry_read_begin();
    const cairn_session *a = ses(r, CAIRN_AGENT_CLAUDE, "A");
    assert_true(cn_str_eqc(a->title, "A2"));
    const cairn_message *ms;
    assert_int_equal(cairn_registry_messages_of(r, a, &ms), 2);
    assert_ptr_equal(msg(r, "A/m1"), &ms[1]);
    assert_null(msg(r, "A/m2"));
    assert_null(part(r, "A/m2/p0"));
    assert_non_null(part(r, "A/m1/p1"));
    assert_true(cn_str_eqc(ses(r, CAIRN_AGENT_CLAUDE, "B")->title, "B1"));
    cairn_registry_read_end();

    /* replacing B leaves nothing live in the first batch: it is freed */
    add(r, make_batch(CAIRN_AGENT_CLAUDE, v3, 1, NULL, 0, ""));
    rcu_barrier();
    st = stats(r);
    assert_int_equal(st.batches, 2);
    assert_int_equal(st.replaced, 2);
    assert_int_equal(st.sessions, 2);
    assert_int_equal(st.messages, 4);
    cairn_registry_read_begin();
    const cairn_session *b = ses(r, CAIRN_AGENT_NONE, "B");
    assert_true(cn_str_eqc(b->title, "B3"));
    assert_int_equal(cairn_registry_messages_of(r, b, &ms), 2);
    assert_true(cn_str_eqc(ms[1].id, "B/m1"));
    assert_true(cn_str_eqc(msg(r, "B/m0")->session_id, "B"));
    assert_true(cn_str_eqc(msg(r, "A/m0")->session_id, "A"));
    assert_null(msg(r, "A/m2"));
    const cairn_session *out[4];
    assert_int_equal(cairn_registry_sessions_updated_since(r, 0, out, 4), 2);
    assert_true(cn_str_eqc(out[0]->title, "B3") && cn_str_eqc(out[1]->title, "A2"));
    cairn_registry_read_end();

    /* one batch holding both: the other two go */
    const ses_spec v4[] = {{"A", "P", "A4", 400, 1}, {"B", "P", "B4", 400, 1}};
    add(r, make_batch(CAIRN_AGENT_CLAUDE, v4, 2, NULL, 0, ""));
    rcu_barrier();
    st = stats(r);
    assert_int_equal(st.batches, 1);
    assert_int_equal(st.replaced, 4);
    assert_int_equal(st.messages, 2);
    assert_int_equal(st.parts, 2);
    cairn_registry_read_begin();
    assert_null(msg(r, "B/m1"));
    assert_null(part(r, "A/m1/p0"));
    assert_non_null(part(r, "A/m0/p0"));
    assert_true(cn_str_eqc(ses(r, CAIRN_AGENT_NONE, "A")->title, "A4"));
    cairn_registry_read_end();
    cairn_registry_free(r);
}

static void test_session_absent_from_replacement(void **state)
{
    (void)state;
    cairn_registry *r = new_registry();
    const ses_spec v1[] = {{"A", "P", "A1", 100, 2}, {"B", "P", "B1", 100, 2}};
    const ses_spec v2[] = {{"A", "P", "A2", 200, 1}};
    add(r, make_batch(CAIRN_AGENT_CODEX, v1, 2, NULL, 0, ""));
    add(r, make_batch(CAIRN_AGENT_CODEX, v2, 1, NULL, 0, ""));
    rcu_barrier();
    /* B is not in the new batch: it stays, and so does the batch it lives in */
    cairn_registry_stats st = stats(r);
    assert_int_equal(st.batches, 2);
    assert_int_equal(st.sessions, 2);
    cairn_registry_read_begin();
    const cairn_session *b = ses(r, CAIRN_AGENT_CODEX, "B");
    assert_non_null(b);
    assert_int_equal(cairn_registry_messages_of(r, b, NULL), 2);
    assert_non_null(msg(r, "B/m1"));
    assert_null(msg(r, "A/m1")); /* only in the old copy of A */
    assert_null(part(r, "A/m1/p1"));
    cairn_registry_read_end();
    cairn_registry_free(r);
}

static void test_projects(void **state)
{
    (void)state;
    cairn_registry *r = new_registry();
    const char *pids[] = {"P", "Q"};
    const ses_spec v1[] = {{"A", "P", "A", 100, 0}};
    add(r, make_batch(CAIRN_AGENT_OPENCODE, v1, 1, pids, 2, "one"));
    add(r, make_batch(CAIRN_AGENT_OPENCODE, NULL, 0, pids, 1, "two"));
    cairn_registry_read_begin();
    assert_true(cn_str_eqc(cairn_registry_project(r, CAIRN_AGENT_NONE, cn_str("P"))->name, "two"));
    assert_true(cn_str_eqc(cairn_registry_project(r, CAIRN_AGENT_NONE, cn_str("Q"))->name, "one"));
    cairn_registry_read_end();
    assert_int_equal(stats(r).batches, 2);
    assert_int_equal(stats(r).projects, 2);

    /* a batch holding only a project goes once a newer copy of it comes */
    add(r, make_batch(CAIRN_AGENT_OPENCODE, NULL, 0, pids, 1, "three"));
    rcu_barrier();
    assert_int_equal(stats(r).batches, 2);
    cairn_registry_read_begin();
    assert_true(
        cn_str_eqc(cairn_registry_project(r, CAIRN_AGENT_NONE, cn_str("P"))->name, "three"));
    cairn_registry_read_end();

    /* an empty batch holds nothing and is freed at once */
    add(r, make_batch(CAIRN_AGENT_OPENCODE, NULL, 0, NULL, 0, ""));
    rcu_barrier();
    assert_int_equal(stats(r).batches, 2);
    cairn_registry_free(r);
}

static void test_sessions_for_project(void **state)
{
    (void)state;
    cairn_registry *r = new_registry();
    const ses_spec v1[] = {
        {"s1", "P", "", 300, 1}, {"s2", "Q", "", 500, 1},  {"s3", "P", "", 100, 1},
        {"s4", "P", "", 400, 1}, {"s5", NULL, "", 200, 1},
    };
    add(r, make_batch(CAIRN_AGENT_CLAUDE, v1, 5, NULL, 0, ""));
    const cairn_session *out[8];
    cairn_registry_read_begin();
    assert_int_equal(cairn_registry_sessions_for_project(r, cn_str("P"), out, 8), 3);
    assert_true(cn_str_eqc(out[0]->id, "s4"));
    assert_true(cn_str_eqc(out[1]->id, "s1"));
    assert_true(cn_str_eqc(out[2]->id, "s3"));
    assert_int_equal(cairn_registry_sessions_for_project(r, cn_str("P"), out, 2), 3);
    assert_true(cn_str_eqc(out[1]->id, "s1"));
    assert_int_equal(cairn_registry_sessions_for_project(r, cn_str("P"), NULL, 0), 3);
    assert_int_equal(cairn_registry_sessions_for_project(r, cn_str("Q"), out, 8), 1);
    assert_int_equal(cairn_registry_sessions_for_project(r, cn_str("R"), out, 8), 0);
    assert_int_equal(cairn_registry_sessions_for_project(r, CAIRN_STR_NULL, out, 8), 1);
    assert_true(cn_str_eqc(out[0]->id, "s5"));
    cairn_registry_read_end();

    /* s3 updated: it moves to the front; s1 moves to project Q */
    const ses_spec v2[] = {{"s3", "P", "", 600, 1}, {"s1", "Q", "", 300, 1}};
    add(r, make_batch(CAIRN_AGENT_CLAUDE, v2, 2, NULL, 0, ""));
    cairn_registry_read_begin();
    assert_int_equal(cairn_registry_sessions_for_project(r, cn_str("P"), out, 8), 2);
    assert_true(cn_str_eqc(out[0]->id, "s3"));
    assert_true(cn_str_eqc(out[1]->id, "s4"));
    assert_int_equal(cairn_registry_sessions_for_project(r, cn_str("Q"), out, 8), 2);
    assert_true(cn_str_eqc(out[0]->id, "s2"));
    assert_true(cn_str_eqc(out[1]->id, "s1"));
    cairn_registry_read_end();
    cairn_registry_free(r);
}

static void test_updated_since(void **state)
{
    (void)state;
    cairn_registry *r = new_registry();
    const cairn_session *out[8];
    assert_int_equal(cairn_registry_sessions_updated_since(r, 0, out, 8), 0);
    const ses_spec v1[] = {
        {"a", NULL, "", 200, 0},
        {"b", NULL, "", 100, 0},
        {"c", NULL, "", 300, 0},
        {"d", NULL, "", 200, 0},
    };
    add(r, make_batch(CAIRN_AGENT_CLAUDE, v1, 4, NULL, 0, ""));
    cairn_registry_read_begin();
    assert_int_equal(cairn_registry_sessions_updated_since(r, INT64_MIN, out, 8), 4);
    assert_true(cn_str_eqc(out[0]->id, "c"));
    assert_true(cn_str_eqc(out[1]->id, "a")); /* equal times: by id */
    assert_true(cn_str_eqc(out[2]->id, "d"));
    assert_true(cn_str_eqc(out[3]->id, "b"));
    assert_int_equal(cairn_registry_sessions_updated_since(r, 100, out, 8), 4);
    assert_int_equal(cairn_registry_sessions_updated_since(r, 101, out, 8), 3);
    assert_int_equal(cairn_registry_sessions_updated_since(r, 200, out, 8), 3);
    assert_int_equal(cairn_registry_sessions_updated_since(r, 201, out, 8), 1);
    assert_int_equal(cairn_registry_sessions_updated_since(r, 300, out, 8), 1);
    assert_true(cn_str_eqc(out[0]->id, "c"));
    assert_int_equal(cairn_registry_sessions_updated_since(r, 301, out, 8), 0);
    assert_int_equal(cairn_registry_sessions_updated_since(r, INT64_MAX, out, 8), 0);
    out[1] = NULL;
    assert_int_equal(cairn_registry_sessions_updated_since(r, 0, out, 1), 4);
    assert_null(out[1]);
    assert_int_equal(cairn_registry_sessions_updated_since(r, 0, NULL, 0), 4);
    cairn_registry_read_end();
    cairn_registry_free(r);
}

static void test_bad_input(void **state)
{
    (void)state;
    cairn_registry *r = new_registry();
    cairn_err e = {0};
    const ses_spec v1[] = {{"A", NULL, "", 100, 2}};

    cairn_batch *b = make_batch(CAIRN_AGENT_CLAUDE, v1, 1, NULL, 0, "");
    b->sessions[0].nmessages = 3; /* past the end of messages: refused, and b freed */
    assert_int_equal(cairn_registry_add_take(r, b, &e), CAIRN_INVAL);
    assert_non_null(strstr(e.msg, "session 'A'"));
    b = make_batch(CAIRN_AGENT_CLAUDE, v1, 1, NULL, 0, "");
    b->messages[1].first_part = UINT32_MAX;
    assert_int_equal(cairn_registry_add_take(r, b, &e), CAIRN_INVAL);
    assert_non_null(strstr(e.msg, "message 'A/m1'"));
    assert_int_equal(cairn_registry_add_take(r, NULL, &e), CAIRN_INVAL);
    assert_int_equal(
        cairn_registry_add_take(NULL, make_batch(CAIRN_AGENT_CLAUDE, v1, 1, NULL, 0, ""), NULL),
        CAIRN_INVAL);

    /* adding waits for readers: inside a read-side section it is refused */
    cairn_registry_read_begin();
    b = make_batch(CAIRN_AGENT_CLAUDE, v1, 1, NULL, 0, "");
    assert_int_equal(cairn_registry_add_take(r, b, &e), CAIRN_BUSY);
    cairn_registry_read_end();

    cairn_registry_stats st = stats(r);
    assert_int_equal(st.batches, 0);
    assert_int_equal(st.sessions, 0);
    assert_int_equal(cairn_registry_messages_of(r, NULL, NULL), 0);
    assert_null(cairn_registry_session(NULL, CAIRN_AGENT_NONE, cn_str("A")));
    cairn_registry_free(r);
}

/* ---- readers against a writer ---- */

#define NSES 5
#define ROUNDS 200

typedef struct reader_ctx {
    cairn_registry *r;
    atomic_bool *stop;
    atomic_size_t loops;
    atomic_size_t bad;
} reader_ctx;

/* Messages and parts of s agree with its counts and point back to it. */
static bool consistent(cairn_registry *r, const cairn_session *s)
{
    const cairn_message *ms;
    size_t n = cairn_registry_messages_of(r, s, &ms);
    if (n != s->nmessages || n == 0)
        return false;
    for (size_t j = 0; j < n; j++) {
        if (!cn_str_eq(ms[j].session_id, s->id))
            return false;
        const cairn_part *ps;
        size_t np = cairn_registry_parts_of(r, &ms[j], &ps);
        if (np != ms[j].nparts || np != nparts_of((uint32_t)j))
            return false;
        for (size_t k = 0; k < np; k++)
            if (!cn_str_eq(ps[k].message_id, ms[j].id) || !cn_str_eq(ps[k].session_id, s->id))
                return false;
    }
    return true;
}

static void *reader(void *arg)
{
    reader_ctx *c = arg;
    cairn_thread_register();
    while (!atomic_load(c->stop)) {
        size_t bad = 0;
        cairn_registry_read_begin();
        for (int i = 0; i < NSES; i++) {
            char id[16];
            snprintf(id, sizeof id, "s%d", i);
            const cairn_session *s = ses(c->r, CAIRN_AGENT_CLAUDE, id);
            bad += !s || !consistent(c->r, s);
        }
        const cairn_message *m = msg(c->r, "s0/m0"); /* every copy has it */
        const cairn_part *ps;
        bad +=
            !m || cairn_registry_parts_of(c->r, m, &ps) != 1 || !cn_str_eqc(ps[0].id, "s0/m0/p0");
        const cairn_session *out[NSES + 1];
        size_t n = cairn_registry_sessions_updated_since(c->r, 0, out, NSES + 1);
        bad += n != NSES;
        for (size_t i = 0; i < n && i < NSES; i++) {
            bad += !consistent(c->r, out[i]);
            bad += i > 0 && out[i]->time_updated_ms > out[i - 1]->time_updated_ms;
        }
        cairn_registry_read_end();
        atomic_fetch_add(&c->bad, bad);
        atomic_fetch_add(&c->loops, 1);
    }
    cairn_thread_unregister();
    return NULL;
}

/* Generation g: every session on odd rounds, only the first three on even ones. */
static cairn_batch *generation(int g)
{
    ses_spec ss[NSES];
    char ids[NSES][16], titles[NSES][16];
    size_t n = g % 2 ? NSES : 3;
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof ids[i], "s%zu", i);
        snprintf(titles[i], sizeof titles[i], "gen %d", g);
        ss[i] = (ses_spec){ids[i], i % 2 ? "P" : "Q", titles[i], (int64_t)g * 10 + (int64_t)i,
                           (uint32_t)((size_t)g + i) % 4 + 1};
    }
    return make_batch(CAIRN_AGENT_CLAUDE, ss, n, NULL, 0, "");
}

static void test_concurrent_readers(void **state)
{
    (void)state;
    cairn_registry *r = new_registry();
    add(r, generation(1));
    atomic_bool stop = false;
    reader_ctx ctx[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        ctx[i] = (reader_ctx){.r = r, .stop = &stop};
        atomic_init(&ctx[i].loops, 0);
        atomic_init(&ctx[i].bad, 0);
        assert_int_equal(pthread_create(&th[i], NULL, reader, &ctx[i]), 0);
    }
    while (atomic_load(&ctx[0].loops) == 0 || atomic_load(&ctx[1].loops) == 0)
        sched_yield();
    uint64_t t0 = cn_mono_ns();
    for (int g = 2; g < 2 + ROUNDS; g++)
        add(r, generation(g));
    uint64_t add_ns = cn_mono_ns() - t0;
    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);

    for (int i = 0; i < 2; i++) {
        assert_int_equal(atomic_load(&ctx[i].bad), 0);
        assert_true(atomic_load(&ctx[i].loops) > 1);
    }
    cairn_registry_stats st = stats(r);
    assert_int_equal(st.sessions, NSES);
    assert_int_equal(st.batches, 1); /* the last round had every session */
    assert_int_equal(st.replaced, (size_t)ROUNDS / 2 * (NSES + 3));
    cairn_registry_read_begin();
    assert_true(cn_str_eqc(ses(r, CAIRN_AGENT_CLAUDE, "s0")->title, "gen 201"));
    assert_true(cn_str_eqc(ses(r, CAIRN_AGENT_CLAUDE, "s4")->title, "gen 201"));
    cairn_registry_read_end();
    cairn_registry_free(r);
    print_message("# %d adds in %.1f ms, readers looped %zu and %zu times\n", ROUNDS,
                  (double)add_ns / 1e6, atomic_load(&ctx[0].loops), atomic_load(&ctx[1].loops));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_session_absent_from_replacement),
        cmocka_unit_test(test_projects),
        cmocka_unit_test(test_sessions_for_project),
        cmocka_unit_test(test_updated_since),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_concurrent_readers),
    };
    cairn_thread_register();
    int rc = cmocka_run_group_tests_name("registry", tests, NULL, NULL);
    cairn_thread_unregister();
    return rc;
}
