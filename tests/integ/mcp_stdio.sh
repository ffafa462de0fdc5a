#!/usr/bin/env bash
# cairn mcp: MCP over stdio (JSON-RPC 2.0, newline-delimited) - lifecycle, version
# negotiation, tools/list and tools/call of every tool, tool errors as isError results,
# JSON-RPC errors, batches, an over-long line, EOF, max_tokens and resources.
set -u
CAIRN=$1
. "$(dirname "$0")/lib.sh"
require_tools jq python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-mcp.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
unset CAIRN_DATA_DIR CAIRN_TOKEN
D=$WORK/store
FIX=${2:?usage: $0 CAIRN SHARED_DIR}/fixtures/opencode/sqlite-1.18.33
S=ses_e035dec6effeeawMfBf3ow9Lhu

cp -r "$FIX" "$WORK/oc"
run_cairn "$WORK/ingest.out" "$WORK/ingest.err" ingest --source "opencode=$WORK/oc" --data-dir "$D"
assert_eq "$RC" 0 "ingest of the opencode fixture"

# mcp NAME: runs `cairn mcp` over the lines of $WORK/NAME.in; stdout in NAME.out,
# stderr in NAME.err, the exit status in RC; OUT names the output
mcp()
{
    mcp_with "$1" --project p
}
# mcp_with NAME [ARGS...]: the same, with ARGS instead of --project p (none: the project
# comes from the client's roots or the working directory)
mcp_with()
{
    local name=$1
    shift
    OUT=$WORK/$name.out
    RC=0
    { timeout 20 "$CAIRN" mcp --data-dir "$D" "$@" <"$WORK/$name.in" >"$OUT" 2>"$WORK/$name.err" || RC=$?; } 2>/dev/null
}
# req ID METHOD [PARAMS]: one request line
req()
{
    if [ -n "${3:-}" ]; then
        printf '{"jsonrpc":"2.0","id":%s,"method":"%s","params":%s}\n' "$1" "$2" "$3"
    else
        printf '{"jsonrpc":"2.0","id":%s,"method":"%s"}\n' "$1" "$2"
    fi
}
init() { req "$1" initialize "{\"protocolVersion\":\"$2\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}"; }
call() { req "$1" tools/call "{\"name\":\"$2\",\"arguments\":$3}"; }
# ans ID [FILTER]: the answer with that id (jq -c FILTER over it)
ans() { jq -c "select(type == \"object\" and .id == $1) | ${2:-.}" "$OUT" 2>&1; }
# text ID FILTER: FILTER over the JSON of the tool result's content[0].text
text() { jq -c "select(type == \"object\" and .id == $1) | .result.content[0].text | fromjson | $2" "$OUT" 2>&1; }
# all_jsonrpc NAME: every stdout line is a JSON-RPC message (or a batch of them)
all_jsonrpc()
{
    local bad
    bad=$(python3 - "$OUT" <<'EOF'
import json, sys
bad = 0
for line in open(sys.argv[1], 'rb'):
    try:
        v = json.loads(line)
        items = v if isinstance(v, list) else [v]
        if not items or any(not isinstance(i, dict) or i.get('jsonrpc') != '2.0' for i in items):
            bad += 1
    except Exception:
        bad += 1
print(bad)
EOF
)
    assert_eq "$bad" 0 "$1: stdout carries only JSON-RPC lines"
}

