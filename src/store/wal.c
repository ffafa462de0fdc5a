/*
 * store/wal.c - checkpoints run by another thread.
 *
 * SQLite checkpoints the WAL in the connection whose commit takes it past
 * 1,000 frames, before that commit returns: it copies the frames into the
 * database file and syncs the file, which under steady writes takes tens of
 * milliseconds and, measured under the HTTP benchmark's appends, up to 180.
 * A server's writer holds every queued request that long.  Here the writer's
 * connection only says when a checkpoint is due, and another connection runs
 * it (PASSIVE: it never waits for the writer, nor the writer for it).
 */
#include <limits.h>

#include "store/db.h"

/*
 * The WAL past this many times the due threshold: the writer checkpoints itself.  The
 * WAL starts over from its beginning only when a write begins with every frame copied,
 * which a busy writer never sees while another thread copies behind it: the writer's
 * own checkpoint copies the little the other left (and syncs a file the other has
 * mostly synced), and its next write starts the WAL over.  Under the HTTP benchmark's
 * appends the WAL then stays at ~16 MB; at 16 times it grew past 56 MB.  It is also
 * the bound when nobody else checkpoints at all.
 */
#define SELF_FACTOR 4

/*
 * Once per threshold's worth of new frames, not at every commit past it: each
 * checkpoint ends with a sync of the database file, and a server's writer
 * commits a group every few milliseconds (one checkpoint after each group
 * doubled the syncs on the disk).
 */
static int on_commit(void *ud, sqlite3 *db, const char *name, int frames)
{
    cairn_store *s = ud;
    unsigned n = (unsigned)frames;
    if (n < s->ckpt_next - s->ckpt_frames) /* the WAL started over */
        s->ckpt_next = s->ckpt_frames;
    if (n >= s->ckpt_frames * SELF_FACTOR) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (n >= s->ckpt_next) {
        s->ckpt_next = n + s->ckpt_frames;
        s->ckpt_due(s->ckpt_ud);
    }
    return SQLITE_OK;
}

void cairn_store_checkpoint_elsewhere(cairn_store *s, unsigned frames, void (*due)(void *ud),
                                      void *ud)
{
    s->ckpt_frames = frames < 1                        ? 1
                     : frames > UINT_MAX / SELF_FACTOR ? UINT_MAX / SELF_FACTOR
                                                       : frames;
    s->ckpt_next = s->ckpt_frames;
    s->ckpt_due = due;
    s->ckpt_ud = ud;
    sqlite3_wal_hook(s->db, on_commit, s);
}

cairn_rc cairn_store_checkpoint(cairn_store *s, int *left, cairn_err *err)
{
    int frames = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &done);
    if (left)
        *left = frames > done ? frames - done : 0;
    if (rc == SQLITE_BUSY) /* another checkpoint is running: it does the work */
        return CAIRN_OK;
    return rc == SQLITE_OK ? CAIRN_OK : cn_store_error(s, err, "cannot checkpoint");
}
