#!/usr/bin/env bash
# tests/integ/store_search.sh CAIRN SHARED_DIR - `cairn search` over the store.
#
# Two stores are built from temp copies of the opencode fixture sets:
#   ALL   all three sets (sqlite-1.18.33, json-then-sqlite-no-import, json-1.1.65),
#         for the facts of EXPECTED.md across sets: which sessions hold a word, the
#         filters (--project --agent --session --since --until --role --tool --type
#         --limit), and the query syntax (phrase, prefix*, -exclusion, OR);
#   PLANT json-1.1.65 only, with identifiers planted into two text parts of the copy
#         (parse_config_file, JwtRefreshToken, error[E0425], src/config.rs, and a
#         decoy holding the same words apart), for identifier matching.
# Then: bad queries exit 1 with a message of cairn's own (never an SQLite/FTS5
# error), odd but valid queries never reach SQLite as syntax, and the --json
# and text output.  TAP on stdout.
set -u
CAIRN=${1:?usage: store_search.sh CAIRN SHARED_DIR}
SHARED=${2:?usage: store_search.sh CAIRN SHARED_DIR}
. "$(dirname "$0")/lib.sh"
require_tools jq timeout
FIX=$SHARED/fixtures/opencode
[ -d "$FIX" ] || { echo "Bail out! no fixtures at $FIX"; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-stsearch.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
unset CAIRN_DATA_DIR OPENCODE_DB CLAUDE_CONFIG_DIR CODEX_HOME

OUT=$WORK/out
ERR=$WORK/err
WEBSHOP_PID=d41da699e8788335ca5b902edfcebdbd25640be8
LEDGER_PID=ad7d588f95ae9038956dbf81bccbfa2a08b866e1

copy_set()
{
    mkdir -p "$2"
    cp -R "$FIX/$1/." "$2/"
    chmod -R u+w "$2"
}

# search STORE ARGS...: `cairn search --json --data-dir STORE ARGS`; JSON in $OUT, RC set.
search()
{
    local store=$1
    shift
    run_cairn "$OUT" "$ERR" search --json --data-dir "$store" "$@"
}

# q [JQ-OPTIONS] FILTER: apply FILTER to the last search's JSON (compact).
q()
{
    jq -c "$@" "$OUT" 2>&1
}

# hits STORE ARGS...: sorted "session_id part_id" lines of a search (all hits).
hits()
{
    search "$@" --limit 10000
    jq -r '.hits[] | "\(.session_id) \(.part_id)"' "$OUT" 2>&1 | sort
}

# sessions STORE ARGS...: the sorted distinct session ids of a search.
sessions()
{
    search "$@" --limit 10000
    jq -c '[.hits[].session_id] | unique' "$OUT" 2>&1
}

nhits()
{
    search "$@" --limit 10000
    jq '.hits | length' "$OUT" 2>&1
}

# expect_ok DESC: the last search exited 0 without a sanitizer report.
expect_ok()
{
    local crash
    crash=$(crash_report "$ERR")
    if [ "$RC" = 0 ] && [ -z "$crash" ]; then
        ok "$1"
    else
        not_ok "$1" "exit $RC; stderr: $(head -c 1500 "$ERR")"
    fi
}

# ---- the stores ----

for n in sqlite-1.18.33 json-then-sqlite-no-import json-1.1.65; do
    copy_set "$n" "$WORK/src/$n"
done
PSRC=$WORK/src/plant
copy_set json-1.1.65 "$PSRC"
PLANT_PART=prt_1fca2adca001xkcYUE1y4L0WWC # calm-circuit: "Let me run a command." before write
DECOY_PART=prt_1fca2ba07001EsBeme3TRzpavz # calm-circuit: the same before todowrite
PLANT_SES=ses_e035d5419ffekS23Vk2VrZei3I
set_text()
{
    jq --arg t "$2" '.text = $t' "$1" >"$1.tmp" && mv "$1.tmp" "$1"
}
set_text "$PSRC/storage/part/msg_1fca2acf8001frPINiVGnZRlFO/$PLANT_PART.json" \
    'Look at parse_config_file in src/config.rs: JwtRefreshToken fails with error[E0425] here.'
set_text "$PSRC/storage/part/msg_1fca2b98a001910Ofr2KtHtEEC/$DECOY_PART.json" \
    'the file to parse holds a config; no refresh token error here, E0425 E0426 jwt'

ALL=$WORK/store/all
PLANT=$WORK/store/plant
run_cairn "$OUT" "$ERR" ingest --source "opencode=$WORK/src/sqlite-1.18.33" \
    --source "opencode=$WORK/src/json-then-sqlite-no-import" --source "opencode=$WORK/src/json-1.1.65" \
    --data-dir "$ALL"
expect_ok "ALL: ingest of the three fixture sets exits 0"
run_cairn "$OUT" "$ERR" stats --json --data-dir "$ALL"
assert_eq "$(q '.sessions')" "9" "ALL: the store holds 9 distinct sessions"
run_cairn "$OUT" "$ERR" ingest --source "opencode=$PSRC" --data-dir "$PLANT"
expect_ok "PLANT: ingest of json-1.1.65 with planted identifiers exits 0"

# ---- identifiers with punctuation (PLANT) ----

for id in parse_config_file JwtRefreshToken 'error[E0425]' src/config.rs config.rs jwtrefreshtoken 'JwtRefresh*' 'parse_conf*'; do
    assert_eq "$(hits "$PLANT" "$id")" "$PLANT_SES $PLANT_PART" "PLANT: '$id' finds only the part it was planted in"
done
assert_eq "$(hits "$PLANT" E0425)" "$(printf '%s\n' "$PLANT_SES $PLANT_PART" "$PLANT_SES $DECOY_PART" | sort)" \
    "PLANT: 'E0425' alone finds the planted part and the decoy"
assert_eq "$(hits "$PLANT" 'Jwt*')" "$(printf '%s\n' "$PLANT_SES $PLANT_PART" "$PLANT_SES $DECOY_PART" | sort)" \
    "PLANT: 'Jwt*' finds JwtRefreshToken and the decoy's jwt"
assert_eq "$(hits "$PLANT" parse config file | grep -c "$PLANT_PART\|$DECOY_PART")" "2" \
    "PLANT: the words of parse_config_file, apart, find both parts"
search "$PLANT" parse_config_file
assert_contains "$(q '.hits[0].snippet')" "**parse_config_file**" "PLANT: the snippet highlights the whole identifier"
search "$PLANT" JwtRefreshToken
assert_contains "$(q '.hits[0].snippet')" "**JwtRefreshToken**" "PLANT: the snippet highlights JwtRefreshToken"
assert_eq "$(hits "$PLANT" '"Let me run a command"' --session "$PLANT_SES" | grep -c "$PLANT_PART\|$DECOY_PART")" "0" \
    "PLANT: the replaced text of the planted parts is not found in them"

# ---- JSON shape (PLANT, then ALL) ----

check_json_shape()
{
    local name=$1 store=$2 term=$3
    search "$store" "$term"
    expect_ok "$name: search $term --json exits 0"
    assert_eq "$(q 'type')" '"object"' "$name: --json output parses as one JSON object"
    assert_eq "$(q '[.hits[] | select(.type != "title")] | length > 0')" "true" "$name: '$term' has part hits"
    assert_eq "$(q '[.hits[] | has("agent", "session_id", "session_title", "part_id", "type", "time", "snippet")] | all')" \
        "true" "$name: every hit has agent, session_id, session_title, part_id, type, time, snippet"
    assert_eq "$(q '[.hits[] | .agent == "opencode" and (.session_id | test("^ses_[0-9A-Za-z]{26}$"))
        and (.session_title | type == "string") and (.time | test("^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$"))] | all')" \
        "true" "$name: agent is opencode, session_id an opencode id, session_title a string, time ISO 8601 UTC"
    assert_eq "$(q '[.hits[] | select(.type != "title") | (.part_id | test("^prt_[0-9A-Za-z]{26}$"))] | all')" \
        "true" "$name: every part hit has its part_id"
    assert_eq "$(q --arg t "$term" '[.hits[] | .snippet | ascii_downcase | contains("**" + ($t | ascii_downcase) + "**")] | all')" \
        "true" "$name: every snippet shows the term highlighted as **$term**"
}
check_json_shape PLANT "$PLANT" canned
check_json_shape ALL "$ALL" hello-from-tool