# ---- the main session (2025-06-18) ----
{
    init 1 2025-06-18
    printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    req 2 ping
    req 3 tools/list
    call 10 memory_save '{"key":"db","value":"use WAL zorblax"}'
    call 11 memory_save '{"key":"db","value":"WAL mode everywhere zorblax"}'
    call 12 memory_recall '{"key":"db"}'
    call 13 memory_recall '{}'
    call 14 memory_search '{"q":"zorblax"}'
    call 15 memory_history '{"key":"db"}'
    call 16 session_search '{"q":"todo"}'
    call 17 session_get "{\"session_id\":\"$S\"}"
    call 18 session_list '{}'
    call 27 session_get "{\"session_id\":\"$S\",\"messages\":2}"
    call 28 session_get "{\"session_id\":\"$S\",\"messages\":1000,\"max_tokens\":50}"
    call 29 session_get "{\"session_id\":\"$S\",\"messages\":1000,\"max_tokens\":250}"
    call 19 context_append "{\"session_id\":\"$S\",\"file_path\":\"src/cart.c\",\"file_importance\":0.9,\"decision\":\"Use WAL mode for the store.\"}"
    call 20 context_get "{\"session_id\":\"$S\"}"
    call 21 session_summary "{\"session_id\":\"$S\"}"
    call 22 memory_suggestions "{\"session_id\":\"$S\"}"
    call 23 memory_save '{"project_id":"q","key":"other","value":"in q"}'
    call 24 memory_recall '{}'
    call 25 memory_forget '{"key":"db"}'
    call 26 memory_recall '{"key":"db"}'
    call 70 memory_restore '{"key":"db"}'
    call 71 memory_recall '{"key":"db"}'
    # failing tools
    call 30 memory_recall '{"key":"missing"}'
    call 31 context_get '{"session_id":"ses_nope"}'
    # JSON-RPC errors
    printf '%s\n' '{"jsonrpc":"2.0","id":40,"method":'
    printf '%s\n' '{"jsonrpc":"2.0","id":41}'
    req 42 no/such/method
    call 43 memory_save '{"key":3,"value":"x"}'
    req 44 tools/call '{"name":"memory_save","arguments":[1]}'
    call 45 session_search '{"q":"todo","max_tokens":0}'
    # a notification: no answer
    printf '%s\n' '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"memory_save","arguments":{"key":"silent","value":"x"}}}'
    call 46 session_search '{"q":"todo","max_tokens":10}'
    printf '%s\n' '[{"jsonrpc":"2.0","id":47,"method":"ping"}]'
    # resources
    req 50 resources/list
    req 51 resources/read '{"uri":"cairn://project/p/memories"}'
    req 52 resources/read "{\"uri\":\"cairn://session/$S/summary\"}"
    req 53 resources/read '{"uri":"cairn://nothing/here"}'
    req 54 resources/read '{"uri":"cairn://session/ses_nope/summary"}'
    req 60 ping
} >"$WORK/main.in"
mcp main
assert_eq "$RC" 0 "EOF: cairn mcp exits 0"
all_jsonrpc main
assert_eq "$(grep -c "" "$OUT")" 41 "one answer line per request, none for notifications"
crash=$(crash_report "$WORK/main.err")
assert_eq "$crash" "" "no sanitizer report"

# lifecycle
assert_eq "$(ans 1 .result.protocolVersion)" '"2025-06-18"' "initialize 2025-06-18: echoed"
assert_eq "$(ans 1 '.result.serverInfo.name')" '"cairn"' "initialize: serverInfo"
assert_eq "$(ans 1 '.result.capabilities | (has("tools") and has("resources"))')" true \
    "initialize: capabilities tools and resources"
assert_eq "$(ans 2 .result)" '{}' "ping: {}"

# tools/list
assert_eq "$(ans 3 '[.result.tools[].name] | sort')" \
    "$(jq -cn '["memory_save","memory_recall","memory_search","memory_forget","memory_restore","memory_history","session_search","session_get","session_list","context_append","context_get","session_summary","memory_suggestions"] | sort')" \
    "tools/list: exactly the thirteen tools (the issue's twelve and memory_restore)"
assert_eq "$(ans 3 '[.result.tools[] | select(.inputSchema.type != "object")] | length')" 0 \
    "tools/list: every inputSchema is of type object"
