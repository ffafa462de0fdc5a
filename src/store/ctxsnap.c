/*
 * store/ctxsnap.c - the context document and its compressed snapshot
 * (store/ctxsnap.h); with source/codex/zst.c, one of the two includers of zstd.h.
 *
 * The document's items are written by put_item() and its importance members
 * by put_member() only: a fold writes them into the snapshot, a read copies
 * them from it and writes the later events' with the same functions, so the
 * snapshot holds what the document shows.
 */
#include "store/ctxsnap.h"

#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "base/err.h"
#include "base/map.h"
#include "json/json.h"

#define LEVEL 3
#define HEADER 96 /* magic 8, version 4, flags 4, count[4], npaths, len[4], len of members */
static const char magic[8] = {'c', 'a', 'i', 'r', 'n', 'c', 't', 'x'};

void cn_ctxsnap_init(cn_ctxsnap *s)
{
    memset(s, 0, sizeof *s);
    cn_buf_init(&s->raw, CN_CTX_MAX_BYTES);
}

void cn_ctxsnap_release(cn_ctxsnap *s)
{
    if (s)
        cn_buf_release(&s->raw);
}

static uint64_t le_get(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static cairn_rc add_le(cn_buf *b, uint64_t v, int n)
{
    unsigned char tmp[8];
    for (int i = 0; i < n; i++)
        tmp[i] = (unsigned char)(v >> (8 * i));
    return cn_buf_add(b, tmp, (size_t)n);
}

/* One entry of a snapshot's path table; the table was checked by decode. */
typedef struct entry {
    cairn_str path;
    double imp;
    size_t member_len;
} entry;

static const unsigned char *next_entry(const unsigned char *p, entry *e)
{
    size_t n = (size_t)le_get(p, 4);
    uint64_t bits = le_get(p + 4 + n + 1, 8);
    e->path = (cairn_str){(const char *)p + 4, n};
    memcpy(&e->imp, &bits, sizeof e->imp);
    e->member_len = (size_t)le_get(p + 4 + n + 9, 4);
    return p + 4 + n + 13;
}

/* ---- the document ---- */

static void put_item(cn_jw *w, const cn_ctx_event *e, int64_t order)
{
    static const char *const field[] = {"path", "query", "decision", "memory_id"};
    cn_jw_obj(w);
    cn_jw_key(w, field[e->kind]);
    cn_jw_str(w, e->text);
    if (e->kind == CAIRN_CONTEXT_FILE) {
        cn_jw_key(w, "importance");
        cn_jw_f64(w, e->importance);
        cn_jw_key(w, "accessed_at");
        cn_jw_time(w, e->at_ms);
        cn_jw_key(w, "order");
        cn_jw_i64(w, order);
    } else {
        if (e->kind == CAIRN_CONTEXT_MEMORY) {
            cn_jw_key(w, "memory_key");
            cn_jw_str_or_null(w, e->key);
        }
        cn_jw_key(w, "timestamp");
        cn_jw_time(w, e->at_ms);
    }
    cn_jw_obj_end(w);
}

/* One array of the document: base's items of kind, then the events of kind, in order. */
static void put_array(cn_jw *w, const cn_ctxsnap *base, const cn_ctx_event *ev, size_t n,
                      cairn_context_kind kind)
{
    int64_t order = base ? base->count[CAIRN_CONTEXT_FILE] : 0;
    cn_jw_arr(w);
    if (base && base->items[kind].len)
        cn_jw_raw(w, base->items[kind]);
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == kind)
            put_item(w, &ev[i], ++order);
    cn_jw_arr_end(w);
}

/* One member of file_importance_scores (path is NUL-terminated). */
static void put_member(cn_jw *w, cairn_str path, double imp)
{
    cn_jw_key(w, path.ptr);
    cn_jw_f64(w, imp);
}

/* The latest importance of each path, in first-seen order. */
typedef struct scores {
    cn_map map;
    cairn_str *path;
    double *imp;
    bool *seen; /* put_scores: the path is one of base's */
    size_t n, cap;
} scores;

static void scores_init(scores *sc)
{
    memset(sc, 0, sizeof *sc);
    cn_map_init(&sc->map);
}