# ---- words in the right sessions (ALL) ----

assert_eq "$(hits "$ALL" hello-from-tool --type tool)" \
    "$(printf '%s\n' 'ses_e035ceb8fffe3D4fVSVpIsjA7X prt_1fca321e1001UOozNo8ydCJ7CW' \
        'ses_e035d618fffeFVUP389hVquc61 prt_1fca29ff3001XdysFHFPkZajCd' \
        'ses_e035dec6effeeawMfBf3ow9Lhu prt_1fca222b6001PL5a6H6p0GivZZ' | sort)" \
    "ALL: hello-from-tool --type tool is the 3 bash tool parts of EXPECTED.md"
assert_eq "$(q '[.hits[].tool] | unique')" '["bash"]' "ALL: those hits are all tool bash"
assert_eq "$(hits "$ALL" hello-from-tool --tool bash | wc -l)" "3" "ALL: hello-from-tool --tool bash: the same 3 parts"
assert_eq "$(sessions "$ALL" hello-from-tool --role user)" \
    '["ses_e035d618fffeFVUP389hVquc61","ses_e035dec6effeeawMfBf3ow9Lhu"]' \
    "ALL: hello-from-tool --role user: the prompts of the two bash sessions"
assert_eq "$(sessions "$ALL" '"canned reply"' --type text)" \
    '["ses_e035d3a4cffe5VK85de4hvU3jq","ses_e035d9f5bffej2hRsw2xiIksZT"]' \
    "ALL: \"canned reply\" --type text is in the two subagent sessions"
