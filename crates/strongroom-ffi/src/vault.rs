//! The `Vault` object: opening, profiles, API keys, audit, maintenance.

use std::sync::Arc;

use strongroom_core as core;

use crate::convert::{self, named, settings_in};
use crate::error::Result;
use crate::network_tokens::{HostProvider, NetworkTokenProvider, NetworkTokenSimulator};
use crate::revealed::ApiKeyCreated;
use crate::scope::ProfileScope;
use crate::types::*;

/// An open vault. `shutdown()` closes it at once, for every holder (Python: also `close()`
/// and `with`; Kotlin: also `close()` and `use {}`). Releasing the last handle closes it
/// too, and the scopes taken from it are handles as well: a vault dropped by the host (or
/// collected by the JVM's garbage collector) while one of its scopes is still in use stays
/// open for that scope. After closing, every call fails with an `Internal` error of kind
/// `closed`.
#[derive(uniffi::Object)]
pub struct Vault {
    inner: core::Vault,
}

impl Drop for Vault {
    fn drop(&mut self) {
        // The last handle is gone (the vault's and its scopes'): release the directory.
        self.inner.close();
    }
}

fn profile_id(id: &str) -> Result<core::ProfileId> {
    Ok(core::ProfileId::parse(id)?)
}

/// The ring of `options`; an error names the option's field (`master_keys.id`, …).
fn ring(options: &VaultOptions) -> Result<core::MasterKeyRing> {
    let keys = options
        .master_keys
        .iter()
        .map(|k| {
            let id = core::MasterKeyId::parse(&k.id).map_err(|e| named(e, "master_keys.id"))?;
            Ok((id, core::MasterKey::from_slice(&k.key).map_err(|e| named(e, "master_keys.key"))?))
        })
        .collect::<std::result::Result<Vec<_>, core::Error>>()?;
    let active = core::MasterKeyId::parse(&options.active_master_key).map_err(|e| named(e, "active_master_key"))?;
    Ok(core::MasterKeyRing::new(keys, active)?)
}

impl Vault {
    fn start(
        path: String,
        mut options: VaultOptions,
        provider: Option<Arc<dyn core::NetworkTokenProvider>>,
    ) -> Result<Arc<Self>> {
        let ring = ring(&options);
        // The ring holds its own (zeroizing) copies; the lifted keys go now, on error too.
        // (The buffer uniffi lifted them from is freed without zeroing: README.)
        for entry in &mut options.master_keys {
            zeroize::Zeroize::zeroize(&mut entry.key);
        }
        let mut core_options = core::VaultOptions::new(ring?);
        core_options.sync_writes = options.sync_writes;
        core_options.cell_id = options.cell_id.as_deref().map(core::CellId::parse).transpose()?;
        core_options.network_token_provider = provider;
        Ok(Arc::new(Self { inner: core::Vault::open(path, core_options)? }))
    }
}

#[uniffi::export]
impl Vault {
    /// Opens (creating if needed) the vault in directory `path`.
    #[uniffi::constructor]
    pub fn open(path: String, options: VaultOptions) -> Result<Arc<Self>> {
        Self::start(path, options, None)
    }

    /// Opens the vault with the host's network token provider.
    #[uniffi::constructor]
    pub fn open_with_network_tokens(
        path: String,
        options: VaultOptions,
        provider: Arc<dyn NetworkTokenProvider>,
    ) -> Result<Arc<Self>> {
        Self::start(path, options, Some(Arc::new(HostProvider(provider))))
    }

    /// Opens the vault with the built-in network token simulator.
    #[uniffi::constructor]
    pub fn open_with_simulator(
        path: String,
        options: VaultOptions,
        simulator: Arc<NetworkTokenSimulator>,
    ) -> Result<Arc<Self>> {
        Self::start(path, options, Some(simulator.inner.clone()))
    }

    /// Closes the vault for every holder; later calls fail with kind `closed`.
    pub fn shutdown(&self) {
        self.inner.close();
    }

    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    pub fn create_profile(
        &self,
        profile_id: String,
        merchant_id: String,
        settings: Option<ProfileSettings>,
    ) -> Result<Profile> {
        let request = core::ProfileCreate {
            profile_id: self::profile_id(&profile_id)?,
            merchant_id: core::MerchantId::parse(&merchant_id)?,
            settings: settings_in(settings.unwrap_or_default())?,
        };
        Ok(self.inner.create_profile(request).map_err(core::ProfileSettings::named_in_seconds)?.into())
    }

    pub fn get_profile(&self, profile_id: String) -> Result<Profile> {
        Ok(self.inner.get_profile(&self::profile_id(&profile_id)?)?.into())
    }

    pub fn list_profiles(&self) -> Result<Vec<Profile>> {
        Ok(self.inner.list_profiles()?.into_iter().map(Into::into).collect())
    }

