/*
 * json/write.h - JSON writing into a cn_buf.
 *
 * A cn_jw tracks commas and nesting; errors (buffer limit, nesting past
 * CN_JW_MAX_DEPTH, out of memory) are sticky: write freely, then check
 * cn_jw_finish() once.  Strings are escaped per RFC 8259; bytes that are
 * not valid UTF-8 are written as U+FFFD so the output is always valid JSON.
 * Threads: a cn_jw belongs to one thread.
 */
#ifndef CN_JSON_WRITE_H
#define CN_JSON_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"

#define CN_JW_MAX_DEPTH 64

typedef struct cn_jw {
    cn_buf *out;
    cairn_rc rc;
    uint32_t depth;
    bool need_comma[CN_JW_MAX_DEPTH + 1];
    bool after_key;
    bool pretty;
} cn_jw;

/** Write into out (borrowed). pretty: two-space indentation. */
void cn_jw_init(cn_jw *w, cn_buf *out, bool pretty);
void cn_jw_obj(cn_jw *w);
void cn_jw_obj_end(cn_jw *w);
void cn_jw_arr(cn_jw *w);
void cn_jw_arr_end(cn_jw *w);
/** An object key (the next call writes its value). */
void cn_jw_key(cn_jw *w, const char *key);
void cn_jw_str(cn_jw *w, cairn_str s);
void cn_jw_cstr(cn_jw *w, const char *s); /* NULL writes null */
/** A string, or null when s.ptr is NULL. */
void cn_jw_str_or_null(cn_jw *w, cairn_str s);
void cn_jw_i64(cn_jw *w, int64_t v);
void cn_jw_f64(cn_jw *w, double v); /* NaN and infinities are written as null */
void cn_jw_bool(cn_jw *w, bool v);
void cn_jw_null(cn_jw *w);
/** Already-valid JSON text, written as is (e.g. a raw value from the reader). */
void cn_jw_raw(cn_jw *w, cairn_str json);
/** ISO-8601 time string from ms, or null when ms <= 0. */
void cn_jw_time(cn_jw *w, int64_t ms);
/** The first error, or CAIRN_OK; also checks that every container was closed. */
cairn_rc cn_jw_finish(cn_jw *w);
/**
 * Finish w and take the document: *json (malloc'd, NUL-terminated, free()) and
 * *len get its buffer's bytes.  On an error the buffer is released, *json is
 * NULL and the error is returned.
 */
cairn_rc cn_jw_take(cn_jw *w, char **json, size_t *len);
/**
 * cn_jw_raw of json (len bytes and a NUL, malloc()ed), taking it: when it is
 * the whole document (nothing written yet) w's output becomes json without a
 * copy; otherwise it is copied and freed.
 */
void cn_jw_raw_take(cn_jw *w, char *json, size_t len);

/** Append s to out as a JSON string literal (quotes included). */
cairn_rc cn_json_escape(cn_buf *out, cairn_str s);

#endif
