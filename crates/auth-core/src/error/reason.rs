//! Why a request was refused, as an enum the counters are indexed by: the compiler keeps the
//! labels, the counters and the errors in step.

/// One rejection reason. `ALL` lists every reason once, in counter order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    MissingToken,
    MalformedAuthorization,
    EmptyCredentials,
    MultipleCredentials,
    MultipleAuthorizationHeaders,
    UnreadableFormBody,
    Malformed,
    AlgorithmNotAllowed,
    TypeNotAccepted,
    UnsupportedCritical,
    UnknownIssuer,
    UnknownKey,
    BadSignature,
    Expired,
    NotYetValid,
    IssuedInFuture,
    TooOld,
    MissingClaim,
    WrongClaimType,
    WrongAudience,
    ClientNotAllowed,
    Rejected,
    InsufficientScope,
    Unavailable,
}

impl Reason {
    /// Every reason, each at the index `self as usize`.
    pub(crate) const ALL: [Reason; 24] = [
        Reason::MissingToken,
        Reason::MalformedAuthorization,
        Reason::EmptyCredentials,
        Reason::MultipleCredentials,
        Reason::MultipleAuthorizationHeaders,
        Reason::UnreadableFormBody,
        Reason::Malformed,
        Reason::AlgorithmNotAllowed,
        Reason::TypeNotAccepted,
        Reason::UnsupportedCritical,
        Reason::UnknownIssuer,
        Reason::UnknownKey,
        Reason::BadSignature,
        Reason::Expired,
        Reason::NotYetValid,
        Reason::IssuedInFuture,
        Reason::TooOld,
        Reason::MissingClaim,
        Reason::WrongClaimType,
        Reason::WrongAudience,
        Reason::ClientNotAllowed,
        Reason::Rejected,
        Reason::InsufficientScope,
        Reason::Unavailable,
    ];

    /// The stable label ([`AuthError::reason`](crate::AuthError::reason)).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Reason::MissingToken => "missing_token",
            Reason::MalformedAuthorization => "malformed_authorization",
            Reason::EmptyCredentials => "empty_credentials",
            Reason::MultipleCredentials => "multiple_credentials",
            Reason::MultipleAuthorizationHeaders => "multiple_authorization_headers",
            Reason::UnreadableFormBody => "unreadable_form_body",
            Reason::Malformed => "malformed",
            Reason::AlgorithmNotAllowed => "algorithm_not_allowed",
            Reason::TypeNotAccepted => "type_not_accepted",
            Reason::UnsupportedCritical => "unsupported_critical",
            Reason::UnknownIssuer => "unknown_issuer",
            Reason::UnknownKey => "unknown_key",
            Reason::BadSignature => "bad_signature",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::IssuedInFuture => "issued_in_future",
            Reason::TooOld => "too_old",
            Reason::MissingClaim => "missing_claim",
            Reason::WrongClaimType => "wrong_claim_type",
            Reason::WrongAudience => "wrong_audience",
            Reason::ClientNotAllowed => "client_not_allowed",
            Reason::Rejected => "rejected",
            Reason::InsufficientScope => "insufficient_scope",
            Reason::Unavailable => "unavailable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_sits_at_its_own_index() {
        for (i, r) in Reason::ALL.iter().enumerate() {
            assert_eq!(*r as usize, i, "{}", r.label());
        }
    }
}
