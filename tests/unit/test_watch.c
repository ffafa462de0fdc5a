/*
 * Unit tests for watch/: the generation clock and the dirty tracker
 * (dedupe, per-path debounce, the next deadline, whole roots), the inotify
 * watcher marking the paths it sees (and its fallback to polling at a
 * directory limit), partial plans of changed paths for Claude and Codex
 * (cairn_plan_paths), and an ingest of changed paths that marks gone only
 * what those paths named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn/cairn.h"
#include "base/str.h"
#include "watch/dirty.h"
#include "watch/watch.h"

#include "fixture.h"

#define MS 1000000ull

static char root[256];

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "%s/cairn-watch-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(root);
    return 0;
}

static void put(const char *rel, const char *text)
{
    char p[512], dir[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    snprintf(dir, sizeof dir, "%s", p);
    for (char *s = dir + strlen(root) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        mkdir(dir, 0755);
        *s = '/';
    }
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void gone(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    assert_int_equal(unlink(p), 0);
}

/* ---- the clock and the tracker ---- */

static void test_clock(void **state)
{
    (void)state;
    cn_genclock c = {0};
    assert_int_equal(cn_gen_now(&c), 0);
    assert_int_equal(cn_gen_tick(&c), 1);
    assert_int_equal(cn_gen_tick(&c), 2);
    assert_int_equal(cn_gen_now(&c), 2);
}

static void test_dirty_dedupe(void **state)
{
    (void)state;
    cn_dirty d;
    cn_dirty_init(&d);
    assert_int_equal(cn_dirty_mark(&d, 0, "/a/x.jsonl", 10, 1, 100 * MS), CAIRN_OK);
    assert_int_equal(cn_dirty_mark(&d, 0, "/a/x.jsonl", 10, 3, 120 * MS), CAIRN_OK);
    assert_int_equal(cn_dirty_mark(&d, 1, "/a/x.jsonl", 10, 2, 120 * MS), CAIRN_OK); /* root 1 */
    assert_int_equal(cn_dirty_mark(&d, 0, "/a/x.jsonl.tmp", 10, 2, 120 * MS), CAIRN_OK); /* len */
    assert_int_equal(cn_dirty_mark(&d, 0, NULL, 0, 4, 130 * MS), CAIRN_OK);
    assert_int_equal(cn_dirty_count(&d), 3);
    assert_int_equal(cn_dirty_gen(&d, 0, "/a/x.jsonl", 10), 3); /* the newer generation */
    assert_int_equal(cn_dirty_gen(&d, 1, "/a/x.jsonl", 10), 2);
    assert_int_equal(cn_dirty_gen(&d, 0, NULL, 0), 4);
    assert_int_equal(cn_dirty_gen(&d, 2, "/a/x.jsonl", 10), 0);
    /* many paths: the index grows and still finds each */
    char p[32];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(p, sizeof p, "/b/%d", i);
        assert_int_equal(cn_dirty_mark(&d, 0, p, (size_t)n, (uint64_t)i + 10, 0), CAIRN_OK);
    }
    assert_int_equal(cn_dirty_count(&d), 1003);
    assert_int_equal(cn_dirty_gen(&d, 0, "/b/777", 6), 787);
    cn_dirty_release(&d);
}

