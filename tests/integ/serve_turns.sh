#!/usr/bin/env bash
# cairn serve: conversation turns (POST /api/auto_index, a durable queue indexed by a
# background worker), rule-based session summaries and memory suggestions.
set -u
CAIRN=$1
. "$(dirname "$0")/lib.sh"
require_tools curl jq python3

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-turns.XXXXXX")
SRV_PID=""
trap '[ -n "$SRV_PID" ] && kill -KILL "$SRV_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
unset CAIRN_DATA_DIR CAIRN_TOKEN
D=$WORK/store

start()
{
    local port i
    port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
    "$CAIRN" serve --port "$port" --data-dir "$D" --no-watch 2>"$WORK/err" &
    SRV_PID=$!
    for i in $(seq 1 300); do
        grep -q '^cairn: serving ' "$WORK/err" && break
        sleep 0.1
    done
    B=http://127.0.0.1:$port
}
post() { curl -s -m 10 -o "$WORK/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d "$2" "$B$1"; }
get() { curl -s -m 10 -o "$WORK/body" -w '%{http_code}' "$B$1"; }
body() { jq -c "$1" "$WORK/body" 2>&1; }
field() { jq -r "$1" "$WORK/body" 2>&1; }
# wait_indexed ID: poll the turn's status for up to 5 s
wait_indexed()
{
    local i
    for i in $(seq 1 50); do
        get "/api/auto_index/$1" >/dev/null
        [ "$(body .status)" = '"indexed"' ] && return 0
        sleep 0.1
    done
    return 1
}

start
assert_eq "$(post /api/auto_index '{"user_message":"how do we rotate the zorblax keys?","assistant_message":"Always rotate them with the vault CLI instead of by hand.","project_id":"shop"}')" \
    202 "POST /api/auto_index: 202"
assert_eq "$(body .status)" '"queued"' "the answer says queued"
T1=$(field .id)
assert_match "$T1" '^turn_[0-9a-f]{16}$' "a turn id"
wait_indexed "$T1" && ok "the turn is indexed within 5 s" || not_ok "the turn is indexed within 5 s" "$(cat "$WORK/body")"
assert_eq "$(body .session_id)" '"turns-shop"' "a turn without a session goes to the project's turn session"
get '/search?q=zorblax' >/dev/null
assert_eq "$(body '[.hits[] | .session_id] | unique')" '["turns-shop"]' "the turn is searchable"
assert_eq "$(body '[.hits[] | .role] | sort')" '["user"]' "the user's words are found as the user's"
assert_eq "$(body '[.hits[].agent] | unique')" '["api"]' "its hits have agent api"
get '/search?q=zorblax&agent=api' >/dev/null
assert_eq "$(body '[.hits[] | .session_id] | unique')" '["turns-shop"]' "search with agent=api (the hits' agent) finds it"
run_cairn "$WORK/cli.out" "$WORK/cli.err" search zorblax --agent api --json --data-dir "$D"
assert_eq "$(jq -c '[.hits[] | .session_id] | unique' "$WORK/cli.out" 2>&1)" '["turns-shop"]' \
    "cairn search --agent api finds it too (the same as GET /search)"
HOME=$WORK/home run_cairn "$WORK/cli.out" "$WORK/cli.err" show turns-shop --data-dir "$D"
assert_contains "$(cat "$WORK/cli.err")" "made over the API" \
    "cairn show of a session made over the API says so, and what shows it"
get '/search?q=zorblax&agent=opencode' >/dev/null
assert_eq "$(body '.hits | length')" 0 "search with agent=opencode does not"
get '/search?q=vault' >/dev/null
assert_eq "$(body '.hits[0].role')" '"assistant"' "the assistant's words as the assistant's"

assert_eq "$(post /api/auto_index '{"user_message":"x"}')" 400 "a turn without assistant_message: 400"
assert_contains "$(cat "$WORK/body")" "assistant_message" "the error names the field"
assert_eq "$(post /api/auto_index '{"user_message":"x","assistant_message":"y","metadata":[1]}')" 400 \
    "metadata that is not an object: 400"
assert_eq "$(get /api/auto_index/turn_0000000000000000)" 404 "an unknown turn: 404"

# a turn acknowledged just before a SIGKILL is indexed after the restart
assert_eq "$(post /api/auto_index '{"user_message":"quokkafish before the crash","assistant_message":"noted","session_id":"ses_kill","project_id":"shop"}')" \
    202 "a turn right before SIGKILL: 202"
T2=$(field .id)
kill -KILL "$SRV_PID"
wait "$SRV_PID" 2>/dev/null
SRV_PID=""
start
wait_indexed "$T2" && ok "after a SIGKILL and a restart the acknowledged turn is indexed" ||
    not_ok "after a SIGKILL and a restart the acknowledged turn is indexed" "$(cat "$WORK/body")"
get '/search?q=quokkafish' >/dev/null
assert_eq "$(body '[.hits[].session_id] | unique')" '["ses_kill"]' "it is searchable in the session it named"
# a turn for that session in another project is refused (it would be filed under the session's)
assert_eq "$(post /api/auto_index '{"user_message":"u","assistant_message":"a","session_id":"ses_kill","project_id":"other"}')" \
    409 "a turn naming a session of another project: 409"
assert_contains "$(cat "$WORK/body")" "project_id" "the error names project_id"
assert_eq "$(post /api/auto_index '{"user_message":"u","assistant_message":"a","session_id":"ses_kill","project_id":"shop"}')" \
    202 "the same turn naming the session's own project: 202"

# summaries and suggestions of a session with context
post /sessions '{"tool_id":"t","workspace_path":"/w","project_id":"shop"}' >/dev/null
S=$(field .session_id)
post "/sessions/$S/context" '{"file_path":"src/cart.c","file_importance":0.9,"decision":"Use WAL mode for the store."}' >/dev/null
get "/api/session_summary?session_id=turns-shop" >/dev/null
assert_eq "$(body '.messages_by_role')" '{"user":1,"assistant":1}' "summary: messages by role"
assert_eq "$(body '.last_messages | length')" 2 "summary: the last messages"
assert_eq "$(body '.last_messages[0].role')" '"assistant"' "summary: newest first"
get "/api/session_summary?session_id=$S" >/dev/null
assert_eq "$(body '.files_touched')" '["src/cart.c"]' "summary: files touched come from the context too"
assert_eq "$(body '.decisions')" '["Use WAL mode for the store."]' "summary: decisions"
assert_eq "$(get '/api/session_summary?session_id=nope')" 404 "summary of an unknown session: 404"
assert_eq "$(get '/api/session_summary')" 400 "summary without session_id: 400"

get "/api/memory_suggestions?session_id=turns-shop" >/dev/null
assert_eq "$(body '[.suggestions[] | .rule]')" '["use-instead"]' "suggestions: 'instead of' is a rule"
assert_eq "$(body '.suggestions[0].text')" '"Always rotate them with the vault CLI instead of by hand."' \
    "suggestions: the sentence it came from"
assert_eq "$(body '.suggestions[0].source | (.start < .end) and (.message_id | endswith(":assistant"))')" true \
    "suggestions: the span and the message it came from"
assert_eq "$(body '.suggestions[0].suggested_key')" '"always-rotate-them-with-the"' "suggestions: a key from its first words"
get "/api/memory_suggestions?session_id=$S" >/dev/null
assert_eq "$(body '[.suggestions[] | {rule, text}]')" '[{"rule":"decision","text":"Use WAL mode for the store."}]' \
    "suggestions: a decision of the context"

# the rules: decisions said in the conversation; questions, remarks and code are no rules;
# a sentence said twice is suggested once; past 20, the answer says it was cut
turn() { # turn SESSION USER ASSISTANT: post it and wait until it is indexed
    post /api/auto_index "$(jq -nc --arg s "$1" --arg u "$2" --arg a "$3" \
        '{session_id: $s, project_id: "shop", user_message: $u, assistant_message: $a}')" >/dev/null
    wait_indexed "$(field .id)"
}
turn rules "Which database should we use for the ledger?" \
    "We decided to use Postgres for the ledger service. It is always hard to say. I would never do that."
turn rules "Should we always run the linter? Always run make check before pushing." \
    "Do not use yarn instead of npm. Run export OPENAI_API_KEY=your-key first. 37 │ x = JSON.parse(t);"
turn rules "again?" "We decided to use Postgres for the ledger service."
turn rules "We never push on Fridays. I don't know about that one." "ok"
get "/api/memory_suggestions?session_id=rules" >/dev/null
assert_eq "$(body '[.suggestions[] | [.rule, .text]]')" \
    '[["never","We never push on Fridays."],["decision","We decided to use Postgres for the ledger service."],["never","Do not use yarn instead of npm."],["config","Run export OPENAI_API_KEY=your-key first."],["always","Always run make check before pushing."]]' \
    "suggestions: a decision said in the conversation, newest first, each once; no questions, remarks or code"
assert_eq "$(body '[.count, .truncated]')" '[5,false]' "suggestions: the count, not cut"
for i in $(seq 1 22); do
    post /api/auto_index "{\"session_id\":\"many\",\"project_id\":\"shop\",\"user_message\":\"Always run check number $i before pushing.\",\"assistant_message\":\"ok\"}" >/dev/null
done
wait_indexed "$(field .id)"
get "/api/memory_suggestions?session_id=many" >/dev/null
assert_eq "$(body '[.count, .truncated, .suggestions[0].text]')" '[20,true,"Always run check number 22 before pushing."]' \
    "suggestions: at most 20, the newest, and the answer says more were found"

get "/projects/shop/memories" >/dev/null
assert_eq "$(body .count)" 0 "nothing is saved by suggesting"
done_testing
