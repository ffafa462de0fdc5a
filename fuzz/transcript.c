/*
 * fuzz/transcript.c - libFuzzer target for the Claude Code and Codex transcript readers,
 * driven through the real pipeline: cairn_plan_new -> cairn_resolve -> cairn_hydrate_take.
 *
 * Byte 0 of an input picks the agent and where its file is kept (an empty input is
 * passed over); the rest is written as one transcript, removed after the input, in a
 * temp dir (made once per process) that stands in for the agent's home, as the unit
 * tests do:
 *   bit 0 = 0  Claude Code: <tmp>/claude/projects/-home-dev-src-photo-sync/<S>.jsonl,
 *              bit 1: S is a uuid, the first "sessionId" of the text when it is one,
 *              as the agent names it (1), or "fuzz-session" (0: the id then comes from
 *              the sessionId field);
 *   bit 0 = 1  Codex: <tmp>/codex/sessions/2026/11/21/rollout-<time>-<uuid>.jsonl with
 *              the first "id" of the text when it is a uuid (the thread's, as Codex
 *              names it), else a fixed one; bit 1: under archived_sessions/ instead;
 *              bit 2: as .jsonl.zst (compressed here, with a checksum); bits 3-4 (zst):
 *              0 intact, 1 cut short, 2 one byte flipped, 3 both; bits 5-7: where, at
 *              (k+1)/9 of the compressed size.
 *
 * For every input:
 *  1. plan lists that one file (kind, path, id, size, mtime), resolve brings in exactly
 *     its bytes (for .zst: the text, or for a damaged one a clean prefix of it, reported),
 *     hydrate returns CAIRN_OK; the plan is freed before hydrating, as
 *     cairn_source_load does;
 *  2. every issue has a code, a message and a place under the source dir; every complete
 *     line that is not JSON, not an object, has no string "type" (or, Codex, a known
 *     type without an object payload) is an issue at "<file>:<line>", and every
 *     "<file>:<line>" names a complete, non-blank line that was read;
 *  3. the batch is well-formed: at most one session with its key, path and id; messages
 *     contiguous and covering the session, parts contiguous and covering their message,
 *     every index and back-reference (session, message, project, parent id) consistent,
 *     enums in range, every id present (the store's NOT NULL columns), tool inputs that
 *     parse as JSON, titles of at most 80 bytes on one line, Claude's token totals equal
 *     to the sum of its messages', and every string valid UTF-8 and lying wholly inside
 *     the file's content or one live allocation (ASan's view);
 *  4. the incremental-read fields promise what record.h says: tail_offset just past the
 *     last complete line and tail_hash its XXH3, resume_offset a line start with
 *     resume_line lines before it and resume_seq messages made from them; when that
 *     holds, a second read resumed there (as the store does for a grown file) passes 2
 *     and 3 and gives back the same tail, resume point and session id, starting with the
 *     same message;
 *  5. the agent's file keeps its bytes, size and mtime, nothing else appears in the
 *     source dir, and no file descriptor is left open; ASan reports leaks.
 * ASan and UBSan watch all of it (out-of-bounds reads, overflows, NULL to memcpy).
 * Any violation aborts, which libFuzzer reports as a crash.  CAIRN_FUZZ_ALLOW, a
 * comma-separated list of the [names] printed by failed checks, lets a run go past
 * faults already reported.
 *
 * pipeline.c's reader table names every reader, so opencode's comes along (and SQLite).
 * fuzz-sources: src/source/pipeline.c src/source/batch.c src/source/report.c src/source/record.c
 * fuzz-sources: src/source/claude/reader.c src/source/claude/hydrate.c
 * fuzz-sources: src/source/codex/plan.c src/source/codex/hydrate.c src/source/codex/items.c
 * fuzz-sources: src/source/codex/zst.c
 * fuzz-sources: src/source/opencode/reader.c src/source/opencode/db.c
 * fuzz-sources: src/source/opencode/tree.c src/source/opencode/hydrate.c src/source/opencode/id.c
 * fuzz-libs: -lzstd -lsqlite3
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sanitizer/asan_interface.h>
#include <xxhash.h>
#include <zstd.h>

#include "base/arena.h"
#include "base/str.h"
#include "cairn/source.h"
#include "json/json.h"
#include "source/batch.h"
#include "source/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz/transcript.c:%d: check failed: %s\n", __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A check with a name that CAIRN_FUZZ_ALLOW can mute. */
#define CHECKN(name, cond)                                                                         \
    do {                                                                                           \
        if (!(cond) && !allowed(name)) {                                                           \
            fprintf(stderr, "fuzz/transcript.c:%d: check failed [%s]: %s\n", __LINE__, name,       \
                    #cond);                                                                        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* "cc-<name>" or "cx-<name>": the resume checks are named per agent. */
#define PER_AGENT(j, name) ((j)->agent == CAIRN_AGENT_CODEX ? "cx-" name : "cc-" name)

static bool allowed(const char *name)
{
    const char *list = getenv("CAIRN_FUZZ_ALLOW");
    size_t n = strlen(name);
    for (const char *p = list; p && *p; p += strcspn(p, ","), p += *p == ',')
        if (strcspn(p, ",") == n && !strncmp(p, name, n))
            return true;
    return false;
}

/* ---- the stand-in homes ---- */

#define CC_PROJECT "projects/-home-dev-src-photo-sync"
#define CC_UUID "885e989e-89d2-47f7-ac57-c3462bbfb3c0"
#define CX_UUID "01a1fca5-456a-7782-864b-2ab791d51a39"

static char root[64], cc_src[96], cx_src[96];

static void mkdir_in_root(const char *rel)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    CHECK(mkdir(p, 0755) == 0 || errno == EEXIST);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    if (root[0])
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_once(void)
{
    static const char *const dirs[] = {
        "claude",
        "claude/projects",
        ("claude/" CC_PROJECT),
        "codex",
        "codex/sessions",
        "codex/sessions/2026",
        "codex/sessions/2026/11",
        "codex/sessions/2026/11/21",
        "codex/archived_sessions",
    };
    if (root[0])
        return;
    snprintf(root, sizeof root, "/tmp/cairn-fuzz-transcript-XXXXXX");
    CHECK(mkdtemp(root) != NULL);
    atexit(cleanup);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        mkdir_in_root(dirs[i]);
    snprintf(cc_src, sizeof cc_src, "%s/claude", root);
    snprintf(cx_src, sizeof cx_src, "%s/codex", root);
}

/* ---- one input ---- */

typedef struct job {
    cairn_agent agent;
    const char *src; /* the source dir */
    char uuid[40];   /* in the file name */
    char rel[256];   /* the transcript, relative to src */
    char path[512];  /* src/rel: how resolve and hydrate name it */
    cairn_str id;    /* the plan item's id */
    bool archived, zst;
    int damage;       /* zst: 1 cut short, 2 byte flipped */
    const char *text; /* the transcript (before compression) */
    size_t len;
    uint8_t *file; /* the bytes written (malloc'd) */
    size_t flen;
    struct stat st; /* after writing */
} job;

/* j->uuid: the first uuid after key in the text, else def. */
static void find_uuid(job *j, const char *key, const char *def)
{
    size_t k = strlen(key);
    const char *p = memmem(j->text, j->len, key, k);
    snprintf(j->uuid, sizeof j->uuid, "%s", def);
    if (!p || (size_t)(j->text + j->len - (p + k)) < 37 || p[k + 36] != '"')
        return;
    for (int i = 0; i < 36; i++) {
        char c = p[k + i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return;
    }
    memcpy(j->uuid, p + k, 36);
    j->uuid[36] = '\0';
}

static void make_job(job *j, uint8_t sel, const uint8_t *text, size_t len)
{
    memset(j, 0, sizeof *j);
    j->text = (const char *)text;
    j->len = len;
    if (!(sel & 1)) {
        j->agent = CAIRN_AGENT_CLAUDE;
        j->src = cc_src;
        find_uuid(j, "\"sessionId\":\"", CC_UUID);
        if (!(sel & 2))
            snprintf(j->uuid, sizeof j->uuid, "fuzz-session");
        snprintf(j->rel, sizeof j->rel, "%s/%s.jsonl", CC_PROJECT, j->uuid);
    } else {
        j->agent = CAIRN_AGENT_CODEX;
        j->src = cx_src;
        find_uuid(j, "\"id\":\"", CX_UUID);
        j->archived = sel & 2;
        j->zst = sel & 4;
        j->damage = j->zst ? sel >> 3 & 3 : 0;
        snprintf(j->rel, sizeof j->rel, "%s/rollout-2026-11-21T05-47-32-%s.jsonl%s",
                 j->archived ? "archived_sessions" : "sessions/2026/11/21", j->uuid,
                 j->zst ? ".zst" : "");
    }
    j->id = cn_str(j->uuid);
    snprintf(j->path, sizeof j->path, "%s/%s", j->src, j->rel);

    if (!j->zst) {
        j->flen = len;
        j->file = malloc(len + 1);
        CHECK(j->file);
        memcpy(j->file, text, len);
        return;
    }
    ZSTD_CCtx *z = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(len), n;
    CHECK(z && (j->file = malloc(cap)));
    CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1)));
    CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 1)));
    n = ZSTD_compress2(z, j->file, cap, text, len);
    CHECK(!ZSTD_isError(n) && n > 0);
    ZSTD_freeCCtx(z);
    size_t at = n * (size_t)((sel >> 5) + 1) / 9;
    if (j->damage & 2)
        j->file[j->damage & 1 ? at / 2 : at < n ? at : n - 1] ^= 0x5A;
    j->flen = j->damage & 1 ? at : n;
}

