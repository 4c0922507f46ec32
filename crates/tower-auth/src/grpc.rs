//! The tonic side of `#[requires_scopes]`: the check a macro-protected service method runs on its
//! request's extensions, answering with the `Status` the layer would send.

use auth_core::requirements::check_static_scopes;
use auth_core::{AuthError, Claims};

use tonic::Status;
use tonic::metadata::MetadataValue;

use crate::context::AuthContext;
use crate::response::grpc_status;

/// `Err(status)` when the call lacks the scopes: `PERMISSION_DENIED` with the
/// `www-authenticate` challenge in the metadata, `UNAUTHENTICATED` for an anonymous call, and
/// `INTERNAL` (logged) when no [`AuthLayer`](crate::AuthLayer) runs in front of the server.
#[doc(hidden)]
pub fn grpc_require(
    extensions: &http::Extensions,
    scopes: &'static [&'static str],
    any_of: bool,
) -> Result<(), Status> {
    let Some(context) = extensions.get::<AuthContext>() else {
        tracing::error!(
            ?scopes,
            "a #[requires_scopes] method found no AuthLayer in front of it (add \
             `.layer(AuthLayer::new(validator))` to the tonic server); answering INTERNAL"
        );
        return Err(Status::internal("authentication is not configured for this call"));
    };
    check_static_scopes(extensions.get::<Claims>(), scopes, any_of).map_err(|e| status(e, context))
}

fn status(error: AuthError, context: &AuthContext) -> Status {
    let refusal = context.refuse(error);
    let code = tonic::Code::from_i32(i32::from(grpc_status(refusal.error().kind())));
    let rejection = refusal.rejection();
    let mut status = Status::new(code, rejection.error_description());
    for challenge in rejection.challenges() {
        if let Ok(value) = MetadataValue::try_from(challenge.to_string()) {
            status.metadata_mut().append("www-authenticate", value);
        }
    }
    status
}
