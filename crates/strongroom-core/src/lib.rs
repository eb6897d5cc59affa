//! Strongroom: an embedded, multi-tenant card vault.
//!
//! Open a [`Vault`] on a directory with a master key, create a profile (tenant), then save
//! cards for customers and get back payment method ids (tokens) through a
//! [`ProfileScope`]. Card data is sealed with XChaCha20-Poly1305 under per-profile keys
//! derived with HKDF-SHA256 from the master key, and stored in RocksDB.
//!
//! Layers, each depending only on those before it: [`model`] (types and field rules) →
//! [`card`] (card rules) → [`crypto`] (keys, envelope) → `store` (RocksDB, records) →
//! `vault` (this API).

#![forbid(unsafe_code)]

pub mod card;
pub mod crypto;
pub mod error;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals;
pub mod model;
pub mod network_token;
mod store;
mod vault;

pub use crypto::{KeyProvider, MasterKey, MasterKeyId, MasterKeyRing};
pub use error::{Error, InternalError, ObjectKind, Result};
pub use model::card::{CardNumber, Cvc};
pub use model::*;
pub use network_token::{NetworkTokenProvider, SimulatedNetworkTokenProvider, SimulatorFaults};
pub use vault::{Clock, ManualClock, ProfileScope, ProgressCallback, PurgeReport, SystemClock, Vault, VaultOptions};
