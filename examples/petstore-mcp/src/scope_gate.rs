//! [`ScopeGateLayer`]: the scope of each MCP `tools/call`, decided from the JSON-RPC body itself.
//!
//! MCP sends every method to one URL, so a route's scope cannot say which tool is called: the
//! gate reads the body (at most [`MAX_BODY_BYTES`], else 413), parses the JSON-RPC message (one,
//! or a batch), and for each `tools/call` looks up the scope its `params.name` needs. A call the
//! token's scopes do not allow is answered HTTP 403 `insufficient_scope`, rendered by the
//! `AuthLayer` in front (its realm and `resource_metadata`), so it reads exactly like
//! `RequireScopesLayer`'s answer. Anything else (other methods, unknown tools, bodies that are not
//! JSON-RPC) goes on to the MCP server, which answers it.
//!
//! It sits inside an `AuthLayer`, which has already refused requests without a valid token.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth_core::requirements::check_scopes;
use auth_core::{Claims, ScopeRequirement};
use axum::body::Body;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::Value;
use tower_auth::AuthContext;
use tower_layer::Layer;
use tower_service::Service;

/// The largest JSON-RPC body read: 1 MiB. A larger one is answered 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Requires, per tool, the scopes a `tools/call` of it needs; see the [module docs](self).
///
/// ```
/// use petstore_mcp::ScopeGateLayer;
///
/// let gate = ScopeGateLayer::new([("list_pets", "pets:read"), ("add_pet", "pets:write")]);
/// assert_eq!(gate.required("add_pet").map(|r| r.to_string()).as_deref(), Some("pets:write"));
/// assert!(gate.required("unknown").is_none());
/// ```
#[derive(Clone)]
pub struct ScopeGateLayer {
    rules: Arc<Rules>,
}

struct Rules {
    tools: HashMap<String, String>,
    limit: usize,
}

impl ScopeGateLayer {
    /// `(tool, scope)` pairs: a call of `tool` needs `scope`. The scopes are registered for the
    /// RFC 9728 document's `scopes_supported`, as `RequireScopesLayer` registers its own.
    pub fn new<I, T, S>(tools: I) -> Self
    where
        I: IntoIterator<Item = (T, S)>,
        T: Into<String>,
        S: Into<String>,
    {
        let tools: HashMap<String, String> = tools.into_iter().map(|(t, s)| (t.into(), s.into())).collect();
        auth_core::requirements::register_scopes(tools.values());
        ScopeGateLayer { rules: Arc::new(Rules { tools, limit: MAX_BODY_BYTES }) }
    }

    /// The largest body read (default [`MAX_BODY_BYTES`]); a larger one is answered 413.
    pub fn body_limit(self, bytes: usize) -> Self {
        let tools = self.rules.tools.clone();
        ScopeGateLayer { rules: Arc::new(Rules { tools, limit: bytes }) }
    }

    /// What a call of `tool` requires; `None` for a tool the gate does not know (only a valid
    /// token is needed, and the MCP server answers it).
    pub fn required(&self, tool: &str) -> Option<ScopeRequirement> {
        self.rules.tools.get(tool).map(|scope| ScopeRequirement::all([scope.as_str()]))
    }
}

impl Rules {
    /// The scopes every `tools/call` in `body` needs together; `None` when it calls no known tool
    /// (or is not JSON: the MCP server answers the parse error).
    fn required(&self, body: &[u8]) -> Option<ScopeRequirement> {
        let message: Value = serde_json::from_slice(body).ok()?;
        let messages = match &message {
            Value::Array(batch) => batch.iter().collect::<Vec<_>>(),
            single => vec![single],
        };
        let scopes: BTreeSet<&str> = messages
            .into_iter()
            .filter(|m| m.get("method").and_then(Value::as_str) == Some("tools/call"))
            .filter_map(|m| m.pointer("/params/name").and_then(Value::as_str))
            .filter_map(|tool| self.tools.get(tool).map(String::as_str))
            .collect();
        (!scopes.is_empty()).then(|| ScopeRequirement::all(scopes))
    }
}

impl fmt::Debug for ScopeGateLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeGateLayer")
            .field("tools", &self.rules.tools)
            .field("limit", &self.rules.limit)
            .finish()
    }
}

impl<S> Layer<S> for ScopeGateLayer {
    type Service = ScopeGate<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ScopeGate { inner, rules: self.rules.clone() }
    }
}

/// The middleware a [`ScopeGateLayer`] builds.
#[derive(Clone)]
pub struct ScopeGate<S> {
    inner: S,
    rules: Arc<Rules>,
}

