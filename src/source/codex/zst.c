/*
 * source/codex/zst.c - compressed rollouts (rollout-*.jsonl.zst): the only includer of
 * zstd.h.
 *
 * The decompressed size is not trusted from the frame header (it may be absent, or wrong
 * in a damaged file), so the stream is decompressed twice: a first pass into a small
 * scratch buffer counts the bytes that decompress cleanly and stops at the limit, a
 * second pass writes exactly that many bytes into one block of the resolved arena.
 * Both passes see the same input, so they produce the same prefix.  A file cut short
 * (Codex still writing it, a partial copy) or damaged keeps that clean prefix: the
 * JSONL reader then stops at its last complete line.
 */
#include "source/codex/codex.h"

#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "base/err.h"

enum { Z_DONE, Z_CUT, Z_BAD, Z_BIG };

/*
 * Decompress in[0..n) into out (NULL: count only) of capacity cap; *got receives the
 * bytes produced by successful calls.  Stops at cap when out is given.
 */
static int run(ZSTD_DStream *z, const char *in, size_t n, char *out, size_t cap, size_t max,
               size_t *got, const char **why)
{
    char *scratch = NULL;
    size_t scap = ZSTD_DStreamOutSize(), last = 0, total = 0;
    ZSTD_inBuffer ib = {in, n, 0};
    int st = Z_DONE;

    *why = NULL;
    ZSTD_DCtx_reset(z, ZSTD_reset_session_only);
    if (!out && !(scratch = malloc(scap)))
        return -1;
    for (;;) {
        if (out && total == cap)
            break; /* the fill pass has what the count pass found */
        ZSTD_outBuffer ob = out ? (ZSTD_outBuffer){out + total, cap - total, 0}
                                : (ZSTD_outBuffer){scratch, scap, 0};
        last = ZSTD_decompressStream(z, &ob, &ib);
        if (ZSTD_isError(last)) {
            *why = ZSTD_getErrorName(last);
            st = Z_BAD;
            break;
        }
        total += ob.pos;
        if (!out && total > max) {
            st = Z_BIG;
            break;
        }
        /* all input read and room left in the output: nothing is buffered any more */
        if (ib.pos == ib.size && ob.pos < ob.size)
            break;
    }
    /* not at a frame end (or no frame at all): the data stops inside a frame */
    if (st == Z_DONE && (last != 0 || n == 0))
        st = Z_CUT;
    free(scratch);
    *got = total;
    return st;
}

cairn_rc cn_cx_zst_load(cairn_resolved *res, int dirfd, const char *name, const char *label,
                        size_t max_bytes, cairn_str *out, int64_t *mtime_ns, cairn_err *err)
{
    cn_arena tmp;
    cn_file f;
    ZSTD_DStream *z = NULL;
    const char *why;
    size_t good = 0, again = 0;
    char *dst;
    cairn_rc rc;
    int st;

    *out = (cairn_str){NULL, 0};
    cn_arena_init(&tmp, 0, 0);
    if ((rc = cn_file_load(dirfd, name, label, max_bytes, &tmp, &f, err)))
        goto done;
    if (mtime_ns)
        *mtime_ns = f.mtime_ns;
    if (!(z = ZSTD_createDStream())) {
        rc = cn_err_set(err, CAIRN_NOMEM, "cannot decompress '%s': out of memory", label);
        goto done;
    }
    st = run(z, f.data.ptr, f.data.len, NULL, 0, max_bytes, &good, &why);
    if (st < 0) {
        rc = cn_err_set(err, CAIRN_NOMEM, "cannot decompress '%s': out of memory", label);
        goto done;
    }
    if (st == Z_BIG) {
        rc = cn_err_set(err, CAIRN_TOOBIG, "'%s' decompresses to more than %zu bytes", label,
                        max_bytes);
        goto done;
    }
    if (!(dst = cn_arena_bytes(&res->arena, good + 1))) {
        rc = cn_err_set(err, CAIRN_NOMEM, "cannot decompress '%s': out of memory", label);
        goto done;
    }
    if (good && run(z, f.data.ptr, f.data.len, dst, good, max_bytes, &again, &why) < 0) {
        rc = cn_err_set(err, CAIRN_NOMEM, "cannot decompress '%s': out of memory", label);
        goto done;
    }
    if (again != good) {
        rc = cn_err_set(err, CAIRN_ERROR, "cannot decompress '%s': the passes disagree", label);
        goto done;
    }
    dst[good] = '\0';
    *out = (cairn_str){dst, good};
    res->bytes += good;
    if (st == Z_CUT)
        rc = cn_err_set(err, CAIRN_CORRUPT,
                        "'%s' is cut short: the zstd data ends inside a frame; read the %zu "
                        "bytes that decompressed cleanly",
                        label, good);
    else if (st == Z_BAD)
        rc = cn_err_set(err, CAIRN_CORRUPT,
                        "'%s' is damaged (zstd: %s); read the %zu bytes that decompressed "
                        "cleanly before it",
                        label, why, good);
done:
    ZSTD_freeDStream(z);
    cn_file_close(&f);
    cn_arena_release(&tmp);
    return rc;
}
