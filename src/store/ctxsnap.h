/*
 * store/ctxsnap.h - a session's context document, and the compressed snapshot
 * that its first events are folded into (store/context.c runs the SQL).
 *
 * A session's context is a snapshot (NULL until the first fold) followed by
 * the events appended since.  The snapshot keeps exactly what the document
 * needs: per kind, the array items of the document as cairn writes them
 * (comma-joined JSON objects: each file access with its importance, time
 * and order; each search, decision and memory reference with its time), how
 * many items each kind has (the file count is the running `order`), and the
 * latest importance of each path in first-seen order.  The document is then
 * the snapshot's items followed by the later events' items, written by the
 * same functions, so it is byte for byte the document the raw events give.
 *
 * The snapshot before compression (integers little-endian):
 *
 *   "cairnctx" u32 version (1) u32 0 | i64 count[4] | i64 npaths | i64 len[4]
 *   | i64 len of members | items of files, searches, decisions, memories
 *   (len[k] bytes each) | members: the "path":importance members of
 *   file_importance_scores, comma-joined, as cairn writes them | npaths x
 *   (u32 n, n bytes of path, a NUL, u64 bits of its importance, u32 bytes
 *   of its member)
 *
 * and it is stored as one zstd frame (level 3) with its content size and a
 * checksum.  Reading copies the items and the members that no later event
 * changes as they are, so a read costs a decompression and a few copies.
 * Decoding checks the frame (content size, one frame, checksum) and every
 * length and count; a fold also parses the items and members as JSON and
 * checks the paths are distinct before it builds on them.  Anything wrong is
 * CAIRN_CORRUPT.
 */
#ifndef CN_STORE_CTXSNAP_H
#define CN_STORE_CTXSNAP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "cairn/memory.h"
#include "json/write.h"

/*
 * Fold a session's events into its snapshot once an append leaves this many
 * of them, or this much event text, after the snapshot (store/context.c).
 */
#define CN_CTX_FOLD_EVENTS 64
#define CN_CTX_FOLD_BYTES (32 * 1024)
/* The largest snapshot (decompressed) and context document. */
#define CN_CTX_MAX_BYTES ((size_t)256 << 20)

/* One event of a session's context, as stored in context_events. */
typedef struct cn_ctx_event {
    cairn_context_kind kind;
    cairn_str text;    /* path, query, decision or memory id; NUL-terminated */
    cairn_str key;     /* CAIRN_CONTEXT_MEMORY: the memory's key, {NULL, 0} when none */
    double importance; /* CAIRN_CONTEXT_FILE */
    int64_t at_ms;
} cn_ctx_event;

/* A decoded snapshot: views into raw, which it owns. */
typedef struct cn_ctxsnap {
    cn_buf raw;         /* the decompressed snapshot */
    cairn_str items[4]; /* by cairn_context_kind: the document's array items, comma-joined */
    int64_t count[4];   /* items of each kind; count[CAIRN_CONTEXT_FILE] is the last order */
    cairn_str members;  /* of file_importance_scores, comma-joined, first-seen order */
    cairn_str table;    /* npaths entries: path, importance, member length */
    size_t npaths;
} cn_ctxsnap;

/*
 * zstd's contexts, kept by a store connection and reused: making them for
 * each snapshot costs more than decompressing a small one (each is a large
 * allocation, mapped and faulted in afresh).  Zeroed to start; one thread at
 * a time, as the connection.
 */
typedef struct cn_zstd {
    struct ZSTD_CCtx_s *c;
    struct ZSTD_DCtx_s *d;
} cn_zstd;

/** Free z's contexts (they are made again on next use). */
void cn_zstd_release(cn_zstd *z);

void cn_ctxsnap_init(cn_ctxsnap *s);
/** Free what s holds (NULL allowed); s can be decoded into again after cn_ctxsnap_init. */
void cn_ctxsnap_release(cn_ctxsnap *s);

/**
 * Decode blob (len bytes, borrowed) into s (initialized, empty).  deep also
 * parses every item as JSON and counts them (what a fold does before it
 * builds on s).  CAIRN_CORRUPT with what is wrong in err (not naming the
 * session: the caller does), CAIRN_NOMEM.
 */
cairn_rc cn_ctxsnap_decode(cn_ctxsnap *s, cn_zstd *z, const void *blob, size_t len, bool deep,
                           cairn_err *err);

/**
 * Write the context object (files_accessed, file_importance_scores,
 * recent_searches, decisions, saved_memories) of base (NULL: no snapshot)
 * followed by ev[0..n), in order, into w.  The writer's errors are sticky
 * (check cn_jw_finish); the return value is CAIRN_NOMEM or CAIRN_OK.
 */
cairn_rc cn_ctxsnap_write(cn_jw *w, const cn_ctxsnap *base, const cn_ctx_event *ev, size_t n);

/**
 * The compressed snapshot of base (NULL: none) followed by ev[0..n), in out
 * (initialized; emptied first), checked by decompressing it again.  CAIRN_TOOBIG past
 * CN_CTX_MAX_BYTES, CAIRN_CORRUPT (base repeats a path), CAIRN_NOMEM,
 * CAIRN_ERROR (zstd).
 */
cairn_rc cn_ctxsnap_fold(cn_zstd *z, const cn_ctxsnap *base, const cn_ctx_event *ev, size_t n,
                         cn_buf *out, cairn_err *err);

/** The bytes a compressed snapshot holds uncompressed (its frame says), 0 when unknown. */
size_t cn_ctxsnap_size(const void *blob, size_t len);

#endif
