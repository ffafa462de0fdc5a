#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup runs from a trap
# tests/integ/cli_args.sh CAIRN SHARED_DIR - how `cairn` reads its command line.
#
# Over a temp store of a temp copy of fixtures/claude/2.1.329: a word that
# starts with one dash is an argument (the query syntax's -excluded, a value
# "-5"), never an option matched against the help text; a flag given a value
# and an argument to a command that takes none are usage errors; commands that
# read cairn's own data do not create a store at a mistyped --data-dir; --quiet
# keeps the data asked for; an over-long query and a prices file with a wrong
# field get errors that say so.  TAP on stdout.
set -u
CAIRN=${1:?usage: cli_args.sh CAIRN SHARED_DIR}
SHARED=${2:?usage: cli_args.sh CAIRN SHARED_DIR}
. "$(dirname "$0")/lib.sh"
require_tools jq timeout python3
FIX=$SHARED/fixtures/claude/2.1.329
[ -d "$FIX" ] || { echo "Bail out! no fixture at $FIX"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cliargs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
unset CAIRN_DATA_DIR OPENCODE_DB CLAUDE_CONFIG_DIR CODEX_HOME
OUT=$WORK/out
ERR=$WORK/err
ST=$WORK/store
cp -r "$FIX" "$WORK/claude"
c() { run_cairn "$OUT" "$ERR" "$@"; }
# nhits ARGS...: how many hits `search ARGS --json` gives
nhits()
{
    c search "$@" --data-dir "$ST" --limit 100 --json
    jq '.hits | length' "$OUT" 2>/dev/null || echo "no JSON: $(head -c 300 "$ERR")"
}

c ingest --source "claude=$WORK/claude" --data-dir "$ST"
expect_rc "the fixture is ingested" 0

# ---- a word with one dash is an argument ----
ALL=$(nhits hello)
SPLIT=$(nhits hello -tool)
QUOTED=$(nhits "hello -tool")
assert_eq "$SPLIT" "$QUOTED" "search hello -tool (two words) = search 'hello -tool': -tool excludes, as the help says"
if [ "$SPLIT" -lt "$ALL" ] 2>/dev/null; then
    ok "search hello -tool finds fewer hits than hello ($SPLIT < $ALL): the exclusion applies"
else
    not_ok "search hello -tool finds fewer hits than hello" "$SPLIT, $ALL"
fi
c search -tool hello --data-dir "$ST" --json
expect_rc "a query may start with an excluded word" 0
c remember p neg -5 --data-dir "$ST"
expect_rc "remember p neg -5: the value -5 is an argument" 0
c recall p neg --data-dir "$ST" --json
assert_eq "$(jq -r '.memories[0].memory_value' "$OUT")" "-5" "recall gives the value -5"
c remember p esc "$(printf 'red\033[31m\nline')" --data-dir "$ST"
assert_eq "$RC $(grep -c "$(printf '\033')" "$OUT")" "0 0" "remember echoes the value without its control bytes (no escape reaches the terminal)"
c ingest -full --data-dir "$ST"
expect_rc "ingest -full (one dash) is not taken for --full: a usage error" 1
assert_contains "$(cat "$ERR")" "'-full'" "the error names the word"

# ---- --tool in any case: Claude Code names its shell tool Bash ----
BASH=$(nhits hello --tool Bash)
if [ "$BASH" -gt 0 ] 2>/dev/null; then ok "search hello --tool Bash finds Claude Code's Bash calls ($BASH)"; else not_ok "search hello --tool Bash finds hits" "$BASH"; fi
assert_eq "$(nhits hello --tool bash) $(nhits hello --tool BASH)" "$BASH $BASH" "--tool bash and --tool BASH find the same calls"
CC=$(nhits hello --agent claude-code)
assert_eq "$(nhits hello --agent Claude-Code) $(nhits hello --agent CLAUDE)" "$CC $CC" "--agent in any case names the agent ($CC hits)"

# ---- flags with values, arguments where none are taken ----
c stats --json=0 --data-dir "$ST"
expect_rc "stats --json=0: a flag takes no value, exit 1" 1
assert_contains "$(cat "$ERR")" "takes no value" "the error says the flag takes no value"
for cmd in stats sources prune usage; do
    if [ "$cmd" = sources ]; then c sources extra; else c "$cmd" extra --data-dir "$ST"; fi
    expect_rc "$cmd extra: a command that takes no arguments refuses one (exit 1)" 1
    assert_contains "$(cat "$ERR")" "'extra'" "$cmd extra: the error names the argument"
done

# ---- reading cairn's own data never makes a store ----
for args in "recall p" "recall p k" "forget p k" "context ses_x"; do
    # shellcheck disable=SC2086  # the command's words
    c $args --data-dir "$WORK/typo"
    expect_rc "$args at a mistyped --data-dir exits 1" 1
    assert_contains "$(cat "$ERR")" "no store at" "$args: the error says there is no store"
    assert_eq "$([ -e "$WORK/typo" ] && echo made || echo none)" "none" "$args: nothing was created"
done

# ---- --quiet keeps the data ----
SID=$(jq -r '.hits[0].session_id' <<<"$(c search hello --data-dir "$ST" --json; cat "$OUT")")
c context "$SID" --quiet --data-dir "$ST"
assert_eq "$(jq -r '.session_id' "$OUT" 2>/dev/null)" "$SID" "context --quiet still prints the document"
c context "$SID" --add-decision "use tabs" --quiet --data-dir "$ST"
assert_eq "$RC:$(wc -c <"$OUT")" "0:0" "context --add-* --quiet appends and prints nothing"

# ---- watch stopped before it has caught up: says so, 130, as ingest ----
python3 - "$WORK/big/projects/-w" <<'PY'
import json, os, sys
d = sys.argv[1]
os.makedirs(d)
for i in range(600):
    sid = "00000000-0000-4000-8000-%012d" % i
    with open(os.path.join(d, sid + ".jsonl"), "w") as f:
        for k in range(300):
            f.write(json.dumps({"type": "user", "uuid": "u%d-%d" % (i, k), "parentUuid": None if k == 0 else "u%d-%d" % (i, k - 1),
                                "sessionId": sid, "timestamp": "2026-11-21T06:00:00.000Z", "cwd": "/w",
                                "message": {"role": "user", "content": "line %d of session %d with some words to index" % (k, i)}}) + "\n")
PY
RC=0
timeout 60 "$CAIRN" watch --source "claude=$WORK/big" --data-dir "$WORK/wst" --watch poll >"$OUT" 2>"$ERR" &
WPID=$!
# once its first chunk is committed, the handlers are in place and the catch-up goes on
python3 -c 'import os, sqlite3, sys, time
for _ in range(300):
    try:
        if os.path.exists(sys.argv[1]) and sqlite3.connect(sys.argv[1], timeout=0.1).execute("SELECT count(*) FROM sessions").fetchone()[0]:
            break
    except sqlite3.Error:
        pass
    time.sleep(0.02)' "$WORK/wst/cairn.db"
kill -INT "$WPID"
wait "$WPID" || RC=$?
if grep -q "watching" "$ERR"; then
    assert_eq "$RC" 0 "watch stopped after catching up exits 0"
else
    assert_eq "$RC $(grep -c 'interrupted before catching up' "$ERR")" "130 1" \
        "watch stopped while catching up exits 130 and says so"
fi

# ---- a session two sources hold: listed once, shown from its newest copy, as stored ----
OC=$SHARED/fixtures/opencode
ONE=(--source "opencode=$OC/json-then-sqlite-no-import" --source "opencode=$OC/json-1.1.65")
TWO=(--source "opencode=$OC/json-1.1.65" --source "opencode=$OC/json-then-sqlite-no-import")
c sessions "${ONE[@]}" --json
assert_eq "$(jq '[.[].id] | length == (unique | length)' "$OUT")" true "sessions over two copies of a session lists it once"
DUP=ses_e035d5419ffekS23Vk2VrZei3I
c show "${DUP:0:13}" "${ONE[@]}" --json
A=$(jq -c '[.id, (.messages | length)]' "$OUT" 2>&1)
c show "${DUP:0:13}" "${TWO[@]}" --json
B=$(jq -c '[.id, (.messages | length)]' "$OUT" 2>&1)
assert_eq "$A $B" "[\"$DUP\",9] [\"$DUP\",9]" \
    "show by a prefix, either order of --source: the newest copy (9 messages; ingest keeps that one too)"

# ---- show of a session indexed with --source: read from where the store says ----
mkdir -p "$WORK/nohome"
HOME=$WORK/nohome XDG_DATA_HOME=$WORK/nohome run_cairn "$OUT" "$ERR" show "${SID:0:8}" --data-dir "$ST" --json
assert_eq "$RC $(jq -r '.id' "$OUT" 2>&1)" "0 $SID" "show PREFIX --data-dir: a session read with --source is shown from the source the store names"
mv "$WORK/claude" "$WORK/claude.moved"
HOME=$WORK/nohome XDG_DATA_HOME=$WORK/nohome run_cairn "$OUT" "$ERR" show "${SID:0:8}" --data-dir "$ST"
assert_eq "$RC $(grep -c "is in the store, read from '$WORK/claude', but its files are not there now" "$ERR")" "1 1" \
    "show of a session whose files have moved: exit 1, says the store has it and where it was read from"
mv "$WORK/claude.moved" "$WORK/claude"
HOME=$WORK/nohome XDG_DATA_HOME=$WORK/nohome run_cairn "$OUT" "$ERR" show nosuchsession --data-dir "$ST"
assert_eq "$RC $(grep -c "no session 'nosuchsession'" "$ERR")" "1 1" "show of an id neither the histories nor the store hold: exit 1, no session"

# ---- an ingest that cannot get the store's write lock says who may hold it ----
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(13)' "$ST/cairn.db" "$WORK/locked" &
LOCKER=$!
for _ in $(seq 1 50); do [ -e "$WORK/locked" ] && break; sleep 0.1; done
c ingest --source "claude=$WORK/claude" --data-dir "$ST"
assert_eq "$RC $(grep -c 'another cairn' "$ERR") $(wc -c <"$OUT")" "1 1 0" \
    "ingest while another holds the store: exit 1, it says another cairn may hold it, no summary"
c remember p locked v --data-dir "$ST"
kill "$LOCKER" 2>/dev/null
wait "$LOCKER" 2>/dev/null
assert_eq "$RC $(grep -c 'another cairn' "$ERR")" "1 1" "remember while another holds the store: the same"

# ---- errors that say what is wrong ----
c search "$(python3 -c 'print("a" * 70000)')" --data-dir "$ST"
expect_rc "a query over 64 KiB exits 1" 1
assert_contains "$(cat "$ERR")" "too long" "the error says the query is too long"
printf '{"m": {"inptu": 3}}' >"$WORK/p1.json"
printf '{"m": {"input": -3}}' >"$WORK/p2.json"
printf '{"m": {"input": "x"}}' >"$WORK/p3.json"
for p in p1:inptu p2:input p3:input; do
    c usage --prices "$WORK/${p%%:*}.json" --data-dir "$ST"
    expect_rc "usage --prices ${p%%:*}.json (a wrong field) exits 1" 1
    assert_contains "$(cat "$ERR")" "model 'm': " "${p%%:*}.json: the error names the model"
    assert_contains "$(cat "$ERR")" "'${p#*:}'" "${p%%:*}.json: the error names the field"
done
printf '{"m": {"input": 3, "output": 15, "cache_read": 0.3, "cache_write": 3.75}}' >"$WORK/ok.json"
c usage --prices "$WORK/ok.json" --data-dir "$ST" --json
expect_rc "usage --prices with the documented fields exits 0" 0

done_testing
