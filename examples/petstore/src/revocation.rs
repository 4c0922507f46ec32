//! `POST /admin/revocations` and `DELETE /admin/revocations`, framework-neutral: the body's
//! four forms and the answer each outcome gets. The axum and actix handlers only read the body
//! (at most [`MAX_BODY_BYTES`]) and copy the [`AdminAnswer`] out, so both answer alike.
//!
//! The body is a JSON object naming exactly one of:
//! - `{"jti": "…"}`: that token of the configured issuer (`AUTH_ISSUER`);
//! - `{"sub": "…", "before": 1700000000}`: every token of the subject issued before `before`
//!   (a NumericDate; default now);
//! - `{"client_id": "…", "before": …}`: the same for a client;
//! - `{"jkt": "…"}`: every token bound to that DPoP key thumbprint.
//!
//! ```
//! use auth_core::checks::revocation::Revocation;
//! use petstore::revocation::parse;
//!
//! let revocation = parse(br#"{"sub": "user-42", "before": 1700000000}"#, None)?;
//! assert_eq!(revocation, Revocation::subject("user-42", Some(1_700_000_000)));
//! assert!(parse(br#"{"sub": "a", "jkt": "b"}"#, None).is_err());
//! # Ok::<(), String>(())
//! ```

use std::fmt;
use std::time::Duration;

use auth_core::Validator;
use auth_core::checks::revocation::{MAX_VALUE_BYTES, Revocation, RevocationError};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::api::ErrorBody;

/// The largest body read; a longer one is answered 413.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// The members that name an entry; exactly one per body.
const FORMS: [&str; 4] = ["jti", "sub", "client_id", "jkt"];

/// What the route does with the entry the body names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `POST`: revoke.
    Revoke,
    /// `DELETE`: lift (the entry's `before` is ignored).
    Lift,
}

/// What the route answers: a status, maybe `Retry-After` (seconds), maybe a JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAnswer {
    /// 204, 400, 404, 413, 415 or 503.
    pub status: u16,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
    /// The JSON body; `None` for 204.
    pub body: Option<ErrorBody>,
}

impl AdminAnswer {
    fn error(status: u16, body: ErrorBody) -> Self {
        AdminAnswer { status, retry_after: None, body: Some(body) }
    }

    /// 413: the body is longer than [`MAX_BODY_BYTES`].
    pub fn too_large() -> Self {
        AdminAnswer::error(413, ErrorBody::invalid_revocation("the body must be at most 8 KiB"))
    }

    /// 400: the body could not be read.
    pub fn unreadable() -> Self {
        AdminAnswer::error(400, ErrorBody::invalid_revocation("the body could not be read"))
    }

    fn outcome(outcome: Result<(), RevocationError>) -> Self {
        match outcome {
            Ok(()) => AdminAnswer { status: 204, retry_after: None, body: None },
            Err(RevocationError::Invalid(message)) => {
                AdminAnswer::error(400, ErrorBody::invalid_revocation(message))
            }
            Err(RevocationError::Full) => AdminAnswer::error(503, ErrorBody::revocations_full()),
            Err(RevocationError::Unavailable { retry_after, .. }) => AdminAnswer {
                retry_after: Some(whole_seconds(retry_after)),
                ..AdminAnswer::error(503, ErrorBody::revocations_unavailable())
            },
            Err(_) => AdminAnswer {
                retry_after: Some(1),
                ..AdminAnswer::error(503, ErrorBody::revocations_unavailable())
            },
        }
    }
}