static void test_dirty_debounce(void **state)
{
    (void)state;
    cn_dirty d;
    cn_dirty_entry *out = NULL;
    size_t n = 0;
    uint64_t next;
    cn_dirty_init(&d);
    /* a path written every 10 ms from t=0, another written once at t=5 */
    for (uint64_t t = 0; t <= 70; t += 10)
        cn_dirty_mark(&d, 0, "/busy", 5, t + 1, t * MS);
    cn_dirty_mark(&d, 0, "/quiet", 6, 9, 5 * MS);
    /* at 50 ms nothing is ready: /quiet became quiet at 55, /busy is capped at 80 */
    assert_int_equal(cn_dirty_take(&d, 50 * MS, 50 * MS, 80 * MS, &out, &n, &next), CAIRN_OK);
    assert_int_equal(n, 0);
    assert_int_equal(next, 55 * MS);
    assert_int_equal(cn_dirty_take(&d, 55 * MS, 50 * MS, 80 * MS, &out, &n, &next), CAIRN_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].path, "/quiet");
    assert_int_equal(out[0].gen, 9);
    assert_int_equal(next, 80 * MS); /* /busy: dirty for 80 ms then, still not quiet */
    assert_int_equal(cn_dirty_count(&d), 1);
    assert_int_equal(cn_dirty_gen(&d, 0, "/quiet", 6), 0);
    assert_int_equal(cn_dirty_gen(&d, 0, "/busy", 5), 71);
    assert_int_equal(cn_dirty_take(&d, 80 * MS, 50 * MS, 80 * MS, &out, &n, &next), CAIRN_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[1].path, "/busy");
    assert_int_equal(out[1].first_ns, 0);
    assert_int_equal(out[1].last_ns, 70 * MS);
    assert_int_equal(next, 0);
    assert_int_equal(cn_dirty_count(&d), 0);
    /* marked again after it was taken: dirty again, from the new time */
    cn_dirty_mark(&d, 0, "/busy", 5, 20, 90 * MS);
    assert_int_equal(cn_dirty_gen(&d, 0, "/busy", 5), 20);
    cn_dirty_entries_free(out, n);
    cn_dirty_release(&d);
}

/* ---- the inotify watcher ---- */

static bool marked(const cn_dirty *d, const char *path)
{
    return cn_dirty_gen(d, 0, path, strlen(path)) != 0;
}

static void test_watch_inotify(void **state)
{
    (void)state;
    char dir[300], path[400], warn[256];
    cn_watch *w;
    cn_watch_opts o = {CN_WATCH_INOTIFY, 0};
    cn_dirty d;
    cn_genclock clock = {0};
    size_t events = 0;
    cairn_err e;

    snprintf(dir, sizeof dir, "%s/w", root);
    mkdir(dir, 0755);
    const char *roots[] = {dir};
    assert_int_equal(cn_watch_open(roots, 1, &o, &w, warn, sizeof warn, &e), CAIRN_OK);
    assert_string_equal(warn, "");
    assert_int_equal(cn_watch_backend(w), CN_WATCH_INOTIFY);
    cn_dirty_init(&d);
    put("w/a.jsonl", "x\n");
    assert_int_equal(cn_watch_wait(w, 2000, &d, &clock, &events, &e), CAIRN_OK);
    assert_true(events > 0);
    snprintf(path, sizeof path, "%s/a.jsonl", dir);
    assert_true(marked(&d, path));
    assert_true(cn_gen_now(&clock) >= 1);
    /* a new directory is watched: a file created in it afterwards is seen */
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0755);
    assert_int_equal(cn_watch_wait(w, 2000, &d, &clock, &events, &e), CAIRN_OK);
    assert_true(marked(&d, path)); /* the directory itself: its source is re-planned */
    assert_int_equal(cn_watch_dirs(w), 2);
    put("w/sub/b.jsonl", "y\n");
    for (int i = 0; i < 20 && !marked(&d, strcat(path, "/b.jsonl")); i++) {
        snprintf(path, sizeof path, "%s/sub", dir);
        cn_watch_wait(w, 100, &d, &clock, &events, &e);
    }
    snprintf(path, sizeof path, "%s/sub/b.jsonl", dir);
    assert_true(marked(&d, path));
    cn_watch_close(w);
    cn_dirty_release(&d);
}

