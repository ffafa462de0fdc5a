/*
 * source/codex/codex.h - the Codex CLI reader's internals (shared/formats/codex.md).
 *
 * A thread is one rollout file, sessions/YYYY/MM/DD/rollout-<local time>-<thread uuid>.jsonl
 * (or .jsonl.zst), or the same name under archived_sessions/.  plan.c lists them (one
 * SESSION item per thread, id = the uuid of the file name) and reads the selected ones
 * into one unit each; zst.c decompresses .zst rollouts; hydrate.c and items.c turn the
 * JSONL lines into records.
 *
 * Unit conventions (set by plan.c, read by hydrate.c): kind SESSION, origin JSONL,
 * id = session_id = the plan item's id, path = the full path (for issues), content = the
 * whole JSONL text (decompressed for .zst), parent_id = the top folder the rollout was
 * found in ("sessions" or "archived_sessions"), mtime_ns = the file's mtime.
 */
#ifndef CN_SOURCE_CODEX_H
#define CN_SOURCE_CODEX_H

#include "base/map.h"
#include "json/json.h"
#include "source/pipeline.h"

#define CN_CX_FILE_MAX ((size_t)1 << 30)  /* largest rollout read, plain or decompressed */
#define CN_CX_LINE_MAX ((size_t)16 << 20) /* longest line parsed; longer ones are issues */

/**
 * Decompress the zstd file name (relative to dirfd; label names it in messages) into
 * res's arena and return the text in *out (NUL-terminated, borrowed from res).
 * CAIRN_OK: complete.  CAIRN_CORRUPT: the data was cut short or damaged; *out holds the
 * bytes that decompressed cleanly before that point and err says what happened.
 * CAIRN_TOOBIG: more than max_bytes decompressed; *out is empty.  Open/read errors as
 * cn_file_load; CAIRN_NOMEM.
 */
cairn_rc cn_cx_zst_load(cairn_resolved *res, int dirfd, const char *name, const char *label,
                        size_t max_bytes, cairn_str *out, int64_t *mtime_ns, cairn_err *err);

/* ---- hydrate: the state shared by hydrate.c and items.c ---- */

/* Per-message flags kept beside the records while one file is read. */
enum { CX_USER_CONFIRMED = 1, CX_USER_HARNESS = 2 };

typedef struct cx_hy {
    cairn_batch *b;
    cn_arena *a; /* the batch arena: unescaped strings, ids */
    cairn_report *rep;
    cn_json j;  /* the current line */
    cn_json aj; /* scratch: tool arguments, 0.50's JSON-string outputs */

    /* records so far, in file order (moved into the batch arena at the end) */
    cairn_session *sess;
    size_t nsess, capsess;
    cairn_message *msgs;
    uint8_t *mflags; /* CX_USER_* per message */
    size_t nmsgs, capmsgs;
    cairn_part *parts;
    size_t nparts, capparts;

    /* the file being read */
    const cn_unit *u;
    size_t line;         /* 1-based number of the current line */
    uint32_t line_parts; /* parts made from the current line (numbers their ids) */
    int64_t ts;          /* the current line's timestamp (ms), 0 if none */
    uint32_t s;          /* its session (index in sess) */
    uint32_t first_msg;  /* its first message */
    uint32_t open;       /* the assistant message items are added to, or CAIRN_NONE */
    uint32_t last_reply; /* the session's latest assistant message, or CAIRN_NONE */
    cairn_tokens owed;   /* usage counted before any assistant message (hydrate.c) */
    uint32_t pending;    /* the last user message not yet confirmed by an event */
    bool confirm_next;   /* an event confirmed a prompt before its item came */
    bool confirmed_any;  /* the file has prompt events: unconfirmed user items are harness */
    bool have_meta, have_total;
    int64_t first_ts, last_ts; /* of the file's lines */
    cairn_str model;           /* of the current turn (turn_context) */
    cn_map calls;              /* call_id -> part index, for pairing outputs */
    bool oom;
    /* where a later read of the grown file may start: the last typed prompt (or the
     * event that confirmed it, when that came first) */
    int64_t base, base_line; /* this read started at base (after base_line lines) */
    int64_t line_off;        /* offset of the current line */
    int64_t turn_off, turn_line, confirm_off, confirm_line;
    size_t items;         /* lines that make records so far (response_item, compacted) */
    size_t confirm_items; /* ... when the event came: the prompt the only one since, the
                           * turn starts at the event */
    uint32_t turn_msgs;
    bool turn_seen;
} cx_hy;

/** Handle one response_item payload (items.c). */
void cn_cx_response_item(cx_hy *h, cn_jval payload);
/** Handle one compacted payload: a system message with a compaction part (items.c). */
void cn_cx_compacted(cx_hy *h, cn_jval payload);
/** The prompt event (user_message, item_completed UserMessage) for the pending item. */
void cn_cx_confirm_prompt(cx_hy *h);
/** End of file: decide which user messages are harness text (items.c). */
void cn_cx_mark_harness(cx_hy *h);

/** Add an issue at the current file:line. */
void cn_cx_issue(cx_hy *h, cairn_rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** hydrate.c: the reader's hydrate stage. */
cairn_rc cn_cx_hydrate(cairn_resolved *res, cairn_batch *b, cairn_report *rep, cairn_err *err);

#endif
