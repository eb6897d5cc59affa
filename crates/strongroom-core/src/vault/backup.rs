//! Online backup.

use std::path::Path;

use crate::error::{Error, Result};
use crate::vault::Vault;

impl Vault {
    /// Writes a consistent copy of the vault to `dir` (which must not exist yet) while it
    /// stays open for reads and writes. The copy opens as a vault with the same master
    /// keys. It holds every profile's salt: keep it as safe as the vault. It is a copy of
    /// the vault's files, so it also holds what they still hold of deleted records (sealed
    /// values and clear audit metadata not yet compacted away, or not yet overwritten in a
    /// reused write-ahead log, which is copied whole: up to one memtable budget, 32 MiB by
    /// default, more than its live part).
    pub fn checkpoint(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        if dir.exists() {
            return Err(Error::invalid("dir", "must not exist yet"));
        }
        self.engine()?.store.checkpoint(dir)
    }
}
