/*
 * fuzz/transcript.c - libFuzzer target for the Claude Code and Codex transcript readers,
 * driven through the real pipeline: cairn_plan_new -> cairn_resolve -> cairn_hydrate_take.
 *
 * Byte 0 of an input picks the agent and the layout of its files (an empty input is
 * passed over); the rest is the text, written as one to three files, removed after the
 * input, in a temp dir (made once per process) that stands in for the agent's home, as
 * the unit tests do:
 *   bit 0 = 0  Claude Code, under <tmp>/claude/projects/-home-dev-src-photo-sync/:
 *              bit 1: S is a uuid, the first "sessionId" of the text when it is one,
 *              as the agent names it (1), or "fuzz-session" (0: the id then comes from
 *              the sessionId field);
 *              bits 2-3: 0 the text is <S>.jsonl; else a sub-agent run A besides it, in
 *              <S>/subagents/<A>.jsonl and <A>.meta.json, the text cut at its first NUL
 *              bytes (the last piece takes the rest, a piece without its NUL is empty):
 *              1 "sub NUL meta" with <S>.jsonl empty (the planner finds sub-agents only
 *              beside their session's transcript), 2 "main NUL sub NUL meta", 3 "main
 *              NUL sub" and no .meta.json; bit 6 (sub-agent): A is "fuzz-sub" rather
 *              than "agent-<id>", a name the reader does not take for a sub-agent's;
 *              bit 4: a long line, bit 5: at the limit (below);
 *   bit 0 = 1  Codex: <tmp>/codex/sessions/2026/11/21/rollout-<time>-<uuid>.jsonl with
 *              the first "id" of the text when it is a uuid (the thread's, as Codex
 *              names it), else a fixed one; bit 1: under archived_sessions/ instead;
 *              bit 2: as .jsonl.zst (compressed here, with a checksum); bits 3-4 (zst):
 *              0 intact, 1 cut short, 2 one byte flipped, 3 both; bits 5-7: where, at
 *              (k+1)/9 of the compressed size; without zst, bit 3: a long line, bit 4:
 *              at the limit.
 * A long line: before the text is cut, its first "@LONG@<chunk>@" (chunk: up to 16 bytes
 * before an '@', '\n' or NUL; none is "x") becomes the chunk repeated, so that its line,
 * as the readers measure it, is one byte longer than their limit (16 MiB,
 * CN_JSONL_LINE_MAX or CN_CX_LINE_MAX), or, with the "at the limit" bit, exactly as long
 * (shorter when the chunk opens the line with blanks).  Inputs are at most 16 KB; this
 * reaches the limits without 16 MiB seeds.
 *
 * For every input:
 *  1. plan lists those files (kind, path, id, the Claude items' parent, size, mtime),
 *     resolve brings in exactly their bytes (for .zst: the text, or for a damaged one a
 *     clean prefix of it, reported), hydrate returns CAIRN_OK; the plan is freed before
 *     hydrating, as cairn_source_load does;
 *  2. every issue has a code, a message and a place under the source dir; in each
 *     transcript, every complete line that is not JSON, not an object, has no string
 *     "type" (or, Codex, a known type without an object payload) is an issue at
 *     "<file>:<line>", every "<file>:<line>" names a complete, non-blank line that was
 *     read, and a line is a CAIRN_TOOBIG issue exactly when it is longer than the
 *     limit; a .meta.json is an issue at "<meta>:1" exactly when it is not JSON, and no
 *     issue names another place in it;
 *  3. the batch is well-formed: at most one session per transcript, found by its key,
 *     with its path and id (a sub-agent's: its name, and its parent S, linked when the
 *     batch holds S); messages grouped by session and covering them, parts contiguous
 *     and covering their message, every index and back-reference (session, message
 *     within its session, project, parent id, a tool's child session: the sub-agent
 *     whose .meta.json names that call) consistent, enums in range, every id present (the
 *     store's NOT NULL columns), tool inputs that parse as JSON, titles of at most 80
 *     bytes on one line ("cc-meta-title" when a .meta.json may have given it), Claude's
 *     token totals equal to the sum of its messages', and every string valid UTF-8 and
 *     lying wholly inside one file's content or one live allocation (ASan's view);
 *  4. the incremental-read fields promise what record.h says, per session: tail_offset
 *     just past the last complete line and tail_hash its XXH3, resume_offset a line start
 *     with resume_line lines before it and resume_seq messages made from them; when that
 *     holds, a second read with every such session resumed there (as the store does for
 *     grown files) passes 2 and 3 and gives back the same tails, resume points and
 *     session ids, each starting with the same message;
 *  5. the agent's files keep their bytes, size and mtime, nothing else appears in the
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
#include "source/claude/claude.h"
#include "source/codex/codex.h"
#include "source/pipeline.h"

#include "lib/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

#define CC_PROJECT_DIR "-home-dev-src-photo-sync"
#define CC_PROJECT "projects/" CC_PROJECT_DIR
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

enum { NFILES_MAX = 3 };

/* One file written for the input. */
typedef struct tfile {
    uint8_t kind;       /* CAIRN_ITEM_SESSION, or CAIRN_ITEM_META for a .meta.json */
    char stem[48];      /* the plan item's id: the name without its suffix */
    char rel[256];      /* relative to the source dir */
    char path[512];     /* src/rel: how resolve and hydrate name it */
    cairn_str id;       /* = stem */
    const char *parent; /* the plan item's parent_id (Claude), NULL: not checked */
    bool sub;           /* a sub-agent's transcript: its session's parent_id is parent */
    const char *text;   /* the content (before compression) */
    size_t len;
    uint8_t *file; /* the bytes written (malloc'd) */
    size_t flen;
    struct stat st; /* after writing */
} tfile;

