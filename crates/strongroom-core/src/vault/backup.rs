//! Online backup.

use std::path::Path;

use crate::error::{Error, Result};
use crate::vault::Vault;

impl Vault {
    /// Writes a consistent copy of the vault to `dir` (which must not exist yet) while it
    /// stays open for reads and writes. The copy opens as a vault with the same master
    /// keys. It holds every profile's salt: keep it as safe as the vault.
    pub fn checkpoint(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        if dir.exists() {
            return Err(Error::invalid("dir", "must not exist yet"));
        }
        self.engine()?.store.checkpoint(dir)
    }
}
