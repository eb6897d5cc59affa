//! How a vault is opened.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use crate::crypto::{KeyProvider, MasterKeyRing};
use crate::error::Result;
use crate::model::ids::CellId;
use crate::model::time::Timestamp;

/// Where "now" comes from. The vault asks it for every expiry decision (card expiry,
/// CVC TTL, volatile payment methods), so tests can move time instead of sleeping.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_system_time(std::time::SystemTime::now())
    }
}

/// A clock that only moves when told to; for tests of expiry behaviour.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock();
        *now = now.saturating_add(by);
    }

    pub fn set(&self, to: Timestamp) {
        *self.0.lock() = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock()
    }
}

/// Options for [`crate::Vault::open`].
#[derive(Clone, Debug)]
pub struct VaultOptions {
    /// The master keys; the active one derives new profile key versions.
    pub master_keys: MasterKeyRing,
    /// fsync every write before it is acknowledged (default on: a vault is a system of
    /// record). Off trades the last writes before a power loss for speed.
    pub sync_writes: bool,
    /// Deployment cell prefix for generated ids (`12345_pm_…`).
    pub cell_id: Option<CellId>,
    pub clock: Arc<dyn Clock>,
    /// RocksDB block cache size (default 128 MiB: at a million payment methods it keeps the
    /// retrieve p99 near its value at 10k, where 64 MiB doubled it; measured in BENCHMARKS.md).
    pub block_cache_bytes: usize,
    /// Memory for all column families' memtables together (RocksDB's write buffer
    /// manager; default 32 MiB, measured in BENCHMARKS.md). 0 leaves RocksDB's per-column-family default of 64 MiB
    /// each, which across the vault's column families can reach several hundred MiB.
    pub memtable_budget_bytes: usize,
    /// How many profiles keep their derived keys cached (default 1024).
    pub profile_cache_capacity: usize,
    /// The card networks' token service; without one, asking for a network token is
    /// `IR_05` on `network_tokenization`.
    pub network_token_provider: Option<Arc<dyn crate::network_token::NetworkTokenProvider>>,
}

impl VaultOptions {
    pub fn new(master_keys: MasterKeyRing) -> Self {
        Self {
            master_keys,
            sync_writes: true,
            cell_id: None,
            clock: Arc::new(SystemClock),
            block_cache_bytes: 128 << 20,
            memtable_budget_bytes: 32 << 20,
            profile_cache_capacity: 1024,
            network_token_provider: None,
        }
    }

    /// Options whose master keys come from a [`KeyProvider`] (e.g. unwrapped by a KMS).
    pub fn from_key_provider(provider: &dyn KeyProvider) -> Result<Self> {
        Ok(Self::new(provider.master_keys()?))
    }
}
