// An MCP client written with the official TypeScript SDK (@modelcontextprotocol/sdk), for the
// Rust end-to-end tests of examples/petstore-mcp.
//
//   node tests/interop/mcp-client.mjs <url> <token|-> [add-name]
//
// Connects over streamable HTTP with `Authorization: Bearer <token>` (none for `-`), lists the
// tools, calls list_pets, then add_pet (name `add-name`, default "Interop", tag "ts-sdk") and
// list_pets again. Prints one JSON object on stdout:
//   {"protocolVersion", "tools": [names], "before": <list_pets>, "added": <add_pet>, "after": <list_pets>}
// where each call result is {"isError", "text"}. A failure prints {"error": "<message>"} and
// exits 1 (an `add_pet` refused with 403 is such a failure: the SDK raises it).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const [url, token, name = "Interop"] = process.argv.slice(2);
if (!url || !token) {
  console.error("usage: node mcp-client.mjs <url> <token|-> [add-name]");
  process.exit(2);
}

const headers = token === "-" ? {} : { Authorization: `Bearer ${token}` };
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
const client = new Client({ name: "petstore-e2e-ts", version: "0.0.0" });

const call = async (tool, args = {}) => {
  const result = await client.callTool({ name: tool, arguments: args });
  return { isError: result.isError ?? false, text: result.content.map((c) => c.text ?? "").join("") };
};

const out = {};
try {
  await client.connect(transport);
  out.protocolVersion = transport.protocolVersion ?? null;
  out.tools = (await client.listTools()).tools.map((t) => t.name);
  out.before = await call("list_pets");
  out.added = await call("add_pet", { name, tag: "ts-sdk" });
  out.after = await call("list_pets");
  console.log(JSON.stringify(out));
  await client.close();
  process.exit(0);
} catch (e) {
  out.error = `${e?.name ?? "Error"}: ${e?.message ?? e}${e?.code !== undefined ? ` (code ${e.code})` : ""}`;
  console.log(JSON.stringify(out));
  process.exit(1);
}
