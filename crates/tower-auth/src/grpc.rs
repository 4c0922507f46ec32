//! The tonic side of `#[requires_scopes]`: the check a macro-protected service method runs on its
//! request's extensions, answering with the `Status` the layer would send.

use auth_core::requirements::check_static_scopes;
use auth_core::{AuthError, Claims, Validator};

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
    judge(
        extensions,
        "#[requires_scopes]",
        || scopes.join(" "),
        |claims, _| check_static_scopes(claims, scopes, any_of),
    )
}

/// `Err(status)` when the call fails the step-up requirement of `M` (RFC 9470):
/// `UNAUTHENTICATED` with the `insufficient_user_authentication` challenge (`acr_values`,
/// `max_age`) in the `www-authenticate` metadata; the other answers as [`grpc_require`].
#[doc(hidden)]
pub fn grpc_require_step_up<M: auth_core::StepUpSet>(extensions: &http::Extensions) -> Result<(), Status> {
    judge(
        extensions,
        "#[requires_step_up]",
        || M::requirement().to_string(),
        |claims, validator| auth_core::requirements::check_static_step_up::<M>(claims, validator),
    )
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
    judge(
        extensions,
        "grpc_check_step_up",
        || requirement.to_string(),
        |claims, validator| auth_core::requirements::check_step_up(claims, requirement, validator),
    )
}

/// Runs `check` on the call's verified claims: its refusal as the `AuthLayer` renders it, or
/// `INTERNAL` (logged, naming `what` and the requirement `describe` spells out: only then
/// made) when no `AuthLayer` runs in front.
fn judge(
    extensions: &http::Extensions,
    what: &'static str,
    describe: impl FnOnce() -> String,
    check: impl FnOnce(Option<&Claims>, &Validator) -> Result<(), AuthError>,
) -> Result<(), Status> {
    let Some(context) = extensions.get::<AuthContext>() else {
        tracing::error!(
            check = what,
            requirement = %describe(),
            "found no AuthLayer in front of this tonic method (add `.layer(AuthLayer::new(validator))` \
             to the tonic server); answering INTERNAL"
        );
        return Err(Status::internal("authentication is not configured for this call"));
    };
    check(extensions.get::<Claims>(), context.authenticator.validator()).map_err(|e| status(e, context))
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