assert_eq "$(ans 3 '[.result.tools[] | .inputSchema.additionalProperties] | unique')" '[false]' \
    "tools/list: no inputSchema allows fields it does not name"
assert_eq "$(ans 3 '[.result.tools[] | select((.description | length) < 10)] | length')" 0 \
    "tools/list: every tool has a description"
assert_eq "$(ans 3 '.result.tools[] | select(.name == "memory_save") | .inputSchema.required | sort')" \
    '["key","value"]' "tools/list: memory_save requires key and value (project_id defaults)"
assert_eq "$(ans 3 '.result.tools[] | select(.name == "session_search") | .inputSchema.properties.max_tokens.type')" \
    '"integer"' "tools/list: session_search takes max_tokens"

# tools/call of every tool
assert_eq "$(ans 10 .result.isError)" false "memory_save: isError false"
assert_eq "$(text 10 '[.project_id, .key, .version, (.memory_id | startswith("mem_"))]')" '["p","db",1,true]' \
    "memory_save: project from --project, key, version 1, an id"
assert_eq "$(text 11 .version)" 2 "memory_save again: version 2"
assert_eq "$(ans 12 .result.isError)" false "memory_recall of a key: isError false"
assert_eq "$(text 12 '[.project_id, .memory.memory_key, .memory.memory_value]')" \
    '["p","db","WAL mode everywhere zorblax"]' "memory_recall of a key: the newest value"
assert_eq "$(text 13 '[.count, [.memories[].memory_key]]')" '[1,["db"]]' "memory_recall: the project's memories"
assert_eq "$(ans 14 .result.isError)" false "memory_search: isError false"
assert_eq "$(text 14 '[.count, .memories[0].memory_key]')" '[1,"db"]' "memory_search: finds the memory"
assert_eq "$(text 15 '[.count, [.versions[].version]]')" '[2,[2,1]]' "memory_history: both versions, newest first"
assert_eq "$(ans 16 .result.isError)" false "session_search: isError false"
assert_eq "$(text 16 '(.hits | length > 0) and ([.hits[].session_id] | index("'$S'") != null)')" true \
    "session_search: hits in the ingested session"
assert_eq "$(text 17 '[.session_id, .tool_id, .title]')" "[\"$S\",\"opencode\",\"Fake session title\"]" \
    "session_get: the session"
assert_eq "$(text 17 'has("last_messages")')" false "session_get: no messages unless asked"
assert_eq "$(text 27 '[.session_id, (.last_messages | length)]')" "[\"$S\",2]" "session_get messages=2: its last two messages"
assert_match "$(ans 28 .result.content[0].text)" "cut at max_tokens=50" "session_get messages=1000 max_tokens=50: cut, and says so"
assert_eq "$(ans 28 '.result.content[0].text | length <= 200 + 120')" true "session_get max_tokens=50: at most 200 bytes and the note"
# over the budget, a tool that only reads answers with fewer items rather than cut JSON
assert_eq "$(ans 29 '[(.result.content[0].text | length <= 1000), (.result.content[0].text | fromjson | .last_messages | length | . >= 1 and . < 6)]')" \
    '[true,true]' "session_get messages=1000 max_tokens=250: whole JSON within the budget, with fewer messages"
assert_eq "$(ans 29 '.result.content[0].text | fromjson | .last_messages[-1]')" "$(ans 27 '.result.content[0].text | fromjson | .last_messages[-1]')" \
    "session_get: the messages kept are the newest"
assert_match "$(ans 29 '.result.content[1].text')" "of the 1000 messages asked fit in max_tokens=250" "session_get: a second text says how many fit"
assert_eq "$(text 18 '.sessions | length')" 4 "session_list: the four sessions"
assert_eq "$(ans 19 .result.isError)" false "context_append: isError false"
assert_eq "$(text 19 '[.session_id, .context.files_accessed[0].path, .context.decisions[0].decision]')" \
    "[\"$S\",\"src/cart.c\",\"Use WAL mode for the store.\"]" "context_append: returns the context"
