#!/usr/bin/env bash
# tests/integ/codex_fixtures.sh CAIRN SHARED_DIR - the real cairn binary against the Codex
# CLI fixtures in SHARED_DIR/fixtures/codex (0.50.0, 0.169.0, localpush = 0.104.0-alpha.1),
# then bad and compressed rollouts, then ingest + search.
#
# Each set is copied into a temp dir used as $CODEX_HOME (`--source codex=<copy>`), read
# with `sessions --json` and `show ID --json`, and checked against the facts of its
# EXPECTED.md: thread ids, times (UTC from session_meta, never the local-time folders),
# cwd, version, prompts (harness context marked synthetic, developer messages left out),
# assistant texts and reasoning (event_msg copies not indexed twice), tool calls by name
# and their pairing by call_id (unanswered ones pending), token totals (the last
# token_count, not a sum), the compacted record.  Where EXPECTED.md gives no number the
# fixture itself is the oracle (jq over the rollout).  Afterwards every file of the copy,
# the SQLite side indexes and their -shm included, must be byte-for-byte unchanged: cairn
# never opens them.
# Bad input (fresh copies): a partial last line (a file being written: exit 0, no issue),
# a garbage line, broken UTF-8 inside a string, a 20 MB line (each an issue naming
# "file:line", exit 2, the rest read, no crash), and with the zstd CLI: a .jsonl.zst read
# like the plain file, a plain + .zst pair read once, a .zst cut short (an issue naming
# the file, the lines before the cut kept).  Last: ingest into a temp store, search.
# TAP on stdout.
set -u
CAIRN=${1:?usage: codex_fixtures.sh CAIRN SHARED_DIR}
SHARED=${2:?usage: codex_fixtures.sh CAIRN SHARED_DIR}
. "$(dirname "$0")/lib.sh"
require_tools jq sha256sum timeout head tr
FIX=$SHARED/fixtures/codex
[ -d "$FIX/0.50.0" ] && [ -d "$FIX/0.169.0" ] && [ -d "$FIX/localpush" ] ||
    { echo "Bail out! no fixtures at $FIX"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-cxfix.XXXXXX")
trap 'chmod -R u+rwX "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
HAVE_ZSTD=0
command -v zstd >/dev/null 2>&1 && HAVE_ZSTD=1

run60()
{
    local out=$1 err=$2
    shift 2
    RC=0
    { timeout 60 "$CAIRN" "$@" >"$out" 2>"$err" || RC=$?; } 2>/dev/null
}

# every file, -shm included: nothing of the codex home is ever opened for writing
all_sums()
{
    (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

copy_set()
{
    N=$1
    D=$WORK/$N
    mkdir -p "$D"
    cp -R "$FIX/$N/." "$D/"
    chmod -R u+w "$D"
    all_sums "$D" >"$WORK/$N.sums.before"
}

list_sessions()
{
    run60 "$D.ses.json" "$D.ses.err" sessions --source "codex=$D" --json
    expect_clean "sessions --json" "$D.ses.err"
}

sj_eq()
{
    assert_eq "$(jq -c "$1" "$D.ses.json" 2>&1)" "$2" "$N: $3"
}

show()
{
    run60 "$D.show.$1.json" "$D.show.$1.err" show "$1" --source "codex=$D" --json
    expect_clean "show $1 --json" "$D.show.$1.err"
}

show_eq()
{
    assert_eq "$(jq -c "$2" "$D.show.$1.json" 2>&1)" "$3" "$N: show $1: $4"
}

PROMPTS='[.messages[] | select(.role == "user") | .parts[] | select(.type == "text" and (.synthetic | not)) | .text]'
REPLIES='[.messages[] | select(.role == "assistant") | .parts[] | select(.type == "text") | .text]'
REASONING='[.messages[].parts[] | select(.type == "reasoning") | .text]'
ROLES='[.messages[].role]'
TOOLS='[.messages[].parts[] | select(.type == "tool")]'

# Facts every thread has: ids unique and in line order, one part id per part.
check_ids()
{
    local id=$1
    show_eq "$id" "[.messages[].id | startswith(\"$id:\")] | all" true "message ids are <thread>:<line>"
    show_eq "$id" '[.messages[].id | split(":")[1] | tonumber] | . == sort and . == unique' true \
        "messages in file order, ids unique"
    show_eq "$id" '[.messages[].parts[].id] | length == (unique | length)' true "part ids unique"
}

# ===================================================================
# 0.169.0: one thread, 23 lines, SQLite side indexes beside it
# ===================================================================
copy_set 0.169.0
T=01a1fca5-456a-7782-864b-2ab791d51a39
WT=/home/dev/src/invoice-parser
list_sessions
sj_eq 'length' 1 "sessions --json lists 1 thread"
sj_eq "[.[0] | .id, .agent, .origin, .version, .directory, .project_id, .title, .parent_id]" \
    "[\"$T\",\"codex\",\"jsonl\",\"0.169.0\",\"$WT\",\"$WT\",\"Please run a shell command that prints hello-from-tool.\",null]" \
    "thread $T: codex, jsonl, version 0.169.0, cwd $WT as directory and project, title = the prompt"
sj_eq '[.[0] | .created, .updated, .time_created_ms, .time_updated_ms]' \
    '["2026-11-21T05:47:32.090Z","2026-11-21T05:47:32.357Z",1795240052090,1795240052357]' \
    "created = session_meta.payload.timestamp, updated = the last line"
sj_eq '[.[0].tokens | .input, .cache_read, .output, .reasoning, .cache_write] + [.[0].tokens_computed]' \
    '[203,0,40,10,0,false]' "tokens = the last token_count total: input 203, cached 0, output 40, reasoning 10"
sj_eq '[.[0] | .messages, .parts]' '[4,6]' "4 messages, 6 parts"
show $T
show_eq $T "$ROLES" '["user","user","assistant","assistant"]' "roles user (harness), user, assistant, assistant (developer message left out)"
show_eq $T "$PROMPTS" '["Please run a shell command that prints hello-from-tool."]' "the one typed prompt"
show_eq $T "[.messages[0].parts[] | .synthetic, (.text | startswith(\"<environment_context>\")), (.text | contains(\"<cwd>$WT</cwd>\"))]" \
    '[true,true,true]' "the <environment_context> message is kept as synthetic text"
show_eq $T '[.messages[].parts[] | .text // "" | select(contains("skills_instructions"))] | length' 0 \
    "the developer (skills) message is not indexed"
show_eq $T "$REASONING" '["**Planning**\n\nI should run a shell command."]' "the reasoning summary"
show_eq $T "$REPLIES" '["Let me run a command.","The command printed hello-from-tool. Done."]' \
    "assistant texts once each (item_completed copies not indexed)"
show_eq $T '[.messages[2].parts[].type]' '["reasoning","text","tool"]' "one model response: reasoning, text, tool call"
show_eq $T "[$TOOLS[] | .tool, .call_id, .status, .input, (.output | endswith(\"Output:\\nhello-from-tool\\n\"))]" \
    '["exec_command","call_fake0001","completed",{"cmd":"echo hello-from-tool"},true]' \
    "function_call + function_call_output = one completed tool part, arguments as JSON, output ends 'Output:\\nhello-from-tool\\n'"
show_eq $T "[.messages[] | .model] " '[null,null,"gpt-fake","gpt-fake"]' "assistant messages carry turn_context.model"
check_ids $T
check_unchanged "every file of the codex home (SQLite indexes and -shm included) is unchanged" all_sums

# ===================================================================
# 0.50.0: 18 lines, no ordinal, event copies before their items, JSON-string output
# ===================================================================
copy_set 0.50.0
T=01a1fca5-6720-7992-8bd1-8472229a2fea
WT=/home/dev/src/dotfiles
F50=sessions/2026/11/21/rollout-2026-11-21T05-47-40-$T.jsonl
list_sessions
sj_eq "[.[] | .id, .version, .directory, .project_id, .title, .created, .updated]" \
    "[\"$T\",\"0.50.0\",\"$WT\",\"$WT\",\"Please run a shell command that prints hello-from-tool.\",\"2026-11-21T05:47:40.704Z\",\"2026-11-21T05:47:40.996Z\"]" \
    "thread $T: version, cwd, title, created (session_meta), updated (line 18)"
sj_eq '[.[0].tokens | .input, .cache_read, .output, .reasoning]' '[203,0,40,10]' \
    "tokens 203/0/40/10: the last total, not the sum of the 4 token_count events (121 twice)"
show $T
show_eq $T "$ROLES" '["user","user","assistant","assistant"]' "roles user (harness), user, assistant, assistant"
show_eq $T "$PROMPTS" '["Please run a shell command that prints hello-from-tool."]' \
    "one prompt (the event_msg user_message copy is not a message)"
show_eq $T '[.messages[0].parts[] | .synthetic, (.text | startswith("<environment_context>"))]' '[true,true]' \
    "the <environment_context> message is synthetic"
show_eq $T "$REPLIES" '["Let me run a command.","The command printed hello-from-tool. Done."]' \
    "assistant texts once each (agent_message copies come first and are not indexed)"
show_eq $T "$REASONING" '["**Planning**\n\nI should run a shell command."]' "one reasoning part (agent_reasoning copy not indexed)"
show_eq $T "[$TOOLS[] | .tool, .call_id, .status, .input, .output]" \
    '["shell","call_fake0001","completed",{"command":["bash","-lc","echo hello-from-tool"]},"hello-from-tool\n"]' \
    "shell call paired with its output; the JSON-string output unwrapped to 'hello-from-tool\\n'"
check_ids $T
check_unchanged "every file of the codex home (SQLite indexes and -shm included) is unchanged" all_sums

# ===================================================================
# localpush: 6 real threads of Codex Desktop 0.104.0-alpha.1, writer at UTC+1
# ===================================================================
copy_set localpush
list_sessions
sj_eq 'length' 6 "6 threads"
sj_eq '[.[].id] | sort' '["019c8a4c-ed82-79a1-aa28-7738fc5ab61a","019c8a4d-8f45-7010-8b5d-7fad920aa6f9","019c8a53-a0dd-7130-bcd7-95445d84846a","019c8a59-e9dd-71f0-9ae3-4079fe9726a9","019c8a70-dda7-7f33-98ea-f30553347322","019c8bfe-ec25-79e0-97d7-bda6a9c575ff"]' \
    "thread ids = the file name uuids"
sj_eq '[.[].version] | unique' '["0.104.0-alpha.1"]' "version 0.104.0-alpha.1"
sj_eq '[.[].project_id] | unique | length' 4 "4 distinct working directories (projects)"
sj_eq '[.[] | (.source_path | capture("rollout-(?<t>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2})-") | .t | sub("T(?<h>..)-(?<m>..)-(?<s>..)$"; "T\(.h):\(.m):\(.s)Z") | fromdate) - (.time_created_ms / 1000 | floor)] | unique' \
    '[3600]' "every file-name (local) time is exactly 1 h after the UTC time read from session_meta"
# id created updated cwd input cached output reasoning
while read -r id created updated cwd tin tcache tout treason; do
    sj_eq "[.[] | select(.id == \"$id\") | .created, .updated, .directory, .project_id]" \
        "[\"$created\",\"$updated\",\"$cwd\",\"$cwd\"]" "thread $id: created $created, updated $updated, cwd $cwd"
    # cairn's input is the uncached part: input_tokens - cached_input_tokens
    sj_eq "[.[] | select(.id == \"$id\") | .tokens | .input, .cache_read, .output, .reasoning]" \
        "[$((tin - tcache)),$tcache,$tout,$treason]" "thread $id: tokens $tin/$tcache/$tout/$treason (last total; input less cached)"
done <<'EOF'
019c8a4c-ed82-79a1-aa28-7738fc5ab61a 2026-02-23T11:40:23.298Z 2026-02-23T12:45:33.362Z /redacted/path/fa3f7eaace 7204025 6836352 36075 17896
019c8a4d-8f45-7010-8b5d-7fad920aa6f9 2026-02-23T11:41:04.709Z 2026-02-23T11:46:43.618Z /redacted/path/da0ba47443 1751428 1651968 14600 4293
019c8a53-a0dd-7130-bcd7-95445d84846a 2026-02-23T11:47:42.429Z 2026-02-23T12:57:50.942Z /redacted/path/59b923df4d 6740973 6337024 36950 17085
019c8a59-e9dd-71f0-9ae3-4079fe9726a9 2026-02-23T11:54:34.334Z 2026-02-24T12:09:44.294Z /redacted/path/59b923df4d 33810485 31621504 133999 42113
019c8a70-dda7-7f33-98ea-f30553347322 2026-02-23T12:19:38.535Z 2026-02-23T12:19:52.689Z /redacted/path/da0ba47443 34469 3456 431 264
019c8bfe-ec25-79e0-97d7-bda6a9c575ff 2026-02-23T19:34:25.573Z 2026-02-23T19:36:02.635Z /redacted/path/ea96e59ed9 298373 238848 1123 483
EOF
assert_match "$(jq -r '.[] | select(.id == "019c8a59-e9dd-71f0-9ae3-4079fe9726a9") | .source_path' "$D.ses.json")" \
    '/sessions/2026/02/23/rollout-2026-02-23T12-54-34-019c8a59' \
    "$N: thread D stays in its start day's folder 2026/02/23 while it ends 2026-02-24 (UTC)"

NOT_REDACTED='map(select(.tool | startswith("[REDACTED_NAME") | not)) | group_by(.tool) | map("\(.[0].tool)=\(length)") | join(" ")'
# id user-items prompts replies tools(all) web_search redacted-calls/distinct pending compacted tools-by-name
while IFS='|' read -r id users prompts replies tools web redacted pending compacted byname; do
    show "$id"
    f=$D/sessions/2026/02/23/$(cd "$D/sessions/2026/02/23" && ls | grep "$id")
    show_eq "$id" '[.messages[] | select(.role == "user")] | length' "$users" "$users user messages (typed and harness)"
    show_eq "$id" '[.messages[] | select(.role == "user" and any(.parts[]; .synthetic | not))] | length' "$prompts" \
        "$prompts typed prompts (= event_msg user_message count), the rest synthetic"
    show_eq "$id" '[.messages[] | select(.role == "user" and all(.parts[]; .synthetic))] | map(.parts[0].text) | map(startswith("[REDACTED_TEXT")) | all' true \
        "harness messages are redacted text (told apart by the missing prompt event)"
    show_eq "$id" "$REPLIES | length" "$replies" "$replies assistant texts (= agent_message count: copies not indexed twice)"
    want=$(jq -s '[.[] | select(.type == "response_item" and .payload.type == "reasoning") | ([.payload.summary[]?.text // empty | select(length > 0)] | length)] | add' "$f")
    show_eq "$id" "$REASONING | length" "$want" "$want reasoning parts (summary texts in the rollout)"
    show_eq "$id" "$TOOLS | length" "$tools" "$tools tool parts (function, custom and web_search calls)"
    show_eq "$id" "$TOOLS | map(select(.tool == \"web_search\")) | length" "$web" "$web web_search calls"
    show_eq "$id" "$TOOLS | map(select(.tool != \"web_search\")) | $NOT_REDACTED" "\"$byname\"" "calls by name: $byname"
    show_eq "$id" "$TOOLS | map(select(.tool | startswith(\"[REDACTED_NAME\"))) | \"\(length)/\(map(.tool) | unique | length)\"" \
        "\"$redacted\"" "$redacted calls with a redacted name (calls/distinct)"
    show_eq "$id" "$TOOLS | map(select(.status == \"pending\") | .call_id)" "$pending" "unanswered calls pending: $pending"
    show_eq "$id" "$TOOLS | map(select(.status == \"pending\" or .tool == \"web_search\" | not) | .status == \"completed\" and has(\"output\")) | all" \
        true "every answered call is completed with its output"
    show_eq "$id" '[.messages[] | select(.role == "system") | [.created, (.parts | map(.type))]]' "$compacted" "compacted records: $compacted"
    want=$(jq -r 'select(.type == "event_msg" and .payload.type == "user_message") | .payload.message' "$f" | head -1 |
        sed 's/REDACTED_MESSAGE/REDACTED_TEXT/')
    show_eq "$id" '.title' "\"$want\"" "title = the first typed prompt $want"
    check_ids "$id"
done <<'EOF'
019c8a4c-ed82-79a1-aa28-7738fc5ab61a|10|5|43|105|1|0/0|[]|[]|apply_patch=22 exec_command=71 update_plan=2 write_stdin=9
019c8a4d-8f45-7010-8b5d-7fad920aa6f9|3|1|17|118|0|0/0|[]|[]|exec_command=116 write_stdin=2
019c8a53-a0dd-7130-bcd7-95445d84846a|13|7|52|144|0|0/0|["call_BpTazJ89W9PntRqGPwDNfwEY"]|[]|apply_patch=10 exec_command=118 update_plan=2 write_stdin=14
019c8a59-e9dd-71f0-9ae3-4079fe9726a9|46|38|255|372|7|5/4|[]|[["2026-02-24T09:51:48.878Z",["compaction","text"]]]|apply_patch=49 exec_command=212 list_mcp_resource_templates=1 list_mcp_resources=1 mcp__associates-tools__List_Budgets=1 mcp__n8n-mcp__n8n_health_check=1 mcp__supabase_right_aim_ops__execute_sql=22 mcp__supabase_right_aim_ops__list_tables=1 update_plan=2 write_stdin=70
019c8a70-dda7-7f33-98ea-f30553347322|4|1|1|1|0|0/0|["call_UtYwHmwWekzvq83m8Rb9K8jJ"]|[]|exec_command=1
019c8bfe-ec25-79e0-97d7-bda6a9c575ff|3|1|6|5|0|1/1|[]|[]|mcp__cloud-associates__execute_workflow=3 mcp__cloud-associates__search_workflows=1
EOF
assert_eq "$(jq -s -c '[.[].messages[].id] | length == (unique | length)' "$D".show.*.json)" true \
    "$N: message ids unique over all 6 threads"
assert_eq "$(jq -s -c '[.[].messages[].parts[] | select(.type == "tool") | .status] | group_by(.) | map("\(.[0])=\(length)")' "$D".show.*.json)" \
    '["completed=743","pending=2"]' "$N: 745 tool parts over all threads, 2 unanswered"
assert_eq "$(jq -s -c '[.[].messages[].parts[] | select(.type == "tool" and (.input | type) == "string")] | length' "$D".show.*.json)" \
    "$(cat "$D"/sessions/2026/02/23/*.jsonl | jq -s '[.[] | select(.type == "response_item" and (.payload.type == "function_call" or .payload.type == "custom_tool_call"))] | length')" \
    "$N: redacted arguments (not JSON) and custom tool input are kept as JSON strings"
check_unchanged "every file of the codex home (SQLite indexes and -shm included) is unchanged" all_sums

# ===================================================================
# Bad input: a fresh copy of 0.50.0 per case, one thing broken
# ===================================================================
K=0
new_case()
{
    K=$((K + 1))
    N="bad$K $1"
    D=$WORK/case$K
    mkdir -p "$D"
    cp -R "$FIX/0.50.0/sessions" "$D/"
    chmod -R u+w "$D"
    F=$D/$F50
}

# sessions --json: exit status, issue lines (on stderr), messages of the one thread
read_case()
{
    run60 "$D.out" "$D.err" sessions --source "codex=$D" --json
    local crash
    crash=$(crash_report "$D.err")
    [ -z "$crash" ] && ok "$N: no crash or sanitizer report" || not_ok "$N: no crash or sanitizer report" "$crash"
}

T=01a1fca5-6720-7992-8bd1-8472229a2fea
new_case "partial last line"
printf '%s' '{"timestamp":"2026-11-21T05:47:41.000Z","type":"response_item","payload":{"type":"message","role":"assi' >>"$F"
read_case
assert_eq "$RC:$(grep -c 'cairn: issue:' "$D.err")" "0:0" "$N: a rollout being written (partial last line): exit 0, no issue"
assert_eq "$(jq -c '[.[0] | .messages, .parts, .tokens.input, .updated]' "$D.out" 2>&1)" '[4,6,203,"2026-11-21T05:47:40.996Z"]' \
    "$N: every complete line read, the partial one left for later"

new_case "cut inside the last line"
head -c $(($(wc -c <"$F") - 40)) "$F" >"$F.tmp" && mv "$F.tmp" "$F"
read_case
assert_eq "$RC:$(grep -c 'cairn: issue:' "$D.err")" "0:0" "$N: exit 0, no issue"
assert_eq "$(jq -c '[.[0] | .messages, .tokens.input]' "$D.out" 2>&1)" '[3,203]' \
    "$N: 3 messages (the last reply is not complete yet), tokens from line 17"

new_case "garbage line"
sed -i '5i this is { not json' "$F"
read_case
assert_eq "$RC" 2 "$N: exit 2 (done with issues)"
assert_match "$(cat "$D.err")" "cairn: issue: $D/$F50:5: not valid JSON" "$N: the issue names file:5"
assert_eq "$(grep -c 'cairn: issue:' "$D.err")" 1 "$N: exactly one issue"
assert_eq "$(jq -c '[.[0] | .messages, .parts, .tokens.input]' "$D.out" 2>&1)" '[4,6,203]' "$N: the rest of the file is read"

new_case "broken UTF-8 inside a string"
{ head -n 3 "$F"; printf '{"timestamp":"2026-11-21T05:47:40.893Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"bad \xc3\x28 bytes"}]}}\n'; tail -n +4 "$F"; } >"$F.tmp" && mv "$F.tmp" "$F"
read_case
assert_eq "$RC" 2 "$N: exit 2"
assert_match "$(cat "$D.err")" "cairn: issue: $D/$F50:4: not valid JSON.*UTF-8" "$N: the issue names file:4 and UTF-8"
assert_eq "$(jq -c '[.[0] | .messages, .parts, .tokens.input]' "$D.out" 2>&1)" '[4,6,203]' "$N: the rest of the file is read"

new_case "20 MB line"
{ head -n 3 "$F"
  printf '{"timestamp":"2026-11-21T05:47:40.893Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"'
  head -c 20971520 /dev/zero | tr '\0' x
  printf '"}]}}\n'
  tail -n +4 "$F"; } >"$F.tmp" && mv "$F.tmp" "$F"
read_case
assert_eq "$RC" 2 "$N: exit 2"
assert_match "$(cat "$D.err")" "cairn: issue: $D/$F50:4: line of 20971[0-9]+ bytes is over the limit" "$N: the issue names file:4 and the limit"
assert_eq "$(jq -c '[.[0] | .messages, .parts, .tokens.input]' "$D.out" 2>&1)" '[4,6,203]' "$N: the rest of the file is read"

if [ "$HAVE_ZSTD" = 1 ]; then
    new_case ".jsonl.zst only"
    zstd -q --rm "$F"
    read_case
    assert_eq "$RC:$(grep -c 'cairn: issue:' "$D.err")" "0:0" "$N: exit 0, no issue"
    assert_eq "$(jq -c '[.[] | .id, .messages, .parts, .tokens.input, (.source_path | endswith(".jsonl.zst"))]' "$D.out" 2>&1)" \
        "[\"$T\",4,6,203,true]" "$N: read like the plain rollout"

    new_case "plain and .zst of one thread"
    zstd -q -k "$F"
    read_case
    assert_eq "$(jq -c '[.[] | .id, (.source_path | endswith(".jsonl"))]' "$D.out" 2>&1)" "[\"$T\",true]" \
        "$N: listed once, read from the plain file (Codex prefers it)"

    K=$((K + 1))
    N="bad$K .zst cut short"
    D=$WORK/case$K
    TD=019c8a59-e9dd-71f0-9ae3-4079fe9726a9
    mkdir -p "$D/sessions/2026/02/23"
    FD=sessions/2026/02/23/rollout-2026-02-23T12-54-34-$TD.jsonl
    zstd -q -c "$FIX/localpush/$FD" | head -c 60000 >"$D/$FD.zst"
    read_case
    assert_eq "$RC" 2 "$N: exit 2"
    assert_match "$(cat "$D.err")" "cairn: issue: $D/$FD.zst: .*cut short" "$N: the issue names the file and says cut short"
    assert_eq "$(jq -c "[.[] | .id, .created, (.messages > 10 and .messages < 333)]" "$D.out" 2>&1)" \
        "[\"$TD\",\"2026-02-23T11:54:34.334Z\",true]" "$N: the lines before the cut are read (some of the 333 messages)"
else
    skip "compressed rollouts" "no zstd CLI"
fi

# ===================================================================
# ingest into a temp store, then search
# ===================================================================
N=ingest
H=$WORK/home
mkdir -p "$H"
cp -R "$FIX/0.50.0/sessions" "$H/"
cp -R "$FIX/0.169.0/sessions/." "$H/sessions/"
chmod -R u+w "$H"
export CAIRN_DATA_DIR=$WORK/data
run60 "$WORK/ing.out" "$WORK/ing.err" ingest --source "codex=$H"
expect_clean "ingest --source codex=DIR" "$WORK/ing.err"
assert_match "$(cat "$WORK/ing.out")" "^ingest: 2 new, 0 changed, 0 unchanged" "$N: 2 new threads"
run60 "$WORK/s.json" "$WORK/s.err" search hello-from-tool --agent codex --json
expect_clean "search hello-from-tool --agent codex --json" "$WORK/s.err"
assert_eq "$(jq -c '[.hits[] | select(.type == "tool") | .session_id] | unique' "$WORK/s.json" 2>&1)" \
    '["01a1fca5-456a-7782-864b-2ab791d51a39","01a1fca5-6720-7992-8bd1-8472229a2fea"]' \
    "$N: search finds the tool call of both threads"
assert_eq "$(jq -c '[.hits[] | select(.type == "tool") | .agent, .tool] | unique' "$WORK/s.json" 2>&1)" \
    '["codex","exec_command","shell"]' "$N: hits are codex tool parts (exec_command, shell)"
assert_eq "$(jq -c '[.hits[] | select(.type == "tool" and .tool == "exec_command") | .snippet | contains("Output: **hello-from-tool**")]' "$WORK/s.json" 2>&1)" \
    '[true]' "$N: the exec_command hit is its output text ('Output: hello-from-tool')"
run60 "$WORK/s4.json" "$WORK/s4.err" search '"Wall time"' --agent codex --json
assert_eq "$(jq -c '[.hits[] | .type, .tool, .session_id]' "$WORK/s4.json" 2>&1)" \
    '["tool","exec_command","01a1fca5-456a-7782-864b-2ab791d51a39"]' "$N: words only in the tool output find the call"
run60 "$WORK/s2.json" "$WORK/s2.err" search hello-from-tool --agent codex --role user --json
assert_eq "$(jq -c '[.hits[] | .role, .type] | unique' "$WORK/s2.json" 2>&1)" '["text","user"]' \
    "$N: --role user finds the prompts"
run60 "$WORK/s3.json" "$WORK/s3.err" search hello-from-tool --agent opencode --json
assert_eq "$(jq -c '.hits | length' "$WORK/s3.json" 2>&1)" 0 "$N: --agent opencode finds none of them"
run60 "$WORK/ing2.out" "$WORK/ing2.err" ingest --source "codex=$H"
assert_match "$(cat "$WORK/ing2.out")" "^ingest: 0 new, 0 changed, 2 unchanged" "$N: a second ingest changes nothing"

done_testing
