/*
 * Unit tests for source/codex: small hand-written $CODEX_HOME trees loaded with
 * cairn_plan_new() / cairn_source_load(), then the plan items and records checked one
 * by one (shared/formats/codex.md).
 *
 * Lines are written with single quotes and turned into JSON at run time (' -> "), so
 * the texts below must not contain apostrophes.
 *  - test_plan: the folder layout (dated sessions/, flat and dated archived_sessions/,
 *    .jsonl.zst, duplicate copies shadowed, files that must never be planned);
 *  - test_mixed: every record kind of a 0.169-style rollout (harness messages, prompt
 *    events, reasoning, five kinds of tool calls with their outputs, an orphan output,
 *    an unanswered call, compacted, token_usage_record, skipped kinds, ids);
 *  - test_050: 0.50's JSON-string tool output, the prompt event written before its item,
 *    the last token_count winning over token_usage_record;
 *  - test_prefix_only: harness text told by its wrapper when a file has no prompt events;
 *  - test_bad_lines, test_huge_line: issues at file:line, the rest of the file read;
 *  - test_zst_*: compressed rollouts, whole, cut short, damaged, not zstd, over the limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/str.h"
#include "cairn/source.h"
#include "source/codex/codex.h"

#include "fixture.h"

#define U1 "01a1fca5-0000-7000-8000-000000000001"
#define U2 "01a1fca5-0000-7000-8000-0000000000b2"
#define U3 "01a1fca5-0000-7000-8000-000000000003"
#define U4 "01a1fca5-0000-7000-8000-000000000004"
#define DAY "sessions/2026/11/21/"
#define TS(s) "'timestamp':'2026-11-21T05:00:" s "Z'"
#define ITEM(s, body) "{" TS(s) ",'type':'response_item','payload':{" body "}}"
#define EVENT(s, body) "{" TS(s) ",'type':'event_msg','payload':{" body "}}"
#define META(id, s, extra)                                                                         \
    "{" TS(s) ",'type':'session_meta','payload':{'id':'" id "','timestamp':'2026-11-21T05:00:" s   \
              "Z','cwd':'/home/dev/src/proj'" extra "}}"
#define USER(s, text)                                                                              \
    ITEM(s, "'type':'message','role':'user','content':[{'type':'input_text','text':'" text "'}]")
#define REPLY(s, text)                                                                             \
    ITEM(s, "'type':'message','role':'assistant','content':[{'type':'output_text','text':'" text   \
            "'}]")

/* ---- fixture helpers ---- */

typedef struct fx {
    char root[64];
    cairn_batch *b;
    cairn_report *rep;
} fx;

static char *json_of(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    for (char *p = d; *p; p++)
        if (*p == '\'')
            *p = '"';
    return d;
}

static void mkdirs(const char *root, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
}

static void put(const fx *f, const char *rel, const void *data, size_t len)
{
    char path[4096];
    mkdirs(f->root, rel);
    snprintf(path, sizeof path, "%s/%s", f->root, rel);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

/* lines joined by '\n'; the last one too unless partial_tail */
static void put_lines(const fx *f, const char *rel, const char *const *lines, size_t n,
                      bool partial_tail)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += strlen(lines[i]) + 1;
    char *all = calloc(1, cap), *p = all;
    assert_non_null(all);
    for (size_t i = 0; i < n; i++) {
        char *j = json_of(lines[i]);
        size_t len = strlen(j);
        memcpy(p, j, len);
        p += len;
        if (i + 1 < n || !partial_tail)
            *p++ = '\n';
        free(j);
    }
    put(f, rel, all, (size_t)(p - all));
    free(all);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->root, sizeof f->root, "/tmp/cairn-codex-XXXXXX");
    if (!mkdtemp(f->root))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    cairn_batch_free(f->b);
    cairn_report_free(f->rep);
    rm_tree(f->root);
    free(f);
    return 0;
}

static void load(fx *f)
{
    cairn_source s = {.agent = CAIRN_AGENT_CODEX};
    cairn_err e;
    snprintf(s.path, sizeof s.path, "%s", f->root);
    f->rep = cairn_report_new();
    assert_int_equal(cairn_source_load(&s, &f->b, f->rep, &e), CAIRN_OK);
}

static bool str_is(cairn_str s, const char *want)
{
    if (!want)
        return s.ptr == NULL;
    return s.ptr && cn_str_eqc(s, want);
}