static void test_watch_limit(void **state)
{
    (void)state;
    char dir[300], warn[256];
    cn_watch *w;
    cn_watch_opts o = {CN_WATCH_INOTIFY, 2}; /* at most two directories */
    cn_dirty d;
    cn_genclock clock = {0};
    size_t events;
    cairn_err e;

    put("l/a/x", "");
    put("l/b/x", "");
    snprintf(dir, sizeof dir, "%s/l", root);
    const char *roots[] = {dir};
    assert_int_equal(cn_watch_open(roots, 1, &o, &w, warn, sizeof warn, &e), CAIRN_OK);
    assert_int_equal(cn_watch_backend(w), CN_WATCH_POLL);
    assert_non_null(strstr(warn, "watch limit"));
    assert_non_null(strstr(warn, "polling"));
    /* polling marks the whole root each interval */
    cn_dirty_init(&d);
    assert_int_equal(cn_watch_wait(w, 10, &d, &clock, &events, &e), CAIRN_OK);
    assert_int_equal(events, 1);
    assert_int_not_equal(cn_dirty_gen(&d, 0, NULL, 0), 0);
    cn_watch_close(w);
    cn_dirty_release(&d);
}

/* ---- partial plans ---- */

static cairn_plan *plan_paths(cairn_agent agent, const char *const *paths, size_t n,
                              cairn_rc expect)
{
    cairn_source s = {.agent = agent};
    cairn_plan *p = NULL;
    cairn_report *rep = cairn_report_new();
    cairn_err e;
    snprintf(s.path, sizeof s.path, "%s", root);
    assert_int_equal(cairn_plan_paths(&s, paths, n, &p, rep, &e), expect);
    cairn_report_free(rep);
    return p;
}

static bool covers(const cairn_plan *p, const char *id)
{
    for (size_t i = 0; i < cairn_plan_ncovered(p); i++)
        if (cn_str_eqc(cairn_plan_covered(p, i), id))
            return true;
    return false;
}

static void test_plan_paths_claude(void **state)
{
    (void)state;
    put("projects/-w/s1.jsonl", "{}\n");
    put("projects/-w/s2.jsonl", "{}\n");
    put("projects/-w/s1/subagents/agent-a.jsonl", "{}\n");
    put("projects/-w/s1/subagents/agent-a.meta.json", "{}");
    put("projects/-w/s1.jsonl.tmp", "{}\n");

    const char *one[] = {"projects/-w/s1.jsonl", "projects/-w/s1.jsonl.tmp",
                         "projects/-w/.s1.jsonl.swp", "projects/.trash"};
    cairn_plan *p = plan_paths(CAIRN_AGENT_CLAUDE, one, 4, CAIRN_OK);
    assert_true(cairn_plan_is_partial(p));
    assert_int_equal(cairn_plan_count(p), 1); /* s1 only: temp and hidden files are passed over */
    cairn_plan_item *it = cairn_plan_item_at(p, 0);
    assert_true(cn_str_eqc(it->id, "s1"));
    assert_true(cn_str_eqc(it->parent_id, "-w"));
    assert_int_equal(it->size, 3);
    assert_int_equal(cairn_plan_ncovered(p), 1);
    assert_true(covers(p, "s1") && !covers(p, "s2"));
    cairn_plan_free(p);

    /* one session's two files in one change (a copy): both planned, covered once */
    put("projects/-v/s1.jsonl", "{}\n");
    const char *copies[] = {"projects/-w/s1.jsonl", "projects/-v/s1.jsonl",
                            "projects/-w/s1.jsonl"};
    p = plan_paths(CAIRN_AGENT_CLAUDE, copies, 3, CAIRN_OK);
    assert_int_equal(cairn_plan_count(p), 2);
    assert_int_equal(cairn_plan_ncovered(p), 1);
    cairn_plan_free(p);
    gone("projects/-v/s1.jsonl");

    /* a sub-agent: its transcript and its .meta.json, whichever changed */
    const char *sub[] = {"projects/-w/s1/subagents/agent-a.meta.json",
                         "projects/-w/s1/subagents/agent-a.jsonl"};
    p = plan_paths(CAIRN_AGENT_CLAUDE, sub, 2, CAIRN_OK);
    assert_int_equal(cairn_plan_count(p), 2);
    assert_int_equal(cairn_plan_ncovered(p), 1);
    for (size_t i = 0; i < 2; i++) {
        it = cairn_plan_item_at(p, i);
        assert_true(cn_str_eqc(it->session_id, "agent-a"));
        assert_true(cn_str_eqc(it->parent_id, "s1"));
    }
    assert_int_not_equal(cairn_plan_item_at(p, 0)->kind, cairn_plan_item_at(p, 1)->kind);
    cairn_plan_free(p);

    /* directories, a path gone that may have been one, and a transcript gone (a copy
     * of its session may live elsewhere): planned whole */
    const char *dirs[][1] = {{"projects/-w"},
                             {"projects/-w/s1/subagents"},
                             {"projects/-x"},
                             {"projects"},
                             {"elsewhere/s.jsonl"},
                             {"projects/-w/gone.jsonl"}};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        assert_null(plan_paths(CAIRN_AGENT_CLAUDE, dirs[i], 1, CAIRN_AGAIN));
    /* opencode is always planned whole */
    assert_null(plan_paths(CAIRN_AGENT_OPENCODE, one, 1, CAIRN_AGAIN));
}

