#!/usr/bin/env bash
# tests/integ/store_crash.sh CAIRN SHARED_DIR - the store survives an ingest killed at
# any moment, and Ctrl-C stops an ingest cleanly.
#
# A synthetic opencode G1 tree is made from the json-1.1.65 fixture: its 4 sessions
# copied COPIES times with new, consistent ids (every ses_/msg_/prt_ id gets a new
# 4-character tail, in file names, directory names and file contents alike), enough
# for several ingest chunks.  A clean ingest into a fresh store gives the reference
# counts and its duration T.  Then, bounded loops:
#   - SIGKILL after a random delay in [0, max(T, 300 ms)]: the exit is 137 (or 0 when
#     the run won), `PRAGMA integrity_check` says ok, `cairn stats` opens the store,
#     every stored session holds all of its own messages and parts (a chunk commits
#     whole or not at all), and a killed --full run over a complete store leaves
#     exactly the reference counts;
#   - kills right after start on a fresh store;
#   - SIGINT and SIGTERM once the first chunk is committed: exit 130, a message
#     saying how to resume, and a rerun that resumes (some sessions unchanged).
# Each store ends with a complete run that must give the reference counts, a
# full-text index equal to its content, and a no-op rerun.  Set CAIRN_CRASH_SEED to
# replay the delays.  TAP on stdout.
set -u
CAIRN=${1:?usage: store_crash.sh CAIRN SHARED_DIR}
SHARED=${2:?usage: store_crash.sh CAIRN SHARED_DIR}
. "$(dirname "$0")/lib.sh"
require_tools jq timeout python3
FIX=$SHARED/fixtures/opencode/json-1.1.65
[ -d "$FIX/storage" ] || { echo "Bail out! no fixture at $FIX"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-stcrash.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
unset CAIRN_DATA_DIR OPENCODE_DB CLAUDE_CONFIG_DIR CODEX_HOME

COPIES=200 # 800 sessions: 4 chunks of at most 256 sessions (SIGINT needs 3+)
KILLS=6
SEED=${CAIRN_CRASH_SEED:-$$}
RANDOM=$SEED
diag "seed $SEED (CAIRN_CRASH_SEED=$SEED replays the delays)"
OUT=$WORK/out
ERR=$WORK/err
BIG=$WORK/big
EMPTY=$WORK/empty
mkdir -p "$EMPTY"

# ---- the synthetic source ----

python3 - "$FIX/storage" "$BIG/storage" "$COPIES" <<'PY'
import os, re, sys
src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
ID = re.compile(r'\b(ses|msg|prt)_([0-9A-Za-z]{26})\b')
ALPH = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
def tail(k):
    s = ''
    for _ in range(4):
        s, k = ALPH[k % 62] + s, k // 62
    return s
files = []
for root, _, names in os.walk(src):
    for n in names:
        p = os.path.join(root, n)
        with open(p, encoding='utf-8') as f:
            files.append((os.path.relpath(p, src), f.read()))
seen = set()
for k in range(copies):
    t = tail(k)
    sub = lambda m: m.group(1) + '_' + m.group(2)[:22] + t
    for rel, text in files:
        top = rel.split(os.sep)[0]
        if top in ('project', 'migration'):
            if k:
                continue  # one project, one migration marker
        else:
            rel = ID.sub(sub, rel)
            if rel in seen:
                sys.exit('duplicate path ' + rel)
            seen.add(rel)
        out = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, 'w', encoding='utf-8') as f:
            f.write(ID.sub(sub, text))
PY
nses=$(find "$BIG/storage/session" -name 'ses_*.json' | wc -l)
assert_eq "$nses" "$((COPIES * 4))" "synthetic source: $((COPIES * 4)) session files with unique ids"

# ---- helpers ----

ingest()
{
    local store=$1
    shift
    run_cairn "$OUT" "$ERR" ingest --source "opencode=$BIG" "$@" --data-dir "$store"
    SUMMARY=$(sed -nE 's/^ingest: ([0-9]+) new, ([0-9]+) changed, ([0-9]+) unchanged, ([0-9]+) gone, ([0-9]+) issues.*/\1 \2 \3 \4 \5/p' "$OUT")
}

counts()
{
    timeout 20 "$CAIRN" stats --json --data-dir "$1" 2>&1 | jq -c '[.sessions, .messages, .parts, .gone]' 2>&1
}

now_ms()
{
    echo $(($(date +%s%N) / 1000000))
}

