// MCP benchmark (issue 6): `cairn mcp` against @modelcontextprotocol/server-memory, each over
// ONE stdio session driven by the SDK's Client + StdioClientTransport (same client overhead).
// Phase 1: N saves (cairn memory_save / server-memory create_entities, one entity per call);
// phase 2: Q searches (memory_search / search_nodes) with the same queries.
// Calls are sequential; each is timed with process.hrtime.bigint(). Searches are also reported
// per query class: common word (even calls) and rare tag (odd calls).
// Phase 3 (informative): P more saves, K calls in flight at a time, as a client running tool
// calls in parallel sends them (cairn commits the writes that arrive together once).
// Usage: node mcp.mjs <cairn binary> <server-memory index.js> <temp dir>
// Run by bench/mcp.sh, which installs the npm packages next to a copy of this file.
// Env: MCP_SAVES (10000), MCP_SEARCHES (1000), MCP_CAP_S (300: a phase stops after that long;
// server-memory takes ~170 s for 10,000 saves), MCP_PAR_SAVES (1000: phase 3's saves, 0: none),
// MCP_IN_FLIGHT (8).
// The floor (informative): the least a durable save called one at a time can take here, measured
// in the same run: one round trip of the SDK client to cairn (a ping) plus one fdatasync of a 4 KB
// block overwritten in place (the least a WAL commit writes) on the store's file system; taken
// after cairn's phases and again after server-memory's, and averaged.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { closeSync, fdatasyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";

const [cairnBin, memoryJs, tmp] = process.argv.slice(2);
if (!cairnBin || !memoryJs || !tmp) {
    console.error("usage: node mcp.mjs <cairn> <server-memory dist/index.js> <tmp dir>");
    process.exit(2);
}
const N = Number(process.env.MCP_SAVES || 10000);
const Q = Number(process.env.MCP_SEARCHES || 1000);
const CAP_NS = BigInt(Math.round(Number(process.env.MCP_CAP_S || 300) * 1e9));
const P = Number(process.env.MCP_PAR_SAVES ?? 1000);
const K = Math.max(1, Number(process.env.MCP_IN_FLIGHT || 8));
const TARGET = 50;
// "answer B" in the table: mean size of a call's text answer (cairn searches return at most 10
// memories; search_nodes has no limit and returns every match).

// Deterministic data: short notes of the kind an agent keeps. Common words ("service",
// "prefers", "deploy" …) appear in many memories; each memory also carries one rare tag
// ("ticket-k<j>") shared by about 3 memories.
// A 32-bit LCG (Math.imul: a plain * loses the product's low bits past 2^53), drawn from its
// high bits (its low bits repeat with a short period).
let seed = 42;
const rnd = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
};
const pick = (a) => a[rnd(a.length)];
const who = ["alice", "bob", "carol", "dmitri", "erin", "farah", "gus", "hana"];
const area = ["payments", "auth", "search", "billing", "ingest", "frontend", "scheduler", "reports"];
const forms = [
    (a, w, t) => `${w} prefers tabs over spaces in the ${a} service (${t})`,
    (a, w, t) => `deploy of ${a} needs the staging flag first; ${w} confirmed (${t})`,
    (a, w, t) => `the ${a} tests are flaky on CI when run in parallel, see ${t}`,
    (a, w, t) => `${w} owns the ${a} database migration, review before merge (${t})`,
    (a, w, t) => `use the retry wrapper for ${a} HTTP calls, timeout 30 s (${t})`,
    (a, w, t) => `${a} config lives in config/${a}.toml; ${w} rotated the keys (${t})`,
];
const rareCount = Math.max(1, Math.floor(N / 3));
const data = [];
for (let i = 0; i < N; i++) {
    const t = `ticket-k${rnd(rareCount)}`;
    data.push({ key: `note-${i}`, value: pick(forms)(pick(area), pick(who), t) });
}
// Queries: half words present in many memories, half rare tags present in a few.
const common = ["service", "prefers", "deploy", "flaky", "migration", "retry", "config", ...area, ...who];
const queries = [];
for (let i = 0; i < Q; i++)
    queries.push(i % 2 === 0 ? pick(common) : `k${rnd(rareCount)}`);
const queryClass = (i) => (i % 2 === 0 ? "common" : "rare");
// How many memories each common word is in (substring count: the words are whole words here).
const matches = {};
for (const w of common) matches[w] = data.filter((d) => d.value.includes(w)).length;