static void scores_release(scores *sc)
{
    cn_map_release(&sc->map);
    free(sc->path);
    free(sc->imp);
    free(sc->seen);
}

/* Set path's importance (a new path goes last); a path of base must be new. */
static cairn_rc scores_set(scores *sc, cairn_str path, double imp, bool must_be_new)
{
    uint32_t k = cn_map_get(&sc->map, path);
    if (k != UINT32_MAX) {
        if (must_be_new)
            return CAIRN_CORRUPT;
        sc->imp[k] = imp;
        return CAIRN_OK;
    }
    if (sc->n == sc->cap || sc->n >= UINT32_MAX - 1)
        return CAIRN_NOMEM; /* sized up front by scores_build */
    sc->path[sc->n] = path;
    sc->imp[sc->n] = imp;
    cairn_rc rc = cn_map_put(&sc->map, path, (uint32_t)sc->n);
    if (!rc)
        sc->n++;
    return rc;
}

/* The scores of base (NULL: none) then ev[0..n). */
static cairn_rc scores_build(scores *sc, const cn_ctxsnap *base, const cn_ctx_event *ev, size_t n)
{
    size_t cap = base ? base->npaths : 0;
    cairn_rc rc = CAIRN_OK;
    for (size_t i = 0; i < n; i++)
        cap += ev[i].kind == CAIRN_CONTEXT_FILE;
    if (!cap)
        return CAIRN_OK;
    sc->path = malloc(cap * sizeof *sc->path);
    sc->imp = malloc(cap * sizeof *sc->imp);
    sc->seen = calloc(cap, sizeof *sc->seen);
    if (!sc->path || !sc->imp || !sc->seen)
        return CAIRN_NOMEM;
    sc->cap = cap;
    const unsigned char *p = base ? (const unsigned char *)base->table.ptr : NULL;
    for (size_t i = 0; base && i < base->npaths && !rc; i++) {
        entry e;
        p = next_entry(p, &e);
        rc = scores_set(sc, e.path, e.imp, true);
    }
    for (size_t i = 0; i < n && !rc; i++)
        if (ev[i].kind == CAIRN_CONTEXT_FILE)
            rc = scores_set(sc, ev[i].text, ev[i].importance, false);
    return rc;
}

/* Write a member; *len (NULL allowed) receives its bytes, without the comma before it. */
static void put_member_len(cn_jw *w, cairn_str path, double imp, bool first, size_t *len)
{
    size_t before = w->out->len;
    put_member(w, path, imp);
    if (len)
        *len = w->out->len - before - !first;
}

/*
 * file_importance_scores: base's members as they are, but those whose path
 * an event names again, written with the latest importance; then the paths
 * new in the events, in first-seen order.  lens (NULL allowed; room for
 * base's paths and the events' files) receives each member's length, in
 * that order.
 */
static cairn_rc put_scores(cn_jw *w, const cn_ctxsnap *base, const cn_ctx_event *ev, size_t n,
                           size_t *lens)
{
    scores sc;
    cairn_rc rc;
    size_t nb = base ? base->npaths : 0, out = 0;
    scores_init(&sc);
    if ((rc = scores_build(&sc, NULL, ev, n))) {
        scores_release(&sc);
        return rc;
    }
    cn_jw_obj(w);
    if (nb) {
        const unsigned char *p = (const unsigned char *)base->table.ptr;
        const char *m = base->members.ptr, *run = m; /* the members to copy as they are */
        for (size_t i = 0; i < nb; i++) {
            entry e;
            p = next_entry(p, &e);
            uint32_t k = sc.n ? cn_map_get(&sc.map, e.path) : UINT32_MAX;
            if (k == UINT32_MAX) {
                if (lens)
                    lens[out] = e.member_len;
            } else {
                if (m > run)
                    cn_jw_raw(w, (cairn_str){run, (size_t)(m - run) - 1});
                put_member_len(w, e.path, sc.imp[k], i == 0, lens ? &lens[out] : NULL);
                sc.seen[k] = true;
                run = m + e.member_len + 1;
            }
            out++;
            m += e.member_len + 1;
        }
        if (m > run)
            cn_jw_raw(w, (cairn_str){run, (size_t)(m - run) - 1});
    }
    for (size_t k = 0; k < sc.n; k++)
        if (!sc.seen[k]) {
            put_member_len(w, sc.path[k], sc.imp[k], out == 0, lens ? &lens[out] : NULL);
            out++;
        }
    cn_jw_obj_end(w);
    scores_release(&sc);
    return CAIRN_OK;
}

