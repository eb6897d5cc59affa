//! What an open vault holds: the store, the master keys, the clock, the lock table and
//! the profile cache; and the open-time checks of the master keys.

use std::sync::Arc;

use crate::crypto::MasterKeyRing;
use crate::error::{Error, InternalError, Result};
use crate::model::ids::CellId;
use crate::model::time::Timestamp;
use crate::store::backend::{SCAN_CHUNK_BYTES, scan_in_chunks};
use crate::store::codec::{self, Record};
use crate::store::records::{MasterKeyCheck, ProfileRecord, VaultFormat};
use crate::store::{Batch, Cf, KeyRange, Store, keys};
use crate::vault::locks::LockTable;
use crate::vault::options::{Clock, VaultOptions};
use crate::vault::profiles::{ProfileCache, ProfileState};
use crate::vault::runtime::{ProfileRuntime, Runtimes};

/// The on-disk format this build writes. 2: ids inside records and index values in their
/// stored form (`store::stored_id`). 3: audit events and the chain head in clear with a
/// keyed mac instead of sealed (`vault::audit`).
pub(crate) const VAULT_FORMAT: u32 = 3;
/// The oldest format this build opens. Older vaults need no rewrite (this build decodes
/// every record and audit event they hold); opening one records the current format, so
/// that a build which only knows the older one refuses the vault instead of meeting
/// records it cannot decode.
pub(crate) const OLDEST_VAULT_FORMAT: u32 = 1;

pub(crate) struct Engine {
    pub(crate) store: Box<dyn Store>,
    pub(crate) ring: Arc<MasterKeyRing>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cell: Option<CellId>,
    pub(crate) locks: LockTable,
    pub(crate) profiles: ProfileCache,
    pub(crate) runtimes: Runtimes,
    pub(crate) network_tokens: Option<Arc<dyn crate::network_token::NetworkTokenProvider>>,
}

impl Engine {
    pub(crate) fn start(store: Box<dyn Store>, options: VaultOptions) -> Result<Self> {
        let engine = Self {
            store,
            ring: Arc::new(options.master_keys),
            clock: options.clock,
            cell: options.cell_id,
            locks: LockTable::new(),
            profiles: ProfileCache::new(options.profile_cache_capacity),
            runtimes: Runtimes::default(),
            network_tokens: options.network_token_provider,
        };
        engine.check_format_and_keys()?;
        crate::vault::shred::finish_interrupted_destroys(&engine)?;
        Ok(engine)
    }

