//! What a handler may require of the verified claims, judged the same way by every adapter: scope
//! requirements ([`check_scopes`], the compile-time [`ScopeSet`] with [`check_static_scopes`]),
//! claims read as the caller's own type ([`claims_as`]), and the tables `#[derive(Claims)]`
//! generates ([`DeriveClaims`], [`derive_claims`]); step-up requirements (RFC 9470:
//! [`check_step_up`], the compile-time [`StepUpSet`] with [`check_static_step_up`]), checked
//! after scopes.
//!
//! The adapters (`tower-auth`, `actix-auth`) only find the claims in their framework's request and
//! turn the [`AuthError`] into their framework's response; every decision is made here, so the
//! axum and actix answers cannot drift apart.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{AuthError, Claims, ScopeRequirement, TokenProblem};

pub mod registry;
pub mod step_up;

pub use registry::{register_scopes, registered_scopes};
pub use step_up::{StepUpSet, check_static_step_up, check_step_up};

/// Checks `requirement` against the verified claims (`None`: an anonymous request, which an
/// optional middleware let through): [`AuthError::MissingToken`] for an anonymous request,
/// [`AuthError::InsufficientScope`] naming the requirement when scopes are lacking.
///
/// ```
/// use auth_core::requirements::check_scopes;
/// use auth_core::{AuthError, ScopeRequirement};
///
/// let write = ScopeRequirement::all(["pets:write"]);
/// assert_eq!(check_scopes(None, &write), Err(AuthError::MissingToken));
/// ```
pub fn check_scopes(granted: Option<&Claims>, requirement: &ScopeRequirement) -> Result<(), AuthError> {
    match granted {
        None => Err(AuthError::MissingToken),
        Some(claims) => requirement.check(claims.scopes()),
    }
}

/// A scope requirement known at compile time, implemented by a zero-sized marker type. The
/// adapters' `Scoped<M>` extractors admit a request only when its token has the scopes of `M`;
/// `#[requires_scopes]` generates the marker and its implementation.
///
/// Implement it by hand to share one requirement between handlers, or between an axum and an
/// actix service (both adapters re-export this trait):
///
/// ```
/// use auth_core::requirements::ScopeSet;
///
/// struct ReadOrAdmin;
/// impl ScopeSet for ReadOrAdmin {
///     const SCOPES: &'static [&'static str] = &["pets:read", "admin"];
///     const ANY_OF: bool = true;
/// }
///
/// assert_eq!(ReadOrAdmin::requirement().to_string(), "pets:read or admin");
/// ```
pub trait ScopeSet: Send + Sync + 'static {
    /// The scopes.
    const SCOPES: &'static [&'static str];
    /// Whether one of [`SCOPES`](ScopeSet::SCOPES) suffices (any-of) rather than all of them.
    const ANY_OF: bool = false;

    /// The requirement as a value (for logs and challenges).
    fn requirement() -> ScopeRequirement {
        requirement_of(Self::SCOPES, Self::ANY_OF)
    }
}

/// Checks `granted` (`None`: anonymous) against a static scope list, all-of or any-of, without
/// allocating when it passes; the [`ScopeRequirement`] is built only for the rejection. The same
/// answers as [`check_scopes`]; an empty any-of list admits every token.
///
/// ```
/// use auth_core::AuthError;
/// use auth_core::requirements::check_static_scopes;
///
/// assert_eq!(check_static_scopes(None, &["admin"], false), Err(AuthError::MissingToken));
/// ```
pub fn check_static_scopes(
    granted: Option<&Claims>,
    scopes: &'static [&'static str],
    any_of: bool,
) -> Result<(), AuthError> {
    let Some(claims) = granted else { return Err(AuthError::MissingToken) };
    let has = |s: &&str| claims.scopes().contains(s);
    let ok = if any_of { scopes.is_empty() || scopes.iter().any(has) } else { scopes.iter().all(has) };
    if ok {
        return Ok(());
    }
    Err(AuthError::InsufficientScope(requirement_of(scopes, any_of)))
}