assert_eq "$(text 20 '.context.file_importance_scores')" '{"src/cart.c":0.9}' "context_get: the file and its importance"
assert_eq "$(text 21 '[.session_id, .files_touched, .decisions, (.messages_by_role | type)]')" \
    "[\"$S\",[\"src/cart.c\"],[\"Use WAL mode for the store.\"],\"object\"]" "session_summary: files, decisions, counts"
assert_eq "$(text 22 '[.suggestions[] | {rule, text}]')" '[{"rule":"decision","text":"Use WAL mode for the store."}]' \
    "memory_suggestions: the decision"
assert_eq "$(text 23 .project_id)" '"q"' "memory_save with project_id: that project"
assert_eq "$(text 24 '[.memories[].memory_key]')" '["db"]' "project p does not see project q's memory"
assert_eq "$(text 25 '[.key, .message]')" '["db","Memory forgotten (a restore brings it back)"]' "memory_forget"
assert_eq "$(ans 26 .result.isError)" true "memory_recall of a forgotten key: isError true"
assert_eq "$(text 70 '[.key, .message]')" '["db","Memory restored"]' "memory_restore"
assert_eq "$(ans 71 '.result.isError')" false "memory_recall after memory_restore: the memory is back"

# failing tools: results with isError, not JSON-RPC errors
assert_eq "$(ans 30 '[has("error"), .result.isError]')" '[false,true]' "memory_recall of a missing key: isError true"
assert_eq "$(text 30 .error.code)" '"not_found"' "memory_recall of a missing key: not_found"
assert_eq "$(ans 31 '[has("error"), .result.isError]')" '[false,true]' "context_get of an unknown session: isError true"
assert_contains "$(text 31 .error.message)" ses_nope "context_get of an unknown session: the message names it"

# JSON-RPC errors
assert_eq "$(jq -c 'select(.error.code == -32700) | .id' "$OUT")" null "invalid JSON: -32700 with id null"
assert_eq "$(ans 41 .error.code)" -32600 "a message without method: -32600"
assert_eq "$(ans 42 .error.code)" -32601 "an unknown method: -32601"
assert_eq "$(ans 43 .error.code)" -32602 "arguments.key a number: -32602"
assert_contains "$(ans 43 .error.message)" "'key'" "arguments.key a number: the error names key"
assert_eq "$(ans 44 .error.code)" -32602 "arguments not an object: -32602"
assert_contains "$(ans 44 .error.message)" "arguments" "arguments not an object: the error names arguments"
assert_eq "$(ans 45 .error.code)" -32602 "max_tokens 0: -32602"
assert_contains "$(ans 45 .error.message)" "max_tokens" "max_tokens 0: the error names max_tokens"

