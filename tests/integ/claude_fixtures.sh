#!/usr/bin/env bash
# tests/integ/claude_fixtures.sh CAIRN SHARED_DIR - the real cairn binary
# against the Claude Code fixture sets in SHARED_DIR/fixtures/claude.
#
# Each set is copied into a fresh temp dir first and read with
# `--source claude=<copy>`: 2.1.329 as a config dir (projects/ tree with a
# sub-agent), episodic-memory as a flat folder of transcripts.  `sessions
# --json` and `show ID --json` are checked against every fact of the set's
# EXPECTED.md that the records can show: sessions and sub-agent links,
# tokens counted once per response, responses, tool calls with names and
# statuses, typed prompts vs harness text, assistant texts as stored, cost,
# directory, version, titles, time ranges, api_error retries.  Where
# EXPECTED.md gives no list (the order of texts, tool outputs, time ranges of
# 2.1.329), the fixture itself is the oracle, read with jq.  Then `ingest`
# into a temp store, `search`, and a re-ingest that finds nothing new.
# Every file of the copies must be byte-for-byte unchanged afterwards.
# TAP on stdout.
set -u
CAIRN=${1:?usage: claude_fixtures.sh CAIRN SHARED_DIR}
SHARED=${2:?usage: claude_fixtures.sh CAIRN SHARED_DIR}
. "$(dirname "$0")/lib.sh"
require_tools jq sha256sum timeout
FIX=$SHARED/fixtures/claude
[ -d "$FIX/2.1.329" ] && [ -d "$FIX/episodic-memory" ] || { echo "Bail out! no fixtures at $FIX"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-ccfix.XXXXXX")
trap 'chmod -R u+rwX "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT

# run_cairn with `timeout 60` (the brief's bound; lib.sh's is 20).
run60()
{
    local out=$1 err=$2
    shift 2
    RC=0
    { timeout 60 "$CAIRN" "$@" >"$out" 2>"$err" || RC=$?; } 2>/dev/null
}

# Known gaps (see the report).
NO_MSG_PARENT="cli gap: show --json prints no parent_id for messages (cairn_message.parent_id is set by the reader but cmd_show.c never writes it)"

copy_set()
{
    N=$1
    D=$WORK/$N
    mkdir -p "$D"
    cp -R "$FIX/$N/." "$D/"
    rm -f "$D/EXPECTED.md" "$D/NOTICE.md"
    chmod -R u+rwX "$D"
    tree_sums "$D" >"$WORK/$N.sums.before"
}

list_sessions()
{
    run60 "$D.ses.json" "$D.ses.err" sessions --source "claude=$D" --json
    expect_clean "sessions --json" "$D.ses.err"
}

# jq over the listing
sj_eq()
{
    assert_eq "$(jq -c "$1" "$D.ses.json" 2>&1)" "$2" "$3"
}

# One listed session: [title, parent_id, directory, project_id, version, agent, origin]
# and [tokens in, out, cache_write, cache_read, cost].
check_listed()
{
    local id=$1 title=$2 parent=$3 dir=$4 version=$5 tin=$6 tout=$7 cw=$8 cr=$9 cost=${10}
    local q=".[] | select(.id == \"$id\")"
    sj_eq "[$q | .title, .parent_id, .directory, .project_id, .version, .agent, .origin]" \
        "$(jq -nc --arg t "$title" --arg p "$parent" --arg d "$dir" --arg v "$version" \
            '[$t, (if $p == "" then null else $p end), (if $d == "" then null else $d end),
              (if $d == "" then null else $d end), (if $v == "" then null else $v end),
              "claude-code", "jsonl"]')" \
        "$N: sessions lists $id: title, parent ${parent:-none}, directory ${dir:-none}, version ${version:-none}"
    sj_eq "[$q | .tokens.input, .tokens.output, .tokens.cache_write, .tokens.cache_read, .tokens.reasoning, .cost]" \
        "[$tin,$tout,$cw,$cr,0,$cost]" \
        "$N: sessions lists $id: tokens in/out $tin/$tout, cache write/read $cw/$cr, cost $cost"
}

# show ID --json into $D.show.ID.json
show()
{
    local id=$1 f=$D.show.$1.json
    run60 "$f" "$f.err" show "$id" --source "claude=$D" --json
    expect_clean "show $id --json" "$f.err"
}

show_eq()
{
    assert_eq "$(jq -c "$2" "$D.show.$1.json" 2>&1)" "$3" "$4"
}

