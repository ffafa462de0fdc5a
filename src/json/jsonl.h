/*
 * json/jsonl.h - splitting a JSONL span into lines, for files still being written.
 *
 * An agent appends to its JSONL file while cairn reads it, so the last line
 * may be partial.  The reader hands out complete lines only (those ending in
 * '\n') and stops before a partial tail, reporting where it starts so the
 * next read can resume there.
 * Threads: a cn_jsonl belongs to one thread.
 */
#ifndef CN_JSON_JSONL_H
#define CN_JSON_JSONL_H

#include <stddef.h>

#include "cairn/err.h"
#include "cairn/str.h"

typedef struct cn_jsonl {
    const char *base, *p, *end;
    size_t line_no; /* 1-based number of the line last returned */
} cn_jsonl;

/** Start reading data (borrowed; it must outlive the reader). */
void cn_jsonl_init(cn_jsonl *r, cairn_str data);

/**
 * Next complete, non-blank line, without its '\n' (and without a '\r' before
 * it).  Returns CAIRN_OK; CAIRN_NOTFOUND at a clean end; CAIRN_AGAIN when only
 * a partial line (no final '\n') is left.
 */
cairn_rc cn_jsonl_next(cn_jsonl *r, cairn_str *line);

/** Byte offset where line (the last one handed out) starts: before its leading blanks. */
static inline size_t cn_jsonl_line_start(const cn_jsonl *r, cairn_str line)
{
    const char *s = line.ptr;
    while (s > r->base && s[-1] != '\n')
        s--;
    return (size_t)(s - r->base);
}

/** Byte offset just past the last complete line handed out (where to resume). */
static inline size_t cn_jsonl_offset(const cn_jsonl *r)
{
    return (size_t)(r->p - r->base);
}

#endif