static void write_file(job *j)
{
    int fd = open(j->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(j->flen == 0 || write(fd, j->file, j->flen) == (ssize_t)j->flen);
    CHECK(close(fd) == 0);
    CHECK(stat(j->path, &j->st) == 0);
}

/* The file is as written: same bytes, size, mtime. */
static void check_untouched(const job *j)
{
    struct stat st;
    CHECKN("file-written", stat(j->path, &st) == 0 && st.st_size == j->st.st_size &&
                               st.st_mtim.tv_sec == j->st.st_mtim.tv_sec &&
                               st.st_mtim.tv_nsec == j->st.st_mtim.tv_nsec &&
                               st.st_mode == j->st.st_mode);
    uint8_t *buf = malloc(j->flen + 1);
    int fd = open(j->path, O_RDONLY | O_CLOEXEC);
    CHECK(buf && fd >= 0);
    ssize_t got = read(fd, buf, j->flen + 1);
    close(fd);
    CHECKN("file-written", got == (ssize_t)j->flen && !memcmp(buf, j->file, j->flen));
    free(buf);
}

static size_t nfiles;

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)st, (void)ftw;
    nfiles += flag != FTW_D && flag != FTW_DP;
    return 0;
}

/* Nothing but the transcript exists under the temp dir. */
static void check_no_new_files(void)
{
    nfiles = 0;
    CHECK(nftw(root, count_entry, 16, FTW_PHYS) == 0);
    CHECKN("file-created", nfiles == 1);
}

