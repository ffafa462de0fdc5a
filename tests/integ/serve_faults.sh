#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2317  # TODO_REASON is read by lib.sh; cleanup runs from a trap
# tests/integ/serve_faults.sh CAIRN SHARED_DIR - `cairn serve` under bad requests,
# signals and stores that cannot be opened.
#
# The real server runs on a free loopback port over a temp store.  Checked:
# malformed and non-object JSON bodies (400), other content types on JSON
# routes (415), bodies over 1 MiB, with and without a length (413; exactly
# 1 MiB is accepted), unknown routes (404), wrong methods (405), ids in paths
# (over 128 bytes, '.', '..', control characters, an encoded '/' or NUL:
# 400), and that every one of these errors is {"error": {"code", "message"},
# "detail"}; the server still answers afterwards.  SIGTERM while 20 slow
# uploads and 4 writer loops are in flight: exit 0, the in-flight requests
# finish, and every acknowledged write (201) is there after a restart.
# Clients that give up while the writer waits for a lock held elsewhere: the
# server resumes their closed connections unharmed, their writes are stored.
# SIGKILL right after a 201: the memory, session and context are there after
# a restart.  A data dir that is a file, a cairn.db that is not a database, a
# port in use and a --host that is not an address: exit 1 with a message.
# Every server is stopped by the script (the trap kills whatever is left);
# every curl is bounded by --max-time, every loop by a count.  TAP on stdout.
set -u
CAIRN=${1:?usage: serve_faults.sh CAIRN SHARED_DIR}
SHARED=${2:?usage: serve_faults.sh CAIRN SHARED_DIR}
. "$(dirname "$0")/lib.sh"
require_tools curl jq python3 timeout
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-srvflt.XXXXXX")
. "$(dirname "$0")/serve_lib.sh"
trap serve_cleanup EXIT
unset CAIRN_DATA_DIR CAIRN_TOKEN OPENCODE_DB CLAUDE_CONFIG_DIR CODEX_HOME

D=$WORK/store
BODY_F=$WORK/body
HDR_F=$WORK/headers

# mkbody FILE BYTES: a JSON object {"key":"big","value":"v"} padded with spaces to BYTES.
mkbody()
{
    python3 -c 'import sys; b = b"{\"key\":\"big\",\"value\":\"v\"}"; n = int(sys.argv[2]); open(sys.argv[1], "wb").write(b[:-1] + b" " * (n - len(b)) + b"}")' "$1" "$2"
}

if ! start_server "$D"; then
    echo "Bail out! cairn serve did not start"
    exit 1
fi
req POST /sessions '{"tool_id":"t","workspace_path":"/w","project_id":"p"}'
S=$(jq -r '.session_id' "$BODY_F" 2>/dev/null)
assert_match "$S" '^ses_' "a session to aim at"

# ---- 1. bodies ----

for r in "/sessions" "/projects/p/memories" "/sessions/$S/context"; do
    req POST "$r" '{"key": "a", "value":'
    expect_error "POST $r with truncated JSON: 400" 400 "JSON"
done
req POST /projects/p/memories '{"key": "a", "value": "b",}'
expect_error "a trailing comma: 400" 400
req POST /projects/p/memories "{'key': 'a', 'value': 'b'}"
expect_error "single-quoted JSON: 400" 400
req POST /projects/p/memories $'{"key": "a", "value": "\xff\xfe"}'
expect_error "invalid UTF-8 in a string: 400" 400
req POST /projects/p/memories "{\"key\":\"a\",\"value\":\"b\",\"metadata\":$(printf '[%.0s' $(seq 1 5000))$(printf ']%.0s' $(seq 1 5000))}"
expect_error "metadata nested 5000 deep: 400, no crash" 400
req POST /projects/p/memories '{"key": "a", "value": "b"} {"key": "c"}'
expect_error "two JSON values: 400" 400
req POST /projects/p/memories '[{"key":"a","value":"b"}]'
expect_error "a JSON array body: 400" 400 "object"
req POST /sessions '["tool_id","t"]'
expect_error "a JSON array body on POST /sessions: 400" 400 "object"
req POST "/sessions/$S/context" '"file_path"'
expect_error "a JSON string body: 400" 400 "object"
req POST "/sessions/$S/context" 'null'
expect_error "a JSON null body: 400" 400
req POST "/sessions/$S/context" '42'
expect_error "a JSON number body: 400" 400