function pct(sorted, p) {
    if (!sorted.length) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// Latency figures of a list of per-call ms.
function stats(lat) {
    const sorted = lat.slice().sort((a, b) => a - b);
    return { n: lat.length, p50: pct(sorted, 50), p99: pct(sorted, 99), mean: lat.reduce((a, b) => a + b, 0) / lat.length };
}

// classOf(i) (optional) names the class of call i: the result has the latency figures per class.
async function phase(client, name, n, argsOf, classOf) {
    const lat = [];
    let errors = 0, bytes = 0;
    const start = process.hrtime.bigint();
    let capped = false;
    for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        const r = await client.callTool(argsOf(i));
        const t1 = process.hrtime.bigint();
        if (r.isError) {
            if (errors++ === 0) console.error(`${name}: error: ${JSON.stringify(r.content).slice(0, 300)}`);
        }
        lat.push(Number(t1 - t0) / 1e6);
        for (const c of r.content || []) bytes += (c.text || "").length;
        if (t1 - start > CAP_NS && i + 1 < n) {
            capped = true;
            break;
        }
    }
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    const sorted = lat.slice().sort((a, b) => a - b);
    const byClass = {};
    if (classOf)
        for (const c of new Set(lat.map((_, i) => classOf(i))))
            byClass[c] = stats(lat.filter((_, i) => classOf(i) === c));
    return {
        phase: name, asked: n, calls: lat.length, errors, capped, wall, byClass,
        p50: pct(sorted, 50), p99: pct(sorted, 99), rate: lat.length / wall, avg: bytes / lat.length,
        // calls/s over the last tenth of the calls (from their latencies): the rate near the end
        tail: Math.ceil(lat.length / 10) / (lat.slice(-Math.ceil(lat.length / 10)).reduce((a, b) => a + b, 0) / 1e3),
    };
}

// n calls, k in flight at a time (a batch of k, then the next): each call's latency and the rate.
async function parallel(client, name, n, k, argsOf) {
    const lat = [];
    let errors = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i += k) {
        const batch = [];
        for (let j = i; j < Math.min(n, i + k); j++) {
            const t0 = process.hrtime.bigint();
            batch.push(client.callTool(argsOf(j)).then((r) => {
                lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
                if (r.isError && errors++ === 0)
                    console.error(`${name}: error: ${JSON.stringify(r.content).slice(0, 300)}`);
            }));
        }
        await Promise.all(batch);
    }
    const wall = Number(process.hrtime.bigint() - start) / 1e9;
    const st = stats(lat);
    return { phase: name, asked: n, calls: lat.length, errors, capped: false, wall, p50: st.p50, p99: st.p99, rate: lat.length / wall };
}

// Mean ms of n pings (the SDK client's round trip, with no work in the server).
async function pings(client, n) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await client.ping();
    return Number(process.hrtime.bigint() - start) / 1e6 / n;
}

// Mean ms of n overwrites of one 4 KB block of a file in dir, each followed by fdatasync.
function syncs(dir, n) {
    const fd = openSync(join(dir, "sync.probe"), "w+");
    const block = Buffer.alloc(4096, 120);
    writeSync(fd, block, 0, block.length, 0);
    fdatasyncSync(fd); /* the block is on disk: the loop overwrites, never extends */
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
        writeSync(fd, block, 0, block.length, 0);
        fdatasyncSync(fd);
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6 / n;
    closeSync(fd);
    return ms;
}

async function connect(command, args, env) {
    const transport = new StdioClientTransport({ command, args, env: { ...process.env, ...env }, stderr: "inherit" });
    const client = new Client({ name: "cairn-bench", version: "1.0.0" });
    await client.connect(transport);
    return client;
}

async function runCairn() {
    const dataDir = join(tmp, "cairn-data");
    mkdirSync(dataDir, { recursive: true });
    const c = await connect(cairnBin, ["mcp", "--data-dir", dataDir, "--project", "p"], {});
    const save = await phase(c, "save", N, (i) => ({
        name: "memory_save", arguments: { key: data[i].key, value: data[i].value },
    }));
    const search = await phase(c, "search", Q, (i) => ({
        name: "memory_search", arguments: { q: queries[i], limit: 10 },
    }), queryClass);
    const par = await parallel(c, `save x${K}`, P, K, (i) => ({
        name: "memory_save", arguments: { key: `par-${i}`, value: data[i % N].value },
    }));
    const floor = { ping: await pings(c, 1000), sync: syncs(dataDir, 500) };
    await c.close();
    return [save, search, par, floor];
}

async function runMemory() {
    const c = await connect(process.execPath, [memoryJs], { MEMORY_FILE_PATH: join(tmp, "memory.jsonl") });
    const save = await phase(c, "save", N, (i) => ({
        name: "create_entities",
        arguments: { entities: [{ name: data[i].key, entityType: "note", observations: [data[i].value] }] },
    }));
    const search = await phase(c, "search", Q, (i) => ({
        name: "search_nodes", arguments: { query: queries[i] },
    }), queryClass);
    const par = await parallel(c, `save x${K}`, P, K, (i) => ({
        name: "create_entities",
        arguments: { entities: [{ name: `par-${i}`, entityType: "note", observations: [data[i % N].value] }] },
    }));
    await c.close();
    return [save, search, par];
}

