//! The certified OpenID provider (`oidc-provider`, npm) run by node on loopback.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

/// What the provider prints once it listens.
#[derive(Debug, Clone, Deserialize)]
pub struct Endpoints {
    /// `http://127.0.0.1:PORT`.
    pub issuer: String,
    /// Token endpoint (client_credentials).
    pub token_endpoint: String,
    /// JWKS URL.
    pub jwks_uri: String,
    /// Test-only key rotation endpoint.
    pub rotate_url: String,
}

/// A running provider (with token exchange for `gateway-client`, through its grant type
/// extension point). Dropping it ends the process (stdin closes, and the child is killed).
pub struct Provider {
    endpoints: Endpoints,
    client: reqwest::Client,
    _stdin: ChildStdin,
    _child: Child,
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop/provider.mjs")
}

impl Provider {
    /// Starts `node tests/interop/provider.mjs` and waits for its first line.
    pub async fn start() -> Provider {
        crate::interop::require("oidc-provider");
        let mut child = Command::new("node")
            .arg(script())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        // Bounded: a provider that never prints fails the test instead of hanging it.
        tokio::time::timeout(Duration::from_secs(60), BufReader::new(stdout).read_line(&mut line))
            .await
            .expect("provider did not start within 60 s")
            .expect("provider stdout");
        let endpoints: Endpoints = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!("provider printed {line:?}: {e} (did `npm ci` run in tests/interop?)")
        });
        Provider { endpoints, client: reqwest::Client::new(), _stdin: stdin, _child: child }
    }

    /// The provider's endpoints.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.endpoints.issuer
    }

    /// An access token for `client` (`rs256-client`, `ps256-client`, `es256-client`,
    /// `eddsa-client`) with `scope`, for the resource `urn:petstore` or the one given.
    pub async fn token(&self, client: &str, scope: &str, resource: Option<&str>) -> String {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", client),
            ("client_secret", "secret"),
            ("scope", scope),
        ];
        if let Some(r) = resource {
            form.push(("resource", r));
        }
        let response =
            self.client.post(&self.endpoints.token_endpoint).form(&form).send().await.expect("token request");
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("token response JSON");
        assert!(status.is_success(), "token endpoint answered {status}: {body}");
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    /// The resource server's client at the provider (`client_secret_basic`), for introspection.
    pub const RESOURCE_CLIENT: (&'static str, &'static str) = ("petstore-resource", "resource-secret");

    /// The gateway's client at the provider (`client_secret_basic`, client credentials).
    pub const GATEWAY_CLIENT: (&'static str, &'static str) = ("gateway-client", "gateway-secret");

    /// Revokes `token` (RFC 7009) as `client`, the client it was issued to.
    pub async fn revoke(&self, client: &str, token: &str) {
        let url = format!("{}/token/revocation", self.endpoints.issuer);
        let form = [("token", token), ("client_id", client), ("client_secret", "secret")];
        let status = self.client.post(url).form(&form).send().await.expect("revocation request").status();
        assert_eq!(status.as_u16(), 200, "revocation endpoint answered {status}");
    }

    /// Rotates every signing key (new `kid`s; old keys leave the JWKS).
    pub async fn rotate(&self) {
        let status = self.client.post(&self.endpoints.rotate_url).send().await.expect("rotate").status();
        assert_eq!(status.as_u16(), 204);
    }
}