#define UUID "0199a213-81c0-7800-8aa1-bbab2a035a53"

static void test_plan_paths_codex(void **state)
{
    (void)state;
    const char *live = "sessions/2026/11/21/rollout-2026-11-21T08-00-00-" UUID ".jsonl";
    put(live, "{}\n");
    put("sessions/2026/11/21/rollout-2026-11-21T08-00-00-" UUID ".jsonl.zst", "zz");
    const char *paths[] = {live, "sessions/2026/11/21/notes.txt"};
    cairn_plan *p = plan_paths(CAIRN_AGENT_CODEX, paths, 2, CAIRN_OK);
    assert_int_equal(cairn_plan_count(p), 2); /* both forms, the .zst shadowed */
    size_t shadowed = 0;
    for (size_t i = 0; i < 2; i++) {
        cairn_plan_item *it = cairn_plan_item_at(p, i);
        assert_true(cn_str_eqc(it->id, UUID));
        if (it->shadowed) {
            shadowed++;
            assert_true(it->path.len > 4 && !memcmp(it->path.ptr + it->path.len - 4, ".zst", 4));
        }
    }
    assert_int_equal(shadowed, 1);
    assert_int_equal(cairn_plan_ncovered(p), 1);
    cairn_plan_free(p);
    const char *archived[] = {"archived_sessions/rollout-2026-11-21T08-00-00-" UUID ".jsonl"};
    assert_null(plan_paths(CAIRN_AGENT_CODEX, archived, 1, CAIRN_AGAIN));
    const char *day[] = {"sessions/2026/11/21"};
    assert_null(plan_paths(CAIRN_AGENT_CODEX, day, 1, CAIRN_AGAIN));
}

/* ---- an ingest of changed paths ---- */

#define LINE(sid, text)                                                                            \
    "{\"type\":\"user\",\"uuid\":\"u-" sid "\",\"parentUuid\":null,\"sessionId\":\"" sid           \
    "\",\"timestamp\":\"2026-11-21T06:00:00.000Z\",\"cwd\":\"/w\",\"message\":{\"role\":"          \
    "\"user\",\"content\":\"" text "\"}}\n"

static size_t ingest_of(cairn_agent agent, const char *dir, cairn_store *s,
                        const char *const *paths, size_t n, cairn_ingest_stats *st)
{
    cairn_source src = {.agent = agent};
    snprintf(src.path, sizeof src.path, "%s/%s", root, dir);
    cairn_ingest_opts o = {.sources = &src, .nsources = 1, .paths = paths, .npaths = n};
    cairn_report *rep = cairn_report_new();
    cairn_err e;
    assert_int_equal(cairn_store_ingest(s, &o, st, rep, &e), CAIRN_OK);
    size_t issues = cairn_report_count(rep);
    cairn_report_free(rep);
    return issues;
}