const cairn = await runCairn();
const mem = await runMemory();
{ /* the floor again, after server-memory's minutes: the machine's speed drifts */
    const dataDir = join(tmp, "cairn-data");
    const c = await connect(cairnBin, ["mcp", "--data-dir", dataDir, "--project", "p"], {});
    const fl = cairn[3];
    fl.ping2 = await pings(c, 1000);
    fl.sync2 = syncs(dataDir, 500);
    await c.close();
}

const f = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : "-");
const row = (cols) => console.log(cols.map((c, i) => (i < 2 ? String(c).padEnd(14) : String(c).padStart(12))).join(" "));
console.log(`MCP over stdio, one session each, sequential calls: ${N} saves, ${Q} searches (cap ${Number(CAP_NS) / 1e9} s per phase)` +
    (P ? `; then ${P} saves, ${K} in flight` : ""));
row(["server", "phase", "calls", "p50 ms", "p99 ms", "calls/s", "answer B"]);
for (const [srv, rs] of [["cairn", cairn], ["server-memory", mem]])
    for (const r of rs) {
        if (!r.asked) continue;
        const calls = r.calls === r.asked ? `${r.calls}` : `${r.calls}/${r.asked}`;
        row([srv, r.phase, calls, f(r.p50), f(r.p99), f(r.rate, 0), r.avg === undefined ? "-" : f(r.avg, 0)]);
        if (r.errors) console.log(`  ${srv} ${r.phase}: ${r.errors} calls answered isError`);
        if (r.capped) console.log(`  ${srv} ${r.phase}: stopped after ${f(r.wall, 1)} s (cap)`);
    }
for (const [srv, rs] of [["cairn", cairn], ["server-memory", mem]])
    for (const [c, st] of Object.entries(rs[1].byClass))
        console.log(`${srv} search, ${c} queries: ${st.n} calls, p50 ${f(st.p50)} ms, p99 ${f(st.p99)} ms, mean ${f(st.mean)} ms`);
const cq = queries.filter((_, i) => queryClass(i) === "common").map((q) => matches[q]).sort((a, b) => a - b);
console.log(`common-word queries: ${cq.filter((x) => x === 0).length} of ${cq.length} match no memory, ` +
    `median ${pct(cq, 50)} matches, max ${cq[cq.length - 1]} (of ${N} memories)`);
let ok = true;
for (let i = 0; i < 2; i++) {
    const ratio = cairn[i].rate / mem[i].rate;
    const pass = ratio >= TARGET && !cairn[i].errors && !cairn[i].capped;
    ok &&= pass;
    console.log(`ratio cairn/server-memory ${cairn[i].phase}: ${f(ratio, 1)}x (target >= ${TARGET}x at ${N} memories) ${pass ? "PASS" : "MISS"}`);
}
const tail = cairn[0].tail / mem[0].tail;
console.log(`informative: saves over the last tenth (store near full): cairn ${f(cairn[0].tail, 0)}/s, ` +
    `server-memory ${f(mem[0].tail, 0)}/s, ratio ${f(tail, 1)}x`);
if (P)
    console.log(`informative: ${P} more saves, ${K} calls in flight: cairn ${f(cairn[2].rate, 0)}/s ` +
        `(${f(cairn[2].rate / cairn[0].rate, 1)}x its one-at-a-time rate), server-memory ` +
        `${f(mem[2].rate, 0)}/s, ratio ${f(cairn[2].rate / mem[2].rate, 1)}x`);
{
    const fl = cairn[3];
    const ms = (fl.ping + fl.ping2) / 2 + (fl.sync + fl.sync2) / 2;
    console.log(`informative: the floor of a durable save one at a time: a ping round trip ${f(fl.ping)} and ` +
        `${f(fl.ping2)} ms, a 4 KB fdatasync ${f(fl.sync)} and ${f(fl.sync2)} ms: ${f(ms)} ms, at most ` +
        `${f(1000 / ms, 0)} saves/s, ${f(1000 / ms / mem[0].rate, 1)}x server-memory's whole run, ` +
        `${f(1000 / ms / mem[0].tail, 1)}x its last tenth`);
}
if (mem[0].calls < N)
    console.log(`note: server-memory held ${mem[0].calls} entities during its searches, cairn ${cairn[0].calls}`);
process.exit(cairn.some((r) => r.errors) ? 1 : 0);