typedef struct job {
    cairn_agent agent;
    const char *src; /* the source dir */
    bool archived, zst;
    int damage;       /* zst: 1 cut short, 2 byte flipped */
    char sdir[128];   /* a sub-agent run: <S>'s folder, relative to src, else "" */
    char *expanded;   /* the text with its long line (malloc'd), or NULL */
    size_t nf, nsess; /* f[0..nsess) are transcripts, then a .meta.json */
    tfile f[NFILES_MAX];
    cairn_str meta_tool; /* the .meta.json's "toolUseId" (malloc'd), or empty */
} job;

static const tfile *meta_of(const job *j)
{
    return j->nf > j->nsess ? &j->f[j->nsess] : NULL;
}

/* uuid: the first uuid after key in the text, else def. */
static void find_uuid(const char *text, size_t len, const char *key, const char *def, char *uuid)
{
    size_t k = strlen(key);
    const char *p = memmem(text, len, key, k);
    snprintf(uuid, 40, "%s", def);
    if (!p || (size_t)(text + len - (p + k)) < 37 || p[k + 36] != '"')
        return;
    for (int i = 0; i < 36; i++) {
        char c = p[k + i];
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return;
    }
    memcpy(uuid, p + k, 36);
    uuid[36] = '\0';
}

#define LONG_MARK "@LONG@"
#define LONG_CHUNK_MAX 16

/* Replace the first "@LONG@<chunk>@" of the text with the chunk repeated, so that its line
 * is limit + over bytes long as the readers measure it (past the blanks that open it,
 * without the '\r' before its '\n'); the new text is j->expanded.  False: no marker. */
static bool expand_long(job *j, const char **text, size_t *len, size_t limit, size_t over)
{
    const char *t = *text, *end = t + *len;
    const char *m = memmem(t, *len, LONG_MARK, sizeof LONG_MARK - 1);
    if (!m)
        return false;
    const char *c = m + sizeof LONG_MARK - 1, *ce = c;
    while (ce < end && ce - c < LONG_CHUNK_MAX && *ce != '@' && *ce != '\n' && *ce)
        ce++;
    const char *rest = ce < end && *ce == '@' ? ce + 1 : ce;
    cairn_str chunk = ce > c ? (cairn_str){c, (size_t)(ce - c)} : CAIRN_STR("x");

    /* the line's other bytes: it ends at a '\n', or at a NUL that cuts the text in files */
    const char *ls = m, *le = rest;
    while (ls > t && ls[-1] != '\n' && ls[-1] != '\0')
        ls--;
    while (ls < m && (*ls == ' ' || *ls == '\t'))
        ls++;
    while (le < end && *le != '\n' && *le != '\0')
        le++;
    size_t other = (size_t)(m - ls) + (size_t)(le - rest);
    if (le < end && *le == '\n' && le > rest && le[-1] == '\r')
        other--;
    size_t n = limit + over - other; /* other <= 16 KB: no wrap */

    size_t pre = (size_t)(m - t), post = (size_t)(end - rest);
    j->expanded = malloc(pre + n + post + 1);
    CHECK(j->expanded);
    char *d = j->expanded;
    memcpy(d, t, pre);
    /* the chunk, then doubling what is there: a few memcpy for 16 MiB */
    size_t have = chunk.len < n ? chunk.len : n;
    memcpy(d + pre, chunk.ptr, have);
    while (have < n) {
        size_t k = have < n - have ? have : n - have;
        memcpy(d + pre + have, d + pre, k);
        have += k;
    }
    memcpy(d + pre + n, rest, post);
    *text = d;
    *len = pre + n + post;
    return true;
}

static tfile *add_file(job *j, uint8_t kind, const char *stem, const char *parent, const char *text,
                       size_t len)
{
    CHECK(j->nf < NFILES_MAX);
    tfile *f = &j->f[j->nf++];
    f->kind = kind;
    snprintf(f->stem, sizeof f->stem, "%s", stem);
    f->id = cn_str(f->stem);
    f->parent = parent;
    f->text = text;
    f->len = len;
    f->flen = len;
    f->file = malloc(len + 1);
    CHECK(f->file);
    memcpy(f->file, text, len);
    j->nsess += kind == CAIRN_ITEM_SESSION;
    return f;
}

static void set_rel(const job *j, tfile *f, const char *fmt, const char *a, const char *b)
{
    snprintf(f->rel, sizeof f->rel, fmt, a, b);
    snprintf(f->path, sizeof f->path, "%s/%s", j->src, f->rel);
}

/* The next piece of the text: up to its next NUL, or all of it when last. */
static cairn_str piece(const char **text, size_t *len, bool last)
{
    const char *nul = last ? NULL : memchr(*text, '\0', *len);
    size_t n = nul ? (size_t)(nul - *text) : *len;
    cairn_str s = {*text, n};
    *text += n + (nul != NULL);
    *len -= n + (nul != NULL);
    return s;
}

