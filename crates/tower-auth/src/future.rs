//! The response future of [`AuthService`](crate::AuthService) and
//! [`FormAuthService`](crate::FormAuthService).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use auth_core::{Authenticated, Outcome, Refusal};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::body::ResponseBody;
use crate::context::AuthContext;
use crate::layer::admit;

/// The pipeline's pending authentication. Only this part is boxed: its future is not nameable.
pub(crate) type Waiting = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// Reading a form body and authenticating with it, then rebuilding the request with the same
/// bytes.
pub(crate) type Preparation<B> =
    Pin<Box<dyn Future<Output = Result<(Request<B>, Authenticated), Refusal>> + Send>>;

/// Headers a request check asked the response to carry (boxed: almost always absent).
pub(crate) type ExtraHeaders = Option<Box<[(&'static str, String)]>>;

pin_project! {
    /// Response future of [`AuthService`](crate::AuthService): authenticates, then calls the inner
    /// service, or answers with the rejection.
    ///
    /// What waits (an authentication, a form body) is boxed, so for a request decided at once (a
    /// token the verified-token cache knows) the future is the inner service's future and a tag:
    /// the layers around it move no more bytes than without authentication.
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
        Waiting {
            waiting: Option<Box<Pending<S, ReqBody>>>,
        },
        Preparing {
            preparing: Option<Box<Preparing<S, ReqBody>>>,
        },
        Calling {
            #[pin]
            future: S::Future,
            headers: ExtraHeaders,
        },
        Rejected {
            response: Option<Box<Response<Bytes>>>,
        },
    }
}

/// A request waiting for its authentication, with the inner service that will serve it.
pub(crate) struct Pending<S, ReqBody> {
    authentication: Waiting,
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
    pub(crate) fn waiting(
        authentication: Waiting,
        inner: S,
        request: Request<ReqBody>,
        context: AuthContext,
    ) -> Self {
        let waiting = Box::new(Pending { authentication, inner, request, context });
        ResponseFuture { state: State::Waiting { waiting: Some(waiting) } }
    }

    pub(crate) fn preparing(preparation: Preparation<ReqBody>, inner: S, context: AuthContext) -> Self {
        let preparing = Box::new(Preparing { preparation, inner, context });
        ResponseFuture { state: State::Preparing { preparing: Some(preparing) } }
    }

    /// Calls `inner` now: it is the instance that was polled ready.
    pub(crate) fn call(inner: &mut S, request: Request<ReqBody>, headers: ExtraHeaders) -> Self {
        ResponseFuture { state: State::Calling { future: inner.call(request), headers } }
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
                StateProj::Calling { future, headers } => {
                    let mut res = ready!(future.poll(cx))?;
                    if let Some(headers) = headers.take() {
                        for (name, value) in headers.into_vec() {
                            if let Ok(value) = HeaderValue::from_str(&value) {
                                res.headers_mut().append(HeaderName::from_static(name), value);
                            }
                        }
                    }
                    return Poll::Ready(Ok(res.map(ResponseBody::inner)));
                }
                StateProj::Rejected { response } => {
                    return Poll::Ready(Ok(rejected(response.take().map(|r| *r))));
                }
                StateProj::Waiting { waiting } => {
                    // Polled again after completion: answer rather than panic.
                    let Some(w) = waiting else { return Poll::Ready(Ok(rejected(None))) };
                    let outcome = ready!(w.authentication.as_mut().poll(cx));
                    let Some(w) = waiting.take() else { return Poll::Ready(Ok(rejected(None))) };
                    let Pending { mut inner, mut request, context, .. } = *w;
                    match outcome {
                        Ok(authenticated) => {
                            let headers = admit(&mut request, authenticated, context);
                            State::Calling { future: inner.call(request), headers }
                        }
                        Err(refusal) => return Poll::Ready(Ok(refused(&context, &refusal))),
                    }
                }
                StateProj::Preparing { preparing } => {
                    let Some(p) = preparing else { return Poll::Ready(Ok(rejected(None))) };
                    let result = ready!(p.preparation.as_mut().poll(cx));
                    let Some(p) = preparing.take() else { return Poll::Ready(Ok(rejected(None))) };
                    let Preparing { mut inner, context, .. } = *p;
                    match result {
                        Ok((mut request, authenticated)) => {
                            let headers = admit(&mut request, authenticated, context);
                            State::Calling { future: inner.call(request), headers }
                        }
                        Err(refusal) => return Poll::Ready(Ok(refused(&context, &refusal))),
                    }
                }
            };
            self.as_mut().project().state.set(next);
        }
    }
}

fn refused<B>(context: &AuthContext, refusal: &Refusal) -> Response<ResponseBody<B>> {
    context.renderer.render(refusal, context.grpc).map(ResponseBody::full)
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
