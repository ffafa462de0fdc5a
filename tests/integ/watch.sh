#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup runs from a trap
# tests/integ/watch.sh CAIRN SHARED_DIR - `cairn watch`: a transcript created,
# appended to, renamed and deleted while cairn watches is searchable (or gone)
# afterwards, with inotify and with polling; bad options are refused; SIGINT
# ends it cleanly.
set -u
CAIRN=$1
SHARED=$2
. "$(dirname "$0")/lib.sh"
require_tools jq python3 timeout sqlite3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-watch.XXXXXX")
PIDS=""
cleanup()
{
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
unset CAIRN_DATA_DIR
SRC=$SHARED/fixtures/claude/episodic-memory/tiny-conversation.jsonl

# until CMD succeeds, at most 10 s; 0 when it did
until_ok()
{
    local i
    for i in $(seq 100); do
        eval "$1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
hits() { "$CAIRN" search "$1" --data-dir "$2" --json 2>/dev/null | jq '.hits | length'; }
found() { [ "$(hits "$1" "$2")" -gt 0 ]; }
append() { # a user prompt holding word $2 at the end of transcript $1
    python3 - "$1" "$2" <<'PY'
import json, sys, uuid
path, word = sys.argv[1], sys.argv[2]
last = [json.loads(l) for l in open(path) if l.strip()][-1]
line = {"type": "user", "uuid": str(uuid.uuid4()), "parentUuid": last.get("uuid"),
        "sessionId": last["sessionId"], "timestamp": "2026-11-21T06:00:00.000Z",
        "cwd": last.get("cwd", "/w"), "message": {"role": "user", "content": word + " now"}}
open(path, "a").write(json.dumps(line) + "\n")
PY
}
# copy_as DEST ID: the fixture transcript as session ID (one session per file)
copy_as()
{
    python3 - "$SRC" "$1" "$2" <<'PY'
import json, sys
src, dest, sid = sys.argv[1:]
out = []
for l in open(src):
    if l.strip():
        d = json.loads(l)
        if "sessionId" in d:
            d["sessionId"] = sid
        out.append(json.dumps(d) + "\n")
open(dest, "w").write("".join(out))
PY
}
# start_watch NAME ARGS...: cairn watch in the background, until it says it watches (it
# says so after its catch-up ingest, which a slow machine may take a while over: 60 s)
start_watch()
{
    local name=$1 i
    shift
    "$CAIRN" watch "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    WPID=$!
    PIDS="$PIDS $WPID"
    for i in $(seq 600); do
        grep -q watching "$tmp/$name.err" && return 0
        sleep 0.1
    done
    return 1
}

# ---- inotify (no watchman server here: the default falls back to inotify) ----
export WATCHMAN_SOCK=$tmp/no-watchman
mkdir -p "$tmp/cl/projects"
start_watch ino --source "claude=$tmp/cl" --data-dir "$tmp/d"
assert_eq "$?" 0 "inotify: cairn watch starts and says what it watches"
assert_match "$(cat "$tmp/ino.err")" "with inotify" "inotify: the default backend"

mkdir "$tmp/cl/projects/-w-a"
copy_as "$tmp/cl/projects/-w-a/s1.jsonl" 00000000-0000-4000-8000-000000000001
append "$tmp/cl/projects/-w-a/s1.jsonl" zanzibarone
until_ok "found zanzibarone '$tmp/d'"
assert_eq "$?" 0 "inotify: a transcript created in a new directory is searchable"
until_ok "grep -q '1 new' '$tmp/ino.out'"
assert_eq "$?" 0 "inotify: one line says a new session"

append "$tmp/cl/projects/-w-a/s1.jsonl" zanzibartwo
until_ok "found zanzibartwo '$tmp/d'"
assert_eq "$?" 0 "inotify: an appended line is searchable"
assert_eq "$(hits zanzibarone "$tmp/d")" 1 "inotify: what was there stays, once"

mv "$tmp/cl/projects/-w-a/s1.jsonl" "$tmp/cl/projects/-w-a/s1.tmp"
cp "$tmp/cl/projects/-w-a/s1.tmp" "$tmp/cl/projects/-w-a/s2.jsonl.tmp"
append "$tmp/cl/projects/-w-a/s2.jsonl.tmp" zanzibarthree
mv "$tmp/cl/projects/-w-a/s2.jsonl.tmp" "$tmp/cl/projects/-w-a/s1.jsonl" # an atomic replace
until_ok "found zanzibarthree '$tmp/d'"
assert_eq "$?" 0 "inotify: a file replaced by rename is read again"
rm "$tmp/cl/projects/-w-a/s1.tmp"

gone=$(grep -c ' 1 gone' "$tmp/ino.out") # the rename above may have shown one already
rm "$tmp/cl/projects/-w-a/s1.jsonl"
until_ok "[ \$(grep -c ' 1 gone' '$tmp/ino.out') -gt $gone ]"
assert_eq "$?" 0 "inotify: a deleted transcript is reported gone"
assert_eq "$(hits zanzibarthree "$tmp/d")" 1 "inotify: a gone session stays searchable until prune"

# a transcript moved to another project folder: both paths come in one change, and the
# session is not gone; then that folder renamed: its later writes are still seen
live() { sqlite3 "$tmp/d/cairn.db" "SELECT count(*) FROM sessions WHERE session_id = '$1' AND gone_at IS NULL"; }
S7=00000000-0000-4000-8000-000000000007
mkdir "$tmp/cl/projects/-w-m" "$tmp/cl/projects/-w-n"
copy_as "$tmp/cl/projects/-w-m/s7.jsonl" $S7
append "$tmp/cl/projects/-w-m/s7.jsonl" zanzibarmoved
until_ok "found zanzibarmoved '$tmp/d'"
mv "$tmp/cl/projects/-w-m/s7.jsonl" "$tmp/cl/projects/-w-n/s7.jsonl"
copy_as "$tmp/cl/projects/-w-m/s8.jsonl" 00000000-0000-4000-8000-000000000008 # after the move
append "$tmp/cl/projects/-w-m/s8.jsonl" zanzibarmarker
until_ok "found zanzibarmarker '$tmp/d'"
assert_eq "$(live $S7)" 1 "inotify: a transcript moved to another project folder is not gone"
mv "$tmp/cl/projects/-w-n" "$tmp/cl/projects/-w-r"
append "$tmp/cl/projects/-w-r/s7.jsonl" zanzibarrenamed
until_ok "found zanzibarrenamed '$tmp/d'"
assert_eq "$?" 0 "inotify: an append in a renamed folder is searchable"
copy_as "$tmp/cl/projects/-w-r/s10.jsonl" 00000000-0000-4000-8000-000000000010
append "$tmp/cl/projects/-w-r/s10.jsonl" zanzibarnewfile
until_ok "found zanzibarnewfile '$tmp/d'"
assert_eq "$?" 0 "inotify: a new transcript in a renamed folder is searchable"
assert_eq "$(live $S7)" 1 "inotify: the moved session is still not gone"
# a copy made in another folder, then the first file deleted: the copy keeps it live
S11=00000000-0000-4000-8000-000000000011
copy_as "$tmp/cl/projects/-w-m/s11.jsonl" $S11
append "$tmp/cl/projects/-w-m/s11.jsonl" zanzibarcopied
until_ok "found zanzibarcopied '$tmp/d'"
cp "$tmp/cl/projects/-w-m/s11.jsonl" "$tmp/cl/projects/-w-r/s11.jsonl"
sleep 0.3
rm "$tmp/cl/projects/-w-m/s11.jsonl"
copy_as "$tmp/cl/projects/-w-m/s12.jsonl" 00000000-0000-4000-8000-000000000012 # after the rm
append "$tmp/cl/projects/-w-m/s12.jsonl" zanzibarmarktwo
until_ok "found zanzibarmarktwo '$tmp/d'"
assert_eq "$(live $S11)" 1 "inotify: a transcript deleted while a copy of it lives elsewhere is not gone"
# a bad line in a transcript's last turn is read again at each change: said once
S13=00000000-0000-4000-8000-000000000013
copy_as "$tmp/cl/projects/-w-m/s13.jsonl" $S13
append "$tmp/cl/projects/-w-m/s13.jsonl" zanzibarbadbefore
until_ok "found zanzibarbadbefore '$tmp/d'"
grep -c ' 1 changed' "$tmp/ino.out" >"$tmp/changed.n"
cp "$tmp/cl/projects/-w-m/s13.jsonl" "$tmp/s13.before"
echo '{"type":"user", oops' >>"$tmp/cl/projects/-w-m/s13.jsonl"
tail -n 1 "$tmp/s13.before" >>"$tmp/cl/projects/-w-m/s13.jsonl" # the line before, again, after it
until_ok "grep -q 's13.jsonl:' '$tmp/ino.err'"
until_ok "[ \$(grep -c ' 1 changed' '$tmp/ino.out') -gt \$(cat '$tmp/changed.n') ]"
grep -c ' 1 changed' "$tmp/ino.out" >"$tmp/changed.n"
for w in one two; do # more lines after it, each with a uuid of its own
    tail -n 1 "$tmp/s13.before" | sed 's/"uuid": *"[^"]*"/"uuid": "more-'$w'"/' >>"$tmp/cl/projects/-w-m/s13.jsonl"
    until_ok "[ \$(grep -c ' 1 changed' '$tmp/ino.out') -gt \$(cat '$tmp/changed.n' 2>/dev/null || echo 0) ]"
    grep -c ' 1 changed' "$tmp/ino.out" >"$tmp/changed.n"
done
assert_eq "$(grep -c 's13.jsonl:' "$tmp/ino.err")" 1 "inotify: a bad line read again at each append is reported once"

kill -INT "$WPID"
wait "$WPID"
assert_eq "$?" 0 "inotify: SIGINT ends cairn watch with status 0"
assert_eq "$(crash_report "$tmp/ino.err")" "" "inotify: no sanitizer report"

# ---- a restart catches up with what changed while nobody watched ----
mkdir "$tmp/cl/projects/-w-b"
copy_as "$tmp/cl/projects/-w-b/s3.jsonl" 00000000-0000-4000-8000-000000000003
append "$tmp/cl/projects/-w-b/s3.jsonl" zanzibarfour
start_watch again --source "claude=$tmp/cl" --data-dir "$tmp/d" --json
assert_eq "$(hits zanzibarfour "$tmp/d")" 1 "restart: what changed meanwhile is indexed before watching"
assert_eq "$(jq -c '[.agent, .sessions_new, .sessions_changed, .sessions_gone, .catch_up]' "$tmp/again.out")" \
    '["claude-code",1,0,0,true]' "restart --json: one object per change, with its agent and counts, marked catch_up"
append "$tmp/cl/projects/-w-b/s3.jsonl" zanzibarsix
until_ok "found zanzibarsix '$tmp/d'"
assert_eq "$(tail -n 1 "$tmp/again.out" | jq -c '[.sessions_changed, .files, .catch_up]')" '[1,1,false]' \
    "--json: an append re-reads that one file alone (files: 1), not a catch-up"
mkdir "$tmp/-w-e" # a project directory moved in whole: its files make no events of their own
copy_as "$tmp/-w-e/s9.jsonl" 00000000-0000-4000-8000-000000000009
mv "$tmp/-w-e" "$tmp/cl/projects/-w-e"
until_ok "[ \$(jq -s 'map(select(.sessions_new == 1)) | length' '$tmp/again.out') -ge 2 ]"
assert_eq "$(jq -s -c 'map(select(.sessions_new == 1)) | last | .files' "$tmp/again.out")" null \
    "--json: a project directory moved in re-plans the whole source (files: null)"
assert_eq "$(sqlite3 "$tmp/d/cairn.db" "SELECT json_extract(value, '$.backend') || ' ' ||
    (json_extract(value, '$.pid') = $WPID) FROM meta WHERE key = 'watch'")" "inotify 1" \
    "the watcher records its backend and pid in the store"
kill -TERM "$WPID"
wait "$WPID"
assert_eq "$?" 0 "restart: SIGTERM ends cairn watch with status 0"

# ---- a burst that overflows the kernel's event queue while cairn is stopped ----
# 20,000 new transcripts (3 events each) while the watcher is SIGSTOPped: more than
# fs.inotify.max_queued_events (16,384 by default), so the kernel drops events and
# says IN_Q_OVERFLOW; the rescan through the plan stage must still find every file.
burst() { # burst DIR FIRST COUNT: COUNT one-line transcripts, one session each
    python3 - "$@" <<'PY'
import json, os, sys
d, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d, exist_ok=True)
for i in range(first, first + n):
    sid = "10000000-0000-4000-8000-%012d" % i
    line = {"type": "user", "uuid": "u%d" % i, "parentUuid": None, "sessionId": sid,
            "timestamp": "2026-11-21T06:00:00.000Z", "cwd": "/w",
            "message": {"role": "user", "content": "burst%d" % i}}
    with open(os.path.join(d, sid + ".jsonl"), "w") as f:
        f.write(json.dumps(line) + "\n")
PY
}
sessions() { sqlite3 "$1/cairn.db" "SELECT count(*) FROM sessions WHERE gone_at IS NULL"; }
mkdir -p "$tmp/cb/projects/-w-burst"
start_watch burst --source "claude=$tmp/cb" --data-dir "$tmp/db" --json
kill -STOP "$WPID"
burst "$tmp/cb/projects/-w-burst" 0 20000
kill -CONT "$WPID"
for _ in $(seq 600); do [ "$(sessions "$tmp/db")" = 20000 ] && break; sleep 0.1; done
assert_eq "$(sessions "$tmp/db")" 20000 "overflow: all 20,000 transcripts of the burst are indexed"
found burst19999 "$tmp/db"
assert_eq "$?" 0 "overflow: the last transcript is searchable"
if [ "$(cat /proc/sys/fs/inotify/max_queued_events)" -lt 60000 ]; then
    until_ok "[ \"\$(sqlite3 '$tmp/db/cairn.db' \"SELECT json_extract(value, '\$.overflows') > 0 FROM meta WHERE key = 'watch'\")\" = 1 ]"
    assert_eq "$?" 0 "overflow: the kernel's queue overflowed and cairn rescanned"
else
    skip "overflow: the kernel's event queue is too large to overflow here"
fi
kill -INT "$WPID"
wait "$WPID"
assert_eq "$?" 0 "overflow: SIGINT ends it with status 0"

# ---- killed during a burst: the restart catches up, nothing is missing ----
start_watch kill --source "claude=$tmp/cb" --data-dir "$tmp/db"
burst "$tmp/cb/projects/-w-burst" 20000 3000 &
bpid=$!
sleep 0.7
kill -KILL "$WPID"
wait "$WPID" 2>/dev/null
wait "$bpid"
start_watch kill2 --source "claude=$tmp/cb" --data-dir "$tmp/db"
assert_eq "$(sessions "$tmp/db")" 23000 "kill -9 mid-burst: after the restart's catch-up, all 23,000 are indexed"
assert_eq "$(sqlite3 "$tmp/db/cairn.db" 'PRAGMA integrity_check')" ok "kill -9 mid-burst: the store is intact"
kill -INT "$WPID"
wait "$WPID"

# ---- a low watch limit: polling, with a warning ----
mkdir -p "$tmp/cm/projects/-w-m"
start_watch lim --source "claude=$tmp/cm" --data-dir "$tmp/dl" --max-watches 1
assert_match "$(cat "$tmp/lim.err")" "watch limit was reached after 1 directories .--max-watches.: polling instead" \
    "--max-watches 1: a warning says the limit was reached and polling takes over"
assert_match "$(cat "$tmp/lim.err")" "with poll" "--max-watches 1: it polls"
copy_as "$tmp/cm/projects/-w-m/s5.jsonl" 00000000-0000-4000-8000-000000000005
append "$tmp/cm/projects/-w-m/s5.jsonl" zanzibarseven
until_ok "found zanzibarseven '$tmp/dl'"
assert_eq "$?" 0 "--max-watches 1: a new transcript is still searchable"
kill -INT "$WPID"
wait "$WPID"
# the kernel's own limit, lowered inside a user namespace (when this machine allows one)
if unshare -Ur sh -c 'echo 1 > /proc/sys/user/max_inotify_watches' 2>/dev/null; then
    unshare -Ur sh -c "echo 1 > /proc/sys/user/max_inotify_watches &&
        exec '$CAIRN' watch --source 'claude=$tmp/cm' --data-dir '$tmp/dn'" >"$tmp/ns.out" 2>"$tmp/ns.err" &
    WPID=$!
    PIDS="$PIDS $WPID"
    until_ok "grep -q watching '$tmp/ns.err'"
    assert_match "$(cat "$tmp/ns.err")" "fs.inotify.max_user_watches" \
        "kernel watch limit: the warning names fs.inotify.max_user_watches"
    copy_as "$tmp/cm/projects/-w-m/s6.jsonl" 00000000-0000-4000-8000-000000000006
    append "$tmp/cm/projects/-w-m/s6.jsonl" zanzibareight
    until_ok "found zanzibareight '$tmp/dn'"
    assert_eq "$?" 0 "kernel watch limit: polling still indexes a new transcript"
    kill -INT "$WPID"
    wait "$WPID"
else
    skip "kernel watch limit: no user namespace here (unshare -Ur)"
    skip "kernel watch limit: polling still indexes a new transcript"
fi

# ---- polling ----
mkdir -p "$tmp/cp/projects/-w-c"
start_watch poll --source "claude=$tmp/cp" --data-dir "$tmp/dp" --watch poll
assert_match "$(cat "$tmp/poll.err")" "with poll" "poll: the backend asked for"
copy_as "$tmp/cp/projects/-w-c/s4.jsonl" 00000000-0000-4000-8000-000000000004
append "$tmp/cp/projects/-w-c/s4.jsonl" zanzibarfive
until_ok "found zanzibarfive '$tmp/dp'"
assert_eq "$?" 0 "poll: a new transcript is searchable"
kill -INT "$WPID"
wait "$WPID"
assert_eq "$?" 0 "poll: SIGINT ends it with status 0"

# ---- codex: archived_sessions/ made while watching, a rollout archived into it ----
cp -R "$SHARED/fixtures/codex/0.50.0/sessions" "$tmp/cx"
mkdir -p "$tmp/codex" && mv "$tmp/cx" "$tmp/codex/sessions"
start_watch cx --source "codex=$tmp/codex" --data-dir "$tmp/dx"
CX=01a1fca5-6720-7992-8bd1-8472229a2fea
mkdir "$tmp/codex/archived_sessions"
mv "$tmp/codex/sessions/2026/11/21/"rollout-*.jsonl "$tmp/codex/archived_sessions/"
# the watch of the new folder begins within a second or so; the source is then read whole
until_ok "[ \"\$(sqlite3 '$tmp/dx/cairn.db' \"SELECT count(*) FROM sessions WHERE session_id = '$CX' AND gone_at IS NULL\")\" = 1 ] && grep -q 'watching' '$tmp/cx.err' && sleep 1.5 && [ \"\$(sqlite3 '$tmp/dx/cairn.db' \"SELECT count(*) FROM sessions WHERE session_id = '$CX' AND gone_at IS NULL\")\" = 1 ]"
assert_eq "$?" 0 "codex: a rollout archived into a folder made while watching is not gone"
kill -INT "$WPID"
wait "$WPID"
assert_eq "$?" 0 "codex: SIGINT ends it with status 0"

# ---- opencode: another process writes opencode.db (WAL) while cairn watches ----
cp -R "$SHARED/fixtures/opencode/sqlite-1.18.33" "$tmp/oc"
start_watch oc --source "opencode=$tmp/oc" --data-dir "$tmp/do"
sqlite3 "$tmp/oc/opencode.db" "UPDATE session SET title = 'retitled by a writer',
    time_updated = time_updated + 1000 WHERE id = 'ses_e035dec6effeeawMfBf3ow9Lhu'"
until_ok "[ \"\$(sqlite3 '$tmp/do/cairn.db' \"SELECT count(*) FROM sessions WHERE title = 'retitled by a writer'\")\" = 1 ]"
assert_eq "$?" 0 "opencode: a row written by another process is indexed"
until_ok "grep -q '1 changed' '$tmp/oc.out'"
assert_eq "$?" 0 "opencode: one line says the session changed"
kill -INT "$WPID"
wait "$WPID"
assert_eq "$?" 0 "opencode: SIGINT ends it with status 0"

# ---- watchman: a server already running for the user is used; cairn never starts one ----
if command -v watchman >/dev/null 2>&1; then
    mkdir -p "$tmp/wm" "$tmp/cw/projects/-w-w"
    watchman --foreground --sockname="$tmp/wm/sock" --statefile="$tmp/wm/state" \
        --logfile="$tmp/wm/log" --pidfile="$tmp/wm/pid" >/dev/null 2>&1 &
    WMPID=$!
    PIDS="$PIDS $WMPID"
    until_ok "[ -S '$tmp/wm/sock' ]"
    export WATCHMAN_SOCK=$tmp/wm/sock
    start_watch wm --source "claude=$tmp/cw" --data-dir "$tmp/dw" --json
    assert_match "$(cat "$tmp/wm.err")" "with watchman" "watchman: a running server is used by default"
    copy_as "$tmp/cw/projects/-w-w/w1.jsonl" 00000000-0000-4000-8000-0000000000a1
    append "$tmp/cw/projects/-w-w/w1.jsonl" zanzibarnine
    until_ok "found zanzibarnine '$tmp/dw'"
    assert_eq "$?" 0 "watchman: a new transcript is searchable"
    append "$tmp/cw/projects/-w-w/w1.jsonl" zanzibarten
    until_ok "found zanzibarten '$tmp/dw'"
    assert_eq "$?" 0 "watchman: an appended line is searchable"
    assert_eq "$(tail -n 1 "$tmp/wm.out" | jq -c '[.sessions_changed, .files]')" '[1,1]' \
        "watchman: the append re-reads that one file alone"
    rm "$tmp/cw/projects/-w-w/w1.jsonl"
    until_ok "grep -q '\"sessions_gone\":1' '$tmp/wm.out'"
    assert_eq "$?" 0 "watchman: a deleted transcript is reported gone"
    kill "$WMPID"
    wait "$WMPID" 2>/dev/null
    until_ok "grep -q 'watchman server went away' '$tmp/wm.err'"
    assert_eq "$?" 0 "watchman: when the server goes away, a warning says so"
    copy_as "$tmp/cw/projects/-w-w/w2.jsonl" 00000000-0000-4000-8000-0000000000a2
    append "$tmp/cw/projects/-w-w/w2.jsonl" zanzibareleven
    until_ok "found zanzibareleven '$tmp/dw'"
    assert_eq "$?" 0 "watchman gone: inotify takes over and a new transcript is searchable"
    kill -INT "$WPID"
    wait "$WPID"
    assert_eq "$?" 0 "watchman: SIGINT ends it with status 0"
    before=$(pgrep -c -x watchman || true)
    WATCHMAN_SOCK=$tmp/wm/none run_cairn "$tmp/wmn.out" "$tmp/wmn.err" watch --watch watchman \
        --source "claude=$tmp/cw" --data-dir "$tmp/dw"
    assert_eq "$RC" 1 "--watch watchman with no server: exit 1"
    assert_match "$(cat "$tmp/wmn.err")" "no watchman server answers at .*/wm/none .cairn never starts one." \
        "--watch watchman with no server: the error says where it looked"
    assert_eq "$(pgrep -c -x watchman || true)/$([ -e "$tmp/wm/none" ] && echo made)" "$before/" \
        "--watch watchman with no server: no server was started"
    unset WATCHMAN_SOCK
else
    for t in "a running server is used by default" "a new transcript is searchable" \
        "an appended line is searchable" "the append re-reads that one file alone" \
        "a deleted transcript is reported gone" "when the server goes away, a warning says so" \
        "inotify takes over" "SIGINT ends it with status 0" "no server: exit 1" \
        "no server: the error says where it looked" "no server: no server was started"; do
        skip "watchman: $t (watchman is not installed)"
    done
fi

# ---- refused options ----
run_cairn "$tmp/bad.out" "$tmp/bad.err" watch --watch fsevents --source "claude=$tmp/cl" --data-dir "$tmp/d"
assert_eq "$RC" 1 "--watch fsevents: exit 1"
assert_match "$(cat "$tmp/bad.err")" "fsevents" "--watch fsevents: the error names the value"
run_cairn "$tmp/arg.out" "$tmp/arg.err" watch extra --data-dir "$tmp/d"
assert_eq "$RC" 1 "watch with an argument: exit 1"
done_testing
