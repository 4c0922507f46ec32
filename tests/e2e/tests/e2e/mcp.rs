//! `petstore-mcp`: an MCP server (streamable HTTP) behind `tower-auth`, driven by two MCP clients
//! written apart from it (rmcp's own client, the official TypeScript SDK) and by raw JSON-RPC over
//! reqwest to read the HTTP answers: the token on every request (in a session too), the audience
//! (only the resource URL), the scope of each tool decided from the `tools/call` body (403
//! `insufficient_scope`), and the RFC 9728 document the 401 points to.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use petstore_e2e::mcp::{McpServer, challenge_params, initialize, mcp_auth, post, start_mcp, ts_client};
use reqwest::{Method, StatusCode};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

/// The MCP versions the server is for; the raw tests speak each.
const VERSIONS: [&str; 2] = ["2025-06-18", "2025-11-25"];

fn rmcp_transport(server: &McpServer, token: Option<&str>) -> StreamableHttpClientTransport<reqwest::Client> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(server.url.clone());
    if let Some(token) = token {
        config = config.auth_header(token);
    }
    StreamableHttpClientTransport::from_config(config)
}

/// The text of a tool result, parsed as JSON (the tools answer the HTTP Petstore's JSON).
fn result_json(result: &rmcp::model::CallToolResult) -> Value {
    let content = serde_json::to_value(&result.content).unwrap();
    serde_json::from_str(content[0]["text"].as_str().unwrap()).unwrap()
}

fn names(pets: &Value) -> Vec<&str> {
    pets.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect()
}

fn args(value: Value) -> serde_json::Map<String, Value> {
    serde_json::from_value(value).unwrap()
}

#[tokio::test]
async fn rmcp_client_lists_and_calls_the_tools() {
    let server = start_mcp(&[]).await;
    let client =
        ClientConfig::default().serve(rmcp_transport(&server, Some(&server.dev().token))).await.unwrap();

    let mut tools: Vec<String> =
        client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    tools.sort();
    assert_eq!(tools, ["add_pet", "list_pets"]);

    let before = client.call_tool(CallToolRequestParams::new("list_pets")).await.unwrap();
    assert_eq!(
        result_json(&before),
        json!([
            {"id": 1, "name": "Rex", "tag": "dog", "status": "available"},
            {"id": 2, "name": "Tom", "tag": "cat", "status": "available"},
        ])
    );
    let added = client
        .call_tool(
            CallToolRequestParams::new("add_pet")
                .with_arguments(args(json!({"name": "Nemo", "tag": "fish"}))),
        )
        .await
        .unwrap();
    assert_eq!(result_json(&added), json!({"id": 3, "name": "Nemo", "tag": "fish", "status": "available"}));
    let after = client.call_tool(CallToolRequestParams::new("list_pets")).await.unwrap();
    assert_eq!(names(&result_json(&after)), ["Rex", "Tom", "Nemo"]);

    // An unknown tool needs only a valid token: rmcp answers it (a JSON-RPC error).
    assert!(client.call_tool(CallToolRequestParams::new("feed_pets")).await.is_err());
    let _ = client.cancel().await;
}

