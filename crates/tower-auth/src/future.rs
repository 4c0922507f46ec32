//! The response future of [`Auth`](crate::Auth).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use auth_core::{AuthError, Claims};
use bytes::Bytes;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::context::AuthContext;

/// The token validation in flight. Only this part is boxed: the validator's future is not nameable.
pub(crate) type Validation = Pin<Box<dyn Future<Output = Result<Claims, AuthError>> + Send>>;

/// Reading a form body, locating and validating its token, then rebuilding the request with the
/// same bytes: `None` claims when the request carries no credentials.
pub(crate) type Preparation<B> =
    Pin<Box<dyn Future<Output = Result<(Request<B>, Option<Claims>), AuthError>> + Send>>;

pin_project! {
    /// Response future of [`Auth`](crate::Auth): validates the token, then calls the inner service,
    /// or answers with the rejection.
    pub struct ResponseFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, ReqBody>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        // The inner service and request wait for the validation; `Option`s so they can be moved out.
        Validating {
            validation: Validation,
            inner: Option<S>,
            request: Option<Request<ReqBody>>,
            context: Option<AuthContext>,
        },
        // The request itself is inside the preparation (its body is being read).
        Preparing {
            preparation: Preparation<ReqBody>,
            inner: Option<S>,
            context: Option<AuthContext>,
            optional: bool,
        },
        Calling {
            #[pin]
            future: S::Future,
        },
        Rejected {
            response: Option<Response<Bytes>>,
        },
    }
}

impl<S, ReqBody> ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
{
    pub(crate) fn validating(
        validation: Validation,
        inner: S,
        request: Request<ReqBody>,
        context: AuthContext,
    ) -> Self {
        let state = State::Validating {
            validation,
            inner: Some(inner),
            request: Some(request),
            context: Some(context),
        };
        ResponseFuture { state }
    }

    pub(crate) fn preparing(
        preparation: Preparation<ReqBody>,
        inner: S,
        context: AuthContext,
        optional: bool,
    ) -> Self {
        let state = State::Preparing { preparation, inner: Some(inner), context: Some(context), optional };
        ResponseFuture { state }
    }

    pub(crate) fn call(mut inner: S, request: Request<ReqBody>) -> Self {
        ResponseFuture { state: State::Calling { future: inner.call(request) } }
    }

    pub(crate) fn reject(response: Response<Bytes>) -> Self {
        ResponseFuture { state: State::Rejected { response: Some(response) } }
    }
}

impl<S, ReqBody, ResBody> Future for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Output = Result<Response<ResponseBody<ResBody>>, S::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let next = match self.as_mut().project().state.project() {
                StateProj::Calling { future } => {
                    let res = ready!(future.poll(cx))?;
                    return Poll::Ready(Ok(res.map(ResponseBody::inner)));
                }
                StateProj::Rejected { response } => {
                    let res = response.take().unwrap_or_else(|| crate::response::misconfigured(false));
                    return Poll::Ready(Ok(res.map(ResponseBody::full)));
                }
                StateProj::Validating { validation, inner, request, context } => {
                    let result = ready!(validation.as_mut().poll(cx));
                    match (result, inner.take(), request.take(), context.take()) {
                        (Ok(claims), Some(mut inner), Some(mut request), Some(context)) => {
                            request.extensions_mut().insert(claims);
                            request.extensions_mut().insert(context);
                            State::Calling { future: inner.call(request) }
                        }
                        (Err(e), _, _, Some(context)) => {
                            State::Rejected { response: Some(context.error_response(&e)) }
                        }
                        // Polled again after completion: answer rather than panic.
                        _ => State::Rejected { response: None },
                    }
                }
                StateProj::Preparing { preparation, inner, context, optional } => {
                    let result = ready!(preparation.as_mut().poll(cx));
                    match (result, inner.take(), context.take()) {
                        (Ok((mut request, claims)), Some(mut inner), Some(context)) => {
                            match claims {
                                Some(claims) => {
                                    request.extensions_mut().insert(claims);
                                }
                                None if *optional => {}
                                None => {
                                    let response = context.error_response(&AuthError::MissingToken);
                                    return Poll::Ready(Ok(response.map(ResponseBody::full)));
                                }
                            }
                            request.extensions_mut().insert(context);
                            State::Calling { future: inner.call(request) }
                        }
                        (Err(e), _, Some(context)) => {
                            State::Rejected { response: Some(context.error_response(&e)) }
                        }
                        _ => State::Rejected { response: None },
                    }
                }
            };
            self.as_mut().project().state.set(next);
        }
    }
}

impl<S, ReqBody> fmt::Debug for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
