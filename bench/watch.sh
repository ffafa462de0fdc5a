#!/bin/sh
# bench/watch.sh [BUILD_DIR [BASELINE_CAIRN]] - `cairn watch` freshness, idle CPU and a burst
# (bench/watch.py); with BASELINE_CAIRN, its freshness is measured in the same run.
# Environment: WATCH_N (appends timed, 1000), WATCH_BURST (new transcripts, 20000),
# WATCH_IDLE (idle transcripts beside, 5000).
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build-bench}
echo "== bench/watch ($dir/cairn)"
exec python3 bench/watch.py "$dir/cairn" ${2:+"$2"}
