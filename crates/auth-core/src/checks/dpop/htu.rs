//! `htu` against the request's target (RFC 9449 §4.3 step 9): query and fragment ignored, the
//! rest compared after RFC 3986 §6.2.2 normalisation — scheme and host case, the default port,
//! dot segments, percent-encoding case and unreserved characters encoded needlessly.
//!
//! A client that writes `htu` the way the server sees the target (the common case: both built
//! from the same base URL and path) is answered by one string comparison; only the others are
//! parsed and normalised.

use url::Url;

use crate::checks::RequestFacts;

/// Whether the proof's `htu` names the target `request` addressed.
pub(crate) fn names_target(htu: &str, request: &RequestFacts<'_>) -> bool {
    (request.is_target_uri(htu) && plain(htu)) || same_target_normalised(htu, &request.target_uri())
}

/// Whether the proof's `htu` names `target` (`scheme://authority/path`, no query).
pub(crate) fn same_target(htu: &str, target: &str) -> bool {
    (htu == target && plain(target)) || same_target_normalised(htu, target)
}

/// Whether `target` is an `http` or `https` URL whose authority is a plain host (lower-case DNS
/// labels, the last one starting with a letter, or a dotted-quad IPv4 address) and an optional
/// port: a URL that [`Url::parse`] reads with a host and no user information, so an identical
/// `htu` names it. Anything else (IPv6 literals, IDNA labels, user information, empty labels)
/// takes the full comparison.
fn plain(target: &str) -> bool {
    let Some(rest) = target.strip_prefix("http://").or_else(|| target.strip_prefix("https://")) else {
        return false;
    };
    let authority = rest.find('/').map_or(rest, |slash| &rest[..slash]);
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let port_ok = port.is_none_or(|p| {
        (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok()
    });
    port_ok && (plain_dns_name(host) || dotted_quad(host))
}

fn plain_dns_name(host: &str) -> bool {
    let label_ok = |label: &str| {
        (1..=63).contains(&label.len())
            && !label.starts_with("xn--")
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    host.len() <= 253
        && host.split('.').all(label_ok)
        && host.rsplit('.').next().is_some_and(|last| last.starts_with(|c: char| c.is_ascii_lowercase()))
}

fn dotted_quad(host: &str) -> bool {
    let octet_ok = |o: &str| {
        (1..=3).contains(&o.len())
            && o.bytes().all(|b| b.is_ascii_digit())
            && !(o.len() > 1 && o.starts_with('0'))
            && o.parse::<u8>().is_ok()
    };
    host.split('.').count() == 4 && host.split('.').all(octet_ok)
}

/// The full comparison: both parsed, then scheme, host, port and normalised path compared.
fn same_target_normalised(htu: &str, target: &str) -> bool {
    let (Ok(htu), Ok(target)) = (Url::parse(htu), Url::parse(target)) else { return false };
    htu.scheme() == target.scheme()
        && htu.host_str().is_some()
        && htu.host_str() == target.host_str()
        && htu.port_or_known_default() == target.port_or_known_default()
        && htu.username().is_empty()
        && htu.password().is_none()
        && same_path(htu.path(), target.path())
}

/// Paths equal once percent-escapes are normalised: upper-case hex, unreserved bytes decoded.
fn same_path(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    normalise(a) == normalise(b)
}

fn normalise(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                let byte = (h * 16 + l) as u8;
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    out.push(byte);
                } else {
                    out.push(b'%');
                    out.push(bytes[i + 1].to_ascii_uppercase());
                    out.push(bytes[i + 2].to_ascii_uppercase());
                }
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_after_normalisation() {
        let target = "http://api.example.com/pets/1";
        for htu in [
            "http://api.example.com/pets/1",
            "HTTP://API.Example.COM/pets/1",
            "http://api.example.com:80/pets/1",
            "http://api.example.com/pets/1?limit=2",
            "http://api.example.com/pets/1#frag",
            "http://api.example.com/pets/./1",
            "http://api.example.com/%70ets/1",
        ] {
            assert!(same_target(htu, target), "{htu}");
        }
        assert!(same_target("https://h:443/a%2fb", "https://h/a%2Fb"));
    }

    #[test]
    fn different_targets() {
        let target = "http://api.example.com/pets/1";
        for htu in [
            "https://api.example.com/pets/1",
            "http://api.example.com:8080/pets/1",
            "http://other.example.com/pets/1",
            "http://api.example.com/pets/2",
            "http://api.example.com/Pets/1",
            "http://api.example.com/pets/1/",
            "http://user@api.example.com/pets/1",
            "/pets/1",
            "",
            "not a url",
        ] {
            assert!(!same_target(htu, target), "{htu}");
        }
        assert!(!same_target("http://h/a%2Fb", "http://h/a/b"));
        assert!(!same_target("http://h/a", "http:///a"));
    }

    /// The string-equality shortcut answers only where the full comparison agrees: for every
    /// target it takes, the full comparison of the target with itself is a match, and the
    /// tricky ones go the long way.
    #[test]
    fn shortcut_agrees_with_the_full_comparison() {
        let plain_targets = [
            "http://api.example.com/pets",
            "https://api.example.com:8443/pets/1",
            "http://127.0.0.1:46737/pets",
            "http://localhost/a/./b/../c",
            "http://a-b.c0/%41",
            "https://h/",
            "http://-a-.b-/x",
            "http://h:0/x",
            "http://0.0.0.0:65535/x",
        ];
        for target in plain_targets {
            assert!(plain(target), "{target} takes the shortcut");
            assert!(same_target_normalised(target, target), "{target}");
        }
        let long_way = [
            "http:///a",
            "http://user@h/a",
            "http://user:pw@h/a",
            "http://API.example.com/a",
            "http://256.0.0.1/a",
            "http://1.2.3/a",
            "http://01.2.3.4/a",
            "http://999/a",
            "http://0x7f.1/a",
            "http://a..b/a",
            "http://a./a",
            "http://xn--zz/a",
            "http://[::1]/a",
            "http://h:/a",
            "http://h:99999/a",
            "http://h:+80/a",
            "http://h%41/a",
            "http://exa mple/a",
            "ftp://h/a",
            "HTTP://h/a",
            "/pets",
            "",
        ];
        for target in long_way {
            assert!(!plain(target), "{target} must take the full comparison");
            assert_eq!(same_target(target, target), same_target_normalised(target, target), "{target}");
        }
    }
}