#define CC_AGENT "agent-a8b737ede6af0c161" /* as 2.1.329 names a sub-agent run */

static void make_claude(job *j, uint8_t sel, const char *text, size_t len)
{
    int layout = sel >> 2 & 3;
    char s[40];
    j->src = cc_src;
    find_uuid(text, len, "\"sessionId\":\"", CC_UUID, s);
    if (!(sel & 2))
        snprintf(s, sizeof s, "fuzz-session");
    if (!layout) {
        tfile *f = add_file(j, CAIRN_ITEM_SESSION, s, CC_PROJECT_DIR, text, len);
        set_rel(j, f, "%s/%s.jsonl", CC_PROJECT, s);
        return;
    }
    /* a sub-agent run: <S>.jsonl (maybe empty) and <S>/subagents/<A>.jsonl, .meta.json */
    cairn_str main = layout == 1 ? CAIRN_STR("") : piece(&text, &len, false);
    cairn_str sub = piece(&text, &len, layout == 3);
    cairn_str meta = layout == 3 ? CAIRN_STR("") : piece(&text, &len, true);
    const char *a = sel & 64 ? "fuzz-sub" : CC_AGENT;
    snprintf(j->sdir, sizeof j->sdir, "%s/%s", CC_PROJECT, s);
    tfile *f = add_file(j, CAIRN_ITEM_SESSION, s, CC_PROJECT_DIR, main.ptr, main.len);
    set_rel(j, f, "%s/%s.jsonl", CC_PROJECT, s);
    f = add_file(j, CAIRN_ITEM_SESSION, a, j->f[0].stem, sub.ptr, sub.len);
    f->sub = !(sel & 64);
    set_rel(j, f, "%s/subagents/%s.jsonl", j->sdir, a);
    if (layout == 3)
        return;
    f = add_file(j, CAIRN_ITEM_META, a, j->f[0].stem, meta.ptr, meta.len);
    set_rel(j, f, "%s/subagents/%s.meta.json", j->sdir, a);
}

static void make_codex(job *j, uint8_t sel, const char *text, size_t len)
{
    char uuid[40];
    j->src = cx_src;
    find_uuid(text, len, "\"id\":\"", CX_UUID, uuid);
    j->archived = sel & 2;
    j->zst = sel & 4;
    j->damage = j->zst ? sel >> 3 & 3 : 0;
    tfile *f = add_file(j, CAIRN_ITEM_SESSION, uuid, NULL, text, len);
    snprintf(f->rel, sizeof f->rel, "%s/rollout-2026-11-21T05-47-32-%s.jsonl%s",
             j->archived ? "archived_sessions" : "sessions/2026/11/21", uuid, j->zst ? ".zst" : "");
    snprintf(f->path, sizeof f->path, "%s/%s", j->src, f->rel);
    if (!j->zst)
        return;
    ZSTD_CCtx *z = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(len), n;
    free(f->file);
    CHECK(z && (f->file = malloc(cap)));
    CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1)));
    CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 1)));
    n = ZSTD_compress2(z, f->file, cap, text, len);
    CHECK(!ZSTD_isError(n) && n > 0);
    ZSTD_freeCCtx(z);
    size_t at = n * (size_t)((sel >> 5) + 1) / 9;
    if (j->damage & 2)
        f->file[j->damage & 1 ? at / 2 : at < n ? at : n - 1] ^= 0x5A;
    f->flen = j->damage & 1 ? at : n;
}

/* The call that launched the sub-agent, as the reader takes it from the .meta.json. */
static void find_meta_tool(job *j)
{
    const tfile *m = meta_of(j);
    cn_json js;
    cn_arena a;
    if (!m)
        return;
    cn_json_init(&js);
    cn_arena_init(&a, 0, 0);
    if (cn_json_parse(&js, m->text, m->len, NULL) == CAIRN_OK) {
        cairn_str t = cn_json_str_or(cn_json_get(cn_json_root(&js), "toolUseId"), &a);
        char *p = t.len ? malloc(t.len) : NULL;
        if (p)
            j->meta_tool = (cairn_str){memcpy(p, t.ptr, t.len), t.len};
    }
    cn_json_release(&js);
    cn_arena_release(&a);
}

static void make_job(job *j, uint8_t sel, const uint8_t *data, size_t len)
{
    const char *text = (const char *)data;
    bool codex = sel & 1;
    memset(j, 0, sizeof *j);
    j->agent = codex ? CAIRN_AGENT_CODEX : CAIRN_AGENT_CLAUDE;
    /* the bits above 2 are the .zst damage's for a compressed rollout (no long line there) */
    bool long_line = codex ? !(sel & 4) && sel & 8 : sel & 16;
    bool at_limit = codex ? sel & 16 : sel & 32;
    if (long_line)
        expand_long(j, &text, &len, codex ? CN_CX_LINE_MAX : CN_JSONL_LINE_MAX, !at_limit);
    if (codex)
        make_codex(j, sel, text, len);
    else
        make_claude(j, sel, text, len);
    find_meta_tool(j);
}

static void write_file(tfile *f)
{
    int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK(f->flen == 0 || write(fd, f->file, f->flen) == (ssize_t)f->flen);
    CHECK(close(fd) == 0);
    CHECK(stat(f->path, &f->st) == 0);
}