assert_eq "$(sessions "$ALL" '"canned reply"')" \
    '["ses_e035d3a4cffe5VK85de4hvU3jq","ses_e035d3b41ffe3qLy5PIsDqpvVj","ses_e035d9f5bffej2hRsw2xiIksZT","ses_e035dac2fffeH5WBeLVQN8Sx4g"]' \
    "ALL: \"canned reply\" is in the subagents and their parents' task results"
assert_eq "$(hits "$ALL" Delegate --role user)" \
    "$(printf '%s\n' 'ses_e035d3b41ffe3qLy5PIsDqpvVj prt_1fca2c4db001rT2ElC5PF5IyR0' \
        'ses_e035dac2fffeH5WBeLVQN8Sx4g prt_1fca254ca001VtylAWx6QHZHeS' | sort)" \
    "ALL: Delegate --role user: the two \"Delegate a greeting\" prompts"
assert_eq "$(q '[.hits[].role] | unique')" '["user"]' "ALL: --role user hits are all role user"
assert_eq "$(nhits "$ALL" Delegate --role assistant)" "0" "ALL: Delegate --role assistant: no hit"

todo_parts='prt_1fca240570017kT2PVN7JKnq7F prt_1fca2ba080012CKHGfwSylNjGZ prt_1fca2e4b90010oudQ9ajfy4DiQ'
search "$ALL" parser --tool todowrite --limit 100
assert_eq "$(q '[.hits[].part_id] | sort | join(" ")' | tr -d '"')" "$todo_parts" \
    "ALL: parser --tool todowrite: the 3 todowrite calls (2 completed, 1 error)"
assert_eq "$(q '[.hits[].tool] | unique')" '["todowrite"]' "ALL: --tool todowrite hits are all todowrite"
search "$ALL" todowrite --tool todowrite --limit 100
assert_contains "$(q '[.hits[].part_id]')" "prt_1fca2ba080012CKHGfwSylNjGZ" \
    "ALL: todowrite --tool todowrite finds the failed call whose error names the tool"
