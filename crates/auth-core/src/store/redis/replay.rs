//! The DPoP replay store on Redis: one `SET NX` per proof, with the proof's own time left.

use std::time::Duration;

use super::RedisStore;
use crate::checks::dpop::{Recorded, Recording, ReplayKey, ReplayStore, ReplayStoreError};

/// How long a client is told to wait when Redis cannot record a proof.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// DPoP proofs seen, shared by every instance on one Redis: a proof accepted by one instance
/// is refused by all. One network call per DPoP request, bounded by the store's command
/// timeout; when Redis cannot answer, the proof is refused (503 + `Retry-After`), never
/// accepted.
///
/// Each proof is the key `{prefix}dpop:{SHA-256 of thumbprint and jti, hex}`, set with `NX`
/// and an expiry of the seconds the proof could still be accepted (relative, so the instances'
/// and the server's clocks need not agree).
#[derive(Debug, Clone)]
pub struct RedisReplayStore {
    store: RedisStore,
}

impl RedisReplayStore {
    pub(crate) fn new(store: RedisStore) -> Self {
        RedisReplayStore { store }
    }
}

impl ReplayStore for RedisReplayStore {
    fn record(&self, key: ReplayKey, expires_at: i64, now: i64) -> Recording<'_> {
        Recording::Pending(Box::pin(async move {
            let mut hex = String::with_capacity(64);
            for b in key.as_bytes() {
                hex.push_str(&format!("{b:02x}"));
            }
            let ttl = expires_at.saturating_sub(now).saturating_add(1).max(1);
            let mut cmd = ::redis::cmd("SET");
            cmd.arg(self.store.key(&format!("dpop:{hex}"))).arg(1).arg("NX").arg("EX").arg(ttl);
            match self.store.query::<Option<String>>(&cmd).await {
                Ok(Some(_)) => Ok(Recorded::New),
                Ok(None) => Ok(Recorded::Seen),
                Err(failure) => {
                    tracing::warn!(
                        reason = failure.reason(),
                        "DPoP replay store on redis cannot record a proof"
                    );
                    Err(ReplayStoreError { reason: failure.reason(), retry_after: RETRY_AFTER })
                }
            }
        }))
    }

    fn waits(&self) -> bool {
        true
    }
}
