/*
 * base/arena.h - bump allocator for per-unit lifetimes.
 *
 * Memory comes from chunks that are freed all at once by cn_arena_release.
 * Nothing allocated from an arena outlives its unit: one load, one request,
 * one JSONL line.  A hard limit on the total bytes turns runaway input into
 * CAIRN_TOOBIG, not an OOM kill.
 * Threads: an arena belongs to one thread.
 */
#ifndef CN_BASE_ARENA_H
#define CN_BASE_ARENA_H

#include <stddef.h>

#include "cairn/str.h"

typedef struct cn_arena_chunk cn_arena_chunk;

typedef struct cn_arena {
    cn_arena_chunk *head; /* current chunk, linked to older ones */
    char *cur, *end;      /* free space in head */
    size_t used;          /* bytes in all chunks, for the limit and stats */
    size_t max;           /* 0: no limit */
    size_t chunk_size;
} cn_arena;

/** Prepare a; chunk_size 0 means 64 KiB; max_bytes 0 means no limit. */
void cn_arena_init(cn_arena *a, size_t chunk_size, size_t max_bytes);
/** Free every chunk. NULL allowed. */
void cn_arena_release(cn_arena *a);
/** Aligned (16) memory for n bytes, or NULL (out of memory or over the limit). */
void *cn_arena_alloc(cn_arena *a, size_t n);
/** Like cn_arena_alloc, zeroed. */
void *cn_arena_calloc(cn_arena *a, size_t count, size_t size);
/** Unaligned memory for n bytes (strings), or NULL. */
char *cn_arena_bytes(cn_arena *a, size_t n);
/** Copy s into the arena, NUL-terminated; {NULL,0} on failure. */
cairn_str cn_arena_strdup(cn_arena *a, cairn_str s);
/** Copy a C string; NULL on failure. */
char *cn_arena_cstr(cn_arena *a, const char *s, size_t n);
/** Bytes handed out so far (including chunk slack). */
size_t cn_arena_used(const cn_arena *a);

#endif