cairn_rc cn_ctxsnap_write(cn_jw *w, const cn_ctxsnap *base, const cn_ctx_event *ev, size_t n)
{
    cairn_rc rc;
    cn_jw_obj(w);
    cn_jw_key(w, "files_accessed");
    put_array(w, base, ev, n, CAIRN_CONTEXT_FILE);
    cn_jw_key(w, "file_importance_scores");
    rc = put_scores(w, base, ev, n, NULL);
    cn_jw_key(w, "recent_searches");
    put_array(w, base, ev, n, CAIRN_CONTEXT_SEARCH);
    cn_jw_key(w, "decisions");
    put_array(w, base, ev, n, CAIRN_CONTEXT_DECISION);
    cn_jw_key(w, "saved_memories");
    put_array(w, base, ev, n, CAIRN_CONTEXT_MEMORY);
    cn_jw_obj_end(w);
    return rc;
}

/* ---- encoding ---- */

/* The uncompressed snapshot of base + ev into raw. */
static cairn_rc encode(const cn_ctxsnap *base, const cn_ctx_event *ev, size_t n, cn_buf *raw,
                       cairn_err *err)
{
    cn_buf part[5], table; /* the four arrays, the scores object */
    int64_t count[4];
    size_t *lens = NULL, extra = 2; /* room for the events' JSON, roughly */
    scores sc;
    cn_jw w;
    cairn_rc rc = CAIRN_OK;

    scores_init(&sc);
    cn_buf_init(&table, CN_CTX_MAX_BYTES);
    for (int k = 0; k < 5; k++)
        cn_buf_init(&part[k], CN_CTX_MAX_BYTES);
    for (int k = 0; k < 4; k++)
        count[k] = base ? base->count[k] : 0;
    for (size_t i = 0; i < n; i++) {
        count[ev[i].kind]++;
        extra += ev[i].text.len * 2 + ev[i].key.len * 2 + 160;
    }
    /* the paths in their final order (each once: a repeated one is damage), and members */
    if ((rc = scores_build(&sc, base, ev, n)) ||
        (sc.n && !(lens = malloc(sc.n * sizeof *lens)) && (rc = CAIRN_NOMEM)))
        goto out;
    for (int k = 0; k < 5 && !rc; k++) {
        size_t have = k < 4 ? (base ? base->items[k].len : 0) : (base ? base->members.len : 0);
        cn_jw_init(&w, &part[k], false);
        if ((rc = cn_buf_grow(&part[k], have + extra)))
            break;
        if (k < 4)
            put_array(&w, base, ev, n, (cairn_context_kind)k); /* "[" items "]" */
        else if ((rc = put_scores(&w, base, ev, n, lens)))     /* "{" members "}" */
            break;
        rc = cn_jw_finish(&w);
    }
    for (size_t i = 0; i < sc.n && !rc; i++) {
        uint64_t bits;
        memcpy(&bits, &sc.imp[i], sizeof bits);
        if (sc.path[i].len > UINT32_MAX || lens[i] > UINT32_MAX)
            rc = CAIRN_TOOBIG;
        rc = rc ? rc : add_le(&table, sc.path[i].len, 4);
        rc = rc ? rc : cn_buf_add(&table, sc.path[i].ptr, sc.path[i].len + 1); /* its NUL */
        rc = rc ? rc : add_le(&table, bits, 8);
        rc = rc ? rc : add_le(&table, lens[i], 4);
    }
    if (rc || (rc = cn_buf_grow(raw, HEADER + part[0].len + part[1].len + part[2].len +
                                         part[3].len + part[4].len + table.len)))
        goto out;
    rc = cn_buf_add(raw, magic, sizeof magic);
    rc = rc ? rc : add_le(raw, 1, 4);
    rc = rc ? rc : add_le(raw, 0, 4);
    for (int k = 0; k < 4 && !rc; k++)
        rc = add_le(raw, (uint64_t)count[k], 8);
    rc = rc ? rc : add_le(raw, sc.n, 8);
    for (int k = 0; k < 5 && !rc; k++)
        rc = add_le(raw, part[k].len - 2, 8);
    for (int k = 0; k < 5 && !rc; k++)
        rc = cn_buf_add(raw, part[k].ptr + 1, part[k].len - 2);
    rc = rc ? rc : cn_buf_addstr(raw, cn_buf_str(&table));
out:
    free(lens);
    scores_release(&sc);
    cn_buf_release(&table);
    for (int k = 0; k < 5; k++)
        cn_buf_release(&part[k]);
    if (rc == CAIRN_CORRUPT)
        return cn_err_set(err, rc, "the snapshot repeats a path");
    if (rc == CAIRN_TOOBIG)
        return cn_err_set(err, rc, "the context is over %zu MiB", CN_CTX_MAX_BYTES >> 20);
    if (rc)
        return cn_err_set(err, rc, "cannot build the snapshot: %s", cairn_rc_text(rc));
    return CAIRN_OK;
}

