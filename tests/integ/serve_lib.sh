# shellcheck shell=bash
# tests/integ/serve_lib.sh - helpers of the `cairn serve` tests, sourced after lib.sh
# with WORK, BODY_F and HDR_F set: a free port, starting and stopping the server,
# requests with curl and assertions on the status and the JSON error shape.

SRV_N=0
SRV_PID=""
BG_PIDS=() # background clients a test started: serve_cleanup kills them too

# serve_cleanup: the EXIT trap of a serve test: kill the server and clients, remove $WORK.
serve_cleanup()
{
    local p
    for p in "${BG_PIDS[@]}" $SRV_PID; do
        { kill -KILL "$p" && wait "$p"; } 2>/dev/null
    done
    rm -rf "$WORK"
}

# ---- the server ----

free_port()
{
    python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# alive PID: running (not gone, not a zombie waiting for us).
alive()
{
    local st
    st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

# start_server DIR [ARGS...]: `cairn serve` on a free loopback port, ready when it says
# "cairn: serving"; sets SRV_PID, PORT, B (the base URL) and SRV_ERR (its stderr).
# The live index is off (--no-watch: the machine's own agent histories stay out of the
# tests) unless SRV_WATCH=1.
# A port taken between free_port and the bind is retried with another one.
start_server()
{
    local dir=$1 try i
    shift
    for try in 1 2 3; do
        PORT=$(free_port)
        SRV_N=$((SRV_N + 1))
        SRV_ERR=$WORK/serve.$SRV_N.err
        : >"$SRV_ERR"
        local watch=(--no-watch)
        [ -n "${SRV_WATCH:-}" ] && watch=()
        "$CAIRN" serve --port "$PORT" --data-dir "$dir" "${watch[@]}" "$@" \
            >"$WORK/serve.$SRV_N.out" 2>"$SRV_ERR" &
        SRV_PID=$!
        for i in $(seq 1 300); do # 30 s: the sanitizer build starts slowly on a busy machine
            grep -q '^cairn: serving ' "$SRV_ERR" && break
            alive "$SRV_PID" || break
            sleep 0.1
        done
        if grep -q '^cairn: serving ' "$SRV_ERR"; then
            B=http://127.0.0.1:$PORT
            return 0
        fi
        { kill -KILL "$SRV_PID" && wait "$SRV_PID"; } 2>/dev/null
        SRV_PID=""
        grep -q 'cannot listen' "$SRV_ERR" || break
    done
    diag "cairn serve did not start: $(head -c 1000 "$SRV_ERR")"
    return 1
}

# stop_server [SIGNAL]: signal the server (TERM by default) and wait up to 30 s; SRV_RC
# gets its exit status ("hung" if it had to be killed).
stop_server()
{
    local i
    [ -n "$SRV_PID" ] || { SRV_RC=none; return; }
    if [ "${1:-TERM}" = KILL ]; then
        # kill and wait in one group: its 2>/dev/null keeps bash's "Killed" notice off stderr
        SRV_RC=0
        { kill -KILL "$SRV_PID" && wait "$SRV_PID" || SRV_RC=$?; } 2>/dev/null
        SRV_PID=""
        return
    fi
    kill "-${1:-TERM}" "$SRV_PID" 2>/dev/null
    for i in $(seq 1 300); do
        alive "$SRV_PID" || break
        sleep 0.1
    done
    # the groups' 2>/dev/null keep bash's "Killed" notice off stderr
    if alive "$SRV_PID"; then
        { kill -KILL "$SRV_PID" && wait "$SRV_PID"; } 2>/dev/null
        SRV_RC=hung
    else
        SRV_RC=0
        { wait "$SRV_PID" || SRV_RC=$?; } 2>/dev/null
    fi
    SRV_PID=""
}

# stop_clean DESC: SIGTERM; exit 0, "cairn: stopped", no sanitizer report.
stop_clean()
{
    local crash
    stop_server TERM
    crash=$(crash_report "$SRV_ERR")
    if [ "$SRV_RC" = 0 ] && [ -z "$crash" ] && grep -q '^cairn: stopped' "$SRV_ERR"; then
        ok "$1"
    else
        not_ok "$1" "exit $SRV_RC; stderr: $(head -c 2000 "$SRV_ERR")"
    fi
}

# ---- HTTP ----

# req METHOD PATH [JSON_BODY [CURL_ARGS...]]: CODE gets the status, $BODY_F the body.
# A non-empty JSON_BODY is sent as application/json.
req()
{
    local m=$1 p=$2 body=${3-}
    local args=(-s -o "$BODY_F" -D "$HDR_F" -w '%{http_code}' --max-time 30 -X "$m")
    shift 2
    [ $# -gt 0 ] && shift
    [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    CODE=$(curl "${args[@]}" "$@" "$B$p") || true
}

# jb FILTER: FILTER over the last body, compact.
jb()
{
    jq -c "$1" "$BODY_F" 2>&1
}

body()
{
    head -c 1500 "$BODY_F"
}

# expect DESC STATUS: the last request got STATUS.
expect()
{
    if [ "$CODE" = "$2" ]; then
        ok "$1"
    else
        not_ok "$1" "status $CODE (want $2); body: $(body)"
    fi
}

ERR_SHAPE='(type == "object") and (keys == ["detail", "error"]) and (.error | type == "object")
  and (.error | keys == ["code", "message"]) and (.error.code | type == "string")
  and (.error.message | type == "string") and (.detail | type == "string")'

# expect_error DESC STATUS [NEEDLE]: STATUS, the body {"error": {"code", "message"},
# "detail"} and nothing else, and NEEDLE (a field name, say) in the message.
expect_error()
{
    local shape msg
    shape=$(jq -r "$ERR_SHAPE" "$BODY_F" 2>/dev/null)
    msg=$(jq -r '.error.message' "$BODY_F" 2>/dev/null)
    if [ "$CODE" = "$2" ] && [ "$shape" = true ] && [[ "$msg" == *"${3-}"* ]]; then
        ok "$1"
    else
        not_ok "$1" "status $CODE (want $2); want the error shape and '${3-}' in the message; body: $(body)"
    fi
}
