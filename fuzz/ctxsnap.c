/*
 * fuzz/ctxsnap.c - libFuzzer target for the session context snapshot (store/ctxsnap.h).
 *
 * For every input (libFuzzer's exact-size buffer, so ASan sees any read past
 * the end):
 *  1. cn_ctxsnap_decode of the input as a blob, and of a valid zstd frame
 *     (content size and checksum, as a fold writes it) whose content is the
 *     input, with and without the "cairnctx" header put before it, deep and
 *     shallow: CAIRN_OK, or CAIRN_CORRUPT / CAIRN_NOMEM with a message; the
 *     frame cut short or followed by a byte is CAIRN_CORRUPT;
 *  2. when such a decode succeeds: the views lie inside the decompressed
 *     snapshot, and the document written from it, alone, followed by the
 *     events of 3, and followed by file events naming some of its own paths
 *     then those events, is written without error; after a deep decode each
 *     parses with cn_json_parse, and a fold of the snapshot and those events
 *     either reports CAIRN_CORRUPT (a repeated path) or gives a snapshot that
 *     decodes deep to the same document;
 *  3. a list of valid events (paths often repeated) derived from the input,
 *     split at an input-chosen point: the document of (no snapshot, all
 *     events) equals, byte for byte, that of (fold of the first part, the
 *     second part), of (fold of the first part then of the second part on
 *     top of it, no events) and of (fold of all, no events); the two
 *     last snapshots are the same bytes, and the decoded counts and paths
 *     are those of the events.
 * Any violation aborts, which libFuzzer reports as a crash.
 *
 * scripts/fuzz builds it with these:
 * fuzz-sources: src/store/ctxsnap.c
 * fuzz-libs: -lzstd
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "base/buf.h"
#include "json/json.h"
#include "json/write.h"
#include "store/ctxsnap.h"

#include "lib/check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 40
#define MAX_TEXT 40
#define MAX_KEY 16
#define HEADER_BYTES 16 /* "cairnctx", version 1, flags 0 */

/* Kept across runs as a store connection keeps them (reachable, not leaks). */
static cn_zstd z;
static ZSTD_CCtx *wrap_cctx;

/* ---- events from the input ---- */

typedef struct reader {
    const uint8_t *p, *end;
} reader;

static unsigned byte(reader *r)
{
    return r->p < r->end ? *r->p++ : 0;
}

static uint64_t u64(reader *r)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | byte(r);
    return v;
}

/* len (>= min) bytes of the input, NULs replaced, NUL-terminated, into pool at *used. */
static cairn_str take_text(reader *r, char *pool, size_t *used, size_t len, size_t min)
{
    char *t = pool + *used;
    size_t n = 0;
    while (n < len && r->p < r->end) {
        unsigned c = *r->p++;
        t[n++] = c ? (char)c : 'x';
    }
    while (n < min)
        t[n++] = 'p';
    t[n] = '\0';
    *used += n + 1;
    return (cairn_str){t, n};
}

static double importance(reader *r)
{
    uint64_t bits;
    double v;
    switch (byte(r) & 7) {
    case 0:
        return 0.0;
    case 1:
        return 1.0;
    case 2:
        return -0.0; /* >= 0: what an append accepts */
    case 3:
        return byte(r) / 255.0;
    case 4:
        return byte(r) % 101 / 100.0;
    case 5:
        bits = u64(r) & 0x3FFFFFFFFFFFFFFFu; /* [0, 2): no sign, exponent at most 0x3FF */
        memcpy(&v, &bits, sizeof v);
        return v <= 1 ? v : 1.0;
    case 6:
        return 0.85;
    default:
        return 4.9406564584124654e-324;
    }
}

static int64_t when(reader *r, const cn_ctx_event *prev)
{
    unsigned hi;
    switch (byte(r) & 3) {
    case 0:
        return 0;
    case 1:
        hi = byte(r);
        return 1700000000000 + (int64_t)(hi << 8 | byte(r));
    case 2:
        return (int64_t)u64(r);
    default:
        return prev ? prev->at_ms : -1;
    }
}

/*
 * Valid events (as load_events gives them: a non-empty NUL-terminated text,
 * an importance in [0, 1]), texts in pool (room for size + 4 * MAX_EVENTS *
 * (MAX_TEXT + MAX_KEY) bytes).  *split receives the input's split point.
 */
