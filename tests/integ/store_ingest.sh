#!/usr/bin/env bash
# tests/integ/store_ingest.sh CAIRN SHARED_DIR - `cairn ingest`, `stats`, `prune`
# and `cairn` alone against the store, with the opencode fixture sets.
#
# Every fixture set is copied into a temp dir first (never point cairn at the
# shared fixtures) and made writable, so that the test can change the copy
# the way an agent would: edit a part file, delete a session file, UPDATE a
# row with the sqlite3 CLI, damage a file.  Checked: the counts of
# EXPECTED.md in `stats --json`, ingest summaries ("N new, N changed, N
# unchanged, N gone, N issues"), that a re-ingest is a no-op, that a changed
# session is re-indexed and a gone one stays searchable until `prune`, that
# a damaged file is an issue naming its path (exit 2) while the rest is
# indexed and the damaged session is retried, `--full`, refusing a store
# with a newer schema without touching it, clear errors for a data dir that
# is a file and a cairn.db that is not a cairn store, and `cairn` alone on a
# temp HOME.  When the sqlite3 CLI is present the store's full-text index is
# also compared with its content (fts5vocab) after every kind of rewrite.
# TAP on stdout.
set -u
CAIRN=${1:?usage: store_ingest.sh CAIRN SHARED_DIR}
SHARED=${2:?usage: store_ingest.sh CAIRN SHARED_DIR}
. "$(dirname "$0")/lib.sh"
require_tools jq sha256sum timeout
FIX=$SHARED/fixtures/opencode
[ -d "$FIX" ] || { echo "Bail out! no fixtures at $FIX"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-stingest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# cairn must see only what each command line names
unset CAIRN_DATA_DIR OPENCODE_DB CLAUDE_CONFIG_DIR CODEX_HOME

SQLITE=sqlite-1.18.33
JSON=json-1.1.65
MERGED=json-then-sqlite-no-import
WEBSHOP_PID=d41da699e8788335ca5b902edfcebdbd25640be8
LEDGER_PID=ad7d588f95ae9038956dbf81bccbfa2a08b866e1
OUT=$WORK/out
ERR=$WORK/err

# ---- helpers ----

# copy_set NAME DEST: a writable copy of fixture set NAME.
copy_set()
{
    mkdir -p "$2"
    cp -R "$FIX/$1/." "$2/"
    chmod -R u+w "$2"
}

# ingest STORE [ARGS...]: run `cairn ingest ARGS --data-dir STORE`; sets RC and SUMMARY
# ("new changed unchanged gone issues", or "" when there was no summary line).
ingest()
{
    local store=$1
    shift
    run_cairn "$OUT" "$ERR" ingest "$@" --data-dir "$store"
    SUMMARY=$(sed -nE 's/^ingest: ([0-9]+) new, ([0-9]+) changed, ([0-9]+) unchanged, ([0-9]+) gone, ([0-9]+) issues.*/\1 \2 \3 \4 \5/p' "$OUT")
}

# counts STORE: [sessions, messages, parts, gone] from `stats --json`.
counts()
{
    timeout 20 "$CAIRN" stats --json --data-dir "$1" 2>&1 | jq -c '[.sessions, .messages, .parts, .gone]' 2>&1
}

# projects STORE: the by_project rows, without the directory, sorted.
projects()
{
    timeout 20 "$CAIRN" stats --json --data-dir "$1" 2>&1 |
        jq -c '[.by_project[] | [.agent, .project_id, .sessions, .messages, .parts, .gone]] | sort' 2>&1
}

# stats_core STORE: stats --json without what changes with every run (time, file size).
stats_core()
{
    timeout 20 "$CAIRN" stats --json --data-dir "$1" 2>&1 | jq -cS 'del(.last_ingest, .db_bytes)' 2>&1
}

# snapshot STORE: what every session row says about its indexing (sqlite3 only).
snapshot()
{
    sqlite3 -readonly "$1/cairn.db" \
        'SELECT session_id, fp_meta, fp_content, indexed_at, nmessages, nparts, gone_at FROM sessions ORDER BY session_id' 2>&1
}

# hits STORE ARGS...: the hits of `cairn search ARGS --json` as "session_id part_id" lines.
hits()
{
    local store=$1
    shift
    timeout 20 "$CAIRN" search --json --data-dir "$store" "$@" 2>&1 |
        jq -r '.hits[] | "\(.session_id) \(.part_id)"' 2>&1
}

nhits()
{
    local store=$1
    shift
    timeout 20 "$CAIRN" search --json --limit 10000 --data-dir "$store" "$@" 2>&1 | jq '.hits | length' 2>&1
}

# ---- 1. each fixture set in its own store: counts, no-op re-ingest, agent files untouched ----

declare -A WANT_COUNTS=([$SQLITE]='[4,14,49,0]' [$JSON]='[4,17,59,0]' [$MERGED]='[5,17,59,0]')
declare -A WANT_PROJECTS=(
    [$SQLITE]="[[\"opencode\",\"$WEBSHOP_PID\",4,14,49,0]]"
    [$JSON]="[[\"opencode\",\"$LEDGER_PID\",4,17,59,0]]"
    [$MERGED]="[[\"opencode\",\"$LEDGER_PID\",5,17,59,0]]")
declare -A WANT_DIR=([$SQLITE]='/home/dev/src/webshop' [$JSON]='/home/dev/src/ledger-api'
    [$MERGED]='/home/dev/src/ledger-api')
declare -A NSESS=([$SQLITE]=4 [$JSON]=4 [$MERGED]=5)

for N in $SQLITE $JSON $MERGED; do
    SRC=$WORK/src/$N
    ST=$WORK/store/$N
    copy_set "$N" "$SRC"
    tree_sums "$SRC" >"$WORK/$N.sums.before"
    n=${NSESS[$N]}

    ingest "$ST" --source "opencode=$SRC"
    expect_rc "$N: first ingest exits 0" 0
    assert_eq "$SUMMARY" "$n 0 0 0 0" "$N: first ingest says $n new, 0 changed, 0 unchanged, 0 gone, 0 issues"
    assert_eq "$(grep -c 'issue' "$ERR")" "0" "$N: first ingest reports no issue"
    assert_eq "$(counts "$ST")" "${WANT_COUNTS[$N]}" "$N: stats --json sessions, messages, parts, gone = ${WANT_COUNTS[$N]}"
    assert_eq "$(projects "$ST")" "${WANT_PROJECTS[$N]}" "$N: stats --json by_project has the one project of EXPECTED.md with its counts"
    assert_eq "$(timeout 20 "$CAIRN" stats --json --data-dir "$ST" | jq -r '.by_project[0].directory')" \
        "${WANT_DIR[$N]}" "$N: by_project directory is the project worktree"
    run_cairn "$OUT" "$ERR" stats --data-dir "$ST"
    expect_rc "$N: stats (text) exits 0" 0
    assert_match "$(cat "$OUT")" "${WANT_COUNTS[$N]:1:1} sessions" "$N: stats (text) shows the session total"

    before_stats=$(stats_core "$ST")
    [ "$HAVE_SQLITE3" = 1 ] && before_rows=$(snapshot "$ST")
    ingest "$ST" --source "opencode=$SRC"
    expect_rc "$N: re-ingest exits 0" 0
    assert_eq "$SUMMARY" "0 0 $n 0 0" "$N: re-ingest is a no-op: 0 new, 0 changed, $n unchanged, 0 gone, 0 issues"
    assert_match "$(cat "$OUT")" "\(0 messages, 0 parts" "$N: re-ingest writes 0 messages and 0 parts"
    assert_eq "$(stats_core "$ST")" "$before_stats" "$N: stats are identical after the re-ingest"
    if [ "$HAVE_SQLITE3" = 1 ]; then
        assert_eq "$(snapshot "$ST")" "$before_rows" "$N: no session row was rewritten by the re-ingest (indexed_at, fingerprints)"
    else
        skip "$N: no session row was rewritten by the re-ingest" "sqlite3 CLI not installed"
    fi
    fts_check "$N: full-text index matches the content" "$ST"

    tree_sums "$SRC" >"$WORK/$N.sums.after"
    assert_eq "$(diff "$WORK/$N.sums.before" "$WORK/$N.sums.after")" "" \
        "$N: ingest left every agent file but *-shm byte-for-byte unchanged"
    if [ "$N" != "$JSON" ] && [ "$HAVE_SQLITE3" = 1 ]; then
        paths=$(sqlite3 -readonly "$ST/cairn.db" "SELECT DISTINCT source_path FROM sessions WHERE origin = 'sqlite'" 2>&1 |
            tr -c '[:print:]\n' '?')
        assert_eq "$paths" "$SRC/opencode.db" "$N: the source_path of its SQLite sessions is the opencode.db file"
    fi
done

# ---- 2. all three sets in one store ----
# json-1.1.65 and json-then-sqlite-no-import hold the same 4 session ids (the latter is an
# older state of the former), so the store holds 4 + 4 + 1 = 9 distinct sessions.

ALL=$WORK/store/all
ALLSRC=(--source "opencode=$WORK/src/$SQLITE" --source "opencode=$WORK/src/$MERGED"
    --source "opencode=$WORK/src/$JSON")
ingest "$ALL" "${ALLSRC[@]}"
expect_rc "all sets in one store: ingest exits 0" 0
assert_eq "$(counts "$ALL" | jq -c '[.[0], .[3]]')" "[9,0]" "all sets in one store: 9 distinct sessions, 0 gone"
assert_eq "$(echo "$SUMMARY" | cut -d' ' -f1)" 9 \
    "all sets in one store: the summary counts 9 new, not a session held twice as new twice"
assert_eq "$(timeout 20 "$CAIRN" stats --json --data-dir "$ALL" | jq -c --arg p "$WEBSHOP_PID" \
    '[.by_project[] | select(.project_id == $p) | [.sessions, .messages, .parts]]')" "[[4,14,49]]" \
    "all sets in one store: webshop project 4 sessions, 14 messages, 49 parts"
assert_eq "$(timeout 20 "$CAIRN" stats --json --data-dir "$ALL" | jq -c --arg p "$LEDGER_PID" \
    '[.by_project[] | select(.project_id == $p) | .sessions]')" "[5]" \
    "all sets in one store: ledger-api project 5 sessions"
assert_eq "$(timeout 20 "$CAIRN" stats --json --data-dir "$ALL" | jq -c \
    '[.messages == ([.by_project[].messages] | add), .parts == ([.by_project[].parts] | add)]')" \
    "[true,true]" "all sets in one store: totals are the sums of the by_project rows"
before_stats=$(stats_core "$ALL")
ingest "$ALL" "${ALLSRC[@]}"
expect_rc "all sets in one store: re-ingest exits 0" 0
read -r a_new _ <<<"$SUMMARY"
# Known bug: a session id present in two sources is rewritten on every run, alternately
# owned by each source (load_known() only knows the rows of the source being ingested).
# shellcheck disable=SC2034 # TODO_REASON is read by lib.sh
[ "${a_new:-0}" -gt 0 ] && TODO_REASON="store bug: a session id held by two sources is re-indexed as new on every ingest"
assert_eq "$SUMMARY" "0 0 13 0 0" "all sets in one store: re-ingest is a no-op: 0 new, 0 changed, 13 unchanged (4 + 5 + 4 per source)"
assert_eq "$(stats_core "$ALL")" "$before_stats" "all sets in one store: stats are identical after the re-ingest"
fts_check "all sets in one store: full-text index matches the content" "$ALL"

# ---- 3. a G1 JSON part edited in place is re-indexed ----

SRC=$WORK/src/$JSON
ST=$WORK/store/$JSON
S1=ses_e035d618fffeFVUP389hVquc61
P1=prt_1fca29ff2001pQ1Cmafe934rlc
PF=$SRC/storage/part/msg_1fca29f0b001va00I1MqS0m12j/$P1.json
old_phrase=$(nhits "$ST" '"Let me run a command"')
old_in_part=$(hits "$ST" '"Let me run a command"' --session "$S1" | grep -c " $P1\$")
assert_eq "$old_in_part" "1" "$JSON: before the edit, the phrase is found in part $P1"
jq '.text = "Let me run a zebracorn."' "$PF" >"$PF.tmp" && mv "$PF.tmp" "$PF"
ingest "$ST" --source "opencode=$SRC"
expect_rc "$JSON: ingest after editing a part file exits 0" 0
assert_eq "$SUMMARY" "0 1 3 0 0" "$JSON: ingest after editing a part file says 0 new, 1 changed, 3 unchanged"
assert_eq "$(hits "$ST" zebracorn)" "$S1 $P1" "$JSON: search zebracorn finds the edited part in its session"
assert_eq "$(timeout 20 "$CAIRN" search zebracorn --json --data-dir "$ST" | jq -r '.hits[0].snippet')" \
    "Let me run a **zebracorn**." "$JSON: the hit's snippet is the new text with the term highlighted"
assert_eq "$(hits "$ST" '"Let me run a command"' --session "$S1" | grep -c " $P1\$")" "0" \
    "$JSON: the old text of the edited part is no longer found in that part"
assert_eq "$(nhits "$ST" '"Let me run a command"')" "$((old_phrase - 1))" \
    "$JSON: the old phrase is still found in the other parts that hold it ($((old_phrase - 1)))"
assert_eq "$(counts "$ST")" "[4,17,59,0]" "$JSON: counts unchanged by the edit"
fts_check "$JSON: full-text index matches the content after re-indexing a session" "$ST"
ingest "$ST" --source "opencode=$SRC"
assert_eq "$SUMMARY" "0 0 4 0 0" "$JSON: the next ingest is a no-op again"

# a file whose mtime changed but not its content: nothing to re-index
touch -d '2030-01-01 00:00:00' "$PF"
ingest "$ST" --source "opencode=$SRC"
expect_rc "$JSON: ingest after touching a part file exits 0" 0
assert_eq "$SUMMARY" "0 0 4 0 0" "$JSON: a touched but unchanged file: 0 new, 0 changed, 4 unchanged"
ingest "$ST" --source "opencode=$SRC"
assert_eq "$SUMMARY" "0 0 4 0 0" "$JSON: and the run after that is a no-op too"
assert_eq "$(hits "$ST" zebracorn)" "$S1 $P1" "$JSON: the touched part is still found"

# ---- 4. a deleted session file: gone, still searchable, then pruned ----

rm "$SRC/storage/session/$LEDGER_PID/$S1.json"
ingest "$ST" --source "opencode=$SRC"
expect_rc "$JSON: ingest after deleting a session file exits 0" 0
assert_eq "$SUMMARY" "0 0 3 1 0" "$JSON: ingest after deleting a session file says 3 unchanged, 1 gone"
assert_eq "$(counts "$ST")" "[4,17,59,1]" "$JSON: stats count the gone session (4 sessions, 1 gone)"
assert_eq "$(hits "$ST" zebracorn)" "$S1 $P1" "$JSON: the gone session's text is still searchable"
ingest "$ST" --source "opencode=$SRC"
assert_eq "$SUMMARY" "0 0 3 0 0" "$JSON: the next ingest does not count the gone session again"
run_cairn "$OUT" "$ERR" prune --data-dir "$ST"
expect_rc "$JSON: prune exits 0" 0
assert_contains "$(cat "$OUT")" "removed 1 " "$JSON: prune says it removed 1 session"
assert_eq "$(hits "$ST" zebracorn)" "" "$JSON: after prune the gone session's text is not found"
assert_eq "$(hits "$ST" --session "$S1" hello)" "" "$JSON: after prune nothing of the session is found"
assert_eq "$(counts "$ST")" "[3,14,49,0]" "$JSON: after prune 3 sessions, 14 messages, 49 parts, 0 gone"
fts_check "$JSON: full-text index matches the content after prune" "$ST"
run_cairn "$OUT" "$ERR" prune --data-dir "$ST"
assert_contains "$(cat "$OUT")" "removed 0 " "$JSON: a second prune removes nothing"
ingest "$ST" --source "opencode=$SRC"
expect_rc "$JSON: ingest after prune exits 0" 0
assert_eq "$SUMMARY" "0 0 3 0 0" "$JSON: the pruned session's leftover message and part files do not bring it back"

# ---- 5. --full re-reads everything ----

ST=$WORK/store/$MERGED
before_stats=$(stats_core "$ST")
ingest "$ST" --source "opencode=$WORK/src/$MERGED" --full
expect_rc "$MERGED: ingest --full exits 0" 0
assert_eq "$SUMMARY" "0 5 0 0 0" "$MERGED: ingest --full says 0 new, 5 changed, 0 unchanged"
assert_match "$(cat "$OUT")" "\(17 messages, 59 parts" "$MERGED: ingest --full writes all 17 messages and 59 parts"
assert_eq "$(stats_core "$ST")" "$before_stats" "$MERGED: stats are identical after --full"
fts_check "$MERGED: full-text index matches the content after --full" "$ST"
ingest "$ST" --source "opencode=$WORK/src/$MERGED"
assert_eq "$SUMMARY" "0 0 5 0 0" "$MERGED: the ingest after --full is a no-op"

# ---- 6. an opencode SQLite row updated in place (sqlite3 CLI on the copy) ----

SRC=$WORK/src/$SQLITE
ST=$WORK/store/$SQLITE
S4=ses_e035d8e55ffe9Gs48272emcUqO
P4=prt_1fca27d0a001X0pABUZMnci39p
S3=ses_e035d9f5bffej2hRsw2xiIksZT
if [ "$HAVE_SQLITE3" = 1 ]; then
    sqlite3 "$SRC/opencode.db" "UPDATE part SET data = json_set(data, '\$.text', 'Let me run a quokkaflux.'),
        time_updated = time_updated + 1000 WHERE id = '$P4'" 2>"$ERR"
    assert_eq "$(cat "$ERR")" "" "$SQLITE: the copy's part row was updated with the sqlite3 CLI"
    ingest "$ST" --source "opencode=$SRC"
    expect_rc "$SQLITE: ingest after updating a part row exits 0" 0
    assert_eq "$SUMMARY" "0 1 3 0 0" "$SQLITE: ingest after updating a part row says 0 new, 1 changed, 3 unchanged"
    assert_eq "$(hits "$ST" quokkaflux)" "$S4 $P4" "$SQLITE: search quokkaflux finds the updated part in its session"
    assert_eq "$(hits "$ST" '"Let me run a command"' --session "$S4" | grep -c " $P4\$")" "0" \
        "$SQLITE: the old text of the updated part is no longer found in it"
    assert_eq "$(counts "$ST")" "[4,14,49,0]" "$SQLITE: counts unchanged by the update"
    fts_check "$SQLITE: full-text index matches the content after the update" "$ST"
    ingest "$ST" --source "opencode=$SRC"
    assert_eq "$SUMMARY" "0 0 4 0 0" "$SQLITE: the next ingest is a no-op"

    sqlite3 "$SRC/opencode.db" "DELETE FROM session WHERE id = '$S3'" 2>"$ERR"
    ingest "$ST" --source "opencode=$SRC"
    expect_rc "$SQLITE: ingest after deleting a session row exits 0" 0
    assert_eq "$SUMMARY" "0 0 3 1 0" "$SQLITE: a deleted session row is 1 gone"
    assert_eq "$(hits "$ST" '"canned reply"' --session "$S3" | wc -l)" "1" "$SQLITE: the gone session is still searchable"
    run_cairn "$OUT" "$ERR" prune --data-dir "$ST"
    assert_eq "$(hits "$ST" '"canned reply"' --session "$S3")" "" "$SQLITE: after prune the gone session is not found"
    assert_eq "$(counts "$ST")" "[3,12,44,0]" "$SQLITE: after prune 3 sessions, 12 messages, 44 parts"

    # a database that cannot be read says nothing of its sessions: none is marked gone
    mv "$SRC/opencode.db" "$WORK/opencode.db.good"
    rm -f "$SRC/opencode.db-wal" "$SRC/opencode.db-shm"
    printf 'not a database, only bytes that look nothing like SQLite\n%.0s' $(seq 1 200) >"$SRC/opencode.db"
    ingest "$ST" --source "opencode=$SRC"
    expect_rc "$SQLITE: ingest of an unreadable database exits 2 (an issue)" 2
    assert_contains "$(cat "$ERR")" "$SRC/opencode.db" "$SQLITE: the issue names the database"
    assert_eq "$(echo "$SUMMARY" | cut -d' ' -f4)" "0" "$SQLITE: an unreadable database marks no session gone"
    run_cairn "$OUT" "$ERR" prune --data-dir "$ST"
    assert_eq "$(counts "$ST")" "[3,12,44,0]" "$SQLITE: prune then removes nothing (3 sessions, 12 messages, 44 parts)"
    mv "$WORK/opencode.db.good" "$SRC/opencode.db"
    ingest "$ST" --source "opencode=$SRC"
    assert_eq "$SUMMARY" "0 0 3 0 0" "$SQLITE: with the database back the next ingest is a no-op"
else
    skip "$SQLITE: updating a part row in place" "sqlite3 CLI not installed"
fi

# ---- 7. damaged files: issues naming the path, the rest indexed, retried, repaired ----

N=damaged
SRC=$WORK/src/$N
ST=$WORK/store/$N
copy_set "$JSON" "$SRC"
PT=$SRC/storage/part/msg_1fca29f0b001va00I1MqS0m12j/prt_1fca29ff2001pQ1Cmafe934rlc.json # session 1
MR=$SRC/storage/message/ses_e035d3b41ffe3qLy5PIsDqpvVj/msg_1fca2c4d9001O095yxU1BDX55e.json # session 3
cp "$PT" "$WORK/pt.good"
cp "$MR" "$WORK/mr.good"
truncate -s $(($(stat -c %s "$PT") / 2)) "$PT"
{ printf '\377\000\376garbage{'; head -c 300 /dev/urandom; } >"$MR"

per_session()
{
    sqlite3 -readonly "$ST/cairn.db" "SELECT s.session_id, (SELECT count(*) FROM messages m WHERE m.session_rowid = s.id),
        (SELECT count(*) FROM parts p WHERE p.session_rowid = s.id) FROM sessions s ORDER BY s.session_id" 2>&1 | tr '\n' ' '
}

ingest "$ST" --source "opencode=$SRC"
expect_rc "$N: ingest with a truncated part file and a garbage message file exits 2" 2
assert_contains "$(cat "$ERR")" "$PT" "$N: an issue on stderr names the truncated part file"
assert_contains "$(cat "$ERR")" "$MR" "$N: an issue on stderr names the garbage message file"
assert_eq "$(grep -cF -e "$PT" -e "$MR" "$OUT")" "0" "$N: issues go to stderr, not stdout"
read -r d_new d_changed d_unch d_gone d_issues <<<"$SUMMARY"
assert_eq "$d_new $d_gone" "4 0" "$N: all 4 sessions are indexed (4 new, 0 gone)"
[ "${d_issues:-0}" -ge 2 ] && ok "$N: the summary counts the issues ($d_issues)" ||
    not_ok "$N: the summary counts the issues" "summary: $(cat "$OUT")"
assert_eq "$(counts "$ST")" "[4,16,57,0]" "$N: stats 4 sessions, 16 messages (17 - 1), 57 parts (59 - 2)"
assert_eq "$(hits "$ST" '"canned reply"' --session ses_e035d3a4cffe5VK85de4hvU3jq --type text | wc -l)" "1" \
    "$N: an undamaged session's text is searchable"
assert_eq "$(hits "$ST" '"Retry the todo list"' --session ses_e035d5419ffekS23Vk2VrZei3I | wc -l)" "1" \
    "$N: another undamaged session's text is searchable"
if [ "$HAVE_SQLITE3" = 1 ]; then
    assert_eq "$(per_session)" "ses_e035d3a4cffe5VK85de4hvU3jq|2|5 ses_e035d3b41ffe3qLy5PIsDqpvVj|2|9 ses_e035d5419ffekS23Vk2VrZei3I|9|34 ses_e035d618fffeFVUP389hVquc61|3|9 " \
        "$N: per session: the undamaged ones complete, the damaged ones hold what could be read"
else
    skip "$N: per-session counts" "sqlite3 CLI not installed"
fi
ingest "$ST" --source "opencode=$SRC"
expect_rc "$N: the second run exits 2 again" 2
assert_contains "$(cat "$ERR")" "$PT" "$N: the second run reports the truncated part file again"
assert_contains "$(cat "$ERR")" "$MR" "$N: the second run reports the garbage message file again"
read -r d_new d_changed d_unch _ <<<"$SUMMARY"
assert_eq "$d_new $d_changed $d_unch" "0 2 2" "$N: the second run retries the 2 damaged sessions (2 changed, 2 unchanged)"
assert_eq "$(counts "$ST")" "[4,16,57,0]" "$N: counts unchanged by the retry"

cp "$WORK/pt.good" "$PT"
ingest "$ST" --source "opencode=$SRC"
expect_rc "$N: with the part file repaired, the run still exits 2 (the message file)" 2
assert_eq "$(grep -cF "$PT" "$ERR")" "0" "$N: the repaired part file is no longer reported"
assert_contains "$(cat "$ERR")" "$MR" "$N: the still damaged message file is reported"
assert_eq "$(counts "$ST")" "[4,16,58,0]" "$N: the repaired part is indexed (58 parts)"
assert_eq "$(hits "$ST" '"Let me run a command"' --session ses_e035d618fffeFVUP389hVquc61)" \
    "ses_e035d618fffeFVUP389hVquc61 prt_1fca29ff2001pQ1Cmafe934rlc" "$N: the repaired part's text is found"
cp "$WORK/mr.good" "$MR"
ingest "$ST" --source "opencode=$SRC"
expect_rc "$N: with both files repaired, ingest exits 0" 0
assert_eq "$(grep -c 'issue' "$ERR")" "0" "$N: with both files repaired, no issue is reported"
assert_eq "$(counts "$ST")" "[4,17,59,0]" "$N: with both files repaired, 4 sessions, 17 messages, 59 parts"
assert_eq "$(hits "$ST" Delegate --role user)" "ses_e035d3b41ffe3qLy5PIsDqpvVj prt_1fca2c4db001rT2ElC5PF5IyR0" \
    "$N: the repaired message's prompt is found"
fts_check "$N: full-text index matches the content after the retries" "$ST"
ingest "$ST" --source "opencode=$SRC"
assert_eq "$SUMMARY" "0 0 4 0 0" "$N: the next ingest is a no-op"

# ---- 8. a store with a newer schema is refused and left untouched ----

if [ "$HAVE_SQLITE3" = 1 ]; then
    NEW=$WORK/store/newer
    mkdir -p "$NEW"
    cp "$WORK/store/$JSON/cairn.db" "$NEW/"
    [ -f "$WORK/store/$JSON/cairn.db-wal" ] && cp "$WORK/store/$JSON/cairn.db-wal" "$NEW/"
    sqlite3 "$NEW/cairn.db" 'PRAGMA user_version = 999'
    sums=$(tree_sums "$NEW")
    files=$(ls -A "$NEW")
    for cmd in "ingest --source opencode=$WORK/src/$JSON" "ingest --full --source opencode=$WORK/src/$JSON" \
        stats "stats --json" "search hello" "search hello --json" prune; do
        # shellcheck disable=SC2086 # the words of cmd are the arguments
        run_cairn "$OUT" "$ERR" $cmd --data-dir "$NEW"
        expect_rc "newer schema: '${cmd%% --source*}' exits 1" 1
        assert_contains "$(cat "$ERR")" "newer" "newer schema: '${cmd%% --source*}' says the store is newer"
    done
    RC=0
    mkdir -p "$WORK/emptyhome"
    CAIRN_DATA_DIR=$NEW HOME=$WORK/emptyhome XDG_DATA_HOME=$WORK/emptyhome timeout 20 "$CAIRN" >"$OUT" 2>"$ERR" || RC=$?
    expect_rc "newer schema: 'cairn' alone exits 1" 1
    assert_contains "$(cat "$ERR")" "newer" "newer schema: 'cairn' alone says the store is newer"
    assert_eq "$(tree_sums "$NEW")" "$sums" "newer schema: the store files are byte-for-byte unchanged"
    assert_eq "$(ls -A "$NEW")" "$files" "newer schema: no file was added to the data dir"
    assert_eq "$(sqlite3 -readonly "$NEW/cairn.db" 'PRAGMA user_version')" "999" "newer schema: user_version is still 999"
else
    skip "newer schema refused" "sqlite3 CLI not installed"
fi

# ---- 9. a data dir that is a file; a cairn.db that is not a cairn store ----

FILE=$WORK/not-a-dir
echo "a plain file" >"$FILE"
for cmd in "ingest --source opencode=$WORK/src/$JSON" stats "search hello" prune; do
    # shellcheck disable=SC2086
    run_cairn "$OUT" "$ERR" $cmd --data-dir "$FILE"
    expect_rc "data dir is a file: '${cmd%% --source*}' exits 1" 1
    assert_contains "$(cat "$ERR")" "$FILE" "data dir is a file: '${cmd%% --source*}' names the path"
done
assert_eq "$(cat "$FILE")" "a plain file" "data dir is a file: the file is unchanged"

BAD=$WORK/store/garbage
mkdir -p "$BAD"
{ printf 'this is not a database\n'; head -c 8000 /dev/urandom; } >"$BAD/cairn.db"
sums=$(tree_sums "$BAD")
for cmd in "ingest --source opencode=$WORK/src/$JSON" stats "stats --json" "search hello" prune; do
    # shellcheck disable=SC2086
    run_cairn "$OUT" "$ERR" $cmd --data-dir "$BAD"
    expect_rc "cairn.db is garbage: '${cmd%% --source*}' exits 1" 1
    assert_contains "$(cat "$ERR")" "not a cairn store" "cairn.db is garbage: '${cmd%% --source*}' says it is not a cairn store"
done
assert_eq "$(tree_sums "$BAD")" "$sums" "cairn.db is garbage: the data dir is unchanged"

FOREIGN=$WORK/store/foreign
mkdir -p "$FOREIGN"
cp "$FIX/$SQLITE/opencode.db" "$FOREIGN/cairn.db" # an SQLite file with other tables
chmod u+w "$FOREIGN/cairn.db"
sums=$(tree_sums "$FOREIGN")
for cmd in "ingest --source opencode=$WORK/src/$JSON" stats "search hello" prune; do
    # shellcheck disable=SC2086
    run_cairn "$OUT" "$ERR" $cmd --data-dir "$FOREIGN"
    expect_rc "cairn.db of another program: '${cmd%% --source*}' exits 1" 1
    assert_contains "$(cat "$ERR")" "not a cairn store" "cairn.db of another program: '${cmd%% --source*}' says it is not a cairn store"
done
assert_eq "$(tree_sums "$FOREIGN")" "$sums" "cairn.db of another program: the data dir is unchanged"

run_cairn "$OUT" "$ERR" stats --data-dir "$WORK/store/none"
expect_rc "no store yet: stats exits 1" 1
assert_contains "$(cat "$ERR")" "cairn ingest" "no store yet: stats says to run 'cairn ingest'"
[ -e "$WORK/store/none" ] && not_ok "no store yet: stats creates nothing" || ok "no store yet: stats creates nothing"

# ---- 10. `cairn` alone on a temp HOME ----

H=$WORK/home
mkdir -p "$H/xdg"
copy_set "$JSON" "$H/xdg/opencode"
bare()
{
    RC=0
    env -u CAIRN_DATA_DIR HOME="$H" XDG_DATA_HOME="$H/xdg" timeout 20 "$CAIRN" >"$OUT" 2>"$ERR" || RC=$?
}
bare
expect_rc "cairn alone: exits 0" 0
assert_contains "$(cat "$OUT")" "ingest: 4 new, 0 changed, 0 unchanged" "cairn alone: ingests the opencode data in \$XDG_DATA_HOME/opencode"
assert_contains "$(cat "$OUT")" "4 sessions, 17 messages, 59 parts" "cairn alone: prints the stats"
assert_contains "$(cat "$OUT")" "/home/dev/src/ledger-api" "cairn alone: the stats name the project"
assert_contains "$(cat "$OUT")" "cairn search" "cairn alone: prints a hint with 'cairn search'"
[ -f "$H/xdg/cairn/cairn.db" ] && ok "cairn alone: the store is \$XDG_DATA_HOME/cairn/cairn.db" ||
    not_ok "cairn alone: the store is \$XDG_DATA_HOME/cairn/cairn.db" "$(ls -R "$H/xdg" | head -20)"
bare
expect_rc "cairn alone, again: exits 0" 0
assert_contains "$(cat "$OUT")" "ingest: 0 new, 0 changed, 4 unchanged" "cairn alone, again: nothing new"
assert_eq "$(counts "$H/xdg/cairn")" "[4,17,59,0]" "cairn alone: the store holds the fixture's counts"

done_testing
