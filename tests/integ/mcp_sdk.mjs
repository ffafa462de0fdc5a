// tests/integ/mcp_sdk.mjs - drives `cairn mcp` with the official MCP TypeScript SDK
// client: initialize, tools/list, every tool with valid arguments, one with invalid
// arguments, close.  Prints TAP.  Run by mcp_sdk.sh from a directory where
// @modelcontextprotocol/sdk is installed.
//   node mcp_sdk.mjs CAIRN DATA_DIR SESSION_ID
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [cairn, dataDir, sid] = process.argv.slice(2);
let n = 0, failed = 0;
const clean = (s) => String(s).replace(/[#\n]/g, ' ');
function ok(cond, desc, detail) {
    n++;
    if (cond) {
        console.log(`ok ${n} - ${clean(desc)}`);
    } else {
        failed++;
        console.log(`not ok ${n} - ${clean(desc)}`);
        if (detail !== undefined)
            for (const l of String(typeof detail === 'string' ? detail : JSON.stringify(detail)).slice(0, 2000).split('\n'))
                console.log(`#   ${l}`);
    }
}
const eq = (a, b, desc) => {
    const ja = JSON.stringify(a), jb = JSON.stringify(b);
    ok(ja === jb, desc, `expected: ${jb}\nactual:   ${ja}`);
};

const EXPECTED_TOOLS = ['context_append', 'context_get', 'memory_forget', 'memory_history', 'memory_recall', 'memory_restore',
    'memory_save', 'memory_search', 'memory_suggestions', 'session_get', 'session_list', 'session_search',
    'session_summary'];

const transport = new StdioClientTransport({
    command: cairn,
    args: ['mcp', '--data-dir', dataDir, '--project', 'p'],
    env: { ...process.env },
    stderr: 'pipe',
});
let stderr = '';
const client = new Client({ name: 'cairn-sdk-test', version: '1.0.0' });

// a tool call's result: { result, json } with json the parsed content[0].text
async function call(name, args) {
    const result = await client.callTool({ name, arguments: args });
    let json;
    try {
        json = JSON.parse(result.content[0].text);
    } catch (e) {
        json = undefined;
    }
    return { result, json };
}
async function check(desc, name, args, pred) {
    try {
        const { result, json } = await call(name, args);
        ok(result.isError === false && json !== undefined && pred(json), `${desc}`, result);
        return json;
    } catch (e) {
        ok(false, desc, String(e && e.stack || e));
        return undefined;
    }
}

try {
    transport.stderr?.on('data', (d) => { stderr += d; });
    await client.connect(transport);
    ok(true, 'the SDK client connects (initialize)');
    const sv = client.getServerVersion();
    eq(sv && sv.name, 'cairn', 'serverInfo name cairn');
    const caps = client.getServerCapabilities() || {};
    ok(!!caps.tools && !!caps.resources, 'capabilities tools and resources', caps);

    const { tools } = await client.listTools();
    eq(tools.map((t) => t.name).sort(), EXPECTED_TOOLS, "listTools: the issue's twelve tools and memory_restore");
    ok(tools.every((t) => t.inputSchema && t.inputSchema.type === 'object' && t.description),
        'listTools: every tool has an object inputSchema and a description');

    await check('memory_save', 'memory_save', { key: 'db', value: 'use WAL zorblax' },
        (j) => j.project_id === 'p' && j.key === 'db' && j.version === 1);
    await check('memory_save again: version 2', 'memory_save', { key: 'db', value: 'WAL mode zorblax' },
        (j) => j.version === 2);
    await check('memory_recall of a key', 'memory_recall', { key: 'db' },
        (j) => j.memory.memory_key === 'db' && j.memory.memory_value === 'WAL mode zorblax');
    await check('memory_search', 'memory_search', { q: 'zorblax' },
        (j) => j.count === 1 && j.memories[0].memory_key === 'db');
    await check('memory_history', 'memory_history', { key: 'db' },
        (j) => j.versions.map((v) => v.version).join() === '2,1');
    await check('session_search', 'session_search', { q: 'todo' },
        (j) => j.hits.some((h) => h.session_id === sid));
    await check('session_get', 'session_get', { session_id: sid }, (j) => j.session_id === sid);
    await check('session_list', 'session_list', {}, (j) => j.sessions.length === 4);
    await check('context_append', 'context_append', { session_id: sid, file_path: 'src/cart.c', decision: 'Use WAL mode.' },
        (j) => j.context.files_accessed[0].path === 'src/cart.c');
    await check('context_get', 'context_get', { session_id: sid },
        (j) => j.context.decisions[0].decision === 'Use WAL mode.');
    await check('session_summary', 'session_summary', { session_id: sid },
        (j) => j.session_id === sid && j.files_touched.includes('src/cart.c'));
    await check('memory_suggestions', 'memory_suggestions', { session_id: sid },
        (j) => j.suggestions.some((s) => s.rule === 'decision' && s.text === 'Use WAL mode.'));
    await check('memory_forget', 'memory_forget', { key: 'db' }, (j) => j.key === 'db');

    // a failing tool: a result with isError
    try {
        const { result, json } = await call('memory_recall', { key: 'db' });
        ok(result.isError === true && json && json.error && json.error.code === 'not_found',
            'memory_recall of a forgotten key: isError true, not_found', result);
    } catch (e) {
        ok(false, 'memory_recall of a forgotten key: isError true, not_found', String(e));
    }
    await check('memory_restore', 'memory_restore', { key: 'db' }, (j) => j.key === 'db' && j.message === 'Memory restored');
    await check('memory_recall after memory_restore', 'memory_recall', { key: 'db' },
        (j) => j.memory && j.memory.memory_value === 'WAL mode zorblax');

    // invalid arguments: a JSON-RPC error -32602 naming the field
    try {
        const r = await client.callTool({ name: 'memory_save', arguments: { key: 3, value: 'x' } });
        ok(false, 'invalid arguments: an McpError -32602', r);
    } catch (e) {
        ok(e && e.code === -32602 && /key/.test(e.message), 'invalid arguments: an McpError -32602 naming key',
            `${e && e.code} ${e && e.message}`);
    }
    // tool calls in parallel (as an agent runs them): every one answered for itself, all kept
    const keys = Array.from({ length: 8 }, (_, i) => `par-${i}`);
    const rs = await Promise.allSettled([
        ...keys.map((k) => call('memory_save', { key: k, value: `parallel ${k}` })),
        call('memory_save', { key: 'par-bad', value: 'x', ttl_seconds: -1 }),
    ]);
    const saved = rs.slice(0, 8);
    ok(saved.every((r, i) => r.status === 'fulfilled' && r.value.result.isError === false &&
        r.value.json.key === keys[i]) &&
        new Set(saved.map((r) => r.value && r.value.json.memory_id)).size === 8,
    '8 memory_save calls in parallel: each answered with its own key and id', rs);
    ok(rs[8].status === 'rejected' && rs[8].reason.code === -32602 && /ttl_seconds/.test(rs[8].reason.message),
        'a bad call among them fails alone (-32602 naming ttl_seconds)', rs[8]);
    await check('memory_recall after them: all 8 stored', 'memory_recall', { limit: 100 },
        (j) => keys.every((k) => j.memories.some((m) => m.memory_key === k && m.memory_value === `parallel ${k}`)));

    // resources
    const { resources } = await client.listResources();
    ok(resources.some((r) => r.uri === 'cairn://project/p/memories'), 'listResources: the project memories', resources);
    const rr = await client.readResource({ uri: `cairn://session/${sid}/summary` });
    ok(JSON.parse(rr.contents[0].text).session_id === sid, 'readResource: a session summary', rr);

    await client.ping();
    ok(true, 'ping');
    await client.close();
    ok(true, 'close');
} catch (e) {
    ok(false, 'no exception from the SDK client', String(e && e.stack || e));
    try { await client.close(); } catch (e2) { /* already closed */ }
}
ok(!/AddressSanitizer|LeakSanitizer|runtime error:/.test(stderr), 'no sanitizer report on stderr', stderr);

// A client with roots and no --project: its first call, sent at once after connect,
// goes to the root's project (the server waits for the roots' answer), and a path
// project's resource uri reads back.
{
    const { ListRootsRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    const t2 = new StdioClientTransport({
        command: cairn, args: ['mcp', '--data-dir', dataDir], env: { ...process.env }, stderr: 'pipe',
    });
    let err2 = '';
    const c2 = new Client({ name: 'cairn-sdk-roots', version: '1.0.0' }, { capabilities: { roots: {} } });
    c2.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///srv/sdk%20root', name: 'r' }] }));
    try {
        await c2.connect(t2);
        t2.stderr && t2.stderr.on('data', (d) => { err2 += d; });
        const r = await c2.callTool({ name: 'memory_save', arguments: { key: 'rootkey', value: 'from the first call' } });
        eq(JSON.parse(r.content[0].text).project_id, '/srv/sdk root', "roots: the client's first call goes to its root's project");
        const { resources } = await c2.listResources();
        const uri = 'cairn://project/%2Fsrv%2Fsdk%20root/memories';
        ok(resources.some((x) => x.uri === uri), 'roots: listResources gives the path project percent-encoded', resources);
        const rr = await c2.readResource({ uri });
        eq(JSON.parse(rr.contents[0].text).memories.map((m) => m.memory_key), ['rootkey'], 'roots: readResource of that uri');
        await c2.close();
    } catch (e) {
        ok(false, 'roots: no exception from the SDK client', String(e && e.stack || e));
        try { await c2.close(); } catch (e2) { /* already closed */ }
    }
    ok(!/AddressSanitizer|LeakSanitizer|runtime error:/.test(err2), 'roots: no sanitizer report on stderr', err2);
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