fn requirement_of(scopes: &[&str], any_of: bool) -> ScopeRequirement {
    if any_of {
        ScopeRequirement::any(scopes.iter().copied())
    } else {
        ScopeRequirement::all(scopes.iter().copied())
    }
}

/// Compile-time check of a generated scope list (string literals and `#[derive(Scopes)]`
/// variants mixed, which the macro cannot compare itself): at least one scope, no empty scope,
/// no space, no duplicate. The macros evaluate it in a `const`, so a mistake is a compile error,
/// never a runtime panic.
///
/// ```
/// const _: () = auth_core::requirements::validate_scopes(&["pets:read", "admin"]);
/// ```
///
/// ```compile_fail
/// const _: () = auth_core::requirements::validate_scopes(&["pets:read", "pets:read"]);
/// ```
#[allow(clippy::panic)]
pub const fn validate_scopes(scopes: &[&str]) {
    if scopes.is_empty() {
        panic!("a scope requirement needs at least one scope");
    }
    let mut i = 0;
    while i < scopes.len() {
        let s = scopes[i].as_bytes();
        if s.is_empty() {
            panic!("a scope cannot be empty");
        }
        let mut k = 0;
        while k < s.len() {
            if s[k] == b' ' {
                panic!("a scope cannot contain a space: list each scope separately");
            }
            k += 1;
        }
        let mut j = 0;
        while j < i {
            if bytes_eq(scopes[j].as_bytes(), s) {
                panic!("duplicate scope in a scope requirement");
            }
            j += 1;
        }
        i += 1;
    }
}

const fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The verified payload as `T`. Claims that do not fit are 401 `invalid_token` with a fixed
/// description; which field failed is logged (serde's message only at `debug`, as it may quote
/// claim values), never sent to the client.
///
/// ```
/// # fn demo(claims: &auth_core::Claims) -> Result<(), auth_core::AuthError> {
/// #[derive(serde::Deserialize)]
/// struct Caller { sub: String }
///
/// let caller: Caller = auth_core::requirements::claims_as(claims)?;
/// # let _ = caller.sub; Ok(()) }
/// ```
pub fn claims_as<T: DeserializeOwned>(claims: &Claims) -> Result<T, AuthError> {
    claims.deserialize().map_err(|e| unfit::<T>(&e))
}

fn unfit<T>(e: &serde_json::Error) -> AuthError {
    let target = std::any::type_name::<T>();
    tracing::warn!(target_type = target, "verified token claims do not fit the handler's claims type");
    // The serde message may quote claim values: keep it out of the default log level.
    tracing::debug!(target_type = target, error = %e, "claims deserialization error");
    AuthError::InvalidToken(TokenProblem::Rejected("the token's claims are not what this resource expects"))
}

/// The tables `#[derive(Claims)]` generates: the claims a type requires and its scope fields.
/// [`derive_claims`] reads a type through them; the adapters' extractors call it.
///
/// ```
/// use auth_core::requirements::DeriveClaims;
///
/// #[derive(serde::Deserialize)]
/// struct Caller {
///     tenant: String,
///     scopes: Vec<String>,
/// }
///
/// impl DeriveClaims for Caller {
///     const REQUIRED: &'static [&'static str] = &["tenant"];
///     // Filled from the validator's scopes (no source claims named).
///     const SCOPE_FIELDS: &'static [(&'static str, &'static [&'static str])] = &[("scopes", &[])];
/// }
/// ```
pub trait DeriveClaims: DeserializeOwned {
    /// Claims that must be present and not `null` (else 401 `invalid_token`).
    const REQUIRED: &'static [&'static str];
    /// (field name in the payload, claims its scopes come from; empty: the validator's).
    const SCOPE_FIELDS: &'static [(&'static str, &'static [&'static str])];
}

