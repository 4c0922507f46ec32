//! The startup banner: where the server listens, ready tokens, and a working `initialize`.

use std::fmt::Write as _;
use std::net::SocketAddr;

use crate::McpAuth;

/// The `curl` of `initialize` (MCP 2025-06-18) with `$TOKEN`, at `resource` (the server's URL).
pub fn initialize_command(resource: &str) -> String {
    format!(
        "curl -i -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \
         -H 'Accept: application/json, text/event-stream' -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\
         \"method\":\"initialize\",\"params\":{{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{{}},\
         \"clientInfo\":{{\"name\":\"curl\",\"version\":\"0\"}}}}}}' {resource}"
    )
}

/// The banner printed at startup.
pub fn banner(listen: SocketAddr, auth: &McpAuth) -> String {
    let mut out = String::new();
    let resource = &auth.resource;
    let _ = writeln!(out, "petstore-mcp listening on {listen}; MCP endpoint (AUTH_RESOURCE) {resource}");
    let _ = writeln!(
        out,
        "Tools: list_pets (scope pets:read), add_pet (scope pets:write). Tokens must have aud {resource}."
    );
    match &auth.dev {
        Some(dev) => {
            let _ = writeln!(out, "{}", petstore::banner::dev_issuer_line(&dev.issuer));
            let _ = writeln!(out, "TOKEN has scopes `pets:read pets:write`; READ_TOKEN has `pets:read`.");
            let _ = writeln!(out, "Paste into a shell (expect 200 and an mcp-session-id header):\n");
            let _ = writeln!(out, "TOKEN={}", dev.token);
            let _ = writeln!(out, "READ_TOKEN={}", dev.read_token);
        }
        None => {
            let _ = writeln!(
                out,
                "Get an access token for {resource} from your provider, set TOKEN to it, then run:\n"
            );
        }
    }
    let _ = writeln!(out, "{}", initialize_command(resource));
    let _ = writeln!(out, "# What a client learns after a 401 (RFC 9728):");
    let metadata =
        auth.validator().protected_resource().map(|r| r.metadata_url().to_owned()).unwrap_or_default();
    let _ = writeln!(out, "curl -i {metadata}");
    out
}
