#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2317  # TODO_REASON is read by lib.sh; cleanup runs from a trap
# tests/integ/memory_cli.sh CAIRN SHARED_DIR - cairn's own data through the CLI:
# `cairn remember / recall / forget / context`.
#
# A temp store holds the 4 sessions of a temp copy of
# fixtures/opencode/sqlite-1.18.33 (context needs a session).  Checked: the
# --json documents of remember and recall (every field), versions and
# --history, access counting, project isolation, --ttl expiry, forget and
# forget --undo, usage errors (exit 1, a message on stderr, nothing written),
# the context document composed from --add-* appends (order, latest
# importance per path, memory keys filled in, size_bytes), an unknown session,
# context surviving `ingest --full` and a `prune` of its session's transcript,
# many processes appending context or saving memories at once, and
# durability: the commit of `remember` is synced before it returns (strace,
# when installed) and a memory acknowledged before a kill -9 is there after
# it.  Every cairn run is bounded by `timeout 20`; background helpers are
# killed on exit.  TAP on stdout.
set -u
CAIRN=${1:?usage: memory_cli.sh CAIRN SHARED_DIR}
SHARED=${2:?usage: memory_cli.sh CAIRN SHARED_DIR}
. "$(dirname "$0")/lib.sh"
require_tools jq sqlite3 timeout python3
FIX=$SHARED/fixtures/opencode/sqlite-1.18.33
[ -f "$FIX/opencode.db" ] || { echo "Bail out! no fixture at $FIX"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-memcli.XXXXXX")
BG_PIDS=()
cleanup()
{
    local p
    for p in "${BG_PIDS[@]}"; do
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    mountpoint -q "$WORK/ro" 2>/dev/null && umount "$WORK/ro" # sections 12 and 13's
    mountpoint -q "$WORK/full" 2>/dev/null && umount "$WORK/full"
    rm -rf "$WORK"
}
trap cleanup EXIT
# cairn must see only what each command line names
unset CAIRN_DATA_DIR OPENCODE_DB CLAUDE_CONFIG_DIR CODEX_HOME

S1=ses_e035dec6effeeawMfBf3ow9Lhu
S2=ses_e035dac2fffeH5WBeLVQN8Sx4g
S4=ses_e035d8e55ffe9Gs48272emcUqO
SRC=$WORK/oc
D=$WORK/store
OUT=$WORK/out
ERR=$WORK/err
MIGRATE_RACE="store bug: processes opening a new store at once race in open.c (user_version is read outside the migration transaction): 'table meta already exists', 'is not a cairn store (it has other tables)', 'database is locked'"
RACE_SIGNS="already exists|is not a cairn store|database is locked"
FORGET_EXPIRED="memory bug: forget and forget --undo act on an expired memory (memory.c one_change ignores expires_at), though memory.h says forget needs a live version"

mkdir -p "$SRC"
cp "$FIX"/opencode.db* "$SRC/"
chmod -R u+w "$SRC"

# c CMD ARGS...: run `cairn CMD --data-dir STORE ARGS` (RC, $OUT, $ERR); --data-dir goes
# first so that an option missing its value at the end does not take it.
c()
{
    if [ $# -eq 0 ]; then
        run_cairn "$OUT" "$ERR"
    else
        run_cairn "$OUT" "$ERR" "$1" --data-dir "$D" "${@:2}"
    fi
}

# usage_error DESC ARGS...: cairn ARGS exits 1 with a "cairn: ..." message and no stdout.
usage_error()
{
    local desc=$1
    shift
    c "$@"
    if [ "$RC" = 1 ] && [ ! -s "$OUT" ] && grep -q '^cairn: ' "$ERR" && [ -z "$(crash_report "$ERR")" ]; then
        ok "$desc: exit 1 with a message"
    else
        not_ok "$desc: exit 1 with a message" "exit $RC; stdout: $(head -c 600 "$OUT")"$'\n'"stderr: $(head -c 1500 "$ERR")"
    fi
}

# jqo FILTER: FILTER applied to the last stdout (compact).
jqo()
{
    jq -c "$1" "$OUT" 2>&1
}

sql()
{
    sqlite3 -readonly "$D/cairn.db" "$1" 2>&1
}

activity()
{
    sql "SELECT last_activity FROM sessions WHERE session_id = '$1'"
}

# raw_context: the raw text of the "context" member of the last stdout (a context document).
raw_context()
{
    local s
    s=$(cat "$OUT")
    s=${s#*\"context\":}
    printf '%s' "${s%,\"compressed\":*}"
}

c ingest --source "opencode=$SRC"
expect_rc "ingest of the sqlite-1.18.33 copy exits 0" 0
assert_contains "$(cat "$OUT")" "4 new" "ingest indexes the 4 sessions"

# ---- 1. remember / recall round trip ----

META='{"team":"platform","tags":["db","prod"],"n":1.5}'
c remember webshop database "postgres 16 on port 5432" --meta "$META" --json
expect_rc "remember --json exits 0" 0
assert_eq "$(jqo '.message')" '"Memory created successfully"' "remember --json: message is Memory created successfully"
MID1=$(jq -r '.memory_id' "$OUT" 2>/dev/null)
assert_match "$MID1" '^mem_[0-9a-f]{12}$' "remember --json: memory_id is mem_ and 12 hex digits"
assert_eq "$(jqo '[.project_id, (.memory_key // .key), .version]')" '["webshop","database",1]' \
    "remember --json: project_id webshop, key database, version 1"
assert_eq "$(cat "$ERR")" "" "remember --json writes nothing on stderr"

c recall webshop database --json
expect_rc "recall KEY --json exits 0" 0
assert_eq "$(jqo '.count')" "1" "recall KEY --json: count 1"
assert_eq "$(jqo '.memories[0] | keys')" \
    '["accessed_count","created_at","expires_at","last_accessed","memory_id","memory_key","memory_value","metadata_json","project_id","ttl_seconds","version"]' \
    "recall --json: a memory has memory_id, project_id, memory_key, memory_value, metadata_json, version, created_at, last_accessed, accessed_count, ttl_seconds, expires_at"
assert_eq "$(jqo '.memories[0] | [.memory_id, .project_id, .memory_key, .memory_value, .version, .ttl_seconds, .expires_at]')" \
    "[\"$MID1\",\"webshop\",\"database\",\"postgres 16 on port 5432\",1,null,null]" \
    "recall --json: the saved id, project, key, value, version 1, no ttl"
assert_eq "$(jqo '.memories[0].metadata_json')" "$(jq -c . <<<"$META")" "recall --json: metadata_json is the object given to --meta"
assert_eq "$(jqo '.memories[0].accessed_count')" "1" "recall --json: accessed_count 1 after the first recall"
assert_match "$(jqo '.memories[0] | [.created_at, .last_accessed] | join(" ")')" \
    '^"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"$' \
    "recall --json: created_at and last_accessed are ISO times"
FIRST_ACCESS=$(jq -r '.memories[0].last_accessed' "$OUT" 2>/dev/null)
sleep 0.01
c recall webshop database --json
assert_eq "$(jqo '.memories[0].accessed_count')" "2" "recall --json: accessed_count 2 after the second recall"
assert_eq "$(jq -r --arg a "$FIRST_ACCESS" '.memories[0].last_accessed > $a' "$OUT" 2>&1)" "true" \
    "recall --json: last_accessed moves with each recall"

# a value with a newline, quotes and UTF-8 comes back byte for byte
VAL=$'line one "quoted"\nline two \xc3\xa9\xe2\x82\xac'
c remember webshop odd "$VAL" --json
expect_rc "remember a value with a newline, quotes and UTF-8 exits 0" 0
c recall webshop odd --json
assert_eq "$(jq -r '.memories[0].memory_value' "$OUT" 2>&1)" "$VAL" "recall --json gives the odd value back unchanged"
c recall webshop odd
assert_contains "$(cat "$OUT")" "odd = line one" "recall (text) shows key = value"

# ---- 2. versions and --history ----

sleep 0.01
c remember webshop database "postgres 17" --json
expect_rc "remember the same key again exits 0" 0
assert_eq "$(jqo '.version')" "2" "remember the same key again: version 2"
MID2=$(jq -r '.memory_id' "$OUT" 2>/dev/null)
if [ -n "$MID2" ] && [ "$MID2" != "$MID1" ]; then
    ok "the new version has a new memory_id"
else
    not_ok "the new version has a new memory_id" "v1 $MID1, v2 $MID2"
fi
c recall webshop database --json
assert_eq "$(jqo '[.count, .memories[0].version, .memories[0].memory_value, .memories[0].metadata_json]')" \
    '[1,2,"postgres 17",null]' "recall KEY returns only version 2, without the old metadata"
c recall webshop database --history --json
expect_rc "recall KEY --history --json exits 0" 0
assert_eq "$(jqo '[.versions[].version]')" "[2,1]" "--history: versions 2 then 1"
assert_eq "$(jqo '[.versions[1].memory_id, .versions[1].memory_value]')" "[\"$MID1\",\"postgres 16 on port 5432\"]" \
    "--history: version 1 keeps its id and value"
assert_eq "$(jqo '[(.versions[1].superseded_at | type), (.versions[1].deleted_at | type), (.versions[0] | has("superseded_at"))]')" \
    '["string","null",false]' "--history: version 1 is superseded (not forgotten), version 2 is not"
assert_eq "$(jqo '.count')" "2" "--history: count 2"
c recall webshop database --history
assert_contains "$(cat "$OUT")" "(superseded)" "--history (text) marks the old version superseded"

# ---- 3. lists, order, limit, projects ----

c remember webshop cache "redis" --json
sleep 0.01
c remember ledger database "sqlite" --json
c recall webshop --json
expect_rc "recall PROJECT --json exits 0" 0
assert_eq "$(jqo '[.memories[] | [.memory_key, .version]]')" '[["cache",1],["database",2],["odd",1]]' \
    "recall PROJECT: the newest version of each of its 3 keys, most recently accessed (or saved) first"
assert_eq "$(jqo '[.memories[].project_id] | unique')" '["webshop"]' "recall PROJECT: no other project's memories"
sleep 0.01
c recall webshop cache --json
c recall webshop --json
assert_eq "$(jqo '.memories[0].memory_key')" '"cache"' "recall PROJECT: the key just recalled comes first"
c recall webshop --limit 1 --json
assert_eq "$(jqo '.count')" "1" "recall --limit 1: one memory"
c recall ledger database --json
assert_eq "$(jqo '[.memories[0].memory_value, .memories[0].version]')" '["sqlite",1]' \
    "another project's key of the same name is its own memory (version 1)"
c recall nowhere --json
expect_rc "recall of a project with no memories exits 0" 0
assert_eq "$(jqo '.count')" "0" "recall of a project with no memories: count 0"
c recall nowhere
assert_contains "$(cat "$ERR")" "no memories in project 'nowhere'" "recall (text) of an empty project says so on stderr"
c recall webshop nokey
expect_rc "recall of a missing key exits 1" 1
assert_contains "$(cat "$ERR")" "'nokey'" "recall of a missing key: the message names the key"
assert_contains "$(cat "$ERR")" "'webshop'" "recall of a missing key: the message names the project"

# ---- 4. --ttl ----

c remember webshop brief "kangaroo" --ttl 1s --json
expect_rc "remember --ttl 1s exits 0" 0
c recall webshop brief --json
expect_rc "a memory with --ttl 1s is recalled at once" 0
assert_eq "$(jqo '[.memories[0].ttl_seconds, (.memories[0].expires_at | type)]')" '[1,"string"]' \
    "--ttl 1s: ttl_seconds 1 and an expires_at"
c remember webshop later "in two minutes" --ttl 2m --json
c recall webshop later --json
assert_eq "$(jqo '.memories[0].ttl_seconds')" "120" "--ttl 2m: ttl_seconds 120"
c remember webshop far "a century" --ttl 36525d
expect_rc "--ttl 36525d (100 years, the most) exits 0" 0
c recall webshop far --json
assert_eq "$(jqo '[.memories[0].ttl_seconds, (.memories[0].expires_at | test("^2[0-9]{3}-"))]')" "[3155760000,true]" \
    "--ttl 36525d: ttl_seconds 3155760000, expires_at a four-digit year"
c remember webshop farther "past a century" --ttl 36526d
expect_rc "--ttl 36526d (over 100 years) exits 1" 1
assert_contains "$(cat "$ERR")" "100 years" "--ttl over 100 years: the error says the limit"
c recall webshop farther
expect_rc "nothing was saved for the refused --ttl" 1
c remember webshop bare "ninety seconds" --ttl 90 --json
c recall webshop bare --json
assert_eq "$(jqo '.memories[0].ttl_seconds')" "90" "--ttl 90 (no unit): 90 seconds"
sleep 1.3
c recall webshop brief --json
expect_rc "after 1.3 s the --ttl 1s memory is not recalled (exit 1)" 1
c recall webshop --json
assert_eq "$(jqo '[.memories[].memory_key] | index("brief")')" "null" "after 1.3 s the expired memory is not in the list"
assert_eq "$(jqo '[.memories[].memory_key] | index("later") != null')" "true" "the --ttl 2m memory is still in the list"

# forgetting an expired memory: memory.h says forget needs a live version
c forget webshop brief
[ "$RC" = 0 ] && TODO_REASON=$FORGET_EXPIRED
assert_eq "$RC" "1" "forget of an expired memory exits 1 (no live version)"
c forget webshop brief --undo
[ "$RC" = 0 ] && TODO_REASON=$FORGET_EXPIRED
assert_eq "$RC" "1" "forget --undo of an expired memory exits 1"

# ---- 5. forget / --undo ----

c forget webshop cache
expect_rc "forget exits 0" 0
assert_contains "$(cat "$OUT")" "forgot cache in webshop" "forget says what it forgot"
assert_contains "$(cat "$OUT")" "--undo" "forget tells how to undo"
c recall webshop cache --json
expect_rc "recall of a forgotten key exits 1" 1
c recall webshop --json
assert_eq "$(jqo '[.memories[].memory_key] | index("cache")')" "null" "a forgotten memory is not in the list"
c recall webshop cache --history --json
expect_rc "--history of a forgotten key exits 0" 0
assert_eq "$(jqo '[.count, (.versions[0].deleted_at | type), (.versions[0].superseded_at | type)]')" '[1,"string","null"]' \
    "--history shows the forgotten memory with deleted_at"
c forget webshop cache
expect_rc "forget twice: the second exits 1" 1
assert_contains "$(cat "$ERR")" "'cache'" "forget twice: the message names the key"
c forget webshop cache --undo
expect_rc "forget --undo exits 0" 0
assert_contains "$(cat "$OUT")" "restored cache in webshop" "forget --undo says what it restored"
c recall webshop cache --json
assert_eq "$(jqo '[.memories[0].memory_value, .memories[0].version]')" '["redis",1]' "after --undo the memory is back as it was"
c forget webshop cache --undo
expect_rc "forget --undo with nothing to restore exits 1" 1
c forget webshop never
expect_rc "forget of a key never saved exits 1" 1
# a save after a forget supersedes the forgotten version: nothing to undo then
c forget webshop cache
c remember webshop cache "memcached" --json
assert_eq "$(jqo '.version')" "2" "remember after forget: version 2"
c forget webshop cache --undo
expect_rc "forget --undo after a new save exits 1 (the forgotten version was superseded)" 1
c recall webshop cache --json
assert_eq "$(jqo '[.count, .memories[0].memory_value]')" '[1,"memcached"]' "recall after that gives the new version only"

# ---- 6. usage errors: exit 1, a message, nothing written ----

usage_error "remember without arguments" remember
usage_error "remember PROJECT KEY without a value" remember webshop k1
usage_error "remember with 4 arguments" remember webshop k1 v extra
usage_error "remember --ttl x" remember webshop k1 v --ttl x
usage_error "remember --ttl 0" remember webshop k1 v --ttl 0
usage_error "remember --ttl -5s" remember webshop k1 v --ttl=-5s
usage_error "remember --ttl 1.5h" remember webshop k1 v --ttl 1.5h
usage_error "remember --ttl 10y" remember webshop k1 v --ttl 10y
usage_error "remember --ttl without a value" remember webshop k1 v --ttl
usage_error "remember --meta [1]" remember webshop k1 v --meta '[1]'
assert_contains "$(cat "$ERR")" "metadata" "remember --meta [1]: the message says metadata"
usage_error "remember --meta x" remember webshop k1 v --meta x
usage_error "remember --meta {" remember webshop k1 v --meta '{'
usage_error "remember --meta '\"str\"'" remember webshop k1 v --meta '"str"'
usage_error "remember with an option it does not take" remember webshop k1 v --undo
c recall webshop k1 --history --json
expect_rc "after the refused remembers nothing was saved under k1" 1
usage_error "recall without arguments" recall
usage_error "recall --history without a key" recall webshop --history
usage_error "recall --limit 0" recall webshop --limit 0
usage_error "recall with 3 arguments" recall webshop a b
usage_error "forget without a key" forget webshop
usage_error "context without a session" context
usage_error "context --importance without --add-file" context "$S1" --importance 0.5
assert_contains "$(cat "$ERR")" "--add-file" "context --importance alone: the message names --add-file"
usage_error "context --importance after --add-search" context "$S1" --add-search q --importance 0.5
usage_error "context --add-file --importance 2" context "$S1" --add-file a.c --importance 2
assert_contains "$(cat "$ERR")" "0.0 to 1.0" "context --importance 2: the message gives the range"
usage_error "context --add-file --importance -0.1" context "$S1" --add-file a.c --importance=-0.1
usage_error "context --add-file --importance nan" context "$S1" --add-file a.c --importance nan
usage_error "context --add-file --importance abc" context "$S1" --add-file a.c --importance abc
usage_error "context --add-file with an empty path" context "$S1" --add-file ''
usage_error "context --add-decision without a value" context "$S1" --add-decision

# ---- 7. context ----

c context nosuch-session
expect_rc "context of an unknown session exits 1" 1
assert_contains "$(cat "$ERR")" "nosuch-session" "context of an unknown session: the message names it"
c context nosuch-session --add-decision "x"
expect_rc "context --add-* on an unknown session exits 1" 1
assert_eq "$(sql "SELECT count(*) FROM sessions WHERE session_id = 'nosuch-session'")" "0" \
    "context --add-* on an unknown session does not create it"

c context "$S1"
expect_rc "context of a session with no events exits 0" 0
assert_eq "$(jqo '[.session_id, (.context | [.files_accessed, .recent_searches, .decisions, .saved_memories] | map(length)), .context.file_importance_scores, .compressed]')" \
    "[\"$S1\",[0,0,0,0],{},false]" "context of a session with no events (after the refused --add-*): empty lists, compressed false"
c context ses_e035dec
expect_rc "context takes a unique start of a session id, as show does" 0
assert_eq "$(jqo '.session_id')" "\"$S1\"" "context of an id's start: the session it starts"
c context ses_e035d --add-decision "not saved"
expect_rc "context of an id's start that several sessions share exits 1" 1
assert_contains "$(cat "$ERR")" "several" "context of an ambiguous start: the message says several sessions have it"
ACT0=$(activity "$S1")
c recall webshop database --json
MIDNOW=$(jq -r '.memories[0].memory_id' "$OUT" 2>/dev/null)
T0=$(($(date +%s%3N) - 1))
c context "$S1" --add-file src/a.c --importance 0.2 --add-search "jwt refresh" --add-file src/b.c \
    --add-decision "use argon2id" --add-memory "$MIDNOW" --add-file src/a.c --importance 0.9 \
    --add-memory mem_000000000000
expect_rc "context --add-* exits 0" 0
assert_eq "$(jqo '.session_id')" "\"$S1\"" "context: session_id"
assert_eq "$(jqo '[.context.files_accessed[] | [.path, .importance, .order]]')" \
    '[["src/a.c",0.2,1],["src/b.c",0.5,2],["src/a.c",0.9,3]]' \
    "context: files_accessed in order 1..3, --importance per file (0.5 by default)"
assert_eq "$(jqo '[.context.files_accessed[].accessed_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")] | all')" "true" \
    "context: files_accessed have an accessed_at time"
assert_eq "$(jqo '.context.file_importance_scores')" '{"src/a.c":0.9,"src/b.c":0.5}' \
    "context: file_importance_scores has each path once with its latest importance"
assert_eq "$(jqo '[.context.recent_searches[].query, .context.decisions[].decision]')" '["jwt refresh","use argon2id"]' \
    "context: recent_searches and decisions"
assert_eq "$(jqo '[.context.saved_memories[] | [.memory_id, .memory_key]]')" \
    "[[\"$MIDNOW\",\"database\"],[\"mem_000000000000\",null]]" \
    "context: saved_memories with memory_key filled in from the memory (null for an unknown id)"
assert_eq "$(jqo '.compressed')" "false" "context: compressed false"
RAW=$(raw_context)
assert_eq "$(jqo '.size_bytes')" "$(LC_ALL=C; printf '%s' "${#RAW}")" "context: size_bytes is the byte length of the context object"
ACT1=$(activity "$S1")
if [ -n "$ACT1" ] && [ "$ACT1" -gt "$ACT0" ] 2>/dev/null && [ "$ACT1" -ge "$T0" ]; then
    ok "context --add-* moves the session's last_activity"
else
    not_ok "context --add-* moves the session's last_activity" "before $ACT0, after $ACT1, append at >= $T0"
fi
DOC1=$(jqo '.context')
sleep 0.01
c context "$S1"
assert_eq "$(jqo '.context')" "$DOC1" "context without --add-* prints the same document"
assert_eq "$(activity "$S1")" "$ACT1" "context without --add-* leaves last_activity alone"
c context "$S1" --add-file 'src/we"ird path é.c' --importance 1 --add-file src/b.c --importance 0
assert_eq "$(jqo '.context.file_importance_scores')" '{"src/a.c":0.9,"src/b.c":0,"src/we\"ird path é.c":1}' \
    "context: a later append updates one path's importance and adds an odd path, escaped"
RAW=$(raw_context)
assert_eq "$(jqo '.size_bytes')" "$(LC_ALL=C; printf '%s' "${#RAW}")" "context: size_bytes counts bytes (with UTF-8 in a path)"
c context "$S2"
assert_eq "$(jqo '.context.files_accessed | length')" "0" "another session's context is untouched"

# ---- 8. many processes at once ----

# 8 processes x 10 appends of one decision each, on one session
pids=()
for w in 0 1 2 3 4 5 6 7; do
    (
        for i in 0 1 2 3 4 5 6 7 8 9; do
            timeout 20 "$CAIRN" context "$S2" --add-decision "w$w-$i" --quiet --data-dir "$D" \
                >/dev/null 2>>"$WORK/par.$w" || echo "exit $? for w$w-$i" >>"$WORK/par.$w"
        done
    ) &
    pids+=("$!")
done
for p in "${pids[@]}"; do wait "$p"; done
assert_eq "$(cat "$WORK"/par.* 2>&1)" "" "8 processes appending context at once: every append exits 0, nothing on stderr"
c context "$S2"
assert_eq "$(jqo '[.context.decisions[].decision] | [length, (unique | length)]')" "[80,80]" \
    "8 processes x 10 appends: the context holds all 80 decisions, each once"

# 6 processes saving the same key 5 times each
pids=()
for w in 0 1 2 3 4 5; do
    (
        for i in 0 1 2 3 4; do
            timeout 20 "$CAIRN" remember race counter "w$w-$i" --quiet --data-dir "$D" \
                >/dev/null 2>>"$WORK/rem.$w" || echo "exit $? for w$w-$i" >>"$WORK/rem.$w"
        done
    ) &
    pids+=("$!")
done
for p in "${pids[@]}"; do wait "$p"; done
assert_eq "$(cat "$WORK"/rem.* 2>&1)" "" "6 processes saving one key at once: every save exits 0"
c recall race counter --history --json
assert_eq "$(jqo '[[.versions[].version] == ([range(30; 0; -1)]), ([.versions[] | select(.superseded_at == null)] | length)]')" "[true,1]" \
    "6 processes x 5 saves of one key: versions 30..1, each once, one current"

# 8 processes making one new store at once
NEW=$WORK/fresh
pids=()
for w in 0 1 2 3 4 5 6 7; do
    timeout 20 "$CAIRN" remember p "k$w" v --quiet --data-dir "$NEW" >/dev/null 2>"$WORK/fresh.$w" &
    pids+=("$!")
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
grep -qsE "$RACE_SIGNS" "$WORK"/fresh.* && TODO_REASON=$MIGRATE_RACE
assert_eq "$fails $(cat "$WORK"/fresh.* 2>&1 | head -c 300)" "0 " "8 processes remembering into a new data dir at once: all exit 0"
n=$(timeout 20 "$CAIRN" recall p --json --data-dir "$NEW" 2>&1 | jq '.count' 2>&1)
[ "$fails" != 0 ] && grep -qsE "$RACE_SIGNS" "$WORK"/fresh.* && TODO_REASON=$MIGRATE_RACE
assert_eq "$n" "8" "8 processes remembering into a new data dir at once: 8 memories"

# ---- 9. context survives ingest --full and prune ----

c context "$S1"
DOC1=$(jqo '.context')
c context "$S4" --add-search "four"
c ingest --full --source "opencode=$SRC"
expect_rc "ingest --full exits 0" 0
c context "$S1"
assert_eq "$(jqo '.context')" "$DOC1" "ingest --full leaves the context of a session as it was"
nparts=$(timeout 20 "$CAIRN" search '"Let me run a command"' --session "$S1" --json --limit 100 --data-dir "$D" 2>&1 | jq '[.hits[] | select(.part_id != null and .part_id != "")] | length' 2>&1)
if [ "$nparts" -gt 0 ] 2>/dev/null; then
    ok "before the prune the session's transcript is searchable ($nparts hits)"
else
    not_ok "before the prune the session's transcript is searchable" "hits: $nparts"
fi
# the agent loses the session (row deleted from the copy); S4 (which has context too) stays
sqlite3 "$SRC/opencode.db" "DELETE FROM session WHERE id = '$S1'; DELETE FROM session WHERE id = '$S2'" 2>"$ERR"
assert_eq "$(cat "$ERR")" "" "two sessions deleted from the opencode copy"
c ingest --source "opencode=$SRC"
assert_contains "$(cat "$OUT")" "2 gone" "ingest marks the two sessions gone"
c prune
expect_rc "prune exits 0" 0
assert_eq "$(sql "SELECT count(*) FROM sessions WHERE session_id IN ('$S1', '$S2')")" "2" \
    "prune keeps the rows of gone sessions that have context"
assert_eq "$(sql "SELECT (SELECT count(*) FROM messages m JOIN sessions s ON s.id = m.session_rowid WHERE s.session_id = '$S1') || ' ' || (SELECT count(*) FROM parts p JOIN sessions s ON s.id = p.session_rowid WHERE s.session_id = '$S1')")" \
    "0 0" "prune removes the transcript (messages and parts) of the session"
nparts=$(timeout 20 "$CAIRN" search '"Let me run a command"' --session "$S1" --json --limit 100 --data-dir "$D" 2>&1 | jq '[.hits[] | select(.part_id != null and .part_id != "")] | length' 2>&1)
assert_eq "$nparts" "0" "after the prune the session's transcript text is not found"
c context "$S1"
expect_rc "context of the pruned session exits 0" 0
assert_eq "$(jqo '.context')" "$DOC1" "after the prune the session's context is intact"
c context "$S2"
assert_eq "$(jqo '.context.decisions | length')" "80" "after the prune the other session's 80 decisions are intact"
c context "$S1" --add-decision "after the prune"
expect_rc "context --add-* on a pruned session exits 0" 0
assert_eq "$(jqo '.context.decisions | length')" "2" "a pruned session takes new context"
c ingest --source "opencode=$SRC"
expect_rc "ingest after the prune exits 0" 0
c context "$S1"
assert_eq "$(jqo '.context.decisions | length')" "2" "the next ingest leaves the pruned session's context alone"

# ---- 10. durability ----

# The commit is synced before remember returns: with another connection open (no
# checkpoint at close) the WAL must be fsynced after its last write.
if command -v strace >/dev/null 2>&1 && strace -o /dev/null true 2>/dev/null; then
    python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute("SELECT count(*) FROM memories").fetchall()
print("ready", flush=True)
time.sleep(60)
' "$D/cairn.db" >"$WORK/holder" 2>&1 &
    HOLDER=$!
    BG_PIDS+=("$HOLDER")
    for _ in $(seq 100); do grep -q ready "$WORK/holder" && break; sleep 0.05; done
    # LeakSanitizer cannot run under ptrace
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout 60 strace -f -y -e trace=pwrite64,write,fsync,fdatasync -o "$WORK/strace" \
        "$CAIRN" remember webshop synced yes --data-dir "$D" >"$OUT" 2>"$ERR"
    RC=$?
    expect_rc "remember under strace exits 0" 0
    nsync=$(awk '/(pwrite64|write)\([0-9]+<[^>]*cairn\.db-wal>/ {last = NR}
                 /(fsync|fdatasync)\([0-9]+<[^>]*cairn\.db-wal>/ {s[NR] = 1}
                 END {n = 0; for (k in s) if (k + 0 > last) n++; print n}' "$WORK/strace")
    if [ "$nsync" -ge 1 ] 2>/dev/null; then
        ok "remember fsyncs the WAL after writing its commit ($nsync syncs)"
    else
        not_ok "remember fsyncs the WAL after writing its commit" "syncs after the last WAL write: $nsync"
    fi
    kill -KILL "$HOLDER" 2>/dev/null
    wait "$HOLDER" 2>/dev/null
else
    skip "remember fsyncs the WAL after writing its commit" "strace not installed or not permitted"
fi

# kill -9 right after remember has answered (and of the other connection holding the store open)
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute("SELECT count(*) FROM memories").fetchall()
time.sleep(60)
' "$D/cairn.db" >/dev/null 2>&1 &
HOLDER=$!
BG_PIDS+=("$HOLDER")
acked=()
for i in 1 2 3 4 5; do
    "$CAIRN" remember durable "k$i" "value $i" --data-dir "$D" >"$WORK/kill.$i" 2>&1 &
    pid=$!
    for _ in $(seq 400); do grep -qs remembered "$WORK/kill.$i" && break; sleep 0.005; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    grep -qs "remembered k$i" "$WORK/kill.$i" && acked+=("k$i")
done
kill -KILL "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
assert_eq "${#acked[@]}" "5" "every remember answered before its kill -9"
c recall durable --json
expect_rc "recall after the kills exits 0" 0
assert_eq "$(jqo '[.memories[].memory_key] | sort | join(" ")')" "\"${acked[*]}\"" \
    "every memory acknowledged before a kill -9 is in the store after a restart"
assert_eq "$(sql 'PRAGMA integrity_check')" "ok" "the store passes integrity_check after the kills"

# kill -9 at random moments while remember runs: never a damaged store, acknowledged ones kept
RANDOM=$$
acked=()
for i in $(seq 8); do
    "$CAIRN" remember killed "k$i" "value $i" --data-dir "$D" >"$WORK/rk.$i" 2>&1 &
    pid=$!
    sleep "0.0$((RANDOM % 10))"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    grep -qs "remembered k$i" "$WORK/rk.$i" && acked+=("k$i")
done
diag "${#acked[@]} of 8 randomly killed remembers had answered"
assert_eq "$(sql 'PRAGMA integrity_check')" "ok" "the store passes integrity_check after random kills of remember"
c recall killed --json --limit 100
expect_rc "recall after random kills exits 0" 0
missing=""
for k in "${acked[@]}"; do
    jq -e --arg k "$k" '[.memories[].memory_key] | index($k) != null' "$OUT" >/dev/null 2>&1 || missing="$missing $k"
done
assert_eq "$missing" "" "every acknowledged memory survived the random kills"
assert_eq "$(jqo '[.memories[] | select(.memory_value != ("value " + (.memory_key | ltrimstr("k"))))] | length')" "0" \
    "every memory that made it has its whole value"

# ---- 11. a damaged index: a clear error, never a crash, never another memory's echo ----
# Some cells of the memory_id index get a length of 0 (a store damaged on disk): a save
# whose read back by id finds nothing, or another row, must say so, and keep nothing.
DMG=$WORK/damaged
for i in $(seq 30); do
    run_cairn "$OUT" "$ERR" remember P "k$i" "value $i, long enough to fill a page $(printf 'x%.0s' $(seq 150))" \
        --quiet --data-dir "$DMG.good"
done
python3 - "$DMG.good/cairn.db" <<'PY'
import sqlite3, sys
db = sys.argv[1]
c = sqlite3.connect(db)
(pg,) = c.execute("SELECT pageno FROM dbstat WHERE name = 'sqlite_autoindex_memories_1'").fetchone()
size = c.execute("PRAGMA page_size").fetchone()[0]
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
c.close()
b = bytearray(open(db, "rb").read())
page = b[(pg - 1) * size:pg * size]
cells = [i for i in range(len(page) - 6) if page[i:i + 3] == b"\x03\x2d\x01" and page[i + 3:i + 7] == b"mem_"]
for ci in cells[::3]:
    b[(pg - 1) * size + ci + 1] = 0x0d  # the id's serial type: TEXT(16) -> TEXT(0)
open(db, "wb").write(b)
print(len(cells), file=sys.stderr)
PY
crashes=0 wrong=0 unclear=0
for r in $(seq 20); do
    rm -rf "$DMG" && cp -R "$DMG.good" "$DMG"
    run_cairn "$OUT" "$ERR" remember P k3 new --data-dir "$DMG"
    case $RC in
    0) grep -q '^remembered k3 = new in P' "$OUT" || wrong=$((wrong + 1)) ;;
    1) grep -q 'damaged' "$ERR" || unclear=$((unclear + 1)) ;;
    *) crashes=$((crashes + 1)) ;;
    esac
done
assert_eq "$crashes $wrong $unclear" "0 0 0" \
    "a save into a store with a damaged id index: no crash, no other memory echoed, a clear error"

# ---- 12. a data dir on a read-only file system: the message says so ----
RO=$WORK/ro
mkdir -p "$RO.src" "$RO"
run_cairn "$OUT" "$ERR" remember p k v --quiet --data-dir "$RO.src"
if mount --bind "$RO.src" "$RO" 2>/dev/null && mount -o remount,bind,ro "$RO" 2>/dev/null; then
    run_cairn "$OUT" "$ERR" recall p --data-dir "$RO"
    assert_contains "$(cat "$ERR")" "read-only file system" "a read-only data dir: the error says it is read-only"
    umount "$RO"
else
    mountpoint -q "$RO" && umount "$RO"
    skip "a read-only data dir: the error says it is read-only" "cannot bind-mount here (not root?)"
fi

# ---- 13. a full disk: a store that cannot even be opened says the disk is full ----
FULL=$WORK/full
mkdir -p "$FULL"
if mount -t tmpfs -o size=2m tmpfs "$FULL" 2>/dev/null; then
    run_cairn "$OUT" "$ERR" remember p k v --quiet --data-dir "$FULL/d"
    dd if=/dev/zero of="$FULL/fill" bs=4k 2>/dev/null
    run_cairn "$OUT" "$ERR" recall p --data-dir "$FULL/d"
    assert_contains "$(cat "$ERR")" "is full" "a store on a full disk: the error says the disk is full"
    rm -f "$FULL/fill"
    run_cairn "$OUT" "$ERR" recall p --data-dir "$FULL/d"
    assert_eq "$RC" 0 "space back: the store opens and its memory is there"
    umount "$FULL"
else
    skip "a store on a full disk: the error says the disk is full" "cannot mount a tmpfs here (not root?)"
    skip "space back: the store opens and its memory is there" "cannot mount a tmpfs here (not root?)"
fi

done_testing