static size_t make_events(const uint8_t *data, size_t size, cn_ctx_event *ev, char *pool,
                          size_t *split)
{
    reader r = {data, data + size};
    size_t n = 0, used = 0;
    unsigned s = byte(&r);
    while (n < MAX_EVENTS && r.p < r.end) {
        unsigned c = byte(&r);
        cn_ctx_event *e = &ev[n];
        memset(e, 0, sizeof *e);
        e->kind = (cairn_context_kind)(c & 3);
        if ((c & 4) && n) /* the text of an earlier event: paths repeat */
            e->text = ev[byte(&r) % n].text;
        else
            e->text = take_text(&r, pool, &used, 1 + byte(&r) % MAX_TEXT, 1);
        if (e->kind == CAIRN_CONTEXT_MEMORY && (c & 8))
            e->key = take_text(&r, pool, &used, byte(&r) % (MAX_KEY + 1), 0);
        if (e->kind == CAIRN_CONTEXT_FILE)
            e->importance = importance(&r);
        e->at_ms = when(&r, n ? &ev[n - 1] : NULL);
        n++;
    }
    *split = n ? s % (n + 1) : 0;
    return n;
}

/* ---- helpers ---- */

/* The document of (base, ev[0..n)) into out, non-pretty as store/context.c writes it. */
static void document(cn_buf *out, const cn_ctxsnap *base, const cn_ctx_event *ev, size_t n)
{
    cn_jw w;
    cn_buf_reset(out);
    cn_jw_init(&w, out, false);
    CHECK(cn_ctxsnap_write(&w, base, ev, n) == CAIRN_OK);
    CHECK(cn_jw_finish(&w) == CAIRN_OK);
    CHECK(out->ptr && out->len >= 2);
}

static bool parses(const cn_buf *b)
{
    cn_json j;
    cairn_err err;
    cn_json_init(&j);
    cairn_rc rc = cn_json_parse(&j, b->ptr, b->len, &err);
    cn_json_release(&j);
    if (rc)
        fprintf(stderr, "fuzz/ctxsnap.c: the document does not parse: %s\n", err.msg);
    return rc == CAIRN_OK;
}

static bool same(const cn_buf *a, const cn_buf *b)
{
    return a->len == b->len && !memcmp(a->ptr, b->ptr, a->len);
}

static bool inside(cairn_str v, const cn_buf *raw)
{
    return v.len == 0 || (v.ptr >= raw->ptr && v.len <= raw->len &&
                          (size_t)(v.ptr - raw->ptr) <= raw->len - v.len);
}

/* Decode blob into s (initialized); a failure must be a documented code with a message. */
static cairn_rc decode(cn_ctxsnap *s, const void *blob, size_t len, bool deep)
{
    cairn_err err;
    err.rc = CAIRN_OK;
    err.msg[0] = '\0';
    cairn_rc rc = cn_ctxsnap_decode(s, &z, blob, len, deep, &err);
    if (rc) {
        CHECK(rc == CAIRN_CORRUPT || rc == CAIRN_NOMEM);
        CHECK(err.rc == rc && err.msg[0] != '\0' && memchr(err.msg, 0, sizeof err.msg));
        return rc;
    }
    CHECK(s->raw.ptr && s->raw.len >= 96);
    for (int k = 0; k < 4; k++) {
        CHECK(inside(s->items[k], &s->raw));
        CHECK(s->count[k] >= 0 && (s->count[k] == 0) == (s->items[k].len == 0));
    }
    CHECK(inside(s->members, &s->raw) && inside(s->table, &s->raw));
    CHECK((s->npaths == 0) == (s->members.len == 0));
    CHECK(s->npaths <= (uint64_t)s->count[CAIRN_CONTEXT_FILE]);
    return CAIRN_OK;
}

/* Fold base + ev[0..n) into out (released first); CAIRN_OK or a documented failure. */
static cairn_rc fold(const cn_ctxsnap *base, const cn_ctx_event *ev, size_t n, cn_buf *out)
{
    cairn_err err;
    err.rc = CAIRN_OK;
    err.msg[0] = '\0';
    cn_buf_release(out);
    cairn_rc rc = cn_ctxsnap_fold(&z, base, ev, n, out, &err);
    if (rc) {
        CHECK(rc == CAIRN_CORRUPT || rc == CAIRN_TOOBIG || rc == CAIRN_NOMEM);
        CHECK(err.rc == rc && err.msg[0] != '\0');
        CHECK(out->ptr == NULL);
    } else {
        CHECK(out->ptr && out->len > 0);
    }
    return rc;
}

/* ---- 1 and 2: whatever the input decodes to ---- */