static int lowest_fd(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    CHECK(fd >= 0);
    close(fd);
    return fd;
}

/* ---- the reference: the content's lines, split here ---- */

typedef struct rline {
    size_t raw;        /* offset of the line's first byte */
    size_t start, end; /* the line without '\n', a '\r' before it, leading blanks */
} rline;

typedef struct ctx {
    const job *j;
    cairn_str content; /* the unit's */
    rline *lines;      /* complete lines; lines[k] is line k + 1 */
    size_t nlines, tail;
    cn_json js;
    cn_arena a;
} ctx;

static void ctx_init(ctx *x, const job *j, cairn_str content)
{
    memset(x, 0, sizeof *x);
    x->j = j;
    x->content = content;
    cn_json_init(&x->js);
    cn_arena_init(&x->a, 0, 0);
    size_t cap = 1;
    for (size_t i = 0; i < content.len; i++)
        cap += content.ptr[i] == '\n';
    x->lines = malloc(cap * sizeof *x->lines);
    CHECK(x->lines);
    const char *p = content.ptr;
    size_t pos = 0;
    for (;;) {
        const char *nl = pos < content.len ? memchr(p + pos, '\n', content.len - pos) : NULL;
        if (!nl)
            break;
        rline *l = &x->lines[x->nlines++];
        l->raw = l->start = pos;
        l->end = (size_t)(nl - p);
        if (l->end > l->start && p[l->end - 1] == '\r')
            l->end--;
        while (l->start < l->end && (p[l->start] == ' ' || p[l->start] == '\t'))
            l->start++;
        pos = (size_t)(nl - p) + 1;
    }
    x->tail = pos;
}

static void ctx_release(ctx *x)
{
    free(x->lines);
    cn_json_release(&x->js);
    cn_arena_release(&x->a);
}

static bool blank(const rline *l)
{
    return l->start == l->end;
}

/* Parse line l into x->js; its root object, or "no value" when it is not one. */
static cn_jval parse_line(ctx *x, const rline *l)
{
    if (cn_json_parse(&x->js, x->content.ptr + l->start, l->end - l->start, NULL) != CAIRN_OK)
        return (cn_jval){&x->js, UINT32_MAX};
    cn_jval o = cn_json_root(&x->js);
    return cn_json_is(o, CN_JSON_OBJECT) ? o : (cn_jval){&x->js, UINT32_MAX};
}

