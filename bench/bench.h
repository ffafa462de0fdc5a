/*
 * bench/bench.h - helpers shared by bench/ingest, bench/search and bench/jsonl:
 * scratch directories, the machine line, peak RSS, number formatting, the
 * figure/target/verdict table, and the synthetic opencode tree that ingest
 * and search index (bench/gen_opencode.h writes it).
 *
 * Benchmarks print figures and are not tests (STYLE.md §11): a missed
 * target prints MISS; a wrong count exits 1.  MB are 10^6 bytes.
 */
#ifndef CAIRN_BENCH_BENCH_H
#define CAIRN_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gen_opencode.h"

/** 1234567 -> "1,234,567" into buf (at least 32 bytes); returns buf. */
const char *bench_grp(uint64_t v, char *buf);
/** Seconds between two cn_mono_ns() readings. */
double bench_secs(uint64_t t0, uint64_t t1);
/** The process's peak resident set (VmHWM), in kB. */
uint64_t bench_hwm_kb(void);
/** User + system CPU seconds of this process so far. */
double bench_cpu_s(void);
/** "load 1.23 0.98 0.50" (/proc/loadavg) into buf: other work on the machine skews wall times. */
const char *bench_load(char *buf, size_t n);
/** "2 cores, AMD EPYC, 23.4 GiB RAM" into buf. */
const char *bench_machine(char *buf, size_t n);
/** Size of a file in bytes, 0 if it does not exist. */
int64_t bench_file_bytes(const char *path);
/** Bytes free on the filesystem holding path. */
double bench_free_bytes(const char *path);
/** Read every file under dir once (page cache warm-up); returns the bytes read. */
uint64_t bench_warm(const char *dir);
/** rm -rf path (a child process). */
int bench_rm_rf(const char *path);
/** mkdir -p path. */
int bench_mkdirs(const char *path);
/** A fresh directory $TMPDIR/cairn-bench-<name>.XXXXXX into out. */
int bench_tmpdir(const char *name, char *out, size_t n);
/**
 * The working directory of a benchmark into out: dir (made if missing; *keep
 * is set, the caller leaves it) or, when dir is NULL, a fresh temp dir.
 */
int bench_root(const char *name, const char *dir, char *out, size_t n, bool *keep);
/** Value at fraction p (0..1) of sorted v[0..n), nearest rank. */
double bench_pct(const double *sorted, size_t n, double p);
/** Parse a positive number for flag; exits 2 with a message if it is not one. */
double bench_num(const char *prog, const char *flag, const char *v);

/** One line of a figure table: label, value, target ("" for none), verdict. */
void bench_row(const char *label, const char *value, const char *target, int verdict);
#define BENCH_NONE (-1) /* verdict column left empty */
void bench_rule(void);

/* ---- the synthetic opencode history (G1 JSON tree) ---- */

typedef struct bench_oc {
    uint64_t seed;
    uint32_t sessions, messages, parts;
    oc_gen_counts c; /* what was written */
    double gen_s;    /* 0 when an existing tree was reused */
} bench_oc;

/** The counts bench/opencode uses at scale 1 (2,000 / 100,000 / 1,000,000), times scale. */
void bench_oc_scale(bench_oc *t, double scale);
/**
 * Make dir hold the G1 tree for t's seed and counts: reused when
 * <dir>.manifest says it was made with them, otherwise written by a child
 * process (the generator exits on error).  Returns 0, or -1 with a message.
 */
int bench_oc_tree(const char *dir, bench_oc *t);

#endif