B_OK='{"key":"ct","value":"v"}'
req POST /projects/p/memories '' -H 'Content-Type: text/plain' --data-binary "$B_OK"
expect_error "POST memories as text/plain: 415" 415
req POST /sessions '' -H 'Content-Type: application/x-www-form-urlencoded' --data-binary '{"tool_id":"t","workspace_path":"/w","project_id":"p"}'
expect_error "POST /sessions as a form: 415" 415
req POST "/sessions/$S/context" '' -H 'Content-Type:' --data-binary '{"decision":"d"}'
expect_error "POST context without a Content-Type: 415" 415
req POST /projects/p/memories '' -H 'Content-Type: application/jsonx' --data-binary "$B_OK"
expect_error "POST memories as application/jsonx: 415" 415
req GET /health '' --data-binary 'x' -X GET
expect "GET /health with a text body: the route takes none, so no 415 (200)" 200
req GET '/projects/p/memories?key=ct'
expect_error "the refused bodies wrote nothing" 404
req POST /projects/p/memories '' -H 'Content-Type: application/json; charset=utf-8' --data-binary "$B_OK"
expect "application/json; charset=utf-8 is JSON: 201" 201
req POST /projects/p/memories '' -H 'Content-Type: Application/JSON' --data-binary "$B_OK"
expect "Application/JSON (case-insensitive): 201" 201