got=$(q '[.hits[].part_id] | sort | join(" ")' | tr -d '"')
# shellcheck disable=SC2034 # TODO_REASON is read by lib.sh
[ "$got" = "prt_1fca2ba080012CKHGfwSylNjGZ" ] &&
    TODO_REASON="store gap: a tool call's tool name is not indexed (fts_parts has body, input, paths), so a tool's name finds only calls whose text names it"
assert_eq "$got" "$todo_parts" "ALL: todowrite --tool todowrite finds all 3 todowrite calls"

search "$ALL" shell --type reasoning --limit 100
assert_eq "$(q '[.hits[].type] | unique')" '["reasoning"]' "ALL: shell --type reasoning: only reasoning parts"
assert_eq "$(q '.hits | length')" "10" "ALL: shell --type reasoning: the 10 \"I should run a shell command.\" parts (one per tool call)"
search "$ALL" hello --type tool --limit 100
assert_eq "$(q '[.hits[].type] | unique')" '["tool"]' "ALL: hello --type tool: only tool parts"
search "$ALL" README.md --type file --limit 100
assert_eq "$(q '[.hits[] | [.type, .session_id]] | sort')" \
    '[["file","ses_e035d5419ffekS23Vk2VrZei3I"],["file","ses_e035d8e55ffe9Gs48272emcUqO"]]' \
    "ALL: README.md --type file: the two attached README.md file parts"
search "$ALL" subagent --limit 100
assert_eq "$(q '[.hits[] | select(.type == "title") | .session_id] | sort')" \
    '["ses_e035d3a4cffe5VK85de4hvU3jq","ses_e035d9f5bffej2hRsw2xiIksZT"]' \
    "ALL: subagent matches the titles \"Say hi (@general subagent)\" of the two subagent sessions"
search "$ALL" subagent --type text --limit 100
assert_eq "$(q '[.hits[] | select(.type == "title")] | length')" "0" "ALL: --type text leaves the title hits out"

# ---- filters (ALL) ----

total=$(nhits "$ALL" hello)
[ "$total" -gt 2 ] 2>/dev/null && ok "ALL: hello has hits ($total)" || not_ok "ALL: hello has hits" "$total"
assert_eq "$(nhits "$ALL" hello --agent opencode)" "$total" "ALL: --agent opencode keeps every hit"
for a in claude-code codex; do
    search "$ALL" hello --agent "$a"
    expect_ok "ALL: --agent $a exits 0"
    assert_eq "$(q '.hits | length')" "0" "ALL: --agent $a: no hit (only opencode is indexed)"
done
search "$ALL" hello --agent nosuch
assert_eq "$RC $(q '.hits | length')" "0 0" "ALL: --agent nosuch (a tool_id no session has, as GET /search's agent=): no hits"
run_cairn "$OUT" "$ERR" search hello --agent nosuch --data-dir "$ALL"
assert_contains "$(cat "$ERR")" "tool_id 'nosuch' (the agents: opencode, claude-code, codex)" \
    "ALL: --agent nosuch, no hits: the message says what it was taken for and names the agents"

web=$(nhits "$ALL" hello --project webshop)
assert_eq "$(q '[.hits[].project_id] | unique')" \
    "[\"$WEBSHOP_PID\"]" "ALL: --project webshop: only hits of the webshop project"
led=$(nhits "$ALL" hello --project ledger-api)
assert_eq "$(q '[.hits[].project_id] | unique')" "[\"$LEDGER_PID\"]" "ALL: --project ledger-api: only hits of the ledger-api project"
assert_eq "$(q '[.hits[].directory] | unique')" '["/home/dev/src/ledger-api","/home/dev/src/ledger-api-next"]' \
    "ALL: --project ledger-api: both checkouts (ledger-api and ledger-api-next)"
assert_eq "$((web + led))" "$total" "ALL: webshop hits + ledger-api hits = all hits ($web + $led)"
[ "$web" -gt 0 ] && [ "$led" -gt 0 ] && ok "ALL: both projects have hello hits" || not_ok "ALL: both projects have hello hits" "$web $led"
assert_eq "$(nhits "$ALL" hello --project "$WEBSHOP_PID")" "$web" "ALL: --project by project id = by directory part"
assert_eq "$(nhits "$ALL" hello --project nosuchproject)" "0" "ALL: --project nosuchproject: no hit"

