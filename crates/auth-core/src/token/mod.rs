//! Reading tokens: where a request carries them ([`bearer`], [`locate`], [`Credential`]) and what a compact JWS
//! holds (`jws`, `header`).

pub(crate) mod base64url;
pub mod bearer;
mod credential;
pub(crate) mod header;
pub(crate) mod jws;
pub(crate) mod known_headers;
pub mod locate;

pub use bearer::bearer_token;
pub use credential::{Credential, CredentialSource};
pub use locate::{CredentialSources, DEFAULT_FORM_BODY_LIMIT, TokenLocator, is_form_urlencoded};
