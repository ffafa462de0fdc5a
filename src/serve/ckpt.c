/* serve/ckpt.c - the checkpointer thread (serve/ckpt.h). */
#include "serve/ckpt.h"

#include "cairn/store.h"

static void *loop(void *arg)
{
    cn_ckpt *c = arg;
    cairn_store *s = NULL;
    cairn_err e;
    if (cairn_store_open(c->data_dir, CAIRN_STORE_LEAN, &s, &e))
        s = NULL; /* the writer checkpoints itself when the WAL grows too long */
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->due && !c->stop)
            pthread_cond_wait(&c->wake, &c->mu);
        if (c->stop)
            break;
        c->due = false;
        pthread_mutex_unlock(&c->mu);
        if (s)
            cairn_store_checkpoint(s, NULL, &e); /* a failure is retried at the next due */
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    cairn_store_close(s);
    return NULL;
}

bool cn_ckpt_start(cn_ckpt *c, const char *data_dir)
{
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    c->due = c->stop = false;
    c->data_dir = data_dir;
    c->running = pthread_create(&c->thread, NULL, loop, c) == 0;
    return c->running;
}

void cn_ckpt_due(void *ud)
{
    cn_ckpt *c = ud;
    pthread_mutex_lock(&c->mu);
    c->due = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
}

void cn_ckpt_stop(cn_ckpt *c)
{
    if (!c->running)
        return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->mu);
    c->running = false;
}
