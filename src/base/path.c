/* base/path.c - agent data locations from the environment (XDG base dir rules). */
#include "base/path.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static cairn_rc home_join(cn_buf *out, const char *rel, cairn_err *err)
{
    const char *home = env("HOME");
    if (!home)
        return cn_err_set(err, CAIRN_NOTFOUND, "HOME is not set: cannot find '~/%s'", rel);
    return cn_path_join(out, home, rel);
}

cairn_rc cn_path_join(cn_buf *out, const char *a, const char *b)
{
    cn_buf_reset(out);
    if (b[0] == '/')
        return cn_buf_adds(out, b);
    if (cn_buf_adds(out, a))
        return CAIRN_TOOBIG;
    if (out->len && out->ptr[out->len - 1] != '/' && cn_buf_addc(out, '/'))
        return CAIRN_TOOBIG;
    return cn_buf_adds(out, b);
}

cairn_rc cn_path_xdg_data(cn_buf *out, cairn_err *err)
{
    const char *x = env("XDG_DATA_HOME");
    if (x && x[0] == '/') {
        cn_buf_reset(out);
        return cn_buf_adds(out, x);
    }
    return home_join(out, ".local/share", err);
}

static cairn_rc xdg_sub(cn_buf *out, const char *sub, cairn_err *err)
{
    cairn_rc rc = cn_path_xdg_data(out, err);
    if (rc)
        return rc;
    if (out->ptr[out->len - 1] != '/' && cn_buf_addc(out, '/'))
        return CAIRN_TOOBIG;
    return cn_buf_adds(out, sub);
}

cairn_rc cn_path_opencode_data(cn_buf *out, cairn_err *err)
{
    return xdg_sub(out, "opencode", err);
}

cairn_rc cn_path_opencode_db(const char *data_dir, cn_buf *out, cairn_err *err)
{
    const char *db = env("OPENCODE_DB");
    if (db && !strcmp(db, ":memory:"))
        return cn_err_set(err, CAIRN_NOTFOUND, "OPENCODE_DB is :memory:: no database file");
    return cn_path_join(out, data_dir, db ? db : "opencode.db");
}

cairn_rc cn_path_claude_dir(cn_buf *out, cairn_err *err)
{
    const char *c = env("CLAUDE_CONFIG_DIR");
    if (c) {
        cn_buf_reset(out);
        return cn_buf_adds(out, c);
    }
    return home_join(out, ".claude", err);
}

cairn_rc cn_path_codex_home(cn_buf *out, cairn_err *err)
{
    const char *c = env("CODEX_HOME");
    if (c) {
        cn_buf_reset(out);
        return cn_buf_adds(out, c);
    }
    return home_join(out, ".codex", err);
}

cairn_rc cn_path_cairn_data(cn_buf *out, cairn_err *err)
{
    const char *c = env("CAIRN_DATA_DIR");
    if (c) {
        cn_buf_reset(out);
        return cn_buf_adds(out, c);
    }
    return xdg_sub(out, "cairn", err);
}
