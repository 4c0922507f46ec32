//! End-to-end suites, one test binary: the HTTP contract (every route, every failure class) for
//! each Petstore implementation, gRPC with a real tonic client, and interop with a certified
//! OpenID provider.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod dpop;
mod gateway;
mod grpc;
mod http;
mod interop;
mod interop_dpop;
mod introspection;
mod mcp;
mod metadata;
mod metrics;
mod openapi;
mod revocation;
mod step_up;
