#!/usr/bin/env bash
# shellcheck disable=SC2317  # cleanup runs from a trap
# tests/integ/serve_api.sh CAIRN SHARED_DIR - `cairn serve`, the REST API of issue 5,
# driven route by route with curl and jq.
#
# A temp store first gets the 4 agent sessions of a temp copy of
# fixtures/opencode/sqlite-1.18.33 (`cairn ingest`), then the real server runs
# on a free loopback port over it.  Checked, with status codes and body fields:
# /health; sessions (create, validation naming the field, list filters,
# active, limit, order, get, end/pin/unpin/archive); session context (each
# field, several at once, the exact document shape, size_bytes, importance
# range, unknown sessions, agent sessions); project memories (the create
# answer, metadata and ttl validation, list order and limit, ?key=,
# accessed_count, TTL expiry, versions and history, soft delete, search);
# /search against `cairn search --json`; /metrics counting what was sent;
# /openapi.json against the operation table in src/api/ops.c; 64 concurrent
# appenders to one session, then 320 more past the fold threshold (compressed,
# size_bytes = the stored bytes, recounted with sqlite3); bearer tokens
# (--token-file, CAIRN_TOKEN) and the refusal to bind a non-loopback address
# without one.  Every server is
# stopped with SIGTERM and must exit 0 without a sanitizer report; the trap
# kills whatever is left.  Every curl is bounded by --max-time.  TAP on stdout.
set -u
CAIRN=${1:?usage: serve_api.sh CAIRN SHARED_DIR}
SHARED=${2:?usage: serve_api.sh CAIRN SHARED_DIR}
. "$(dirname "$0")/lib.sh"
require_tools curl jq python3 timeout sqlite3
FIX=$SHARED/fixtures/opencode/sqlite-1.18.33
OPS_C=$(dirname "$0")/../../src/api/ops.c
[ -f "$FIX/opencode.db" ] || { echo "Bail out! no fixture at $FIX"; exit 1; }
[ -f "$OPS_C" ] || { echo "Bail out! no operation table at $OPS_C"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-srvapi.XXXXXX")
. "$(dirname "$0")/serve_lib.sh"
trap serve_cleanup EXIT
# cairn must see only what each command line names
unset CAIRN_DATA_DIR CAIRN_TOKEN OPENCODE_DB CLAUDE_CONFIG_DIR CODEX_HOME

D=$WORK/store
SRC=$WORK/oc
BODY_F=$WORK/body
HDR_F=$WORK/headers
AGENT_S1=ses_e035dec6effeeawMfBf3ow9Lhu
AGENT_S4=ses_e035d8e55ffe9Gs48272emcUqO
AGENT_PROJECT=d41da699e8788335ca5b902edfcebdbd25640be8
ISO='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$'

# the session JSON fields of include/cairn/memory.h, in order
SESSION_KEYS='["session_id","tool_id","user_id","workspace_path","project_id","title","created_at","last_activity","ended_at","pinned","archived","process_id","messages","context_events"]'
MEMORY_KEYS='["memory_id","project_id","memory_key","memory_value","created_at","last_accessed","accessed_count","metadata_json","ttl_seconds","expires_at"]'

# ---- the store: the 4 agent sessions of the fixture ----

mkdir -p "$SRC"
cp "$FIX"/opencode.db* "$SRC/"
chmod -R u+w "$SRC"
run_cairn "$WORK/ingest.out" "$WORK/ingest.err" ingest --source "opencode=$SRC" --data-dir "$D"
if [ "$RC" = 0 ] && grep -q '4 new' "$WORK/ingest.out"; then
    ok "ingest of the sqlite-1.18.33 copy indexes its 4 sessions"
else
    not_ok "ingest of the sqlite-1.18.33 copy indexes its 4 sessions" \
        "exit $RC; $(cat "$WORK/ingest.out" "$WORK/ingest.err" | head -c 1500)"
fi

if ! start_server "$D"; then
    echo "Bail out! cairn serve did not start"
    exit 1
fi
assert_match "$(head -1 "$SRV_ERR")" "^cairn: serving http://127\.0\.0\.1:$PORT" \
    "serve says 'cairn: serving http://127.0.0.1:PORT' on stderr when ready"

# ---- 1. /health ----

req GET /health
expect "GET /health: 200" 200
assert_match "$(grep -i '^content-type:' "$HDR_F")" 'application/json' "GET /health: Content-Type application/json"
assert_eq "$(jb '[.status, .version, .store]')" \
    "[\"ok\",\"$("$CAIRN" --version | awk '{print $2}')\",\"$D/cairn.db\"]" \
    "GET /health: status ok, the version of cairn --version, the store path"
assert_eq "$(jb '[.sessions, .messages, .parts]')" '[4,14,49]' \
    "GET /health: counts of the ingested fixture (4 sessions, 14 messages, 49 parts)"
assert_match "$(jq -r '.last_ingest' "$BODY_F")" "$ISO" "GET /health: last_ingest is an ISO time"
assert_eq "$(jq -e 'keys | map(select(test("queue"))) | length > 0' "$BODY_F")" true \
    "GET /health: reports the queue depth"

# ---- 2. sessions ----

req POST /sessions '{"tool_id":"my-agent","workspace_path":"/work/a","project_id":"pA","user_id":"ann","process_id":4242}'
expect "POST /sessions: 201" 201
SA=$(jq -r '.session_id' "$BODY_F" 2>/dev/null)
assert_match "$SA" '^ses_[0-9a-f]{24}$' "POST /sessions: session_id is ses_ and 24 hex digits"
assert_eq "$(jb 'keys_unsorted')" "$SESSION_KEYS" "POST /sessions: the answer is the session with every field"
assert_eq "$(jb '[.tool_id, .workspace_path, .project_id, .user_id, .process_id, .ended_at, .pinned, .archived, .messages, .context_events]')" \
    '["my-agent","/work/a","pA","ann",4242,null,false,false,0,0]' \
    "POST /sessions: the fields given, not ended, not pinned, not archived, empty"
assert_match "$(jq -r '.created_at + " " + .last_activity' "$BODY_F")" "^[0-9T:.Z-]+ [0-9T:.Z-]+$" \
    "POST /sessions: created_at and last_activity are set"
assert_match "$(jq -r '.created_at' "$BODY_F")" "$ISO" "POST /sessions: created_at is an ISO time"

req POST /sessions '{"tool_id":"my-agent","workspace_path":"/work/b","project_id":"pA"}'
expect "POST /sessions without user_id and process_id (optional): 201" 201
SB=$(jq -r '.session_id' "$BODY_F" 2>/dev/null)
assert_eq "$(jb '[.user_id, .process_id, .workspace_path]')" '[null,null,"/work/b"]' \
    "POST /sessions without the optional fields: user_id and process_id null"
req POST /sessions '{"tool_id":"other","workspace_path":"/work/a","project_id":"pB","process_id":null}'
expect "POST /sessions with process_id null: 201" 201
SC=$(jq -r '.session_id' "$BODY_F" 2>/dev/null)
if [ -n "$SA" ] && [ "$SA" != "$SB" ] && [ "$SB" != "$SC" ] && [ "$SA" != "$SC" ]; then
    ok "three sessions, three distinct ids"
else
    not_ok "three sessions, three distinct ids" "$SA $SB $SC"
fi

for f in tool_id workspace_path project_id; do
    b=$(jq -c "del(.$f)" <<<'{"tool_id":"t","workspace_path":"/w","project_id":"p"}')
    req POST /sessions "$b"
    expect_error "POST /sessions without $f: 400 naming it" 400 "'$f'"
done
req POST /sessions "{\"tool_id\":\"t\",\"workspace_path\":\"/w\",\"project_id\":\"$(printf 'p%.0s' $(seq 4097))\"}"
expect_error "POST /sessions with a project_id over 4 KiB: 422 naming it" 422 "'project_id'"
req POST /sessions '{"tool_id":1,"workspace_path":"/w","project_id":"p"}'
expect_error "POST /sessions with tool_id a number: 400 naming tool_id" 400 "'tool_id'"
req POST /sessions '{"tool_id":"t","workspace_path":["/w"],"project_id":"p"}'
expect_error "POST /sessions with workspace_path an array: 400 naming workspace_path" 400 "'workspace_path'"
req POST /sessions '{"tool_id":"t","workspace_path":"/w","project_id":{"id":"p"}}'
expect_error "POST /sessions with project_id an object: 400 naming project_id" 400 "'project_id'"
req POST /sessions '{"tool_id":"t","workspace_path":"/w","project_id":"p","user_id":7}'
expect_error "POST /sessions with user_id a number: 400 naming user_id" 400 "'user_id'"
req POST /sessions '{"tool_id":"t","workspace_path":"/w","project_id":"p","process_id":"42"}'
expect_error "POST /sessions with process_id a string: 400 naming process_id" 400 "'process_id'"
req POST /sessions '{"tool_id":"t","workspace_path":"/w","project_id":"p","process_id":4.5}'
expect_error "POST /sessions with process_id 4.5: 400 naming process_id" 400 "'process_id'"
req POST /sessions '{"tool_id":"t","workspace_path":"/w","project_id":"p","process_id":-1}'
expect_error "POST /sessions with process_id -1: 422 naming process_id" 422 "'process_id'"
req POST /sessions '' -H 'Content-Type: application/json'
expect_error "POST /sessions with no body: 400 naming tool_id" 400 "'tool_id'"

# lists and filters
req GET /sessions
expect "GET /sessions: 200" 200
assert_eq "$(jb 'keys')" '["sessions"]' "GET /sessions: {\"sessions\": [...]}"
assert_eq "$(jb "[.sessions[].session_id] | (index(\"$SA\") != null) and (index(\"$SB\") != null) and (index(\"$SC\") != null)")" \
    true "GET /sessions: lists the three new sessions"
assert_eq "$(jb '[.sessions[] | select(.tool_id == "opencode")] | length')" 4 \
    "GET /sessions: lists the 4 agent sessions of the fixture (tool_id opencode)"
assert_eq "$(jb '[.sessions[] | keys_unsorted] | unique')" "[$SESSION_KEYS]" \
    "GET /sessions: every session has the same fields"
assert_eq "$(jb '[.sessions[].last_activity] | . == (sort | reverse)')" true \
    "GET /sessions: most recent activity first"

req GET '/sessions?project_id=pA'
assert_eq "$(jb '[.sessions[].session_id] | sort')" "$(jq -nc --arg a "$SA" --arg b "$SB" '[$a,$b] | sort')" \
    "GET /sessions?project_id=pA: exactly the two sessions of pA"
req GET '/sessions?workspace_path=/work/a'
assert_eq "$(jb '[.sessions[].session_id] | sort')" "$(jq -nc --arg a "$SA" --arg c "$SC" '[$a,$c] | sort')" \
    "GET /sessions?workspace_path=/work/a: exactly the two sessions there"
req GET '/sessions?project_id=pA&workspace_path=%2Fwork%2Fb'
assert_eq "$(jb '[.sessions[].session_id]')" "[\"$SB\"]" \
    "GET /sessions?project_id=pA&workspace_path=/work/b (encoded): the one session"
req GET "/sessions?project_id=$AGENT_PROJECT"
assert_eq "$(jb '[.sessions[] | [.tool_id, .workspace_path]] | unique')" '[["opencode","/home/dev/src/webshop"]]' \
    "GET /sessions?project_id=<fixture project>: its agent sessions, tool_id opencode"
assert_eq "$(jb '.sessions | length')" 4 "GET /sessions?project_id=<fixture project>: 4 of them"
req GET '/sessions?project_id=nope'
assert_eq "$(jb '.sessions')" '[]' "GET /sessions?project_id=nope: an empty list"
req GET '/sessions?limit=2'
assert_eq "$(jb '.sessions | length')" 2 "GET /sessions?limit=2: two sessions"
req GET '/sessions?limit=0'
expect_error "GET /sessions?limit=0: 422 naming limit" 422 "'limit'"
req GET '/sessions?limit=ten'
expect_error "GET /sessions?limit=ten: 400 naming limit" 400 "'limit'"
req GET '/sessions?active=maybe'
expect_error "GET /sessions?active=maybe: 400 naming active" 400 "'active'"

# get, end, pin, unpin, archive
req GET "/sessions/$SA"
expect "GET /sessions/{id}: 200" 200
assert_eq "$(jb '[.session_id, .tool_id, .user_id, .process_id]')" "[\"$SA\",\"my-agent\",\"ann\",4242]" \
    "GET /sessions/{id}: that session"
req GET /sessions/ses_000000000000000000000000
expect_error "GET /sessions/{unknown}: 404" 404 "ses_000000000000000000000000"

# an agent session with its last messages, oldest first
req GET "/sessions?project_id=$AGENT_PROJECT&limit=1"
AS=$(jq -r ".sessions[0].session_id" "$BODY_F")
req GET "/sessions/$AS?messages=2"
expect "GET /sessions/{agent}?messages=2: 200" 200
assert_eq "$(jb '.last_messages | length')" 2 "GET …?messages=2: two messages"
assert_eq "$(jb '[.last_messages[].time] == ([.last_messages[].time] | sort)')" true \
    "GET …?messages=2: oldest first"
assert_eq "$(jb '[.last_messages[].role] - ["user","assistant"]')" '[]' "GET …?messages=2: user and assistant roles"
req GET "/sessions/$AS"
assert_eq "$(jb 'has("last_messages")')" false "GET /sessions/{agent}: no messages unless asked"
req GET "/sessions/$AS?messages=1001"
expect_error "GET …?messages=1001: 422 naming messages" 422 "'messages'"

req POST "/sessions/$SB/end"
expect "POST /sessions/{id}/end: 200" 200
assert_match "$(jq -r '.ended_at' "$BODY_F")" "$ISO" "POST …/end: answers the session with ended_at set"
req GET "/sessions/$SB"
assert_match "$(jq -r '.ended_at' "$BODY_F")" "$ISO" "after end: GET shows ended_at"
req GET '/sessions?active=true'
assert_eq "$(jb "[.sessions[].session_id] | [index(\"$SA\") != null, index(\"$SB\") != null]")" '[true,false]' \
    "GET /sessions?active=true: lists the open session, not the ended one"
assert_eq "$(jb '[.sessions[].ended_at] | unique')" '[null]' "GET /sessions?active=true: no ended session"
req GET '/sessions?active=false'
assert_eq "$(jb '[.sessions[].session_id]')" "[\"$SB\"]" "GET /sessions?active=false: only the ended session"
req GET '/sessions?active=false&project_id=pB'
assert_eq "$(jb '.sessions')" '[]' "GET /sessions?active=false&project_id=pB: none"

req POST "/sessions/$SA/pin"
expect "POST /sessions/{id}/pin: 200" 200
req GET "/sessions/$SA"
assert_eq "$(jb '[.pinned, .archived, .ended_at]')" '[true,false,null]' "after pin: GET shows pinned true (not ended, not archived)"
req POST "/sessions/$SA/unpin"
expect "POST /sessions/{id}/unpin: 200" 200
req GET "/sessions/$SA"
assert_eq "$(jb '.pinned')" false "after unpin: GET shows pinned false"
req POST "/sessions/$SC/archive"
expect "POST /sessions/{id}/archive: 200" 200
req GET "/sessions/$SC"
assert_eq "$(jb '.archived')" true "after archive: GET shows archived true"
for a in end pin unpin archive; do
    req POST "/sessions/ses_000000000000000000000000/$a"
    expect_error "POST /sessions/{unknown}/$a: 404" 404
done

# ---- 3. session context ----

CTX_KEYS='["session_id","context","compressed","size_bytes"]'
CTX_INNER='["files_accessed","file_importance_scores","recent_searches","decisions","saved_memories"]'

req GET "/sessions/$SA/context"
expect "GET /sessions/{id}/context of a new session: 200" 200
assert_eq "$(jb '.')" "{\"session_id\":\"$SA\",\"context\":{\"files_accessed\":[],\"file_importance_scores\":{},\"recent_searches\":[],\"decisions\":[],\"saved_memories\":[]},\"compressed\":false,\"size_bytes\":$(jq -c .context "$BODY_F" | tr -d '\n' | wc -c)}" \
    "GET context of a new session: every list empty, compressed false, size_bytes of the context"
req GET "/sessions/$SA"
ACT0=$(jq -r '.last_activity' "$BODY_F")
sleep 0.01

req POST "/sessions/$SA/context" '{"file_path":"src/main.c","file_importance":0.9}'
expect "POST context {file_path, file_importance}: 200" 200
assert_eq "$(jb 'keys_unsorted')" "$CTX_KEYS" "POST context answers session_id, context, compressed, size_bytes"
assert_eq "$(jb '.context.files_accessed | map([.path, .importance, .order])')" '[["src/main.c",0.9,1]]' \
    "POST context: the file with its importance, order 1"
cp "$BODY_F" "$WORK/post_answer"
req GET "/sessions/$SA/context"
assert_eq "$(jb .)" "$(jq -c . "$WORK/post_answer")" "POST context returns the same document as GET context"
req GET "/sessions/$SA"
assert_eq "$(jq -r --arg a "$ACT0" '.last_activity > $a' "$BODY_F")" true "POST context moves the session's last_activity"
assert_eq "$(jb .context_events)" 1 "the session counts 1 context event"

req POST "/sessions/$SA/context" '{"search_query":"where is main"}'
expect "POST context {search_query}: 200" 200
assert_eq "$(jb '[.context.recent_searches[].query]')" '["where is main"]' "POST context {search_query}: in recent_searches"
req POST "/sessions/$SA/context" '{"decision":"use epoll"}'
expect "POST context {decision}: 200" 200
assert_eq "$(jb '[.context.decisions[].decision]')" '["use epoll"]' "POST context {decision}: in decisions"
req POST "/sessions/$SA/context" '{"memory_id":"mem_0123456789ab","memory_key":"db"}'
expect "POST context {memory_id, memory_key}: 200" 200
assert_eq "$(jb '.context.saved_memories | map([.memory_id, .memory_key])')" '[["mem_0123456789ab","db"]]' \
    "POST context {memory_id, memory_key}: in saved_memories"
# a memory named by its key alone: the id of the session's project's memory of that key
req POST /projects/pA/memories '{"key":"ctxkey","value":"v"}'
CTXMEM=$(jq -r .memory_id "$BODY_F")
req POST "/sessions/$SB/context" '{"memory_key":"ctxkey"}'
req POST "/sessions/$SB/context" '{"memory_key":"nokey"}'
assert_eq "$(jb '.context.saved_memories | map([.memory_id, .memory_key])')" "[[\"$CTXMEM\",\"ctxkey\"],[\"nokey\",\"nokey\"]]" \
    "POST context {memory_key}: the id of the project's memory of that key (the key itself when there is none)"
req POST "/sessions/$SA/context" '{"file_path":"src/util.c"}'
expect "POST context {file_path} without importance: 200" 200
assert_eq "$(jb '.context.files_accessed[1] | [.path, .importance, .order]')" '["src/util.c",0.5,2]' \
    "POST context {file_path} alone: importance 0.5 (the default), order 2"

req POST "/sessions/$SA/context" '{"file_path":"src/main.c","file_importance":0.2,"search_query":"epoll docs","decision":"keep C11","memory_id":"mem_ba9876543210","memory_key":"style"}'
expect "POST context with every field at once: 200" 200
assert_eq "$(jb '.context | [(.files_accessed | length), (.recent_searches | length), (.decisions | length), (.saved_memories | length)]')" \
    '[3,2,2,2]' "POST context with every field at once: all four items appended"
assert_eq "$(jb '[.context.files_accessed[] | [.path, .importance, .order]]')" \
    '[["src/main.c",0.9,1],["src/util.c",0.5,2],["src/main.c",0.2,3]]' \
    "files_accessed: every access in order 1, 2, 3, each with its own importance"
assert_eq "$(jb '.context.file_importance_scores')" '{"src/main.c":0.2,"src/util.c":0.5}' \
    "file_importance_scores: each path once, with its latest importance"
assert_eq "$(jb '[.context.recent_searches[].query, .context.decisions[].decision, .context.saved_memories[].memory_key]')" \
    '["where is main","epoll docs","use epoll","keep C11","db","style"]' \
    "searches, decisions and memories in the order appended"

# the document, exactly as issue 5 shows it
req GET "/sessions/$SA/context"
expect "GET /sessions/{id}/context: 200" 200
assert_eq "$(jb 'keys_unsorted')" "$CTX_KEYS" "GET context: session_id, context, compressed, size_bytes (in that order)"
assert_eq "$(jb '.context | keys_unsorted')" "$CTX_INNER" \
    "GET context: context has files_accessed, file_importance_scores, recent_searches, decisions, saved_memories"
assert_eq "$(jb '[.context.files_accessed[] | keys_unsorted] | unique')" '[["path","importance","accessed_at","order"]]' \
    "GET context: files_accessed[] are {path, importance, accessed_at, order}"
assert_eq "$(jb '[.context.recent_searches[] | keys_unsorted] | unique')" '[["query","timestamp"]]' \
    "GET context: recent_searches[] are {query, timestamp}"
assert_eq "$(jb '[.context.decisions[] | keys_unsorted] | unique')" '[["decision","timestamp"]]' \
    "GET context: decisions[] are {decision, timestamp}"
assert_eq "$(jb '[.context.saved_memories[] | keys_unsorted] | unique')" '[["memory_id","memory_key","timestamp"]]' \
    "GET context: saved_memories[] are {memory_id, memory_key, timestamp}"
assert_eq "$(jb '[.session_id == "'"$SA"'", .compressed, (.size_bytes | type)]')" '[true,false,"number"]' \
    "GET context: the session id, compressed false, size_bytes a number"
assert_eq "$(jb '.size_bytes')" "$(jq -c .context "$BODY_F" | tr -d '\n' | wc -c)" \
    "GET context: size_bytes is the byte size of the context document"
assert_eq "$(jq -r '[.context.files_accessed[].accessed_at, .context.recent_searches[].timestamp, .context.decisions[].timestamp, .context.saved_memories[].timestamp] | map(test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")) | all' "$BODY_F")" \
    true "GET context: every accessed_at and timestamp is an ISO time"
assert_eq "$(jb '[.context.files_accessed[].importance] | map(type) | unique')" '["number"]' \
    "GET context: importances are numbers"

# validation
req POST "/sessions/$SA/context" '{"file_path":"x.c","file_importance":1.5}'
expect_error "POST context file_importance 1.5: 422 naming file_importance" 422 "'file_importance'"
req POST "/sessions/$SA/context" '{"file_path":"x.c","file_importance":-0.1}'
expect_error "POST context file_importance -0.1: 422 naming file_importance" 422 "'file_importance'"
req POST "/sessions/$SA/context" '{"file_path":"x.c","file_importance":1e400}'
expect_error "POST context file_importance 1e400 (a number past a double): 422 naming file_importance" 422 "'file_importance'"
req POST /projects/pm/memories '{"key":"k","value":"v","ttl_seconds":99999999999999999999}'
expect_error "POST memories with ttl_seconds past 64 bits: 422 naming ttl_seconds" 422 "'ttl_seconds'"
for big in 1e19 1e400 -1e400; do
    req POST /projects/pm/memories "{\"key\":\"k\",\"value\":\"v\",\"ttl_seconds\":$big}"
    expect_error "POST memories with ttl_seconds $big: 422 naming ttl_seconds" 422 "'ttl_seconds'"
done
req GET '/sessions?limit=-'
expect_error "GET /sessions?limit=- (no digits): 400 naming limit" 400 "'limit'"
req GET '/sessions?limit=99999999999999999999'
expect_error "GET /sessions?limit= past 64 bits: 422 naming limit" 422 "'limit'"
req POST "/sessions/$SA/context" '{"file_path":"x.c","file_importance":"high"}'
expect_error "POST context file_importance a string: 400 naming file_importance" 400 "'file_importance'"
req POST "/sessions/$SA/context" '{"file_path":"x.c","file_importance":0}'
expect "POST context file_importance 0 (the bound): 200" 200
req POST "/sessions/$SA/context" '{"file_path":"y.c","file_importance":1}'
expect "POST context file_importance 1 (the bound): 200" 200
req POST "/sessions/$SA/context" '{"decision":42}'
expect_error "POST context decision a number: 400 naming decision" 400 "'decision'"
req POST "/sessions/$SA/context" '{}'
expect_error "POST context with no item: 400" 400
req POST "/sessions/$SA/context" '{"file_importance":0.3}'
expect_error "POST context with only file_importance: 400" 400
req POST "/sessions/$SA/context" '{"decision":"d","file_importance":0.3}'
expect_error "POST context file_importance without file_path: 400 naming file_importance" 400 "'file_importance'"
req GET "/sessions/$SA/context"
assert_eq "$(jb '.context.files_accessed | length')" 5 "rejected appends added nothing (3 + the two bounds)"
req POST /sessions/ses_000000000000000000000000/context '{"file_path":"x.c"}'
expect_error "POST context of an unknown session: 404" 404
req GET /sessions/ses_000000000000000000000000/context
expect_error "GET context of an unknown session: 404" 404

# agent sessions from the fixture are sessions too
req GET "/sessions/$AGENT_S1"
expect "GET /sessions/{agent session}: 200" 200
assert_eq "$(jb '[.tool_id, .project_id, .workspace_path, (.messages > 0)]')" \
    "[\"opencode\",\"$AGENT_PROJECT\",\"/home/dev/src/webshop\",true]" \
    "GET /sessions/{agent session}: tool_id opencode, its project, directory and messages"
req POST "/sessions/$AGENT_S1/context" '{"file_path":"shop/cart.py","file_importance":0.7,"decision":"cache prices"}'
expect "POST context to an agent session: 200" 200
req GET "/sessions/$AGENT_S1/context"
assert_eq "$(jb '[.session_id, (.context.files_accessed | map([.path, .importance])), (.context.decisions | map(.decision))]')" \
    "[\"$AGENT_S1\",[[\"shop/cart.py\",0.7]],[\"cache prices\"]]" "GET context of the agent session shows the appended items"
req GET "/api/session_summary?session_id=$AGENT_S4"
assert_eq "$(jb '.files_touched | sort')" '["/home/dev/src/webshop/README.md","/home/dev/src/webshop/hello.txt"]' \
    "session_summary of an agent session: the files it read and wrote, a file:// url as its path, each once"

# ---- 4. project memories ----

req POST /projects/pm/memories '{"key":"database","value":"postgres 16","metadata":{"team":"core","n":2}}'
expect "POST /projects/{p}/memories: 201" 201
M1=$(jq -r '.memory_id' "$BODY_F" 2>/dev/null)
assert_match "$M1" '^mem_[0-9a-f]{12}$' "POST memories: memory_id matches ^mem_[0-9a-f]{12}\$"
assert_eq "$(jb '[.project_id, .key, .message]')" '["pm","database","Memory created successfully"]' \
    "POST memories: project_id, key and message 'Memory created successfully'"

req POST /projects/pm/memories '{"key":"k","value":"v","metadata":"team=core"}'
expect_error "POST memories with metadata a string: 400 naming metadata" 400 "'metadata'"
req POST /projects/pm/memories '{"key":"k","value":"v","metadata":[1,2]}'
expect_error "POST memories with metadata an array: 400 naming metadata" 400 "'metadata'"
req POST /projects/pm/memories '{"key":"k","value":"v","metadata":5}'
expect_error "POST memories with metadata a number: 400 naming metadata" 400 "'metadata'"
req POST /projects/pm/memories '{"key":"k","value":"v","ttl_seconds":-5}'
expect_error "POST memories with ttl_seconds -5: 422 naming ttl_seconds" 422 "'ttl_seconds'"
req POST /projects/pm/memories '{"key":"k","value":"v","ttl_seconds":0}'
expect_error "POST memories with ttl_seconds 0 (not positive): 422 naming ttl_seconds" 422 "'ttl_seconds'"
req POST /projects/pm/memories '{"key":"k","value":"v","ttl_seconds":3155760001}'
expect_error "POST memories with ttl_seconds past 100 years: 422 naming ttl_seconds" 422 "'ttl_seconds'"
req POST /projects/pm/memories '{"key":"k\u0000x","value":"v"}'
expect_error "POST memories with a NUL in key: 400 naming key (it would cut it to k)" 400 "'key'"
req POST /projects/pm/memories '{"key":"k","value":"a\u0000b"}'
expect_error "POST memories with a NUL in value: 400 naming value" 400 "'value'"
req POST /projects/pf/memories '{"key":"kf","value":"v","ttl_seconds":6e1}'
assert_eq "$CODE $(jb .key)" '201 "kf"' "POST memories with ttl_seconds 6e1: an integer in JSON Schema's sense (a zero fraction), 201"
req GET '/projects/pf/memories?key=kf'
assert_eq "$(jb .memory.ttl_seconds)" 60 "ttl_seconds 6e1 is stored as 60"
req POST /projects/pm/memories '{"key":"k","value":"v","ttl_seconds":1.5}'
expect_error "POST memories with ttl_seconds 1.5: 400 naming ttl_seconds" 400 "'ttl_seconds'"
req POST /projects/pm/memories '{"key":"k","value":"v","ttl_seconds":"60"}'
expect_error "POST memories with ttl_seconds a string: 400 naming ttl_seconds" 400 "'ttl_seconds'"
req POST /projects/pm/memories '{"value":"v"}'
expect_error "POST memories without key: 400 naming key" 400 "'key'"
req POST /projects/pm/memories '{"key":"k"}'
expect_error "POST memories without value: 400 naming value" 400 "'value'"
req POST /projects/pm/memories '{"key":"k","value":17}'
expect_error "POST memories with value a number: 400 naming value" 400 "'value'"
req GET '/projects/pm/memories?key=k'
expect_error "rejected POSTs saved nothing (GET ?key=k: 404)" 404

req GET '/projects/pm/memories?key=database'
expect "GET /projects/{p}/memories?key=K: 200" 200
assert_eq "$(jb 'keys')" '["memory","project_id"]' "GET ?key=K: {project_id, memory}"
assert_eq "$(jb "[${MEMORY_KEYS}[] as \$k | .memory | has(\$k)] | all")" true \
    "GET ?key=K: the memory has memory_id, project_id, memory_key, memory_value, created_at, last_accessed, accessed_count, metadata_json, ttl_seconds, expires_at"
assert_eq "$(jb '[.project_id, .memory.memory_id, .memory.project_id, .memory.memory_key, .memory.memory_value, .memory.ttl_seconds, .memory.expires_at]')" \
    "[\"pm\",\"$M1\",\"pm\",\"database\",\"postgres 16\",null,null]" \
    "GET ?key=K: its id, project, key and value; no ttl, no expiry"
assert_eq "$(jb '.memory.metadata_json')" '{"team":"core","n":2}' "GET ?key=K: metadata_json is the object given"
assert_match "$(jq -r '.memory.created_at + " " + .memory.last_accessed' "$BODY_F")" \
    '^[0-9]{4}-[0-9-]+T[0-9:.]+Z [0-9]{4}-[0-9-]+T[0-9:.]+Z$' "GET ?key=K: created_at and last_accessed are ISO times"
req GET '/projects/pm/memories?key=nothing'
expect_error "GET ?key=unknown: 404" 404

# accessed_count counts every read
counts=""
for i in 1 2 3; do
    req GET '/projects/pm/memories?key=database'
    counts="$counts $(jb '.memory.accessed_count')"
done
read -r c1 c2 c3 <<<"$counts"
if [ "$c2" = $((c1 + 1)) ] && [ "$c3" = $((c1 + 2)) ] && [ "$c1" -ge 2 ] 2>/dev/null; then
    ok "accessed_count grows by one on each read ($c1, $c2, $c3)"
else
    not_ok "accessed_count grows by one on each read" "counts:$counts"
fi
LA1=$(jq -r '.memory.last_accessed' "$BODY_F")
sleep 0.01
req GET /projects/pm/memories
assert_eq "$(jb ".memories[] | select(.memory_key == \"database\") | [.accessed_count, (.last_accessed > \"$LA1\")]")" "[$((c3 + 1)),true]" \
    "a list read counts too: accessed_count +1, last_accessed moves"

# 40 concurrent reads: each is counted (reads run in parallel; the counts go through the writer)
req GET '/projects/pm/memories?key=database'
c0=$(jb '.memory.accessed_count')
pids=""
for i in $(seq 40); do
    curl -s -o /dev/null --max-time 30 "$B/projects/pm/memories?key=database" &
    pids="$pids $!"
done
# shellcheck disable=SC2086  # the pids are words
wait $pids
req GET '/projects/pm/memories?key=database'
assert_eq "$(jb '.memory.accessed_count')" $((c0 + 41)) "40 concurrent reads: every one is counted"

# lists: order by last_accessed, count, limit, projects
req POST /projects/pm/memories '{"key":"cache","value":"redis"}'
req POST /projects/pm/memories '{"key":"queue","value":"nats zebra"}'
req POST /projects/other/memories '{"key":"database","value":"sqlite"}'
expect "POST a memory in another project: 201" 201
req GET /projects/pm/memories
expect "GET /projects/{p}/memories: 200" 200
assert_eq "$(jb 'keys_unsorted')" '["project_id","memories","count"]' "GET list: {project_id, memories, count}"
assert_eq "$(jb '[.project_id, .count, (.memories | length), ([.memories[].memory_key] | sort)]')" \
    '["pm",3,3,["cache","database","queue"]]' "GET list: the 3 memories of pm, count 3, none of the other project"
assert_eq "$(jb "[.memories[] | [${MEMORY_KEYS}[] as \$k | has(\$k)] | all] | all")" true "GET list: every memory has the ten contract fields"
assert_eq "$(jb '[.memories[].last_accessed] | . == (sort | reverse)')" true "GET list: last_accessed newest first"
sleep 0.01
req GET '/projects/pm/memories?key=cache'
sleep 0.01
req GET '/projects/pm/memories?limit=1'
assert_eq "$(jb '[.count, (.memories | length), .memories[0].memory_key]')" '[1,1,"cache"]' \
    "GET list?limit=1 after reading cache: cache, the most recently accessed"
sleep 0.01
req GET '/projects/pm/memories?key=queue'
sleep 0.01
req GET '/projects/pm/memories?limit=1'
assert_eq "$(jb '.memories[0].memory_key')" '"queue"' "GET list?limit=1 after reading queue: queue"
req GET '/projects/pm/memories?limit=2'
assert_eq "$(jb '[.count, (.memories | length)]')" '[2,2]' "GET list?limit=2: count 2, two memories"
req GET '/projects/pm/memories?limit=0'
expect_error "GET list?limit=0: 422 naming limit" 422 "'limit'"
req GET /projects/empty/memories
assert_eq "$(jb '[.project_id, .memories, .count]')" '["empty",[],0]' "GET list of a project without memories: empty, count 0"

# TTL
req POST /projects/pm/memories '{"key":"flash","value":"gone soon","ttl_seconds":1}'
expect "POST memories with ttl_seconds 1: 201" 201
assert_match "$(jq -r '.expires_at' "$BODY_F")" "$ISO" "POST memories with a ttl: expires_at is computed"
req GET '/projects/pm/memories?key=flash'
assert_eq "$(jb '[.memory.ttl_seconds, (.memory.expires_at > .memory.created_at)]')" '[1,true]' \
    "GET ?key=flash at once: ttl_seconds 1, expires_at after created_at"
sleep 1.5
req GET '/projects/pm/memories?key=flash'
expect_error "GET ?key=flash after 1.5 s: 404 (expired)" 404
req GET /projects/pm/memories
assert_eq "$(jb '[.memories[].memory_key] | index("flash")')" null "GET list after 1.5 s: the expired memory is not listed"

# versions, history, soft delete
req POST /projects/pm/memories '{"key":"database","value":"postgres 17"}'
expect "POST an existing key: 201" 201
M2=$(jq -r '.memory_id' "$BODY_F" 2>/dev/null)
assert_eq "$(jb '.version')" 2 "POST an existing key: version 2"
if [ -n "$M2" ] && [ "$M2" != "$M1" ]; then ok "the new version has its own memory_id"; else not_ok "the new version has its own memory_id" "$M1 / $M2"; fi
req GET '/projects/pm/memories?key=database'
assert_eq "$(jb '[.memory.memory_id, .memory.memory_value, .memory.metadata_json]')" "[\"$M2\",\"postgres 17\",null]" \
    "GET ?key=database: version 2, its value, without the old metadata"
req GET /projects/pm/memories
assert_eq "$(jb '[.memories[] | select(.memory_key == "database")] | length')" 1 "GET list: one entry for the key (the newest version)"
req GET /projects/pm/memories/database/history
expect "GET /projects/{p}/memories/{key}/history: 200" 200
assert_eq "$(jb '[.count, [.versions[] | [.memory_id, .memory_value]]]')" \
    "[2,[[\"$M2\",\"postgres 17\"],[\"$M1\",\"postgres 16\"]]]" "history lists both versions, newest first"
assert_eq "$(jb '[(.versions[1].superseded_at | type), (.versions[1].metadata_json)]')" '["string",{"team":"core","n":2}]' \
    "history: version 1 is superseded and keeps its metadata"
req GET /projects/pm/memories/nothing/history
if [ "$CODE" = 404 ] || { [ "$CODE" = 200 ] && [ "$(jb .count)" = 0 ]; }; then
    ok "history of an unknown key: 404 or empty"
else
    not_ok "history of an unknown key: 404 or empty" "status $CODE; $(body)"
fi

req DELETE /projects/pm/memories/database
expect "DELETE /projects/{p}/memories/{key}: 200" 200
req GET '/projects/pm/memories?key=database'
expect_error "after DELETE: GET ?key=database is 404" 404
req GET /projects/pm/memories
assert_eq "$(jb '[.memories[].memory_key] | index("database")')" null "after DELETE: the list does not show it"
req GET /projects/pm/memories/database/history
assert_eq "$(jb '[.count, (.versions[0].memory_id == "'"$M2"'"), (.versions[0].deleted_at | type)]')" '[2,true,"string"]' \
    "after DELETE: history keeps both versions, the live one marked deleted (soft delete)"
req POST /projects/pm/memories/database/restore
assert_eq "$CODE $(jb '[.key, .message]')" '200 ["database","Memory restored"]' "POST .../{key}/restore: 200, the DELETE undone"
req GET '/projects/pm/memories?key=database'
assert_eq "$CODE $(jb '.memory.memory_id == "'"$M2"'"')" "200 true" "after restore: GET ?key=database is the version deleted"
req POST /projects/pm/memories/database/restore
expect_error "restore with nothing forgotten: 404" 404
req DELETE /projects/pm/memories/database
expect "DELETE once more: 200" 200
req DELETE /projects/pm/memories/database
expect_error "DELETE again: 404" 404
req DELETE /projects/pm/memories/never
expect_error "DELETE an unknown key: 404" 404
req GET '/projects/other/memories?key=database'
assert_eq "$(jb '.memory.memory_value')" '"sqlite"' "DELETE in pm left the other project's key alone"

# a project that is a path (cairn mcp's default): the routes with the project in the query
PP='/home/dev/my%20proj'
req POST /memories '{"project_id":"/home/dev/my proj","key":"pk","value":"path project zebu"}'
assert_eq "$CODE $(jb '[.project_id, .key]')" '201 ["/home/dev/my proj","pk"]' "POST /memories: saved in a project that is a path"
req GET "/memories?project_id=$PP&key=pk"
assert_eq "$CODE $(jb '.memory.memory_value')" '200 "path project zebu"' "GET /memories?project_id=PATH&key=pk"
req GET "/memories?project_id=$PP"
assert_eq "$(jb '[.project_id, .count]')" '["/home/dev/my proj",1]' "GET /memories?project_id=PATH: its list"
req GET "/memories/search?project_id=$PP&q=zebu"
assert_eq "$CODE $(jb '[.memories[].memory_key]')" '200 ["pk"]' "GET /memories/search?project_id=PATH&q=zebu"
req DELETE "/memories?project_id=$PP&key=pk"
expect "DELETE /memories?project_id=PATH&key=pk: 200" 200
req GET "/memories/history?project_id=$PP&key=pk"
assert_eq "$CODE $(jb '[.count, (.versions[0].deleted_at | type)]')" '200 [1,"string"]' "GET /memories/history: the version, deleted"
req POST "/memories/restore?project_id=$PP&key=pk"
expect "POST /memories/restore?project_id=PATH&key=pk: 200" 200
req GET "/memories?project_id=$PP&key=pk"
expect "after the restore the memory is back: 200" 200
req GET "/memories?key=pk"
expect_error "GET /memories without project_id: 400 naming it" 400 "'project_id'"

# search
req POST /projects/pm/memories '{"key":"deploy","value":"blue green rollout","metadata":{"owner":"platypus"}}'
req GET '/projects/pm/memories/search?q=zebra'
expect "GET /projects/{p}/memories/search?q=: 200" 200
assert_eq "$(jb '[.count, [.memories[].memory_key]]')" '[1,["queue"]]' "memories/search?q=zebra: the memory whose value has the word"
req GET '/projects/pm/memories/search?q=platypus'
assert_eq "$(jb '[.memories[].memory_key]')" '["deploy"]' "memories/search: matches metadata"
req GET '/projects/pm/memories/search?q=deploy'
assert_eq "$(jb '[.memories[].memory_key]')" '["deploy"]' "memories/search: matches keys"
req GET '/projects/pm/memories/search?q=green%20rollout'
assert_eq "$(jb '[.memories[].memory_key]')" '["deploy"]' "memories/search: two words (encoded space)"
req GET '/projects/other/memories/search?q=zebra'
assert_eq "$(jb '.count')" 0 "memories/search in another project: nothing"
req GET '/projects/pm/memories/search?q=postgres'
assert_eq "$(jb '.count')" 0 "memories/search: a forgotten memory is not found"
req GET '/projects/pm/memories/search'
expect_error "memories/search without q: 400 naming q" 400 "'q'"

# ---- 5. /search against `cairn search --json` ----

search_same()
{
    local desc=$1 api=$2
    shift 2
    local a b
    req GET "/search?$api"
    a=$(jb '[.hits[] | [.session_id, .part_id]]')
    run_cairn "$WORK/cli.out" "$WORK/cli.err" search "$@" --json --data-dir "$D"
    b=$(jq -c '[.hits[] | [.session_id, .part_id]]' "$WORK/cli.out" 2>&1)
    if [ "$CODE" = 200 ] && [ "$RC" = 0 ] && [ "$a" = "$b" ] && [ "$(jq length <<<"$a")" -gt 0 ]; then
        ok "$desc: the same $(jq length <<<"$a") hits as cairn search --json"
    else
        not_ok "$desc: the same hits as cairn search --json" "api ($CODE): $a"$'\n'"cli ($RC): $b $(head -c 300 "$WORK/cli.err")"
    fi
}
search_same "GET /search?q=the" "q=the" the
search_same "GET /search?q=tool finished" "q=tool%20finished" "tool finished"
search_same "GET /search?q=\"tool finished\" (a phrase)" "q=%22tool%20finished%22" '"tool finished"'
search_same "GET /search?q=fin* (a prefix)" "q=fin%2A" 'fin*'
search_same "GET /search?q=the -todo" "q=the%20-todo" 'the -todo'
search_same "GET /search?q=write OR task" "q=write%20OR%20task" 'write OR task'
search_same "GET /search?q=the&limit=3" "q=the&limit=3" the --limit 3
search_same "GET /search?q=the&agent=opencode" "q=the&agent=opencode" the --agent opencode
search_same "GET /search?q=the&project_id=webshop" "q=the&project_id=webshop" the --project webshop
search_same "GET /search?q=the&session_id=…" "q=the&session_id=$AGENT_S1" the --session "$AGENT_S1"
req GET '/search?q=the&agent=codex'
assert_eq "$(jb '[.capped, .hits]')" '[false,[]]' "GET /search?agent=codex: no hits"
req GET '/search?q=the'
run_cairn "$WORK/cli.out" "$WORK/cli.err" search the --json --data-dir "$D"
assert_eq "$(jb '.hits')" "$(jq -c '.hits' "$WORK/cli.out")" \
    "GET /search: every hit is the same object as in cairn search --json"
req GET /search
expect_error "GET /search without q: 400 naming q" 400 "'q'"
req GET '/search?q=the&agent=vim'
assert_eq "$CODE $(jb '.hits')" '200 []' "GET /search?agent=vim: no session has that tool_id, no hits"
req GET '/search?q=the&limit=0'
expect_error "GET /search?limit=0: 422 naming limit" 422 "'limit'"

# ---- 6. 64 concurrent appenders ----

req POST /sessions '{"tool_id":"swarm","workspace_path":"/work/swarm","project_id":"pS"}'
SW=$(jq -r '.session_id' "$BODY_F" 2>/dev/null)
mkdir -p "$WORK/swarm"
# wave TAG: 64 appends to session SW at once, files swarm/TAGf<i>.c; statuses in swarm/TAG<i>
wave()
{
    local i p pids=()
    for i in $(seq 1 64); do
        curl -s -o /dev/null -w '%{http_code}' --max-time 60 -X POST -H 'Content-Type: application/json' \
            --data-binary "{\"file_path\":\"swarm/${1}f$i.c\",\"file_importance\":0.$((i % 10))}" \
            "$B/sessions/$SW/context" >"$WORK/swarm/$1$i" 2>/dev/null &
        pids+=($!)
    done
    BG_PIDS+=("${pids[@]}")
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    BG_PIDS=()
}
wave ""
assert_eq "$(cat "$WORK"/swarm/* | fold -w3 | sort | uniq -c | awk '{print $2 "x" $1}')" "200x64" \
    "64 concurrent appenders: all 64 answered 200"
req GET "/sessions/$SW/context"
assert_eq "$(jb '.context.files_accessed | length')" 64 "64 concurrent appenders: GET shows exactly 64 files"
assert_eq "$(jb '[.context.files_accessed[].path] | unique | length')" 64 "64 concurrent appenders: 64 distinct paths, none lost"
assert_eq "$(jb '[.context.files_accessed[].order] == [range(1; 65)]')" true "64 concurrent appenders: orders 1 to 64"
assert_eq "$(jb '.context.file_importance_scores | length')" 64 "64 concurrent appenders: 64 importance scores"
req GET "/sessions/$SW"
assert_eq "$(jb '.context_events')" 64 "64 concurrent appenders: the session counts 64 context events"

# five more waves of 64: past 256 events the context is folded into a zstd snapshot,
# while appends run concurrently (store/context.c)
for w in 1 2 3 4 5; do
    wave "w$w."
done
assert_eq "$(cat "$WORK"/swarm/*.* | fold -w3 | sort | uniq -c | awk '{print $2 "x" $1}')" "200x320" \
    "320 more concurrent appends: all answered 200"
req POST "/sessions/$SW/context" '{"decision":"fold me"}'
expect "POST context after the fold: 200" 200
req GET "/sessions/$SW/context"
assert_eq "$(jb '[(.context.files_accessed | length), ([.context.files_accessed[].path] | unique | length), .context.decisions[0].decision]')" \
    '[384,384,"fold me"]' "past the threshold: 384 distinct files and the later decision, none lost"
assert_eq "$(jb '[.context.files_accessed[].order] == [range(1; 385)]')" true "past the threshold: orders 1 to 384"
assert_eq "$(jb '.context.file_importance_scores | length')" 384 "past the threshold: 384 importance scores"
assert_eq "$(jb '.compressed')" true "past the threshold: compressed is true"
# memory.h: the zstd snapshot plus the text of the events after it
STORED_SQL="SELECT (SELECT length(snapshot) FROM context_snapshots WHERE session_rowid = s.id) + (SELECT coalesce(sum(length(CAST(coalesce(path, query,
 decision, memory_id) AS BLOB)) + coalesce(length(CAST(memory_key AS BLOB)), 0)), 0) FROM context_events c
 WHERE c.session_rowid = s.id) FROM sessions s WHERE session_id = '$SW'"
