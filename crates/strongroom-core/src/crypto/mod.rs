//! Keys, derivation, the sealed-value envelope, nonces and fingerprints.
//!
//! Key material lives only in zeroizing types with redacted `Debug`; no function here
//! returns key bytes to a caller outside the crate.

pub(crate) mod chain_mac;
pub mod derive;
pub mod envelope;
pub mod fingerprint;
pub(crate) mod hex;
pub mod master_key;
pub mod profile_keys;
pub(crate) mod random;
pub mod secret;

pub use derive::KeyPurpose;
pub use envelope::SealContext;
pub use fingerprint::Fingerprint;
pub use master_key::{KeyProvider, MasterKey, MasterKeyId, MasterKeyRing};
pub use profile_keys::ProfileKeys;
pub use secret::Key32;
