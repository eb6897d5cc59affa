//! Opening the vault the options name, and the profile scope a command acts in.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use strongroom_core::{
    MasterKey, MasterKeyId, MasterKeyRing, ProfileId, ProfileScope, SimulatedNetworkTokenProvider, Vault, VaultOptions,
};

use crate::cli::Global;
use crate::error::{CliError, Result};
use crate::keys;

pub struct Context {
    pub vault: Vault,
    api_key: Option<String>,
}

pub fn vault_dir(global: &Global) -> Result<&Path> {
    global.vault.as_deref().ok_or_else(|| CliError::usage("no vault: pass --vault DIR or set STRONGROOM_VAULT"))
}

/// The master key from `--master-key-file`, else from `STRONGROOM_MASTER_KEY`.
pub fn master_key(global: &Global) -> Result<MasterKey> {
    keys::load(global.master_key_file.as_deref(), std::env::var("STRONGROOM_MASTER_KEY").ok().as_deref())
}

/// Options with the master key, and the previous one when given (the master key stays
/// the active one).
pub fn options(global: &Global) -> Result<VaultOptions> {
    let key = master_key(global)?;
    let Some(previous_file) = &global.previous_master_key_file else { return options_with_key(global, key) };
    let previous = keys::load(Some(previous_file), None)?;
    let id = MasterKeyId::parse(&global.key_id)?;
    let ring =
        MasterKeyRing::new(vec![(id.clone(), key), (MasterKeyId::parse(&global.previous_key_id)?, previous)], id)?;
    Ok(options_with_ring(global, ring))
}

/// Options with `key` alone, under the `--key-id` id.
pub fn options_with_key(global: &Global, key: MasterKey) -> Result<VaultOptions> {
    Ok(options_with_ring(global, keys::ring(key, &global.key_id)?))
}

pub fn options_with_ring(global: &Global, ring: MasterKeyRing) -> VaultOptions {
    let mut options = VaultOptions::new(ring);
    options.sync_writes = !global.no_sync;
    // The CLI's network tokens come from the built-in simulator (seeded per vault).
    options.network_token_provider = Some(Arc::new(SimulatedNetworkTokenProvider::new([0x5e; 32])));
    options
}

impl Context {
    pub fn open(global: &Global) -> Result<Self> {
        Self::open_at(vault_dir(global)?, options(global)?, global.api_key.clone())
    }

    pub fn open_at(dir: &Path, options: VaultOptions, api_key: Option<String>) -> Result<Self> {
        if !dir.join("CURRENT").exists() {
            return Err(CliError::usage(format!(
                "{} is not a vault (run `strongroom init --vault {}` first)",
                dir.display(),
                dir.display()
            )));
        }
        tracing::info!(vault = %dir.display(), "opening vault");
        Ok(Self { vault: Vault::open(dir, options)?, api_key })
    }

    /// The profile, with the API key's rights when one was given, else every right.
    pub fn scope(&self, profile: &str) -> Result<ProfileScope> {
        let id = ProfileId::parse(profile)?;
        Ok(match &self.api_key {
            Some(key) => self.vault.authenticate(key, &id)?,
            None => self.vault.profile(&id)?,
        })
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        self.vault.close();
    }
}

pub fn temp_dir() -> Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::Builder::new().prefix("strongroom-demo-").tempdir().map_err(|e| CliError::io("temp dir", e))?;
    let path = dir.path().join("vault");
    Ok((dir, path))
}
