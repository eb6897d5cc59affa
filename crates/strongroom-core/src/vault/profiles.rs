//! Profiles: create, read, list, change settings; and the cache of their keys.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::RwLock;

use crate::crypto::chain_mac::ChainKey;
use crate::crypto::random::os_bytes;
use crate::crypto::{Key32, KeyPurpose, MasterKeyRing, ProfileKeys};
use crate::error::{Error, ObjectKind, Result};
use crate::model::audit::{AuditAction, AuditActor};
use crate::model::ids::ProfileId;
use crate::model::profile::{Profile, ProfileCreate, ProfileSettings};
use crate::store::codec;
use crate::store::records::{KeyState, KeyVersionRecord, ProfileRecord, StoredSettings};
use crate::store::{Batch, Cf, keys};
use crate::vault::audit::PendingEvent;
use crate::vault::profile_map::ProfileMap;
use crate::vault::scope::ProfileScope;
use crate::vault::{Vault, contexts};

/// A profile as operations need it: its record, settings and keys.
pub(crate) struct ProfileState {
    pub(crate) record: ProfileRecord,
    pub(crate) settings: ProfileSettings,
    pub(crate) keys: ProfileKeys,
    api_key_hmac_key: OnceLock<Key32>,
    chain_key: OnceLock<ChainKey>,
}

impl ProfileState {
    pub(crate) fn new(record: ProfileRecord, ring: Arc<MasterKeyRing>) -> Self {
        let active = record.active_version().map_or(0, |v| v.version);
        let keys = ProfileKeys::new(
            record.id.as_str(),
            record.salt,
            record.key_versions.iter().map(|v| (v.version, v.master_key_id.clone())),
            active,
            ring,
        );
        let settings = settings_from_stored(record.id.as_str(), &record.settings);
        Self { record, settings, keys, api_key_hmac_key: OnceLock::new(), chain_key: OnceLock::new() }
    }

    /// The key API key secrets are HMACed with (opened on first use).
    pub(crate) fn api_key_hmac_key(&self) -> Result<&Key32> {
        if let Some(key) = self.api_key_hmac_key.get() {
            return Ok(key);
        }
        let ctx = contexts::api_key_hmac_key(self.id());
        let plain = self.keys.open(KeyPurpose::Data, &ctx, &self.record.api_key_hmac_key)?;
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| Error::integrity("API key HMAC key"))?;
        Ok(self.api_key_hmac_key.get_or_init(|| Key32::from_bytes(bytes)))
    }

    /// The key of the profile's audit chain, derived from the API key HMAC key (which
    /// re-encryption never changes).
    pub(crate) fn chain_key(&self) -> Result<&ChainKey> {
        if let Some(key) = self.chain_key.get() {
            return Ok(key);
        }
        let key = ChainKey::derive(self.api_key_hmac_key()?);
        Ok(self.chain_key.get_or_init(|| key))
    }

    pub(crate) fn id(&self) -> &str {
        self.record.id.as_str()
    }

    pub(crate) fn view(&self) -> Profile {
        Profile {
            id: self.record.id.clone(),
            merchant_id: self.record.merchant_id.clone(),
            settings: self.settings.clone(),
            created_at: self.record.created_at,
            active_key_version: self.keys.active_version(),
            readable_key_versions: {
                let mut versions: Vec<u32> = self.keys.versions().collect();
                versions.sort_unstable();
                versions
            },
        }
    }
}

/// The settings a profile record holds, each time to live kept within the range that
/// creating or changing the settings allows: the record is in clear, under a checksum
/// anyone can recompute, and an edited CVC time to live must not keep CVCs past 24 hours.
fn settings_from_stored(profile: &str, s: &StoredSettings) -> ProfileSettings {
    let within = |what: &str, ms: u64, max: Duration| {
        let ttl = Duration::from_millis(ms);
        let kept = ttl.clamp(ProfileSettings::MIN_TTL, max);
        if kept != ttl {
            tracing::warn!(profile, setting = what, "stored time to live out of range; using the nearest allowed");
        }
        kept
    };
    ProfileSettings {
        cvc_ttl: within("cvc_ttl", s.cvc_ttl_ms, ProfileSettings::MAX_CVC_TTL),
        volatile_ttl: within("volatile_ttl", s.volatile_ttl_ms, ProfileSettings::MAX_VOLATILE_TTL),
        expose_card_fingerprint: s.expose_card_fingerprint,
    }
}