/* True when the reader must report line l as bad. */
static bool line_is_bad(ctx *x, const rline *l)
{
    static const char *const known[] = {"session_meta", "response_item", "event_msg",
                                        "turn_context", "compacted",     "token_usage_record"};
    cn_jval o = parse_line(x, l), t = cn_json_get(o, "type");
    if (!cn_json_is(o, CN_JSON_OBJECT) || !cn_json_is(t, CN_JSON_STRING))
        return true;
    if (x->j->agent != CAIRN_AGENT_CODEX)
        return false;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (cn_json_str_eq(t, known[i]))
            return !cn_json_is(cn_json_get(o, "payload"), CN_JSON_OBJECT);
    return false;
}

/* ---- checks: the report ---- */

/* "<path>:<N>" -> N, or 0 when where is not that. */
static size_t where_line(const char *where, const char *path)
{
    size_t n = strlen(path), v = 0;
    if (strncmp(where, path, n) || where[n] != ':' || !where[n + 1])
        return 0;
    for (const char *p = where + n + 1; *p; p++) {
        CHECKN("issue-where", *p >= '0' && *p <= '9' && v < SIZE_MAX / 10);
        v = v * 10 + (size_t)(*p - '0');
    }
    CHECKN("issue-where", v > 0);
    return v;
}

/* Lines 1..from were not read (a resumed read). */
static void check_report(ctx *x, const cairn_report *rep, size_t from)
{
    size_t n = cairn_report_count(rep), srclen = strlen(x->j->src);
    bool *hit = calloc(x->nlines + 1, 1);
    CHECK(hit);
    for (size_t i = 0; i < n; i++) {
        const cairn_issue *is = cairn_report_get(rep, i);
        CHECK(is && is->where && is->what);
        CHECKN("issue-empty", is->rc != CAIRN_OK && is->what[0] && is->where[0]);
        CHECKN("issue-where", !strncmp(is->where, x->j->src, srclen) && is->where[srclen] == '/');
        size_t no = where_line(is->where, x->j->path);
        if (!no)
            continue;
        CHECKN("issue-line", no > from && no <= x->nlines && !blank(&x->lines[no - 1]));
        hit[no] = true;
    }
    for (size_t no = from + 1; no <= x->nlines; no++)
        if (!blank(&x->lines[no - 1]) && line_is_bad(x, &x->lines[no - 1]))
            CHECKN("bad-line-unreported", hit[no]);
    free(hit);
}

/* An issue at exactly the file (resolve's), optionally with this code. */
static bool file_issue(const job *j, const cairn_report *rep, cairn_rc rc)
{
    for (size_t i = 0; i < cairn_report_count(rep); i++) {
        const cairn_issue *is = cairn_report_get(rep, i);
        if (!strcmp(is->where, j->path) && (!rc || is->rc == rc))
            return true;
    }
    return false;
}

/* ---- checks: the records ---- */

/* s is absent, or valid UTF-8 wholly inside the content or one live allocation. */
static void check_str(const ctx *x, cairn_str s)
{
    if (!s.ptr) {
        CHECKN("str-null", s.len == 0);
        return;
    }
    const char *c = x->content.ptr, *ce = c + x->content.len;
    if (c && s.ptr >= c && s.ptr <= ce)
        CHECKN("str-bounds", s.len <= (size_t)(ce - s.ptr));
    CHECKN("str-bounds", !s.len || !__asan_region_is_poisoned((void *)s.ptr, s.len));
    char name[64];
    void *reg = NULL;
    size_t rsz = 0;
    const char *kind = __asan_locate_address((void *)s.ptr, name, sizeof name, &reg, &rsz);
    if (kind && !strcmp(kind, "heap") && reg) /* (for globals it may name a neighbour) */
        CHECKN("str-bounds",
               s.ptr >= (const char *)reg && s.len <= rsz - (size_t)(s.ptr - (const char *)reg));
    CHECKN("str-utf8", cn_utf8_valid_prefix(s) == s.len);
}

static bool is_json(ctx *x, cairn_str s)
{
    cn_json j;
    cn_json_init(&j);
    bool ok = cn_json_parse(&j, s.ptr, s.len, NULL) == CAIRN_OK;
    cn_json_release(&j);
    return ok;
}

