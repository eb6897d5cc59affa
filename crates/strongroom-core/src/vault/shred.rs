//! Crypto-shredding: destroying a profile removes its salt and key set, so nothing sealed
//! for it can ever be derived again, and removes its records from the files.

use subtle::ConstantTimeEq;

use crate::crypto::{MasterKey, MasterKeyId, MasterKeyRing};
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

/// The note a destroy leaves until it is done, with its cards' token references:
///
/// ```text
/// 2 | master key id length u8 | master key id | mac 32 | references, one per line
/// ```
///
/// (references are letters, digits and `_-.:`). The mac, HMAC-SHA256 under the named master
/// key, covers the profile id and the references: the profile's own keys are gone by the
/// time the note is read. A note that does not check out (written into the files by
/// someone without the master key, or by a build before the mac, which wrote the
/// references alone) still has its profile purged, but none of its references is sent to
/// the provider: they could name other cards' tokens.
const NOTE_FORMAT: u8 = 2;
const NOTE_LABEL: &[u8] = b"strongroom/v1/destroy-note";

fn pending_note(engine: &Engine, profile: &str, token_refs: &[String]) -> Vec<u8> {
    match engine.ring.active() {
        Some(key) => note(engine.ring.active_id(), key, profile, token_refs),
        None => Vec::new(),
    }
}

fn note(id: &MasterKeyId, key: &MasterKey, profile: &str, token_refs: &[String]) -> Vec<u8> {
    let refs = token_refs.join("\n");
    let mac = key.mac(NOTE_LABEL, &[profile.as_bytes(), refs.as_bytes()]);
    // A master key id is at most 64 characters.
    let id_len = u8::try_from(id.as_str().len()).unwrap_or(u8::MAX);
    [&[NOTE_FORMAT, id_len], id.as_str().as_bytes(), &mac, refs.as_bytes()].concat()
}

/// The references of a note that checks out; none otherwise.
fn noted_refs(engine: &Engine, profile: &str, note: &[u8]) -> Vec<String> {
    let refs = trusted_refs(&engine.ring, profile, note);
    if refs.is_none() && !note.is_empty() {
        tracing::warn!(
            code = "HE_00",
            "a pending destroy's note does not check out: its profile is purged, no token reference is sent to the provider"
        );
    }
    let refs = refs.unwrap_or_default();
    refs.split('\n').filter(|r| network_tokens::valid_ref(r)).map(str::to_owned).collect()
}

fn trusted_refs<'n>(ring: &MasterKeyRing, profile: &str, note: &'n [u8]) -> Option<&'n str> {
    let [NOTE_FORMAT, id_len, rest @ ..] = note else { return None };
    let (id, rest) = rest.split_at_checked(usize::from(*id_len))?;
    let (mac, refs) = rest.split_at_checked(32)?;
    let id = MasterKeyId::parse(std::str::from_utf8(id).ok()?).ok()?;
    let expected = ring.get(&id)?.mac(NOTE_LABEL, &[profile.as_bytes(), refs]);
    bool::from(expected.as_slice().ct_eq(mac)).then_some(())?;
    std::str::from_utf8(refs).ok()
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
    forget_destroy(engine, profile, &noted_refs(engine, profile, note))
}

/// At open: finishes the destroys a crash or a failed purge interrupted, whose profiles are
/// gone from every read but whose bytes may still be in the files. One that fails again is
/// left for the next open (or a `destroy_profile` of the same id), and logged.
pub(crate) fn finish_interrupted_destroys(engine: &Engine) -> Result<()> {
    let pending = engine.store.scan(Cf::Meta, &KeyRange::prefix(keys::meta::DESTROYING.to_vec()), usize::MAX)?;
    for (key, note) in pending {
        let Some(profile) = std::str::from_utf8(&key[keys::meta::DESTROYING.len()..])
            .ok()
            .filter(|profile| ProfileId::parse(profile).is_ok())
        else {
            tracing::warn!(code = "HE_00", "a pending destroy names no profile id: left alone");
            continue;
        };
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
        if runtime.is_retired() {
            // Destroyed by another call while this one waited (and perhaps made again):
            // start over with what the id names now.
            drop(_exclusive);
            return self.destroy_profile(profile_id);
        }
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
        batch.put(Cf::Meta, keys::meta::destroying(profile), pending_note(&engine, profile, &token_refs));
        engine.store.write(batch)?;
        engine.profiles.remove(profile);
        engine.runtimes.remove(profile);
        engine.store.purge(&owned_ranges(profile))?;
        // The provider's calls wait for no lock of the vault's.
        drop((_guard, _exclusive));
        forget_destroy(&engine, profile, &token_refs)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ring() -> MasterKeyRing {
        MasterKeyRing::single(MasterKeyId::parse("k1").unwrap(), MasterKey::from_bytes([0x11; 32]))
    }

    fn refs() -> Vec<String> {
        vec!["ntr_1".to_owned(), "ref-2:x".to_owned()]
    }

    fn written(profile: &str) -> Vec<u8> {
        let ring = ring();
        note(ring.active_id(), ring.active().unwrap(), profile, &refs())
    }

    /// Pins the note's format: a note written before an upgrade must still check out.
    #[test]
    fn golden_note() {
        let golden = include_str!("../../tests/golden/destroy_note_v2.hex").trim();
        assert_eq!(crate::crypto::hex::encode(&written("pro_golden")), golden);
        assert_eq!(trusted_refs(&ring(), "pro_golden", &written("pro_golden")), Some("ntr_1\nref-2:x"));
    }

    #[test]
    fn a_note_checks_out_only_for_its_profile_and_its_key() {
        let note = written("pro_a");
        assert_eq!(trusted_refs(&ring(), "pro_a", &note), Some("ntr_1\nref-2:x"));
        assert_eq!(trusted_refs(&ring(), "pro_b", &note), None);
        let other = MasterKeyRing::single(MasterKeyId::parse("k1").unwrap(), MasterKey::from_bytes([0x12; 32]));
        assert_eq!(trusted_refs(&other, "pro_a", &note), None);
        let unnamed = MasterKeyRing::single(MasterKeyId::parse("k2").unwrap(), MasterKey::from_bytes([0x11; 32]));
        assert_eq!(trusted_refs(&unnamed, "pro_a", &note), None);
        // Notes of earlier builds: the references alone.
        assert_eq!(trusted_refs(&ring(), "pro_a", b"ntr_1\nref-2:x"), None);
        assert_eq!(trusted_refs(&ring(), "pro_a", b""), None);
    }

    proptest! {
        /// Any changed byte, and any cut or addition, makes the note fail to check out.
        #[test]
        fn an_edited_note_does_not_check_out(
            position in any::<prop::sample::Index>(),
            flip in 1u8..=255,
            cut in 1usize..8,
            extra in proptest::collection::vec(any::<u8>(), 1..8),
        ) {
            let note = written("pro_a");
            let mut flipped = note.clone();
            flipped[position.index(note.len())] ^= flip;
            prop_assert_eq!(trusted_refs(&ring(), "pro_a", &flipped), None);
            prop_assert_eq!(trusted_refs(&ring(), "pro_a", &note[..note.len() - cut]), None);
            let extended = [note.as_slice(), &extra].concat();
            prop_assert_eq!(trusted_refs(&ring(), "pro_a", &extended), None);
        }
    }
}