/* Write (s, ev[0..n)); after a deep decode it parses, and a fold of it reads back the same. */
static void check_with(const cn_ctxsnap *s, bool deep, const cn_ctx_event *ev, size_t n,
                       cn_buf *doc, cn_buf *doc2, cn_buf *blob)
{
    document(doc, s, ev, n);
    if (!deep)
        return; /* a shallow decode does not parse the items; a fold builds only on a deep one */
    CHECK(parses(doc));
    if (fold(s, ev, n, blob))
        return;
    cn_ctxsnap again;
    cn_ctxsnap_init(&again);
    CHECK(decode(&again, blob->ptr, blob->len, true) == CAIRN_OK);
    document(doc2, &again, NULL, 0);
    CHECK(same(doc, doc2));
    cn_ctxsnap_release(&again);
    cn_buf_release(blob);
}

/*
 * s decoded: its document alone, followed by the input's events, and
 * followed by file events naming some of s's own paths (every other one,
 * which by pick, or all) then the input's events.
 */
static void check_decoded(const cn_ctxsnap *s, bool deep, const cn_ctx_event *ev, size_t n,
                          unsigned pick, cn_buf *doc, cn_buf *doc2, cn_buf *blob)
{
    check_with(s, deep, NULL, 0, doc, doc2, blob);
    check_with(s, deep, ev, n, doc, doc2, blob);
    if (!s->npaths)
        return;
    cn_ctx_event *mine = malloc((s->npaths + n) * sizeof *mine);
    const unsigned char *p = (const unsigned char *)s->table.ptr;
    size_t m = 0;
    CHECK(mine);
    for (size_t i = 0; i < s->npaths; i++) {
        size_t len = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16 | (size_t)p[3] << 24;
        CHECK(len > 0 && len <= s->table.len && p[4 + len] == '\0'); /* decode checked it */
        if ((pick & 2) || (i + pick) % 2 == 0)
            mine[m++] = (cn_ctx_event){CAIRN_CONTEXT_FILE,
                                       {(const char *)p + 4, len},
                                       CAIRN_STR_NULL,
                                       (i % 3) / 2.0,
                                       1700000000000 + (int64_t)i};
        p += 4 + len + 13;
    }
    CHECK((const char *)p == s->table.ptr + s->table.len);
    if (n)
        memcpy(mine + m, ev, n * sizeof *ev);
    check_with(s, deep, mine, m + n, doc, doc2, blob);
    free(mine);
}

static void try_blob(const void *blob, size_t len, const cn_ctx_event *ev, size_t n, unsigned pick,
                     cn_buf *doc, cn_buf *doc2, cn_buf *tmp)
{
    for (int deep = 0; deep < 2; deep++) {
        cn_ctxsnap s;
        cn_ctxsnap_init(&s);
        if (decode(&s, blob, len, deep) == CAIRN_OK)
            check_decoded(&s, deep, ev, n, pick, doc, doc2, tmp);
        cn_ctxsnap_release(&s);
    }
}

/* content as one zstd frame, with its content size and a checksum, into frame. */
static void wrap(const void *content, size_t len, cn_buf *frame)
{
    size_t bound = ZSTD_compressBound(len);
    cn_buf_reset(frame);
    CHECK(cn_buf_grow(frame, bound + 1) == CAIRN_OK);
    if (!wrap_cctx) {
        CHECK((wrap_cctx = ZSTD_createCCtx()) != NULL);
        CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(wrap_cctx, ZSTD_c_compressionLevel, 1)));
        CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(wrap_cctx, ZSTD_c_checksumFlag, 1)));
        CHECK(!ZSTD_isError(ZSTD_CCtx_setParameter(wrap_cctx, ZSTD_c_contentSizeFlag, 1)));
    }
    size_t got = ZSTD_compress2(wrap_cctx, frame->ptr, bound, content, len);
    CHECK(!ZSTD_isError(got));
    frame->len = got;
}

static void try_content(const uint8_t *data, size_t size, const cn_ctx_event *ev, size_t n,
                        unsigned pick, cn_buf *doc, cn_buf *doc2, cn_buf *tmp, cn_buf *frame)
{
    wrap(size ? data : (const uint8_t *)"", size, frame);
    try_blob(frame->ptr, frame->len, ev, n, pick, doc, doc2, tmp);

    /* the frame cut short, or followed by a byte, is damage */
    cn_ctxsnap s;
    cn_ctxsnap_init(&s);
    CHECK(decode(&s, frame->ptr, frame->len - 1, false) == CAIRN_CORRUPT);
    cn_ctxsnap_release(&s);
    cn_ctxsnap_init(&s);
    frame->ptr[frame->len] = 0;
    CHECK(decode(&s, frame->ptr, frame->len + 1, false) == CAIRN_CORRUPT);
    cn_ctxsnap_release(&s);
}