mkbody "$WORK/over" $((1024 * 1024 + 1))
mkbody "$WORK/exact" $((1024 * 1024))
req POST /projects/p/memories '' -H 'Content-Type: application/json' --data-binary "@$WORK/over"
expect_error "a body of 1 MiB + 1 byte: 413" 413
req POST /projects/p/memories '' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary "@$WORK/over"
expect_error "a chunked body of 1 MiB + 1 byte (no length): 413" 413
head -c $((8 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$WORK/huge"
req POST "/sessions/$S/context" '' -H 'Content-Type: application/json' --data-binary "@$WORK/huge"
expect_error "a body of 8 MiB: 413" 413
req GET '/projects/p/memories?key=big'
expect_error "the bodies over the limit wrote nothing" 404
req POST /projects/p/memories '' -H 'Content-Type: application/json' --data-binary "@$WORK/exact"
expect "a body of exactly 1 MiB: 201" 201

# ---- 2. routes and methods ----

for p in / /nope /sessions/x/nope /sessions/x/context/more /projects/p /projects /projects/p/memories/k/nope /a/b/c/d/e/f/g/h/i/j /healthz; do
    req GET "$p"
    expect_error "GET $p: 404" 404
done
req POST /nope '{"a":1}'
expect_error "POST /nope: 404" 404
while read -r m p; do
    req "$m" "$p"
    expect_error "$m $p: 405" 405
done <<EOT
PUT /sessions
DELETE /sessions
PATCH /sessions
PUT /sessions/$S
DELETE /sessions/$S
GET /sessions/$S/end
GET /sessions/$S/pin
PUT /sessions/$S/context
DELETE /sessions/$S/context
POST /health
DELETE /health
GET /projects/p/memories/k
PUT /projects/p/memories/k
POST /projects/p/memories/k/history
POST /projects/p/memories/search
POST /search
POST /metrics
DELETE /openapi.json
EOT
req PUT /sessions '{"tool_id":"t","workspace_path":"/w","project_id":"p"}'
expect_error "PUT /sessions with a valid body: 405" 405
# RFC 9110: a 405 says which methods the route takes
assert_match "$(grep -i '^allow:' "$HDR_F" | tr -d '\r')" '^[Aa]llow: (POST, GET|GET, POST)$' "PUT /sessions: 405 with Allow: GET, POST"
req GET "/projects/p/memories/k"
assert_match "$(grep -i '^allow:' "$HDR_F" | tr -d '\r')" '^[Aa]llow: DELETE$' "GET /projects/p/memories/k: 405 with Allow: DELETE"
req POST /metrics
assert_match "$(grep -i '^allow:' "$HDR_F" | tr -d '\r')" '^[Aa]llow: GET$' "POST /metrics: 405 with Allow: GET"
# a probe's HEAD (curl -I) of the service routes: their headers, no body
for p in /health /metrics /openapi.json; do
    assert_eq "$(curl -sI --max-time 10 "$B$p" | head -1 | tr -d '\r')" "HTTP/1.1 200 OK" "HEAD $p: 200"
done
assert_eq "$(curl -sI --max-time 10 -o /dev/null -w '%{http_code}' "$B/sessions")" 405 "HEAD of another route: 405"

# ---- 3. ids in paths ----

A128=$(printf 'a%.0s' $(seq 1 128))
A129=${A128}a
req GET "/sessions/$A129"
expect_error "GET /sessions/<129-byte id>: 400" 400 "128"
req GET "/sessions/$A128"
expect_error "GET /sessions/<128-byte id>: accepted, 404 (no such session)" 404 "no session"
req POST "/sessions/$A129/context" '{"decision":"d"}'
expect_error "POST /sessions/<129-byte id>/context: 400" 400 "128"
req GET "/projects/$A129/memories"
expect_error "GET /projects/<129-byte id>/memories: 400" 400 "128"
req DELETE "/projects/p/memories/$A129"
expect_error "DELETE /projects/p/memories/<129-byte key>: 400" 400 "128"
req GET "/projects/p/memories/$A129/history"
expect_error "GET …/memories/<129-byte key>/history: 400" 400 "128"
req POST "/projects/$A128/memories" '{"key":"long","value":"v"}'
expect "POST /projects/<128-byte id>/memories: 201" 201

while read -r m p; do
    req "$m" "$p" '' --path-as-is
    expect_error "$m $p: 400" 400 ".."
done <<'EOT'
GET /sessions/..
GET /sessions/../context
POST /sessions/../end
GET /projects/../memories
DELETE /projects/p/memories/..
GET /projects/p/memories/../history
GET /sessions/%2e%2e
GET /sessions/%2E%2E/context
EOT
req GET /sessions/. '' --path-as-is
expect_error "GET /sessions/.: 400" 400
for c in %01 %1f %1F %7f %0a %0d %09 %1b; do
    req GET "/sessions/a${c}b"
    expect_error "GET /sessions/a${c}b (a control character): 400" 400 "control"
done
req DELETE "/projects/p/memories/k%01"
expect_error "DELETE /projects/p/memories/k%01: 400" 400 "control"
req POST "/projects/p%02/memories" '{"key":"k","value":"v"}'
expect_error "POST /projects/p%02/memories: 400" 400 "control"

req GET /sessions/ses_a%00b
[ "$CODE" = 404 ] && grep -q "no session 'ses_a'" "$BODY_F" &&
    TODO_REASON="http bug: %00 in a path is decoded to NUL and cuts the id short (GET /sessions/ses_a%00b looks up 'ses_a') instead of 400"
expect_error "GET /sessions/ses_a%00b (an encoded NUL): 400" 400

# an encoded '/' inside an id must not become a path separator
req POST /projects/p/memories '{"key":"victim","value":"v"}'
req DELETE /projects/p/memories/a%2Fb
[ "$CODE" = 404 ] && grep -q 'no such route' "$BODY_F" &&
    TODO_REASON="http bug: %2F in a path id is decoded before routing, so it splits the id into two segments (404 'no such route', or another route) instead of 400"
expect_error "DELETE /projects/p/memories/a%2Fb (an encoded '/' in the key): 400" 400
req POST "/sessions/$S%2Fpin"
pinned=$(curl -s --max-time 30 "$B/sessions/$S" | jq -r .pinned 2>/dev/null)
[ "$CODE" = 200 ] && [ "$pinned" = true ] &&
    TODO_REASON="http bug: POST /sessions/<id>%2Fpin is routed as POST /sessions/<id>/pin (the session was pinned) instead of 400 for an id with '/'"
expect_error "POST /sessions/<id>%2Fpin (an encoded '/' in the id): 400, not a pin" 400
req GET /projects/p/memories/victim%2F..%2F..%2Fhistory
[ "$CODE" = 404 ] && grep -q 'no such route' "$BODY_F" && TODO_REASON="http bug: %2F in a path id splits it (see above)"
expect_error "GET /projects/p/memories/victim%2F..%2F..%2Fhistory: 400" 400

# over-long request lines and headers: 414 and 431, with the JSON error body
req GET "/sessions/$(printf 'a%.0s' $(seq 1 20000))"
expect_error "a 20 KB path: 414 with the JSON error body" 414
assert_eq "$(jb .error.code)" '"uri_too_long"' "a 20 KB path: code uri_too_long"
req GET "/projects/p/memories?key=$(printf 'k%.0s' $(seq 1 9000))"
expect_error "a 9 KB query string: 414" 414
req GET /health "" -H "X-Padding: $(printf 'h%.0s' $(seq 1 20000))"
expect_error "a 20 KB header: 431 with the JSON error body" 431
assert_eq "$(jb .error.code)" '"headers_too_large"' "a 20 KB header: code headers_too_large"
req GET "/projects/p/memories?key=$(printf 'k%.0s' $(seq 1 7000))"
expect "a 7 KB query string (under the 8 KiB limit): answered (404, no such key)" 404
# the largest request the limits allow fits libmicrohttpd's memory for a connection
req GET "/projects/p/memories?key=$(printf 'k%.0s' $(seq 1 8000))" "" \
    -H "X-Padding: $(printf 'h%.0s' $(seq 1 15000))" -H "X-More: $(printf 'm%.0s' $(seq 1 1000))"
expect_error "an 8 KB query string and 16 KB of headers (the limits): answered by cairn (404, no such key)" 404 "no memory"

req GET /health
expect "after all the bad requests the server still answers GET /health: 200" 200
req GET '/projects/p/memories?limit=100'
assert_eq "$(jb '[.memories[].memory_key] | sort')" '["big","ct","victim"]' \
    "only the accepted writes are stored (ct, big, victim)"
stop_clean "SIGTERM after the bad requests: exit 0, no sanitizer report"

# ---- 4. SIGTERM with requests in flight ----

D2=$WORK/store-term
if ! start_server "$D2"; then
    echo "Bail out! cairn serve did not start"
    exit 1
fi
mkdir -p "$WORK/term"
# 4 writers, each POSTing one memory after another until the server is gone ...
for w in 1 2 3 4; do
    (
        for n in $(seq 1 400); do
            c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -X POST -H 'Content-Type: application/json' \
                --data-binary "{\"key\":\"fast${w}_$n\",\"value\":\"v\"}" "$B/projects/pt/memories" 2>/dev/null)
            echo "fast${w}_$n $c"
            [ "$c" = 000 ] && break
        done
    ) >"$WORK/term/fast$w" &
    BG_PIDS+=($!)
done
for i in $(seq 1 100); do # they are under way (bounded: 10 s)
    [ "$(cat "$WORK"/term/fast* 2>/dev/null | grep -c ' 201$')" -ge 8 ] && break
    sleep 0.1
done
# ... and 20 slow uploads (3 KB at 2 KB/s: 1.5 s each)
PAD=$(printf ' %.0s' $(seq 1 3000))
SLOW_PIDS=()
for i in $(seq 1 20); do
    curl -s -o /dev/null -w '%{http_code}' --max-time 30 --limit-rate 2k -X POST \
        -H 'Content-Type: application/json' --data-binary "{\"key\":\"slow$i\",\"value\":\"v$i\"$PAD}" \
        "$B/projects/pt/memories" >"$WORK/term/slow$i" 2>/dev/null &
    SLOW_PIDS+=($!)
done
BG_PIDS+=("${SLOW_PIDS[@]}")

# accepted_slow: how many slow uploads the server has accepted (ss: its sockets whose
# peer port is the local port of a slow curl)
accepted_slow()
{
    ss -tnpH state established 2>/dev/null | awk -v port="$PORT" -v srv="$SRV_PID" -v slow=" ${SLOW_PIDS[*]} " '
        function pport(a) { sub(/.*:/, "", a); return a }
        { pid = $0; if (!match(pid, /pid=[0-9]+/)) next; pid = substr(pid, RSTART + 4, RLENGTH - 4)
          if (pid == srv && pport($3) == port) server[pport($4)] = 1
          else if (index(slow, " " pid " ") && pport($4) == port) client[pport($3)] = 1 }
        END { n = 0; for (p in client) if (p in server) n++; print n }'
}
if command -v ss >/dev/null 2>&1; then
    for i in $(seq 1 50); do # bounded: 5 s
        [ "$(accepted_slow)" -ge 20 ] && break
        sleep 0.1
    done
    diag "the server has accepted $(accepted_slow) of the 20 slow uploads"
else
    sleep 0.5
fi
sleep 0.2
inflight=0
for i in $(seq 1 20); do [ -s "$WORK/term/slow$i" ] || inflight=$((inflight + 1)); done
diag "SIGTERM with $inflight slow uploads unanswered and $(cat "$WORK"/term/fast* | grep -c ' 201$') fast writes acknowledged"
assert_eq "$inflight" 20 "SIGTERM is sent while the 20 slow uploads are in flight"
stop_clean "SIGTERM with requests in flight: exit 0, 'stopped', no sanitizer report"
for p in "${BG_PIDS[@]}"; do
    wait "$p" 2>/dev/null
done
BG_PIDS=()
assert_eq "$(cat "$WORK"/term/slow* | fold -w3 | sort | uniq -c | awk '{print $2 "x" $1}')" "201x20" \
    "SIGTERM: the 20 in-flight uploads finish with 201"
acked=$( (for i in $(seq 1 20); do [ "$(cat "$WORK/term/slow$i")" = 201 ] && echo "slow$i"; done
    cat "$WORK"/term/fast* | awk '$2 == 201 {print $1}') | sort)
stopped=$(cat "$WORK"/term/fast* | awk '$2 == "000"' | wc -l)
assert_eq "$stopped" 4 "after SIGTERM the server takes no new connections (each writer ended on a refusal)"
if start_server "$D2"; then
    req GET '/projects/pt/memories?limit=1000'
    stored=$(jq -r '.memories[].memory_key' "$BODY_F" 2>/dev/null | sort)
    missing=$(comm -23 <(echo "$acked") <(echo "$stored"))
    if [ -n "$acked" ] && [ -z "$missing" ]; then
        ok "after a restart all $(wc -l <<<"$acked") acknowledged writes are there"
    else
        not_ok "after a restart all acknowledged writes are there" "missing: $(head -c 1000 <<<"$missing")"
    fi
    stop_clean "the restarted server stops cleanly"
else
    not_ok "the server restarts on the store after SIGTERM" "$(head -c 1000 "$SRV_ERR")"
fi

# ---- 4b. clients that give up while the writer waits ----
# Another connection holds the store's write lock for 2.5 s (the writer waits for it,
# up to SQLite's 5 s busy timeout): requests queued for the writer stay suspended.
# Clients that give up after 0.5 s leave; the server must not trip over their closed
# connections when it resumes them, their writes are stored whole, and patient
# clients get their answers.

D4=$WORK/store-wait
if start_server "$D4"; then
    req POST /sessions '{"tool_id":"t","workspace_path":"/w","project_id":"pw"}'
    SW=$(jq -r .session_id "$BODY_F" 2>/dev/null)
    req POST /projects/pw/memories '{"key":"kw","value":"v"}'
    python3 -c '
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
con.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").write("locked")
time.sleep(2.5)
con.execute("ROLLBACK")
' "$D4/cairn.db" "$WORK/locked" &
    LOCKER=$!
    for _ in $(seq 1 100); do
        [ -s "$WORK/locked" ] && break
        sleep 0.05
    done
    mkdir -p "$WORK/wait"
    for i in 1 2 3 4 5 6; do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 0.5 -X POST -H 'Content-Type: application/json' \
            --data-binary "{\"decision\":\"gave up $i\"}" "$B/sessions/$SW/context" >"$WORK/wait/quit$i" 2>/dev/null &
    done
    for i in 1 2 3; do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 0.5 "$B/projects/pw/memories?key=kw" \
            >"$WORK/wait/read$i" 2>/dev/null &
    done
    curl -s -o "$WORK/wait/patient.body" -w '%{http_code}\n' --max-time 20 -X POST \
        -H 'Content-Type: application/json' --data-binary '{"decision":"waited"}' \
        "$B/sessions/$SW/context" >"$WORK/wait/patient" 2>/dev/null &
    PATIENT=$!
    wait "$LOCKER"
    wait "$PATIENT"
    sleep 0.6 # the impatient curls are done (0.5 s)
    assert_eq "$(cat "$WORK"/wait/quit* "$WORK"/wait/read* | sort | uniq -c | awk '{print $1, $2}')" "9 000" \
        "the write lock held 2.5 s: the 9 clients with --max-time 0.5 gave up unanswered"
    assert_eq "$(cat "$WORK/wait/patient") $(jq -c '[.context.decisions[].decision | select(. == "waited")]' "$WORK/wait/patient.body" 2>&1)" \
        '200 ["waited"]' "the patient client gets 200 and the context with its decision"
    req GET "/sessions/$SW/context"
    assert_eq "$CODE $(jb '[.context.decisions[].decision] | sort')" \
        '200 ["gave up 1","gave up 2","gave up 3","gave up 4","gave up 5","gave up 6","waited"]' \
        "the writes of the clients that gave up are stored whole"
    req GET "/projects/pw/memories?key=kw"
    assert_eq "$CODE $(jb .memory.accessed_count)" "200 4" \
        "the reads of the clients that gave up were counted (3), and this one: 4"
    stop_clean "after resuming connections whose clients left: exit 0, no sanitizer report"
else
    not_ok "a server for the clients that give up" "$(head -c 1000 "$SRV_ERR")"
fi

# ---- 5. SIGKILL right after a 201 ----

D3=$WORK/store-kill
for round in 1 2 3; do
    if ! start_server "$D3"; then
        not_ok "round $round: the server starts on the store after a SIGKILL" "$(head -c 1000 "$SRV_ERR")"
        continue
    fi
    if [ "$round" = 1 ]; then
        req POST /sessions '{"tool_id":"t","workspace_path":"/w","project_id":"pk"}'
        SK=$(jq -r .session_id "$BODY_F" 2>/dev/null)
        req POST "/sessions/$SK/context" '{"decision":"acked before the kill"}'
    else
        req GET "/projects/pk/memories?key=k$((round - 1))"
        assert_eq "$CODE $(jb .memory.memory_value)" "200 \"value $((round - 1))\"" \
            "after SIGKILL round $((round - 1)) and a restart: the memory acknowledged just before is there"
        req GET "/sessions/$SK/context"
        assert_eq "$(jb '[.context.decisions[].decision]')" '["acked before the kill"]' \
            "after SIGKILL round $((round - 1)): the session and its context are there"
    fi
    req POST /projects/pk/memories "{\"key\":\"k$round\",\"value\":\"value $round\"}"
    stop_server KILL
    expect "round $round: POST memory 201, then SIGKILL at once" 201
done
if start_server "$D3"; then
    req GET /projects/pk/memories/k3/history
    assert_eq "$(jb '[.count, .versions[0].memory_value]')" '[1,"value 3"]' "after the last SIGKILL: k3 is there, one version"
    req GET /health
    assert_eq "$(jb .status)" '"ok"' "the store killed three times opens and answers"
    stop_clean "the server over the killed store stops cleanly"
else
    not_ok "the server restarts after the last SIGKILL" "$(head -c 1000 "$SRV_ERR")"
fi
if command -v sqlite3 >/dev/null 2>&1; then
    assert_eq "$(sqlite3 "$D3/cairn.db" 'PRAGMA integrity_check' 2>&1)" ok "the killed store passes PRAGMA integrity_check"
else
    skip "the killed store passes PRAGMA integrity_check" "no sqlite3"
fi

# ---- 6. a server that cannot start ----

# serve_fails DESC ARGS...: `cairn serve ARGS` exits 1 at once with a "cairn: " message
# naming NEEDLE (the first ARG), never saying it serves.
serve_fails()
{
    local desc=$1 needle=$2
    shift 2
    RC=0
    timeout 20 "$CAIRN" serve "$@" >"$WORK/fail.out" 2>"$WORK/fail.err" || RC=$?
    if [ "$RC" = 1 ] && grep -q "^cairn: .*$needle" "$WORK/fail.err" && ! grep -q serving "$WORK/fail.err" &&
        [ -z "$(crash_report "$WORK/fail.err")" ]; then
        ok "$desc: exit 1 with a message"
    else
        not_ok "$desc: exit 1 with a message" "exit $RC (want 1, a message with '$needle'); $(head -c 1500 "$WORK/fail.err")"
    fi
}
echo "not a directory" >"$WORK/afile"
serve_fails "serve --data-dir <a file>" "$WORK/afile" --port "$(free_port)" --data-dir "$WORK/afile"
mkdir -p "$WORK/junk"
head -c 8192 /dev/urandom >"$WORK/junk/cairn.db"
serve_fails "serve over a cairn.db that is not a database" "cairn.db" --port "$(free_port)" --data-dir "$WORK/junk"
serve_fails "serve --host example.invalid" "example.invalid" --host example.invalid --port "$(free_port)" --data-dir "$D"
if start_server "$D"; then
    serve_fails "serve on a port in use" "port $PORT: Address already in use" --port "$PORT" --data-dir "$WORK/store-other"
    req GET /health
    expect "the server holding the port is unharmed" 200
    stop_clean "and stops cleanly"
else
    not_ok "a server to hold a port" "$(head -c 1000 "$SRV_ERR")"
fi

done_testing
