//! The DPoP proof target: a `DPoP` header's value (RFC 9449 §4.2) through the proof reader: its
//! shape, JOSE header, embedded public JWK and thumbprint, signature and claim types.

use super::assert_no_echo;
use crate::algorithm::AlgorithmSet;
use crate::checks::dpop::proof::{self, ProofKeys};
use crate::error::AuthError;

/// The proof reader with its key cache, as one validator holds it.
pub struct DpopProofTarget {
    keys: ProofKeys,
}

impl Default for DpopProofTarget {
    fn default() -> Self {
        DpopProofTarget { keys: ProofKeys::new(64) }
    }
}

impl DpopProofTarget {
    /// A reader with an empty key cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads `data` as a proof, allowing every asymmetric algorithm. Returns whether the proof
    /// was accepted (its request-dependent rules are not judged here).
    ///
    /// # Panics
    ///
    /// When an accepted proof breaks a bound the request checks rely on, or a rejection echoes
    /// the input.
    pub fn run(&self, data: &[u8]) -> bool {
        match proof::verify(data, AlgorithmSet::asymmetric(), &self.keys, &mut Vec::new()) {
            Ok(proof) => {
                assert!(data.len() <= proof::MAX_PROOF_BYTES, "accepted a proof of {} bytes", data.len());
                assert!(
                    !proof.jti.is_empty() && proof.jti.len() <= proof::MAX_JTI_BYTES,
                    "accepted a jti of {} bytes",
                    proof.jti.len()
                );
                // A base64url SHA-256.
                assert_eq!(proof.jkt().len(), 43, "a thumbprint of {} characters", proof.jkt().len());
                true
            }
            Err(problem) => {
                assert_no_echo(&AuthError::InvalidDpopProof(problem).rejection(None), data);
                false
            }
        }
    }
}