fn settings_to_stored(s: &ProfileSettings) -> StoredSettings {
    StoredSettings {
        cvc_ttl_ms: u64::try_from(s.cvc_ttl.as_millis()).unwrap_or(u64::MAX),
        volatile_ttl_ms: u64::try_from(s.volatile_ttl.as_millis()).unwrap_or(u64::MAX),
        expose_card_fingerprint: s.expose_card_fingerprint,
    }
}

/// Profiles' derived keys, bounded. An evicted entry's keys are zeroized when the last
/// operation using it finishes.
pub(crate) struct ProfileCache {
    entries: RwLock<ProfileMap<Arc<ProfileState>>>,
    /// Counts `replace` and `remove` calls. A state read from the store before one may be
    /// older than the one that call cached (and that may have been evicted since), so it
    /// is not cached: otherwise a writer could later copy its record and write back a
    /// profile without its newest key version.
    changes: AtomicU64,
    capacity: usize,
}

impl ProfileCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { entries: RwLock::new(ProfileMap::default()), changes: AtomicU64::new(0), capacity: capacity.max(1) }
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<ProfileState>> {
        self.entries.read().get(id).cloned()
    }

    /// What to pass to `insert_read` for a state about to be read from the store.
    pub(crate) fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Caches a state read from the store after `changes()` returned `seen`. If one is
    /// cached already, that one is returned. If the cache changed since `seen`, the state
    /// is handed back uncached (`Err`): it may be older than what changed it.
    pub(crate) fn insert_read(&self, state: ProfileState, seen: u64) -> Result<Arc<ProfileState>, Arc<ProfileState>> {
        let mut entries = self.entries.write();
        if let Some(existing) = entries.get(state.id()) {
            return Ok(existing.clone());
        }
        let state = Arc::new(state);
        if self.changes.load(Ordering::Acquire) != seen {
            return Err(state);
        }
        self.make_room(&mut entries);
        entries.insert(state.id().to_owned(), state.clone());
        Ok(state)
    }

    pub(crate) fn remove(&self, id: &str) {
        let mut entries = self.entries.write();
        self.changes.fetch_add(1, Ordering::AcqRel);
        entries.remove(id);
    }

    /// Replaces the cached state after the profile record changed.
    pub(crate) fn replace(&self, state: impl Into<Arc<ProfileState>>) -> Arc<ProfileState> {
        let mut entries = self.entries.write();
        self.changes.fetch_add(1, Ordering::AcqRel);
        self.make_room(&mut entries);
        let state: Arc<ProfileState> = state.into();
        entries.insert(state.id().to_owned(), state.clone());
        state
    }

    fn make_room(&self, entries: &mut ProfileMap<Arc<ProfileState>>) {
        while entries.len() >= self.capacity {
            let Some(victim) = entries.keys().next().cloned() else {
                break;
            };
            entries.remove(&victim);
        }
    }
}

impl Vault {
    /// Creates a profile with a fresh random salt and key version 1 under the active
    /// master key. `HE_01` if the id is taken.
    pub fn create_profile(&self, request: ProfileCreate) -> Result<Profile> {
        request.settings.validate()?;
        let engine = self.engine()?;
        let id = request.profile_id.as_str();
        let _guard = engine.locks.lock(&[b"profile", id.as_bytes()]);
        if engine.store.get(Cf::Profiles, &keys::profile(id))?.is_some() {
            return Err(Error::Duplicate { object: ObjectKind::Profile, field: "profile_id".into() });
        }
        let now = engine.now();
        let mut record = ProfileRecord {
            id: request.profile_id.clone(),
            merchant_id: request.merchant_id,
            created_at: now,
            modified_at: now,
            settings: settings_to_stored(&request.settings),
            salt: os_bytes::<32>()?,
            key_versions: vec![KeyVersionRecord {
                version: 1,
                master_key_id: engine.ring.active_id().clone(),
                state: KeyState::Active,
                created_at: now,
            }],
            api_key_hmac_key: Vec::new(),
        };
        let hmac_key = zeroize::Zeroizing::new(os_bytes::<32>()?);
        let keys_only = ProfileState::new(record.clone(), engine.ring.clone());
        record.api_key_hmac_key =
            keys_only.keys.seal(KeyPurpose::Data, &contexts::api_key_hmac_key(id), hmac_key.as_slice())?;
        let mut batch = Batch::default();
        batch.put(Cf::Profiles, keys::profile(id), codec::encode(&record)?);
        // Cached only once written: until then no other call finds the profile.
        let state = Arc::new(ProfileState::new(record, engine.ring.clone()));
        let event = PendingEvent::success(AuditActor::Internal, AuditAction::ProfileCreated, Some(id.to_owned()));
        engine.commit_new_profile(&state, batch, vec![event])?;
        Ok(engine.profiles.replace(state).view())
    }

