//! Crypto-shredding: destroying a profile removes its salt and key set, so nothing sealed
//! for it can ever be derived again, and removes its records from the files.

use crate::error::Result;
use crate::model::ids::ProfileId;
use crate::store::{Batch, Cf, KeyRange, keys};
use crate::vault::Vault;

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
    /// Backups taken before (checkpoints, copies) still hold the salt, and the profile's
    /// audit events in clear; destroy them too.
    pub fn destroy_profile(&self, profile_id: &ProfileId) -> Result<()> {
        let engine = self.engine()?;
        let profile = profile_id.as_str();
        let runtime = engine.runtime(profile)?;
        let _exclusive = runtime.gate.write();
        let _guard = engine.locks.lock(&[b"profile", profile.as_bytes()]);
        engine.profile_state(profile)?;
        let token_refs = crate::vault::network_tokens::active_refs_of_profile(&engine, profile)?;

        let owned = KeyRange::prefix(keys::profile_prefix(profile));
        let record_key = keys::profile(profile);
        let profile_range = KeyRange { start: record_key.clone(), end: [record_key.as_slice(), &[0]].concat() };
        let mut ranges = vec![(Cf::Profiles, profile_range)];
        ranges.extend(
            Cf::ALL.into_iter().filter(|cf| !matches!(cf, Cf::Meta | Cf::Profiles)).map(|cf| (cf, owned.clone())),
        );
        let mut batch = Batch::default();
        for (cf, range) in &ranges {
            batch.delete_range(*cf, range.clone());
        }
        engine.store.write(batch)?;
        engine.profiles.remove(profile);
        engine.runtimes.remove(profile);
        let purged = engine.store.purge(&ranges);
        // The provider's calls wait for no lock of the vault's.
        drop((_guard, _exclusive));
        crate::vault::network_tokens::delete_refs_at_provider(&engine, &token_refs);
        purged
    }
}
