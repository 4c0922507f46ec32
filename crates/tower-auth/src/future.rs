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
/// same bytes: `None` claims for an anonymous request the optional mode lets through.
pub(crate) type Preparation<B> =
    Pin<Box<dyn Future<Output = Result<(Request<B>, Option<Claims>), AuthError>> + Send>>;

pin_project! {
    /// Response future of [`Auth`](crate::Auth): validates the token, then calls the inner service,
    /// or answers with the rejection.
    ///
    /// What waits (a validation, a form body) is boxed, so for a request decided at once (a token
    /// the verified-token cache knows) the future is the inner service's future and a tag: the
    /// layers around it move no more bytes than without authentication.
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
        // `Option`s so their contents can be moved out once ready.
        Validating {
            waiting: Option<Box<Waiting<S, ReqBody>>>,
        },
        Preparing {
            preparing: Option<Box<Preparing<S, ReqBody>>>,
        },
        Calling {
            #[pin]
            future: S::Future,
        },
        Rejected {
            response: Option<Box<Response<Bytes>>>,
        },
    }
}

/// A request waiting for its token's validation, with the inner service that will serve it.
pub(crate) struct Waiting<S, ReqBody> {
    validation: Validation,
    inner: S,
    request: Request<ReqBody>,
    context: AuthContext,
}

/// A request whose form body is being read (the request is inside the preparation).
pub(crate) struct Preparing<S, ReqBody> {
    preparation: Preparation<ReqBody>,
    inner: S,
    context: AuthContext,
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
        let waiting = Box::new(Waiting { validation, inner, request, context });
        ResponseFuture { state: State::Validating { waiting: Some(waiting) } }
    }

    pub(crate) fn preparing(preparation: Preparation<ReqBody>, inner: S, context: AuthContext) -> Self {
        let preparing = Box::new(Preparing { preparation, inner, context });
        ResponseFuture { state: State::Preparing { preparing: Some(preparing) } }
    }

    /// Calls `inner` now: it is the instance that was polled ready.
    pub(crate) fn call(inner: &mut S, request: Request<ReqBody>) -> Self {
        ResponseFuture { state: State::Calling { future: inner.call(request) } }
    }

    pub(crate) fn reject(response: Response<Bytes>) -> Self {
        ResponseFuture { state: State::Rejected { response: Some(Box::new(response)) } }
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
                    return Poll::Ready(Ok(rejected(response.take().map(|r| *r))));
                }
                StateProj::Validating { waiting } => {
                    // Polled again after completion: answer rather than panic.
                    let Some(w) = waiting else { return Poll::Ready(Ok(rejected(None))) };
                    let result = ready!(w.validation.as_mut().poll(cx));
                    let Some(w) = waiting.take() else { return Poll::Ready(Ok(rejected(None))) };
                    let Waiting { mut inner, mut request, context, .. } = *w;
                    match result {
                        Ok(claims) => {
                            request.extensions_mut().insert(claims);
                            request.extensions_mut().insert(context);
                            State::Calling { future: inner.call(request) }
                        }
                        Err(e) => return Poll::Ready(Ok(rejected(Some(context.error_response(&e))))),
                    }
                }
                StateProj::Preparing { preparing } => {
                    let Some(p) = preparing else { return Poll::Ready(Ok(rejected(None))) };
                    let result = ready!(p.preparation.as_mut().poll(cx));
                    let Some(p) = preparing.take() else { return Poll::Ready(Ok(rejected(None))) };
                    let Preparing { mut inner, context, .. } = *p;
                    match result {
                        Ok((mut request, claims)) => {
                            if let Some(claims) = claims {
                                request.extensions_mut().insert(claims);
                            }
                            request.extensions_mut().insert(context);
                            State::Calling { future: inner.call(request) }
                        }
                        Err(e) => return Poll::Ready(Ok(rejected(Some(context.error_response(&e))))),
                    }
                }
            };
            self.as_mut().project().state.set(next);
        }
    }
}

/// A rejection as the layer's response; `None` (polled after completion) answers 500.
fn rejected<B>(response: Option<Response<Bytes>>) -> Response<ResponseBody<B>> {
    response.unwrap_or_else(|| crate::response::misconfigured(false)).map(ResponseBody::full)
}

impl<S, ReqBody> fmt::Debug for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
