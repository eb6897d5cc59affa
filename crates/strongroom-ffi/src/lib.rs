//! The Strongroom vault for Python and Kotlin, through uniffi.
//!
//! This crate holds no logic: it converts between foreign-friendly records (strings for
//! ids, native time types, plain numbers) and the core's types, and forwards every call.
//! Every failure reaches the host as one error type carrying the core's `code`, `field`
//! and message (`detail`).

#![forbid(unsafe_code)]

mod convert;
mod error;
mod network_tokens;
mod revealed;
mod scope;
mod types;
mod vault;

pub use error::StrongroomError;
pub use network_tokens::{
    NetworkTokenProvider, NetworkTokenSimulator, ProviderFailure, ProvisionedToken, TokenProvisionRequest,
};
pub use revealed::{ApiKeyCreated, RevealedCard};
pub use scope::ProfileScope;
pub use types::*;
pub use vault::Vault;

uniffi::setup_scaffolding!("strongroom");
