#!/usr/bin/env bash
# shellcheck disable=SC2086  # lists of session ids are split into arguments on purpose
# tests/integ/opencode_fixtures.sh CAIRN SHARED_DIR - the real cairn binary
# against every opencode fixture set in SHARED_DIR/fixtures/opencode.
#
# Each set is copied into a fresh temp dir first (SQLite may write -shm even
# for a read-only reader; never point cairn at the shared fixtures), read
# with `--source opencode=<copy>` and `--json`, and checked against the facts
# of the set's EXPECTED.md: sources, sessions, and `show` of every session
# (messages, parts by type, tools, links, tokens, prompts as stored, order).
# Afterwards every file of the copy but *-shm must be byte-for-byte unchanged:
# agent data is read-only to cairn.  Message order is also checked against
# an oracle taken from the fixture itself: the JSON files' time.created, or
# the sqlite3 CLI on a second copy (skipped when sqlite3 is missing).
# Last, the command line: show by unique prefix, ambiguous and unknown ids,
# --help of each command, unknown options.  TAP on stdout.
set -u
CAIRN=${1:?usage: opencode_fixtures.sh CAIRN SHARED_DIR}
SHARED=${2:?usage: opencode_fixtures.sh CAIRN SHARED_DIR}
. "$(dirname "$0")/lib.sh"
require_tools jq sha256sum timeout
FIX=$SHARED/fixtures/opencode
[ -d "$FIX" ] || { echo "Bail out! no fixtures at $FIX"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-ocfix.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# Known reader bug (see the report): db.c's unit() sets u->path to the
# cn_oc_db's own path string, which cn_oc_db_close() frees right after
# resolve; session.source_path (and hydrate's issue locations) keep it.
UAF_BUG="reader bug: session.source_path of SQLite sessions points to the database path freed by cn_oc_db_close (heap-use-after-free in sessions --json)"

# ---- per-set helpers: D is the copy, N the set's name ----

copy_set()
{
    N=$1
    D=$WORK/$N
    mkdir -p "$D"
    cp -R "$FIX/$N/." "$D/"
    tree_sums "$D" >"$WORK/$N.sums.before"
    if [ "$HAVE_SQLITE3" = 1 ] && [ -f "$FIX/$N/opencode.db" ]; then
        mkdir -p "$WORK/$N.oracle"
        cp "$FIX/$N"/opencode.db* "$WORK/$N.oracle/"
    fi
}

check_sources()
{
    local sessions=$1 sqlite=$2 json=$3 dbs=$4 jfiles=$5
    run_cairn "$D.src.json" "$D.src.err" sources --source "opencode=$D" --json
    expect_clean "sources --json" "$D.src.err"
    assert_eq "$(jq -c --arg d "$D" '[.[] | select(.path == $d) | .agent, .exists, .discovered]' "$D.src.json" 2>&1)" \
        '["opencode",true,false]' "$N: sources --json lists the given dir, existing, not discovered"
    assert_eq "$(jq -c '.[0] | [.sessions, .by_origin.sqlite, .by_origin.json, .by_origin["json-g0"], .shadowed]' "$D.src.json" 2>&1)" \
        "[$sessions,$sqlite,$json,0,0]" "$N: sources counts sessions $sessions (sqlite $sqlite, json $json, json-g0 0), 0 shadowed"
    assert_eq "$(jq -c --arg d "$D" '.[0].databases | map(sub("^" + $d + "/"; ""))' "$D.src.json" 2>&1)" \
        "$dbs" "$N: sources lists databases $dbs"
    assert_eq "$(jq '.[0].json_files' "$D.src.json" 2>&1)" "$jfiles" \
        "$N: sources counts $jfiles JSON files (every storage file but 'migration')"
}

# sessions --json into $D.ses.json; SJ_OK=1 when it produced a JSON array.
list_sessions()
{
    run_cairn "$D.ses.json" "$D.ses.err" sessions --source "opencode=$D" --json
    if grep -aq 'heap-use-after-free' "$D.ses.err"; then
        TODO_REASON=$UAF_BUG
        diag "$(crash_report "$D.ses.err")"
    fi
    expect_clean "sessions --json" "$D.ses.err"
    SJ_OK=0
    [ -s "$D.ses.json" ] && jq -e 'type == "array"' "$D.ses.json" >/dev/null 2>&1 && SJ_OK=1
    SJ_WHY="sessions --json gave no output (see the failure above)"
}

# Assertions on the sessions --json listing; skipped when it has no output.
sj_eq()
{
    if [ "$SJ_OK" = 1 ]; then
        assert_eq "$(jq -c "$1" "$D.ses.json" 2>&1)" "$2" "$3"
    else
        skip "$3" "$SJ_WHY"
    fi
}

# One listed session: identity fields, then numbers.
check_listed()
{
    local id=$1 slug=$2 parent=$3 title=$4 version=$5 origin=$6 dir=$7 project=$8
    local msgs=$9 parts=${10} tin=${11} tout=${12} computed=${13}
    local q=".[] | select(.id == \"$id\")"
    sj_eq "[$q | .slug, .parent_id, .title, .version, .origin, .directory, .project_id, .agent]" \
        "$(jq -nc --arg s "$slug" --arg p "$parent" --arg t "$title" --arg v "$version" \
            --arg o "$origin" --arg d "$dir" --arg pr "$project" \
            '[$s, (if $p == "" then null else $p end), $t, $v, $o, $d, $pr, "opencode"]')" \
        "$N: sessions lists $id: slug $slug, parent ${parent:-none}, title, version $version, $origin, directory, project"
    sj_eq "[$q | .messages, .parts, .tokens.input, .tokens.output, .tokens.reasoning, .tokens.cache_read, .tokens.cache_write, .tokens_computed, .cost]" \
        "[$msgs,$parts,$tin,$tout,0,0,0,$computed,0]" \
        "$N: sessions lists $id: $msgs messages, $parts parts, tokens $tin/$tout (computed $computed), cost 0"
}

SESSION_FIELDS='["cost","directory","id","messages","parent_id","parts","project_id","slug","title","tokens","version"]'

check_listing_shape()
{
    local n=$1
    sj_eq 'length' "$n" "$N: sessions --json lists $n sessions"
    sj_eq "[.[] | keys | $SESSION_FIELDS - .] | add // []" '[]' \
        "$N: every listed session has the fields id, title, slug, parent_id, version, messages, parts, tokens, cost, directory, project_id"
    sj_eq '[.[].time_updated_ms] == ([.[].time_updated_ms] | sort | reverse)' 'true' \
        "$N: sessions are listed newest first (by time updated)"
}

# show ID --json into $D.show.ID.json, with the facts every session has.
# types: "file=1 patch=1 reasoning=6 ..." (part types present, sorted by name)
check_show()
{
    local id=$1 user=$2 asst=$3 parts=$4 types=$5 synth=$6 tools=$7 tin=$8 tout=$9
    local children=${10} finish=${11}
    local f=$D.show.$id.json
    run_cairn "$f" "$f.err" show "$id" --source "opencode=$D" --json
    expect_clean "show $id --json" "$f.err"
    assert_eq "$(jq -c '[.id, .agent, (.messages | map(select(.role == "user")) | length), (.messages | map(select(.role == "assistant")) | length), ([.messages[].parts[]] | length)]' "$f" 2>&1)" \
        "[\"$id\",\"opencode\",$user,$asst,$parts]" \
        "$N: show $id: $user user + $asst assistant messages, $parts parts"
    assert_eq "$(jq -r '[.messages[].parts[].type] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$f" 2>&1)" \
        "$types" "$N: show $id: parts by type $types"
    assert_eq "$(jq '[.messages[].parts[] | select(.synthetic == true)] | length' "$f" 2>&1)" \
        "$synth" "$N: show $id: $synth synthetic text parts"
    assert_eq "$(jq -r '[.messages[].parts[] | select(.type == "tool") | "\(.tool):\(.status)"] | join(",")' "$f" 2>&1)" \
        "$tools" "$N: show $id: tools ${tools:-none}"
    assert_eq "$(jq -c '[.tokens.input, .tokens.output, .cost]' "$f" 2>&1)" "[$tin,$tout,0]" \
        "$N: show $id: tokens in/out $tin/$tout, cost 0"
    assert_eq "$(jq -c '.children' "$f" 2>&1)" "$children" "$N: show $id: children $children"
    assert_eq "$(jq -r '[.messages[] | select(.role == "assistant") | .finish] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$f" 2>&1)" \
        "$finish" "$N: show $id: assistant finish $finish"
    assert_eq "$(jq '[.messages[].created] == ([.messages[].created] | sort) and all(.messages[]; [.parts[].id] == ([.parts[].id] | sort))' "$f" 2>&1)" \
        "true" "$N: show $id: messages in time order, parts of each message in id order"
}

