#!/usr/bin/env bash
# tests/integ/serve_watch.sh CAIRN SHARED_DIR - `cairn serve` keeps the index current
# in the background (issue 7, "Surfaces"): a transcript written while it serves is found
# by GET /search; /health, /metrics and `cairn stats` (another process) show the live
# index's backend, directories, last event, lag and backlog; --no-watch turns it off.
set -u
CAIRN=$1
SHARED=$2
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/serve_lib.sh"
require_tools curl jq python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-serve-watch.XXXXXX")
BODY_F=$WORK/body
HDR_F=$WORK/hdr
SRV_PID=""
trap 'stop_server KILL; rm -rf "$WORK"' EXIT
unset CAIRN_DATA_DIR CAIRN_TOKEN
D=$WORK/store
CL=$WORK/claude
mkdir -p "$CL/projects/-w"
SRC=$SHARED/fixtures/claude/episodic-memory/tiny-conversation.jsonl

# transcript FILE SID WORD: a one-prompt transcript of session SID holding WORD
transcript()
{
    python3 - "$@" <<'PY'
import json, sys
path, sid, word = sys.argv[1:]
line = {"type": "user", "uuid": "u-" + sid, "parentUuid": None, "sessionId": sid,
        "timestamp": "2026-11-21T06:00:00.000Z", "cwd": "/w",
        "message": {"role": "user", "content": word + " was typed"}}
open(path + ".tmp", "w").write(json.dumps(line) + "\n")
PY
    mv "$1.tmp" "$1"
}
# until_found WORD: GET /search finds WORD within 10 s
until_found()
{
    local i
    for i in $(seq 100); do
        req GET "/search?q=$1"
        [ "$CODE" = 200 ] && [ "$(jb '.hits | length')" -gt 0 ] && return 0
        sleep 0.1
    done
    return 1
}

cp "$SRC" "$CL/projects/-w/before.jsonl"
SRV_WATCH=1 start_server "$D" --source "claude=$CL"
assert_eq "$?" 0 "serve --source: it starts"
assert_match "$(cat "$SRV_ERR")" "keeping the index of 1 agent history current" \
    "serve: it says the live index runs"

# the catch-up: what was there before the server started
for _ in $(seq 100); do
    req GET "/health"
    [ "$(jb '.sessions')" -ge 1 ] 2>/dev/null && break
    sleep 0.1
done
assert_eq "$(jb '.sessions')" 1 "serve: the transcript there before it started is indexed"

transcript "$CL/projects/-w/s1.jsonl" 20000000-0000-4000-8000-000000000001 quokkaword
until_found quokkaword
assert_eq "$?" 0 "serve: a transcript written while it serves is found by GET /search"

req GET /health
assert_eq "$(jb '[.watch.running, .watch.backend, .watch.pid]')" "[true,\"inotify\",$SRV_PID]" \
    "/health: the live index runs, with inotify, in this process"
assert_eq "$(jb '.watch.directories')" 2 "/health: the directories watched (projects/ and -w)"
assert_eq "$(jb '[.watch.last_event != null, .watch.last_index != null, .watch.lag_ms > 0, .watch.backlog]')" \
    '[true,true,true,0]' "/health: the last event, the last re-index, its lag, an empty backlog"

req GET /metrics
assert_eq "$CODE" 200 "/metrics: 200"
assert_match "$(cat "$BODY_F")" '^cairn_watch_events_total [1-9]' "/metrics: watch events counted"
assert_match "$(cat "$BODY_F")" '^cairn_ingest_sessions_total\{change="new"\} [1-9]' \
    "/metrics: sessions the live index indexed"
assert_match "$(cat "$BODY_F")" '^cairn_watch_lag_seconds 0\.[0-9]' "/metrics: the lag, in seconds"
assert_match "$(cat "$BODY_F")" '^cairn_watch_backlog 0' "/metrics: the backlog"

"$CAIRN" stats --data-dir "$D" >"$WORK/stats.out" 2>&1
assert_match "$(cat "$WORK/stats.out")" "^watch +inotify, 2 directories, pid $SRV_PID; last change .*searchable after [0-9]+ ms" \
    "cairn stats (another process): the live index's backend, directories, pid, last change, lag"
"$CAIRN" stats --data-dir "$D" --json >"$WORK/stats.json"
assert_eq "$(jq -c '[.watch.running, .watch.backend, .watch.backlog]' "$WORK/stats.json")" '[true,"inotify",0]' \
    "cairn stats --json: the same, as .watch"

rm "$CL/projects/-w/s1.jsonl"
for _ in $(seq 100); do
    [ "$("$CAIRN" stats --data-dir "$D" --json 2>/dev/null | jq .gone)" = 1 ] && break
    sleep 0.1
done
assert_eq "$("$CAIRN" stats --data-dir "$D" --json | jq -c '[.sessions, .gone]')" '[2,1]' \
    "serve: a deleted transcript is marked gone (kept until prune)"

stop_clean "serve with a live index: SIGTERM stops it cleanly"
"$CAIRN" stats --data-dir "$D" --json >"$WORK/stats.json"
assert_eq "$(jq -c '.watch.running' "$WORK/stats.json")" false "cairn stats: the stopped server's live index is not running"
"$CAIRN" stats --data-dir "$D" >"$WORK/stats.out" 2>&1
assert_match "$(cat "$WORK/stats.out")" "^watch +not running" "cairn stats: says so"

# --no-watch: nothing is watched; what is written is not indexed
start_server "$D" --source "claude=$CL"
assert_match "$(cat "$SRV_ERR")" "no live index \(--no-watch\)" "serve --no-watch: it says so"
transcript "$CL/projects/-w/s2.jsonl" 20000000-0000-4000-8000-000000000002 wombatword
sleep 1
req GET "/search?q=wombatword"
assert_eq "$(jb '.hits | length')" 0 "serve --no-watch: a new transcript is not indexed"
stop_clean "serve --no-watch: SIGTERM stops it cleanly"
done_testing
