//! The request target: the credentials of one request as the pipeline finds them (the
//! `Authorization` header with its `Bearer` and `DPoP` schemes, the `DPoP` proof header, the
//! `access_token` query parameter, form field and cookie, `Forwarded` for the proof's target),
//! through [`Authenticator::authenticate`].

use super::token::validator_builder;
use super::{assert_acceptable, assert_no_echo, ready};
use crate::checks::dpop::{Recorded, Recording, ReplayKey, ReplayStore};
use crate::request::{RequestBody, RequestView};
use crate::{Authenticator, CredentialSources, DpopMode, DpopOptions, Scheme};

/// An authenticator taking every credential source and DPoP, trusting the corpus's keys.
pub struct RequestTarget {
    authenticator: Authenticator,
}

impl RequestTarget {
    /// Trusts the public keys of `jwks` (the corpus's `fuzz/keys/jwks.json`), as
    /// [`TokenTarget::new`](super::TokenTarget::new) does.
    ///
    /// # Panics
    ///
    /// When the authenticator cannot be built.
    pub fn new(jwks: &str) -> Self {
        let dpop = DpopOptions::new(DpopMode::Allowed).replay_store(NeverSeen);
        let validator = validator_builder(jwks)
            .dpop(dpop)
            .build()
            .unwrap_or_else(|e| panic!("the fuzzing validator: {e}"));
        let sources = CredentialSources::default().with_query().with_form().with_cookie("access_token");
        let authenticator = Authenticator::new(validator)
            .credential_sources(sources)
            .inspect_form_body(4096)
            .trust_forwarded_headers();
        RequestTarget { authenticator }
    }

    /// Authenticates the request `data` spells as an HTTP/1.1 head without its version: a
    /// request line `METHOD target`, then `name: value` lines, then after an empty line the form
    /// body (lines end with `\n`; one space after the colon is not part of the value). Returns
    /// whether the request was let through with claims.
    ///
    /// # Panics
    ///
    /// When an accepted request breaks a rule, or a rejection echoes the input.
    pub fn run(&self, data: &[u8]) -> bool {
        let Some(request) = Request::parse(data) else { return false };
        match ready(self.authenticator.authenticate(&request).outcome()) {
            Ok(passed) => {
                if let Some(claims) = &passed.claims {
                    assert_acceptable(claims);
                }
                if passed.scheme == Some(Scheme::DPoP) {
                    assert!(passed.binding.is_some(), "a DPoP request passed without a key binding");
                }
                passed.claims.is_some()
            }
            Err(refusal) => {
                assert_no_echo(refusal.rejection(), data);
                false
            }
        }
    }
}

/// Every proof is new: the run of one input must not depend on the inputs before it.
struct NeverSeen;

impl ReplayStore for NeverSeen {
    fn record(&self, _: ReplayKey, _: i64, _: i64) -> Recording<'_> {
        Recording::Ready(Ok(Recorded::New))
    }
}

struct Request<'a> {
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    headers: Vec<(String, &'a [u8])>,
    body: Option<&'a [u8]>,
}

impl<'a> Request<'a> {
    fn parse(data: &'a [u8]) -> Option<Self> {
        let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
            Some(i) => (&data[..i], Some(&data[i + 2..])),
            None => (data, None),
        };
        let mut lines = head.split(|&b| b == b'\n');
        let line = std::str::from_utf8(lines.next()?).ok()?;
        let (method, target) = line.split_once(' ').unwrap_or((line, "/"));
        let (path, query) = match target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (target, None),
        };
        let headers = lines
            .filter_map(|line| {
                let colon = line.iter().position(|&b| b == b':')?;
                let value = &line[colon + 1..];
                let name = String::from_utf8_lossy(&line[..colon]).to_ascii_lowercase();
                Some((name, value.strip_prefix(b" ").unwrap_or(value)))
            })
            .collect();
        Some(Request { method, path, query, headers, body })
    }
}

impl RequestView for Request<'_> {
    fn method(&self) -> &str {
        self.method
    }

    fn scheme(&self) -> Option<&str> {
        None
    }

    fn authority(&self) -> Option<&str> {
        None
    }

    fn path(&self) -> &str {
        self.path
    }

    fn query(&self) -> Option<&str> {
        self.query
    }

    fn header_values<'a>(&'a self, name: &'static str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers.iter().filter(move |(n, _)| n == name).map(|(_, v)| *v)
    }

    fn body(&self) -> Option<RequestBody<'_>> {
        self.body.map(RequestBody::Form)
    }
}
