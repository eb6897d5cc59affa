//! Card fingerprints: HMAC-SHA256 under the profile's fingerprint key (PCI DSS 3.5.1.1:
//! a keyed hash, never a plain one, since card numbers are too few to resist guessing).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::crypto::secret::Key32;
use crate::model::card::CardNumber;

/// The keyed fingerprint of a card number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    pub fn of(key: &Key32, number: &CardNumber) -> Self {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
        mac.update(number.digits().as_bytes());
        Self(mac.finalize().into_bytes().into())
    }

    pub fn to_hex(&self) -> String {
        crate::crypto::hex::encode(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::number;

    #[test]
    fn keyed_and_stable() {
        let (n, _) = number::parse("4111111111111111").unwrap();
        let (m, _) = number::parse("4111 1111 1111 1111").unwrap();
        let k1 = Key32::from_bytes([1; 32]);
        let k2 = Key32::from_bytes([2; 32]);
        assert_eq!(Fingerprint::of(&k1, &n), Fingerprint::of(&k1, &m));
        assert_ne!(Fingerprint::of(&k1, &n), Fingerprint::of(&k2, &n));
    }
}