impl<S: fmt::Debug> fmt::Debug for ScopeGate<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopeGate").field("inner", &self.inner).finish_non_exhaustive()
    }
}

impl<S, B> Service<Request<Body>> for ScopeGate<S>
where
    S: Service<Request<Body>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        // The instance polled ready is the one called; the clone waits for the next request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let rules = self.rules.clone();
        Box::pin(async move {
            if req.method() != Method::POST {
                return inner.call(req).await.map(|res| res.map(Body::new));
            }
            let (parts, body) = req.into_parts();
            let bytes = match read(body, rules.limit).await {
                Ok(bytes) => bytes,
                Err(status) => return Ok(plain(status)),
            };
            if has_duplicate_keys(&bytes) {
                // Parsers differ on which of two equal keys wins: the gate and the MCP server
                // must read the same call, so such a body is refused.
                return Ok(plain(StatusCode::BAD_REQUEST));
            }
            if let Some(requirement) = rules.required(&bytes) {
                let Some(context) = parts.extensions.get::<AuthContext>() else {
                    tracing::error!("ScopeGateLayer found no AuthLayer in front of it; answering 500");
                    return Ok(plain(StatusCode::INTERNAL_SERVER_ERROR));
                };
                if let Err(error) = check_scopes(parts.extensions.get::<Claims>(), &requirement) {
                    return Ok(context.error_response(&error).map(Body::from));
                }
            }
            inner.call(Request::from_parts(parts, Body::from(bytes))).await.map(|res| res.map(Body::new))
        })
    }
}

/// The whole body, at most `limit` bytes: 413 when larger, 400 when it cannot be read.
async fn read(body: Body, limit: usize) -> Result<Bytes, StatusCode> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Err(_) => Err(StatusCode::BAD_REQUEST),
    }
}

/// Whether `body` is JSON with an object naming a key twice (at any depth). Not JSON: `false`,
/// the MCP server answers the parse error.
fn has_duplicate_keys(body: &[u8]) -> bool {
    use serde::de::{Deserialize, Deserializer, Error, IgnoredAny, MapAccess, SeqAccess, Visitor};

    struct Unique;

    impl<'de> Deserialize<'de> for Unique {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(Unique)
        }
    }

    impl<'de> Visitor<'de> for Unique {
        type Value = Unique;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("JSON without duplicate keys")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if !seen.insert(key.into_owned()) {
                    return Err(A::Error::custom("duplicate key"));
                }
                map.next_value::<Unique>()?;
            }
            Ok(Unique)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
            while seq.next_element::<Unique>()?.is_some() {}
            Ok(Unique)
        }

        fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
            Ok(Unique)
        }
        fn visit_unit<E>(self) -> Result<Unique, E> {
            Ok(Unique)
        }
    }

    let unique = serde_json::from_slice::<Unique>(body).is_ok();
    !unique && serde_json::from_slice::<IgnoredAny>(body).is_ok()
}

fn plain(status: StatusCode) -> Response<Body> {
    let text = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "the JSON-RPC body is larger than the server reads",
        StatusCode::BAD_REQUEST => "the request body could not be read, or names a JSON key twice",
        _ => "the server is misconfigured",
    };
    let mut res = Response::new(Body::from(text));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> ScopeGateLayer {
        ScopeGateLayer::new([("list_pets", "pets:read"), ("add_pet", "pets:write")])
    }

    fn required(body: &str) -> Option<String> {
        gate().rules.required(body.as_bytes()).map(|r| r.to_string())
    }

    #[test]
    fn finds_the_scope_of_each_call() {
        let call = |name: &str| {
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{name}"}}}}"#)
        };
        assert_eq!(required(&call("add_pet")).as_deref(), Some("pets:write"));
        assert_eq!(required(&call("list_pets")).as_deref(), Some("pets:read"));
        assert_eq!(required(&call("nope")), None);
        assert_eq!(required(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#), None);
        assert_eq!(required("not json"), None);
        let batch = format!("[{},{}]", call("list_pets"), call("add_pet"));
        let both = required(&batch).unwrap();
        assert!(has_duplicate_keys(br#"{"method":"tools/call","params":{"name":"add_pet","name":"x"}}"#));
        assert!(has_duplicate_keys(br#"[{"a":1},{"b":{"c":1,"c":2}}]"#));
        assert!(!has_duplicate_keys(br#"[{"a":1},{"a":{"c":"\"","d":[1,2.5,null,true]}}]"#));
        assert!(!has_duplicate_keys(b"not json"));
        assert!(both.contains("pets:read") && both.contains("pets:write"), "{both}");
    }
}
