/*
 * cairn/registry.h - the hot registry: every loaded record, indexed in memory.
 *
 * Lookups by session, message, part and project id, and by time, on
 * liburcu's lock-free hash tables (cds_lfht), so that readers never block the
 * loader.  The registry owns the batches added to it.  A session added again
 * (same agent and id) replaces the old copy; a batch is freed (after an RCU
 * grace period) once none of its sessions is current any more.
 *
 * Threads: any thread may read while one thread adds.  Every thread that
 * touches a registry calls cairn_thread_register() first and
 * cairn_thread_unregister() before it exits.  Pointers returned by lookups
 * are valid only between cairn_registry_read_begin() and _read_end() on the
 * calling thread; copy what must outlive that.
 */
#ifndef CAIRN_REGISTRY_H
#define CAIRN_REGISTRY_H

#include "cairn/source.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cairn_registry cairn_registry;

typedef struct cairn_registry_stats {
    size_t projects, sessions, messages, parts;
    size_t batches;       /* batches held */
    size_t bytes;         /* memory held by the batches */
    size_t replaced;      /* sessions replaced by newer copies since creation */
    int64_t last_update_ms;
} cairn_registry_stats;

/** Register / unregister the calling thread with RCU. */
CAIRN_API void cairn_thread_register(void);
CAIRN_API void cairn_thread_unregister(void);

/** A new empty registry, or NULL (out of memory). */
CAIRN_API cairn_registry *cairn_registry_new(void);
/** Free the registry and every batch it holds; no reader may be inside. NULL allowed. */
CAIRN_API void cairn_registry_free(cairn_registry *r);

/**
 * Add every record of batch b, which the registry takes (b is owned by the
 * registry from this call on, even on error).  One writer at a time.
 * It waits for readers (an RCU grace period) when a batch is retired, so it
 * must not be called inside a read-side section: CAIRN_BUSY.  CAIRN_INVAL
 * when a session's messages or a message's parts lie outside b's arrays;
 * CAIRN_NOMEM.
 */
CAIRN_API cairn_rc cairn_registry_add_take(cairn_registry *r, cairn_batch *b, cairn_err *err);

/** Enter / leave a read-side section (nestable). */
CAIRN_API void cairn_registry_read_begin(void);
CAIRN_API void cairn_registry_read_end(void);

/** Lookups: NULL when absent.  agent CAIRN_AGENT_NONE matches any agent. */
CAIRN_API const cairn_session *cairn_registry_session(cairn_registry *r, cairn_agent agent,
                                                      cairn_str id);
CAIRN_API const cairn_message *cairn_registry_message(cairn_registry *r, cairn_agent agent,
                                                      cairn_str id);
CAIRN_API const cairn_part *cairn_registry_part(cairn_registry *r, cairn_agent agent,
                                                cairn_str id);
CAIRN_API const cairn_project *cairn_registry_project(cairn_registry *r, cairn_agent agent,
                                                      cairn_str id);

/**
 * The messages / parts of a record found by a lookup: *out points to n
 * contiguous records.  Valid inside the same read-side section.
 */
CAIRN_API size_t cairn_registry_messages_of(cairn_registry *r, const cairn_session *s,
                                            const cairn_message **out);
CAIRN_API size_t cairn_registry_parts_of(cairn_registry *r, const cairn_message *m,
                                         const cairn_part **out);

/**
 * Sessions of a project, newest (time_updated) first: up to max pointers
 * into out; returns how many there are in all (may exceed max).
 */
CAIRN_API size_t cairn_registry_sessions_for_project(cairn_registry *r, cairn_str project_id,
                                                     const cairn_session **out, size_t max);
/** Sessions with time_updated >= since_ms, newest first; as above. */
CAIRN_API size_t cairn_registry_sessions_updated_since(cairn_registry *r, int64_t since_ms,
                                                       const cairn_session **out, size_t max);
/** Counts and memory. */
CAIRN_API void cairn_registry_stats_get(cairn_registry *r, cairn_registry_stats *out);

#ifdef __cplusplus
}
#endif
#endif