/* ---- decoding ---- */

#define BAD(...) cn_err_set(err, CAIRN_CORRUPT, __VA_ARGS__)

void cn_zstd_release(cn_zstd *z)
{
    ZSTD_freeCCtx(z->c);
    ZSTD_freeDCtx(z->d);
    z->c = NULL;
    z->d = NULL;
}

size_t cn_ctxsnap_size(const void *blob, size_t len)
{
    unsigned long long size = ZSTD_getFrameContentSize(blob, len);
    return size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > SIZE_MAX
               ? 0
               : (size_t)size;
}

/* Decompress the one zstd frame blob[0..len) into raw, with z's context. */
static cairn_rc inflate(cn_zstd *z, cn_buf *raw, const void *blob, size_t len, cairn_err *err)
{
    const unsigned char *b = blob;
    if (len < 6 || le_get(b, 4) != ZSTD_MAGICNUMBER)
        return BAD("not a zstd frame");
    unsigned long long size = ZSTD_getFrameContentSize(blob, len);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
        return BAD("the zstd frame has no valid content size");
    /* frame header descriptor: bit 2 is the content checksum flag (RFC 8878 3.1.1.1.1) */
    if (!(b[4] & 0x04))
        return BAD("the zstd frame has no checksum");
    if (size < HEADER || size > CN_CTX_MAX_BYTES)
        return BAD("the snapshot claims %llu bytes", size);
    size_t flen = ZSTD_findFrameCompressedSize(blob, len);
    if (ZSTD_isError(flen))
        return BAD("zstd: %s", ZSTD_getErrorName(flen));
    if (flen != len)
        return BAD("%zu bytes after the zstd frame", len - flen);
    cn_buf_reset(raw);
    if (cn_buf_grow(raw, (size_t)size))
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    if (!z->d && !(z->d = ZSTD_createDCtx()))
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    size_t got = ZSTD_decompressDCtx(z->d, raw->ptr, (size_t)size, blob, len);
    if (ZSTD_isError(got))
        return BAD("zstd: %s", ZSTD_getErrorName(got));
    if (got != size)
        return BAD("zstd gave %zu bytes, the frame says %llu", got, size);
    raw->len = got;
    raw->ptr[got] = '\0';
    return CAIRN_OK;
}

/*
 * Parse part (the items of a kind, or the members) as JSON: want elements,
 * objects (numbers for the members), the files' orders running 1..want.
 */