# max_tokens bounds the answer
t46=$(ans 46 '.result.content[0].text' | jq -r .)
head46=${t46%%$'\n'\[...*}
ok46=false
[ "${#head46}" -le 40 ] && [ "${#head46}" -lt "${#t46}" ] && ok46=true
assert_eq "$ok46" true "session_search with max_tokens 10: at most 40 bytes plus the cut note"
assert_contains "$t46" "cut at max_tokens=10" "the cut is said"
assert_eq "$(ans 46 .result.isError)" false "a cut answer is not an error"

assert_eq "$(jq -c 'select(type == "array")' "$OUT")" "" "after 2025-06-18 a batch is not answered as an array"
assert_eq "$(jq -c 'select(type == "object" and .id == null and .error.code == -32600) | .error.code' "$OUT")" -32600 \
    "after 2025-06-18 a batch is refused with -32600"

# resources
assert_eq "$(ans 50 '[.result.resources[].uri] | index("cairn://project/p/memories") != null')" true \
    "resources/list: the project's memories"
assert_eq "$(ans 50 "[.result.resources[].uri] | index(\"cairn://session/$S/summary\") != null")" true \
    "resources/list: session summaries"
assert_eq "$(ans 51 '.result.contents[0] | [.uri, (.text | fromjson | .project_id)]')" \
    '["cairn://project/p/memories","p"]' "resources/read of the memories"
assert_eq "$(ans 52 '.result.contents[0].text | fromjson | .session_id')" "\"$S\"" "resources/read of a session summary"
assert_eq "$(ans 53 '.error.code | type')" '"number"' "resources/read of an unknown uri: an error"
assert_eq "$(ans 54 'has("error")')" true "resources/read of an unknown session: an error"
assert_eq "$(ans 60 .result)" '{}' "the server answers after all the errors"

# a request without an id (a notification) gets no answer
printf '%s\n%s\n' "$(init 1 2025-06-18)" \
    '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"memory_recall","arguments":{"key":"nothing"}}}' >"$WORK/notif.in"
mcp notif
assert_eq "$(jq -c .id "$OUT" | tr '\n' ' ')" '1 ' "a request without an id: no answer"

# ---- versions and batches ----
{
    init 1 2025-03-26
    printf '%s\n' '[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":3,"method":"nope"}]'
    printf '%s\n' '[{"jsonrpc":"2.0","method":"notifications/initialized"}]'
    req 4 ping
} >"$WORK/v0326.in"
mcp v0326
all_jsonrpc v0326
assert_eq "$(ans 1 .result.protocolVersion)" '"2025-03-26"' "initialize 2025-03-26: echoed"
assert_eq "$(jq -c 'select(type == "array") | [.[] | .id]' "$OUT")" '[2,3]' \
    "after 2025-03-26 a batch is answered as an array (no entry for its notification)"
assert_eq "$(jq -c 'select(type == "array") | [.[0].result, .[1].error.code]' "$OUT")" '[{},-32601]' \
    "the batch's answers: ping and method not found"
assert_eq "$(grep -c '' "$OUT")" 3 "a batch of notifications only: no answer"

init 1 1999-01-01 >"$WORK/vunk.in"
mcp vunk
assert_eq "$(ans 1 .result.protocolVersion)" '"2025-06-18"' "initialize with an unknown version: 2025-06-18"

# ---- a 20 MB line ----
{
    init 1 2025-06-18
    python3 -c 'import sys; sys.stdout.write("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"pad\":\"" + "a" * (20 << 20) + "\"}}\n")'
    req 3 ping
} >"$WORK/big.in"
mcp big
assert_eq "$RC" 0 "a 20 MB line: exit 0 at EOF"
all_jsonrpc big
assert_eq "$(jq -c 'select(.error.code == -32700) | .id' "$OUT")" null "a 20 MB line: refused with -32700"
assert_eq "$(ans 2 .)" "" "a 20 MB line: not answered as a request"
assert_eq "$(ans 3 .result)" '{}' "a 20 MB line: the server stays up (the next ping is answered)"
assert_eq "$(crash_report "$WORK/big.err")" "" "a 20 MB line: no sanitizer report"

# a line just over the 16 MiB limit (by less than one 64 KiB read) is refused too
{
    python3 -c 'import sys; sys.stdout.write("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\",\"params\":{\"pad\":\"" + "a" * ((16 << 20) + 20000) + "\"}}\n")'
    req 3 ping
} >"$WORK/edge.in"
mcp edge
assert_eq "$(jq -c 'select(.id == null) | .error.code' "$OUT")" -32700 "a line of 16 MiB + 20000 bytes: refused with -32700"
assert_eq "$(ans 3 .result)" '{}' "after it the server answers"

# max_tokens over its advertised maximum is refused (never wrapped to a tiny budget)
{
    call 1 memory_save '{"key":"big","value":"a value longer than four bytes"}'
    call 2 memory_recall '{"key":"big","max_tokens":4611686018427387904}'
    call 3 memory_recall '{"key":"big","max_tokens":4611686018427387905}'
} >"$WORK/wrap.in"
mcp wrap
assert_eq "$(ans 2 '.error.code')" -32602 "max_tokens 2^62: refused with -32602"
assert_match "$(ans 2 '.error.message')" "max_tokens" "max_tokens 2^62: the error names max_tokens"
assert_eq "$(ans 3 '.error.code')" -32602 "max_tokens 2^62+1: refused with -32602"

# ---- the project from the client's roots ----
# a client offering roots is asked for them once initialized; the first file:// root
# (percent-decoded, no trailing slash) is the default project unless --project is given
{
    req 1 initialize '{"protocolVersion":"2025-06-18","capabilities":{"roots":{"listChanged":true}},"clientInfo":{"name":"t","version":"1"}}'
    printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    printf '%s\n' '{"jsonrpc":"2.0","id":"cairn-roots-1","result":{"roots":[{"uri":"https://example.com/x"},{"uri":"file:///home/dev/my%20proj/","name":"p"}]}}'
    call 2 memory_save '{"key":"rk","value":"from roots"}'
    printf '%s\n' '{"jsonrpc":"2.0","id":"not-ours","result":{}}'
    printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}'
    printf '%s\n' '{"jsonrpc":"2.0","id":"cairn-roots-2","error":{"code":-32601,"message":"no"}}'
    call 3 memory_recall '{"key":"rk"}'
    call 4 memory_recall '{"key":"rk","project_id":"p"}'
    # an answer to no request of ours (an old id, or one never sent) changes nothing
    printf '%s\n' '{"jsonrpc":"2.0","id":"cairn-roots-1","result":{"roots":[{"uri":"file:///elsewhere"}]}}'
    printf '%s\n' '{"jsonrpc":"2.0","id":"cairn-roots-9","result":{"roots":[{"uri":"file:///elsewhere"}]}}'
    call 5 memory_recall '{"key":"rk"}'
    # roots gone: the working directory again
    printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}'
    printf '%s\n' '{"jsonrpc":"2.0","id":"cairn-roots-3","result":{"roots":[]}}'
    call 6 memory_save '{"key":"rk2","value":"no roots"}'
} >"$WORK/roots.in"
mcp_with roots
assert_eq "$RC" 0 "roots: exit 0 at EOF"
all_jsonrpc roots
assert_eq "$(jq -c 'select(.method == "roots/list") | .id' "$OUT" | tr '\n' ' ')" '"cairn-roots-1" "cairn-roots-2" "cairn-roots-3" ' \
    "roots: roots/list asked after initialized and after each list_changed, each with an id of its own"