/// `T` from the verified claims: first every [`REQUIRED`](DeriveClaims::REQUIRED) claim must be
/// present and not `null` (else [`TokenProblem::MissingCustomClaim`]); then each
/// [`SCOPE_FIELDS`](DeriveClaims::SCOPE_FIELDS) field is set to a list of scopes — the
/// validator's, or those read from the named claims (a space-separated string or an array of
/// strings; anything else is [`TokenProblem::WrongClaimType`]); then the payload is deserialized
/// as by [`claims_as`].
pub fn derive_claims<T: DeriveClaims>(claims: &Claims) -> Result<T, AuthError> {
    for name in T::REQUIRED {
        if claims.get(name).is_none_or(Value::is_null) {
            tracing::debug!(claim = name, target_type = std::any::type_name::<T>(), "required claim missing");
            return Err(AuthError::InvalidToken(TokenProblem::MissingCustomClaim(Arc::from(*name))));
        }
    }
    if T::SCOPE_FIELDS.is_empty() {
        return claims_as(claims);
    }
    let mut payload = claims.payload().clone();
    if let Value::Object(map) = &mut payload {
        for (field, sources) in T::SCOPE_FIELDS {
            let scopes = if sources.is_empty() {
                claims.scopes().iter().map(|s| Value::String(s.to_owned())).collect()
            } else {
                scopes_of(claims, sources)?
            };
            map.insert((*field).to_owned(), Value::Array(scopes));
        }
    }
    T::deserialize(payload).map_err(|e| unfit::<T>(&e))
}

