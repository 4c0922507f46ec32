//! One `WWW-Authenticate` challenge (RFC 9110 §11.6.1): a scheme and its parameters, quoted and
//! escaped here and nowhere else.

use std::borrow::Cow;
use std::fmt;

/// An authentication scheme a resource accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449).
    DPoP,
}

impl Scheme {
    /// The scheme's name as sent in `Authorization` and `WWW-Authenticate`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Bearer => "Bearer",
            Scheme::DPoP => "DPoP",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One challenge: a scheme with its auth-params in the order they are rendered.
///
/// Parameters are known names (`realm`, `error`, `error_description`, `scope`,
/// `resource_metadata`, `acr_values`, `max_age`, `algs`); every value is sent as a
/// quoted-string, with `"` and `\` escaped and control characters dropped.
///
/// ```
/// use auth_core::error::{Challenge, Scheme};
///
/// let c = Challenge::new(Scheme::Bearer).with("realm", "pets \"r\" us").with("error", "invalid_token");
/// assert_eq!(c.to_string(), r#"Bearer realm="pets \"r\" us", error="invalid_token""#);
/// assert_eq!(c.param("error"), Some("invalid_token"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Challenge {
    scheme: Scheme,
    params: Vec<(&'static str, Cow<'static, str>)>,
}

impl Challenge {
    /// A challenge without parameters.
    pub fn new(scheme: Scheme) -> Self {
        Challenge { scheme, params: Vec::new() }
    }

    /// Adds a parameter (a later value for the same name replaces the earlier one).
    pub fn with(mut self, name: &'static str, value: impl Into<Cow<'static, str>>) -> Self {
        let value = value.into();
        match self.params.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.params.push((name, value)),
        }
        self
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// One parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_ref())
    }

    /// Every parameter, in rendering order.
    pub fn params(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.params.iter().map(|(n, v)| (*n, v.as_ref()))
    }
}

impl fmt::Display for Challenge {
    /// The `WWW-Authenticate` field value of this challenge.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scheme.as_str())?;
        let mut sep = " ";
        for (name, value) in &self.params {
            write!(f, "{sep}{name}=\"")?;
            for c in value.chars() {
                match c {
                    '"' | '\\' => write!(f, "\\{c}")?,
                    c if c.is_control() => {}
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")?;
            sep = ", ";
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_escaped() {
        assert_eq!(Challenge::new(Scheme::DPoP).to_string(), "DPoP");
        let c = Challenge::new(Scheme::Bearer).with("realm", "a\"b\\c\r\n").with("scope", "x y");
        assert_eq!(c.to_string(), r#"Bearer realm="a\"b\\c", scope="x y""#);
    }

    #[test]
    fn a_parameter_set_twice_keeps_its_place_and_the_last_value() {
        let c = Challenge::new(Scheme::Bearer).with("realm", "a").with("error", "e").with("realm", "b");
        assert_eq!(c.to_string(), r#"Bearer realm="b", error="e""#);
    }
}
