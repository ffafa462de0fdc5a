#!/usr/bin/env bash
# opencode 0.x (G0) per-project JSON storage: project/<slug>/storage/session/...
# No fixture exists for it (0.x needs the network to run), so the tree is
# built here from the layout in shared/formats/opencode.md §5, next to a G1
# tree that holds one of the same sessions (G1 must win).
set -u
CAIRN=$1
. "$(dirname "$0")/lib.sh"
require_tools jq

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=$tmp/data
g0=$data/project/home-u-my-proj/storage/session
ses=ses_e035d618fffeFVUP389hVquc61
ses2=ses_e035d5419ffekS23Vk2VrZei3I
msg=msg_1fca29f0b001va00I1MqS0m12j
prt=prt_1fca29f0b002aaaaaaaaaaaaaa
mkdir -p "$g0/info" "$g0/message/$ses" "$g0/part/$ses/$msg" "$g0/message/$ses2"
printf '3' >"$data/project/home-u-my-proj/storage/migration"
printf '{}' >"$data/project/home-u-my-proj/app.json"
cat >"$g0/info/$ses.json" <<JSON
{"id": "$ses", "version": "0.5.29", "title": "Old zero-x session", "time": {"created": 1750000000000, "updated": 1750000001000}}
JSON
cat >"$g0/message/$ses/$msg.json" <<JSON
{"id": "$msg", "role": "user", "sessionID": "$ses", "time": {"created": 1750000000500}}
JSON
cat >"$g0/part/$ses/$msg/$prt.json" <<JSON
{"id": "$prt", "type": "text", "text": "quokka from the zero-x era", "messageID": "$msg", "sessionID": "$ses"}
JSON
# a second G0 session that also exists in G1: the G1 copy wins
cat >"$g0/info/$ses2.json" <<JSON
{"id": "$ses2", "version": "0.5.29", "title": "G0 copy that must lose", "time": {"created": 1750000000000, "updated": 1750000001000}}
JSON
mkdir -p "$data/storage/session/proj1" "$data/storage/project"
printf '{"id": "proj1", "worktree": "/home/u/my.proj", "time": {"created": 1}}' >"$data/storage/project/proj1.json"
cat >"$data/storage/session/proj1/$ses2.json" <<JSON
{"id": "$ses2", "slug": "calm", "version": "1.1.65", "projectID": "proj1", "directory": "/home/u/my.proj", "title": "G1 copy that wins", "time": {"created": 1750000002000, "updated": 1750000003000}}
JSON

run_cairn "$tmp/out" "$tmp/err" sessions --source "opencode=$data" --json
assert_eq "$RC" 0 "sessions over a G0 + G1 data dir exits 0"
out=$(cat "$tmp/out")
assert_eq "$(jq length <<<"$out")" 2 "2 sessions: one G0, one in both (read once)"
assert_eq "$(jq -r --arg s "$ses" '.[]|select(.id==$s)|.origin' <<<"$out")" json-g0 "the G0-only session comes from G0"
assert_eq "$(jq -r --arg s "$ses" '.[]|select(.id==$s)|.project_id' <<<"$out")" home-u-my-proj "a G0 session's project is its slug folder"
assert_eq "$(jq -r --arg s "$ses" '.[]|select(.id==$s)|.title' <<<"$out")" "Old zero-x session" "G0 title"
assert_eq "$(jq -r --arg s "$ses" '.[]|select(.id==$s)|.parts' <<<"$out")" 1 "G0 part found under part/<ses>/<msg>/"
assert_eq "$(jq -r --arg s "$ses2" '.[]|select(.id==$s)|.title' <<<"$out")" "G1 copy that wins" "a session in G1 and G0 is read from G1"
run_cairn "$tmp/out" "$tmp/err" show "$ses" --source "opencode=$data" --json
assert_eq "$(jq -r '.messages[0].parts[0].text' "$tmp/out")" "quokka from the zero-x era" "G0 part text"
assert_eq "$(jq -r '.messages[0].role' "$tmp/out")" user "G0 message role"

export CAIRN_DATA_DIR=$tmp/store
run_cairn "$tmp/out" "$tmp/err" ingest --source "opencode=$data"
assert_eq "$RC" 0 "ingest of the G0 tree"
run_cairn "$tmp/out" "$tmp/err" search quokka --json
assert_eq "$(jq -r '.hits[0].session_id' "$tmp/out")" "$ses" "G0 text is searchable"
done_testing
