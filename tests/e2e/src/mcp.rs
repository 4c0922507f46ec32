//! `petstore-mcp` in-process on a real socket, a raw JSON-RPC client over reqwest (to read the
//! HTTP answers themselves), and the official TypeScript SDK client run by node.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// A running `petstore-mcp`, stopped when dropped.
pub struct McpServer {
    /// The MCP endpoint, `http://127.0.0.1:PORT/mcp` (also `AUTH_RESOURCE` by default).
    pub url: String,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    /// What the binary built at startup.
    pub auth: petstore_mcp::McpAuth,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for McpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl McpServer {
    /// The development issuer's tokens.
    pub fn dev(&self) -> &petstore_mcp::DevTokens {
        self.auth.dev.as_ref().expect("started with the development issuer")
    }

    /// A token from the development issuer for `audience` with `scope`.
    pub fn token_for(&self, audience: &str, scope: &str) -> String {
        self.dev().issuer.token().audience(audience).scope(scope).sign()
    }
}

/// What `petstore-mcp` builds from the environment `vars`, bound to `addr`.
pub async fn mcp_auth(
    vars: &[(&str, &str)],
    addr: std::net::SocketAddr,
) -> Result<petstore_mcp::McpAuth, Box<dyn std::error::Error>> {
    let settings = crate::settings(vars)?.bound_to(addr);
    Ok(petstore_mcp::McpAuth::from_settings(&settings).await?)
}

/// Starts `petstore-mcp` with the environment `vars` (as the binary reads it) on 127.0.0.1:0.
pub async fn start_mcp(vars: &[(&str, &str)]) -> McpServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let auth = mcp_auth(vars, addr).await.expect("startup");
    let serving = auth.clone();
    let task = tokio::spawn(async move { petstore_mcp::serve(listener, &serving).await.unwrap() });
    McpServer { url: format!("http://{addr}/mcp"), origin: format!("http://{addr}"), auth, task }
}

/// A JSON-RPC client over plain reqwest, keeping the session the server opened.
pub struct RawSession {
    /// The server's `mcp-session-id`.
    pub id: String,
    /// The negotiated protocol version.
    pub version: String,
    url: String,
    http: reqwest::Client,
}

/// One HTTP answer: status, headers, the JSON-RPC messages of its body (JSON or SSE `data:`),
/// and the body text.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as sent.
    pub text: String,
    /// The JSON-RPC messages in it.
    pub messages: Vec<Value>,
}

impl Answer {
    /// The `WWW-Authenticate` header, or "".
    pub fn challenge(&self) -> &str {
        self.headers.get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The single JSON-RPC message of the body.
    pub fn message(&self) -> &Value {
        assert_eq!(self.messages.len(), 1, "one message expected: {}", self.text);
        &self.messages[0]
    }
}

/// POSTs `body` to `url` with `token` (none for `None`) and the session headers.
pub async fn post(url: &str, token: Option<&str>, session: Option<(&str, &str)>, body: &Value) -> Answer {
    let mut req =
        reqwest::Client::new().post(url).header("accept", "application/json, text/event-stream").json(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some((id, version)) = session {
        req = req.header("mcp-session-id", id).header("mcp-protocol-version", version);
    }
    answer(req).await
}

async fn answer(req: reqwest::RequestBuilder) -> Answer {
    let res =
        tokio::time::timeout(Duration::from_secs(10), req.send()).await.expect("answer in 10 s").unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    let text = res.text().await.unwrap();
    let messages =
        if headers.get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream")) {
            text.lines()
                .filter_map(|line| line.strip_prefix("data:"))
                .filter_map(|data| serde_json::from_str(data.trim()).ok())
                .collect()
        } else {
            serde_json::from_str(&text).ok().into_iter().collect()
        };
    Answer { status, headers, text, messages }
}

/// `initialize` (client speaking `version`) and `notifications/initialized` with `token`.
pub async fn initialize(url: &str, token: &str, version: &str) -> RawSession {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "raw-e2e", "version": "0"}}});
    let res = post(url, Some(token), None, &init).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let id = res.headers["mcp-session-id"].to_str().unwrap().to_owned();
    let negotiated = res.message()["result"]["protocolVersion"].as_str().unwrap().to_owned();
    let notified = post(
        url,
        Some(token),
        Some((&id, &negotiated)),
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(notified.status, StatusCode::ACCEPTED, "{}", notified.text);
    RawSession { id, version: negotiated, url: url.to_owned(), http: reqwest::Client::new() }
}

impl RawSession {
    /// Sends the request `method` with `params` in this session with `token`.
    pub async fn request(&self, token: Option<&str>, id: u64, method: &str, params: Value) -> Answer {
        let body = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        post(&self.url, token, Some((&self.id, &self.version)), &body).await
    }

    /// `tools/call` of `tool` with `arguments`.
    pub async fn call(&self, token: Option<&str>, id: u64, tool: &str, arguments: Value) -> Answer {
        self.request(token, id, "tools/call", json!({"name": tool, "arguments": arguments})).await
    }

    /// A bodyless request of this session (`GET` opens the SSE stream, `DELETE` ends it).
    pub async fn bodyless(&self, method: reqwest::Method, token: Option<&str>) -> StatusCode {
        let mut req = self
            .http
            .request(method, &self.url)
            .header("accept", "text/event-stream")
            .header("mcp-session-id", &self.id)
            .header("mcp-protocol-version", &self.version);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        // Only the status: a GET that succeeds is a stream that never ends.
        let res = tokio::time::timeout(Duration::from_secs(10), req.send()).await.expect("answer").unwrap();
        res.status()
    }
}

/// The parameters of a `WWW-Authenticate` challenge (`name="value"` pairs, unquoted).
pub fn challenge_params(challenge: &str) -> HashMap<String, String> {
    let mut params = HashMap::new();
    let rest = challenge.split_once(' ').map_or("", |(_, rest)| rest);
    let mut rest = rest;
    while let Some((name, after)) = rest.split_once('=') {
        let name = name.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (value, tail) = match after.strip_prefix('"') {
            Some(quoted) => quoted.split_once('"').unwrap_or((quoted, "")),
            None => after.split_once(',').unwrap_or((after, "")),
        };
        params.insert(name, value.to_owned());
        rest = tail.trim_start_matches(',');
    }
    params
}

/// What `tests/interop/mcp-client.mjs` printed, and whether it exited 0.
pub struct TsRun {
    /// Exit status 0.
    pub ok: bool,
    /// Its JSON line.
    pub output: Value,
}

/// Runs `node tests/interop/mcp-client.mjs <url> <token|->` (the official TypeScript SDK).
pub async fn ts_client(url: &str, token: Option<&str>) -> TsRun {
    crate::interop::require("@modelcontextprotocol/sdk");
    let dir = crate::interop::dir();
    let run = tokio::process::Command::new("node")
        .arg(dir.join("mcp-client.mjs"))
        .arg(url)
        .arg(token.unwrap_or("-"))
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("mcp-client.mjs did not finish within 60 s")
        .unwrap_or_else(|e| panic!("cannot run node ({e}): node must be installed (.ci/run installs it)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let output = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!("mcp-client.mjs printed {stdout:?} ({e}); stderr: {}", String::from_utf8_lossy(&out.stderr))
    });
    TsRun { ok: out.status.success(), output }
}