# Message order against the fixture itself: (time_created, id).
check_order_json()
{
    local id=$1 dir=$FIX/$N/storage/message/$1 m want
    want=$(for m in "$dir"/*.json; do
        printf '%s %s\n' "$(jq '.time.created' "$m")" "$(basename "$m" .json)"
    done | sort -k1,1n -k2,2 | awk '{print $2}' | paste -sd, -)
    assert_eq "$(jq -r '[.messages[].id] | join(",")' "$D.show.$id.json" 2>&1)" "$want" \
        "$N: show $id: message order equals the files' (time.created, id) order"
}

check_order_sqlite()
{
    local id=$1 want
    if [ "$HAVE_SQLITE3" != 1 ]; then
        skip "$N: show $id: message order equals the database's ORDER BY time_created, id" "no sqlite3 CLI"
        return
    fi
    want=$(sqlite3 "file:$WORK/$N.oracle/opencode.db?mode=ro" \
        "SELECT id FROM message WHERE session_id = '$id' ORDER BY time_created, id" | paste -sd, -)
    assert_eq "$(jq -r '[.messages[].id] | join(",")' "$D.show.$id.json" 2>&1)" "$want" \
        "$N: show $id: message order equals the database's ORDER BY time_created, id"
}

# User prompts (non-synthetic text parts of user messages) as a JSON array.
check_prompts()
{
    local id=$1 want=$2
    assert_eq "$(jq -c '[.messages[] | select(.role == "user") | .parts[] | select(.type == "text" and (.synthetic | not)) | .text]' "$D.show.$id.json" 2>&1)" \
        "$want" "$N: show $id: user prompts exactly as stored $want"
}

# jq expression over one session's show output.
show_eq()
{
    assert_eq "$(jq -c "$2" "$D.show.$1.json" 2>&1)" "$3" "$4"
}

part_q()
{
    printf '.messages[].parts[] | select(.id == "%s")' "$1"
}

# Totals over every shown session of the set.
check_totals()
{
    local msgs=$1 user=$2 parts=$3 tools=$4
    assert_eq "$(jq -s -c '[([.[].messages[]] | length), ([.[].messages[] | select(.role == "user")] | length), ([.[].messages[].parts[]] | length), ([.[].messages[].parts[] | select(.type == "tool")] | length)]' "$D".show.*.json 2>&1)" \
        "[$msgs,$user,$parts,$tools]" "$N: totals $msgs messages ($user user), $parts parts, $tools tool calls"
}

# ===================================================================
# json-1.1.65: the G1 JSON tree
# ===================================================================
copy_set json-1.1.65
PROJ=ad7d588f95ae9038956dbf81bccbfa2a08b866e1
WT=/home/dev/src/ledger-api
S1=ses_e035d618fffeFVUP389hVquc61
S2=ses_e035d5419ffekS23Vk2VrZei3I
S3=ses_e035d3b41ffe3qLy5PIsDqpvVj
S4=ses_e035d3a4cffe5VK85de4hvU3jq
check_sources 4 0 4 '[]' 86
list_sessions
check_listing_shape 4
sj_eq '[.[].id]' "[\"$S2\",\"$S3\",\"$S4\",\"$S1\"]" "$N: sessions order by time updated: calm-circuit, tidy-comet, quiet-nebula, mighty-sailor"
check_listed $S1 mighty-sailor "" "Fake session title" 1.1.65 json $WT $PROJ 3 10 206 40 true
check_listed $S2 calm-circuit "" "Fake session title" 1.1.65 json $WT $PROJ 9 34 614 120 true
check_listed $S3 tidy-comet "" "Fake session title" 1.1.65 json $WT $PROJ 3 10 208 40 true
check_listed $S4 quiet-nebula $S3 "Say hi (@general subagent)" 1.1.65 json $WT $PROJ 2 5 104 20 true
sj_eq "[.[] | select(.id == \"$S1\") | .time_created_ms, .time_updated_ms]" '[1795239878256,1795239878818]' \
    "$N: $S1 created 1795239878256, updated 1795239878818"
sj_eq "[.[] | select(.id == \"$S2\") | .time_created_ms, .time_updated_ms]" '[1795239881702,1795239896441]' \
    "$N: $S2 created 1795239881702, updated 1795239896441 (third turn)"

check_show $S1 1 2 10 "reasoning=2 step-finish=2 step-start=2 text=3 tool=1" 0 "bash:completed" 206 40 '[]' "stop=1 tool-calls=1"
check_show $S2 3 6 34 "file=1 patch=1 reasoning=6 step-finish=6 step-start=6 text=11 tool=3" 2 \
    "write:completed,todowrite:error,todowrite:completed" 614 120 '[]' "stop=3 tool-calls=3"
check_show $S3 1 2 10 "reasoning=2 step-finish=2 step-start=2 text=3 tool=1" 0 "task:completed" 208 40 "[\"$S4\"]" "stop=1 tool-calls=1"
check_show $S4 1 1 5 "reasoning=1 step-finish=1 step-start=1 text=2" 0 "" 104 20 '[]' "stop=1"
for s in $S1 $S2 $S3 $S4; do check_order_json $s; done
check_totals 17 6 59 5
assert_eq "$(jq -s -c '[.[].messages[] | select(.role == "assistant") | .finish] | group_by(.) | map("\(.[0])=\(length)")' "$D".show.*.json)" \
    '["stop=6","tool-calls=5"]' "$N: assistant finish over all sessions: stop 6, tool-calls 5"
show_eq $S1 "[.title, .version, .directory, .project_id, .parent_id]" "[\"Fake session title\",\"1.1.65\",\"$WT\",\"$PROJ\",null]" \
    "$N: show $S1: title, version, directory, project"
show_eq $S4 "[.title, .parent_id]" "[\"Say hi (@general subagent)\",\"$S3\"]" "$N: show $S4: child of $S3"
show_eq $S3 "[$(part_q prt_1fca2c5d0001MkPbA4xvvGE7e9) | .tool, .call_id, .status, .child_session_id, (.output | startswith(\"task_id: $S4 (for resuming to continue this task if needed)\"))]" \
    "[\"task\",\"call_fake_2\",\"completed\",\"$S4\",true]" "$N: task part names the child session and its output starts 'task_id: $S4'"
show_eq $S1 "[$(part_q prt_1fca29ff3001XdysFHFPkZajCd) | .tool, .call_id, .status, .output]" \
    '["bash","call_fake_2","completed","hello-from-tool\n"]' "$N: bash part output 'hello-from-tool\\n'"
show_eq $S2 "[$(part_q prt_1fca2adce001Ls5ldHWu7cnzF5) | .tool, .status, .input.filePath]" \
    "[\"write\",\"completed\",\"$WT/hello.txt\"]" "$N: write part filePath $WT/hello.txt"
show_eq $S2 "[$(part_q prt_1fca2ba080012CKHGfwSylNjGZ) | .tool, .call_id, .status, (.error | startswith(\"Error: The todowrite tool was called with invalid arguments\")), has(\"output\")]" \
    '["todowrite","call_fake_1","error",true,false]' "$N: failing todowrite: status error, error starts 'Error: The todowrite tool was called with invalid arguments', no output"
show_eq $S2 "[$(part_q prt_1fca2e4b90010oudQ9ajfy4DiQ) | .tool, .status, (.input.todos | map(.id))]" \
    '["todowrite","completed",["1","2"]]' "$N: retried todowrite completed with todo ids 1, 2"
show_eq $S2 "[.messages[].parts[] | select(.type == \"file\") | .mime, .filename, .url]" \
    "[\"text/plain\",\"README.md\",\"file://$WT/README.md\"]" "$N: file part text/plain README.md file://$WT/README.md"
show_eq $S2 "[.messages[].parts[] | select(.type == \"patch\") | .hash, .files]" \
    "[\"e41d01d3fa3a741c63720d5e2f03f891be1dcea6\",[\"$WT/hello.txt\"]]" "$N: patch part hash and files"
show_eq $S2 '.files' "[\"$WT/hello.txt\"]" "$N: show $S2 lists the touched file hello.txt"
show_eq $S2 '[.messages[0].parts[] | select(.synthetic == true) | .text | startswith("Called the Read tool with the following input: ")] | .[0]' \
    'true' "$N: first synthetic text is the harness's Read call"
check_prompts $S1 '["\"Please run a shell command that prints hello-from-tool.\"\n"]'
check_prompts $S2 '["\"Create hello.txt please, see attached readme\"\n","\"Now make a todo list\"\n","\"Retry the todo list, this time with ids\"\n"]'
check_prompts $S3 '["\"Delegate a greeting to a subagent\"\n"]'
check_prompts $S4 '["Reply with a greeting."]'
show_eq $S4 '[.messages[] | select(.role == "assistant") | .parts[] | select(.type == "text") | .text]' \
    '["Hello! This is a canned reply from the fake local model."]' "$N: the child session's reply"
show_eq $S1 '[.messages[] | select(.role == "assistant") | .parts[] | select(.type == "text") | .text]' \
    '["Let me run a command.","The tool finished. Done (bash)."]' "$N: assistant texts of $S1 in order"

# show by unique prefix (the child: ses_e035d3a4 is unique)
run_cairn "$D.prefix.json" "$D.prefix.err" show ses_e035d3a4 --source "opencode=$D" --json
expect_clean "show by unique prefix ses_e035d3a4" "$D.prefix.err"
assert_eq "$(jq -r '.id' "$D.prefix.json" 2>&1)" "$S4" "$N: show ses_e035d3a4 finds $S4"
check_unchanged "every file but *-shm is byte-for-byte unchanged after all runs"

# ===================================================================
# sqlite-1.18.33: the G2 database (main file partly checkpointed + WAL)
# ===================================================================
copy_set sqlite-1.18.33
PROJ=d41da699e8788335ca5b902edfcebdbd25640be8
WT=/home/dev/src/webshop
S1=ses_e035dec6effeeawMfBf3ow9Lhu
S2=ses_e035dac2fffeH5WBeLVQN8Sx4g
S3=ses_e035d9f5bffej2hRsw2xiIksZT
S4=ses_e035d8e55ffe9Gs48272emcUqO
check_sources 4 4 0 '["opencode.db"]' 0
list_sessions
check_listing_shape 4
check_listed $S1 cosmic-planet "" "Fake session title" 1.18.33 sqlite $WT $PROJ 6 20 408 80 false
check_listed $S2 jolly-otter "" "Fake session title" 1.18.33 sqlite $WT $PROJ 3 10 206 40 false
check_listed $S3 quick-lagoon $S2 "Say hi (@general subagent)" 1.18.33 sqlite $WT $PROJ 2 5 103 20 false
check_listed $S4 brave-nebula "" "Fake session title" 1.18.33 sqlite $WT $PROJ 3 14 205 40 false
sj_eq "[.[] | {(.id): .agent_name}] | add" \
    "{\"$S4\":\"build\",\"$S2\":\"build\",\"$S3\":\"general\",\"$S1\":\"build\"}" "$N: agents build, build, general, build"
sj_eq "[.[] | select(.id == \"$S1\" or .id == \"$S2\" or .id == \"$S3\" or .id == \"$S4\") | .time_created_ms] | sort" \
    '[1795239842705,1795239859153,1795239862436,1795239866794]' "$N: session creation times"
sj_eq "[.[] | select(.id == \"$S1\") | .time_created_ms] == [1795239842705]" 'true' "$N: $S1 created 1795239842705"
TODO_REASON=$UAF_BUG
sj_eq "[.[] | .source_path] | unique" "[\"$D/opencode.db\"]" "$N: source_path of every session is the database"
sj_eq '[([.[].tokens.input] | add), ([.[].tokens.output] | add)]' '[922,180]' "$N: tokens over sessions: input 922, output 180"

check_show $S1 2 4 20 "reasoning=4 step-finish=4 step-start=4 text=6 tool=2" 0 "bash:completed,todowrite:completed" 408 80 '[]' "stop=2 tool-calls=2"
check_show $S2 1 2 10 "reasoning=2 step-finish=2 step-start=2 text=3 tool=1" 0 "task:completed" 206 40 "[\"$S3\"]" "stop=1 tool-calls=1"
check_show $S3 1 1 5 "reasoning=1 step-finish=1 step-start=1 text=2" 0 "" 103 20 '[]' "stop=1"
check_show $S4 1 2 14 "file=1 patch=1 reasoning=2 step-finish=2 step-start=2 text=5 tool=1" 2 "write:completed" 205 40 '[]' "stop=1 tool-calls=1"
for s in $S1 $S2 $S3 $S4; do check_order_sqlite $s; done
check_totals 14 5 49 4
show_eq $S3 "[.title, .parent_id, .version, .directory, .project_id]" \
    "[\"Say hi (@general subagent)\",\"$S2\",\"1.18.33\",\"$WT\",\"$PROJ\"]" "$N: show $S3: child of $S2, version, directory, project"
show_eq $S2 "[$(part_q prt_1fca2608f001eMu0Oqz49WR7Ft) | .tool, .call_id, .status, .child_session_id, .input, (.output | startswith(\"<task id=\\\"$S3\\\" state=\\\"completed\\\">\"))]" \
    "[\"task\",\"call_fake_2\",\"completed\",\"$S3\",{\"description\":\"Say hi\",\"prompt\":\"Reply with a greeting.\",\"subagent_type\":\"general\"},true]" \
    "$N: task part: input, child session, output starts '<task id=\"$S3\" state=\"completed\">'"
show_eq $S1 "[$(part_q prt_1fca222b6001PL5a6H6p0GivZZ) | .tool, .call_id, .status, .title, .input, .output]" \
    '["bash","call_fake_2","completed","echo hello-from-tool",{"command":"echo hello-from-tool","description":"Print a test string"},"hello-from-tool\n"]' \
    "$N: bash part: input, title, output"
show_eq $S1 "[$(part_q prt_1fca240570017kT2PVN7JKnq7F) | .tool, .call_id, .status, .title, (.input.todos | length)]" \
    '["todowrite","call_fake_1","completed","2 todos",2]' "$N: todowrite part: 2 todos"
show_eq $S4 "[$(part_q prt_1fca27d11001zr71bd2TvGPSh4) | .tool, .status, .title, .input.filePath, .input.content]" \
    "[\"write\",\"completed\",\"hello.txt\",\"$WT/hello.txt\",\"hello from the fake model\\n\"]" "$N: write part: filePath and content"
show_eq $S4 "[.messages[].parts[] | select(.type == \"file\") | .mime, .filename, .url]" \
    "[\"text/plain\",\"README.md\",\"file://$WT/README.md\"]" "$N: file part text/plain README.md file://$WT/README.md"
show_eq $S4 "[.messages[].parts[] | select(.type == \"patch\") | .hash, .files]" \
    "[\"cacce68b4c4e0f1667c6e5869cdd8bbac2a9242a\",[\"$WT/hello.txt\"]]" "$N: patch part hash and files"
show_eq $S4 '[.messages[0].parts[] | select(.synthetic == true) | .text][0]' \
    "\"Called the Read tool with the following input: {\\\"filePath\\\":\\\"$WT/README.md\\\"}\"" "$N: synthetic Read-call text as stored"
check_prompts $S1 '["\"Please run a shell command that prints hello-from-tool.\"","\"Now make a todo list\""]'
check_prompts $S2 '["\"Delegate a greeting to a subagent\""]'
check_prompts $S3 '["Reply with a greeting."]'
check_prompts $S4 '["\"Create hello.txt please, see attached readme\""]'
show_eq $S1 '[.messages[] | select(.role == "assistant") | .parts[] | select(.type == "text") | .text]' \
    '["Let me run a command.","The tool finished. Done (bash).","Let me run a command.","The tool finished. Done (todo)."]' \
    "$N: assistant texts of $S1 in order"
check_unchanged "every file but *-shm is byte-for-byte unchanged after all runs"

# ===================================================================
# json-then-sqlite-no-import: 4 sessions only in JSON + 1 only in SQLite
# ===================================================================
copy_set json-then-sqlite-no-import
PROJ=ad7d588f95ae9038956dbf81bccbfa2a08b866e1
WT=/home/dev/src/ledger-api
WT2=/home/dev/src/ledger-api-next
S1=ses_e035d618fffeFVUP389hVquc61
S2=ses_e035d5419ffekS23Vk2VrZei3I
S3=ses_e035d3b41ffe3qLy5PIsDqpvVj
S4=ses_e035d3a4cffe5VK85de4hvU3jq
S5=ses_e035ceb8fffe3D4fVSVpIsjA7X
check_sources 5 1 4 '["opencode.db"]' 72
list_sessions
check_listing_shape 5
check_listed $S1 mighty-sailor "" "Fake session title" 1.1.65 json $WT $PROJ 3 10 206 40 true
check_listed $S2 calm-circuit "" "Fake session title" 1.1.65 json $WT $PROJ 6 24 410 80 true
check_listed $S3 tidy-comet "" "Fake session title" 1.1.65 json $WT $PROJ 3 10 208 40 true
check_listed $S4 quiet-nebula $S3 "Say hi (@general subagent)" 1.1.65 json $WT $PROJ 2 5 104 20 true
check_listed $S5 playful-eagle "" "Fake session title" 1.18.33 sqlite $WT2 $PROJ 3 10 205 40 false
sj_eq "[.[] | select(.id == \"$S5\") | .time_created_ms, .time_updated_ms, .agent_name]" \
    '[1795239908464,1795239912630,"build"]' "$N: $S5 created 1795239908464, updated 1795239912630, agent build"
sj_eq '[.[].id] | length == (unique | length)' 'true' "$N: no session listed twice (0 shared)"

check_show $S1 1 2 10 "reasoning=2 step-finish=2 step-start=2 text=3 tool=1" 0 "bash:completed" 206 40 '[]' "stop=1 tool-calls=1"
check_show $S2 2 4 24 "file=1 patch=1 reasoning=4 step-finish=4 step-start=4 text=8 tool=2" 2 \
    "write:completed,todowrite:error" 410 80 '[]' "stop=2 tool-calls=2"
check_show $S3 1 2 10 "reasoning=2 step-finish=2 step-start=2 text=3 tool=1" 0 "task:completed" 208 40 "[\"$S4\"]" "stop=1 tool-calls=1"
check_show $S4 1 1 5 "reasoning=1 step-finish=1 step-start=1 text=2" 0 "" 104 20 '[]' "stop=1"
check_show $S5 1 2 10 "reasoning=2 step-finish=2 step-start=2 text=3 tool=1" 0 "bash:completed" 205 40 '[]' "stop=1 tool-calls=1"
for s in $S1 $S2 $S3 $S4; do check_order_json $s; done
check_order_sqlite $S5
check_totals 17 6 59 5
assert_eq "$(jq -s -c '[.[].messages[].parts[] | select(.type == "tool") | .status] | group_by(.) | map("\(.[0])=\(length)")' "$D".show.*.json)" \
    '["completed=4","error=1"]' "$N: tool calls 4 completed, 1 error"
assert_eq "$(jq -s -c '[.[] | select(.id != "'$S5'") | .messages[].parts[].type] | group_by(.) | map("\(.[0])=\(length)")' "$D".show.*.json)" \
    '["file=1","patch=1","reasoning=9","step-finish=9","step-start=9","text=16","tool=4"]' "$N: JSON part types: text 16, reasoning 9, step-start 9, step-finish 9, tool 4, file 1, patch 1"
show_eq $S5 '[.messages[] | [.id, .role, (.finish // "-"), ([.parts[].type] | join(","))] | join(" ")]' \
    '["msg_1fca3154f001NeO9s0wCSiXzGe user - text","msg_1fca31afb001RuJrtTjLuqslZX assistant tool-calls step-start,reasoning,text,tool,step-finish","msg_1fca32357001ZErRCm1SG3rZlb assistant stop step-start,reasoning,text,step-finish"]' \
    "$N: SQLite session: messages in order with their parts by id"
show_eq $S5 "[.version, .directory, .project_id, (.messages[1].parts[] | select(.type == \"tool\") | .id, .call_id, .status)]" \
    "[\"1.18.33\",\"$WT2\",\"$PROJ\",\"prt_1fca321e1001UOozNo8ydCJ7CW\",\"call_fake_2\",\"completed\"]" "$N: SQLite session: version, directory, project, bash part"
show_eq $S2 "[.messages[].parts[] | select(.type == \"tool\" and .status == \"error\") | .id, .tool, (.error | startswith(\"Error: The todowrite tool was called with invalid arguments\"))]" \
    '["prt_1fca2ba080012CKHGfwSylNjGZ","todowrite",true]' "$N: the failing todowrite part"
check_prompts $S2 '["\"Create hello.txt please, see attached readme\"\n","\"Now make a todo list\"\n"]'
check_prompts $S5 '["\"After upgrade to 1.18.33: print hello\""]'
show_eq $S5 '[.messages[] | select(.role == "assistant") | .parts[] | select(.type == "text") | .text]' \
    '["Let me run a command.","The tool finished. Done (bash)."]' "$N: SQLite session: assistant texts"

# One project with both directories: --project matches any directory the
# project was seen at, so the SQLite checkout's name finds the JSON sessions
# too.  (Text listing: one line per session, starting with its id.)
for p in ledger-api-next "$WT" $PROJ; do
    run_cairn "$D.proj.txt" "$D.proj.err" sessions --project "$p" --source "opencode=$D"
    expect_clean "sessions --project $p" "$D.proj.err"
    assert_eq "$(grep -ac '^ses_' "$D.proj.txt")" 5 "$N: sessions --project $p lists all 5 sessions (one project, both directories)"
done
run_cairn "$D.proj.txt" "$D.proj.err" sessions --project /nowhere --source "opencode=$D"
assert_eq "$RC:$(grep -ac '^ses_' "$D.proj.txt")" "0:0" "$N: sessions --project /nowhere lists none, exit 0"
check_unchanged "every file but *-shm is byte-for-byte unchanged after all runs"

# ===================================================================
# The command line (on the json-1.1.65 copy)
# ===================================================================
N=cli
D=$WORK/json-1.1.65
run_cairn "$WORK/amb.out" "$WORK/amb.err" show ses_e035d --source "opencode=$D" --json
assert_eq "$RC" 1 "cli: show with an ambiguous prefix exits 1"
assert_match "$(cat "$WORK/amb.err")" "^cairn: 'ses_e035d' matches 4 sessions" "cli: ambiguous prefix: stderr says it matches 4 sessions"
assert_eq "$(wc -c <"$WORK/amb.out")" 0 "cli: ambiguous prefix: nothing on stdout"
run_cairn "$WORK/unk.out" "$WORK/unk.err" show ses_doesnotexist --source "opencode=$D"
assert_eq "$RC" 1 "cli: show with an unknown id exits 1"
assert_match "$(cat "$WORK/unk.err")" "^cairn: no session 'ses_doesnotexist'" "cli: unknown id: stderr names the id"
run_cairn "$WORK/unk.out" "$WORK/unk.err" show --source "opencode=$D"
assert_eq "$RC" 1 "cli: show without an id exits 1"
assert_match "$(cat "$WORK/unk.err")" "usage: cairn show SESSION_ID" "cli: show without an id prints its usage"

run_cairn "$WORK/h.out" "$WORK/h.err" --help
assert_eq "$RC" 0 "cli: --help exits 0"
assert_match "$(cat "$WORK/h.out")" "sources.*sessions.*show|^  sources" "cli: --help lists the commands"
for w in sources sessions show; do
    assert_contains "$(cat "$WORK/h.out")" "  $w " "cli: --help lists '$w'"
done
help_check()
{
    local cmd=$1
    shift
    run_cairn "$WORK/h.out" "$WORK/h.err" "$cmd" --help
    assert_eq "$RC" 0 "cli: $cmd --help exits 0"
    local missing="" o
    for o in "$@"; do
        grep -aqF -- "$o" "$WORK/h.out" || missing="$missing $o"
    done
    assert_eq "${missing# }" "" "cli: $cmd --help mentions $*"
}
help_check sources --source --json --quiet --verbose
help_check sessions --agent --project --since --until --source --json --quiet --verbose
help_check show SESSION_ID --source --json --quiet --verbose

for cmd in sources sessions show; do
    run_cairn "$WORK/o.out" "$WORK/o.err" $cmd --bogus --source "opencode=$D"
    assert_eq "$RC" 1 "cli: $cmd --bogus exits 1"
    assert_contains "$(cat "$WORK/o.err")" "'--bogus'" "cli: $cmd --bogus: stderr names the option"
done
run_cairn "$WORK/o.out" "$WORK/o.err" sessions --since
assert_eq "$RC" 1 "cli: sessions --since without a value exits 1"
run_cairn "$WORK/o.out" "$WORK/o.err" frobnicate
assert_eq "$RC" 1 "cli: an unknown command exits 1"
run_cairn "$WORK/o.out" "$WORK/o.err" sessions --source "nosuchagent=$D"
assert_eq "$RC" 1 "cli: --source with an unknown kind exits 1"
run_cairn "$WORK/o.out" "$WORK/o.err" sessions --source "opencode=$WORK/does-not-exist"
assert_eq "$RC" 1 "cli: --source naming a missing directory exits 1"
# A prefix of a known option is not that option: '--jso' must be refused,
# not silently ignored (main.c's allowed() accepts any substring of the usage).
run_cairn "$WORK/o.out" "$WORK/o.err" sessions --jso --source "opencode=$D"
[ "$RC" = 0 ] && TODO_REASON="cli bug: allowed() in src/cli/main.c accepts any substring of the usage line, so '--jso' is taken and ignored"
assert_eq "$RC" 1 "cli: sessions --jso (a prefix of --json) exits 1"

done_testing