/* Codex ids: "<thread>:<line>" (message), "<thread>:<line>:<k>" (part); the line, or 0. */
static size_t cx_id_line(const ctx *x, cairn_str id, bool part)
{
    cairn_str t = x->j->id;
    size_t i = t.len + 1, v = 0;
    if (id.len <= i || memcmp(id.ptr, t.ptr, t.len) || id.ptr[t.len] != ':')
        return 0;
    for (; i < id.len && id.ptr[i] >= '0' && id.ptr[i] <= '9'; i++)
        v = v * 10 + (size_t)(id.ptr[i] - '0');
    if (part) {
        if (i == id.len || id.ptr[i++] != ':' || i == id.len)
            return 0;
        for (; i < id.len && id.ptr[i] >= '0' && id.ptr[i] <= '9'; i++)
            ;
    }
    return i == id.len ? v : 0;
}

static void check_part(ctx *x, const cairn_batch *b, const cairn_part *p, uint32_t mi, size_t mline)
{
    const cairn_message *m = &b->messages[mi];
    const cairn_str strs[] = {p->id, p->message_id, p->session_id, p->type_name};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        check_str(x, strs[i]);
    CHECKN("part-id", p->id.ptr != NULL);
    CHECKN("part-ref", p->message == mi && cn_str_eq(p->message_id, m->id) &&
                           cn_str_eq(p->session_id, b->sessions[m->session].id));
    CHECKN("part-type", p->type < CAIRN_PART_TYPE_COUNT_ &&
                            cn_str_eqc(p->type_name, cairn_part_type_name(p->type)));
    CHECKN("part-status", p->status < CAIRN_TOOL_STATUS_COUNT_ &&
                              (p->type == CAIRN_PART_TOOL) == (p->status != CAIRN_TOOL_NONE));
    switch (p->type) {
    case CAIRN_PART_TEXT:
    case CAIRN_PART_REASONING:
        check_str(x, p->u.text.text);
        break;
    case CAIRN_PART_TOOL: {
        const cairn_str t[] = {
            p->u.tool.name,   p->u.tool.call_id, p->u.tool.title,           p->u.tool.input,
            p->u.tool.output, p->u.tool.error,   p->u.tool.child_session_id};
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
            check_str(x, t[i]);
        CHECKN("tool-input-json", !p->u.tool.input.ptr || is_json(x, p->u.tool.input));
        break;
    }
    case CAIRN_PART_FILE: {
        const cairn_str f[] = {p->u.file.mime, p->u.file.filename, p->u.file.url,
                               p->u.file.source_path};
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
            check_str(x, f[i]);
        break;
    }
    case CAIRN_PART_RETRY:
        check_str(x, p->u.retry.error);
        break;
    case CAIRN_PART_COMPACTION:
        break;
    default:
        CHECKN("part-type", false); /* the two readers make no other type */
    }
    check_str(x, cairn_part_text(p));
    if (x->j->agent == CAIRN_AGENT_CODEX) {
        size_t line = cx_id_line(x, p->id, true);
        CHECKN("cx-id", line >= mline && line <= x->nlines);
    }
}

static void check_message(ctx *x, const cairn_batch *b, uint32_t mi, size_t np, size_t *line,
                          size_t from)
{
    const cairn_message *m = &b->messages[mi];
    const cairn_str strs[] = {m->id,         m->session_id,   m->role,        m->parent_id,
                              m->agent_name, m->model_id,     m->provider_id, m->finish,
                              m->error_name, m->error_message};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        check_str(x, strs[i]);
    CHECKN("message-id", m->id.ptr != NULL);
    CHECKN("message-ref",
           m->session < b->nsessions && cn_str_eq(m->session_id, b->sessions[m->session].id));
    CHECKN("message-role", cn_str_eqc(m->role, "user") || cn_str_eqc(m->role, "assistant") ||
                               cn_str_eqc(m->role, "system"));
    CHECKN("message-parts", m->first_part == np && m->nparts <= b->nparts - np);
    if (m->parent_id.len) {
        bool found = false;
        for (size_t k = 0; k < b->nmessages && !found; k++)
            found = k != mi && cn_str_eq(b->messages[k].id, m->parent_id);
        CHECKN("message-parent", found);
    }
    size_t ml = 0;
    if (x->j->agent == CAIRN_AGENT_CODEX) {
        /* ids number the message's first line; messages come in file order */
        ml = cx_id_line(x, m->id, false);
        CHECKN("cx-id", ml > from && ml <= x->nlines && !blank(&x->lines[ml - 1]) && ml >= *line);
        *line = ml;
    }
    for (uint32_t k = m->first_part; k < m->first_part + m->nparts; k++)
        check_part(x, b, &b->parts[k], mi, ml);
}

