//! Redis (or Valkey) as the state several instances share: DPoP proofs seen
//! ([`RedisReplayStore`]) and the revocation list ([`Revocations::redis`](crate::checks::revocation::Revocations::redis)).
//!
//! Built on redis-rs and its tokio connection manager: a multiplexed connection that
//! reconnects by itself, so a dropped connection or a restarted server costs the requests in
//! flight and nothing after. Every command is bounded by [`RedisOptions::command_timeout`]; a
//! command that fails or times out never counts as success (a proof is refused, a revocation
//! is not reported recorded).
//!
//! Keys, all under [`RedisOptions::prefix`] (default `auth:`):
//! - `{prefix}dpop:{hex}`: a proof seen, `SET NX` with the proof's own time left;
//! - `{prefix}revocations`: a hash of the deny-list (field: the entry's identity as a JSON
//!   array, value: `"<before> <expires_at>"`), announced on the channel of the same name;
//! - `{prefix}epoch`: a random value that tells instances whether the server lost its data.

mod feed;
mod replay;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub(crate) use feed::RevocationFeed;
pub use replay::RedisReplayStore;

use crate::error::ConfigError;

/// The default bound on one Redis command.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// How the store talks to Redis.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    prefix: String,
    command_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions { prefix: "auth:".to_owned(), command_timeout: DEFAULT_COMMAND_TIMEOUT }
    }
}

impl RedisOptions {
    /// The prefix of every key and channel (default `auth:`): services sharing one Redis
    /// without sharing state use different prefixes.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The bound on one command, connecting included (default 500 ms). A DPoP request waits at
    /// most this long for the replay store before it is answered 503.
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }
}

/// A connection to one Redis server, shared by the stores built on it. Cheap to clone.
#[derive(Clone)]
pub struct RedisStore(Arc<Inner>);

struct Inner {
    client: ::redis::Client,
    manager: ConnectionManager,
    prefix: String,
    timeout: Duration,
    url: String,
}

impl RedisStore {
    /// A store for `url` (`redis://[user:password@]host[:port][/db]`). Nothing is connected yet:
    /// a server that is down now is reached once it is up. Call inside a tokio runtime.
    pub fn new(url: &str, options: RedisOptions) -> Result<Self, ConfigError> {
        let scheme = url.split_once("://").map(|(s, _)| s);
        if scheme != Some("redis") {
            return Err(ConfigError::new("redis.url", "must be a redis:// URL (rediss:// is not supported)"));
        }
        let client = ::redis::Client::open(url)
            .map_err(|_| ConfigError::new("redis.url", "not a valid redis:// URL"))?;
        if options.command_timeout.is_zero() || options.command_timeout > Duration::from_secs(60) {
            return Err(ConfigError::new("redis.command_timeout", "must be between 1 ms and 60 s"));
        }
        if options.prefix.len() > 256 || options.prefix.contains(char::is_whitespace) {
            return Err(ConfigError::new("redis.prefix", "at most 256 bytes, without spaces"));
        }
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConfigError::new("redis.url", "the store must be created inside a tokio runtime"));
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.command_timeout))
            .set_response_timeout(Some(options.command_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(1));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|_| ConfigError::new("redis.url", "cannot set up the connection"))?;
        let shown = match url.rsplit_once('@') {
            Some((_, host)) => format!("redis://…@{host}"),
            None => url.to_owned(),
        };
        Ok(RedisStore(Arc::new(Inner {
            client,
            manager,
            prefix: options.prefix,
            timeout: options.command_timeout,
            url: shown,
        })))
    }

    /// The DPoP replay store on this server.
    pub fn replay_store(&self) -> RedisReplayStore {
        RedisReplayStore::new(self.clone())
    }

    /// Sends `cmd`, bounded by the command timeout.
    pub(crate) async fn query<T: ::redis::FromRedisValue>(&self, cmd: &::redis::Cmd) -> Result<T, Failure> {
        let mut connection = self.0.manager.clone();
        bounded(self.0.timeout, cmd.query_async(&mut connection)).await
    }

    /// Sends a pipeline, bounded by the command timeout.
    pub(crate) async fn query_pipe<T: ::redis::FromRedisValue>(
        &self,
        pipe: &::redis::Pipeline,
    ) -> Result<T, Failure> {
        let mut connection = self.0.manager.clone();
        bounded(self.0.timeout, pipe.query_async(&mut connection)).await
    }

    /// Runs a script, bounded by the command timeout.
    pub(crate) async fn invoke<T: ::redis::FromRedisValue>(
        &self,
        script: &::redis::ScriptInvocation<'_>,
    ) -> Result<T, Failure> {
        let mut connection = self.0.manager.clone();
        bounded(self.0.timeout, script.invoke_async(&mut connection)).await
    }

    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}{name}", self.0.prefix)
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.0.timeout
    }

    pub(crate) fn client(&self) -> &::redis::Client {
        &self.0.client
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.0.url)
            .field("prefix", &self.0.prefix)
            .field("command_timeout", &self.0.timeout)
            .finish_non_exhaustive()
    }
}

/// Why a command did not succeed, for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer within the timeout.
    Timeout,
    /// The server or the connection failed.
    Error,
}

impl Failure {
    pub(crate) fn reason(self) -> &'static str {
        match self {
            Failure::Timeout => "redis did not answer in time",
            Failure::Error => "redis failed",
        }
    }
}

pub(crate) async fn bounded<T>(
    timeout: Duration,
    future: impl std::future::Future<Output = ::redis::RedisResult<T>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(timeout, future).await {
        Err(_) => Err(Failure::Timeout),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "redis command failed");
            Err(Failure::Error)
        }
        Ok(Ok(v)) => Ok(v),
    }
}
