/*
 * source/claude/claude.h - the Claude Code reader's internals
 * (shared/formats/claude-code.md).
 */
#ifndef CN_SOURCE_CLAUDE_H
#define CN_SOURCE_CLAUDE_H

#include "source/pipeline.h"

#define CN_JSONL_FILE_MAX ((size_t)4 << 30) /* a transcript file (mapped) */
#define CN_JSONL_LINE_MAX ((size_t)16 << 20) /* one line; longer ones are issues */

/** hydrate.c: transcript lines -> records. */
cairn_rc cn_claude_hydrate(cairn_resolved *res, cairn_batch *b, cairn_report *rep,
                           cairn_err *err);

#endif
