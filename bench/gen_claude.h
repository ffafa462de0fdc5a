/*
 * bench/gen_claude.h - a synthetic Claude Code projects/ tree for bench/jsonl.
 *
 * cc_gen() writes <dir>/projects/<escaped-cwd>/<session>.jsonl files until
 * their total reaches o->bytes, shaped after shared/fixtures/claude (2.1.329
 * and the episodic-memory transcripts): typed prompts, assistant lines with
 * one content block each (thinking, text, tool_use with input objects),
 * tool_result lines whose toolUseResult repeats the output, attachment and
 * bookkeeping lines, usage objects, the odd api_error and summary, and
 * sub-agent transcripts with their .meta.json.  The content depends only on
 * the seed and the byte target.  Errors are fatal: printed, then exit(2).
 *
 * The counts are what the Claude Code reader must hydrate
 * (src/source/claude/hydrate.c): one session per .jsonl file; one message
 * per typed prompt, per API response (its lines share message.id and
 * requestRef/requestId), per api_error and per summary; one part per prompt
 * text, per assistant block, per api_error, two per summary.
 */
#ifndef CAIRN_BENCH_GEN_CLAUDE_H
#define CAIRN_BENCH_GEN_CLAUDE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct cc_gen_opts {
    const char *dir; /* the config dir to fill (projects/ is made in it) */
    uint64_t seed;
    uint64_t bytes; /* stop after the session that reaches this many bytes */
    bool progress;  /* progress lines on stderr */
} cc_gen_opts;

typedef struct cc_gen_counts {
    uint64_t projects, sessions, subagents, files, lines, bytes;
    uint64_t messages, parts, prompts, responses, tool_uses, tool_errors;
    uint64_t attachments, summaries, api_errors;
    double seconds;
} cc_gen_counts;

/** Fill o->dir; *out gets what was written. Exits on error. */
void cc_gen(const cc_gen_opts *o, cc_gen_counts *out);

#endif
