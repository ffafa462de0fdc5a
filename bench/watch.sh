#!/bin/sh
# bench/watch.sh [BUILD_DIR] - `cairn watch` freshness, idle CPU and a burst (bench/watch.py).
# Environment: WATCH_N (appends timed, 1000), WATCH_BURST (new transcripts, 20000).
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build-bench}
echo "== bench/watch ($dir/cairn)"
exec python3 bench/watch.py "$dir/cairn"