stored=$(sqlite3 -readonly "$D/cairn.db" "$STORED_SQL")
assert_eq "$(jb '.size_bytes')" "$stored" "past the threshold: size_bytes is the bytes stored ($stored)"
assert_eq "$(jb "(.size_bytes < (.context | tojson | length))")" true \
    "past the threshold: the stored size is below the document's"
req GET "/sessions/$SW"
assert_eq "$(jb '.context_events')" 385 "past the threshold: the session counts 385 context events"
# the writer folds what its groups' appends left due before it commits them: rows stay few
rows=$(sqlite3 -readonly "$D/cairn.db" "SELECT count(*) FROM context_events c JOIN sessions s ON
 s.id = c.session_rowid WHERE s.session_id = '$SW'")
assert_eq "$([ "$rows" -ge 1 ] && [ "$rows" -le 64 ] && echo bounded)" bounded \
    "past the threshold: $rows event rows after the snapshot (1 to 64)"

# ---- 7. /metrics ----

# metric ROUTE STATUS: the value of cairn_http_requests_total for it, 0 if absent.
metric()
{
    awk -v k="cairn_http_requests_total{route=\"$1\",status=\"$2\"}" '$1 == k {v = $2} END {print v + 0}' "$WORK/metrics"
}
curl -s --max-time 30 -o "$WORK/metrics" "$B/metrics"
h0=$(metric health 200)
g0=$(metric session_get 404)
m0=$(metric memory_save 201)
u0=$(metric unknown 404)
t0=$(metric turn_index 202)
for i in 1 2 3 4 5; do req GET /health; done
for i in 1 2 3; do req GET /sessions/ses_111111111111111111111111; done
req POST /projects/pmet/memories '{"key":"a","value":"b"}'
req POST /projects/pmet/memories '{"key":"c","value":"d"}'
req GET /no/such/route
req POST /api/auto_index '{"user_message":"metered","assistant_message":"ok"}'
req GET /metrics
expect "GET /metrics: 200" 200
cp "$BODY_F" "$WORK/metrics"
assert_match "$(grep -i '^content-type:' "$HDR_F")" 'text/plain' "GET /metrics: Content-Type text/plain"
assert_contains "$(cat "$WORK/metrics")" "# TYPE cairn_http_requests_total counter" "GET /metrics: cairn_http_requests_total is a counter"
bad=$(grep -vE '^(# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*\})? [-+0-9.eE]+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \+Inf)$' "$WORK/metrics")
assert_eq "$bad" "" "GET /metrics: every line is Prometheus text (comment or 'name{labels} value')"
assert_eq "$(($(metric health 200) - h0)) $(($(metric session_get 404) - g0)) $(($(metric memory_save 201) - m0)) $(($(metric unknown 404) - u0)) $(($(metric turn_index 202) - t0))" \
    "5 3 2 1 1" "cairn_http_requests_total counts what was sent: 5 health/200, 3 session_get/404, 2 memory_save/201, 1 unknown/404, 1 turn_index/202"
assert_eq "$(awk '/^cairn_http_request_seconds_bucket/ {print $2}' "$WORK/metrics" | sort -n -c 2>&1 && echo monotonic)" monotonic \
    "GET /metrics: the latency histogram buckets are cumulative"
assert_eq "$(awk '/^cairn_http_request_seconds_bucket\{le="\+Inf"\}/ {i = $2} /^cairn_http_request_seconds_count/ {c = $2} END {print (i == c && c > 0)}' "$WORK/metrics")" 1 \
    "GET /metrics: the +Inf bucket equals cairn_http_request_seconds_count"

# ---- 8. /openapi.json against the operation table ----

req GET /openapi.json
expect "GET /openapi.json: 200" 200
assert_match "$(jb '.openapi')" '^"3\.' "GET /openapi.json: an OpenAPI 3 document"
table=$(grep -oE '^ *\{"[a-z_]+", "(GET|POST|PUT|PATCH|DELETE)", "/[^"]*"' "$OPS_C" |
    sed -E 's/^ *\{"([a-z_]+)", "([A-Z]+)", "([^"]*)"/\2 \3 \1/' | sort)
served=$(jq -r '.paths | to_entries[] | .key as $p | .value | to_entries[] | "\(.key | ascii_upcase) \($p) \(.value.operationId)"' "$BODY_F" 2>&1 | sort)
if [ "$(wc -l <<<"$table")" -ge 17 ]; then ok "the operation table in src/api/ops.c lists $(wc -l <<<"$table") routes"; else not_ok "the operation table in src/api/ops.c was read" "$table"; fi
assert_eq "$served" "$table" "GET /openapi.json: exactly the routes of the operation table (method, path, operationId)"
assert_eq "$(jb '[.paths[][] | .responses | keys | length > 1] | all')" true "GET /openapi.json: each operation has a success and an error response"

stop_clean "SIGTERM: the server exits 0 and says 'stopped', no sanitizer report"

# ---- 9. bearer tokens ----

TOKEN=tok-$RANDOM-$RANDOM-secret
printf '%s\n' "$TOKEN" >"$WORK/token"
if start_server "$D" --host 127.0.0.1 --token-file "$WORK/token"; then
    ok "serve --host 127.0.0.1 --token-file starts"
    req GET /health
    expect_error "token server: GET /health without Authorization: 401" 401
    req GET /health '' -H "Authorization: Bearer wrong-$TOKEN"
    expect_error "token server: a wrong token: 401" 401
    req GET /health '' -H "Authorization: Bearer ${TOKEN%?}"
    expect_error "token server: the token minus its last byte: 401" 401
    req GET /health '' -H "Authorization: Bearer ${TOKEN}x"
    expect_error "token server: the token plus a byte: 401" 401
    req GET /health '' -H "Authorization: $TOKEN"
    expect_error "token server: the token without 'Bearer ': 401" 401
    req GET /health '' -H "Authorization: bearer $TOKEN"
    expect "token server: the scheme in any case ('bearer'): 200" 200
    req GET /health '' -H "Authorization: Bearer   $TOKEN"
    expect "token server: spaces after the scheme (RFC 7235: one or more): 200" 200
    req GET /health '' -H "Authorization: Bearer $TOKEN"
    expect "token server: the right token: 200" 200
    assert_eq "$(jb .status)" '"ok"' "token server: the right token gets the health document"
    for p in /metrics /openapi.json /sessions /no/such/route; do
        req GET "$p"
        expect_error "token server: GET $p without a token: 401" 401
    done
    req POST /projects/ptok/memories '{"key":"a","value":"b"}'
    expect_error "token server: POST memories without a token: 401" 401
    req GET '/projects/ptok/memories?key=a' '' -H "Authorization: Bearer $TOKEN"
    expect_error "token server: the refused POST wrote nothing" 404
    req POST /projects/ptok/memories '{"key":"a","value":"b"}' -H "Authorization: Bearer $TOKEN"
    expect "token server: POST memories with the token: 201" 201
    stop_clean "token server: SIGTERM, exit 0"
else
    not_ok "serve --host 127.0.0.1 --token-file starts" "$(head -c 1000 "$SRV_ERR")"
fi

if CAIRN_TOKEN=$TOKEN start_server "$D"; then
    req GET /health
    expect_error "CAIRN_TOKEN server: no token: 401" 401
    req GET /health '' -H "Authorization: Bearer $TOKEN"
    expect "CAIRN_TOKEN server: the right token: 200" 200
    stop_clean "CAIRN_TOKEN server: SIGTERM, exit 0"
else
    not_ok "serve with CAIRN_TOKEN starts" "$(head -c 1000 "$SRV_ERR")"
fi

# A non-loopback bind without a token must fail at once; `timeout 5` bounds the case
# where it would not, so no such server outlives this line.
PORT=$(free_port)
RC=0
timeout 5 "$CAIRN" serve --host 0.0.0.0 --port "$PORT" --data-dir "$D" >"$WORK/nl.out" 2>"$WORK/nl.err" || RC=$?
if [ "$RC" = 1 ] && grep -q '^cairn: .*token' "$WORK/nl.err" && ! grep -q 'serving' "$WORK/nl.err"; then
    ok "serve --host 0.0.0.0 without a token: exit 1, a message about the token"
else
    not_ok "serve --host 0.0.0.0 without a token: exit 1, a message about the token" "exit $RC; $(head -c 1000 "$WORK/nl.err")"
fi
assert_eq "$(crash_report "$WORK/nl.err")" "" "serve --host 0.0.0.0 without a token: no sanitizer report"
: >"$WORK/empty_token"
RC=0
timeout 5 "$CAIRN" serve --host 127.0.0.1 --port "$PORT" --token-file "$WORK/empty_token" --data-dir "$D" \
    >"$WORK/et.out" 2>"$WORK/et.err" || RC=$?
if [ "$RC" = 1 ] && grep -q '^cairn: .*token' "$WORK/et.err"; then
    ok "serve --token-file with an empty file: exit 1 with a message"
else
    not_ok "serve --token-file with an empty file: exit 1 with a message" "exit $RC; $(head -c 1000 "$WORK/et.err")"
fi

done_testing