static void write_files(job *j)
{
    char d[512];
    if (j->sdir[0]) {
        snprintf(d, sizeof d, "claude/%s", j->sdir);
        mkdir_in_root(d);
        snprintf(d, sizeof d, "claude/%s/subagents", j->sdir);
        mkdir_in_root(d);
    }
    for (size_t i = 0; i < j->nf; i++)
        write_file(&j->f[i]);
}

/* Remove what write_files made. */
static void remove_files(job *j)
{
    char d[512];
    for (size_t i = 0; i < j->nf; i++) {
        CHECK(unlink(j->f[i].path) == 0);
        free(j->f[i].file);
    }
    if (j->sdir[0]) {
        snprintf(d, sizeof d, "%s/%s/subagents", j->src, j->sdir);
        CHECK(rmdir(d) == 0);
        snprintf(d, sizeof d, "%s/%s", j->src, j->sdir);
        CHECK(rmdir(d) == 0);
    }
    free(j->expanded);
    free((char *)j->meta_tool.ptr);
}

/* The file is as written: same bytes, size, mtime. */
static void check_untouched(const tfile *f)
{
    struct stat st;
    CHECKN("file-written", stat(f->path, &st) == 0 && st.st_size == f->st.st_size &&
                               st.st_mtim.tv_sec == f->st.st_mtim.tv_sec &&
                               st.st_mtim.tv_nsec == f->st.st_mtim.tv_nsec &&
                               st.st_mode == f->st.st_mode);
    uint8_t *buf = malloc(f->flen + 1);
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    CHECK(buf && fd >= 0);
    ssize_t got = read(fd, buf, f->flen + 1);
    close(fd);
    CHECKN("file-written", got == (ssize_t)f->flen && !memcmp(buf, f->file, f->flen));
    free(buf);
}

static size_t nfiles;

static int count_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)st, (void)ftw;
    nfiles += flag != FTW_D && flag != FTW_DP;
    return 0;
}

