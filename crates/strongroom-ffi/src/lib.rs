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

/// Every heap block the native library frees is wiped first. uniffi moves each argument and
/// result through a buffer this library allocates and frees — a card number, a CVC or a
/// master key among them — and frees it without zeroing; so do the copies it lifts them
/// into (Python's and Kotlin's own strings are the host's to manage). The core wipes its
/// own secrets where it keeps them (`Zeroizing`), but not every short-lived copy a
/// conversion makes: the allocator catches those too (+0.3 % instructions per create,
/// +1.6 % per retrieve; BENCHMARKS.md). A Rust host linking `strongroom-core` directly chooses its
/// own allocator.
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> = zeroizing_alloc::ZeroAlloc(std::alloc::System);

uniffi::setup_scaffolding!("strongroom");
