/*
 * base/path.h - where agents keep their data, found the way each agent finds it.
 *
 * Each function fills out (a cn_buf) with an absolute path and returns
 * CAIRN_OK, or CAIRN_NOTFOUND with a message when the environment gives no
 * answer (no HOME).  Nothing here touches the file system.
 * Threads: safe, as long as nobody calls setenv() meanwhile.
 */
#ifndef CN_BASE_PATH_H
#define CN_BASE_PATH_H

#include "base/buf.h"

/** $XDG_DATA_HOME if set and absolute, else $HOME/.local/share. */
cairn_rc cn_path_xdg_data(cn_buf *out, cairn_err *err);
/** opencode's data dir: <xdg data>/opencode. */
cairn_rc cn_path_opencode_data(cn_buf *out, cairn_err *err);
/**
 * opencode's database inside data_dir: $OPENCODE_DB if set (absolute, or
 * relative to data_dir), else <data_dir>/opencode.db.  OPENCODE_DB=":memory:"
 * means there is no file: CAIRN_NOTFOUND.
 */
cairn_rc cn_path_opencode_db(const char *data_dir, cn_buf *out, cairn_err *err);
/** Claude Code's config dir: $CLAUDE_CONFIG_DIR, else $HOME/.claude. */
cairn_rc cn_path_claude_dir(cn_buf *out, cairn_err *err);
/** Codex's home: $CODEX_HOME, else $HOME/.codex. */
cairn_rc cn_path_codex_home(cn_buf *out, cairn_err *err);
/** cairn's own data dir: $CAIRN_DATA_DIR, else <xdg data>/cairn. */
cairn_rc cn_path_cairn_data(cn_buf *out, cairn_err *err);
/** out = a "/" b (b taken as is when absolute). */
cairn_rc cn_path_join(cn_buf *out, const char *a, const char *b);

#endif