static size_t ingest(cairn_store *s, const char *const *paths, size_t n, cairn_ingest_stats *st)
{
    return ingest_of(CAIRN_AGENT_CLAUDE, "c", s, paths, n, st);
}

static void test_ingest_paths(void **state)
{
    (void)state;
    char data[300];
    cairn_store *s;
    cairn_ingest_stats st;
    cairn_err e;

    put("c/projects/-w/one.jsonl", LINE("one", "alpha"));
    put("c/projects/-w/two.jsonl", LINE("two", "beta"));
    put("c/projects/-w/three.jsonl", LINE("three", "gamma"));
    snprintf(data, sizeof data, "%s/data", root);
    assert_int_equal(cairn_store_open(data, 0, &s, &e), CAIRN_OK);
    assert_int_equal(ingest(s, NULL, 0, &st), 0);
    assert_int_equal(st.sessions_new, 3);
    assert_int_equal(st.sources_partial, 0);

    /* one grows, and only it is named */
    put("c/projects/-w/one.jsonl", LINE("one", "alpha") LINE("one", "delta"));
    const char *changed[] = {"projects/-w/one.jsonl"};
    assert_int_equal(ingest(s, changed, 1, &st), 0);
    assert_int_equal(st.sources_partial, 1);
    assert_int_equal(st.sessions_changed, 1);
    assert_int_equal(st.sessions_unchanged, 0); /* nothing else was even looked at */

    /* two and three are deleted, and two is named: a path gone is planned with the
     * whole source (a copy of its session may live elsewhere), which finds both */
    gone("c/projects/-w/two.jsonl");
    gone("c/projects/-w/three.jsonl");
    const char *deleted[] = {"projects/-w/two.jsonl"};
    assert_int_equal(ingest(s, deleted, 1, &st), 0);
    assert_int_equal(st.sources_partial, 0);
    assert_int_equal(st.sessions_gone, 2);
    assert_int_equal(st.sessions_unchanged, 1);
    assert_int_equal(ingest(s, NULL, 0, &st), 0);
    assert_int_equal(st.sessions_gone, 0);
    assert_int_equal(st.sessions_unchanged, 1);

    /* paths with several sources are refused */
    cairn_source two[2] = {{.agent = CAIRN_AGENT_CLAUDE}, {.agent = CAIRN_AGENT_CLAUDE}};
    cairn_ingest_opts o = {.sources = two, .nsources = 2, .paths = changed, .npaths = 1};
    assert_int_equal(cairn_store_ingest(s, &o, &st, NULL, &e), CAIRN_INVAL);
    cairn_store_close(s);
}

/*
 * A live indexer keeps its connection open while others write the store: no read of
 * its own may outlive the ingest that made it.  A statement left on a row held the
 * connection's snapshot, and once another connection had committed, every later
 * ingest's BEGIN IMMEDIATE failed at once (SQLITE_BUSY_SNAPSHOT) until a restart.
 */
static void test_ingest_beside_writers(void **state)
{
    (void)state;
    char data[300];
    cairn_store *s, *other;
    cairn_ingest_stats st;
    cairn_err e;

    put("c/projects/-w/one.jsonl", LINE("one", "alpha"));
    snprintf(data, sizeof data, "%s/data", root);
    assert_int_equal(cairn_store_open(data, 0, &s, &e), CAIRN_OK);
    assert_int_equal(cairn_store_open(data, 0, &other, &e), CAIRN_OK);
    assert_int_equal(ingest(s, NULL, 0, &st), 0);
    assert_int_equal(st.sessions_new, 1);
    for (int round = 0; round < 3; round++) {
        /* another connection commits, then the session grows and is indexed again */
        assert_int_equal(cairn_memory_save(other, "p", "k", "v", NULL, 0, NULL, &e), CAIRN_OK);
        put("c/projects/-w/one.jsonl",
            round == 0   ? LINE("one", "alpha") LINE("one", "beta")
            : round == 1 ? LINE("one", "alpha") LINE("one", "beta") LINE("one", "gamma")
                         : LINE("one", "alpha") LINE("one", "beta") LINE("one", "gamma")
                               LINE("one", "delta"));
        const char *changed[] = {"projects/-w/one.jsonl"};
        assert_int_equal(ingest(s, round == 2 ? NULL : changed, round == 2 ? 0 : 1, &st), 0);
        assert_int_equal(st.sessions_changed, 1);
    }
    cairn_store_close(other);
    cairn_store_close(s);
}