#[tokio::test]
async fn rmcp_client_with_a_read_only_token_lists_but_cannot_add() {
    let server = start_mcp(&[]).await;
    let client =
        ClientConfig::default().serve(rmcp_transport(&server, Some(&server.dev().read_token))).await.unwrap();
    assert_eq!(client.list_all_tools().await.unwrap().len(), 2);
    let pets = client.call_tool(CallToolRequestParams::new("list_pets")).await.unwrap();
    assert_eq!(names(&result_json(&pets)), ["Rex", "Tom"]);

    let refused = client
        .call_tool(CallToolRequestParams::new("add_pet").with_arguments(args(json!({"name": "Nemo"}))))
        .await
        .expect_err("add_pet needs pets:write");
    let challenge = refused.auth_challenge().unwrap_or_default().to_owned();
    assert!(challenge.contains(r#"error="insufficient_scope""#), "{refused:?}");
    assert!(challenge.contains(r#"scope="pets:write""#), "{challenge}");
    let _ = client.cancel().await;
}

#[tokio::test]
async fn rmcp_client_without_a_token_gets_the_challenge() {
    let server = start_mcp(&[]).await;
    let err = ClientConfig::default().serve(rmcp_transport(&server, None)).await.expect_err("401");
    let text = format!("{err:?}");
    let metadata = server.auth.validator().protected_resource().unwrap().metadata_url().to_owned();
    assert!(text.contains(&metadata), "the 401's challenge names the document: {text}");
}

#[tokio::test]
async fn typescript_sdk_lists_and_calls_the_tools() {
    let server = start_mcp(&[]).await;
    let run = ts_client(&server.url, Some(&server.dev().token)).await;
    assert!(run.ok, "{}", run.output);
    let out = &run.output;
    assert_eq!(out["protocolVersion"], "2025-11-25");
    let mut tools: Vec<&str> = out["tools"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    tools.sort_unstable();
    assert_eq!(tools, ["add_pet", "list_pets"]);
    let text = |call: &str| -> Value {
        assert_eq!(out[call]["isError"], false, "{out}");
        serde_json::from_str(out[call]["text"].as_str().unwrap()).unwrap()
    };
    assert_eq!(names(&text("before")), ["Rex", "Tom"]);
    assert_eq!(text("added"), json!({"id": 3, "name": "Interop", "tag": "ts-sdk", "status": "available"}));
    assert_eq!(names(&text("after")), ["Rex", "Tom", "Interop"]);

    // Read-only: lists, then the SDK raises the 403 of add_pet.
    let run = ts_client(&server.url, Some(&server.dev().read_token)).await;
    assert!(!run.ok);
    assert_eq!(run.output["tools"].as_array().unwrap().len(), 2, "{}", run.output);
    let error = run.output["error"].as_str().unwrap();
    assert!(error.contains("403") && error.contains("insufficient_scope"), "{error}");
}

#[tokio::test]
async fn typescript_sdk_without_a_token_sees_401() {
    let server = start_mcp(&[]).await;
    let run = ts_client(&server.url, None).await;
    assert!(!run.ok);
    let error = run.output["error"].as_str().unwrap();
    assert!(error.contains("401") || error.contains("Unauthorized"), "{error}");
}

#[tokio::test]
async fn without_a_token_the_401_leads_to_the_metadata() {
    let server = start_mcp(&[]).await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}});
    let res = post(&server.url, None, None, &init).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let challenge = res.challenge();
    assert!(challenge.starts_with("Bearer "), "the first challenge is Bearer: {challenge}");
    let params = challenge_params(challenge);
    let metadata_url = &params["resource_metadata"];
    assert_eq!(metadata_url, &format!("{}/.well-known/oauth-protected-resource/mcp", server.origin));

    let issuer = server.dev().issuer.issuer().to_owned();
    let root = format!("{}/.well-known/oauth-protected-resource", server.origin);
    for url in [metadata_url.as_str(), root.as_str()] {
        let res = reqwest::get(url).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let doc: Value = res.json().await.unwrap();
        assert_eq!(doc["resource"], server.auth.resource.as_str(), "{url}");
        assert_eq!(doc["resource"], server.url.as_str());
        assert!(
            doc["authorization_servers"].as_array().unwrap().iter().any(|s| s == issuer.as_str()),
            "{doc}"
        );
        let scopes = doc["scopes_supported"].as_array().unwrap();
        assert!(scopes.iter().any(|s| s == "pets:read") && scopes.iter().any(|s| s == "pets:write"), "{doc}");
    }
}

#[tokio::test]
async fn only_the_resource_url_is_an_accepted_audience() {
    let server = start_mcp(&[]).await;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}});
    let other = format!("{}/other", server.origin);
    for audience in ["petstore", server.origin.as_str(), other.as_str(), "https://127.0.0.1/mcp"] {
        let token = server.token_for(audience, "pets:read pets:write");
        let res = post(&server.url, Some(&token), None, &init).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "aud {audience}");
        assert!(res.challenge().contains(r#"error="invalid_token""#), "{}", res.challenge());
    }
    let token = server.token_for(&server.url, "pets:read");
    assert_eq!(post(&server.url, Some(&token), None, &init).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_token_without_pets_write_gets_403_for_add_pet_only() {
    let server = start_mcp(&[]).await;
    let read = server.dev().read_token.clone();
    for version in VERSIONS {
        let session = initialize(&server.url, &read, version).await;
        assert_eq!(session.version, version);

        let tools = session.request(Some(&read), 2, "tools/list", json!({})).await;
        assert_eq!(tools.status, StatusCode::OK);
        assert_eq!(tools.message()["result"]["tools"].as_array().unwrap().len(), 2, "{}", tools.text);
        let list = session.call(Some(&read), 3, "list_pets", json!({})).await;
        assert_eq!(list.status, StatusCode::OK);
        assert_eq!(list.message()["result"]["isError"], false, "{}", list.text);

        let add = session.call(Some(&read), 4, "add_pet", json!({"name": "Nemo"})).await;
        assert_eq!(add.status, StatusCode::FORBIDDEN, "{version}: an HTTP answer, not a JSON-RPC error");
        let challenge = add.challenge();
        assert!(challenge.starts_with("Bearer "), "{challenge}");
        let params = challenge_params(challenge);
        assert_eq!(params["error"], "insufficient_scope");
        assert_eq!(params["scope"], "pets:write");
        assert_eq!(params["realm"], "petstore");
        assert_eq!(
            params["resource_metadata"],
            format!("{}/.well-known/oauth-protected-resource/mcp", server.origin)
        );
        assert!(add.messages.iter().all(|m| m.get("jsonrpc").is_none()), "{}", add.text);

        // A key named twice: parsers differ on which wins, so the gate refuses the body.
        let smuggled = r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"add_pet","arguments":{"name":"X"},"name":"list_pets"}}"#;
        let res = reqwest::Client::new()
            .post(&server.url)
            .bearer_auth(&read)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .header("mcp-session-id", &session.id)
            .header("mcp-protocol-version", &session.version)
            .body(smuggled)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);

        // An unknown tool: rmcp answers, a JSON-RPC error with HTTP 200.
        let unknown = session.call(Some(&read), 5, "feed_pets", json!({})).await;
        assert_eq!(unknown.status, StatusCode::OK);
        assert!(unknown.message().get("error").is_some(), "{}", unknown.text);
    }
    // The full token adds.
    let full = server.dev().token.clone();
    let session = initialize(&server.url, &full, "2025-06-18").await;
    let add = session.call(Some(&full), 2, "add_pet", json!({"name": "Nemo", "tag": "fish"})).await;
    assert_eq!(add.status, StatusCode::OK);
    let text = add.message()["result"]["content"][0]["text"].as_str().unwrap().to_owned();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["name"], "Nemo");
}