    pub fn update_profile_settings(&self, profile_id: String, settings: ProfileSettings) -> Result<Profile> {
        let id = self::profile_id(&profile_id)?;
        Ok(self
            .inner
            .update_profile_settings(&id, settings_in(settings)?)
            .map_err(core::ProfileSettings::named_in_seconds)?
            .into())
    }

    /// The profile with every right (for the trusted host process).
    pub fn profile(self: Arc<Self>, profile_id: String) -> Result<Arc<ProfileScope>> {
        let scope = self.inner.profile(&self::profile_id(&profile_id)?)?;
        Ok(Arc::new(ProfileScope::new(scope, self)))
    }

    /// The profile as an API key may use it (limited to the key's scopes).
    pub fn authenticate(self: Arc<Self>, api_key: String, profile_id: String) -> Result<Arc<ProfileScope>> {
        let scope = self.inner.authenticate(&api_key, &self::profile_id(&profile_id)?)?;
        Ok(Arc::new(ProfileScope::new(scope, self)))
    }

    pub fn create_api_key(&self, profile_id: String, request: ApiKeyCreate) -> Result<Arc<ApiKeyCreated>> {
        let request = core::ApiKeyCreate {
            name: request.name,
            scopes: request.scopes.into(),
            expires_at: request.expires_at.map(convert::timestamp),
        };
        let created = self.inner.create_api_key(&self::profile_id(&profile_id)?, request)?;
        Ok(Arc::new(created.into()))
    }

    pub fn list_api_keys(&self, profile_id: String) -> Result<Vec<ApiKey>> {
        Ok(self.inner.list_api_keys(&self::profile_id(&profile_id)?)?.into_iter().map(Into::into).collect())
    }

    pub fn revoke_api_key(&self, profile_id: String, api_key_id: String) -> Result<ApiKey> {
        let key = core::ApiKeyId::parse(&api_key_id)?;
        Ok(self.inner.revoke_api_key(&self::profile_id(&profile_id)?, &key)?.into())
    }

    /// Up to `limit` (1 to 1000) events from position `from` on.
    pub fn list_audit(&self, profile_id: String, from: i64, limit: i64) -> Result<Vec<AuditEvent>> {
        let from = u64::try_from(from)
            .map_err(|_| core::Error::InvalidValue { field: "from".into(), reason: "must not be negative".into() })?;
        let limit = u32::try_from(limit).unwrap_or(0);
        Ok(self.inner.list_audit(&self::profile_id(&profile_id)?, from, limit)?.into_iter().map(Into::into).collect())
    }

    pub fn verify_audit(&self, profile_id: String) -> Result<AuditVerification> {
        Ok(self.inner.verify_audit(&self::profile_id(&profile_id)?)?.into())
    }

    pub fn purge_expired(&self) -> Result<PurgeReport> {
        Ok(self.inner.purge_expired()?.into())
    }

    pub fn stats(&self) -> Result<VaultStats> {
        Ok(self.inner.stats()?.into())
    }

    /// One profile's counts (without entering every other profile, as `stats` does).
    pub fn profile_stats(&self, profile_id: String) -> Result<ProfileStats> {
        Ok(self.inner.profile_stats(&self::profile_id(&profile_id)?)?.into())
    }

    pub fn verify(&self) -> Result<VerifyReport> {
        Ok(self.inner.verify(&mut |_| {})?.into())
    }

    /// A consistent copy of the vault in `dir`, which must not exist yet.
    pub fn checkpoint(&self, dir: String) -> Result<()> {
        Ok(self.inner.checkpoint(dir)?)
    }

    pub fn rotate_profile_key(&self, profile_id: String) -> Result<Profile> {
        Ok(self.inner.rotate_profile_key(&self::profile_id(&profile_id)?)?.into())
    }

    /// Moves every value of the profile to its newest key version, then retires the old.
    pub fn reencrypt_profile(&self, profile_id: String) -> Result<ReencryptReport> {
        let options = core::ReencryptOptions::default();
        let report = self.inner.reencrypt_profile(&self::profile_id(&profile_id)?, options, &mut |_| {
            std::ops::ControlFlow::Continue(())
        })?;
        Ok(report.into())
    }

    /// Moves every profile still under another master key than the ring's active one to a
    /// new key version under it, re-encrypting everything; then the old master key is no
    /// longer needed. Refused (`HE_00` `integrity`) while a profile's record is damaged.
    pub fn rotate_master_key(&self) -> Result<Vec<ReencryptReport>> {
        let reports = self.inner.rotate_master_key(&mut |_| std::ops::ControlFlow::Continue(()))?;
        Ok(reports.into_iter().map(Into::into).collect())
    }

    pub fn destroy_profile(&self, profile_id: String) -> Result<()> {
        Ok(self.inner.destroy_profile(&self::profile_id(&profile_id)?)?)
    }
}
