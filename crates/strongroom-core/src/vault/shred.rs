//! Crypto-shredding: destroying a profile removes its salt and key set, so nothing sealed
//! for it can ever be derived again, and removes its records from the files.

use crate::error::{Error, InternalError, ObjectKind, Result};
use crate::model::ids::ProfileId;
use crate::store::{Batch, Cf, KeyRange, keys};
use crate::vault::Vault;
use crate::vault::engine::Engine;
use crate::vault::network_tokens;

/// Every key range a profile owns: its record (with the salt) and its prefix in every
/// other family but the vault's metadata.
fn owned_ranges(profile: &str) -> Vec<(Cf, KeyRange)> {
    let owned = KeyRange::prefix(keys::profile_prefix(profile));
    let record_key = keys::profile(profile);
    let profile_range = KeyRange { start: record_key.clone(), end: [record_key.as_slice(), &[0]].concat() };
    let mut ranges = vec![(Cf::Profiles, profile_range)];
    ranges
        .extend(Cf::ALL.into_iter().filter(|cf| !matches!(cf, Cf::Meta | Cf::Profiles)).map(|cf| (cf, owned.clone())));
    ranges
}

/// The note a destroy leaves until it is done: its cards' token references (references
/// are letters, digits and `_-.:`, so one per line).
fn pending_note(token_refs: &[String]) -> Vec<u8> {
    token_refs.join("\n").into_bytes()
}

fn noted_refs(note: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(note).split('\n').filter(|r| !r.is_empty()).map(str::to_owned).collect()
}

/// Deletes a destroyed profile's tokens at the provider, then forgets that its destroy was
/// pending.
fn forget_destroy(engine: &Engine, profile: &str, token_refs: &[String]) -> Result<()> {
    network_tokens::delete_refs_at_provider(engine, token_refs);
    let mut batch = Batch::default();
    batch.delete(Cf::Meta, keys::meta::destroying(profile));
    engine.store.write(batch)
}

/// Purges a destroyed profile's ranges from the files (flush, compaction, reopen), then
/// deletes its tokens and forgets the destroy.
fn finish_destroy(engine: &Engine, profile: &str, note: &[u8]) -> Result<()> {
    engine.store.purge(&owned_ranges(profile))?;
    forget_destroy(engine, profile, &noted_refs(note))
}

/// At open: finishes the destroys a crash or a failed purge interrupted, whose profiles are
/// gone from every read but whose bytes may still be in the files. One that fails again is
/// left for the next open (or a `destroy_profile` of the same id), and logged.
pub(crate) fn finish_interrupted_destroys(engine: &Engine) -> Result<()> {
    let pending = engine.store.scan(Cf::Meta, &KeyRange::prefix(keys::meta::DESTROYING.to_vec()), usize::MAX)?;
    for (key, note) in pending {
        let Ok(profile) = std::str::from_utf8(&key[keys::meta::DESTROYING.len()..]) else { continue };
        if let Err(e) = finish_destroy(engine, profile, &note) {
            tracing::warn!(code = e.code(), "could not finish purging a destroyed profile's files; will retry");
        }
    }
    Ok(())
}

impl Vault {
    /// Destroys a profile: its salt and key versions, every record and index entry, its
    /// API keys and audit chain; then deletes its cards' network tokens at the provider
    /// (best effort). Waits for running operations of the profile, then
    /// flushes and compacts the affected ranges so the deleted bytes leave the files, and
    /// reopens the database so that no write-ahead log kept for reuse still holds them
    /// (other profiles' calls wait for that reopen: tens of milliseconds, longer if a
    /// checkpoint is running; the block cache starts empty after it). If the reopen fails,
    /// the error says why and every later call tries to open the database again.
    ///
    /// The deletes are written with a note that the purge is pending (with the token
    /// references), removed once the purge and the provider's deletes are done: if the
    /// process stops or the purge fails in between, the next open (or calling this again
    /// for the same id) finishes both.
    ///
    /// A profile whose record is damaged (`verify` reports it) can be destroyed too: its
    /// records go the same way, but no network token reference is sent to the provider,
    /// since without the profile's keys none can be checked against its token.
    ///
    /// Backups taken before (checkpoints, copies) still hold the salt, and the profile's
    /// audit events in clear; destroy them too.
    pub fn destroy_profile(&self, profile_id: &ProfileId) -> Result<()> {
        let engine = self.engine()?;
        let profile = profile_id.as_str();
        let runtime = match engine.runtime(profile) {
            Ok(runtime) => runtime,
            Err(e @ Error::NotFound { object: ObjectKind::Profile, .. }) => {
                return match engine.store.get(Cf::Meta, &keys::meta::destroying(profile))? {
                    Some(note) => finish_destroy(&engine, profile, &note),
                    None => Err(e),
                };
            }
            // A damaged profile record: its records can still be removed.
            Err(Error::Internal(InternalError::Integrity { .. })) => engine.runtimes.get(profile),
            Err(e) => return Err(e),
        };
        let _exclusive = runtime.gate.write();
        let _guard = engine.locks.lock(&[b"profile", profile.as_bytes()]);
        let token_refs = match engine.profile_state(profile) {
            Ok(state) => network_tokens::active_refs_of_profile(&engine, &state)?,
            Err(Error::Internal(InternalError::Integrity { .. })) => {
                // Without the profile's keys no token number opens, so no reference can be
                // trusted to name this profile's token: none is sent to the provider.
                tracing::warn!(
                    code = "HE_00",
                    "destroying a profile whose record is damaged: its cards' network tokens, if any, stay at the provider"
                );
                Vec::new()
            }
            Err(e) => {
                if matches!(e, Error::NotFound { .. }) {
                    // Destroyed meanwhile: leave no runtime behind for an id that names no
                    // profile (the profile lock keeps a new one from being created now).
                    engine.runtimes.remove(profile);
                }
                return Err(e);
            }
        };

        let mut batch = Batch::default();
        for (cf, range) in owned_ranges(profile) {
            batch.delete_range(cf, range);
        }
        batch.put(Cf::Meta, keys::meta::destroying(profile), pending_note(&token_refs));
        engine.store.write(batch)?;
        engine.profiles.remove(profile);
        engine.runtimes.remove(profile);
        engine.store.purge(&owned_ranges(profile))?;
        // The provider's calls wait for no lock of the vault's.
        drop((_guard, _exclusive));
        forget_destroy(&engine, profile, &token_refs)
    }
}
