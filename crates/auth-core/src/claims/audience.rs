//! The `aud` check: accepted when any configured audience is in the token's `aud`, or (when the
//! check names the canonical resource URL, RFC 8707) when an `aud` value names that URL.

use std::sync::Arc;

use crate::claims::RegisteredClaims;
use crate::error::TokenProblem;

/// What a token's `aud` must name: one of the exact audiences, or the canonical resource URL.
/// Both empty means the operator turned the audience check off explicitly.
#[derive(Debug, Clone, Default)]
pub(crate) struct Audiences {
    pub(crate) exact: Vec<String>,
    pub(crate) resource: Option<Arc<str>>,
}

impl Audiences {
    fn is_off(&self) -> bool {
        self.exact.is_empty() && self.resource.is_none()
    }

    fn accepts(&self, aud: &str) -> bool {
        self.exact.iter().any(|e| e == aud)
            || self.resource.as_deref().is_some_and(|r| names_resource(aud, r))
    }
}

pub(crate) fn check_audience(claims: &RegisteredClaims, expected: &Audiences) -> Result<(), TokenProblem> {
    if expected.is_off() {
        return Ok(());
    }
    let mut aud = claims.aud();
    if aud.len() == 0 {
        return Err(TokenProblem::MissingClaim("aud"));
    }
    if aud.any(|a| expected.accepts(a)) { Ok(()) } else { Err(TokenProblem::WrongAudience) }
}

/// Whether `aud` names the canonical resource URL `resource` (validated at build: absolute,
/// no query, fragment or user info): the scheme and the authority compared ASCII
/// case-insensitively, the path exactly, except that one trailing `/` on either is ignored (so
/// `https://h` and `https://h/` are the same resource). No other normalisation: a default port
/// written out, percent-encoding or dot segments make a different string and are refused.
pub(crate) fn names_resource(aud: &str, resource: &str) -> bool {
    if aud == resource {
        return true;
    }
    let (Some((a_scheme, a_authority, a_path)), Some((r_scheme, r_authority, r_path))) =
        (split_url(aud), split_url(resource))
    else {
        return false;
    };
    a_scheme.eq_ignore_ascii_case(r_scheme)
        && a_authority.eq_ignore_ascii_case(r_authority)
        && trim_slash(a_path) == trim_slash(r_path)
}

/// `scheme://authority` + the rest (path, and anything after it).
fn split_url(url: &str) -> Option<(&str, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    (!scheme.is_empty() && !authority.is_empty()).then_some((scheme, authority, path))
}

fn trim_slash(path: &str) -> &str {
    path.strip_suffix('/').unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(list: &[&str]) -> Audiences {
        Audiences { exact: list.iter().map(|s| (*s).to_owned()).collect(), resource: None }
    }

    #[test]
    fn any_configured_audience_matches_exactly() {
        let c = RegisteredClaims::from_payload(&serde_json::json!({"aud": ["x", "petstore"]})).unwrap();
        assert_eq!(check_audience(&c, &exact(&["petstore"])), Ok(()));
        assert_eq!(check_audience(&c, &exact(&["pet"])), Err(TokenProblem::WrongAudience));
        let none = RegisteredClaims::default();
        assert_eq!(check_audience(&none, &exact(&["petstore"])), Err(TokenProblem::MissingClaim("aud")));
        assert_eq!(check_audience(&none, &Audiences::default()), Ok(()));
    }

    #[test]
    fn the_resource_url_matches_in_any_case_with_or_without_a_trailing_slash() {
        let r = "https://API.example.com/mcp";
        for ok in
            ["https://API.example.com/mcp", "https://api.example.com/mcp", "HTTPS://api.EXAMPLE.com/mcp/"]
        {
            assert!(names_resource(ok, r), "{ok}");
        }
        for bad in [
            "https://api.example.com",
            "https://api.example.com/MCP",
            "https://api.example.com/mcp/x",
            "https://api.example.com:443/mcp",
            "http://api.example.com/mcp",
            "https://api.example.com/mcp//",
            "https://evil.example/mcp",
            "https://api.example.com.evil/mcp",
            "api.example.com/mcp",
            "",
        ] {
            assert!(!names_resource(bad, r), "{bad}");
        }
        assert!(names_resource("https://h", "https://h/"));
        assert!(names_resource("https://H/", "https://h"));
        let c = RegisteredClaims::from_payload(&serde_json::json!({"aud": "https://api.example.com/mcp/"}))
            .unwrap();
        let both = Audiences { exact: vec!["petstore".into()], resource: Some(Arc::from(r)) };
        assert_eq!(check_audience(&c, &both), Ok(()));
        assert_eq!(check_audience(&c, &exact(&["petstore"])), Err(TokenProblem::WrongAudience));
    }
}
