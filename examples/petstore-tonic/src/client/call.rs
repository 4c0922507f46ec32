//! One call: the channel, the credentials in the metadata (a fresh DPoP proof per attempt), the
//! retry a `use_dpop_nonce` refusal asks for, and the answer as JSON.

use std::time::Duration;

use tokio::time::Instant;
use tonic::metadata::{MetadataMap, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Response, Status};

use super::args::{Args, Command};
use crate::proto;
use crate::proto::pet_store_client::PetStoreClient;
use crate::proto::pet_store_server::SERVICE_NAME;

/// How long connecting may take: a server that is not there answers `Unavailable` soon.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the call may take in all, a nonce retry included: a server that never answers cannot
/// hang the client.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What a call answered.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The answer message as pretty JSON (fields in the `.proto`'s order), or the status the
    /// server (or the transport) gave.
    pub(crate) outcome: Result<String, Status>,
    /// `true` when the first answer asked for a DPoP nonce and the call was made again with it.
    pub(crate) retried_with_nonce: bool,
}

/// Makes the call `args` describe. Transport failures are a status too, as any gRPC client
/// reports them: `Unavailable` when nothing listens, `DeadlineExceeded` after [`CALL_TIMEOUT`].
pub(crate) async fn call(args: &Args) -> Answer {
    let endpoint = match Endpoint::from_shared(args.origin.clone()) {
        Ok(endpoint) => endpoint.connect_timeout(CONNECT_TIMEOUT),
        Err(e) => {
            let status = Status::invalid_argument(format!("the address is not usable: {e}"));
            return Answer { outcome: Err(status), retried_with_nonce: false };
        }
    };
    let mut client = PetStoreClient::new(endpoint.connect_lazy());
    let deadline = Instant::now() + CALL_TIMEOUT;
    let first = within(deadline, invoke(&mut client, &args.command, metadata(args, None))).await;
    let nonce = match &first {
        Err(status) if args.dpop_key.is_some() => asked_nonce(status),
        _ => None,
    };
    match nonce {
        Some(nonce) => {
            let retry = invoke(&mut client, &args.command, metadata(args, Some(&nonce)));
            let outcome = within(deadline, retry).await;
            Answer { outcome, retried_with_nonce: true }
        }
        None => Answer { outcome: first, retried_with_nonce: false },
    }
}

/// The call's answer, or `DeadlineExceeded` at `deadline` (the body of a unary answer included,
/// which a timeout on the channel would not cover).
async fn within(
    deadline: Instant,
    call: impl Future<Output = Result<String, Status>>,
) -> Result<String, Status> {
    tokio::time::timeout_at(deadline, call).await.unwrap_or_else(|_| {
        Err(Status::deadline_exceeded(format!("no answer within {} s", CALL_TIMEOUT.as_secs())))
    })
}

/// `authorization` (`Bearer`, or `DPoP` with a proof in `dpop`) when there is a token.
fn metadata(args: &Args, nonce: Option<&str>) -> MetadataMap {
    let mut metadata = MetadataMap::new();
    let Some(token) = &args.token else { return metadata };
    let token = token.as_str();
    let scheme = match &args.dpop_key {
        Some(key) => {
            let htu = format!("{}/{SERVICE_NAME}/{}", args.origin, args.command.method());
            let proof = petstore::dpop_client::proof(key, "POST", &htu, token, nonce);
            if let Ok(value) = MetadataValue::try_from(proof) {
                metadata.insert("dpop", value);
            }
            "DPoP"
        }
        None => "Bearer",
    };
    // The token was checked to be visible ASCII when the arguments were read.
    if let Ok(value) = MetadataValue::try_from(format!("{scheme} {token}")) {
        metadata.insert("authorization", value);
    }
    metadata
}

/// The nonce of an `UNAUTHENTICATED` answer whose challenge is `use_dpop_nonce` (RFC 9449 §8).
fn asked_nonce(status: &Status) -> Option<String> {
    let metadata = status.metadata();
    let challenges = metadata.get_all("www-authenticate").into_iter().map(|v| v.as_bytes());
    if status.code() != Code::Unauthenticated || !petstore::dpop_client::asks_for_nonce(challenges) {
        return None;
    }
    metadata.get("dpop-nonce")?.to_str().ok().map(str::to_owned)
}

async fn invoke(
    client: &mut PetStoreClient<Channel>,
    command: &Command,
    metadata: MetadataMap,
) -> Result<String, Status> {
    match command {
        Command::List => json(client.list_pets(with_metadata(proto::ListPetsRequest {}, metadata)).await?),
        Command::Get(id) => {
            json(client.get_pet(with_metadata(proto::GetPetRequest { id: *id }, metadata)).await?)
        }
        Command::Add { name, tag } => {
            let message = proto::CreatePetRequest { name: name.clone(), tag: tag.clone() };
            json(client.create_pet(with_metadata(message, metadata)).await?)
        }
        Command::Delete(id) => {
            json(client.delete_pet(with_metadata(proto::DeletePetRequest { id: *id }, metadata)).await?)
        }
        Command::Me => json(client.get_me(with_metadata(proto::GetMeRequest {}, metadata)).await?),
        Command::Pay(id) => {
            json(client.pay_order(with_metadata(proto::PayOrderRequest { id: *id }, metadata)).await?)
        }
    }
}

fn with_metadata<T>(message: T, metadata: MetadataMap) -> Request<T> {
    let mut request = Request::new(message);
    *request.metadata_mut() = metadata;
    request
}

fn json<T: serde::Serialize>(response: Response<T>) -> Result<String, Status> {
    serde_json::to_string_pretty(&response.into_inner())
        .map_err(|_| Status::internal("the answer cannot be shown as JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::args::{Parsed, parse};

    /// A server that takes the connection and never answers: the call ends at its deadline
    /// (the paused clock jumps there once nothing else can happen).
    #[tokio::test(start_paused = true)]
    async fn a_silent_server_cannot_hang_the_call() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let _held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let line = ["--addr".to_owned(), format!("http://{addr}"), "list".to_owned()];
        let Ok(Parsed::Run(args)) = parse(line, |_| None) else { panic!("the arguments parse") };
        let started = Instant::now();
        let answer = call(&args).await;
        let status = answer.outcome.unwrap_err();
        assert_eq!((status.code(), status.message()), (Code::DeadlineExceeded, "no answer within 10 s"));
        assert_eq!(started.elapsed(), CALL_TIMEOUT);
    }
}
