/*
 * cairn/usage.h - token usage and cost, grouped by time, project, model or session.
 *
 * Each model response is counted once.  Its cost is the one the agent
 * recorded (opencode messages; a Claude session's cost-state total, shared
 * out over its responses by tokens; its sub-agents' responses then cost 0,
 * being part of that total) or, when the agent recorded none, an
 * estimate from a model price table that ships with cairn and can be
 * overridden by a JSON file ({"model-prefix": {"input": 3, "output": 15,
 * "cache_read": 0.3, "cache_write": 3.75}}, dollars per million tokens).
 */
#ifndef CAIRN_USAGE_H
#define CAIRN_USAGE_H

#include "cairn/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cairn_usage_by {
    CAIRN_USAGE_BY_DAY,
    CAIRN_USAGE_BY_WEEK,
    CAIRN_USAGE_BY_MONTH,
    CAIRN_USAGE_BY_PROJECT,
    CAIRN_USAGE_BY_MODEL,
    CAIRN_USAGE_BY_SESSION,
} cairn_usage_by;

typedef struct cairn_usage_group {
    char key[512];       /* "2026-11-21", "2026-W47", "2026-11", a project, model or session */
    char agents[64];     /* the agents in the group, comma-separated */
    cairn_tokens tokens;
    double cost;         /* recorded + estimated */
    double cost_estimated; /* the part of cost that is an estimate */
    size_t responses;
    size_t unpriced;     /* responses of models the price table does not know */
} cairn_usage_group;

typedef struct cairn_usage_report {
    cairn_usage_group *groups;
    size_t n;
    cairn_usage_group total;
} cairn_usage_report;

/** The grouping for a name ("day", "week", ...); -1 if unknown. */
CAIRN_API int cairn_usage_by_parse(const char *name);

/**
 * Compute the report.  prices_file (NULL: none) adds to / overrides the
 * shipped price table; a bad file is CAIRN_PARSE naming it.
 */
CAIRN_API cairn_rc cairn_usage_compute(cairn_store *s, const cairn_usage_filter *f,
                                       cairn_usage_by by, const char *prices_file,
                                       cairn_usage_report *out, cairn_err *err);
CAIRN_API void cairn_usage_report_release(cairn_usage_report *r);

/**
 * Estimated dollars for tokens of model (per-token-type tiers above 200k
 * tokens where the model has them); false when the model is unknown.
 * Uses the shipped table only.
 */
CAIRN_API bool cairn_price_estimate(const char *model, const cairn_tokens *t, double *usd);

#ifdef __cplusplus
}
#endif
#endif
