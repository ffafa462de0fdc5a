#!/usr/bin/env bash
# `cairn usage` against ccusage (npm, run offline) on the same transcripts:
# tokens and cost must agree where both count the same thing; the known
# differences (docs/USAGE.md) are asserted as differences.
set -u
CAIRN=$1
SHARED=$2
. "$(dirname "$0")/lib.sh"
require_tools jq

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CCUSAGE_VERSION=20.0.24 # 20.0.26 ships without its linux-x64 binary
if ! command -v npm >/dev/null || ! (cd "$tmp" && timeout 120 npm install --silent --no-audit \
        --no-fund "ccusage@$CCUSAGE_VERSION" >/dev/null 2>&1); then
    skip "ccusage comparison" "npm or the ccusage package is not available"
    done_testing
fi
CCU=$tmp/node_modules/.bin/ccusage
export CAIRN_DATA_DIR=$tmp/store

# Claude Code: the real transcripts, laid out as a config dir.
mkdir -p "$tmp/claude/projects/p"
cp "$SHARED"/fixtures/claude/episodic-memory/*.jsonl "$tmp/claude/projects/p/"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/claude"
assert_eq "$RC" 0 "ingest the real Claude transcripts"
run_cairn "$tmp/cairn.json" "$tmp/err" usage --by session --agent claude-code --json
CLAUDE_CONFIG_DIR=$tmp/claude timeout 120 "$CCU" session --offline --json >"$tmp/ccu.json" 2>/dev/null
for f in inputTokens:input outputTokens:output cacheReadTokens:cache_read \
         cacheCreationTokens:cache_write; do
    assert_eq "$(jq ".total.${f#*:}" "$tmp/cairn.json")" "$(jq ".totals.${f%:*}" "$tmp/ccu.json")" \
        "claude: total ${f#*:} tokens equal ccusage's ${f%:*}"
done
assert_eq "$(jq '.total.cost * 1e6 | round' "$tmp/cairn.json")" \
    "$(jq '.totals.totalCost * 1e6 | round' "$tmp/ccu.json")" "claude: cost equals ccusage's to the micro-dollar"
assert_eq "$(jq '[.groups[] | select(.input + .output > 0)] | length' "$tmp/cairn.json")" \
    "$(jq '[.session[] | select(.inputTokens + .outputTokens > 0)] | length' "$tmp/ccu.json")" \
    "claude: the same number of sessions with usage"
assert_eq "$(jq '[.groups[].output] | sort' "$tmp/cairn.json" | jq -c .)" \
    "$(jq '[.session[].outputTokens] | sort' "$tmp/ccu.json" | jq -c .)" \
    "claude: per-session output tokens equal ccusage's"

# Codex: the real rollouts.
rm -rf "$CAIRN_DATA_DIR"
mkdir -p "$tmp/codex"
cp -R "$SHARED/fixtures/codex/localpush/sessions" "$tmp/codex/"
run_cairn "$tmp/out" "$tmp/err" ingest --source "codex=$tmp/codex"
run_cairn "$tmp/cairn.json" "$tmp/err" usage --by session --agent codex --json
CODEX_HOME=$tmp/codex timeout 120 "$CCU" codex session --offline --json >"$tmp/ccu.json" 2>/dev/null
for f in inputTokens:input outputTokens:output cacheReadTokens:cache_read \
         reasoningOutputTokens:reasoning; do
    assert_eq "$(jq ".total.${f#*:}" "$tmp/cairn.json")" \
        "$(jq "[.sessions[].${f%:*}] | add" "$tmp/ccu.json")" \
        "codex: total ${f#*:} tokens equal ccusage's ${f%:*}"
done
assert_eq "$(jq '.total.cost * 1e6 | round' "$tmp/cairn.json")" \
    "$(jq '[.sessions[].costUSD] | add * 1e6 | round' "$tmp/ccu.json")" "codex: cost equals ccusage's"

# The known difference: Claude Code 2.1.x lines carry requestRef and no requestId,
# and ccusage then counts usage once per line; cairn counts it once per response.
rm -rf "$CAIRN_DATA_DIR"
cp -R "$SHARED/fixtures/claude/2.1.329" "$tmp/c2"
run_cairn "$tmp/out" "$tmp/err" ingest --source "claude=$tmp/c2"
run_cairn "$tmp/cairn.json" "$tmp/err" usage --agent claude-code --json
CLAUDE_CONFIG_DIR=$tmp/c2 timeout 120 "$CCU" daily --offline --json >"$tmp/ccu.json" 2>/dev/null
assert_eq "$(jq -c '[.total.input, .total.output]' "$tmp/cairn.json")" "[1130,220]" \
    "claude 2.1.329: cairn counts each response once (EXPECTED.md: 1130/220)"
more=$(jq '.totals.inputTokens > 1130' "$tmp/ccu.json")
assert_eq "$more" true "claude 2.1.329: ccusage counts more (it de-duplicates by requestId, which 2.1.x no longer writes)"
assert_eq "$(jq '.total.cost * 1e6 | round' "$tmp/cairn.json")" "$(( (3027 + 3663) ))" \
    "claude 2.1.329: cairn's cost is the recorded cost-state totals (0.003027 + 0.003663)"
done_testing