/* Hits of query in session sid. */
static size_t hits(cairn_store *s, const char *query, const char *sid)
{
    cairn_query q;
    cairn_hits *h;
    cairn_err e;
    assert_int_equal(cairn_query_parse(query, &q, &e), CAIRN_OK);
    cairn_search_opts o = {.query = &q, .session = sid};
    assert_int_equal(cairn_store_search(s, &o, &h, &e), CAIRN_OK);
    size_t n = h->n;
    cairn_hits_free(h);
    return n;
}

/* The "messages" count of session sid in its JSON. */
static long messages_of(cairn_store *s, const char *sid)
{
    char *json;
    size_t len;
    cairn_err e;
    assert_int_equal(cairn_session_json(s, sid, 0, &json, &len, &e), CAIRN_OK);
    const char *m = strstr(json, "\"messages\":");
    long n = m ? strtol(m + 11, NULL, 10) : -1;
    free(json);
    return n;
}

#define TURN_LINE(uuid, text)                                                                      \
    "{\"type\":\"user\",\"uuid\":\"" uuid "\",\"parentUuid\":null,\"sessionId\":\"t1\","           \
    "\"timestamp\":\"2026-11-21T06:00:00.000Z\",\"cwd\":\"/w\",\"message\":{\"role\":\"user\","    \
    "\"content\":\"" text "\"}}\n"

/*
 * A turn posted over the API into an agent's session stays searchable when the live
 * index reads the session again (it is not in the agent's files, and was deleted).
 */