static cairn_rc check_json(cairn_str part, int kind, int64_t want, const char *what, cairn_err *err)
{
    cn_buf tmp;
    cn_json j;
    cairn_err perr;
    cairn_rc rc;
    int64_t k = 0;
    bool members = kind == 4;

    cn_buf_init(&tmp, CN_CTX_MAX_BYTES + 2);
    cn_json_init(&j);
    rc = cn_buf_addc(&tmp, members ? '{' : '[');
    rc = rc ? rc : cn_buf_addstr(&tmp, part);
    rc = rc ? rc : cn_buf_addc(&tmp, members ? '}' : ']');
    if (rc) {
        rc = cn_err_set(err, rc, "cannot check the snapshot: %s", cairn_rc_text(rc));
        goto out;
    }
    /* what cairn writes is flat: an array of objects of plain values, an object of numbers
     * (deeper items would nest the document past what a reader of it accepts) */
    j.max_depth = members ? 1 : 2;
    if ((rc = cn_json_parse(&j, tmp.ptr, tmp.len, &perr))) {
        rc = rc == CAIRN_PARSE ? BAD("the %s of the snapshot: %s", what, perr.msg)
                               : cn_err_set(err, rc, "%s", perr.msg);
        goto out;
    }
    cn_jiter it = cn_json_iter(cn_json_root(&j));
    cn_jval v;
    while (cn_json_next(&it, NULL, &v)) {
        k++;
        bool ok = members ? cn_json_is(v, CN_JSON_NUMBER) : cn_json_is(v, CN_JSON_OBJECT);
        if (!ok ||
            (kind == CAIRN_CONTEXT_FILE && cn_json_i64_or(cn_json_get(v, "order"), -1) != k)) {
            rc = BAD("the %s of the snapshot: item %lld is not what cairn writes", what,
                     (long long)k);
            goto out;
        }
    }
    if (k != want)
        rc = BAD("the snapshot has %lld %s, its header says %lld", (long long)k, what,
                 (long long)want);
out:
    cn_json_release(&j);
    cn_buf_release(&tmp);
    return rc;
}

cairn_rc cn_ctxsnap_decode(cn_ctxsnap *s, cn_zstd *z, const void *blob, size_t len, bool deep,
                           cairn_err *err)
{
    static const char *const names[] = {"files", "searches", "decisions", "memories"};
    cairn_rc rc = inflate(z, &s->raw, blob, len, err);
    if (rc)
        return rc;
    const unsigned char *p = (const unsigned char *)s->raw.ptr, *end = p + s->raw.len;
    if (memcmp(p, magic, sizeof magic) || le_get(p + 8, 4) != 1 || le_get(p + 12, 4) != 0)
        return BAD("not a context snapshot of this version");
    p += 16;
    for (int k = 0; k < 4; k++, p += 8) {
        uint64_t c = le_get(p, 8);
        if (c > s->raw.len) /* every item takes more than a byte */
            return BAD("the snapshot claims %llu %s", (unsigned long long)c, names[k]);
        s->count[k] = (int64_t)c;
    }
    uint64_t npaths = le_get(p, 8), lens[5], total = 0;
    p += 8;
    if (npaths > (uint64_t)s->count[CAIRN_CONTEXT_FILE] ||
        (npaths == 0) != (s->count[CAIRN_CONTEXT_FILE] == 0))
        return BAD("the snapshot has %llu paths for %lld files", (unsigned long long)npaths,
                   (long long)s->count[CAIRN_CONTEXT_FILE]);
    for (int k = 0; k < 5; k++, p += 8)
        lens[k] = le_get(p, 8);
    for (int k = 0; k < 5; k++) {
        if (lens[k] > (uint64_t)(end - p) - total)
            return BAD("the snapshot is shorter than its items");
        total += lens[k];
    }
    for (int k = 0; k < 5; k++) {
        size_t l = (size_t)lens[k];
        int64_t c = k < 4 ? s->count[k] : (int64_t)npaths;
        if ((l == 0) != (c == 0) || (l && p[0] != (k < 4 ? '{' : '"')))
            return BAD("the %s of the snapshot are not what cairn writes",
                       k < 4 ? names[k] : "importance scores");
        if (k < 4)
            s->items[k] = (cairn_str){(const char *)p, l};
        else
            s->members = (cairn_str){(const char *)p, l};
        p += l;
    }
    /* the path table: each path once, its importance, the length of its member */
    s->table = (cairn_str){(const char *)p, (size_t)(end - p)};
    uint64_t members_len = 0;
    cn_buf mine; /* deep: a member as cairn writes it, after a '{' */
    cn_jw w;
    cn_buf_init(&mine, CN_CTX_MAX_BYTES);
    for (uint64_t i = 0; i < npaths; i++) {
        if (end - p < 4) {
            rc = BAD("the snapshot ends inside its paths");
            break;
        }
        uint64_t l = le_get(p, 4);
        if ((uint64_t)(end - p) - 4 < l + 13 || l == 0 || p[4 + l] != 0 || memchr(p + 4, 0, l)) {
            rc = BAD("path %llu of the snapshot is damaged", (unsigned long long)i + 1);
            break;
        }
        entry e;
        p = next_entry(p, &e);
        if (!(e.imp >= 0 && e.imp <= 1)) {
            rc = BAD("path %llu of the snapshot has importance %g", (unsigned long long)i + 1,
                     e.imp);
            break;
        }
        /* its member: within the members, ended by a comma or by their end (put_scores
         * cuts them there), and when deep, byte for byte what cairn writes for it */
        uint64_t at = members_len + (i > 0);
        members_len = at + e.member_len;
        if (members_len > s->members.len ||
            (members_len < s->members.len ? s->members.ptr[members_len] != ',' : i + 1 < npaths)) {
            rc = BAD("the importance score of path %llu of the snapshot is damaged",
                     (unsigned long long)i + 1);
            break;
        }
        if (deep) {
            cn_buf_reset(&mine);
            cn_jw_init(&w, &mine, false);
            cn_jw_obj(&w);
            put_member(&w, e.path, e.imp);
            if (mine.len != e.member_len + 1 ||
                memcmp(mine.ptr + 1, s->members.ptr + at, e.member_len)) {
                rc = BAD("the importance score of path %llu of the snapshot is not what cairn "
                         "writes",
                         (unsigned long long)i + 1);
                break;
            }
        }
    }
    cn_buf_release(&mine);
    if (rc)
        return rc;
    if (p != end)
        return BAD("%zu bytes after the end of the snapshot", (size_t)(end - p));
    if (members_len != s->members.len)
        return BAD("the snapshot's importance scores are %zu bytes, its paths say %llu",
                   s->members.len, (unsigned long long)members_len);
    s->npaths = (size_t)npaths;
    for (int k = 0; k < 4 && deep; k++)
        if (s->count[k] && (rc = check_json(s->items[k], k, s->count[k], names[k], err)))
            return rc;
    if (deep && npaths &&
        (rc = check_json(s->members, 4, (int64_t)npaths, "importance scores", err)))
        return rc;
    return CAIRN_OK;
}

