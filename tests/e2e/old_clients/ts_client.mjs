// An MCP client run with a given release of the TypeScript SDK (older eras, and the current one).
// Usage: node ts_client.mjs CALLS_JSON COMMAND [ARGS...]; prints one JSON summary on stdout.
// The SDK validates every result with its own (zod) schemas, as the hosts built on it do.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";

const [callsJson, command, ...args] = process.argv.slice(2);
const calls = JSON.parse(callsJson);
const transport = new StdioClientTransport({ command, args, env: process.env, stderr: "ignore" });
const client = new Client({ name: "old-ts-client", version: "0" }, { capabilities: {} });
const out = { protocolVersion: LATEST_PROTOCOL_VERSION, calls: [], reads: [] };
await client.connect(transport);
// Listing first is what hosts do, and what lets a current SDK check results against outputSchema.
await client.listTools();
const uris = new Set();
for (const [tool, argumentsObject] of calls) {
  try {
    const result = await client.callTool({ name: tool, arguments: argumentsObject }, undefined, { timeout: 120000 });
    for (const block of result.content) {
      for (const uri of (block.text || "").match(/venice-mcp:\/\/outputs\/[A-Za-z0-9._-]*[A-Za-z0-9]/g) || []) {
        uris.add(uri);
      }
    }
    out.calls.push({ tool, isError: Boolean(result.isError), types: result.content.map((b) => b.type) });
  } catch (error) {
    out.calls.push({ tool, exception: String(error).slice(0, 400) });
  }
}
for (const uri of [...uris].sort()) {
  const read = await client.readResource({ uri });
  out.reads.push({ uri, mimeType: read.contents[0].mimeType });
}
await client.close();
console.log(JSON.stringify(out));