static void test_turn_in_agent_session(void **state)
{
    (void)state;
    char data[300], tid[40];
    cairn_store *s;
    cairn_ingest_stats st;
    cairn_err e;
    size_t n;

    put("c/projects/-w/t1.jsonl", TURN_LINE("u1", "alpha"));
    snprintf(data, sizeof data, "%s/data", root);
    assert_int_equal(cairn_store_open(data, 0, &s, &e), CAIRN_OK);
    assert_int_equal(ingest(s, NULL, 0, &st), 0);
    assert_int_equal(st.sessions_new, 1);
    cairn_turn t = {
        .user_message = "a marimba question", .assistant_message = "an answer", .session_id = "t1"};
    assert_int_equal(cairn_turn_enqueue(s, &t, tid, sizeof tid, &e), CAIRN_OK);
    assert_int_equal(cairn_turns_index(s, 0, &n, &e), CAIRN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(hits(s, "marimba", "t1"), 1);
    assert_int_equal(messages_of(s, "t1"), 3);

    /* the transcript grows (a resumed read) and is then read whole: the turn stays */
    put("c/projects/-w/t1.jsonl", TURN_LINE("u1", "alpha") TURN_LINE("u2", "beta"));
    const char *changed[] = {"projects/-w/t1.jsonl"};
    assert_int_equal(ingest(s, changed, 1, &st), 0);
    assert_int_equal(st.sessions_changed, 1);
    assert_int_equal(hits(s, "marimba", "t1"), 1);
    assert_int_equal(hits(s, "beta", "t1"), 1);
    assert_int_equal(messages_of(s, "t1"), 4);
    put("c/projects/-w/t1.jsonl", TURN_LINE("u1", "alpha") TURN_LINE("u2", "gamma"));
    assert_int_equal(ingest(s, NULL, 0, &st), 0);
    assert_int_equal(st.sessions_changed, 1);
    assert_int_equal(hits(s, "marimba", "t1"), 1);
    assert_int_equal(hits(s, "gamma", "t1"), 1);
    assert_int_equal(hits(s, "beta", "t1"), 0);
    assert_int_equal(messages_of(s, "t1"), 4);
    cairn_store_close(s);
}

#define OC_SES "ses_e035d3b41ffe3qLy5PIsDqpvVj"
#define OC_MSG "msg_1fca2c4d9001O095yxU1BDX55e"
#define OC_PART "storage/part/" OC_MSG "/prt_1fca2c4db001rT2ElC5PF5IyR0.json"

/* opencode's G1 tree (storage/): a changed part re-plans its session alone, with the very
 * fingerprint a whole plan gives it; with a database beside the tree, the source is whole. */
static void test_ingest_paths_g1(void **state)
{
    (void)state;
    char data[300], from[4096], oc[300];
    cairn_store *s;
    cairn_ingest_stats st;
    cairn_err e;

    snprintf(oc, sizeof oc, "%s/oc", root);
    mkdir(oc, 0755);
    snprintf(from, sizeof from, "%s/fixtures/opencode/json-1.1.65", shared_dir());
    copy_tree(from, oc);
    snprintf(data, sizeof data, "%s/data", root);
    assert_int_equal(cairn_store_open(data, 0, &s, &e), CAIRN_OK);
    assert_int_equal(ingest_of(CAIRN_AGENT_OPENCODE, "oc", s, NULL, 0, &st), 0);
    size_t sessions = st.sessions_new;
    assert_true(sessions > 1);

    put("oc/" OC_PART,
        "{\"id\":\"prt_1fca2c4db001rT2ElC5PF5IyR0\",\"sessionID\":\"" OC_SES
        "\",\"messageID\":\"" OC_MSG "\",\"type\":\"text\",\"text\":\"quaggaword\"}");
    const char *changed[] = {OC_PART};
    assert_int_equal(ingest_of(CAIRN_AGENT_OPENCODE, "oc", s, changed, 1, &st), 0);
    assert_int_equal(st.sources_partial, 1);
    assert_int_equal(st.sessions_changed, 1);
    assert_int_equal(st.sessions_unchanged + st.sessions_new + st.sessions_gone, 0);
    cairn_query q;
    cairn_hits *h;
    assert_int_equal(cairn_query_parse("quaggaword", &q, &e), CAIRN_OK);
    cairn_search_opts so = {.query = &q};
    assert_int_equal(cairn_store_search(s, &so, &h, &e), CAIRN_OK);
    assert_int_equal(h->n, 1);
    cairn_hits_free(h);
    /* the whole plan agrees: nothing is left to re-read */
    assert_int_equal(ingest_of(CAIRN_AGENT_OPENCODE, "oc", s, NULL, 0, &st), 0);
    assert_int_equal(st.sessions_changed + st.sessions_new + st.sessions_gone, 0);
    assert_int_equal(st.sessions_unchanged, sessions);

    /* a project file cannot be planned alone; a database beside the tree shadows it */
    const char *project[] = {"storage/project/global.json"};
    assert_int_equal(ingest_of(CAIRN_AGENT_OPENCODE, "oc", s, project, 1, &st), 0);
    assert_int_equal(st.sources_partial, 0);
    put("oc/opencode.db", ""); /* an empty database: its missing tables are issues */
    assert_true(ingest_of(CAIRN_AGENT_OPENCODE, "oc", s, changed, 1, &st) > 0);
    assert_int_equal(st.sources_partial, 0);
    cairn_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock),
        cmocka_unit_test(test_dirty_dedupe),
        cmocka_unit_test(test_dirty_debounce),
        cmocka_unit_test_setup_teardown(test_watch_inotify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_paths_claude, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plan_paths_codex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_beside_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_turn_in_agent_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ingest_paths_g1, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