/* ---- folding ---- */

cairn_rc cn_ctxsnap_fold(cn_zstd *z, const cn_ctxsnap *base, const cn_ctx_event *ev, size_t n,
                         cn_buf *out, cairn_err *err)
{
    cn_buf raw;
    cn_ctxsnap check;
    cairn_rc rc;

    cn_buf_release(out); /* emptied first */
    cn_buf_init(out, ZSTD_compressBound(CN_CTX_MAX_BYTES));
    cn_buf_init(&raw, CN_CTX_MAX_BYTES);
    cn_ctxsnap_init(&check);
    if ((rc = encode(base, ev, n, &raw, err)))
        goto out;
    size_t bound = ZSTD_compressBound(raw.len);
    if ((!z->c && !(z->c = ZSTD_createCCtx())) || cn_buf_grow(out, bound)) {
        rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
        goto out;
    }
    /* a kept context keeps its parameters, not its frame: compress2 starts a new one */
    size_t got = ZSTD_CCtx_setParameter(z->c, ZSTD_c_compressionLevel, LEVEL);
    if (!ZSTD_isError(got))
        got = ZSTD_CCtx_setParameter(z->c, ZSTD_c_checksumFlag, 1);
    if (!ZSTD_isError(got))
        got = ZSTD_compress2(z->c, out->ptr, bound, raw.ptr, raw.len);
    if (ZSTD_isError(got)) {
        rc = cn_err_set(err, CAIRN_ERROR, "cannot compress the context: zstd: %s",
                        ZSTD_getErrorName(got));
        goto out;
    }
    out->len = got;
    out->ptr[got] = '\0';
    /* what is stored must give back what was folded, before any event is deleted */
    if ((rc = inflate(z, &check.raw, out->ptr, out->len, err)))
        goto out;
    if (check.raw.len != raw.len || memcmp(check.raw.ptr, raw.ptr, raw.len))
        rc = cn_err_set(err, CAIRN_ERROR, "the compressed snapshot does not read back");
out:
    cn_ctxsnap_release(&check);
    cn_buf_release(&raw);
    if (rc)
        cn_buf_release(out);
    return rc;
}
