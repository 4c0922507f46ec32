//! Reading tokens: where a request carries them ([`bearer`], [`locate`]) and what a compact JWS
//! holds (`jws`, `header`).

pub(crate) mod base64url;
pub mod bearer;
mod found;
pub(crate) mod header;
pub(crate) mod jws;
pub(crate) mod known_headers;
pub mod locate;

pub use bearer::bearer_token;
pub use found::FoundToken;
pub use locate::{
    CredentialSources, DEFAULT_FORM_BODY_LIMIT, RequestParts, TokenLocator, is_form_urlencoded,
};