    pub fn get_profile(&self, id: &ProfileId) -> Result<Profile> {
        Ok(self.engine()?.profile_state(id.as_str())?.view())
    }

    /// Every profile, ordered by id. A profile whose record is damaged is left out: calls on
    /// it fail with an integrity error, and `verify` reports it.
    pub fn list_profiles(&self) -> Result<Vec<Profile>> {
        let engine = self.engine()?;
        Ok(engine
            .stored_profiles()?
            .readable
            .into_iter()
            .map(|record| ProfileState::new(record, engine.ring.clone()).view())
            .collect())
    }

    /// Replaces a profile's settings. New TTLs apply to CVCs and payment methods stored
    /// from now on.
    pub fn update_profile_settings(&self, id: &ProfileId, settings: ProfileSettings) -> Result<Profile> {
        settings.validate()?;
        let engine = self.engine()?;
        let _guard = engine.locks.lock(&[b"profile", id.as_str().as_bytes()]);
        let mut record = engine.profile_state(id.as_str())?.record.clone();
        record.settings = settings_to_stored(&settings);
        record.modified_at = engine.now();
        let mut batch = Batch::default();
        batch.put(Cf::Profiles, keys::profile(id.as_str()), codec::encode(&record)?);
        let event =
            PendingEvent::success(AuditActor::Internal, AuditAction::ProfileSettingsUpdated, Some(id.to_string()));
        engine.commit(id.as_str(), batch, vec![event])?;
        Ok(engine.profiles.replace(ProfileState::new(record, engine.ring.clone())).view())
    }

    /// The profile, with every right (for trusted in-process callers). `HE_02` if it does
    /// not exist.
    pub fn profile(&self, id: &ProfileId) -> Result<ProfileScope> {
        self.engine()?.profile_state(id.as_str())?;
        Ok(ProfileScope::internal(self.clone(), id.clone()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::crypto::{MasterKey, MasterKeyId};
    use crate::model::ids::MerchantId;
    use crate::model::time::Timestamp;

    /// A profile's state with `versions` key versions (the last one active), no vault.
    pub(crate) fn profile_state(id: &str, versions: u32) -> ProfileState {
        let ring = Arc::new(MasterKeyRing::single(
            MasterKeyId::parse("k1").unwrap(),
            MasterKey::from_slice(&[7; 32]).unwrap(),
        ));
        let at = Timestamp::from_millis(1);
        let record = ProfileRecord {
            id: ProfileId::parse(id).unwrap(),
            merchant_id: MerchantId::parse("m").unwrap(),
            created_at: at,
            modified_at: at,
            settings: StoredSettings { cvc_ttl_ms: 1, volatile_ttl_ms: 1, expose_card_fingerprint: false },
            salt: [1; 32],
            key_versions: (1..=versions)
                .map(|version| KeyVersionRecord {
                    version,
                    master_key_id: MasterKeyId::parse("k1").unwrap(),
                    state: if version == versions { KeyState::Active } else { KeyState::DecryptOnly },
                    created_at: at,
                })
                .collect(),
            api_key_hmac_key: Vec::new(),
        };
        ProfileState::new(record, ring)
    }

    /// A reader that read the profile before a rotation cached its new state must not
    /// cache its older one, even after the new one was evicted.
    #[test]
    fn a_state_read_before_a_change_is_not_cached() {
        let cache = ProfileCache::new(1);
        let seen = cache.changes();
        let before_rotation = profile_state("pro_a", 1);
        cache.replace(profile_state("pro_a", 2));
        cache.replace(profile_state("pro_b", 1)); // evicts pro_a
        assert!(cache.get("pro_a").is_none());
        let refused = cache.insert_read(before_rotation, seen).err().expect("refused");
        assert_eq!(refused.keys.active_version(), 1, "handed back, not cached");
        assert!(cache.get("pro_a").is_none());

        let seen = cache.changes();
        let read_now = cache.insert_read(profile_state("pro_a", 2), seen).ok().expect("cached");
        assert_eq!(read_now.keys.active_version(), 2);
        assert_eq!(cache.get("pro_a").map(|s| s.keys.active_version()), Some(2));
        let older = cache.insert_read(profile_state("pro_a", 1), seen).ok().expect("the cached one");
        assert_eq!(older.keys.active_version(), 2, "an entry already cached wins");
    }
}