assert_eq "$(sessions "$ALL" hello --session ses_e035dec6effeeawMfBf3ow9Lhu)" '["ses_e035dec6effeeawMfBf3ow9Lhu"]' \
    "ALL: --session: only hits of that session"
assert_eq "$(q '.hits | length')" "2" "ALL: --session ses_e035dec6…: its prompt and its bash output"
assert_eq "$(sessions "$ALL" hello --session ses_e035dec)" '["ses_e035dec6effeeawMfBf3ow9Lhu"]' \
    "ALL: --session takes a start of an id that no other id has, as show does"
assert_eq "$(nhits "$ALL" hello --session ses_nosuchsessionxxxxxxxxxxxxx)" "0" "ALL: --session of an unknown id: no hit"

# times: the webshop sessions ran 05:44:02-05:44:29Z, the ledger-api ones from 05:44:38Z
T=2026-11-21T05:44:30Z
search "$ALL" hello --until "$T" --limit 10000
assert_eq "$(q '[.hits[] | .time < "2026-11-21T05:44:30"] | all')" \
    "true" "ALL: --until $T: every hit is earlier"
assert_eq "$(q '[.hits[].project_id] | unique')" "[\"$WEBSHOP_PID\"]" "ALL: --until $T: only the webshop sessions"
before=$(q '.hits | length')
search "$ALL" hello --since "$T" --limit 10000
assert_eq "$(q '[.hits[] | .time >= "2026-11-21T05:44:30"] | all')" "true" "ALL: --since $T: every hit is at or after it"
assert_eq "$(q '[.hits[].project_id] | unique')" "[\"$LEDGER_PID\"]" "ALL: --since $T: only the ledger-api sessions"
assert_eq "$((before + $(q '.hits | length')))" "$total" "ALL: --until T and --since T split the hits"
search "$ALL" hello --since 2026-11-21T05:44:28.430Z --until 2026-11-21T05:44:28.431Z --limit 100
assert_eq "$(q '[.hits[].time] | unique')" '["2026-11-21T05:44:28.430Z"]' "ALL: --since t --until t+1ms: the hits at t exactly (since is inclusive)"
assert_eq "$(q '.hits | length')" "2" "ALL: at 05:44:28.430Z: the write call and the patch of brave-nebula"
search "$ALL" hello --since 2026-11-21T05:44:00Z --until 2026-11-21T05:44:28.430Z --limit 100
assert_eq "$(q '[.hits[] | select(.time == "2026-11-21T05:44:28.430Z")] | length')" "0" "ALL: --until is exclusive"
assert_eq "$(nhits "$ALL" hello --until 2026-11-21)" "0" "ALL: --until 2026-11-21 (a date): nothing before that midnight"
assert_eq "$(nhits "$ALL" hello --since 2026-11-21)" "$total" "ALL: --since 2026-11-21 (a date): everything"
for bad in garbage 2026-13-45 ''; do
    search "$ALL" hello --since "$bad"
    assert_eq "$RC" "1" "ALL: --since '$bad' exits 1"
done

search "$ALL" hello --limit 2
assert_eq "$(q '.hits | length')" "2" "ALL: --limit 2: 2 hits"
first=$(q '.hits[0].part_id')
search "$ALL" hello --limit 1
assert_eq "$(q '.hits | length')" "1" "ALL: --limit 1: 1 hit"
assert_eq "$(q '.hits[0].part_id')" "$first" "ALL: --limit 1 is the best hit of --limit 2"
runs=$(nhits "$ALL" run)
search "$ALL" run
if [ "$runs" -gt 20 ] 2>/dev/null; then
    assert_eq "$(q '.hits | length')" "20" "ALL: without --limit at most 20 hits (run has $runs)"
else
    not_ok "ALL: run has more than 20 hits to test the default limit" "$runs"
fi
for bad in 0 -1 abc 10001; do
    search "$ALL" hello --limit "$bad"
    assert_eq "$RC" "1" "ALL: --limit $bad exits 1"