assert_eq "$(text 2 .project_id)" '"/home/dev/my proj"' "roots: the first file:// root is the project"
assert_eq "$(text 3 .memory.memory_value)" '"from roots"' "roots: an error answer to roots/list keeps the project"
assert_eq "$(ans 4 .result.isError)" true "roots: project p does not see the roots project's memory"
assert_eq "$(text 5 .memory.memory_value)" '"from roots"' "roots: answers to no request of ours change nothing"
assert_eq "$(text 6 .project_id)" "\"$(pwd -P)\"" "roots: an empty roots list gives back the working directory"
assert_eq "$(jq -c 'select(.id == "not-ours" or .id == "cairn-roots") | select(has("result") or has("error"))' "$OUT")" "" \
    "roots: responses from the client are not answered"
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"roots":{}},"clientInfo":{"name":"t","version":"1"}}}' \
    '{"jsonrpc":"2.0","method":"notifications/initialized"}' >"$WORK/roots2.in"
mcp roots2
assert_eq "$(jq -c 'select(.method == "roots/list")' "$OUT")" "" "roots: not asked when --project is given"
assert_eq "$(grep -c roots/list "$WORK/main.out" || true)" 0 "roots: not asked of a client without the roots capability"

# ---- EOF on an empty input ----
: >"$WORK/empty.in"
mcp empty
assert_eq "$RC" 0 "EOF at once: exit 0"
assert_eq "$(wc -c <"$OUT")" 0 "EOF at once: nothing on stdout"
# calls that come after roots/list is asked, before its answer, wait for it (the SDK
# client sends its first call at once); a client that never answers delays them 1 s once
{
    req 1 initialize '{"protocolVersion":"2025-06-18","capabilities":{"roots":{}},"clientInfo":{"name":"t","version":"1"}}'
    printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    call 2 memory_save '{"key":"early","value":"before the roots came"}'
    req 3 ping
    printf '%s\n' '{"jsonrpc":"2.0","id":"cairn-roots-1","result":{"roots":[{"uri":"file:///srv/early"}]}}'
    call 4 memory_recall '{"key":"early"}'
} >"$WORK/early.in"
mcp_with early
assert_eq "$RC $(text 2 .project_id) $(text 4 .project_id)" '0 "/srv/early" "/srv/early"' \
    "roots: a call sent before the roots' answer waits for it, and goes to the root's project"