/* ---- 3: the round trip ---- */

static size_t distinct_paths(const cn_ctx_event *ev, size_t n)
{
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].kind != CAIRN_CONTEXT_FILE)
            continue;
        size_t j = 0;
        while (j < i && !(ev[j].kind == CAIRN_CONTEXT_FILE && ev[j].text.len == ev[i].text.len &&
                          !memcmp(ev[j].text.ptr, ev[i].text.ptr, ev[i].text.len)))
            j++;
        d += j == i;
    }
    return d;
}

/* s holds exactly the counts and paths of ev[0..n). */
static void check_counts(const cn_ctxsnap *s, const cn_ctx_event *ev, size_t n)
{
    int64_t count[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++)
        count[ev[i].kind]++;
    for (int k = 0; k < 4; k++)
        CHECK(s->count[k] == count[k]);
    CHECK(s->npaths == distinct_paths(ev, n));
}

static void round_trip(const cn_ctx_event *ev, size_t n, size_t split, cn_buf *all, cn_buf *doc,
                       cn_buf *blob)
{
    cn_ctxsnap s1, s2, s3;
    cn_ctxsnap_init(&s1);
    cn_ctxsnap_init(&s2);
    cn_ctxsnap_init(&s3);

    document(all, NULL, ev, n);
    CHECK(parses(all));

    /* the first part folded, the second part as events */
    CHECK(fold(NULL, ev, split, blob) == CAIRN_OK);
    CHECK(decode(&s1, blob->ptr, blob->len, false) == CAIRN_OK);
    cn_ctxsnap_release(&s1);
    cn_ctxsnap_init(&s1);
    CHECK(decode(&s1, blob->ptr, blob->len, true) == CAIRN_OK);
    check_counts(&s1, ev, split);
    document(doc, &s1, ev + split, n - split);
    CHECK(same(all, doc));

    /* the second part folded on top of it */
    CHECK(fold(&s1, ev + split, n - split, blob) == CAIRN_OK);
    CHECK(decode(&s2, blob->ptr, blob->len, true) == CAIRN_OK);
    check_counts(&s2, ev, n);
    document(doc, &s2, NULL, 0);
    CHECK(same(all, doc));

    /* everything folded at once: the same snapshot */
    CHECK(fold(NULL, ev, n, blob) == CAIRN_OK);
    CHECK(decode(&s3, blob->ptr, blob->len, true) == CAIRN_OK);
    document(doc, &s3, NULL, 0);
    CHECK(same(all, doc));
    CHECK(same(&s2.raw, &s3.raw));

    cn_buf_release(blob);
    cn_ctxsnap_release(&s1);
    cn_ctxsnap_release(&s2);
    cn_ctxsnap_release(&s3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char header[HEADER_BYTES] = "cairnctx\1\0\0\0\0\0\0\0";
    cn_ctx_event ev[MAX_EVENTS];
    size_t n, split;
    unsigned pick;
    char *pool = malloc(size + 4 * MAX_EVENTS * (MAX_TEXT + MAX_KEY + 2) + 1);
    cn_buf doc, doc2, blob, frame, content;

    CHECK(pool);
    cn_buf_init(&doc, 0);
    cn_buf_init(&doc2, 0);
    cn_buf_init(&blob, 0);
    cn_buf_init(&frame, 0);
    cn_buf_init(&content, 0);
    n = make_events(data, size, ev, pool, &split);
    pick = size ? data[size - 1] : 0;

    /* 1, 2: the input as a blob, and as the content of a valid frame */
    try_blob(size ? data : (const uint8_t *)"", size, ev, n, pick, &doc, &doc2, &blob);
    try_content(data, size, ev, n, pick, &doc, &doc2, &blob, &frame);
    if (size < HEADER_BYTES || memcmp(data, header, HEADER_BYTES)) {
        CHECK(cn_buf_add(&content, header, HEADER_BYTES) == CAIRN_OK);
        CHECK(cn_buf_add(&content, data, size) == CAIRN_OK);
        try_content((const uint8_t *)content.ptr, content.len, ev, n, pick, &doc, &doc2, &blob,
                    &frame);
    }

    /* 3 */
    round_trip(ev, n, split, &doc2, &doc, &blob);

    free(pool);
    cn_buf_release(&doc);
    cn_buf_release(&doc2);
    cn_buf_release(&blob);
    cn_buf_release(&frame);
    cn_buf_release(&content);
    return 0;
}