done
search "$ALL" hello --role bot
assert_eq "$RC" "1" "ALL: --role bot exits 1"
search "$ALL" hello --type nosuch
assert_eq "$RC" "1" "ALL: --type nosuch exits 1"

# ---- query syntax (ALL) ----

canned=$(nhits "$ALL" canned)
assert_eq "$(nhits "$ALL" '"canned reply"')" "4" "ALL: \"canned reply\" as a phrase: 4 hits"
assert_eq "$(nhits "$ALL" '"reply canned"')" "0" "ALL: \"reply canned\" (the words in the other order): no hit"
assert_eq "$(nhits "$ALL" hell)" "0" "ALL: hell (a whole word) has no hit"
assert_eq "$(nhits "$ALL" 'hell*')" "$total" "ALL: hell* finds what hello finds ($total)"
search "$ALL" 'hell*' --limit 10000
assert_eq "$(q '[.hits[].snippet | ascii_downcase | contains("**hell")] | all')" "true" "ALL: hell* snippets highlight the word starting with hell"
shell=$(nhits "$ALL" run shell)
noshell=$(nhits "$ALL" 'run -shell')
[ "$noshell" -lt "$runs" ] 2>/dev/null && ok "ALL: 'run -shell' has fewer hits than run ($noshell < $runs)" ||
    not_ok "ALL: 'run -shell' has fewer hits than run" "$noshell vs $runs"
assert_eq "$((shell + noshell))" "$runs" "ALL: 'run shell' + 'run -shell' = run"
assert_eq "$(nhits "$ALL" 'run -"shell command"')" "$noshell" "ALL: -\"shell command\" excludes the phrase"
search "$ALL" --limit 10000 -- -shell run
assert_eq "$(q '.hits | length')" "$noshell" "ALL: an exclusion first, after --: -shell run"
parser=$(nhits "$ALL" parser)
assert_eq "$(nhits "$ALL" canned OR parser)" "$((canned + parser))" "ALL: canned OR parser = canned + parser ($canned + $parser, no part has both)"
assert_eq "$(nhits "$ALL" 'canned OR parser')" "$((canned + parser))" "ALL: the same as one argument"
assert_eq "$(nhits "$ALL" canned OR parser reply)" "$(nhits "$ALL" canned reply)" "ALL: OR binds tighter: (canned OR parser) reply = canned reply"
assert_eq "$(nhits "$ALL" canned or parser)" "0" "ALL: lowercase or is a word, not OR"

search "$ALL" /home/dev/src/webshop/hello.txt --limit 100
assert_eq "$(q '[.hits[].project_id] | unique')" "[\"$WEBSHOP_PID\"]" "ALL: /home/dev/src/webshop/hello.txt: only webshop hits"
assert_eq "$(q '[.hits[] | [.type, .tool]] | sort')" '[["patch",null],["tool","write"]]' \
    "ALL: /home/dev/src/webshop/hello.txt: the write call and the patch"
assert_eq "$(sessions "$ALL" hello.txt --type patch)" '["ses_e035d5419ffekS23Vk2VrZei3I","ses_e035d8e55ffe9Gs48272emcUqO"]' \
    "ALL: hello.txt --type patch: the patches of both projects"
assert_eq "$(nhits "$ALL" /home/dev/src/nowhere/hello.txt)" "0" "ALL: a path that is nowhere: no hit"

# ---- bad queries: exit 1, cairn's own message ----