assert_eq "$(jq -c 'select(type == "object") | .id' "$OUT" | tr '\n' ' ')" '1 "cairn-roots-1" 2 3 4 ' \
    "roots: the held calls are answered in order, after the roots/list request"
OUT=$WORK/late.out
RC=0
{
    {
        req 1 initialize '{"protocolVersion":"2025-06-18","capabilities":{"roots":{}},"clientInfo":{"name":"t","version":"1"}}'
        printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}'
        call 2 memory_save '{"key":"late","value":"the roots never came in time"}'
        sleep 2.5
        printf '%s\n' '{"jsonrpc":"2.0","id":"cairn-roots-1","result":{"roots":[{"uri":"file:///srv/late"}]}}'
        call 3 memory_save '{"key":"late2","value":"after the late answer"}'
    } | timeout 20 "$CAIRN" mcp --data-dir "$D" >"$OUT" 2>"$WORK/late.err" || RC=$?
} 2>/dev/null
assert_eq "$RC $(text 2 .project_id)" "0 \"$(pwd -P)\"" \
    "roots: without an answer within 1 s the held call runs in the working directory's project"
assert_eq "$(text 3 .project_id)" '"/srv/late"' "roots: an answer that comes late still sets the project"

# RFC 8089: file://localhost/PATH is a local path too
{
    req 1 initialize '{"protocolVersion":"2025-06-18","capabilities":{"roots":{}},"clientInfo":{"name":"t","version":"1"}}'
    printf '%s\n' '{"jsonrpc":"2.0","method":"notifications/initialized"}'
    printf '%s\n' '{"jsonrpc":"2.0","id":"cairn-roots-1","result":{"roots":[{"uri":"file://localhost/srv/lh"}]}}'
    call 2 memory_save '{"key":"lh","value":"v"}'
} >"$WORK/lh.in"
mcp_with lh
assert_eq "$RC $(text 2 .project_id)" '0 "/srv/lh"' "roots: file://localhost/srv/lh is the path /srv/lh"