/* Nothing but the input's files exists under the temp dir. */
static void check_no_new_files(const job *j)
{
    nfiles = 0;
    CHECK(nftw(root, count_entry, 16, FTW_PHYS) == 0);
    CHECKN("file-created", nfiles == j->nf);
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

/* What a read that started at base (after from lines, first_seq messages) must give. */
typedef struct readpos {
    int64_t base;
    size_t from;
    uint32_t first_seq;
} readpos;

/* One transcript as read. */
typedef struct ctx {
    const job *j;
    const tfile *f;
    cairn_str content; /* the unit's */
    rline *lines;      /* complete lines; lines[k] is line k + 1 */
    size_t nlines, tail;
    readpos r;
    const cairn_session *s; /* its session in the batch, or NULL */
    bool resumable;         /* s's resume point is consistent */
    size_t mline;           /* Codex: the line of the last message checked */
    cn_json js;
    cn_arena a;
} ctx;

/* Every file's content in the resolved set being checked (check_str). */
static cairn_str live[NFILES_MAX];

static void ctx_init(ctx *x, const job *j, const tfile *f, cairn_str content, readpos r)
{
    memset(x, 0, sizeof *x);
    x->j = j;
    x->f = f;
    x->content = content;
    x->r = r;
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

static ctx *ctx_of(ctx *xs, size_t n, cairn_str key)
{
    for (size_t i = 0; i < n; i++)
        if (cn_str_eq(xs[i].f->id, key))
            return &xs[i];
    return NULL;
}

static bool blank(const rline *l)
{
    return l->start == l->end;
}

static size_t line_max(const job *j)
{
    return j->agent == CAIRN_AGENT_CODEX ? CN_CX_LINE_MAX : CN_JSONL_LINE_MAX;
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
    if (l->end - l->start > line_max(x->j))
        return true;
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

/* The issues that name x's file.  Lines 1..x->r.from were not read (a resumed read). */
static void check_report(ctx *x, const cairn_report *rep)
{
    size_t n = cairn_report_count(rep), srclen = strlen(x->j->src), from = x->r.from;
    bool *hit = calloc(x->nlines + 1, 1), *toobig = calloc(x->nlines + 1, 1);
    CHECK(hit && toobig);
    for (size_t i = 0; i < n; i++) {
        const cairn_issue *is = cairn_report_get(rep, i);
        CHECK(is && is->where && is->what);
        CHECKN("issue-empty", is->rc != CAIRN_OK && is->what[0] && is->where[0]);
        CHECKN("issue-where", !strncmp(is->where, x->j->src, srclen) && is->where[srclen] == '/');
        size_t no = where_line(is->where, x->f->path);
        if (!no)
            continue;
        CHECKN("issue-line", no > from && no <= x->nlines && !blank(&x->lines[no - 1]));
        if (no > x->nlines)
            continue;
        hit[no] = true;
        toobig[no] |= is->rc == CAIRN_TOOBIG;
    }
    for (size_t no = from + 1; no <= x->nlines; no++) {
        const rline *l = &x->lines[no - 1];
        if (blank(l))
            continue;
        if (line_is_bad(x, l))
            CHECKN("bad-line-unreported", hit[no]);
        /* over the limit: skipped with CAIRN_TOOBIG; at it: read as any other line */
        CHECKN("long-line", toobig[no] == (l->end - l->start > line_max(x->j)));
    }
    free(hit);
    free(toobig);
}

static bool is_json(cairn_str s)
{
    cn_json j;
    cn_json_init(&j);
    bool ok = cn_json_parse(&j, s.ptr, s.len, NULL) == CAIRN_OK;
    cn_json_release(&j);
    return ok;
}

/* A .meta.json is one JSON value: an issue at "<meta>:1" when it is not one, else none. */
static void check_meta_report(const job *j, const cairn_report *rep, cairn_str content)
{
    const tfile *m = meta_of(j);
    if (!m)
        return;
    size_t n = strlen(m->path);
    bool hit = false;
    for (size_t i = 0; i < cairn_report_count(rep); i++) {
        const char *w = cairn_report_get(rep, i)->where;
        if (strncmp(w, m->path, n))
            continue;
        CHECKN("meta-issue", !strcmp(w + n, ":1"));
        hit |= !strcmp(w + n, ":1");
    }
    CHECKN("meta-issue", hit == !is_json(content));
}

/* An issue at exactly the file (resolve's), optionally with this code. */
static bool file_issue(const tfile *f, const cairn_report *rep, cairn_rc rc)
{
    for (size_t i = 0; i < cairn_report_count(rep); i++) {
        const cairn_issue *is = cairn_report_get(rep, i);
        if (!strcmp(is->where, f->path) && (!rc || is->rc == rc))
            return true;
    }
    return false;
}

/* ---- checks: the records ---- */

/* s is absent, or valid UTF-8 wholly inside one file's content or one live allocation. */
static void check_str(const ctx *x, cairn_str s)
{
    (void)x;
    if (!s.ptr) {
        CHECKN("str-null", s.len == 0);
        return;
    }
    for (size_t i = 0; i < NFILES_MAX; i++) {
        const char *c = live[i].ptr;
        if (c && s.ptr >= c && s.ptr <= c + live[i].len)
            CHECKN("str-bounds", s.len <= (size_t)(c + live[i].len - s.ptr));
    }
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

/* Codex ids: "<thread>:<line>" (message), "<thread>:<line>:<k>" (part); the line, or 0. */
static size_t cx_id_line(const ctx *x, cairn_str id, bool part)
{
    cairn_str t = x->f->id;
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

/* A tool's child session: "agent-<id>" from its result's toolUseResult.agentId, or the
 * sub-agent whose .meta.json names the call (in its parent's session: then always). */
static void check_child(const ctx *x, const cairn_part *p)
{
    cairn_str child = p->u.tool.child_session_id;
    const tfile *m = meta_of(x->j);
    if (m && x->j->meta_tool.len && cn_str_eqc(x->f->id, m->parent) &&
        cn_str_eq(p->u.tool.call_id, x->j->meta_tool))
        CHECKN("cc-child", cn_str_eq(child, m->id));
    else
        CHECKN("cc-child", !child.len || (child.len > 6 && cn_str_starts(child, "agent-")));
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
        CHECKN("tool-input-json", !p->u.tool.input.ptr || is_json(p->u.tool.input));
        if (x->j->agent == CAIRN_AGENT_CLAUDE)
            check_child(x, p);
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

/* Message mi of x's session s; its parts start at np. */
static void check_message(ctx *x, const cairn_batch *b, uint32_t mi, size_t np)
{
    const cairn_message *m = &b->messages[mi];
    const cairn_session *s = &b->sessions[m->session];
    const cairn_str strs[] = {m->id,         m->session_id,   m->role,        m->parent_id,
                              m->agent_name, m->model_id,     m->provider_id, m->finish,
                              m->error_name, m->error_message};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        check_str(x, strs[i]);
    CHECKN("message-id", m->id.ptr != NULL);
    CHECKN("message-ref", cn_str_eq(m->session_id, s->id) && mi >= s->first_message &&
                              mi - s->first_message < s->nmessages);
    CHECKN("message-role", cn_str_eqc(m->role, "user") || cn_str_eqc(m->role, "assistant") ||
                               cn_str_eqc(m->role, "system"));
    CHECKN("message-parts", m->first_part == np && m->nparts <= b->nparts - np);
    if (m->parent_id.len) { /* a message of the same session */
        bool found = false;
        for (size_t k = s->first_message; k < s->first_message + s->nmessages && !found; k++)
            found = k != mi && k < b->nmessages && cn_str_eq(b->messages[k].id, m->parent_id);
        CHECKN("message-parent", found);
    }
    size_t ml = 0;
    if (x->j->agent == CAIRN_AGENT_CODEX) {
        /* ids number the message's first line; messages come in file order */
        ml = cx_id_line(x, m->id, false);
        CHECKN("cx-id",
               ml > x->r.from && ml <= x->nlines && !blank(&x->lines[ml - 1]) && ml >= x->mline);
        x->mline = ml;
    }
    for (uint32_t k = m->first_part; k < m->first_part + m->nparts; k++)
        check_part(x, b, &b->parts[k], mi, ml);
}

static size_t newlines_before(const ctx *x, size_t off)
{
    size_t n = 0;
    for (size_t i = 0; i < off; i++)
        n += x->content.ptr[i] == '\n';
    return n;
}

/* False when resume_seq does not count the messages before resume_offset (then a read
 * resumed there cannot be judged). */
static bool check_resume_point(ctx *x, const cairn_batch *b, const cairn_session *s)
{
    const readpos *r = &x->r;
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
        for (size_t i = s->first_message; i < s->first_message + s->nmessages; i++)
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
    const cairn_message *m = k < s->nmessages ? &b->messages[s->first_message + k] : NULL;
    bool ok = m && cn_str_eqc(m->role, "user") && cn_str_eq(m->id, uuid);
    CHECKN(PER_AGENT(x->j, "resume-seq"), ok);
    return ok;
}

/* The parent a session must name: a sub-agent's is S, linked when the batch holds S. */
static void check_parent(const ctx *x, const cairn_batch *b, const cairn_session *s)
{
    uint32_t want = CAIRN_NONE;
    CHECKN("session-parent",
           x->f->sub ? cn_str_eqc(s->parent_id, x->f->parent) : !s->parent_id.len);
    for (uint32_t k = 0; k < b->nsessions && want == CAIRN_NONE && s->parent_id.len; k++)
        if (cn_str_eq(b->sessions[k].id, s->parent_id))
            want = k;
    CHECKN("session-parent", s->parent == want);
}

/* Session si, read from x's file. */
static void check_session(ctx *x, const cairn_batch *b, uint32_t si)
{
    const job *j = x->j;
    const cairn_session *s = &b->sessions[si];
    const cairn_str strs[] = {s->id,       s->project_id,  s->parent_id,   s->slug,
                              s->title,    s->directory,   s->version,     s->agent_name,
                              s->model_id, s->provider_id, s->source_path, s->key};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        check_str(x, strs[i]);
    CHECKN("session", s->agent == j->agent && s->origin == CAIRN_ORIGIN_JSONL && s->id.len > 0 &&
                          cn_str_eq(s->key, x->f->id) && cn_str_eqc(s->source_path, x->f->path));
    CHECKN("session", !x->f->sub || x->r.base || cn_str_eq(s->id, x->f->id));
    CHECKN("session", s->first_message <= b->nmessages &&
                          s->nmessages <= b->nmessages - s->first_message &&
                          s->time_updated_ms >= s->time_created_ms);
    for (uint32_t mi = s->first_message; mi < s->first_message + s->nmessages; mi++)
        CHECKN("message-ref", mi >= b->nmessages || b->messages[mi].session == si);
    check_parent(x, b, s);
    CHECKN("session-project",
           s->project_id.len
               ? s->project < b->nprojects && cn_str_eq(b->projects[s->project].id, s->project_id)
               : s->project == CAIRN_NONE);
    CHECKN("session-archived", (s->time_archived_ms != 0) == j->archived);
    /* a .meta.json's description becomes a sub-agent's title as it is */
    bool from_meta = j->nsess > 1 && x->f != &j->f[0] && meta_of(j);
    CHECKN(from_meta ? "cc-meta-title" : "session-title",
           s->title.len <= 80 && !memchr(s->title.ptr ? s->title.ptr : "", '\n', s->title.len));
    /* the tail: just past the last complete line, and the hash of what is before it */
    CHECKN("tail", s->tail_offset >= 0 && (size_t)s->tail_offset == x->tail &&
                       s->tail_hash == XXH3_64bits(x->content.ptr, x->tail));
    x->resumable = check_resume_point(x, b, s);
    if (j->agent != CAIRN_AGENT_CLAUDE)
        return;
    uint64_t in = 0, out = 0, cr = 0, cw = 0; /* wrapping: the sums are compared, not used */
    for (uint32_t mi = s->first_message; mi < s->first_message + s->nmessages; mi++) {
        if (mi >= b->nmessages)
            break;
        in += (uint64_t)b->messages[mi].tokens.input;
        out += (uint64_t)b->messages[mi].tokens.output;
        cr += (uint64_t)b->messages[mi].tokens.cache_read;
        cw += (uint64_t)b->messages[mi].tokens.cache_write;
    }
    CHECKN("cc-tokens", s->totals_computed && (uint64_t)s->tokens.input == in &&
                            (uint64_t)s->tokens.output == out &&
                            (uint64_t)s->tokens.cache_read == cr &&
                            (uint64_t)s->tokens.cache_write == cw);
}

/* The batch made from the transcripts xs[0..n); each one's s and resumable are set. */
static void check_batch(ctx *xs, size_t n, const cairn_batch *b)
{
    const job *j = xs[0].j;
    CHECKN("batch", b->agent == j->agent && b->nsessions <= n && b->nprojects <= b->nsessions &&
                        b->ntodos == 0);
    CHECKN("batch", (!b->nsessions || b->sessions) && (!b->nmessages || b->messages) &&
                        (!b->nparts || b->parts) && (!b->nprojects || b->projects));
    if (j->agent == CAIRN_AGENT_CODEX) { /* a session exists once a line is an object */
        size_t objects = 0;
        for (size_t no = xs[0].r.from + 1; no <= xs[0].nlines; no++)
            objects += !blank(&xs[0].lines[no - 1]) &&
                       cn_json_is(parse_line(&xs[0], &xs[0].lines[no - 1]), CN_JSON_OBJECT);
        CHECKN("cx-session", (objects > 0) == (b->nsessions == 1));
    }
    if (!b->nsessions) {
        CHECKN("batch", !b->nmessages && !b->nparts && !b->nprojects);
        return;
    }

    size_t total = 0;
    for (uint32_t si = 0; si < b->nsessions; si++) {
        ctx *x = ctx_of(xs, n, b->sessions[si].key);
        CHECKN("session", x && !x->s);
        if (!x || x->s)
            continue;
        x->s = &b->sessions[si];
        check_session(x, b, si);
        total += b->sessions[si].nmessages;
    }
    /* each session's messages are its own (above): together they are all of them */
    CHECKN("message-ref", total == b->nmessages);

    for (size_t i = 0; i < b->nprojects; i++) {
        const cairn_project *p = &b->projects[i];
        const cairn_str ps[] = {p->id, p->worktree, p->vcs, p->name};
        for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++)
            check_str(&xs[0], ps[k]);
        CHECKN("project", p->agent == j->agent && p->id.len && p->ndirs >= 1 && p->dirs);
        for (uint32_t k = 0; k < p->ndirs; k++)
            check_str(&xs[0], p->dirs[k]);
    }

    size_t np = 0;
    for (uint32_t mi = 0; mi < b->nmessages; mi++) {
        uint32_t si = b->messages[mi].session;
        CHECKN("message-ref", si < b->nsessions);
        ctx *x = si < b->nsessions ? ctx_of(xs, n, b->sessions[si].key) : NULL;
        if (!x)
            continue;
        check_message(x, b, mi, np);
        np += b->messages[mi].nparts;
    }
    CHECKN("message-parts", np == b->nparts);
}

/* ---- the pipeline ---- */

static const tfile *file_at(const job *j, cairn_str rel)
{
    for (size_t i = 0; i < j->nf; i++)
        if (cn_str_eqc(rel, j->f[i].rel))
            return &j->f[i];
    return NULL;
}

static cairn_plan *plan_all(const job *j, cairn_report *rep)
{
    cairn_source src = {.agent = j->agent};
    cairn_plan *plan = NULL;
    cairn_err err = {0};
    bool seen[NFILES_MAX] = {0};
    snprintf(src.path, sizeof src.path, "%s", j->src);
    CHECKN("plan-rc", cairn_plan_new(&src, &plan, rep, &err) == CAIRN_OK && plan);
    CHECKN("plan", cairn_plan_count(plan) == j->nf && cairn_plan_sessions(plan) == j->nsess);
    for (size_t i = 0; i < cairn_plan_count(plan); i++) {
        const cairn_plan_item *it = cairn_plan_item_at(plan, i);
        const tfile *f = file_at(j, it->path);
        CHECKN("plan", f && !seen[f - j->f]);
        if (!f)
            continue;
        seen[f - j->f] = true;
        CHECKN("plan", it->kind == f->kind && it->origin == CAIRN_ORIGIN_JSONL && it->selected &&
                           !it->shadowed && cn_str_eq(it->id, f->id) &&
                           (!f->parent || cn_str_eqc(it->parent_id, f->parent)) &&
                           it->size == f->st.st_size &&
                           it->mtime_ns ==
                               (int64_t)f->st.st_mtim.tv_sec * 1000000000 + f->st.st_mtim.tv_nsec);
    }
    return plan;
}

/* One unit's content against its file's text; a .zst's (the only file then) may be cut. */
static void check_content(const job *j, const tfile *f, const cairn_report *rep, cairn_str c)
{
    if (!j->zst) {
        CHECKN("resolve-content", c.len == f->len && !memcmp(c.ptr, f->text, c.len));
        return;
    }
    CHECKN("resolve-content", c.ptr[c.len] == '\0'); /* zst.c: NUL-terminated */
    if (!(j->damage & 2)) /* intact or cut: what decompressed is (a prefix of) the text */
        CHECKN("resolve-content", c.len <= f->len && !memcmp(c.ptr, f->text, c.len));
    if (!j->damage)
        CHECKN("resolve-content", c.len == f->len && !file_issue(f, rep, CAIRN_OK));
    if (j->damage == 1)
        CHECKN("resolve-zst-cut", file_issue(f, rep, CAIRN_CORRUPT));
}

/* Resolve every file; content[i] is f[i]'s, empty when it could not be read (a damaged
 * .zst only).  live[] names them for check_str. */
static cairn_resolved *resolve_all(const job *j, cairn_report *rep, cairn_str *content)
{
    cairn_plan *plan = plan_all(j, rep);
    cairn_resolved *res = NULL;
    cairn_err err = {0};
    CHECKN("resolve-rc", cairn_resolve(plan, &res, rep, &err) == CAIRN_OK && res);
    cairn_plan_free(plan); /* as cairn_source_load: records must not point into it */
    CHECKN("resolve", res->agent == j->agent && res->n <= j->nf && res->nmaps == 0);
    CHECKN("resolve", res->n == j->nf || (j->damage && file_issue(&j->f[0], rep, CAIRN_OK)));
    memset(content, 0, NFILES_MAX * sizeof *content);
    bool seen[NFILES_MAX] = {0};
    for (size_t i = 0; i < res->n; i++) {
        const cn_unit *u = &res->units[i];
        const tfile *f = NULL;
        for (size_t k = 0; k < j->nf && !f; k++)
            f = cn_str_eqc(u->path, j->f[k].path) ? &j->f[k] : NULL;
        CHECKN("resolve", f && !seen[f - j->f]);
        if (!f)
            continue;
        seen[f - j->f] = true;
        CHECKN("resolve", u->kind == f->kind && u->origin == CAIRN_ORIGIN_JSONL &&
                              cn_str_eq(u->id, f->id) && u->content.ptr && !u->resume_offset);
        check_content(j, f, rep, u->content);
        content[f - j->f] = u->content;
    }
    memcpy(live, content, sizeof live);
    return res;
}

static cairn_batch *hydrate(cairn_resolved *res, cairn_report *rep)
{
    cairn_batch *b = NULL;
    cairn_err err = {0};
    CHECKN("hydrate-rc", cairn_hydrate_take(res, &b, rep, &err) == CAIRN_OK && b);
    return b;
}

/* The session to resume in a second read: consistent, with a point past the start. */
static const cairn_session *to_resume(const ctx *x)
{
    return x->s && x->resumable && x->s->resume_offset > 0 ? x->s : NULL;
}

/* Read again from each session's resume point, as the store does for grown files. */
static void check_resumed(const job *j, const ctx *full, const cairn_batch *b)
{
    cairn_report *rep = cairn_report_new();
    cairn_str content[NFILES_MAX];
    ctx y[NFILES_MAX];
    CHECK(rep);
    cairn_resolved *res = resolve_all(j, rep, content);
    CHECKN(PER_AGENT(j, "resumed"), res->n == j->nf);
    for (size_t i = 0; i < j->nsess; i++)
        CHECKN(PER_AGENT(j, "resumed"), cn_str_eq(content[i], full[i].content));
    for (size_t i = 0; i < res->n; i++) {
        cn_unit *u = &res->units[i];
        const cairn_session *s = NULL;
        for (size_t k = 0; k < j->nsess && !s && u->kind == CAIRN_ITEM_SESSION; k++)
            s = cn_str_eq(u->id, full[k].f->id) ? to_resume(&full[k]) : NULL;
        if (!s)
            continue;
        u->resume_offset = s->resume_offset;
        u->resume_line = s->resume_line;
        u->resume_seq = s->resume_seq;
        u->resume_id = s->id; /* as the store gives it (store/ingest.c set_resume) */
    }
    cairn_batch *c = hydrate(res, rep);

    for (size_t i = 0; i < j->nsess; i++) {
        const cairn_session *s = to_resume(&full[i]);
        readpos r = {0, 0, 0};
        if (s)
            r = (readpos){s->resume_offset, (size_t)s->resume_line, s->resume_seq};
        ctx_init(&y[i], j, &j->f[i], content[i], r);
        check_report(&y[i], rep);
    }
    check_meta_report(j, rep, content[j->nsess]);
    check_batch(y, j->nsess, c);
    for (size_t i = 0; i < j->nsess; i++) {
        const cairn_session *s = to_resume(&full[i]), *t = y[i].s;
        if (!s)
            continue;
        CHECKN(PER_AGENT(j, "resumed"), t != NULL);
        if (!t)
            continue;
        CHECKN(PER_AGENT(j, "resumed-tail"),
               t->tail_offset == s->tail_offset && t->tail_hash == s->tail_hash);
        CHECKN(PER_AGENT(j, "resumed-point"), t->resume_offset == s->resume_offset &&
                                                  t->resume_line == s->resume_line &&
                                                  t->resume_seq == s->resume_seq);
        CHECKN(PER_AGENT(j, "resumed-id"), cn_str_eq(t->id, s->id));
        /* the message at the point, as the full read made it (resume_seq counts from 0) */
        uint32_t k = s->first_message + (s->resume_seq - s->first_seq);
        CHECKN(PER_AGENT(j, "resumed-first"),
               t->nmessages >= 1 && s->resume_seq - s->first_seq < s->nmessages &&
                   t->first_message < c->nmessages && k < b->nmessages &&
                   cn_str_eq(c->messages[t->first_message].id, b->messages[k].id) &&
                   cn_str_eq(c->messages[t->first_message].role, b->messages[k].role));
    }
    for (size_t i = 0; i < j->nsess; i++)
        ctx_release(&y[i]);
    cairn_batch_free(c);
    cairn_report_free(rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    job j;
    ctx x[NFILES_MAX];
    cairn_str content[NFILES_MAX];

    if (size == 0)
        return 0;
    setup_once();
    int fd0 = lowest_fd();
    make_job(&j, data[0], data + 1, size - 1);
    write_files(&j);

    cairn_report *rep = cairn_report_new();
    CHECK(rep);
    cairn_resolved *res = resolve_all(&j, rep, content);
    cairn_batch *b = hydrate(res, rep);
    bool resume = false;
    for (size_t i = 0; i < j.nsess; i++) {
        ctx_init(&x[i], &j, &j.f[i], content[i], (readpos){0, 0, 0});
        check_report(&x[i], rep);
    }
    check_meta_report(&j, rep, content[j.nsess]);
    check_batch(x, j.nsess, b);
    for (size_t i = 0; i < j.nsess; i++)
        resume |= to_resume(&x[i]) != NULL;
    if (resume)
        check_resumed(&j, x, b);
    for (size_t i = 0; i < j.nsess; i++)
        ctx_release(&x[i]);
    cairn_batch_free(b);
    cairn_report_free(rep);

    for (size_t i = 0; i < j.nf; i++)
        check_untouched(&j.f[i]);
    check_no_new_files(&j);
    remove_files(&j);
    CHECKN("fd-leak", lowest_fd() == fd0);
    return 0;
}
