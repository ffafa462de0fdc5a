/*
 * watch/watchman.h - the watchman backend (internal to watch/): a client of
 * a watchman server that is already running for the user, over its JSON
 * socket protocol (one JSON object per line).  cairn never starts a server:
 * when none answers, the caller watches with inotify instead.
 *
 * The socket is $WATCHMAN_SOCK, else where Debian's watchman puts it
 * (${TMPDIR:-/tmp}/$USER-state/sock), else the upstream defaults
 * (/run/watchman/ and /usr/local/var/run/watchman/ $USER-state/sock).
 * Each root is a "watch-project" and one subscription to its files; every
 * file a subscription reports (created, changed or gone, including the
 * files of a directory that came or went) is marked dirty; a fresh instance
 * (the server restarted, or recrawled) marks the root whole.
 */
#ifndef CN_WATCH_WATCHMAN_H
#define CN_WATCH_WATCHMAN_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/err.h"
#include "watch/dirty.h"

typedef struct cn_wm cn_wm;

/**
 * Connect to the running server.  NULL when there is none (why says where
 * it looked); nothing is started.
 */
cn_wm *cn_wm_connect(char *why, size_t why_len);

/** Subscribe to every file change under root (index root in dirty marks). */
cairn_rc cn_wm_subscribe(cn_wm *w, const char *root, int index, cairn_err *err);

/** The socket, to poll(2) for input. */
int cn_wm_fd(const cn_wm *w);

/**
 * Read what the server sent and mark it in d at generation gen.  Returns
 * the number of files marked, or -1 when the server went away (the caller
 * falls back to another backend).
 */
long cn_wm_read(cn_wm *w, cn_dirty *d, uint64_t gen);

void cn_wm_close(cn_wm *w);

#endif