/* What a read that started at base (after from lines, first_seq messages) must give. */
typedef struct readpos {
    int64_t base;
    size_t from;
    uint32_t first_seq;
} readpos;

static size_t newlines_before(const ctx *x, size_t off)
{
    size_t n = 0;
    for (size_t i = 0; i < off; i++)
        n += x->content.ptr[i] == '\n';
    return n;
}

/* False when resume_seq does not count the messages before resume_offset (then a read
 * resumed there cannot be judged). */
static bool check_resume_point(ctx *x, const cairn_batch *b, const readpos *r)
{
    const cairn_session *s = &b->sessions[0];
    CHECKN("resume", s->first_seq == r->first_seq);
    CHECKN("resume", s->resume_offset >= r->base && s->resume_offset <= s->tail_offset);
    size_t ro = (size_t)s->resume_offset;
    CHECKN("resume", ro == 0 || x->content.ptr[ro - 1] == '\n');
    bool line_ok = s->resume_line >= 0 && (size_t)s->resume_line == newlines_before(x, ro);
    CHECKN("resume-line", line_ok);
    if (!line_ok)
        return false;
    CHECKN("resume", s->resume_seq >= s->first_seq && s->resume_seq - s->first_seq <= s->nmessages);
    uint32_t k = s->resume_seq - s->first_seq; /* messages of this read before the point */
    if (s->resume_offset == r->base) {
        CHECKN(PER_AGENT(x->j, "resume-seq"), k == 0);
        return k == 0;
    }
    if (x->j->agent == CAIRN_AGENT_CODEX) {
        /* messages made from lines before resume_offset: their ids number those lines */
        uint32_t before = 0;
        for (size_t i = 0; i < b->nmessages; i++)
            before += cx_id_line(x, b->messages[i].id, false) <= (size_t)s->resume_line;
        CHECKN(PER_AGENT(x->j, "resume-seq"), before == k);
        return before == k;
    }
    /* Claude: the point is a typed prompt, the message at k, id = the line's uuid (or,
     * without one, "line-<n>") */
    CHECKN("resume", (size_t)s->resume_line < x->nlines);
    const rline *l = &x->lines[s->resume_line];
    cn_jval o = parse_line(x, l);
    cairn_str uuid = cn_json_str_or(cn_json_get(o, "uuid"), &x->a);
    char made[32];
    if (!uuid.len)
        uuid = (cairn_str){made, (size_t)snprintf(made, sizeof made, "line-%lld",
                                                  (long long)s->resume_line + 1)};
    bool ok = k < s->nmessages && cn_str_eqc(b->messages[k].role, "user") &&
              cn_str_eq(b->messages[k].id, uuid);
    CHECKN(PER_AGENT(x->j, "resume-seq"), ok);
    return ok;
}