    /// Creates the vault's metadata on first open; on every open, checks each supplied
    /// master key against its stored check value and that every master key the profiles
    /// depend on was supplied.
    fn check_format_and_keys(&self) -> Result<()> {
        let now = self.now();
        let mut batch = Batch::default();
        match self.store.get(Cf::Meta, keys::meta::FORMAT)? {
            None => {
                let format = VaultFormat { version: VAULT_FORMAT, created_at: now };
                batch.put(Cf::Meta, keys::meta::FORMAT.to_vec(), codec::encode(&format)?);
            }
            Some(bytes) => {
                let format: VaultFormat = codec::decode(&bytes)?;
                if !(OLDEST_VAULT_FORMAT..=VAULT_FORMAT).contains(&format.version) {
                    return Err(Error::storage(format!(
                        "vault format {} is not supported by this version (supports {OLDEST_VAULT_FORMAT} to {VAULT_FORMAT})",
                        format.version
                    )));
                }
                if format.version < VAULT_FORMAT {
                    let upgraded = VaultFormat { version: VAULT_FORMAT, created_at: format.created_at };
                    batch.put(Cf::Meta, keys::meta::FORMAT.to_vec(), codec::encode(&upgraded)?);
                }
            }
        }
        for (id, key) in self.ring.entries() {
            let check_key = keys::meta::key_check(id.as_str());
            match self.store.get(Cf::Meta, &check_key)? {
                Some(bytes) => {
                    let stored: MasterKeyCheck = codec::decode(&bytes)?;
                    if !key.matches_check_value(&stored.check_value) {
                        return Err(InternalError::WrongMasterKey { key_id: id.to_string() }.into());
                    }
                }
                None => {
                    let check =
                        MasterKeyCheck { master_key_id: id.clone(), check_value: key.check_value(), added_at: now };
                    batch.put(Cf::Meta, check_key, codec::encode(&check)?);
                }
            }
        }
        let profiles = self.stored_profiles()?;
        if !profiles.damaged.is_empty() {
            // Their keys cannot be checked; every call on them fails with an integrity error.
            tracing::warn!(
                code = "HE_00",
                damaged = profiles.damaged.len(),
                first = ?profiles.damaged.iter().take(10).collect::<Vec<_>>(),
                "profile records that do not decode or name another profile were skipped; `verify` reports them"
            );
        }
        for record in &profiles.readable {
            for version in &record.key_versions {
                if self.ring.get(&version.master_key_id).is_none() {
                    return Err(InternalError::MissingMasterKey { key_id: version.master_key_id.to_string() }.into());
                }
            }
        }
        if !batch.is_empty() {
            self.store.write(batch)?;
        }
        Ok(())
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Every profile's record, and the ids of those whose record is damaged: one damaged
    /// record must not keep the other profiles from opening, listing or rotating.
    pub(crate) fn stored_profiles(&self) -> Result<StoredProfiles> {
        let mut profiles = StoredProfiles::default();
        for (key, value) in self.store.scan(Cf::Profiles, &KeyRange::prefix(Vec::new()), usize::MAX)? {
            match codec::decode(&value).and_then(|record| stored_under(record, &key)) {
                Ok(record) => profiles.readable.push(record),
                Err(Error::Internal(InternalError::Integrity { .. })) => {
                    profiles.damaged.push(String::from_utf8_lossy(&key).into_owned());
                }
                Err(e) => return Err(e),
            }
        }
        Ok(profiles)
    }

    /// The profile's settings and keys, from the cache or the store. A state read while a
    /// writer changed the cache is used once but not cached (`ProfileCache::insert_read`).
    pub(crate) fn profile_state(&self, id: &str) -> Result<Arc<ProfileState>> {
        if let Some(state) = self.profiles.get(id) {
            return Ok(state);
        }
        let mut tries = 0;
        loop {
            let seen = self.profiles.changes();
            let key = keys::profile(id);
            let record = self
                .get_record(Cf::Profiles, &key)?
                .ok_or_else(|| Error::not_found(crate::error::ObjectKind::Profile, "profile_id"))?;
            let record = stored_under(record, &key)?;
            match self.profiles.insert_read(ProfileState::new(record, self.ring.clone()), seen) {
                Ok(state) => return Ok(state),
                Err(state) if tries == 2 => return Ok(state),
                Err(_) => tries += 1,
            }
        }
    }

    /// The runtime (gate and commit lane) of a profile named from outside. One is made only
    /// for a profile that exists, so unknown ids (an API key naming no profile, a mistyped
    /// id) leave no entry behind: the map only ever holds profiles that were created.
    pub(crate) fn runtime(&self, id: &str) -> Result<Arc<ProfileRuntime>> {
        if let Some(runtime) = self.runtimes.existing(id) {
            return Ok(runtime);
        }
        self.profile_state(id)?;
        Ok(self.runtimes.get(id))
    }

    /// The runtime of a profile named from outside, with its gate held as `enter` takes it
    /// (shared by operations, exclusive by rotations), checked once held not to be retired.
    /// A destroy while the caller waited for the gate retires the runtime, and a create of
    /// the same id then makes another: without the check the caller would run under the
    /// destroyed profile's gate, unordered with the new profile's rotations and destroy
    /// (and an API key scope's revocation counter). The check is one atomic load.
    pub(crate) fn entered<G>(
        &self,
        profile: &str,
        mut enter: impl FnMut(&Arc<ProfileRuntime>) -> G,
    ) -> Result<(Arc<ProfileRuntime>, G)> {
        loop {
            let runtime = self.runtime(profile)?;
            let gate = enter(&runtime);
            if !runtime.is_retired() {
                return Ok((runtime, gate));
            }
        }
    }

    /// Calls `f` on every entry of `range`, in key order, reading in chunks of up to 10,000
    /// entries and about 8 MiB. Large ones: an ordered read of payment methods first sorts
    /// their memtable (store/rocks.rs), which chunks of 1,000 made cost more than the scan
    /// itself (stats on 40,000 fresh cards took 0.59 s instead of 0.09 s).
    pub(crate) fn scan_all(&self, cf: Cf, range: &KeyRange, f: impl FnMut(&[u8], &[u8]) -> Result<()>) -> Result<()> {
        const CHUNK: usize = 10_000;
        scan_in_chunks(self.store.as_ref(), cf, range, CHUNK, SCAN_CHUNK_BYTES, f)
    }

    /// Reads and decodes one record.
    pub(crate) fn get_record<R: Record>(&self, cf: Cf, key: &[u8]) -> Result<Option<R>> {
        let mut record = None;
        self.store.get_in_place(cf, key, &mut |bytes| {
            record = bytes.map(codec::decode).transpose()?;
            Ok(())
        })?;
        Ok(record)
    }
}

/// The profiles' records as stored (`Engine::stored_profiles`).
#[derive(Default)]
pub(crate) struct StoredProfiles {
    /// In id order.
    pub(crate) readable: Vec<ProfileRecord>,
    /// The ids of profiles whose record does not decode (damaged or edited in the files)
    /// or names another profile: calls on them fail with an integrity error.
    pub(crate) damaged: Vec<String>,
}

/// A profile's record read under `key`, which must be its id.
fn stored_under(record: ProfileRecord, key: &[u8]) -> Result<ProfileRecord> {
    if record.id.as_str().as_bytes() != key {
        return Err(Error::integrity("profile (stored under another id)"));
    }
    Ok(record)
}

#[cfg(all(test, feature = "rocksdb"))]
mod tests {
    use std::sync::Arc;

