/*
 * cairn/record.h - the common record model every agent format is read into.
 *
 * project -> session -> message -> part, with agent, ids, times (ms since the
 * epoch, 0 when unknown), tokens and cost where the agent records them
 * (DESIGN.md §4).  Strings are cairn_str views that live as long as the
 * cairn_batch holding the records; {NULL, 0} means "absent".
 * Relations are indices into the batch's arrays (CAIRN_NONE when absent).
 */
#ifndef CAIRN_RECORD_H
#define CAIRN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/err.h"
#include "cairn/str.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CAIRN_NONE UINT32_MAX

/* X(enum, name) - the agents cairn reads. */
#define CAIRN_AGENT_MAP(X)                                                                        \
    X(OPENCODE, "opencode")                                                                       \
    X(CLAUDE, "claude-code")                                                                      \
    X(CODEX, "codex")

typedef enum cairn_agent {
    CAIRN_AGENT_NONE = 0,
#define CAIRN_AGENT_ENUM_(e, n) CAIRN_AGENT_##e,
    CAIRN_AGENT_MAP(CAIRN_AGENT_ENUM_)
#undef CAIRN_AGENT_ENUM_
        CAIRN_AGENT_COUNT_
} cairn_agent;

/* Where a record was read from: a storage generation or file kind. */
#define CAIRN_ORIGIN_MAP(X)                                                                       \
    X(NONE, "none")                                                                               \
    X(SQLITE, "sqlite")   /* opencode >= 1.2: opencode.db */                                     \
    X(JSON, "json")       /* opencode <= 1.1: storage/ tree */                                   \
    X(JSON_G0, "json-g0") /* opencode 0.x: project/<slug>/storage/ */                            \
    X(JSONL, "jsonl")     /* Claude Code, Codex transcripts */

typedef enum cairn_origin {
#define CAIRN_ORIGIN_ENUM_(e, n) CAIRN_ORIGIN_##e,
    CAIRN_ORIGIN_MAP(CAIRN_ORIGIN_ENUM_)
#undef CAIRN_ORIGIN_ENUM_
} cairn_origin;

/* The 12 opencode part types; other agents map onto the same set. */
#define CAIRN_PART_TYPE_MAP(X)                                                                    \
    X(UNKNOWN, "unknown")                                                                         \
    X(TEXT, "text")                                                                               \
    X(REASONING, "reasoning")                                                                     \
    X(TOOL, "tool")                                                                               \
    X(FILE, "file")                                                                               \
    X(STEP_START, "step-start")                                                                   \
    X(STEP_FINISH, "step-finish")                                                                 \
    X(SNAPSHOT, "snapshot")                                                                       \
    X(PATCH, "patch")                                                                             \
    X(AGENT, "agent")                                                                             \
    X(SUBTASK, "subtask")                                                                         \
    X(RETRY, "retry")                                                                             \
    X(COMPACTION, "compaction")

typedef enum cairn_part_type {
#define CAIRN_PART_ENUM_(e, n) CAIRN_PART_##e,
    CAIRN_PART_TYPE_MAP(CAIRN_PART_ENUM_)
#undef CAIRN_PART_ENUM_
        CAIRN_PART_TYPE_COUNT_
} cairn_part_type;

#define CAIRN_TOOL_STATUS_MAP(X)                                                                  \
    X(NONE, "none")                                                                               \
    X(PENDING, "pending")                                                                         \
    X(RUNNING, "running")                                                                         \
    X(COMPLETED, "completed")                                                                     \
    X(ERROR, "error")

typedef enum cairn_tool_status {
#define CAIRN_TOOL_ENUM_(e, n) CAIRN_TOOL_##e,
    CAIRN_TOOL_STATUS_MAP(CAIRN_TOOL_ENUM_)
#undef CAIRN_TOOL_ENUM_
        CAIRN_TOOL_STATUS_COUNT_
} cairn_tool_status;

/* input counts the tokens NOT read from the cache (OpenAI's input_tokens less its
 * cached_input_tokens), so that input + cache_read is the whole prompt for every agent. */
typedef struct cairn_tokens {
    int64_t input, output, reasoning, cache_read, cache_write;
} cairn_tokens;

typedef struct cairn_project {
    cairn_agent agent;
    cairn_origin origin;
    cairn_str id;
    cairn_str worktree; /* as recorded by the preferred source */
    cairn_str vcs;
    cairn_str name;
    int64_t time_created_ms, time_updated_ms;
    const cairn_str *dirs; /* every directory the project was seen at */
    uint32_t ndirs;
} cairn_project;