/* Returns whether the session's resume point is consistent (false: no session). */
static bool check_batch(ctx *x, const cairn_batch *b, const readpos *r)
{
    const job *j = x->j;
    CHECKN("batch", b->agent == j->agent && b->nsessions <= 1 && b->nprojects <= b->nsessions &&
                        b->ntodos == 0);
    CHECKN("batch", (!b->nsessions || b->sessions) && (!b->nmessages || b->messages) &&
                        (!b->nparts || b->parts) && (!b->nprojects || b->projects));
    size_t objects = 0; /* Codex: a session exists once a line is an object */
    for (size_t no = r->from + 1; no <= x->nlines; no++)
        objects += !blank(&x->lines[no - 1]) &&
                   cn_json_is(parse_line(x, &x->lines[no - 1]), CN_JSON_OBJECT);
    if (j->agent == CAIRN_AGENT_CODEX)
        CHECKN("cx-session", (objects > 0) == (b->nsessions == 1));
    if (!b->nsessions) {
        CHECKN("batch", !b->nmessages && !b->nparts && !b->nprojects);
        return false;
    }

    const cairn_session *s = &b->sessions[0];
    const cairn_str strs[] = {s->id,       s->project_id,  s->parent_id,   s->slug,
                              s->title,    s->directory,   s->version,     s->agent_name,
                              s->model_id, s->provider_id, s->source_path, s->key};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        check_str(x, strs[i]);
    CHECKN("session", s->agent == j->agent && s->origin == CAIRN_ORIGIN_JSONL && s->id.len > 0 &&
                          cn_str_eq(s->key, j->id) && cn_str_eqc(s->source_path, j->path));
    CHECKN("session", s->first_message == 0 && s->nmessages == b->nmessages &&
                          s->parent == CAIRN_NONE && s->time_updated_ms >= s->time_created_ms);
    CHECKN("session-project",
           s->project_id.len
               ? s->project < b->nprojects && cn_str_eq(b->projects[s->project].id, s->project_id)
               : s->project == CAIRN_NONE);
    CHECKN("session-archived", (s->time_archived_ms != 0) == j->archived);
    CHECKN("session-title",
           s->title.len <= 80 && !memchr(s->title.ptr ? s->title.ptr : "", '\n', s->title.len));
    /* the tail: just past the last complete line, and the hash of what is before it */
    CHECKN("tail", s->tail_offset >= 0 && (size_t)s->tail_offset == x->tail &&
                       s->tail_hash == XXH3_64bits(x->content.ptr, x->tail));
    bool resumable = check_resume_point(x, b, r);

    for (size_t i = 0; i < b->nprojects; i++) {
        const cairn_project *p = &b->projects[i];
        const cairn_str ps[] = {p->id, p->worktree, p->vcs, p->name};
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++)
            check_str(x, ps[k]);
        CHECKN("project", p->agent == j->agent && p->id.len && p->ndirs >= 1 && p->dirs);
        for (uint32_t k = 0; k < p->ndirs; k++)
            check_str(x, p->dirs[k]);
    }

    size_t np = 0, line = 0;
    uint64_t in = 0, out = 0, cr = 0, cw = 0; /* wrapping: the sums are compared, not used */
    for (uint32_t mi = 0; mi < b->nmessages; mi++) {
        check_message(x, b, mi, np, &line, r->from);
        np += b->messages[mi].nparts;
        in += (uint64_t)b->messages[mi].tokens.input;
        out += (uint64_t)b->messages[mi].tokens.output;
        cr += (uint64_t)b->messages[mi].tokens.cache_read;
        cw += (uint64_t)b->messages[mi].tokens.cache_write;
    }
    CHECKN("message-parts", np == b->nparts);
    if (j->agent == CAIRN_AGENT_CLAUDE)
        CHECKN("cc-tokens", s->totals_computed && (uint64_t)s->tokens.input == in &&
                                (uint64_t)s->tokens.output == out &&
                                (uint64_t)s->tokens.cache_read == cr &&
                                (uint64_t)s->tokens.cache_write == cw);
    return resumable;
}

/* ---- the pipeline ---- */

static cairn_plan *plan_one(const job *j, cairn_report *rep)
{
    cairn_source src = {.agent = j->agent};
    cairn_plan *plan = NULL;
    cairn_err err = {0};
    snprintf(src.path, sizeof src.path, "%s", j->src);
    CHECKN("plan-rc", cairn_plan_new(&src, &plan, rep, &err) == CAIRN_OK && plan);
    CHECKN("plan", cairn_plan_count(plan) == 1 && cairn_plan_sessions(plan) == 1);
    const cairn_plan_item *it = cairn_plan_item_at(plan, 0);
    CHECKN("plan",
           it->kind == CAIRN_ITEM_SESSION && it->origin == CAIRN_ORIGIN_JSONL && it->selected &&
               !it->shadowed && cn_str_eqc(it->path, j->rel) && cn_str_eq(it->id, j->id) &&
               it->size == j->st.st_size &&
               it->mtime_ns == (int64_t)j->st.st_mtim.tv_sec * 1000000000 + j->st.st_mtim.tv_nsec);
    return plan;
}

