//! `htu` against the request's target (RFC 9449 §4.3 step 9): query and fragment ignored, the
//! rest compared after RFC 3986 §6.2.2 normalisation — scheme and host case, the default port,
//! dot segments, percent-encoding case and unreserved characters encoded needlessly.

use url::Url;

/// Whether the proof's `htu` names `target` (`scheme://authority/path`, no query).
pub(crate) fn same_target(htu: &str, target: &str) -> bool {
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
}