typedef struct cairn_session {
    cairn_agent agent;
    cairn_origin origin;
    cairn_str id;
    cairn_str project_id;
    cairn_str parent_id; /* sub-agent sessions */
    cairn_str slug;
    cairn_str title;
    cairn_str directory;
    cairn_str version;    /* agent version that created it */
    cairn_str agent_name; /* e.g. build, general */
    cairn_str model_id, provider_id;
    cairn_str source_path; /* the file or database it was read from */
    cairn_str key;         /* the id of the plan item it was read from (usually == id) */
    int64_t time_created_ms, time_updated_ms, time_archived_ms;
    cairn_tokens tokens;
    double cost;
    bool totals_computed; /* tokens/cost summed from messages (the agent kept none) */
    int64_t additions, deletions, files_changed;
    uint32_t project;     /* index into projects, or CAIRN_NONE */
    uint32_t parent;      /* index into sessions, or CAIRN_NONE */
    uint32_t first_message, nmessages;
    /* Incremental reading of an append-only transcript (JSONL); zero elsewhere. */
    int64_t tail_offset;   /* end of the last complete line read */
    uint64_t tail_hash;    /* XXH3 of the file's bytes up to tail_offset */
    int64_t resume_offset; /* where a later read may start: the last turn's first line */
    int64_t resume_line;   /* lines before resume_offset */
    uint32_t resume_seq;   /* messages before resume_offset */
    uint32_t first_seq;    /* position of this batch's first message; > 0: a partial read
                              (the messages before it, and the session's totals, are kept) */
} cairn_session;

typedef struct cairn_message {
    cairn_str id;
    cairn_str session_id;
    cairn_str role;      /* "user", "assistant", ... */
    cairn_str parent_id; /* assistant: the user message it answers */
    cairn_str agent_name;
    cairn_str model_id, provider_id;
    cairn_str finish; /* "stop", "tool-calls", ... */
    cairn_str error_name, error_message;
    int64_t time_created_ms, time_completed_ms;
    cairn_tokens tokens;
    double cost;
    bool summary; /* a compaction summary */
    uint32_t session;
    uint32_t first_part, nparts;
} cairn_message;

typedef struct cairn_part {
    cairn_str id;
    cairn_str message_id;
    cairn_str session_id;
    cairn_str type_name; /* as written, also for unknown types */
    uint8_t type;        /* cairn_part_type */
    uint8_t status;      /* cairn_tool_status (tool parts) */
    bool synthetic;      /* text injected by the harness */
    bool ignored;
    int64_t time_start_ms, time_end_ms;
    uint32_t message;
    union {
        struct { /* text, reasoning */
            cairn_str text;
        } text;
        struct {
            cairn_str name, call_id, title;
            cairn_str input; /* raw JSON */
            cairn_str output, error;
            cairn_str child_session_id; /* task tool: the sub-agent session */
        } tool;
        struct {
            cairn_str mime, filename, url, source_path;
        } file;
        struct { /* step-start, step-finish, snapshot */
            cairn_str reason, snapshot;
            cairn_tokens tokens;
            double cost;
        } step;
        struct {
            cairn_str hash;
            cairn_str files; /* raw JSON array of absolute paths */
        } patch;
        struct {
            cairn_str name;
        } agent;
        struct {
            cairn_str prompt, description, agent, command;
        } subtask;
        struct {
            int64_t attempt;
            cairn_str error;
        } retry;
        struct {
            bool automatic, overflow;
        } compaction;
    } u;
} cairn_part;

typedef struct cairn_todo {
    cairn_str session_id;
    cairn_str id, content, status, priority;
    int64_t position;
} cairn_todo;

/** "opencode", "claude-code", "codex"; "none" otherwise. Static. */
CAIRN_API const char *cairn_agent_name(cairn_agent a);
/** The agent for a name in any case ("claude", "Claude-Code"); CAIRN_AGENT_NONE if unknown. */
CAIRN_API cairn_agent cairn_agent_parse(cairn_str name);
CAIRN_API const char *cairn_origin_name(cairn_origin o);
/** "text", "tool", ... Static. */
CAIRN_API const char *cairn_part_type_name(cairn_part_type t);
/** The type for a name, or CAIRN_PART_UNKNOWN. */
CAIRN_API cairn_part_type cairn_part_type_parse(cairn_str name);
CAIRN_API const char *cairn_tool_status_name(cairn_tool_status s);
CAIRN_API cairn_tool_status cairn_tool_status_parse(cairn_str name);

#ifdef __cplusplus
}
#endif
#endif
