//! What the client prints: the status, then the answer as JSON, or the status message and the
//! challenges a refusal carries.

use std::fmt::Write as _;

use tonic::{Code, Status};

use super::call::Answer;

/// The text for `answer`: `OK` and pretty JSON; or the code's name (`PermissionDenied`), the
/// message and each `www-authenticate` value, one per line.
pub(crate) fn render(answer: &Answer) -> String {
    match &answer.outcome {
        Ok(json) => format!("OK\n{json}\n"),
        Err(status) => {
            let mut out = format!("{}\n", code_name(status.code()));
            let message = printable(&with_causes(status));
            if !message.is_empty() {
                let _ = writeln!(out, "message: {message}");
            }
            for value in status.metadata().get_all("www-authenticate") {
                let _ = writeln!(out, "www-authenticate: {}", value.to_str().unwrap_or("<not text>"));
            }
            out
        }
    }
}

/// The name gRPC's documentation gives `code` (`OK`, `PermissionDenied`, …).
pub(crate) fn code_name(code: Code) -> String {
    match code {
        Code::Ok => "OK".to_owned(),
        other => format!("{other:?}"),
    }
}

/// The status message, then the chain of errors under it (a transport failure's `tcp connect
/// error` says little without `Connection refused`).
fn with_causes(status: &Status) -> String {
    let mut message = status.message().to_owned();
    let mut cause = std::error::Error::source(status);
    while let Some(error) = cause {
        let text = error.to_string();
        if !message.contains(&text) {
            message = if message.is_empty() { text } else { format!("{message}: {text}") };
        }
        cause = error.source();
    }
    message
}

/// `text` with control characters escaped: a server's message cannot drive the terminal.
fn printable(text: &str) -> String {
    text.chars().flat_map(|c| if c.is_control() { c.escape_default().collect() } else { vec![c] }).collect()
}

#[cfg(test)]
mod tests {
    use tonic::metadata::MetadataValue;

    use super::*;

    #[test]
    fn a_success_is_ok_then_the_json() {
        let answer = Answer { outcome: Ok("{\n  \"id\": 3\n}".into()), retried_with_nonce: false };
        assert_eq!(render(&answer), "OK\n{\n  \"id\": 3\n}\n");
    }

    #[test]
    fn a_refusal_is_the_code_name_the_message_and_the_challenges() {
        let mut status = Status::permission_denied("no\u{1b}[31m scope");
        let challenge = r#"Bearer realm="petstore", error="insufficient_scope", scope="admin""#;
        status.metadata_mut().append("www-authenticate", MetadataValue::from_static(challenge));
        let answer = Answer { outcome: Err(status), retried_with_nonce: false };
        assert_eq!(
            render(&answer),
            format!("PermissionDenied\nmessage: no\\u{{1b}}[31m scope\nwww-authenticate: {challenge}\n")
        );
        let bare = Answer { outcome: Err(Status::new(Code::Unauthenticated, "")), retried_with_nonce: false };
        assert_eq!(render(&bare), "Unauthenticated\n");
    }
}