# Counts of one shown session: user/assistant/system messages, parts by type,
# tools "Name:status" in order, finish reasons.
check_shape()
{
    local id=$1 user=$2 asst=$3 sys=$4 types=$5 tools=$6 finish=$7
    show_eq "$id" '[.id, .agent, ([.messages[] | select(.role == "user")] | length), ([.messages[] | select(.role == "assistant")] | length), ([.messages[] | select(.role == "system")] | length)]' \
        "[\"$id\",\"claude-code\",$user,$asst,$sys]" "$N: show $id: $user user, $asst assistant, $sys system messages"
    assert_eq "$(jq -r '[.messages[].parts[].type] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$D.show.$id.json" 2>&1)" \
        "$types" "$N: show $id: parts by type $types"
    if [ -n "$tools" ]; then
        assert_eq "$(jq -r '[.messages[].parts[] | select(.type == "tool") | "\(.tool):\(.status)"] | join(",")' "$D.show.$id.json" 2>&1)" \
            "$tools" "$N: show $id: tool calls ${tools:0:200}"
    fi
    assert_eq "$(jq -r '[.messages[] | select(.role == "assistant") | .finish // "-"] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$D.show.$id.json" 2>&1)" \
        "$finish" "$N: show $id: assistant finish $finish"
}

# Typed prompts (non-synthetic text parts of user messages), exactly as stored.
check_prompts()
{
    show_eq "$1" '[.messages[] | select(.role == "user") | .parts[] | select(.type == "text" and (.synthetic | not)) | .text]' \
        "$2" "$N: show $1: typed prompts $2"
}