#[tokio::test]
async fn the_token_is_checked_on_every_request_of_a_session() {
    let server = start_mcp(&[]).await;
    let good = server.dev().token.clone();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    let expired = server
        .dev()
        .issuer
        .token()
        .audience(server.url.clone())
        .scope("pets:read pets:write")
        .issued_at(now - 7200)
        .expires_in(Duration::from_secs(600))
        .sign();
    let session = initialize(&server.url, &good, "2025-11-25").await;
    for (what, token) in
        [("no token", None), ("garbage", Some("not-a-jwt")), ("expired", Some(expired.as_str()))]
    {
        let res = session.request(token, 2, "tools/list", json!({})).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{what}");
        assert!(res.challenge().starts_with("Bearer "), "{what}: {}", res.challenge());
        assert!(res.challenge().contains("resource_metadata="), "{what}");
        assert_eq!(session.bodyless(Method::GET, token).await, StatusCode::UNAUTHORIZED, "{what}: GET");
        assert_eq!(session.bodyless(Method::DELETE, token).await, StatusCode::UNAUTHORIZED, "{what}: DELETE");
    }
    // The session is still there for the good token.
    let res = session.request(Some(&good), 3, "tools/list", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(session.bodyless(Method::DELETE, Some(&good)).await.is_success(), "the good token ends it");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let server = start_mcp(&[]).await;
    let token = server.dev().token.clone();
    let session = initialize(&server.url, &token, "2025-06-18").await;
    let big = "x".repeat(petstore_mcp::MAX_BODY_BYTES + 1);
    let res = session.call(Some(&token), 2, "add_pet", json!({"name": big})).await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_bad_auth_resource_stops_startup_naming_it() {
    let addr = "127.0.0.1:0".parse().unwrap();
    for bad in
        ["/mcp", "mcp.example.com/mcp", "https://mcp.example.com/mcp#top", "http://mcp.example.com/mcp"]
    {
        let err = match mcp_auth(&[("AUTH_RESOURCE", bad)], addr).await {
            Ok(_) => panic!("{bad} accepted"),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("AUTH_RESOURCE"), "{bad}: {err}");
    }
}