bad_query()
{
    local desc=$1
    shift
    run_cairn "$OUT" "$ERR" search --data-dir "$PLANT" "$@"
    local e
    e=$(cat "$ERR")
    if [ "$RC" = 1 ] && [ -n "$e" ] && [ ! -s "$OUT" ] && [ -z "$(crash_report "$ERR")" ] &&
        ! grep -qiE 'fts5|syntax error near|sqlite|malformed MATCH' "$ERR"; then
        ok "bad query $desc: exit 1 with a message of cairn's own"
    else
        not_ok "bad query $desc: exit 1 with a message of cairn's own" "exit $RC; stdout: $(head -c 300 "$OUT")"$'\n'"stderr: $e"
    fi
}
bad_query "unclosed quote" '"unclosed'
assert_contains "$(cat "$ERR")" "quote" "bad query unclosed quote: the message says quote"
bad_query "quote in the middle" 'hello "world'
bad_query "lone OR" OR
assert_contains "$(cat "$ERR")" "OR" "bad query lone OR: the message names OR"
bad_query "OR first" OR hello
bad_query "OR last" hello OR
bad_query "OR OR" hello OR OR world
bad_query "only excluded" -- -hello
assert_contains "$(cat "$ERR")" "exclu" "bad query only excluded: the message says excluded"
bad_query "only excluded, two" -- '-hello -"a phrase"'
bad_query "excluded in OR" 'hello OR -world'
bad_query "empty" ''
assert_contains "$(cat "$ERR")" "empty" "bad query empty: the message says empty"
bad_query "blank" '   '
bad_query "punctuation only" '*** ---'
bad_query "punctuation only, quotes and percent" "\\' %_%"
bad_query "too many terms" "$(seq -s ' ' 1 40)"
assert_contains "$(cat "$ERR")" "too many" "bad query too many terms: the message says too many"
run_cairn "$OUT" "$ERR" search --data-dir "$PLANT"
assert_eq "$RC" "1" "search without a query exits 1"

# odd but valid: never an SQLite error, never FTS5 syntax
for oddq in NOT AND NEAR 'NEAR(a b)' 'body:hello' '^hello' '(hello)' '{hello}' 'hello:world' 'hello*world' \
    "it's" '"a*"' 'a+b' '"hello" *' 'x AND y' 'hello NOT world' 'hello"world"' 'col : hello' "don't" 'é' '日本語' \
    'hello -' '- hello' '"-hello"' 'C++' 'a.b.c' '$(x)' '100%'; do
    run_cairn "$OUT" "$ERR" search --json --data-dir "$PLANT" -- "$oddq"
    if [ "$RC" = 0 ] && jq -e '.hits | type == "array"' "$OUT" >/dev/null 2>&1 && [ -z "$(crash_report "$ERR")" ] &&
        ! grep -qiE 'fts5|syntax error|sqlite' "$ERR"; then
        ok "odd query '$oddq': exit 0 with JSON hits"
    else
        not_ok "odd query '$oddq': exit 0 with JSON hits" "exit $RC; stderr: $(head -c 600 "$ERR")"
    fi
done
search "$PLANT" '(hello)'
assert_eq "$(q '.hits | length > 0')" "true" "'(hello)' finds hello: brackets are punctuation"
search "$PLANT" 'hello NOT world'
assert_eq "$(q '.hits | length')" "0" "'hello NOT world': NOT is a word to find, not an operator"

# ---- text output, no hits, no store ----

run_cairn "$OUT" "$ERR" search --data-dir "$PLANT" hello-from-tool
expect_ok "text output: exits 0"
assert_contains "$(cat "$OUT")" "[hello-from-tool]" "text output: the term is marked [like this] when not a terminal"
assert_contains "$(cat "$OUT")" "ses_e035d618fffeFVUP389hVquc61" "text output: names the session"
assert_eq "$(grep -c $'\033' "$OUT")" "0" "text output: no terminal escapes when not a terminal"
run_cairn "$OUT" "$ERR" search --data-dir "$PLANT" xylophonequartz
expect_ok "no hits: exits 0"
assert_eq "$(cat "$OUT")" "" "no hits: nothing on stdout"
assert_contains "$(cat "$ERR")" "no hits" "no hits: says so on stderr"
search "$PLANT" xylophonequartz
assert_eq "$(q '.hits')" "[]" "no hits, --json: an empty hits array"
run_cairn "$OUT" "$ERR" search --data-dir "$WORK/store/none" hello
assert_eq "$RC" "1" "no store: search exits 1"
assert_contains "$(cat "$ERR")" "cairn ingest" "no store: the message says to run 'cairn ingest'"

done_testing