# Fixture oracles (jq over one transcript file F).
fx_texts()      { jq -c -s '[.[] | select(.type == "assistant") | .message.content[] | select(.type == "text") | .text]' "$1"; }
fx_responses()  { jq -s '[.[] | select(.type == "assistant") | "\(.message.id) \(.requestRef // .requestId)"] | unique | length' "$1"; }
fx_results()    { jq -c -s '[.[] | select(.type == "user") | .message.content | arrays | .[] | select(.type == "tool_result") | .content | if type == "string" then . else ([.[] | .text] | join("\n")) end]' "$1"; }
# outputs of the tool_uses in file order, each looked up by id among the results
fx_results_by_id() { jq -c -s '([.[] | select(.type == "user") | .message.content | arrays | .[] | select(.type == "tool_result") | {key: .tool_use_id, value: (.content | if type == "string" then . else ([.[] | .text] | join("\n")) end)}] | from_entries) as $r | [.[] | select(.type == "assistant") | .message.content[] | select(.type == "tool_use") | $r[.id]]' "$1"; }
# finish per response: its last non-null stop_reason, "-" when none
fx_finish() { jq -r -s '[.[] | select(.type == "assistant")] | group_by("\(.message.id) \(.requestId // .requestRef)") | map([.[].message.stop_reason | select(. != null)] | last // "-") | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$1"; }
fx_time_range() { jq -c -s '[[.[] | .timestamp // empty] | min, max]' "$1"; }

# ===================================================================
# 2.1.329: a config dir, 2 sessions + 1 sub-agent
# ===================================================================
copy_set 2.1.329
PD=$D/projects/-home-dev-src-photo-sync
WT=/home/dev/src/photo-sync
S1=885e989e-89d2-47f7-ac57-c3462bbfb3c0
S2=ea08a231-3cb2-499c-8645-88475d98c32d
SA=agent-a8b737ede6af0c161
F1=$PD/$S1.jsonl
F2=$PD/$S2.jsonl
FA=$PD/$S2/subagents/$SA.jsonl

list_sessions
sj_eq '[.[].id] | sort' "$(jq -nc --arg a $S1 --arg b $S2 --arg c $SA '[$a,$b,$c] | sort')" "$N: sessions lists 2 sessions and 1 sub-agent session"
check_listed $S1 "Please run a shell command that prints hello-from-tool." "" $WT 2.1.329 509 100 0 0 0.003027
check_listed $S2 "Delegate a greeting to a subagent" "" $WT 2.1.329 414 80 0 0 0.003663
check_listed $SA "Say hi" $S2 $WT 2.1.329 207 40 0 0 0
sj_eq "[.[] | select(.id == \"$SA\") | .agent_name]" '["general-purpose"]' "$N: the sub-agent's agent_name is meta.agentType general-purpose"
sj_eq '[([.[].tokens.input] | add), ([.[].tokens.output] | add)]' '[1130,220]' "$N: tokens over all sessions 1130/220"
sj_eq '[.[].tokens_computed] | unique' '[true]' "$N: tokens are summed from the responses (tokens_computed)"
for pair in "$S1:$F1" "$S2:$F2" "$SA:$FA"; do
    id=${pair%%:*} f=${pair#*:}
    sj_eq "[.[] | select(.id == \"$id\") | .created, .updated]" "$(fx_time_range "$f")" \
        "$N: $id created/updated = first/last timestamp of its file $(fx_time_range "$f")"
    sj_eq "[.[] | select(.id == \"$id\") | .source_path]" "[\"$f\"]" "$N: $id source_path is its file"
done

# ---- 885e989e: two runs in one file ----
show $S1
check_shape $S1 2 5 0 "reasoning=3 text=7 tool=3" "Bash:completed,Write:completed,Write:completed" "end_turn=2 tool_use=3"
assert_eq "$(jq '[.messages[] | select(.role == "assistant")] | length' "$D.show.$S1.json")" "$(fx_responses "$F1")" \
    "$N: show $S1: assistant messages = API responses (distinct requestRef) = 5"
check_prompts $S1 '["Please run a shell command that prints hello-from-tool.","Now create hello.txt"]'
show_eq $S1 '[.messages[].parts[] | select(.synthetic == true)] | length' 0 "$N: show $S1: no synthetic text"
show_eq $S1 '[.messages[] | select(.role == "assistant") | .parts[] | select(.type == "text") | .text]' \
    '["Let me run a command. ","The command printed hello-from-tool. Done. ","Let me run a command. ","Let me run a command. ","The command printed hello-from-tool. Done. "]' \
    "$N: show $S1: assistant texts in order with their trailing spaces as stored"
show_eq $S1 '[.messages[] | select(.role == "assistant") | .parts[] | select(.type == "text") | .text]' "$(fx_texts "$F1")" \
    "$N: show $S1: assistant texts equal the fixture's text blocks"
show_eq $S1 '[.messages[].parts[] | select(.type == "tool") | [.tool, .call_id]]' \
    '[["Bash","toolu_fake0001"],["Write","toolu_fake0001"],["Write","toolu_fake0002"]]' \
    "$N: show $S1: tool ids Bash toolu_fake0001, Write toolu_fake0001 (reused by run 2), Write toolu_fake0002"
show_eq $S1 '[.messages[].parts[] | select(.type == "tool") | .output]' "$(fx_results "$F1")" \
    "$N: show $S1: each tool's output is its own tool_result (reused id paired with the right use)"
show_eq $S1 '[.messages[].parts[] | select(.type == "tool" and .tool == "Bash") | .output, .input.command, .title]' \
    '["hello-from-tool","echo hello-from-tool","Print a test string"]' "$N: show $S1: Bash output hello-from-tool"
show_eq $S1 '[.messages[].parts[] | select(.type == "tool" and .tool == "Write") | .input.file_path, (.output | test("created|updated"; "i"))]' \
    "[\"$WT/hello.txt\",true,\"$WT/hello.txt\",true]" "$N: show $S1: both Writes name $WT/hello.txt (create, then update)"
show_eq $S1 '[.messages[].parts[] | select(.type == "tool" and (has("error") or .status == "error"))] | length' 0 \
    "$N: show $S1: no tool error"
show_eq $S1 '[.messages[].parts[] | select(.type == "reasoning") | .text] | unique' '["I should run a shell command."]' \
    "$N: show $S1: 3 thinking blocks as reasoning parts"
show_eq $S1 '[([.messages[].tokens.input] | add), ([.messages[].tokens.output] | add), .tokens.input, .tokens.output, .cost]' \
    '[509,100,509,100,0.003027]' "$N: show $S1: message tokens add up to 509/100 = the session's; cost 0.003027 (last cost-state)"
show_eq $S1 '[.messages[] | select(.role == "assistant") | .model, .provider] | unique' '["anthropic","claude-sonnet-4-5"]' \
    "$N: show $S1: model claude-sonnet-4-5, provider anthropic"
show_eq $S1 '[.title, .directory, .version, .parent_id, .children, .files]' \
    "[\"Please run a shell command that prints hello-from-tool.\",\"$WT\",\"2.1.329\",null,[],[\"$WT/hello.txt\"]]" \
    "$N: show $S1: title, directory, version, no parent, no children, files [hello.txt]"
show_eq $S1 '[.messages[].id]' \
    '["43320f3b-28e6-4e18-ad7c-15e23a57cf53","356395c8-90ee-4ffa-bd5a-e8f0898e343c","e34eb63e-d6c5-4ceb-8f0e-44619dbf849e","785b3d7d-f1c9-40d9-802d-f11296545230","1a878b1b-daaf-4a1a-9b77-c1dedfc6e2f6","84a2a016-c2a5-4b57-bed3-0338bba91804","829faf62-5dfb-438f-9f6b-41ef1b7bc41d"]' \
    "$N: show $S1: messages in file order, each named by its first line's uuid"
# Message parents: the reader links through attachment lines (5 of 15
# user/assistant lines have an attachment parent), but show --json has no
# field for it.
HAS_PARENT=$(jq '[.messages[] | has("parent_id")] | any' "$D.show.$S1.json")
[ "$HAS_PARENT" = false ] && TODO_REASON=$NO_MSG_PARENT
show_eq $S1 '[.messages[] | .parent_id] | .[1], .[3]' \
    '"43320f3b-28e6-4e18-ad7c-15e23a57cf53"
"e34eb63e-d6c5-4ceb-8f0e-44619dbf849e"' \
    "$N: show $S1: the first response's parent is its prompt (through 10 attachment lines); run 2's prompt's parent is run 1's last message e34eb63e"
[ "$HAS_PARENT" = false ] && TODO_REASON=$NO_MSG_PARENT
show_eq $S1 '[.messages[] | select(.parent_id == null)] | length' 1 "$N: show $S1: a single root message (the -c run links to run 1)"

# ---- ea08a231: the session that launched the sub-agent ----
show $S2
check_shape $S2 3 4 0 "reasoning=2 text=7 tool=2" "Agent:completed,Bash:completed" "end_turn=2 tool_use=2"
assert_eq "$(jq '[.messages[] | select(.role == "assistant")] | length' "$D.show.$S2.json")" "$(fx_responses "$F2")" \
    "$N: show $S2: assistant messages = API responses = 4"
check_prompts $S2 '["Delegate a greeting to a subagent"]'
show_eq $S2 '[.messages[] | select(.role == "user") | .parts[] | select(.synthetic == true) | .text[0:19]]' \
    '["<system-reminder>\n<","<task-notification>"]' "$N: show $S2: the isMeta <system-reminder> and the <task-notification> are synthetic"
show_eq $S2 '[.messages[] | select(.role == "user") | .parts[] | select(.synthetic == true) | .text | contains("/home/dev/.tmp/claude-0/-home-dev-src-photo-sync/ea08a231-3cb2-499c-8645-88475d98c32d/tasks/a8b737ede6af0c161.output")] | .[1]' \
    'true' "$N: show $S2: the task notification names its output file"
show_eq $S2 "[.messages[].parts[] | select(.type == \"tool\" and .tool == \"Agent\") | .call_id, .status, .title, .input.subagent_type, .input.description, .input.prompt, .child_session_id, (.output | startswith(\"Async agent launched successfully\"))]" \
    "[\"toolu_fake0001\",\"completed\",\"Say hi\",\"general-purpose\",\"Say hi\",\"Reply with a greeting.\",\"$SA\",true]" \
    "$N: show $S2: the Agent call: input, status, child_session_id $SA"
show_eq $S2 '[.messages[].parts[] | select(.type == "tool" and .tool == "Bash") | .call_id, .status, .output]' \
    '["toolu_fake0005","completed","hello-from-tool"]' "$N: show $S2: Bash toolu_fake0005 completed, output hello-from-tool"
show_eq $S2 '[.messages[].parts[] | select(.type == "tool") | .output]' "$(fx_results "$F2")" \
    "$N: show $S2: each tool's output is its own tool_result"
show_eq $S2 '[.messages[] | select(.role == "assistant") | .parts[] | select(.type == "text") | .text]' "$(fx_texts "$F2")" \
    "$N: show $S2: assistant texts equal the fixture's text blocks (trailing spaces kept)"
show_eq $S2 '[.children, .parent_id, .cost, .tokens.input, .tokens.output, .files]' \
    "[[\"$SA\"],null,0.003663,414,80,[]]" "$N: show $S2: children [$SA], cost 0.003663, tokens 414/80"

# ---- the sub-agent ----
show $SA
check_shape $SA 1 2 0 "reasoning=1 text=3 tool=1" "Bash:completed" "end_turn=1 tool_use=1"
assert_eq "$(jq '[.messages[] | select(.role == "assistant")] | length' "$D.show.$SA.json")" "$(fx_responses "$FA")" \
    "$N: show $SA: assistant messages = API responses = 2"
check_prompts $SA '["Reply with a greeting."]'
show_eq $SA '[.id, .parent_id, .title, .directory, .version, .children, .tokens.input, .tokens.output]' \
    "[\"$SA\",\"$S2\",\"Say hi\",\"$WT\",\"2.1.329\",[],207,40]" "$N: show $SA: parent $S2, title Say hi from .meta.json, tokens 207/40"
show_eq $SA '[.messages[].parts[] | select(.type == "tool") | .call_id, .output]' '["toolu_fake0003","hello-from-tool"]' \
    "$N: show $SA: Bash toolu_fake0003 answered"
show_eq $SA '[.messages[] | select(.role == "assistant") | .parts[] | select(.type == "text") | .text] | last' \
    '"The command printed hello-from-tool. Done. "' "$N: show $SA: last text as stored"
[ "$(jq '[.messages[] | has("parent_id")] | any' "$D.show.$SA.json")" = false ] && TODO_REASON=$NO_MSG_PARENT
show_eq $SA '.messages[0].parent_id' null "$N: show $SA: its first message is a root"

# ---- totals (EXPECTED.md: "Totals a reader should report") ----
TOT=$(jq -s -c '[
    ([.[].messages[] | select(.role == "user") | .parts[] | select(.type == "text" and (.synthetic | not))] | length),
    ([.[].messages[] | select(.role == "assistant")] | length),
    ([.[].messages[].parts[] | select(.type == "tool")] | length),
    ([.[].messages[].parts[] | select(.type == "tool" and (.output != null or .error != null))] | length),
    ([.[].messages[].parts[] | select(.type == "tool" and .status == "error")] | length),
    ([.[].messages[] | select(.role == "user")] | length) + ([.[].messages[].parts[] | select(.type == "tool" and .status != "pending")] | length),
    ([.[].tokens.input] | add), ([.[].tokens.output] | add)]' "$D.show.$S1.json" "$D.show.$S2.json" "$D.show.$SA.json" 2>&1)
assert_eq "$TOT" '[4,11,6,6,0,12,1130,220]' \
    "$N: totals: 4 typed prompts, 11 responses, 6 tool calls, 6 results, 0 errors, 12 user lines (messages + results), tokens 1130/220"

# ---- ingest and search ----
STORE=$WORK/store
run60 "$WORK/ing1.out" "$WORK/ing1.err" ingest --source "claude=$D" --data-dir "$STORE"
expect_clean "ingest" "$WORK/ing1.err"
assert_match "$(cat "$WORK/ing1.out" "$WORK/ing1.err")" '3 new, 0 changed' "$N: ingest: 3 new, 0 changed"
run60 "$WORK/srch.json" "$WORK/srch.err" search hello-from-tool --agent claude-code --tool Bash --data-dir "$STORE" --json
expect_clean "search hello-from-tool --agent claude-code --tool Bash" "$WORK/srch.err"
assert_eq "$(jq -c '[.hits[] | .session_id] | sort' "$WORK/srch.json" 2>&1)" "$(jq -nc --arg a $S1 --arg b $S2 --arg c $SA '[$a,$b,$c] | sort')" \
    "$N: search hello-from-tool --tool Bash finds the Bash call of each of the 3 sessions"
assert_eq "$(jq -c '[.hits[] | .agent, .tool, .type, .role] | unique' "$WORK/srch.json" 2>&1)" '["Bash","assistant","claude-code","tool"]' \
    "$N: search hits are claude-code Bash tool parts"
assert_eq "$(jq -c "[.hits[] | select(.session_id == \"$S1\") | .part_id, .directory]" "$WORK/srch.json" 2>&1)" \
    "[\"92014f25-8dbc-4882-b96c-86bf764f69df\",\"$WT\"]" "$N: search names the Bash part of $S1 and the project directory"
run60 "$WORK/srch2.json" "$WORK/srch2.err" search hello-from-tool --agent claude-code --tool Write --data-dir "$STORE" --json
assert_eq "$(jq '.hits | length' "$WORK/srch2.json" 2>&1)" 0 "$N: search hello-from-tool --tool Write finds nothing"
run60 "$WORK/srch3.json" "$WORK/srch3.err" search '"Delegate a greeting"' --agent claude-code --role user --data-dir "$STORE" --json
assert_eq "$(jq -c '[.hits[] | .session_id, .message_id]' "$WORK/srch3.json" 2>&1)" \
    "[\"$S2\",\"75928a9c-f5c0-4ed2-b142-0f5f50add756\"]" "$N: search a typed prompt with --role user finds its message"
run60 "$WORK/ing2.out" "$WORK/ing2.err" ingest --source "claude=$D" --data-dir "$STORE"
expect_clean "re-ingest" "$WORK/ing2.err"
assert_match "$(cat "$WORK/ing2.out" "$WORK/ing2.err")" '0 new, 0 changed, 3 unchanged' "$N: re-ingest: 0 new, 0 changed, 3 unchanged"
check_unchanged "every file of the copy is byte-for-byte unchanged after all runs"

# ===================================================================
# episodic-memory: a flat folder of five real transcripts
# ===================================================================
copy_set episodic-memory
TINY=67a8478e-78dc-44ab-82ea-f65c8ead85f6
SHORT=982581eb-41b9-46da-86c1-ac34168117a8
MED=medium-conversation
LARGE=0fae0449-64d3-4788-8622-d3a47d82c14b
LONG=9a9eadc8-c1f1-493e-a0f1-884aa996b05b
WT_TL=/Users/testuser/Documents/GitHub/projects/example-project/.worktrees/streaming
WT_S=/Users/testuser/.worktrees/example-feature/skills/collaboration/remembering-conversations/tool
WT_LONG=/Users/testuser/Documents/GitHub/example-org/example-project

list_sessions
sj_eq '[.[].id] | sort' "$(jq -nc --arg a $LARGE --arg b $SHORT --arg c $LONG --arg d $TINY --arg e $MED '[$a,$b,$c,$d,$e] | sort')" \
    "$N: one session per file, named by the lines' sessionId; medium-conversation (no conversation lines) by its file"
check_listed $TINY "Lately, I've noticed you being very tentative. \"I've identified a clear problem." "" $WT_TL 1.0.119 14 3 483 76406 0
check_listed $SHORT "Prerequisites Checking: Unveiling Hidden Requirements and Technical Nuances" "" $WT_S 2.0.9 4 1 0 16999 0
check_listed $MED "Debugging Complex Web App Authentication and State Management" "" "" "" 0 0 0 0 0
check_listed $LARGE "Clarifying AI Assistant's Action-Taking Guidelines" "" $WT_TL 1.0.120 360 22976 2395354 66925567 0
check_listed $LONG "please read the research and the resources directories. then talk to me about th" "" $WT_LONG 2.0.5 2005 3675 1129638 4890806 0
sj_eq "[.[] | select(.id == \"$TINY\") | .created, .updated]" '["2025-09-19T17:34:29.181Z","2025-09-19T17:36:33.487Z"]' "$N: tiny time range"
sj_eq "[.[] | select(.id == \"$SHORT\") | .created, .updated]" '["2025-10-08T20:52:16.536Z","2025-10-08T20:52:18.958Z"]' "$N: short time range"
sj_eq "[.[] | select(.id == \"$LARGE\") | .created, .updated]" '["2025-09-19T23:23:27.878Z","2025-09-20T05:11:57.594Z"]' "$N: large time range"
sj_eq "[.[] | select(.id == \"$LONG\") | .created, .updated]" '["2025-10-08T02:43:40.849Z","2025-10-08T17:01:22.291Z"]' "$N: long time range"
for pair in tiny:$TINY short:$SHORT medium:$MED large:$LARGE long:$LONG; do
    sj_eq "[.[] | select(.id == \"${pair#*:}\") | .source_path | ltrimstr(\"$D/\") | ltrimstr(\"./\")]" "[\"${pair%%:*}-conversation.jsonl\"]" \
        "$N: ${pair#*:} source_path is ${pair%%:*}-conversation.jsonl"
done

for id in $TINY $SHORT $MED $LARGE $LONG; do show $id; done

# parts: assistant text/thinking/tool_use, user string+text blocks, document, summaries
# finish: old versions wrote stop_reason null on most lines; the fixture is the oracle
check_shape $TINY 2 3 0 "text=5 tool=1" "mcp__private-journal__process_thoughts:completed" "$(fx_finish "$D/tiny-conversation.jsonl")"
check_shape $SHORT 1 1 1 "compaction=1 text=3" "" "$(fx_finish "$D/short-conversation.jsonl")"
check_shape $MED 0 0 1 "compaction=1 text=1" "" ""
# large: 172 assistant messages for its 170 responses (see the diag below);
# the fixture's finish per response is -=168 tool_use=2, the 2 continuations add 2 "-"
check_shape $LARGE 28 172 2 "compaction=2 text=156 tool=152" "" "-=170 tool_use=2"
check_shape $LONG 16 71 5 "file=1 reasoning=12 retry=5 text=48 tool=98" "" "$(fx_finish "$D/long-conversation.jsonl")"
for spec in "$TINY 3 0 1" "$SHORT 1 0 0" "$LARGE 126 0 152" "$LONG 33 12 98"; do
    set -- $spec
    show_eq $1 '[.messages[] | select(.role == "assistant") | .parts[] | .type] | [(map(select(. == "text")) | length), (map(select(. == "reasoning")) | length), (map(select(. == "tool")) | length)]' \
        "[$2,$3,$4]" "$N: show $1: assistant blocks: text $2, thinking $3, tool_use $4"
done
for spec in "$TINY 2" "$SHORT 1" "$LARGE 28" "$LONG 15"; do
    set -- $spec
    show_eq $1 '[.messages[] | select(.role == "user") | .parts[] | select(.type == "text")] | length' "$2" \
        "$N: show $1: $2 user text parts (string prompts + text blocks)"
done
show_eq $LONG '[.messages[] | select(.role == "user") | .parts[] | select(.type == "file")] | length' 1 "$N: show $LONG: the user document block is a file part"

# responses: usage is counted once per response, on the message holding its first line
for spec in "$TINY tiny 3" "$SHORT short 1" "$LARGE large 170" "$LONG long 71"; do
    set -- $spec
    f=$D/$2-conversation.jsonl
    assert_eq "$(fx_responses "$f")" "$3" "$N: $2: the fixture holds $3 API responses (message.id + requestId)"
    show_eq $1 '[.messages[] | select(.role == "assistant" and (.tokens.input + .tokens.output + .tokens.cache_read + .tokens.cache_write) > 0)] | length' \
        "$3" "$N: show $1: $3 assistant messages carry usage (one per API response)"
    show_eq $1 '[.messages[] | select(.role == "assistant") | .model] | unique | length' 1 "$N: show $1: one model"
done
show_eq $TINY '[.messages[] | select(.role == "assistant") | .model] | unique' '["claude-opus-4-1-20250805"]' "$N: tiny model claude-opus-4-1-20250805"
show_eq $SHORT '[.messages[] | select(.role == "assistant") | .model] | unique' '["claude-3-5-haiku-20241022"]' "$N: short model claude-3-5-haiku-20241022"
show_eq $LARGE '[.messages[] | select(.role == "assistant") | .model] | unique' '["claude-sonnet-4-20250514"]' "$N: large model claude-sonnet-4-20250514"
show_eq $LONG '[.messages[] | select(.role == "assistant") | .model] | unique' '["claude-sonnet-4-5-20250929"]' "$N: long model claude-sonnet-4-5-20250929"
diag "large: $(jq '[.messages[] | select(.role == "assistant")] | length' "$D.show.$LARGE.json") assistant messages for 170 responses: two responses are interleaved with other lines in the file, each continuation is its own message (usage stays once per response)"
for spec in "$LARGE large" "$LONG long" "$TINY tiny" "$SHORT short"; do
    set -- $spec
    show_eq $1 '[([.messages[].tokens.input] | add), ([.messages[].tokens.output] | add), ([.messages[].tokens.cache_write] | add), ([.messages[].tokens.cache_read] | add)] == [.tokens.input, .tokens.output, .tokens.cache_write, .tokens.cache_read]' \
        true "$N: show $2: message tokens add up to the session's"
done

# tool calls by name, results, errors, unpaired
tools_by_name()
{
    show_eq "$1" '[.messages[].parts[] | select(.type == "tool") | .tool] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "\"$2\"" "$N: show $1: tool_use by name $2"
}
tools_by_name $TINY "mcp__private-journal__process_thoughts=1"
tools_by_name $LARGE "Bash=77 Edit=43 Grep=1 Read=24 TodoWrite=5 mcp__private-journal__process_thoughts=2"
tools_by_name $LONG "Bash=28 Edit=14 Glob=2 Read=2 TodoWrite=11 WebFetch=10 WebSearch=10 Write=17 mcp__journal__process_thoughts=4"
for spec in "$TINY 1 0" "$LARGE 152 22" "$LONG 98 4"; do
    set -- $spec
    show_eq $1 '[.messages[].parts[] | select(.type == "tool")] | [length, (map(select(.status == "error")) | length), (map(select(.status == "completed")) | length), (map(select(.status != "completed" and .status != "error")) | length), (map(select(.status == "error" and .error != null and .output == null)) | length)]' \
        "[$2,$3,$(($2 - $3)),0,$3]" "$N: show $1: $2 tool calls, $3 is_error (with their error text), $(($2 - $3)) completed, 0 unpaired"
done
f=$D/large-conversation.jsonl
show_eq $LARGE '[.messages[].parts[] | select(.type == "tool") | .output // .error]' "$(fx_results_by_id "$f")" \
    "$N: show $LARGE: every tool's output or error is the tool_result with its id"
f=$D/long-conversation.jsonl
show_eq $LONG '[.messages[].parts[] | select(.type == "tool") | .output // .error]' "$(fx_results_by_id "$f")" \
    "$N: show $LONG: every tool's output or error is the tool_result with its id"

# summaries as titles and compaction text
show_eq $SHORT '[.messages[] | select(.role == "system") | .parts[] | select(.type == "text") | .text, .synthetic]' \
    '["Prerequisites Checking: Unveiling Hidden Requirements and Technical Nuances",true]' "$N: short: the summary line as a synthetic text"
show_eq $MED '[.title, (.messages[0].parts[] | select(.type == "text") | .text)]' \
    '["Debugging Complex Web App Authentication and State Management","Debugging Complex Web App Authentication and State Management"]' \
    "$N: medium: a title-only session holding its summary"
show_eq $LARGE '[.messages[] | select(.role == "system") | .parts[] | select(.type == "text") | .text]' \
    "[\"Debugging Complex Web App Authentication and Performance Issues\",\"Clarifying AI Assistant's Action-Taking Guidelines\"]" \
    "$N: large: both summary lines, in file order; the title is the last"

# api_error system lines in long: retry parts
show_eq $LONG '[.messages[] | select(.role == "system") | [.parts[].type] | join(",")]' '["retry","retry","retry","retry","retry"]' \
    "$N: long: 5 api_error lines are 5 system messages of one retry part each"
show_eq $LONG '[.messages[].parts[] | select(.type == "retry") | .attempt]' \
    "$(jq -s -c '[.[] | select(.type == "system" and .subtype == "api_error") | .retryAttempt]' "$D/long-conversation.jsonl")" \
    "$N: long: retry attempts as recorded (retryAttempt)"

# prompts: first typed prompt, harness strings synthetic
first_prompt_q()
{
    assert_eq "$(jq --arg p "$2" '[.messages[] | select(.role == "user") | .parts[] | select(.type == "text" and (.synthetic | not)) | .text][0] | startswith($p)' "$D.show.$1.json" 2>&1)" \
        true "$N: show $1: first typed prompt starts '${2:0:60}'"
}
first_prompt_q $TINY "Lately, I've noticed you being very tentative. \"I've identified a clear problem."
first_prompt_q $SHORT "Summarize this part of a conversation in 2-3 sentences."
first_prompt_q $LARGE "I see four uncommitted files?"
first_prompt_q $LONG "please read the research and the resources directories. then talk to me about th"
show_eq $LARGE '[.messages[] | select(.role == "user") | .parts[] | select(.type == "text") | select(.text | startswith("[Request interrupted by user")) | [.text, .synthetic]] | group_by(.) | map([.[0][0], .[0][1], length])' \
    '[["[Request interrupted by user for tool use]",true,2],["[Request interrupted by user]",true,2]]' \
    "$N: large: 2 + 2 '[Request interrupted by user ...]' markers are synthetic"
show_eq $LARGE '[.messages[] | select(.role == "user") | .parts[] | select(.type == "text") | select(.text | startswith("Caveat: The messages below were generated by the user while running local commands") or startswith("<command-name>/context")) | .synthetic]' \
    '[true,true]' "$N: large: the Caveat meta prompt and <command-name>/context are synthetic"
show_eq $LONG '[.messages[] | select(.role == "user") | .parts[] | select(.type == "text" and (.synthetic | not))] | length' \
    "$(jq -s '[.[] | select(.type == "user" and (.isMeta | not)) | .message.content | strings | select(test("^\\s*(<|Caveat: |\\[Request interrupted)") | not)] | length' "$D/long-conversation.jsonl")" \
    "$N: long: every string prompt that is not harness text is a typed prompt"

# the dangling-parent file (large: 0 roots, 1 dangling parent) reads whole
show_eq $LARGE '[(.messages | length), ([.messages[] | select(.role == "user")][0].parts[0].text // "" | startswith("I see four uncommitted files?")), ([.messages[] | select(.role != "system")][0].id)]' \
    "[202,true,\"$(jq -r -s '[.[] | select(.type == "user" or .type == "assistant")][0].uuid' "$D/large-conversation.jsonl")\"]" \
    "$N: large (first line's parent absent): all 202 messages read, the first one is the first conversation line, its prompt 'I see four uncommitted files?'"

# ---- ingest the flat folder ----
STORE=$WORK/store-em
run60 "$WORK/ing3.out" "$WORK/ing3.err" ingest --source "claude=$D" --data-dir "$STORE"
expect_clean "ingest" "$WORK/ing3.err"
assert_match "$(cat "$WORK/ing3.out")" '5 new, 0 changed' "$N: ingest: 5 new, 0 changed"
run60 "$WORK/srch4.json" "$WORK/srch4.err" search "uncommitted" --session $LARGE --role user --data-dir "$STORE" --json
assert_eq "$(jq -c '[.hits[] | .session_id] | unique' "$WORK/srch4.json" 2>&1)" "[\"$LARGE\"]" "$N: search 'uncommitted' --session finds the large session's prompt"
run60 "$WORK/ing4.out" "$WORK/ing4.err" ingest --source "claude=$D" --data-dir "$STORE"
assert_match "$(cat "$WORK/ing4.out")" '0 new, 0 changed, 5 unchanged' "$N: re-ingest: 0 new, 0 changed, 5 unchanged"
check_unchanged "every file of the copy is byte-for-byte unchanged after all runs"

done_testing
