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

/// `Err(status)` when the call fails the step-up requirement of `M` (RFC 9470):
/// `UNAUTHENTICATED` with the `insufficient_user_authentication` challenge (`acr_values`,
/// `max_age`) in the `www-authenticate` metadata; the other answers as [`grpc_require`].
#[doc(hidden)]
pub fn grpc_require_step_up<M: auth_core::StepUpSet>(extensions: &http::Extensions) -> Result<(), Status> {
    let Some(context) = extensions.get::<AuthContext>() else {
        tracing::error!(
            requirement = %M::requirement(),
            "a #[requires_step_up] method found no AuthLayer in front of it (add \
             `.layer(AuthLayer::new(validator))` to the tonic server); answering INTERNAL"
        );
        return Err(Status::internal("authentication is not configured for this call"));
    };
    auth_core::requirements::check_static_step_up::<M>(
        extensions.get::<Claims>(),
        context.authenticator.validator(),
    )
    .map_err(|e| status(e, context))
}

/// Checks a step-up requirement known only at run time on a tonic call (the check
/// [`RequireStepUpLayer`](crate::RequireStepUpLayer) makes over HTTP): `UNAUTHENTICATED` with the
/// `insufficient_user_authentication` challenge (`acr_values`, `max_age`) in the
/// `www-authenticate` metadata, counted and rendered as the [`AuthLayer`](crate::AuthLayer)'s own
/// refusals; `INTERNAL` (logged) when no `AuthLayer` runs in front of the server. Check scopes
/// first.
///
/// ```
/// use std::time::Duration;
/// use auth_core::StepUp;
/// use tonic::{Request, Response, Status};
///
/// fn pay(request: Request<u64>, step_up: &StepUp) -> Result<Response<()>, Status> {
///     tower_auth::grpc_check_step_up(request.extensions(), step_up)?;
///     Ok(Response::new(()))
/// }
/// # let _ = pay;
/// ```
pub fn grpc_check_step_up(
    extensions: &http::Extensions,
    requirement: &auth_core::StepUp,
) -> Result<(), Status> {
    let Some(context) = extensions.get::<AuthContext>() else {
        tracing::error!(%requirement, "a step-up check found no AuthLayer in front of the server; answering INTERNAL");
        return Err(Status::internal("authentication is not configured for this call"));
    };
    auth_core::requirements::check_step_up(
        extensions.get::<Claims>(),
        requirement,
        context.authenticator.validator(),
    )
    .map_err(|e| status(e, context))
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
