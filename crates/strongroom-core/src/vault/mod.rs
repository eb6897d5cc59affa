//! The public API. Read top to bottom: [`Vault`] opens a directory and manages profiles;
//! [`ProfileScope`] runs every customer and payment-method operation inside one profile.
//!
//! Each operation validates its input first (bad input writes nothing), takes the per-key
//! lock its read-modify-write needs, and commits everything it changes in one atomic batch.

mod api_keys;
mod audit;
mod backup;
mod card_binding;
mod contexts;
mod customer_binding;
mod customers;
mod cvc_binding;
mod engine;
mod locks;
mod network_tokens;
mod options;
mod payment_methods;
mod profile_map;
mod profiles;
mod purge;
mod rotation;
mod runtime;
mod scope;
mod secrets;
mod shred;
mod stats;
mod unreadable;
mod verify;
mod views;

use std::fmt;
use std::sync::Arc;

use parking_lot::RwLock;

pub use options::{Clock, ManualClock, SystemClock, VaultOptions};
pub use purge::PurgeReport;
pub use rotation::ProgressCallback;
pub use scope::ProfileScope;

use crate::error::{InternalError, Result};
use engine::Engine;

/// An open vault. Cheap to clone (clones share one engine), `Send + Sync`.
///
/// [`Vault::close`] closes it for every clone: later calls fail with a clear `HE_00`
/// `closed` error, and the database is released once calls already running finish.
#[derive(Clone)]
pub struct Vault {
    engine: Arc<RwLock<Option<Arc<Engine>>>>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault").field("open", &!self.is_closed()).finish()
    }
}

impl Vault {
    /// Opens (creating if needed) the vault in directory `path`.
    ///
    /// Fails with `HE_00` `wrong_master_key` if a supplied master key is not the one the
    /// vault knows under that id, and `missing_master_key` if stored keys depend on a
    /// master key that was not supplied. A profile whose record is damaged does not stop
    /// the open: calls on that profile fail with `HE_00` `integrity`, and `verify` reports
    /// it.
    #[cfg(feature = "rocksdb")]
    pub fn open(path: impl AsRef<std::path::Path>, options: VaultOptions) -> Result<Self> {
        let config = crate::store::rocks::RocksConfig::from_options(&options);
        Self::open_with(path.as_ref(), options, &config)
    }

    /// Opens the vault with RocksDB configured by `config` instead of from `options` alone.
    #[cfg(feature = "rocksdb")]
    pub(crate) fn open_with(
        path: &std::path::Path,
        options: VaultOptions,
        config: &crate::store::rocks::RocksConfig,
    ) -> Result<Self> {
        let store = crate::store::rocks::RocksStore::open(path, config)?;
        Self::start(Box::new(store), options)
    }

    /// A vault held in memory only, for fuzzing the vault's logic where RocksDB cannot be
    /// linked. Nothing is persisted.
    #[cfg(feature = "memory-store")]
    pub fn open_in_memory(options: VaultOptions) -> Result<Self> {
        Self::start(Box::new(crate::store::memory::MemoryStore::default()), options)
    }

    fn start(store: Box<dyn crate::store::Store>, options: VaultOptions) -> Result<Self> {
        let engine = Engine::start(store, options)?;
        Ok(Self { engine: Arc::new(RwLock::new(Some(Arc::new(engine)))) })
    }

    /// Closes the vault for every clone.
    pub fn close(&self) {
        self.engine.write().take();
    }

    pub fn is_closed(&self) -> bool {
        self.engine.read().is_none()
    }

    pub(crate) fn engine(&self) -> Result<Arc<Engine>> {
        self.engine.read().clone().ok_or_else(|| InternalError::Closed.into())
    }
}