/* Resolve the one file; NULL content when it could not be read (a damaged .zst only). */
static cairn_resolved *resolve_one(const job *j, cairn_report *rep, cairn_str *content)
{
    cairn_plan *plan = plan_one(j, rep);
    cairn_resolved *res = NULL;
    cairn_err err = {0};
    CHECKN("resolve-rc", cairn_resolve(plan, &res, rep, &err) == CAIRN_OK && res);
    cairn_plan_free(plan); /* as cairn_source_load: records must not point into it */
    CHECKN("resolve", res->agent == j->agent && res->n <= 1 && res->nmaps == 0);
    *content = (cairn_str){NULL, 0};
    if (!res->n) {
        CHECKN("resolve", j->damage && file_issue(j, rep, CAIRN_OK));
        return res;
    }
    const cn_unit *u = &res->units[0];
    CHECKN("resolve", u->kind == CAIRN_ITEM_SESSION && u->origin == CAIRN_ORIGIN_JSONL &&
                          cn_str_eq(u->id, j->id) && cn_str_eqc(u->path, j->path) &&
                          u->content.ptr && !u->resume_offset);
    cairn_str c = u->content;
    if (!j->zst) {
        CHECKN("resolve-content", c.len == j->len && !memcmp(c.ptr, j->text, c.len));
    } else {
        CHECKN("resolve-content", c.ptr[c.len] == '\0'); /* zst.c: NUL-terminated */
        if (!(j->damage & 2)) /* intact or cut: what decompressed is (a prefix of) the text */
            CHECKN("resolve-content", c.len <= j->len && !memcmp(c.ptr, j->text, c.len));
        if (!j->damage)
            CHECKN("resolve-content", c.len == j->len && !file_issue(j, rep, CAIRN_OK));
        if (j->damage == 1)
            CHECKN("resolve-zst-cut", file_issue(j, rep, CAIRN_CORRUPT));
    }
    *content = c;
    return res;
}

static cairn_batch *hydrate(cairn_resolved *res, cairn_report *rep)
{
    cairn_batch *b = NULL;
    cairn_err err = {0};
    CHECKN("hydrate-rc", cairn_hydrate_take(res, &b, rep, &err) == CAIRN_OK && b);
    return b;
}

/* Read again from the session's resume point, as the store does for a grown file. */
static void check_resumed(const job *j, const ctx *full, const cairn_batch *b)
{
    const cairn_session *s = &b->sessions[0];
    cairn_report *rep = cairn_report_new();
    cairn_str content;
    CHECK(rep);
    cairn_resolved *res = resolve_one(j, rep, &content);
    CHECKN(PER_AGENT(j, "resumed"), res->n == 1 && cn_str_eq(content, full->content));
    cn_unit *u = &res->units[0];
    u->resume_offset = s->resume_offset;
    u->resume_line = s->resume_line;
    u->resume_seq = s->resume_seq;
    u->resume_id = s->id; /* as the store gives it (store/ingest.c set_resume) */
    cairn_batch *c = hydrate(res, rep);

    ctx x;
    readpos r = {s->resume_offset, (size_t)s->resume_line, s->resume_seq};
    ctx_init(&x, j, content);
    check_report(&x, rep, r.from);
    check_batch(&x, c, &r);
    CHECKN(PER_AGENT(j, "resumed"), c->nsessions == 1);
    const cairn_session *t = &c->sessions[0];
    CHECKN(PER_AGENT(j, "resumed-tail"),
           t->tail_offset == s->tail_offset && t->tail_hash == s->tail_hash);
    CHECKN(PER_AGENT(j, "resumed-point"), t->resume_offset == s->resume_offset &&
                                              t->resume_line == s->resume_line &&
                                              t->resume_seq == s->resume_seq);
    CHECKN(PER_AGENT(j, "resumed-id"), cn_str_eq(t->id, s->id));
    CHECKN(PER_AGENT(j, "resumed-first"),
           c->nmessages >= 1 && s->resume_seq < b->nmessages &&
               cn_str_eq(c->messages[0].id, b->messages[s->resume_seq].id) &&
               cn_str_eq(c->messages[0].role, b->messages[s->resume_seq].role));
    ctx_release(&x);
    cairn_batch_free(c);
    cairn_report_free(rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    job j;
    ctx x;
    cairn_str content;

    if (size == 0)
        return 0;
    setup_once();
    int fd0 = lowest_fd();
    make_job(&j, data[0], data + 1, size - 1);
    write_file(&j);

    cairn_report *rep = cairn_report_new();
    CHECK(rep);
    cairn_resolved *res = resolve_one(&j, rep, &content);
    cairn_batch *b = hydrate(res, rep);
    ctx_init(&x, &j, content);
    check_report(&x, rep, 0);
    if (check_batch(&x, b, &(readpos){0, 0, 0}) && b->sessions[0].resume_offset > 0)
        check_resumed(&j, &x, b);
    ctx_release(&x);
    cairn_batch_free(b);
    cairn_report_free(rep);

    check_untouched(&j);
    check_no_new_files();
    CHECK(unlink(j.path) == 0);
    free(j.file);
    CHECKN("fd-leak", lowest_fd() == fd0);
    return 0;
}
