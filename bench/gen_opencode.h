/*
 * bench/gen_opencode.h - a synthetic opencode data dir for bench/opencode.
 *
 * oc_gen() writes one storage generation of a synthetic history: the G1
 * JSON tree (<dir>/storage/..., pretty-printed files, formats §4) or the G2
 * database (<dir>/opencode.db in WAL mode, 1.18.33 columns, data = the JSON
 * without its id fields, formats §3).  The content depends only on the seed
 * and the three counts, so the two generations (e.g. written by two
 * processes at once) hold exactly the same sessions, messages and parts.
 * Errors are fatal: the generator prints them and exits.
 *
 * gen_opencode.c builds the model (all the randomness); gen_opencode_json.c
 * turns it into JSON and gen_opencode_out.c into files or rows, both
 * without drawing any random number.
 */
#ifndef CAIRN_BENCH_GEN_OPENCODE_H
#define CAIRN_BENCH_GEN_OPENCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "json/write.h"

typedef struct oc_gen_opts {
    const char *dir; /* the data dir to fill (must exist) */
    bool g2;         /* false: the G1 JSON tree; true: the G2 database */
    uint64_t seed;
    uint32_t sessions, messages, parts; /* exact counts written */
    bool progress;   /* progress lines on stderr */
} oc_gen_opts;

typedef struct oc_gen_counts {
    uint64_t projects, sessions, messages, parts, todos;
    uint64_t files;      /* G1: files written (all kinds) */
    uint64_t json_bytes; /* G1: bytes of every file; G2: bytes of the data columns */
    uint64_t tool_parts, big_parts; /* tool parts; parts whose JSON is >= 10 KB */
    double seconds;
} oc_gen_counts;

/** Fill o->dir with one generation; *out gets what was written. Exits on error. */
void oc_gen(const oc_gen_opts *o, oc_gen_counts *out);

/* ---- internal: the model shared by gen_opencode.c and gen_opencode_out.c ---- */

#define OC_NPATHS 560 /* file paths: 8 dirs x 10 names x 7 extensions */
#define OC_NCMDS 8    /* bash commands */
#define OC_NMODELS 4
#define OC_NPROJECT_NAMES 9

enum { OC_POOL_PROSE, OC_POOL_CODE, OC_POOL_NUMBERED, OC_POOL_LOG, OC_POOL_COUNT };
enum { P_TEXT, P_REASONING, P_TOOL, P_FILE, P_STEP_START, P_STEP_FINISH, P_PATCH };
enum { T_BASH, T_READ, T_WRITE, T_EDIT, T_TASK };

typedef struct oc_tok {
    int64_t input, output, reasoning, cache_read, cache_write;
    double cost;
} oc_tok;

typedef struct oc_part {
    uint8_t kind, tool;
    /* text shape: 0 prompt in quotes or prose, 1 + code, 2 synthetic call, 3 synthetic file */
    uint8_t shape;
    bool synthetic, error, stop;
    char id[32], call_id[40], hash[41], sig[400];
    int64_t t0, t1;
    uint32_t path, npaths, cmd, exit_code;
    cairn_str a, b; /* slices of the pools: text, code, tool payloads */
    oc_tok tok;
} oc_part;

typedef struct oc_msg {
    bool user, has_tool;
    char id[32], parent[32];
    int64_t t0, t1;
    uint32_t nparts;
    oc_tok tok;
} oc_msg;

typedef struct oc_sess {
    char id[32], slug[32], title[96];
    int64_t t0, t1;
    uint32_t project, model, first_msg, nmsg, ntodo;
    int32_t parent, child; /* session indices, or -1 */
    bool archived;
    /* totals, filled while generating */
    oc_tok tok;
    int64_t additions, deletions, files;
} oc_sess;

typedef struct oc_ctx {
    const oc_gen_opts *o;
    oc_gen_counts *c;
    cairn_str pools[OC_POOL_COUNT];
    oc_sess *sess;
    uint32_t nproj;
    char (*proj_id)[41];
    int64_t proj_created, proj_updated;
    cn_buf out, tmp; /* the JSON being written; composed strings */
    cn_jw w;
    int fd_ses, fd_msg, fd_part, fd_todo, fd_diff, fd_proj; /* G1 */
    const oc_sess *msgdir;                          /* G1: message/<ses>/ exists */
    struct sqlite3 *db;                             /* G2 */
    struct sqlite3_stmt *st[6];
    bool tail;                                      /* G2: writing into the WAL */
} oc_ctx;

/*
 * gen_opencode_json.c: the JSON of one object into g->out (valid until the
 * next call): G1 pretty-printed with its ids, G2 compact without them.
 */
cairn_str oc_json_project(oc_ctx *g, uint32_t p);
cairn_str oc_json_session(oc_ctx *g, const oc_sess *s);
cairn_str oc_json_message(oc_ctx *g, const oc_sess *s, const oc_msg *m);
cairn_str oc_json_part(oc_ctx *g, const oc_sess *s, const oc_msg *m, const oc_part *p);
/** The G1 todo file: an array of {content, status, priority, id}. */
cairn_str oc_json_todos(oc_ctx *g, const oc_sess *s);
/** Todo k of s: its content into buf; status and priority static. */
void oc_todo(const oc_sess *s, uint32_t k, char *buf, size_t n, const char **status,
             const char **priority);
/** The session.model column: {"id","providerID","variant"}. */
const char *oc_model_json(const oc_sess *s, char *buf, size_t n);
extern const char oc_permission_json[];
/** The work tree of project p ("/home/dev/src/webshop"), into buf. */
const char *oc_worktree(uint32_t p, char *buf, size_t n);
/** "<worktree>/src/api/routes.ts" (abs) or "src/api/routes.ts" for path index idx, into buf. */
const char *oc_path(const oc_sess *s, uint32_t idx, bool abs, char *buf, size_t n);

/* gen_opencode_out.c: one call per entity, parents first. */
void oc_out_open(oc_ctx *g);
void oc_out_project(oc_ctx *g, uint32_t p);
/** G2: from here on, commit into the WAL and leave it there (opencode's live state). */
void oc_out_tail(oc_ctx *g);
void oc_out_message(oc_ctx *g, const oc_sess *s, const oc_msg *m, const oc_part *parts);
void oc_out_session(oc_ctx *g, const oc_sess *s);
void oc_out_close(oc_ctx *g);
void oc_die(const char *what, const char *detail);

#endif
