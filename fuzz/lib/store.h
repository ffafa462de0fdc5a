/*
 * fuzz/lib/store.h - the store a fuzz target of cairn's servers runs over
 * (fuzz/mcp.c, fuzz/http.c; built with fuzz/lib/store.c).
 */
#ifndef CN_FUZZ_STORE_H
#define CN_FUZZ_STORE_H

#include <stddef.h>

/* The one session the store starts with (MCP and REST name sessions they cannot make up). */
#define FUZZ_SESSION "ses_f0220000000000000000f022"

/**
 * A new store in a temp dir "<tmp>/cairn-fuzz-<name>-XXXXXX" (tmpfs when /dev/shm is
 * there: a save's sync is then free), its path in dir[0..n), holding one session
 * renamed FUZZ_SESSION.  Aborts when it cannot.
 */
void fuzz_store_make(char *dir, size_t n, const char *name);

#endif
