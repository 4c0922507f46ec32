//! The JSON shapes every binary answers with, so all of them answer identically.

use serde::{Deserialize, Serialize};

/// The token claims the Petstore reads, deserialized from a verified token.
///
/// Scopes come from `scope` (space-separated, RFC 8693 / RFC 9068) or `scp` (a list or a
/// string, as some providers send it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Caller {
    /// `sub`.
    #[serde(default)]
    pub sub: Option<String>,
    /// `client_id`, or `azp` when there is no `client_id`.
    #[serde(default)]
    pub client_id: Option<String>,
    /// `azp`.
    #[serde(default)]
    pub azp: Option<String>,
    /// `scope`.
    #[serde(default)]
    pub scope: Option<ScopeClaim>,
    /// `scp`.
    #[serde(default)]
    pub scp: Option<ScopeClaim>,
}

/// A scope claim: a space-separated string or a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ScopeClaim {
    /// `"a b c"`.
    Text(String),
    /// `["a", "b", "c"]`.
    List(Vec<String>),
}

impl ScopeClaim {
    fn values(&self) -> Vec<String> {
        match self {
            ScopeClaim::Text(s) => s.split_whitespace().map(str::to_owned).collect(),
            ScopeClaim::List(l) => l.clone(),
        }
    }
}

impl Caller {
    /// The granted scopes, from `scope` or else `scp`.
    pub fn scopes(&self) -> Vec<String> {
        self.scope.as_ref().or(self.scp.as_ref()).map(ScopeClaim::values).unwrap_or_default()
    }

    /// The answer of `GET /me`.
    pub fn me(&self) -> Me {
        Me {
            sub: self.sub.clone(),
            client_id: self.client_id.clone().or_else(|| self.azp.clone()),
            scopes: self.scopes(),
        }
    }
}

/// `POST /store/orders/{id}/payment` (and the gRPC `PayOrder`): `{"order": id, "status": "paid"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The order paid.
    pub order: u64,
    /// Always `paid`.
    pub status: String,
}

impl Payment {
    /// The answer for `order`.
    pub fn paid(order: u64) -> Self {
        Payment { order, status: "paid".to_owned() }
    }
}

/// `GET /me`: `{"sub", "client_id", "scopes": [...]}` (absent claims are `null`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    /// The token's subject.
    pub sub: Option<String>,
    /// The client the token was issued to.
    pub client_id: Option<String>,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

/// `GET /store/inventory`: `{"visibility": "public"}` without a token,
/// `{"visibility": "full", "sub": ...}` with a valid one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// `public` or `full`.
    pub visibility: String,
    /// The caller, for the full view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
}

impl Inventory {
    /// The anonymous view.
    pub fn public() -> Self {
        Inventory { visibility: "public".into(), sub: None }
    }

    /// The authenticated view.
    pub fn full(caller: &Caller) -> Self {
        Inventory { visibility: "full".into(), sub: caller.sub.clone() }
    }
}

/// An application error body (not auth: those are RFC 6750 answers): `{"error", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code: `not_found`, `invalid_pet`.
    pub error: String,
    /// For humans.
    pub message: String,
}

impl ErrorBody {
    /// 404 for an unknown pet id.
    pub fn pet_not_found(raw_id: &str) -> Self {
        // Ids are echoed only when they are numbers: nothing the caller typed is reflected raw.
        let message = match raw_id.parse::<u64>() {
            Ok(id) => format!("no pet with id {id}"),
            Err(_) => "no such pet".to_owned(),
        };
        ErrorBody { error: "not_found".into(), message }
    }

    /// 400 for an invalid new pet.
    pub fn invalid_pet(message: &str) -> Self {
        ErrorBody { error: "invalid_pet".into(), message: message.into() }
    }

    /// 404 for an unknown route.
    pub fn no_route() -> Self {
        ErrorBody { error: "not_found".into(), message: "no such route".into() }
    }

    /// 400 (413, 415) for a bad `/admin/revocations` body.
    pub fn invalid_revocation(message: &str) -> Self {
        ErrorBody { error: "invalid_revocation".into(), message: message.into() }
    }

    /// 503 when the shared revocation store cannot record (or lift) an entry now.
    pub fn revocations_unavailable() -> Self {
        ErrorBody {
            error: "revocations_unavailable".into(),
            message: "the revocation store cannot be reached; nothing was recorded, retry later".into(),
        }
    }

    /// 503 when this process already records as many revocations as it may.
    pub fn revocations_full() -> Self {
        ErrorBody {
            error: "revocations_full".into(),
            message: "the revocation list is full; entries free up as they expire".into(),
        }
    }
}

/// The status of the service: `GET /health` answers
/// `{"status": "ok", "keys_loaded": bool, "revocations": "local" | "fresh" | "stale"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always `ok`: the process answers.
    pub status: String,
    /// Whether signing keys are loaded (protected routes answer 503 until they are).
    pub keys_loaded: bool,
    /// The revocation list: `local` (this process only, or none configured), `fresh` (shared on
    /// Redis, confirmed within `AUTH_REVOCATION_MAX_STALE`) or `stale` (not confirmed: protected
    /// routes answer 503, or pass when `AUTH_REVOCATION_FAIL=open`).
    pub revocations: String,
}

impl Health {
    /// The health of a service validating with `validator`.
    pub fn of(validator: &auth_core::Validator) -> Self {
        let revocations = validator.revocations().map_or("local", |r| r.state().as_str());
        Health { status: "ok".into(), keys_loaded: validator.is_ready(), revocations: revocations.into() }
    }

    /// `GET /ready`, for orchestrators: 200 with `status` `ready` when the keys are loaded and
    /// the revocation list is not stale (with Redis: confirmed within
    /// `AUTH_REVOCATION_MAX_STALE`, whatever `AUTH_REVOCATION_FAIL` says), else 503 with
    /// `not_ready`; the other members as in [`Health::of`].
    pub fn readiness(validator: &auth_core::Validator) -> (u16, Self) {
        let mut health = Health::of(validator);
        let ready = health.keys_loaded && health.revocations != "stale";
        health.status = if ready { "ready" } else { "not_ready" }.into();
        (if ready { 200 } else { 503 }, health)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn me_from_scope_or_scp() {
        let c: Caller =
            serde_json::from_value(json!({"sub": "u", "client_id": "c", "scope": "a b"})).unwrap();
        assert_eq!(
            serde_json::to_value(c.me()).unwrap(),
            json!({"sub": "u", "client_id": "c", "scopes": ["a", "b"]})
        );
        let c: Caller = serde_json::from_value(json!({"azp": "c", "scp": ["x"]})).unwrap();
        assert_eq!(
            serde_json::to_value(c.me()).unwrap(),
            json!({"sub": null, "client_id": "c", "scopes": ["x"]})
        );
    }

    #[test]
    fn inventory_shapes() {
        assert_eq!(serde_json::to_value(Inventory::public()).unwrap(), json!({"visibility": "public"}));
        let c = Caller { sub: Some("u".into()), ..Caller::default() };
        assert_eq!(
            serde_json::to_value(Inventory::full(&c)).unwrap(),
            json!({"visibility": "full", "sub": "u"})
        );
    }
}
