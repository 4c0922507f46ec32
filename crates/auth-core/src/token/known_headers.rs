//! The JOSE headers of verified tokens, remembered by their exact base64url text.
//!
//! Every token signed by one key with one `typ` carries the same header, byte for byte. Once a
//! token with a given header has passed every check, later tokens with that header text skip
//! decoding and reading it: the answer is the same, since reading a header depends on nothing but
//! its text. Only verified tokens add headers, so a caller without a signing key cannot fill the
//! memo; it holds at most [`CAPACITY`] headers, replacing the oldest (a key rotation adds one).
//! Reads take no lock: the list is swapped whole when a header is added, which is rare.

use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};

use crate::algorithm::Algorithm;

/// Most headers remembered: far more than the keys and token types one issuer uses at a time.
pub(crate) const CAPACITY: usize = 16;

/// A header read once: what validation needs of it.
#[derive(Debug)]
pub(crate) struct KnownHeader {
    /// The base64url text it was read from.
    text: Box<[u8]>,
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<Box<str>>,
    pub(crate) typ: Option<Box<str>>,
}

/// The memo: shared by all threads of one validator.
#[derive(Debug, Default)]
pub(crate) struct KnownHeaders {
    list: ArcSwap<Vec<Arc<KnownHeader>>>,
}

/// The list as it was when loaded: what a validation looks headers up in.
pub(crate) type Snapshot = Guard<Arc<Vec<Arc<KnownHeader>>>>;

impl KnownHeaders {
    /// The current list (no lock, no reference count touched on the usual path).
    pub(crate) fn snapshot(&self) -> Snapshot {
        self.list.load()
    }

    /// The header read from exactly this text, if a verified token had it.
    pub(crate) fn find<'s>(snapshot: &'s Snapshot, text: &[u8]) -> Option<&'s KnownHeader> {
        snapshot.iter().find(|known| *known.text == *text).map(|known| &**known)
    }

    /// Remembers the header read from `text`, after a token carrying it passed every check.
    pub(crate) fn remember(&self, text: &[u8], alg: Algorithm, kid: Option<&str>, typ: Option<&str>) {
        let known = Arc::new(KnownHeader {
            text: text.into(),
            alg,
            kid: kid.map(Box::from),
            typ: typ.map(Box::from),
        });
        self.list.rcu(|list| {
            if list.iter().any(|k| *k.text == *text) {
                return Arc::clone(list);
            }
            let keep = list.len().saturating_sub(CAPACITY - 1);
            let mut next: Vec<_> = list.iter().skip(keep).cloned().collect();
            next.push(Arc::clone(&known));
            Arc::new(next)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remember(memo: &KnownHeaders, text: &str) {
        memo.remember(text.as_bytes(), Algorithm::RS256, Some(text), Some("at+jwt"));
    }

    #[test]
    fn finds_exactly_the_text_it_was_given() {
        let memo = KnownHeaders::default();
        memo.remember(b"eyJh", Algorithm::RS256, Some("k1"), Some("at+jwt"));
        let snapshot = memo.snapshot();
        let known = KnownHeaders::find(&snapshot, b"eyJh").unwrap();
        assert_eq!(
            (known.alg, known.kid.as_deref(), known.typ.as_deref()),
            (Algorithm::RS256, Some("k1"), Some("at+jwt"))
        );
        assert!(KnownHeaders::find(&snapshot, b"eyJ").is_none());
        assert!(KnownHeaders::find(&snapshot, b"eyJhX").is_none());
    }

    #[test]
    fn holds_at_most_its_capacity_dropping_the_oldest() {
        let memo = KnownHeaders::default();
        let texts: Vec<String> = (0..CAPACITY + 3).map(|i| format!("h{i}")).collect();
        for text in &texts {
            remember(&memo, text);
            // Remembering again changes nothing.
            remember(&memo, text);
        }
        let snapshot = memo.snapshot();
        assert_eq!(snapshot.len(), CAPACITY);
        for (i, text) in texts.iter().enumerate() {
            assert_eq!(KnownHeaders::find(&snapshot, text.as_bytes()).is_some(), i >= 3, "{text}");
        }
    }
}
