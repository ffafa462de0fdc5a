#!/usr/bin/env bash
# A growing transcript (Claude Code, Codex) is read from its last turn on: the
# stored messages before it keep their rows, and the result equals a fresh full
# read.  A rewritten (shorter) file is read whole again.
set -u
CAIRN=$1
SHARED=$2
. "$(dirname "$0")/lib.sh"
require_tools jq sqlite3 python3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$SHARED/fixtures/claude/2.1.329" "$tmp/c"
f=$(ls "$tmp"/c/projects/*/885e989e-*.jsonl)
S=885e989e-89d2-47f7-ac57-c3462bbfb3c0
db=$tmp/s/cairn.db
q() { sqlite3 "$db" "$1"; }
snapshot() { # what a reader should see of the session, independent of how it was read
    sqlite3 "$1" "SELECT nmessages, nparts, tokens_input, tokens_output, title FROM sessions WHERE session_id = '$S';
                  SELECT m.seq, m.role, m.message_id, count(p.id) FROM messages m LEFT JOIN parts p ON
                  p.message_rowid = m.id WHERE m.session_rowid = (SELECT id FROM sessions WHERE
                  session_id = '$S') GROUP BY m.id ORDER BY m.seq;"
}
append() { # a typed prompt and its answer, as Claude Code writes them
    python3 - "$f" "$1" <<'PY'
import json, sys, uuid
path, word = sys.argv[1], sys.argv[2]
lines = [json.loads(l) for l in open(path) if '"uuid"' in l]
last = lines[-1]
u = str(uuid.uuid4())
new = [{"type": "user", "uuid": u, "parentUuid": last["uuid"], "sessionId": last["sessionId"],
        "timestamp": "2026-11-21T06:00:00.000Z", "cwd": last["cwd"],
        "message": {"role": "user", "content": word + " appended prompt"}},
       {"type": "assistant", "uuid": str(uuid.uuid4()), "parentUuid": u,
        "sessionId": last["sessionId"], "timestamp": "2026-11-21T06:00:01.000Z",
        "cwd": last["cwd"], "requestRef": "rr-" + word,
        "message": {"id": "msg_" + word, "role": "assistant", "model": "claude-sonnet-4-5",
                    "content": [{"type": "text", "text": "answer " + word}],
                    "usage": {"input_tokens": 7, "output_tokens": 3}}}]
open(path, "a").write("".join(json.dumps(n) + "\n" for n in new))
PY
}

run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c" --data-dir "$tmp/s"
assert_eq "$RC" 0 "first ingest"
first_row=$(q "SELECT id FROM messages WHERE message_id = '43320f3b-28e6-4e18-ad7c-15e23a57cf53'")
tail1=$(q "SELECT tail_offset FROM sessions WHERE session_id = '$S'")
assert_eq "$tail1" "$(stat -c %s "$f")" "the stored tail is the end of the last complete line"

append zanzibar
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c" --data-dir "$tmp/s"
assert_contains "$(cat "$tmp/out")" "0 new, 1 changed, 2 unchanged" "an appended turn: 1 changed"
assert_eq "$(q "SELECT id FROM messages WHERE message_id = '43320f3b-28e6-4e18-ad7c-15e23a57cf53'")" \
    "$first_row" "messages before the last turn keep their rows (not re-read, not rewritten)"
assert_eq "$(q "SELECT resume_seq > 0 FROM sessions WHERE session_id = '$S'")" 1 \
    "the next read resumes after the stored messages"
run_cairn "$tmp/out" "$tmp/err" search zanzibar --data-dir "$tmp/s" --json
assert_eq "$(jq -r '.hits[0].session_id' "$tmp/out")" "$S" "the appended text is searchable"

# the same file read whole into a fresh store gives the same session
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c" --data-dir "$tmp/fresh"
assert_eq "$(snapshot "$db")" "$(snapshot "$tmp/fresh/cairn.db")" \
    "a resumed read equals a full read (counts, tokens, title, messages and parts)"

# a partial line (the agent still writing) is left for later, then finished
append quokka
head -c -40 "$f" >"$f.tmp" && tail -c 40 "$f" >"$tmp/rest" && mv "$f.tmp" "$f"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c" --data-dir "$tmp/s"
assert_eq "$RC" 0 "a partial last line is not an error"
cat "$tmp/rest" >>"$f"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c" --data-dir "$tmp/s"
run_cairn "$tmp/out" "$tmp/err" search quokka --data-dir "$tmp/s" --json
assert_eq "$(jq '[.hits[] | select(.session_id == "'$S'")] | length' "$tmp/out")" 2 \
    "once the line is complete, the prompt and the answer are both found"
rm -rf "$tmp/fresh"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c" --data-dir "$tmp/fresh"
assert_eq "$(snapshot "$db")" "$(snapshot "$tmp/fresh/cairn.db")" "still equal to a full read"

# rewritten shorter (not an append): read whole, the lost messages go
head -n 20 "$f" >"$f.tmp" && mv "$f.tmp" "$f"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c" --data-dir "$tmp/s"
rm -rf "$tmp/fresh"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c" --data-dir "$tmp/fresh"
assert_eq "$(snapshot "$db")" "$(snapshot "$tmp/fresh/cairn.db")" \
    "a truncated file is read whole and equals a fresh read"
run_cairn "$tmp/out" "$tmp/err" search zanzibar --data-dir "$tmp/s" --json
assert_eq "$(jq '.hits | length' "$tmp/out")" 0 "text cut from the file is no longer found"

# cut back to lines that are no conversation: the file holds no session now, so it is gone
cp "$f" "$tmp/kept"
printf '{"type":"file-history-snapshot","messageId":"m1","snapshot":{"messageId":"m1","trackedFileBackups":{},"timestamp":"2026-11-21T06:00:00.000Z"},"isSnapshotUpdate":false}\n' >"$f"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c" --data-dir "$tmp/s"
assert_contains "$(cat "$tmp/out")" "0 new, 0 changed, 2 unchanged, 1 gone" \
    "a transcript left with no conversation: its session is gone"
assert_eq "$(q "SELECT gone_at > 0 FROM sessions WHERE session_id = '$S'")" 1 "and marked so"
mv "$tmp/kept" "$f"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c" --data-dir "$tmp/s"
assert_contains "$(cat "$tmp/out")" "0 new, 1 changed, 2 unchanged, 0 gone" \
    "its conversation written back: the session is back"
assert_eq "$(q "SELECT gone_at IS NULL FROM sessions WHERE session_id = '$S'")" 1 "and no longer gone"

# Codex: each real rollout cut in half, ingested, then grown back to its whole
mkdir -p "$tmp/cx"
cp -R "$SHARED/fixtures/codex/localpush/sessions" "$tmp/cx/"
for r in "$tmp"/cx/sessions/*/*/*/*.jsonl; do
    cp "$r" "$r.whole"
    head -n $(($(wc -l <"$r") / 2)) "$r.whole" >"$r"
done
run_cairn "$tmp/out" "$tmp/err" ingest --source "codex=$tmp/cx" --data-dir "$tmp/cs"
for r in "$tmp"/cx/sessions/*/*/*/*.jsonl; do mv "$r.whole" "$r"; done
# thread D's early turns (thread E's first prompts are re-classified as harness text once
# the rest of its file shows prompt events, so its rows may change)
early="SELECT group_concat(m.id) FROM messages m JOIN sessions s ON s.id = m.session_rowid WHERE s.session_id = '019c8a59-e9dd-71f0-9ae3-4079fe9726a9' AND m.seq < 100"
kept=$(sqlite3 "$tmp/cs/cairn.db" "$early")
run_cairn "$tmp/out" "$tmp/err" ingest --source "codex=$tmp/cx" --data-dir "$tmp/cs"
assert_contains "$(cat "$tmp/out")" "0 new, 6 changed" "codex: the 6 grown rollouts are re-read"
assert_eq "$(sqlite3 "$tmp/cs/cairn.db" "$early")" "$kept" \
    "codex: messages before the last turn keep their rows"
run_cairn "$tmp/out" "$tmp/err" ingest --source "codex=$tmp/cx" --data-dir "$tmp/cfresh"
totals="SELECT session_id, nmessages, nparts, tokens_input, tokens_output, tokens_cache_read FROM sessions ORDER BY 1"
assert_eq "$(sqlite3 "$tmp/cs/cairn.db" "$totals")" "$(sqlite3 "$tmp/cfresh/cairn.db" "$totals")" \
    "codex: counts and token totals equal a full read"
rows="SELECT s.session_id, m.seq, m.message_id, m.role, count(p.id) FROM messages m JOIN sessions s ON s.id = m.session_rowid LEFT JOIN parts p ON p.message_rowid = m.id GROUP BY m.id ORDER BY 1, 2"
assert_eq "$(sqlite3 "$tmp/cs/cairn.db" "$rows")" "$(sqlite3 "$tmp/cfresh/cairn.db" "$rows")" \
    "codex: the same messages in the same order with the same parts"
# usage by day: each token_count's growth goes to its response, so a thread that ran
# over midnight (thread D) splits as ccusage splits it (ccusage 20.0.24, `codex daily`)
daily() { "$CAIRN" usage --data-dir "$1" --agent codex --json | jq -c '[.groups[] | [.key, .input, .output, .cache_read]]'; }
assert_eq "$(daily "$tmp/cfresh")" \
    '[["2026-02-23",1692546,156921,32389760],["2026-02-24",1458055,66257,14299392]]' \
    "codex: usage by day splits a thread across midnight (as ccusage does)"
assert_eq "$(daily "$tmp/cs")" "$(daily "$tmp/cfresh")" "codex: and so does a read in two pieces"

# Codex: a rollout whose header names another id than its file name (reported, and the
# header's id kept) is grown: the resumed read, which does not see the header, keeps it
mkdir -p "$tmp/cy/sessions/2026/11/21"
ry=$tmp/cy/sessions/2026/11/21/rollout-2026-11-21T06-00-00-01a1fca5-0000-7000-8000-0000000000f1.jsonl
turn() { # prompt, answer
    printf '{"timestamp":"2026-11-21T06:00:0%s.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"%s"}]}}\n' "$1" "$2"
    printf '{"timestamp":"2026-11-21T06:00:0%s.500Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"answer to %s"}]}}\n' "$1" "$2"
}
{
    printf '{"timestamp":"2026-11-21T06:00:00.000Z","type":"session_meta","payload":{"id":"01a1fca5-0000-7000-8000-0000000000e1","cwd":"/home/dev/y"}}\n'
    turn 1 "first prompt"
    turn 2 "second prompt"
} >"$ry"
run_cairn "$tmp/out" "$tmp/err" ingest --source "codex=$tmp/cy" --data-dir "$tmp/ys"
turn 3 "third prompt" >>"$ry"
run_cairn "$tmp/out" "$tmp/err" ingest --source "codex=$tmp/cy" --data-dir "$tmp/ys"
assert_contains "$(cat "$tmp/out")" "0 new, 1 changed" "codex, header id: the grown rollout is re-read"
assert_eq "$(sqlite3 "$tmp/ys/cairn.db" "SELECT session_id, nmessages FROM sessions")" \
    "01a1fca5-0000-7000-8000-0000000000e1|6" "codex, header id: one session, the header's id, all its messages"
run_cairn "$tmp/out" "$tmp/err" ingest --source "codex=$tmp/cy" --data-dir "$tmp/yfresh"
assert_eq "$(sqlite3 "$tmp/ys/cairn.db" "$rows")" "$(sqlite3 "$tmp/yfresh/cairn.db" "$rows")" \
    "codex, header id: the same messages as a full read"

# Codex: a fork's copy of the header after the resume point is skipped by the resumed read
# as by a full one: the session keeps its id, and no header "differs"
mkdir -p "$tmp/cf/sessions/2026/11/21"
rf=$tmp/cf/sessions/2026/11/21/rollout-2026-11-21T06-00-00-01a1fca5-0000-7000-8000-0000000000f2.jsonl
{
    printf '{"timestamp":"2026-11-21T06:00:00.000Z","type":"session_meta","payload":{"id":"01a1fca5-0000-7000-8000-0000000000f2","cwd":"/home/dev/f"}}\n'
    turn 1 "first prompt"
    turn 2 "second prompt" | head -1
    printf '{"timestamp":"2026-11-21T06:00:02.200Z","type":"session_meta","payload":{"id":"02a1fca5-0000-7000-8000-0000000000f3","cwd":"/home/dev/f"}}\n'
    turn 2 "second prompt" | tail -1
} >"$rf"
run_cairn "$tmp/out" "$tmp/err" ingest --source "codex=$tmp/cf" --data-dir "$tmp/fs"
turn 3 "third prompt" >>"$rf"
run_cairn "$tmp/out" "$tmp/err" ingest --source "codex=$tmp/cf" --data-dir "$tmp/fs"
assert_contains "$(cat "$tmp/out")" "0 new, 1 changed" "codex, fork's header: the grown rollout is re-read"
assert_eq "$(cat "$tmp/out" "$tmp/err" | grep -c differs)" 0 "codex, fork's header: no header reported as differing"
assert_eq "$(sqlite3 "$tmp/fs/cairn.db" "SELECT session_id, nmessages, directory FROM sessions")" \
    "01a1fca5-0000-7000-8000-0000000000f2|6|/home/dev/f" "codex, fork's header: one session, its own id, all its messages"
run_cairn "$tmp/out" "$tmp/err" ingest --source "codex=$tmp/cf" --data-dir "$tmp/ffresh"
assert_eq "$(sqlite3 "$tmp/fs/cairn.db" "$rows")" "$(sqlite3 "$tmp/ffresh/cairn.db" "$rows")" \
    "codex, fork's header: the same messages as a full read"

# Claude: a transcript not named by a uuid takes its id from its first sessionId; when the
# lines from the resume point on name another one, the grown file's session stays put
mkdir -p "$tmp/cz/projects/-home-dev-z"
fz=$tmp/cz/projects/-home-dev-z/notes.jsonl
czturn() { # uuid, parent, sessionId, word
    printf '{"type":"user","uuid":"%s-u","parentUuid":%s,"sessionId":"%s","timestamp":"2026-11-21T06:00:00.000Z","cwd":"/home/dev/z","message":{"role":"user","content":"%s prompt"}}\n' "$1" "$2" "$3" "$4"
    printf '{"type":"assistant","uuid":"%s-a","parentUuid":"%s-u","sessionId":"%s","timestamp":"2026-11-21T06:00:01.000Z","cwd":"/home/dev/z","requestRef":"rr-%s","message":{"id":"msg_%s","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"answer %s"}],"usage":{"input_tokens":7,"output_tokens":3}}}\n' "$1" "$1" "$3" "$4" "$4" "$4"
}
{
    czturn t1 null aaaaaaaa-0000-4000-8000-00000000000a first
    czturn t2 '"t1-a"' bbbbbbbb-0000-4000-8000-00000000000b second
} >"$fz"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/cz" --data-dir "$tmp/zs"
czturn t3 '"t2-a"' bbbbbbbb-0000-4000-8000-00000000000b third >>"$fz"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/cz" --data-dir "$tmp/zs"
assert_eq "$(sqlite3 "$tmp/zs/cairn.db" "SELECT session_id, nmessages FROM sessions")" \
    "aaaaaaaa-0000-4000-8000-00000000000a|6" "claude, named by its first sessionId: one session after growing"

# Claude: a prompt typed while a response streams sits between two lines of that response
# (large-conversation.jsonl, lines 276-278); a read that stops after the prompt must not count
# the response twice when the rest of it comes.  Cut at every line around it, then whole.
mkdir -p "$tmp/cl/projects/p"
large=$SHARED/fixtures/claude/episodic-memory/large-conversation.jsonl
for n in 272 274 275 276 277 278 279 281 460; do
    head -n $n "$large" >"$tmp/cl/projects/p/x.jsonl"
    run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/cl" --data-dir "$tmp/ls"
done
run_cairn "$tmp/out" "$tmp/err" usage --data-dir "$tmp/ls" --json
assert_eq "$(jq -c '.total | [.input, .output, .cache_read, .responses]' "$tmp/out")" \
    "[360,22976,66925567,170]" \
    "claude, a response split by a typed prompt, read in pieces: its usage counted once (EXPECTED.md)"
# Claude: one transcript copied to another project folder is one session, read from the
# newest copy, and the copy is no issue (README: "read once, from the preferred or newest")
mkdir -p "$tmp/dc/projects/a" "$tmp/dc/projects/b"
cp "$SHARED/fixtures/claude/episodic-memory/tiny-conversation.jsonl" "$tmp/dc/projects/a/$S.jsonl"
cp -p "$tmp/dc/projects/a/$S.jsonl" "$tmp/dc/projects/b/$S.jsonl"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/dc" --data-dir "$tmp/ds"
assert_eq "$RC $(grep -c 'issue' "$tmp/err")" "0 0" "claude, two copies of a transcript: exit 0, no issue"
assert_contains "$(cat "$tmp/out")" "1 new, 0 changed" "claude, two copies of a transcript: one session"
keep=$f
f=$tmp/dc/projects/b/$S.jsonl
append newestcopy
f=$keep
run_cairn "$tmp/out" "$tmp/err" search newestcopy --data-dir "$tmp/ds" --json
before=$(jq '.hits | length' "$tmp/out")
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/dc" --data-dir "$tmp/ds"
run_cairn "$tmp/out" "$tmp/err" search newestcopy --data-dir "$tmp/ds" --json
assert_eq "$before $(jq '.hits | length' "$tmp/out")" "0 2" "claude, two copies: the one that grew (the newest) is read (its prompt and answer)"
done_testing