/// Answers a request whose body was read whole: checks the content type, parses the body and
/// revokes or lifts on `validator`'s list.
pub async fn answer(
    validator: &Validator,
    action: Action,
    content_type: Option<&str>,
    body: &[u8],
) -> AdminAnswer {
    if !is_json(content_type) {
        let message = "the body must be JSON (Content-Type: application/json)";
        return AdminAnswer::error(415, ErrorBody::invalid_revocation(message));
    }
    if body.len() > MAX_BODY_BYTES {
        return AdminAnswer::too_large();
    }
    let Some(revocations) = validator.revocations() else {
        let body =
            ErrorBody { error: "not_found".into(), message: "no revocation list is configured".into() };
        return AdminAnswer::error(404, body);
    };
    let revocation = match parse(body, single_issuer(validator)) {
        Ok(revocation) => revocation,
        Err(message) => return AdminAnswer::error(400, ErrorBody::invalid_revocation(&message)),
    };
    AdminAnswer::outcome(match action {
        Action::Revoke => revocations.revoke(revocation).await,
        Action::Lift => revocations.lift(&revocation).await,
    })
}

/// Whether a `Content-Type` value is JSON: `application/json` or `application/*+json`,
/// parameters allowed.
pub fn is_json(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => subtype == "json" || subtype.ends_with("+json"),
        _ => false,
    }
}

/// The issuer a `jti` belongs to: the validator's one configured issuer, if it has exactly one.
fn single_issuer(validator: &Validator) -> Option<&str> {
    let mut issuers = validator.issuers();
    match (issuers.next(), issuers.next()) {
        (Some(issuer), None) => Some(issuer),
        _ => None,
    }
}

/// The entry a body names; the error is the message of the 400 answer (it never repeats what the
/// caller sent). `issuer` is the one a `jti` belongs to.
pub fn parse(body: &[u8], issuer: Option<&str>) -> Result<Revocation, String> {
    let not_an_object = || "the body must be a JSON object naming one of jti, sub, client_id, jkt".to_owned();
    let Members(members) = serde_json::from_slice(body).map_err(|_| not_an_object())?;
    for (i, (name, _)) in members.iter().enumerate() {
        if !FORMS.contains(&name.as_str()) && name != "before" {
            return Err("unknown member: the members are jti, sub, client_id, jkt and before".into());
        }
        if members[..i].iter().any(|(seen, _)| seen == name) {
            return Err(format!("`{name}` appears twice"));
        }
    }
    let mut forms = members.iter().filter(|(name, _)| FORMS.contains(&name.as_str()));
    let (Some((form, value)), None) = (forms.next(), forms.next()) else {
        return Err("name exactly one of jti, sub, client_id, jkt".into());
    };
    let value = text(form, value)?;
    let before =
        members.iter().find(|(name, _)| name == "before").map(|(_, v)| numeric_date(v)).transpose()?;
    match (form.as_str(), before) {
        ("jti", None) => {
            let issuer = issuer.ok_or("revoking by jti needs AUTH_ISSUER (the issuer the jti belongs to)")?;
            Ok(Revocation::token(issuer, value))
        }
        ("jkt", None) => Ok(Revocation::key(value)),
        ("sub", before) => Ok(Revocation::subject(value, before)),
        ("client_id", before) => Ok(Revocation::client(value, before)),
        _ => Err("`before` goes with sub or client_id only".into()),
    }
}

/// A form's value: a string of 1 to [`MAX_VALUE_BYTES`] bytes.
fn text<'v>(name: &str, value: &'v Value) -> Result<&'v str, String> {
    match value.as_str() {
        None => Err(format!("`{name}` must be a string")),
        Some("") => Err(format!("`{name}` must not be empty")),
        Some(text) if text.len() > MAX_VALUE_BYTES => Err(format!("`{name}` must be at most 1024 bytes")),
        Some(text) => Ok(text),
    }
}

/// `before`: a whole, non-negative number of seconds since 1970.
fn numeric_date(value: &Value) -> Result<i64, String> {
    match value.as_i64() {
        Some(secs) if secs >= 0 => Ok(secs),
        _ => Err("`before` must be a NumericDate: whole seconds since 1970, not negative".into()),
    }
}

/// `Retry-After` seconds: rounded up, at least 1.
fn whole_seconds(d: Duration) -> u64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    secs.max(1)
}

/// A JSON object's members in order, duplicates kept (a map would keep only the last).
struct Members(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Object)
    }
}

#[cfg(test)]
mod tests;
