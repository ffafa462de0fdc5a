/*
 * serve/ckpt.h - the checkpointer: a thread with its own store connection
 * that checkpoints the WAL when the writer's commits say it is due
 * (cairn_store_checkpoint_elsewhere), so that no commit waits for the
 * database file to be synced.
 */
#ifndef CN_SERVE_CKPT_H
#define CN_SERVE_CKPT_H

#include <pthread.h>
#include <stdbool.h>

/* A commit that leaves the WAL at this many frames (4 KB pages) wakes the checkpointer. */
#define CN_CKPT_FRAMES 1000

typedef struct cn_ckpt {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool due, stop, running;
    const char *data_dir;
    pthread_t thread;
} cn_ckpt;

/** Start c's thread on the store in data_dir (NULL: the default); false if it did not start. */
bool cn_ckpt_start(cn_ckpt *c, const char *data_dir);
/** A checkpoint is due: wakes c (ud is c).  For cairn_store_checkpoint_elsewhere. */
void cn_ckpt_due(void *ud);
/** Stop c's thread and wait for it (nothing if it did not start). */
void cn_ckpt_stop(cn_ckpt *c);

#endif
