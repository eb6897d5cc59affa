//! The audit chain's keyed hash (HMAC-SHA256).
//!
//! Each audit event carries `mac = HMAC(k, "strongroom/v1/audit-event" ‖ seq (u64 BE) ‖
//! previous mac ‖ event)`, so it covers its position and, through the previous mac, every
//! event before it; the chain's head carries `HMAC(k, "strongroom/v1/audit-head" ‖ next_seq
//! (u64 BE) ‖ last mac)`, so the end of the chain cannot be moved back by someone who can
//! read the events. `k` is derived with HKDF-SHA256 from the profile's stable secret (the
//! one its API key digests use, which re-encryption never changes), under its own label, so
//! chain macs stay valid across key rotation.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::crypto::secret::Key32;

const KEY_LABEL: &[u8] = b"strongroom/v1/audit-chain";
const EVENT_LABEL: &[u8] = b"strongroom/v1/audit-event";
const HEAD_LABEL: &[u8] = b"strongroom/v1/audit-head";

/// The key of a profile's audit chain, held as a keyed HMAC state (computed once, cloned for
/// each mac: two SHA-256 blocks fewer per mac; hmac's `zeroize` feature clears it on drop).
#[derive(Clone)]
pub(crate) struct ChainKey(Hmac<Sha256>);

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(***)")
    }
}

impl ChainKey {
    /// Derives the chain key from the profile's stable secret.
    pub(crate) fn derive(root: &Key32) -> Self {
        let hk = Hkdf::<Sha256>::new(None, root.as_bytes());
        let mut okm = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expansion cannot fail.
        if hk.expand(KEY_LABEL, okm.as_mut()).is_err() {
            unreachable!("HKDF-SHA256 expands 32 bytes");
        }
        // HMAC accepts keys of any length; a 32-byte key cannot be refused.
        match <Hmac<Sha256> as KeyInit>::new_from_slice(okm.as_ref()) {
            Ok(mac) => Self(mac),
            Err(_) => unreachable!("HMAC takes any key length"),
        }
    }

    fn mac(&self) -> Hmac<Sha256> {
        self.0.clone()
    }

    /// The mac of the event at `seq`, whose predecessor's mac is `previous`.
    pub(crate) fn event(&self, seq: u64, previous: &[u8; 32], event: &[u8]) -> [u8; 32] {
        let mut mac = self.mac();
        mac.update(EVENT_LABEL);
        mac.update(&seq.to_be_bytes());
        mac.update(previous);
        mac.update(event);
        mac.finalize().into_bytes().into()
    }

    /// The mac of a chain head.
    pub(crate) fn head(&self, next_seq: u64, last: &[u8; 32]) -> [u8; 32] {
        let mut mac = self.mac();
        mac.update(HEAD_LABEL);
        mac.update(&next_seq.to_be_bytes());
        mac.update(last);
        mac.finalize().into_bytes().into()
    }
}

/// Compares two macs in constant time.
pub(crate) fn macs_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ChainKey {
        ChainKey::derive(&Key32::from_bytes([0x33; 32]))
    }

    #[test]
    fn every_input_counts() {
        let k = key();
        let base = k.event(4, &[1; 32], b"event");
        assert_eq!(base, k.event(4, &[1; 32], b"event"));
        assert_ne!(base, k.event(5, &[1; 32], b"event"));
        assert_ne!(base, k.event(4, &[2; 32], b"event"));
        assert_ne!(base, k.event(4, &[1; 32], b"evenT"));
        assert_ne!(base, ChainKey::derive(&Key32::from_bytes([0x34; 32])).event(4, &[1; 32], b"event"));
        assert_ne!(k.head(4, &[1; 32]), k.head(5, &[1; 32]));
        assert_ne!(k.head(4, &[1; 32]), k.head(4, &[2; 32]));
    }

    #[test]
    fn macs_compare_by_value() {
        assert!(macs_equal(&[7; 32], &[7; 32]));
        let mut other = [7; 32];
        other[31] = 6;
        assert!(!macs_equal(&[7; 32], &other));
    }

    /// Pins the derivation and both macs: a change here breaks every stored chain.
    #[test]
    fn golden_macs() {
        let k = key();
        let got = [
            crate::crypto::hex::encode(&k.event(7, &[0xe2; 32], b"event body")),
            crate::crypto::hex::encode(&k.head(8, &[0xe3; 32])),
        ]
        .join("\n");
        let golden = include_str!("../../tests/golden/audit_chain_macs_v1.hex").trim();
        assert_eq!(got, golden);
    }
}
