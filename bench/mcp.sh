#!/usr/bin/env bash
# bench/mcp.sh [BUILD_DIR] - `cairn mcp` against @modelcontextprotocol/server-memory over
# stdio (issue 6, "Benchmark"); the measuring is bench/mcp.mjs (see there).
#
# Installs @modelcontextprotocol/sdk and @modelcontextprotocol/server-memory with npm
# into a temp dir, copies bench/mcp.mjs next to them (so its imports resolve) and runs
# it with the cairn of BUILD_DIR (default build-bench; build-nt if that one is missing).
# Prints per server and phase calls, p50/p99 ms per call and calls/s, the searches' latency
# per query class (common word, rare tag) and how many memories the common words are in,
# then the ratio cairn/server-memory throughput per phase with PASS/MISS against >= 50x, and
# (informative) each server's rate for MCP_PAR_SAVES (1000) more saves, MCP_IN_FLIGHT (8) calls
# in flight at a time, and (informative) the floor of a durable save called one at a time on this
# machine: the SDK client's ping round trip plus a 4 KB fdatasync, measured in the same run.
# A missed target is a figure, not an error: exit 1 only when it cannot measure (no node
# or npm, the install fails, a cairn call answers an error).
# Environment: CAIRN (a cairn binary, overrides BUILD_DIR), MCP_SAVES (10000),
# MCP_SEARCHES (1000), MCP_CAP_S (300, seconds after which a phase stops),
# CAIRN_BENCH_TMP (where the temp dir goes, default $TMPDIR or /tmp).
set -u
cd "$(dirname "$0")/.." || exit 1
DIR=${1:-build-bench}
CAIRN=${CAIRN:-$DIR/cairn}
[ -x "$CAIRN" ] || CAIRN=build-nt/cairn
[ -x "$CAIRN" ] || { echo "bench/mcp: no cairn binary in $DIR (or build-nt)" >&2; exit 1; }
CAIRN=$(cd "$(dirname "$CAIRN")" && pwd)/$(basename "$CAIRN")
for tool in node npm; do
    command -v $tool >/dev/null || { echo "bench/mcp: needs $tool" >&2; exit 1; }
done

tmp=$(mktemp -d "${CAIRN_BENCH_TMP:-${TMPDIR:-/tmp}}/cairn-mcp.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

echo "== bench/mcp ($CAIRN, node $(node --version))"
(cd "$tmp" && echo '{"private":true,"type":"module"}' >package.json &&
    npm install --silent --no-audit --no-fund \
        @modelcontextprotocol/sdk @modelcontextprotocol/server-memory) ||
    { echo "bench/mcp: npm install failed" >&2; exit 1; }
mem=$tmp/node_modules/@modelcontextprotocol/server-memory
echo "sdk $(node -p "require('$tmp/node_modules/@modelcontextprotocol/sdk/package.json').version")," \
    "server-memory $(node -p "require('$mem/package.json').version")"
cp bench/mcp.mjs "$tmp/mcp.mjs"
mkdir "$tmp/run"
node "$tmp/mcp.mjs" "$CAIRN" "$mem/$(node -p "require('$mem/package.json').bin['mcp-server-memory']")" "$tmp/run"