    use crate::{MasterKey, MasterKeyId, MasterKeyRing, ProfileId, Vault, VaultOptions};

    /// An id naming no profile, however it arrives (an API key's profile, the audit calls,
    /// a destroy), is refused without leaving a runtime behind: the runtime map only holds
    /// profiles that were created, which is what lets it use a cheap hash.
    #[test]
    fn unknown_profiles_leave_no_runtime_behind() {
        let dir = tempfile::tempdir().unwrap();
        let ring = MasterKeyRing::single(MasterKeyId::parse("k1").unwrap(), MasterKey::from_slice(&[7; 32]).unwrap());
        let vault = Vault::open(dir.path(), VaultOptions::new(ring)).unwrap();
        for i in 0..50 {
            let id = ProfileId::parse(&format!("pro_unknown_{i}")).unwrap();
            assert!(vault.authenticate("sk_not_a_key", &id).is_err());
            assert!(vault.list_audit(&id, 0, 10).is_err());
            assert!(vault.verify_audit(&id).is_err());
            assert!(vault.destroy_profile(&id).is_err());
            assert!(vault.profile(&id).is_err());
        }
        let engine = vault.engine().unwrap();
        assert!((0..50).all(|i| engine.runtimes.existing(&format!("pro_unknown_{i}")).is_none()));
    }

    /// A caller that took the profile's runtime before a destroy, and got its gate only
    /// after the destroy and a create of the same id had replaced the runtime, enters the
    /// new runtime's gate instead.
    #[test]
    fn entering_a_profile_replaced_while_waiting_takes_its_new_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let ring = MasterKeyRing::single(MasterKeyId::parse("k1").unwrap(), MasterKey::from_bytes([3; 32]));
        let vault = Vault::open(dir.path(), VaultOptions::new(ring)).unwrap();
        vault
            .create_profile(crate::ProfileCreate {
                profile_id: ProfileId::parse("pro_a").unwrap(),
                merchant_id: crate::MerchantId::parse("m").unwrap(),
                settings: crate::ProfileSettings::default(),
            })
            .unwrap();
        let engine = vault.engine().unwrap();
        let before = engine.runtime("pro_a").unwrap();
        let mut waits = 0;
        let (runtime, _gate) = engine
            .entered("pro_a", |runtime| {
                waits += 1;
                if waits == 1 {
                    // What a destroy and a create of the same id do meanwhile.
                    engine.runtimes.remove("pro_a");
                    engine.runtimes.get("pro_a");
                }
                runtime.enter()
            })
            .unwrap();
        assert_eq!(waits, 2, "entered again");
        assert!(!Arc::ptr_eq(&runtime, &before));
        assert!(Arc::ptr_eq(&runtime, &engine.runtimes.existing("pro_a").unwrap()));
    }
}
