#!/usr/bin/env bash
# cairn mcp driven by the official MCP TypeScript SDK client (npm @modelcontextprotocol/sdk):
# the SDK is installed into a temp dir, then mcp_sdk.mjs connects, lists the tools, calls
# every tool, checks an invalid call's error and closes.  Skipped without node/npm or
# when the install fails (no network).
set -u
CAIRN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
case $CAIRN in /*) ;; *) CAIRN=$PWD/$CAIRN ;; esac
. "$HERE/lib.sh"

skip_all()
{
    skip "the MCP TypeScript SDK client drives cairn mcp" "$1"
    done_testing
}
command -v node >/dev/null 2>&1 || skip_all "node is not installed"
command -v npm >/dev/null 2>&1 || skip_all "npm is not installed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cairn-mcpsdk.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
unset CAIRN_DATA_DIR CAIRN_TOKEN
FIX=${2:?usage: $0 CAIRN SHARED_DIR}/fixtures/opencode/sqlite-1.18.33

mkdir "$WORK/sdk"
if ! (cd "$WORK/sdk" && echo '{"private":true}' >package.json &&
    timeout 100 npm install --silent --no-audit --no-fund @modelcontextprotocol/sdk >"$WORK/npm.log" 2>&1); then
    diag "$(tail -5 "$WORK/npm.log")"
    skip_all "npm install @modelcontextprotocol/sdk failed (offline?)"
fi
diag "node $(node --version), @modelcontextprotocol/sdk $(jq -r .version "$WORK/sdk/node_modules/@modelcontextprotocol/sdk/package.json" 2>/dev/null)"

cp -r "$FIX" "$WORK/oc"
run_cairn "$WORK/ingest.out" "$WORK/ingest.err" ingest --source "opencode=$WORK/oc" --data-dir "$WORK/store"
if [ "$RC" -ne 0 ]; then
    not_ok "ingest of the opencode fixture" "$(cat "$WORK/ingest.err")"
    done_testing
fi

# the script must sit next to node_modules for its imports to resolve
cp "$HERE/mcp_sdk.mjs" "$WORK/sdk/"
cd "$WORK/sdk" && timeout 60 node mcp_sdk.mjs "$CAIRN" "$WORK/store" ses_e035dec6effeeawMfBf3ow9Lhu