# ---- resources of a project that is a path; answers that stay within the budget ----
# the uri percent-encodes the id (a path has '/'), and reads back; uris that are not
# exactly one of the two forms are unknown resources (-32002); context_append's answer
# and a resource's text are bounded like the tools' answers
BIG=$(python3 -c 'print("w" * 3000)')
{
    req 1 initialize '{"protocolVersion":"2025-03-26","capabilities":{"roots":{}},"clientInfo":{"name":"t","version":"1"}}'
    # a batch: its answer holds only responses; the roots/list of ours goes on a line of its own
    printf '%s\n' '[{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"method":"ping"}]'
    printf '%s\n' '{"jsonrpc":"2.0","id":"cairn-roots-1","result":{"roots":[{"uri":"file:///home/dev/my%20proj"}]}}'
    call 3 memory_save '{"key":"pk","value":"in a path project"}'
    req 4 resources/list
    req 5 resources/read '{"uri":"cairn://project/%2Fhome%2Fdev%2Fmy%20proj/memories"}'
    req 6 resources/read '{"uri":"cairn://project/p/memories/extra"}'
    req 7 resources/read '{"uri":"cairn://project//home/dev/my proj/memories"}'
    for k in 1 2 3 4; do call "1$k" context_append "{\"session_id\":\"$S\",\"decision\":\"$k $BIG\"}"; done
    call 20 context_append "{\"session_id\":\"$S\",\"decision\":\"small\",\"max_tokens\":100000}"
    call 21 memory_save "{\"key\":\"big\",\"value\":\"$(python3 -c 'print("v" * 9000)')\"}"
    req 22 resources/read '{"uri":"cairn://project/%2Fhome%2Fdev%2Fmy%20proj/memories"}'
    printf '\t\n'
    req 23 ping
    # initialize is the first message, once, and never in a batch
    req 30 initialize '{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}'
    printf '%s\n' '[{"jsonrpc":"2.0","id":31,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}]'
} >"$WORK/paths.in"
mcp_with paths
assert_eq "$RC" 0 "paths: exit 0 at EOF"
all_jsonrpc paths
assert_eq "$(jq -s -c '[.[] | select(type == "array") | .[] | has("method")] | any' "$OUT")" false \
    "paths: a batch's answer holds no request of ours"
assert_eq "$(jq -c 'select(type == "object" and .method == "roots/list") | .id' "$OUT")" '"cairn-roots-1"' \
    "paths: roots/list asked on a line of its own"
assert_eq "$(text 3 .project_id)" '"/home/dev/my proj"' "paths: the root's path is the project"
assert_eq "$(ans 4 '[.result.resources[].uri] | index("cairn://project/%2Fhome%2Fdev%2Fmy%20proj/memories") != null')" true \
    "paths: resources/list gives the project's uri percent-encoded"
assert_eq "$(ans 5 '.result.contents[0].text | fromjson | [.project_id, .memories[0].memory_value]')" \
    '["/home/dev/my proj","in a path project"]' "paths: resources/read of that uri gives the project's memories"
assert_eq "$(ans 6 .error.code)" -32002 "paths: a uri with more after /memories is unknown (-32002)"
assert_eq "$(ans 7 .error.code)" -32002 "paths: a project id not percent-encoded is unknown (-32002)"
assert_eq "$(ans 14 '.result.content[0].text | length <= 8000')" true \
    "paths: context_append's answer is cut to the default 2,000 tokens"
assert_eq "$(ans 14 '.result.content[0].text | contains("cut at max_tokens=2000")')" true \
    "paths: the cut answer says so"
assert_eq "$(ans 20 '.result.content[0].text | fromjson | [.context.decisions[-5:][].decision[0:2]]')" '["1 ","2 ","3 ","4 ","sm"]' \
    "paths: context_append takes max_tokens: whole, the document ends with the 5 decisions"
assert_eq "$(ans 22 '[(.result.contents[0].text | length <= 8000), .result.contents[0].mimeType]')" '[true,"text/plain"]' \
    "paths: a resource's text is bounded too (cut, it is plain text)"
assert_eq "$(ans 23 .result)" '{}' "paths: a line of only a tab is skipped, like a blank one"
assert_eq "$(ans 30 '.error.code')" -32600 "paths: a second initialize is refused (-32600)"
assert_eq "$(jq -c 'select(type == "array") | .[] | select(.id == 31) | .error.code' "$OUT")" -32600 \
    "paths: initialize in a batch is refused (-32600)"
assert_eq "$(grep -c '"error"' "$OUT")" 4 "paths: no other errors (only ids 6, 7, 30 and 31)"

done_testing