/// Scopes read from the named claims with the validator's rules: a space-separated string or an
/// array of strings, empty entries and duplicates dropped; anything else is a wrong claim type.
fn scopes_of(claims: &Claims, sources: &[&str]) -> Result<Vec<Value>, AuthError> {
    let mut out: Vec<Value> = Vec::new();
    let mut push = |s: &str| {
        if !s.is_empty() && !out.iter().any(|v| v.as_str() == Some(s)) {
            out.push(Value::String(s.to_owned()));
        }
    };
    let wrong = || AuthError::InvalidToken(TokenProblem::WrongClaimType("scope"));
    for name in sources {
        match claims.get(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => s.split(' ').for_each(&mut push),
            Some(Value::Array(items)) => {
                for item in items {
                    push(item.as_str().ok_or_else(wrong)?);
                }
            }
            Some(_) => return Err(wrong()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::time::{SystemTime, UNIX_EPOCH};

    use serde_json::json;

    use super::*;
    use crate::{Algorithm, IssuerConfig, StaticKey, Validator};

    /// Real verified claims: `payload` (plus `iss`, `aud`, `exp` and `scope`) signed with HS256
    /// and validated by a validator.
    fn claims(mut payload: Value, scopes: &[&str]) -> Claims {
        let key = [7u8; 32];
        let validator = Validator::builder()
            .issuer(IssuerConfig::static_keys("internal", [StaticKey::hmac(key.to_vec())]))
            .algorithms([Algorithm::HS256])
            .audience("api")
            .build()
            .unwrap();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
        let map = payload.as_object_mut().unwrap();
        map.insert("iss".into(), json!("internal"));
        map.insert("aud".into(), json!("api"));
        map.insert("exp".into(), json!(now + 600));
        map.insert("scope".into(), json!(scopes.join(" ")));
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        let token =
            jsonwebtoken::encode(&header, &payload, &jsonwebtoken::EncodingKey::from_secret(&key).unwrap())
                .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(validator.validate(&token)).unwrap()
    }

    #[test]
    fn static_lists_are_validated() {
        validate_scopes(&["a", "b:c"]);
        assert!(std::panic::catch_unwind(|| validate_scopes(&["a", "a"])).is_err());
        assert!(std::panic::catch_unwind(|| validate_scopes(&["a b"])).is_err());
        assert!(std::panic::catch_unwind(|| validate_scopes(&[""])).is_err());
        assert!(std::panic::catch_unwind(|| validate_scopes(&[])).is_err());
        // Same length, different bytes: not a duplicate.
        validate_scopes(&["ab", "ac"]);
    }

    #[test]
    fn anonymous_is_missing_token() {
        assert_eq!(check_static_scopes(None, &["a"], false), Err(AuthError::MissingToken));
        assert_eq!(check_scopes(None, &ScopeRequirement::any(["a"])), Err(AuthError::MissingToken));
    }

    #[test]
    fn static_scopes_all_of_and_any_of() {
        let c = claims(json!({}), &["a", "b"]);
        assert_eq!(check_static_scopes(Some(&c), &["a", "b"], false), Ok(()));
        assert_eq!(check_static_scopes(Some(&c), &["z", "b"], true), Ok(()));
        assert_eq!(check_static_scopes(Some(&c), &[], true), Ok(()));
        assert_eq!(
            check_static_scopes(Some(&c), &["a", "z"], false),
            Err(AuthError::InsufficientScope(ScopeRequirement::all(["a", "z"])))
        );
        assert_eq!(
            check_static_scopes(Some(&c), &["y", "z"], true),
            Err(AuthError::InsufficientScope(ScopeRequirement::any(["y", "z"])))
        );
        // The dynamic form answers the same.
        assert_eq!(check_scopes(Some(&c), &ScopeRequirement::all(["a", "b"])), Ok(()));
        assert_eq!(
            check_scopes(Some(&c), &ScopeRequirement::all(["a", "z"])),
            Err(AuthError::InsufficientScope(ScopeRequirement::all(["a", "z"])))
        );
    }

    struct Marker;
    impl ScopeSet for Marker {
        const SCOPES: &'static [&'static str] = &["x", "y"];
        const ANY_OF: bool = true;
    }

    #[test]
    fn scope_set_requirement() {
        assert_eq!(Marker::requirement(), ScopeRequirement::any(["x", "y"]));
    }

    #[derive(Debug, serde::Deserialize)]
    struct Caller {
        sub: String,
    }

    #[test]
    fn claims_that_do_not_fit_are_invalid_token_without_details() {
        let c = claims(json!({"sub": "ann"}), &[]);
        assert_eq!(claims_as::<Caller>(&c).unwrap().sub, "ann");
        let c = claims(json!({"client_id": "c"}), &[]);
        let e = claims_as::<Caller>(&c).unwrap_err();
        assert!(matches!(e, AuthError::InvalidToken(TokenProblem::Rejected(_))), "{e:?}");
        assert!(!e.rejection(None).body().contains("missing field"));
    }

    #[derive(Debug, serde::Deserialize)]
    struct Derived {
        tenant: String,
        #[serde(default)]
        granted: Vec<String>,
        #[serde(default)]
        roles: Vec<String>,
    }

    impl DeriveClaims for Derived {
        const REQUIRED: &'static [&'static str] = &["tenant"];
        const SCOPE_FIELDS: &'static [(&'static str, &'static [&'static str])] =
            &[("granted", &[]), ("roles", &["roles", "groups"])];
    }

    #[test]
    fn derived_claims_required_then_scope_fields_then_serde() {
        let c = claims(json!({"tenant": "t", "roles": "a  b", "groups": ["b", "c"]}), &["s1", "s2"]);
        let d = derive_claims::<Derived>(&c).unwrap();
        assert_eq!(d.tenant, "t");
        assert_eq!(d.granted, ["s1", "s2"]);
        assert_eq!(d.roles, ["a", "b", "c"]);

        for payload in [json!({}), json!({"tenant": null})] {
            let e = derive_claims::<Derived>(&claims(payload, &[])).unwrap_err();
            assert!(
                matches!(&e, AuthError::InvalidToken(TokenProblem::MissingCustomClaim(n)) if &**n == "tenant"),
                "{e:?}"
            );
        }
        for roles in [json!(7), json!(["a", 1])] {
            let e =
                derive_claims::<Derived>(&claims(json!({"tenant": "t", "roles": roles}), &[])).unwrap_err();
            assert_eq!(e, AuthError::InvalidToken(TokenProblem::WrongClaimType("scope")));
        }
        let e = derive_claims::<Derived>(&claims(json!({"tenant": 1}), &[])).unwrap_err();
        assert!(matches!(e, AuthError::InvalidToken(TokenProblem::Rejected(_))), "{e:?}");
    }
}