#define assert_str(s, want)                                                                        \
    do {                                                                                           \
        cairn_str s_ = (s);                                                                        \
        if (!str_is(s_, want))                                                                     \
            fail_msg("%s is '%.*s', expected '%s'", #s, CAIRN_STR_FMT(s_), want ? want : "NULL");  \
    } while (0)

static const cairn_message *msg(const fx *f, const cairn_session *s, uint32_t k)
{
    assert_true(k < s->nmessages);
    return &f->b->messages[s->first_message + k];
}

static const cairn_part *part(const fx *f, const cairn_message *m, uint32_t k)
{
    assert_true(k < m->nparts);
    return &f->b->parts[m->first_part + k];
}

static size_t issues(const fx *f)
{
    return cairn_report_count(f->rep);
}

/* True when an issue's location ends with where_end and its text holds what. */
static bool has_issue(const fx *f, const char *where_end, const char *what)
{
    for (size_t i = 0; i < cairn_report_count(f->rep); i++) {
        const cairn_issue *is = cairn_report_get(f->rep, i);
        size_t wl = strlen(is->where), el = strlen(where_end);
        if (wl >= el && !strcmp(is->where + wl - el, where_end) && strstr(is->what, what))
            return true;
    }
    return false;
}

static void print_issues(const fx *f)
{
    for (size_t i = 0; i < cairn_report_count(f->rep); i++)
        print_message("issue: %s: %s\n", cairn_report_get(f->rep, i)->where,
                      cairn_report_get(f->rep, i)->what);
}

/* Every message and part id is unique in the batch; links point back. */
static void check_links(const fx *f)
{
    const cairn_batch *b = f->b;
    for (size_t i = 0; i < b->nmessages; i++) {
        for (size_t k = i + 1; k < b->nmessages; k++)
            assert_false(cn_str_eq(b->messages[i].id, b->messages[k].id));
        const cairn_message *m = &b->messages[i];
        const cairn_session *s = &b->sessions[m->session];
        assert_true(i >= s->first_message && i < s->first_message + s->nmessages);
        assert_true(cn_str_eq(m->session_id, s->id));
        for (uint32_t k = m->first_part; k < m->first_part + m->nparts; k++) {
            assert_int_equal(b->parts[k].message, i);
            assert_true(cn_str_eq(b->parts[k].message_id, m->id));
            assert_true(cn_str_eq(b->parts[k].session_id, s->id));
        }
    }
    for (size_t i = 0; i < b->nparts; i++)
        for (size_t k = i + 1; k < b->nparts; k++)
            assert_false(cn_str_eq(b->parts[i].id, b->parts[k].id));
    for (size_t i = 1; i < b->nsessions; i++)
        assert_true(b->sessions[i - 1].time_created_ms <= b->sessions[i].time_created_ms);
}

/* ---- plan ---- */

static void test_plan(void **state)
{
    fx *f = *state;
    static const char *const one[] = {META(U1, "00.000", "")};
    static const char *const three[] = {META(U3, "03.000", "")};
    static const char *const four[] = {META(U4, "04.000", "")};
    put_lines(f, DAY "rollout-2026-11-21T06-00-00-" U1 ".jsonl", one, 1, false);
    put(f, DAY "rollout-2026-11-21T06-00-00-" U1 ".jsonl.zst", "not read", 8);
    put(f, "archived_sessions/rollout-2026-11-21T06-00-00-" U1 ".jsonl", "not read\n", 9);
    put(f, "sessions/2026/11/22/rollout-2026-11-22T02-00-00-" U2 ".jsonl.zst", "", 0);
    put_lines(f, "archived_sessions/rollout-2026-11-21T06-00-03-" U3 ".jsonl", three, 1, false);
    put_lines(f, "archived_sessions/2026/11/21/rollout-2026-11-21T06-00-04-" U4 ".jsonl", four, 1,
              false);
    /* never planned: secrets, indexes, other files */
    put(f, "auth.json", "{\"OPENAI_API_KEY\":\"sk-secret\"}", 31);
    put(f, "config.toml", "model = 'x'\n", 12);
    put(f, "history.jsonl", "{}\n", 3);
    put(f, "session_index.jsonl", "{}\n", 3);
    put(f, "state_5.sqlite", "SQLite format 3", 15);
    put(f, DAY "notes.txt", "x", 1);
    put(f, DAY "rollout-2026-11-21T06-00-00-" U1 ".json", "x", 1);
    put(f, DAY ".rollout-hidden-" U1 ".jsonl", "x", 1);
    put(f, "sessions/2026/11/21/deeper/than/dated/rollout-x-" U1 ".jsonl", "x", 1);

    cairn_source s = {.agent = CAIRN_AGENT_CODEX};
    cairn_plan *p;
    cairn_err e;
    snprintf(s.path, sizeof s.path, "%s", f->root);
    f->rep = cairn_report_new();
    assert_int_equal(cairn_plan_new(&s, &p, f->rep, &e), CAIRN_OK);
    assert_int_equal(cairn_plan_count(p), 6);
    assert_int_equal(cairn_plan_sessions(p), 4);
    size_t shadowed = 0, zst = 0;
    for (size_t i = 0; i < cairn_plan_count(p); i++) {
        const cairn_plan_item *it = cairn_plan_item_at(p, i);
        assert_int_equal(it->kind, CAIRN_ITEM_SESSION);
        assert_int_equal(it->origin, CAIRN_ORIGIN_JSONL);
        assert_true(cn_str_eq(it->id, it->session_id));
        assert_int_equal(it->id.len, 36);
        assert_true(cn_str_starts(it->path, "sessions/") ||
                    cn_str_starts(it->path, "archived_sessions/"));
        assert_true(it->mtime_ns > 0);
        assert_true(it->selected == !it->shadowed);
        zst += cn_str_ends(it->path, ".zst");
        if (!it->shadowed)
            continue;
        shadowed++;
        /* the copies of U1: the live plain file wins */
        assert_str(it->id, U1);
        assert_false(cn_str_eqc(it->path, DAY "rollout-2026-11-21T06-00-00-" U1 ".jsonl"));
    }
    assert_int_equal(shadowed, 2);
    assert_int_equal(zst, 2);
    cairn_plan_free(p);
    assert_int_equal(issues(f), 0);

    /* read: 3 threads (U2's .zst is empty: an issue, no session) */
    cairn_report_free(f->rep);
    load(f);
    if (issues(f) != 1)
        print_issues(f);
    assert_int_equal(issues(f), 1);
    assert_true(has_issue(f, U2 ".jsonl.zst", "cut short"));
    assert_int_equal(f->b->nsessions, 3);
    assert_int_equal(f->b->nprojects, 1);
    assert_str(f->b->projects[0].name, "proj");
    for (size_t i = 0; i < 3; i++) {
        const cairn_session *x = &f->b->sessions[i];
        bool archived = !cn_str_eqc(x->id, U1);
        assert_true(cn_str_eq(x->key, x->id));
        assert_int_equal(x->time_archived_ms > 0, archived);
        assert_int_equal(x->project, 0);
    }
    assert_str(f->b->sessions[0].id, U1); /* ordered by time created */
    assert_str(f->b->sessions[2].id, U4);
    check_links(f);
}

/* ---- every kind of line ---- */

static const char *const mixed[] = {
    /* 1 */ META(U1, "00.100", ",'cli_version':'0.169.0','model_provider':'fake'"),
    /* 2 */
    ITEM("00.200", "'type':'message','role':'developer','content':[{'type':'input_text',"
                   "'text':'<permissions instructions>x'}]"),
    /* 3 */
    USER("00.300",
         "<environment_context>\\n  <cwd>/home/dev/src/proj</cwd>\\n</environment_context>"),
    /* 4 */ "{" TS("00.400") ",'type':'world_state','payload':{'full':true,'state':{}}}",
    /* 5 */ "{" TS("00.500") ",'type':'turn_context','payload':{'model':'gpt-fake','cwd':'/x'}}",
    /* 6 */
    ITEM("00.600", "'type':'message','role':'user','content':[{'type':'input_text','text':"
                   "'  Fix the parser\\nand add tests'},{'type':'input_image','image_url':"
                   "'data:image/png;base64,AAAA'}]"),
    /* 7 */ EVENT("00.700", "'type':'item_completed','item':{'type':'UserMessage','id':'u'}"),
    /* 8 */
    ITEM("00.800", "'type':'reasoning','summary':[],'content':null,'encrypted_content':'gA'"),
    /* 9 */
    ITEM("00.900", "'type':'reasoning','id':'rs_1','summary':[{'type':'summary_text','text':"
                   "'Think A'},{'type':'summary_text','text':'Think B'}]"),
    /* 10 */ REPLY("01.000", "On it."),
    /* 11 */
    ITEM("01.100", "'type':'function_call','name':'exec_command','arguments':"
                   "'{\\'cmd\\': \\'ls\\'}','call_id':'c1'"),
    /* 12 */
    ITEM("01.200", "'type':'custom_tool_call','status':'completed','call_id':'c2',"
                   "'name':'apply_patch','input':'*** Begin Patch\\n*** End Patch'"),
    /* 13 */
    ITEM("01.300", "'type':'function_call','name':'bad_args','arguments':'not json',"
                   "'call_id':'c3'"),
    /* 14 */
    ITEM("01.400", "'type':'local_shell_call','call_id':'c4','status':'completed',"
                   "'action':{'type':'exec','command':['echo','hi']}"),
    /* 15 */
    ITEM("01.500", "'type':'web_search_call','status':'completed','action':{'type':"
                   "'search','query':'zstd streaming'}"),
    /* 16 */ EVENT("01.600", "'type':'token_count','info':null"),
    /* 17 */
    ITEM("01.700", "'type':'function_call_output','call_id':'c1','output':'file-a\\nfile-b'"),
    /* 18 */ ITEM("01.800", "'type':'custom_tool_call_output','call_id':'c2','output':'Done!'"),
    /* 19 */
    ITEM("01.900", "'type':'function_call_output','call_id':'c4','output':[{'type':"
                   "'input_text','text':'hi'},{'type':'input_text','text':'there'}]"),
    /* 20 */ ITEM("02.000", "'type':'function_call_output','call_id':'c9','output':'lost'"),
    /* 21 */
    "{" TS("02.100") ",'type':'token_usage_record','payload':{'thread_token_usage':{"
                     "'input_tokens':10,'cached_input_tokens':2,'cache_write_input_tokens':4,"
                     "'output_tokens':3,'reasoning_output_tokens':1,'total_tokens':13}}}",
    /* 22 */
    "{" TS("02.200") ",'type':'compacted','payload':{'message':'Summary of work',"
                     "'replacement_history':[{'type':'message','role':'user','content':[]}]}}",
    /* 23 */ EVENT("02.300", "'type':'task_complete','duration_ms':5"),
    /* 24 */ META(U2, "02.400", ""),
    /* 25 */ "{" TS("02.500") ",'type':'inter_agent_communication','payload':{}}",
    /* 26 */ USER("02.600", "Second prompt"),
    /* 27 */ EVENT("02.700", "'type':'user_message','message':'Second prompt','images':[]"),
    /* 28 */ ITEM("02.800", "'type':'ghost_snapshot','ghost_commit':{}"),
    /* 29 */
    ITEM("02.900", "'type':'function_call','name':'exec_command','arguments':'{}',"
                   "'call_id':'c5'"),
};

static void test_mixed(void **state)
{
    fx *f = *state;
    put_lines(f, DAY "rollout-2026-11-21T06-00-00-" U1 ".jsonl", mixed,
              sizeof mixed / sizeof mixed[0], false);
    load(f);
    if (issues(f))
        print_issues(f);
    assert_int_equal(issues(f), 0);
    assert_int_equal(f->b->nsessions, 1);
    const cairn_session *s = &f->b->sessions[0];
    assert_int_equal(s->agent, CAIRN_AGENT_CODEX);
    assert_int_equal(s->origin, CAIRN_ORIGIN_JSONL);
    assert_str(s->id, U1);
    assert_str(s->key, U1);
    assert_str(s->directory, "/home/dev/src/proj");
    assert_str(s->project_id, "/home/dev/src/proj");
    assert_str(s->version, "0.169.0");
    assert_str(s->model_id, "gpt-fake");
    assert_str(s->provider_id, "fake");
    assert_str(s->title, "Fix the parser");
    assert_true(s->time_created_ms == 1795237200100); /* 2026-11-21T05:00:00.100Z */
    assert_true(s->time_updated_ms == 1795237202900);
    assert_int_equal(s->time_archived_ms, 0);
    /* no token_count total: token_usage_record's thread total */
    assert_true(s->tokens.input == 10 - 2 && s->tokens.output == 3 && s->tokens.reasoning == 1 &&
                s->tokens.cache_read == 2 && s->tokens.cache_write == 4);
    assert_false(s->totals_computed);
    /* developer, world_state, encrypted reasoning, task_complete, second session_meta,
     * inter_agent_communication, ghost_snapshot */
    assert_int_equal(f->b->skipped, 7);
    assert_int_equal(s->nmessages, 7);

    const cairn_message *m = msg(f, s, 0); /* harness context: synthetic */
    assert_str(m->role, "user");
    assert_str(m->id, U1 ":3");
    assert_true(part(f, m, 0)->synthetic);
    assert_true(cn_str_starts(part(f, m, 0)->u.text.text, "<environment_context>\n"));

    m = msg(f, s, 1); /* the prompt, confirmed by item_completed */
    assert_str(m->role, "user");
    assert_int_equal(m->nparts, 2);
    assert_str(part(f, m, 0)->u.text.text, "  Fix the parser\nand add tests");
    assert_false(part(f, m, 0)->synthetic);
    assert_str(part(f, m, 0)->id, U1 ":6:0");
    assert_int_equal(part(f, m, 1)->type, CAIRN_PART_FILE);
    assert_str(part(f, m, 1)->u.file.mime, "image");
    assert_str(part(f, m, 1)->u.file.url, NULL); /* inline data is not kept */
    cairn_str prompt = m->id;

    m = msg(f, s, 2); /* one model response: reasoning, text, five tool calls */
    assert_str(m->role, "assistant");
    assert_str(m->id, U1 ":9");
    assert_true(cn_str_eq(m->parent_id, prompt));
    assert_str(m->model_id, "gpt-fake");
    assert_str(m->provider_id, "fake");
    assert_true(m->time_created_ms == 1795237200900 && m->time_completed_ms == 1795237201900);
    assert_int_equal(m->nparts, 8);
    assert_int_equal(part(f, m, 0)->type, CAIRN_PART_REASONING);
    assert_str(part(f, m, 0)->u.text.text, "Think A");
    assert_str(part(f, m, 1)->u.text.text, "Think B");
    assert_str(part(f, m, 1)->id, U1 ":9:1");
    assert_int_equal(part(f, m, 2)->type, CAIRN_PART_TEXT);
    assert_str(part(f, m, 2)->u.text.text, "On it.");
    const cairn_part *t = part(f, m, 3);
    assert_int_equal(t->type, CAIRN_PART_TOOL);
    assert_str(t->type_name, "tool");
    assert_str(t->u.tool.name, "exec_command");
    assert_str(t->u.tool.call_id, "c1");
    assert_str(t->u.tool.input, "{\"cmd\": \"ls\"}");
    assert_str(t->u.tool.output, "file-a\nfile-b");
    assert_int_equal(t->status, CAIRN_TOOL_COMPLETED);
    assert_true(t->time_start_ms == 1795237201100 && t->time_end_ms == 1795237201700);
    t = part(f, m, 4);
    assert_str(t->u.tool.name, "apply_patch");
    assert_str(t->u.tool.input, "\"*** Begin Patch\\n*** End Patch\""); /* a JSON string */
    assert_str(t->u.tool.output, "Done!");
    assert_int_equal(t->status, CAIRN_TOOL_COMPLETED);
    t = part(f, m, 5);
    assert_str(t->u.tool.name, "bad_args");
    assert_str(t->u.tool.input, "\"not json\""); /* not JSON inside: kept as a string */
    assert_int_equal(t->status, CAIRN_TOOL_PENDING);
    t = part(f, m, 6);
    assert_str(t->u.tool.name, "local_shell");
    assert_str(t->u.tool.call_id, "c4");
    assert_str(t->u.tool.input, "{\"type\":\"exec\",\"command\":[\"echo\",\"hi\"]}");
    assert_str(t->u.tool.output, "hi\nthere");
    t = part(f, m, 7);
    assert_str(t->u.tool.name, "web_search");
    assert_str(t->u.tool.title, "zstd streaming");
    assert_int_equal(t->status, CAIRN_TOOL_COMPLETED);

    m = msg(f, s, 3); /* an output with no call in the file */
    assert_str(m->role, "assistant");
    assert_int_equal(m->nparts, 1);
    assert_str(part(f, m, 0)->u.tool.call_id, "c9");
    assert_str(part(f, m, 0)->u.tool.output, "lost");

    m = msg(f, s, 4); /* compacted */
    assert_str(m->role, "system");
    assert_true(m->summary);
    assert_int_equal(m->nparts, 2);
    assert_int_equal(part(f, m, 0)->type, CAIRN_PART_COMPACTION);
    assert_str(part(f, m, 0)->type_name, "compaction");
    assert_str(part(f, m, 1)->u.text.text, "Summary of work");

    m = msg(f, s, 5);
    assert_str(m->role, "user");
    assert_str(part(f, m, 0)->u.text.text, "Second prompt");
    assert_false(part(f, m, 0)->synthetic);

    m = msg(f, s, 6); /* the call nobody answered */
    assert_true(cn_str_eq(m->parent_id, msg(f, s, 5)->id));
    assert_str(part(f, m, 0)->u.tool.call_id, "c5");
    assert_str(part(f, m, 0)->u.tool.input, "{}");
    assert_int_equal(part(f, m, 0)->status, CAIRN_TOOL_PENDING);
    assert_str(part(f, m, 0)->u.tool.output, NULL);
    check_links(f);
}

/* ---- 0.50 ---- */

static void test_050(void **state)
{
    fx *f = *state;
    static const char *const lines[] = {
        META(U1, "00.000", ",'cli_version':'0.50.0','instructions':null"),
        USER("00.100", "<environment_context>\\n</environment_context>"),
        EVENT("00.200", "'type':'user_message','message':'Real prompt','images':[]"),
        USER("00.300", "Real prompt"),
        EVENT("00.350", "'type':'agent_message','message':'dup'"),
        ITEM("00.400",
             "'type':'function_call','name':'shell','arguments':"
             "'{\\'command\\': [\\'bash\\', \\'-lc\\', \\'echo hello\\']}','call_id':'k1'"),
        ITEM("00.500", "'type':'function_call_output','call_id':'k1','output':"
                       "'{\\'output\\':\\'hello\\\\n\\',\\'metadata\\':{\\'exit_code\\':0}}'"),
        EVENT("00.600", "'type':'token_count','info':{'total_token_usage':{'input_tokens':5,"
                        "'cached_input_tokens':0,'output_tokens':1,'reasoning_output_tokens':0}}"),
        EVENT("00.700", "'type':'token_count','info':{'total_token_usage':{'input_tokens':7,"
                        "'cached_input_tokens':1,'output_tokens':2,'reasoning_output_tokens':1}}"),
        EVENT("00.800", "'type':'token_count','info':null"),
        "{" TS("00.900") ",'type':'token_usage_record','payload':{'thread_token_usage':{"
                         "'input_tokens':99,'output_tokens':99}}}",
    };
    put_lines(f, DAY "rollout-2026-11-21T06-00-00-" U1 ".jsonl", lines, 11, false);
    load(f);
    assert_int_equal(issues(f), 0);
    const cairn_session *s = &f->b->sessions[0];
    assert_str(s->version, "0.50.0");
    assert_str(s->provider_id, NULL);
    assert_str(s->title, "Real prompt");
    assert_true(s->tokens.input == 7 - 1 && s->tokens.cache_read == 1 && s->tokens.output == 2 &&
                s->tokens.reasoning == 1 && s->tokens.cache_write == 0);
    assert_int_equal(s->nmessages, 3);
    assert_true(part(f, msg(f, s, 0), 0)->synthetic);
    assert_false(part(f, msg(f, s, 1), 0)->synthetic); /* confirmed by the earlier event */
    const cairn_part *t = part(f, msg(f, s, 2), 0);
    assert_str(t->u.tool.name, "shell");
    assert_str(t->u.tool.input, "{\"command\": [\"bash\", \"-lc\", \"echo hello\"]}");
    assert_str(t->u.tool.output, "hello\n"); /* unwrapped from {"output": ...} */
    assert_int_equal(t->status, CAIRN_TOOL_COMPLETED);
    assert_int_equal(f->b->skipped, 1); /* agent_message */
    check_links(f);
}

static void test_prefix_only(void **state)
{
    fx *f = *state;
    static const char *const lines[] = {
        META(U1, "00.000", ""),
        USER("00.100", "# AGENTS.md instructions for /x\\n\\nbe nice"),
        USER("00.200", "<user_instructions>u</user_instructions>"),
        USER("00.300", "\\n\\nA prompt that is rather long, longer than eighty bytes, so that the "
                       "title has to be cut somewhere\\nsecond line"),
        USER("00.400", "Another"),
    };
    put_lines(f, DAY "rollout-2026-11-21T06-00-00-" U1 ".jsonl", lines, 5, false);
    load(f);
    assert_int_equal(issues(f), 0);
    const cairn_session *s = &f->b->sessions[0];
    assert_int_equal(s->nmessages, 4);
    assert_true(part(f, msg(f, s, 0), 0)->synthetic);
    assert_true(part(f, msg(f, s, 1), 0)->synthetic);
    assert_false(part(f, msg(f, s, 2), 0)->synthetic); /* no prompt events: only wrappers */
    assert_false(part(f, msg(f, s, 3), 0)->synthetic);
    assert_str(s->title,
               "A prompt that is rather long, longer than eighty bytes, so that the title has to");
}

/* ---- bad input ---- */

/* The offset where the last line of file rel begins (the file ends with a newline). */
static int64_t last_line_at(const fx *f, const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", f->root, rel);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    assert_true(n > 1 && n < sizeof buf && buf[n - 1] == '\n');
    size_t at = n - 1;
    while (at > 0 && buf[at - 1] != '\n')
        at--;
    return (int64_t)at;
}

/*
 * Where a grown file is read again from: the start of its last typed prompt, with the
 * lines and messages before it.  Blank lines before the prompt are before it; a prompt
 * event that came first is the start only when no item or compaction came between the
 * two (a read from the event would make its records again).  And token counts past any real one,
 * or below zero, are clamped.
 */
static void test_resume_points(void **state)
{
    fx *f = *state;
    const char *const blank[] = {META(U1, "00.000", ""), USER("00.100", "first"),
                                 REPLY("00.200", "ok"), "", "", USER("00.300", "second")};
    const char *const between[] = {META(U2, "00.000", ""),
                                   EVENT("00.100", "'type':'user_message','message':'hi'"),
                                   REPLY("00.200", "the answer to an earlier prompt"),
                                   USER("00.300", "hi")};
    const char *const first[] = {META(U3, "00.000", ""),
                                 EVENT("00.100", "'type':'user_message','message':'hi'"),
                                 USER("00.200", "hi"), REPLY("00.300", "hello")};
    const char *const compacted[] = {
        META("01a1fca5-0000-7000-8000-000000000005", "00.000", ""),
        EVENT("00.100", "'type':'user_message','message':'hi'"),
        "{" TS("00.150") ",'type':'compacted','payload':{'message':'the story so far'}}",
        USER("00.200", "hi")};
    const char *const huge[] = {
        META(U4, "00.000", ""), USER("00.100", "go"),
        EVENT("00.200", "'type':'token_count','info':{'total_token_usage':{'input_tokens':"
                        "9223372036854775807,'cached_input_tokens':-1,'output_tokens':-3}}")};
    const char *rel[] = {DAY "rollout-2026-11-21T06-00-00-" U1 ".jsonl",
                         DAY "rollout-2026-11-21T06-00-01-" U2 ".jsonl",
                         DAY "rollout-2026-11-21T06-00-02-" U3 ".jsonl",
                         DAY "rollout-2026-11-21T06-00-03-" U4 ".jsonl"};
    put_lines(f, rel[0], blank, 6, false);
    put_lines(f, rel[1], between, 4, false);
    put_lines(f, rel[2], first, 4, false);
    put_lines(f, rel[3], huge, 3, false);
    put_lines(f, DAY "rollout-2026-11-21T06-00-04-01a1fca5-0000-7000-8000-000000000005.jsonl",
              compacted, 4, false);
    load(f);
    const cairn_session *s = &f->b->sessions[cairn_batch_find_session(f->b, CAIRN_STR(U1))];
    assert_int_equal(s->resume_offset, last_line_at(f, rel[0]));
    assert_int_equal(s->resume_line, 5);
    assert_int_equal(s->resume_seq, 2);
    s = &f->b->sessions[cairn_batch_find_session(f->b, CAIRN_STR(U2))];
    assert_int_equal(s->resume_offset, last_line_at(f, rel[1]));
    assert_int_equal(s->resume_line, 3);
    assert_int_equal(s->resume_seq, 1);
    s = &f->b->sessions[cairn_batch_find_session(f->b, CAIRN_STR(U3))];
    assert_int_not_equal(s->resume_offset, 0);
    assert_int_equal(s->resume_line, 1); /* the event's line: nothing made in between */
    assert_int_equal(s->resume_seq, 0);
    s = &f->b->sessions[cairn_batch_find_session(
        f->b, CAIRN_STR("01a1fca5-0000-7000-8000-000000000005"))];
    assert_int_equal(s->resume_line, 3); /* a compaction came between: from the prompt */
    assert_int_equal(s->resume_seq, 1);
    s = &f->b->sessions[cairn_batch_find_session(f->b, CAIRN_STR(U4))];
    assert_true(s->tokens.input == (int64_t)1 << 32 && s->tokens.cache_read == 0 &&
                s->tokens.output == 0);
}

static void test_bad_lines(void **state)
{
    fx *f = *state;
    static const char bad[] =
        "{'timestamp':'2026-11-21T05:00:00.000Z','type':'session_meta','payload':{'id':'" U1
        "','timestamp':'2026-11-21T05:00:00.000Z','cwd':'/p'}}\n"
        "{'timestamp':'2026-11-21T05:00:01.000Z','type':'response_item','payload':{'type':"
        "'message','role':'user','content':[{'type':'input_text','text':'Go'}]}}\n"
        "garbage that is not json\n"
        "{'timestamp':'2026-11-21T05:00:02.000Z','type':'response_item','payload':{'type':"
        "'message','role':'user','content':[{'type':'input_text','text':'bad \xC3\x28 utf8'}]}}\n"
        "[1,2]\n"
        "{'payload':{}}\n"
        "{'type':'response_item','payload':'x'}\n"
        "\n"
        "{'timestamp':'2026-11-21T05:00:03.000Z','type':'response_item','payload':{'type':"
        "'message','role':'assistant','content':[{'type':'output_text','text':'Still read'}]}}\n"
        "{'timestamp':'2026-11-21T05:00:04.000Z','type':'response_item','payload':{'type':"
        "'message','role':'assistant','content':[{'type':'output_text','text':'being writ";
    char *text = json_of(bad);
    put(f, DAY "rollout-2026-11-21T06-00-00-" U1 ".jsonl", text, strlen(text));
    free(text);
    load(f);
    if (issues(f) != 5)
        print_issues(f);
    assert_int_equal(issues(f), 5);
    const char *name = "rollout-2026-11-21T06-00-00-" U1 ".jsonl";
    char where[256];
    const int lines[] = {3, 4, 5, 6, 7};
    const char *const what[] = {"not valid JSON", "not valid JSON", "expected a JSON object",
                                "no 'type' field", "'payload'"};
    for (int i = 0; i < 5; i++) {
        snprintf(where, sizeof where, "%s:%d", name, lines[i]);
        if (!has_issue(f, where, what[i]))
            fail_msg("no issue '%s' at %s", what[i], where);
    }
    assert_int_equal(f->b->nsessions, 1);
    const cairn_session *s = &f->b->sessions[0];
    assert_int_equal(s->nmessages, 2); /* the partial last line is left for later */
    assert_str(part(f, msg(f, s, 1), 0)->u.text.text, "Still read");
    assert_str(msg(f, s, 1)->id, U1 ":9");
    assert_true(s->time_updated_ms == 1795237203000);
}

static void test_huge_line(void **state)
{
    fx *f = *state;
    size_t big = (size_t)20 << 20;
    const char *head = "{\"type\":\"response_item\",\"payload\":{\"type\":\"message\",\"role\":"
                       "\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"";
    const char *tail = "\"}]}}\n";
    char *l1 = json_of(META(U1, "00.000", "") "\n");
    char *l3 = json_of(REPLY("00.300", "after the big line") "\n");
    size_t n1 = strlen(l1), nh = strlen(head), nt = strlen(tail), n3 = strlen(l3);
    char *all = malloc(n1 + nh + big + nt + n3);
    assert_non_null(all);
    char *p = all;
    memcpy(p, l1, n1);
    memcpy(p += n1, head, nh);
    memset(p += nh, 'x', big);
    memcpy(p += big, tail, nt);
    memcpy(p += nt, l3, n3);
    put(f, DAY "rollout-2026-11-21T06-00-00-" U1 ".jsonl", all, n1 + nh + big + nt + n3);
    free(all);
    free(l1);
    free(l3);
    load(f);
    assert_int_equal(issues(f), 1);
    assert_true(has_issue(f, U1 ".jsonl:2", "over the limit"));
    const cairn_session *s = &f->b->sessions[0];
    assert_int_equal(s->nmessages, 1);
    assert_str(part(f, msg(f, s, 0), 0)->u.text.text, "after the big line");
}

/* ---- .zst ---- */

/* Two frames (zstd -19 from stdin: no content size, with checksums) of one rollout:
 * frame A = session_meta, "compressed prompt", "first frame reply";
 * frame B = "second frame prompt", "second frame reply". */
static const unsigned char zst_a[] = {
    0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0x4d, 0x07, 0x00, 0xf2, 0x8e, 0x2c, 0x19, 0x60, 0x79, 0x03,
    0xfc, 0x3f, 0x46, 0x8a, 0x6f, 0xcf, 0xe2, 0x8d, 0x2e, 0xce, 0x21, 0xc8, 0x25, 0xb1, 0xa3, 0x35,
    0x19, 0x6c, 0x08, 0x2e, 0x81, 0x12, 0x40, 0x18, 0x3e, 0x21, 0x7b, 0x96, 0xed, 0x1b, 0xf4, 0x45,
    0x2f, 0x15, 0xbc, 0xdf, 0x4a, 0xbd, 0x96, 0x3d, 0x46, 0xdf, 0xab, 0x3b, 0x35, 0x9e, 0x90, 0xff,
    0xda, 0x60, 0x6a, 0xf7, 0xbe, 0xf6, 0xca, 0x24, 0x9e, 0x2c, 0xf0, 0x77, 0xfd, 0xd0, 0x6b, 0x16,
    0xab, 0xce, 0xe4, 0xc7, 0xfa, 0xb1, 0xec, 0xb6, 0x6b, 0x56, 0x76, 0x59, 0xe0, 0xae, 0xa8, 0x7b,
    0x5f, 0x57, 0x7f, 0x85, 0xda, 0xb1, 0xcc, 0x7a, 0x5f, 0x09, 0x84, 0x21, 0x47, 0x62, 0x41, 0x24,
    0x11, 0x79, 0xf2, 0xed, 0x0d, 0xaa, 0xd6, 0xfb, 0x57, 0x6c, 0xd7, 0x0b, 0x9e, 0x3c, 0x71, 0x92,
    0xc0, 0x46, 0x14, 0x95, 0x64, 0x88, 0xc3, 0x41, 0x25, 0x4a, 0x52, 0x19, 0x79, 0xf2, 0x54, 0x19,
    0x9c, 0x3c, 0xd1, 0xcc, 0xf2, 0xa8, 0x65, 0x81, 0xe9, 0xf7, 0x05, 0x61, 0x59, 0x75, 0x6f, 0xe7,
    0xc9, 0x6d, 0xbd, 0x67, 0x81, 0x9b, 0x18, 0x23, 0x11, 0xe3, 0x8c, 0x71, 0xca, 0xc8, 0x18, 0xc6,
    0x20, 0xe5, 0x80, 0x18, 0xd1, 0xe0, 0xc9, 0xf6, 0xa2, 0xef, 0x7d, 0xd5, 0x67, 0x30, 0x14, 0x20,
    0x80, 0x26, 0x30, 0xa2, 0x79, 0x31, 0xde, 0x80, 0x4d, 0xb9, 0x93, 0xae, 0x95, 0x49, 0xe2, 0x83,
    0x5a, 0xbe, 0xdf, 0x55, 0xc7, 0xd0, 0x20, 0x28, 0xc3, 0x97, 0x44, 0xb0, 0xfc, 0xf1, 0x3a, 0x56,
    0x29, 0xaa, 0x42, 0xb9, 0xa0, 0x5c, 0xd5, 0x9b, 0x0b, 0x49, 0x2f, 0x63, 0xa8, 0xd5, 0x32, 0x00,
    0x44, 0x01, 0x2a, 0x0c, 0x69, 0x70,
};

static const unsigned char zst_b[] = {
    0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x68, 0xdd, 0x04, 0x00, 0xc2, 0x8a, 0x20, 0x19, 0x70, 0x6f, 0x0e,
    0xa8, 0x4c, 0x8b, 0x9d, 0xa5, 0x25, 0xea, 0x2b, 0xc2, 0xac, 0x04, 0x55, 0x58, 0xdd, 0xff, 0xe8,
    0x54, 0x42, 0xa0, 0x02, 0x14, 0x01, 0x40, 0xad, 0x4c, 0xbd, 0x35, 0xcd, 0xa5, 0x4d, 0xc9, 0x8e,
    0xaf, 0x59, 0x62, 0x7e, 0x07, 0x50, 0x2b, 0x53, 0xdf, 0x13, 0x4a, 0x3a, 0x83, 0x85, 0x8f, 0x42,
    0xc1, 0x13, 0xa5, 0xb3, 0x7c, 0x77, 0xf6, 0xae, 0xb6, 0x9b, 0xa6, 0x66, 0x94, 0x16, 0xf7, 0x8e,
    0xdb, 0x51, 0x3a, 0x67, 0xa7, 0xcb, 0xd4, 0xdd, 0x77, 0x92, 0xf4, 0xec, 0x1b, 0x3d, 0xe6, 0x85,
    0x97, 0xfb, 0xf3, 0xe4, 0x64, 0xbd, 0x79, 0x76, 0xb8, 0x2d, 0x35, 0xcb, 0x51, 0x4e, 0x5e, 0x7a,
    0xf7, 0x9d, 0x56, 0x9f, 0x5d, 0x69, 0xad, 0x0d, 0x46, 0x73, 0xad, 0x39, 0xa2, 0x25, 0x45, 0x21,
    0x10, 0x84, 0x80, 0x14, 0xad, 0xb8, 0xfb, 0x84, 0xaf, 0x79, 0xa1, 0xd4, 0xbf, 0x02, 0x07, 0x00,
    0x33, 0x6b, 0x86, 0xcc, 0x28, 0x77, 0x90, 0xee, 0x2d, 0x83, 0x47, 0x15, 0xf1, 0xe5, 0x54, 0x79,
    0xa5, 0x10, 0xca, 0x0c, 0xb3, 0xb0, 0x24, 0x04,
};

#define ZNAME "sessions/2026/11/22/rollout-2026-11-22T02-00-00-" U2 ".jsonl.zst"

/* frame A, then the first b_len bytes of frame B (flipping byte flip of B if >= 0) */
static void put_zst(const fx *f, size_t b_len, int flip)
{
    unsigned char buf[sizeof zst_a + sizeof zst_b];
    memcpy(buf, zst_a, sizeof zst_a);
    memcpy(buf + sizeof zst_a, zst_b, sizeof zst_b);
    if (flip >= 0)
        buf[sizeof zst_a + (size_t)flip] ^= 0xFF;
    put(f, ZNAME, buf, sizeof zst_a + b_len);
}

static void check_zst_session(const fx *f, uint32_t nmessages)
{
    assert_int_equal(f->b->nsessions, 1);
    const cairn_session *s = &f->b->sessions[0];
    assert_str(s->id, U2);
    assert_str(s->directory, "/srv/zst");
    assert_str(s->title, "compressed prompt");
    assert_true(cn_str_ends(s->source_path, ZNAME));
    assert_int_equal(s->nmessages, nmessages);
    assert_str(part(f, msg(f, s, 1), 0)->u.text.text, "first frame reply");
}

static void test_zst_whole(void **state)
{
    fx *f = *state;
    put_zst(f, sizeof zst_b, -1);
    load(f);
    assert_int_equal(issues(f), 0);
    check_zst_session(f, 4);
    assert_str(part(f, msg(f, &f->b->sessions[0], 3), 0)->u.text.text, "second frame reply");
}

static void test_zst_cut_short(void **state)
{
    fx *f = *state;
    put_zst(f, sizeof zst_b / 2, -1);
    load(f);
    assert_int_equal(issues(f), 1);
    assert_true(has_issue(f, ZNAME, "cut short"));
    check_zst_session(f, 2); /* frame A decompressed cleanly */
}

static void test_zst_damaged(void **state)
{
    fx *f = *state;
    put_zst(f, sizeof zst_b, 40);
    load(f);
    assert_true(issues(f) >= 1);
    assert_true(has_issue(f, ZNAME, "damaged"));
    assert_true(f->b->nsessions == 1 && f->b->sessions[0].nmessages >= 2);
    check_zst_session(f, f->b->sessions[0].nmessages);
}

static void test_zst_not_zstd(void **state)
{
    fx *f = *state;
    char *plain = json_of(META(U2, "00.000", "") "\n");
    put(f, ZNAME, plain, strlen(plain));
    free(plain);
    load(f);
    assert_int_equal(issues(f), 1);
    assert_true(has_issue(f, ZNAME, "damaged"));
    assert_int_equal(f->b->nsessions, 0);
}

static void test_zst_limit(void **state)
{
    fx *f = *state;
    put_zst(f, sizeof zst_b, -1);
    cairn_resolved res = {.agent = CAIRN_AGENT_CODEX};
    cairn_str out;
    cairn_err e;
    int64_t mtime = 0;
    char label[4200];
    snprintf(label, sizeof label, "%s/%s", f->root, ZNAME);
    cn_arena_init(&res.arena, 0, 0);
    assert_int_equal(cn_cx_zst_load(&res, AT_FDCWD, label, label, 600, &out, &mtime, &e),
                     CAIRN_TOOBIG);
    assert_non_null(strstr(e.msg, "more than 600 bytes"));
    assert_null(out.ptr);
    assert_int_equal(cn_cx_zst_load(&res, AT_FDCWD, label, label, 886, &out, &mtime, &e), CAIRN_OK);
    assert_int_equal(out.len, 886);
    assert_int_equal(out.ptr[out.len], '\0');
    assert_true(mtime > 0);
    assert_int_equal(cn_cx_zst_load(&res, AT_FDCWD, "/nonexistent.zst", "/nonexistent.zst", 886,
                                    &out, &mtime, &e),
                     CAIRN_NOTFOUND);
    cn_arena_release(&res.arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mixed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_050, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prefix_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_huge_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zst_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zst_cut_short, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zst_damaged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zst_not_zstd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zst_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_points, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