# check_store DESC STORE: what must hold after any interruption.
check_store()
{
    local desc=$1 st=$2 out rc
    if [ "$HAVE_SQLITE3" = 1 ]; then
        out=$(sqlite3 -readonly "$st/cairn.db" 'PRAGMA integrity_check' 2>&1)
        assert_eq "$out" "ok" "$desc: PRAGMA integrity_check says ok"
        out=$(sqlite3 -readonly "$st/cairn.db" "SELECT count(*) FROM sessions s WHERE
            nmessages != (SELECT count(*) FROM messages m WHERE m.session_rowid = s.id) OR
            nparts != (SELECT count(*) FROM parts p WHERE p.session_rowid = s.id)" 2>&1)
        assert_eq "$out" "0" "$desc: every stored session holds all of its messages and parts"
    else
        skip "$desc: PRAGMA integrity_check says ok" "sqlite3 CLI not installed"
    fi
    rc=0
    out=$(timeout 20 "$CAIRN" stats --json --data-dir "$st" 2>&1) || rc=$?
    if [ "$rc" = 0 ] && jq -e '.sessions >= 0' >/dev/null 2>&1 <<<"$out"; then
        ok "$desc: cairn stats opens the store ($(jq -c '[.sessions, .messages, .parts]' <<<"$out"))"
    else
        not_ok "$desc: cairn stats opens the store" "exit $rc: $(head -c 1000 <<<"$out")"
    fi
}

# finish DESC STORE: a complete run ends with the reference counts and a consistent index.
finish()
{
    local desc=$1 st=$2
    ingest "$st"
    if [ "$RC" = 0 ] && [ -z "$(crash_report "$ERR")" ]; then
        ok "$desc: a complete rerun exits 0"
    else
        not_ok "$desc: a complete rerun exits 0" "exit $RC; stderr: $(head -c 1500 "$ERR")"
    fi
    assert_eq "$(counts "$st")" "$REF" "$desc: the rerun ends with the counts of a clean ingest $REF"
    assert_eq "$(timeout 20 "$CAIRN" search --json --limit 10000 --data-dir "$st" '"canned reply"' | jq '.hits | length')" \
        "$REF_CANNED" "$desc: a search finds as many hits as in the clean store ($REF_CANNED)"
    fts_check "$desc: the full-text index equals its content" "$st"
    ingest "$st"
    assert_eq "$SUMMARY" "0 0 $nses 0 0" "$desc: the run after that is a no-op (0 new, 0 changed, $nses unchanged)"
}

# ---- the reference: a clean ingest ----

CLEAN=$WORK/clean
t0=$(now_ms)
ingest "$CLEAN"
T=$(($(now_ms) - t0))
assert_eq "$RC $SUMMARY" "0 $nses 0 0 0 0" "clean ingest: exit 0, $nses new, no issue"
REF=$(counts "$CLEAN")
assert_eq "$REF" "[$nses,$((COPIES * 17)),$((COPIES * 59)),0]" "clean ingest: $COPIES x (4 sessions, 17 messages, 59 parts)"
REF_CANNED=$(timeout 20 "$CAIRN" search --json --limit 10000 --data-dir "$CLEAN" '"canned reply"' | jq '.hits | length')
fts_check "clean ingest: the full-text index equals its content" "$CLEAN"
diag "a clean ingest took $T ms"
[ "$T" -lt 300 ] && T=300

# ---- SIGKILL at random moments, on one store, resuming ----

K=$WORK/killed
# an ingest of an empty source makes the store and its schema, so that every kill below
# lands on a store that `cairn stats` (read-only) can open
run_cairn "$OUT" "$ERR" ingest --source "opencode=$EMPTY" --data-dir "$K"
assert_eq "$RC" "0" "kill store: created by an ingest of an empty source"
killed=0
for i in $(seq 1 "$KILLS"); do
    full=()
    [ "$(counts "$K" | jq '.[0]')" = "$nses" ] && full=(--full) # complete: kill a rewrite
    delay=$((RANDOM % (T + 1)))
    "$CAIRN" ingest --source "opencode=$BIG" "${full[@]}" --data-dir "$K" >"$OUT" 2>"$ERR" &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    kill -KILL "$pid" 2>/dev/null
    st=0
    wait "$pid" 2>/dev/null || st=$?
    desc="kill $i (${full[*]:-ingest}, SIGKILL after $delay ms, exit $st)"
    if [ "$st" = 137 ] || [ "$st" = 0 ]; then
        ok "$desc: killed (137) or finished first (0)"
    else
        not_ok "$desc: killed (137) or finished first (0)" "stderr: $(head -c 1500 "$ERR")"
    fi
    [ "$st" = 137 ] && killed=$((killed + 1))
    check_store "$desc" "$K"
    if [ ${#full[@]} -gt 0 ]; then
        assert_eq "$(counts "$K")" "$REF" "$desc: a killed --full over a complete store leaves its counts"
    fi
done
diag "$killed of $KILLS runs were killed before they finished"
finish "kill store" "$K"

# ---- kills right after start, on a fresh store ----

F=$WORK/fresh
for i in 1 2; do
    delay=$((RANDOM % 80))
    "$CAIRN" ingest --source "opencode=$BIG" --data-dir "$F" >"$OUT" 2>"$ERR" &
    pid=$!
    sleep "0.$(printf '%03d' "$delay")"
    kill -KILL "$pid" 2>/dev/null
    st=0
    wait "$pid" 2>/dev/null || st=$?
    desc="early kill $i (after $delay ms, exit $st)"
    if [ "$st" = 137 ] || [ "$st" = 0 ]; then
        ok "$desc: killed (137) or finished first (0)"
    else
        not_ok "$desc: killed (137) or finished first (0)" "stderr: $(head -c 1500 "$ERR")"
    fi
    if [ "$HAVE_SQLITE3" = 1 ] && [ -f "$F/cairn.db" ]; then
        # a kill while the new file is switched to WAL can leave a hot rollback journal:
        # a read-only open cannot roll it back, a read-write one (cairn's next run) does --
        # so the check opens a copy read-write, leaving the store itself as the kill left it
        rm -rf "$WORK/copy" && mkdir "$WORK/copy" && cp "$F"/cairn.db* "$WORK/copy/"
        assert_eq "$(sqlite3 "$WORK/copy/cairn.db" 'PRAGMA integrity_check' 2>&1)" "ok" "$desc: PRAGMA integrity_check says ok"
    fi
done
finish "early-kill store" "$F"

# ---- SIGINT / SIGTERM: exit 130, how to resume, and the rerun resumes ----

for sig in INT TERM; do
    S=$WORK/sig$sig
    done_sig=0
    for _ in 1 2 3; do
        rm -rf "$S"
        "$CAIRN" ingest --source "opencode=$BIG" --data-dir "$S" >"$OUT" 2>"$ERR" &
        pid=$!
        # wait (at most 10 s) for the first chunk to be committed: a reader sees its
        # sessions (the size of the WAL also counts frames not yet committed)
        for _ in $(seq 1 1000); do
            [ "$(sqlite3 "$S/cairn.db" 'SELECT count(*) FROM sessions' 2>/dev/null || echo 0)" \
                -gt 0 ] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.01
        done
        kill -"$sig" "$pid" 2>/dev/null
        st=0
        wait "$pid" 2>/dev/null || st=$?
        [ "$st" = 0 ] && continue # finished before the signal: try again
        done_sig=1
        break
    done
    if [ "$done_sig" = 0 ]; then
        skip "SIG$sig during ingest" "every attempt finished before the signal arrived"
        continue
    fi
    assert_eq "$st" "130" "SIG$sig during ingest: exit status 130"
    assert_match "$(cat "$ERR")" "resume" "SIG$sig during ingest: the message says how to resume"
    assert_eq "$(crash_report "$ERR")" "" "SIG$sig during ingest: no sanitizer report"
    check_store "SIG$sig" "$S"
    part=$(counts "$S" | jq '.[0]')
    if [ "$part" -gt 0 ] 2>/dev/null && [ "$part" -lt "$nses" ]; then
        ok "SIG$sig: the store holds the sessions committed before the signal ($part of $nses)"
    else
        not_ok "SIG$sig: the store holds the sessions committed before the signal" "$part of $nses"
    fi
    ingest "$S"
    assert_eq "$RC" "0" "SIG$sig: the rerun exits 0"
    read -r r_new r_changed r_unch _ <<<"$SUMMARY"
    assert_eq "$r_new $r_changed $r_unch" "$((nses - part)) 0 $part" \
        "SIG$sig: the rerun resumes: $((nses - part)) new, 0 changed, $part unchanged"
    assert_eq "$(counts "$S")" "$REF" "SIG$sig: the rerun ends with the counts of a clean ingest"
    fts_check "SIG$sig: the full-text index equals its content" "$S"
done

done_testing
