//! Key rotation: add a profile key version (new writes use it), move every sealed value to
//! it in resumable batches, then retire the old versions. Master-key rotation is the same,
//! with the new version derived under the ring's new active master key.
//!
//! Re-encryption is resumable by construction: old versions stay readable until the very
//! end, every batch is atomic, and values already on the newest version are skipped (but
//! for a card's details or token number sealed before they were bound to the record's
//! clear fields, which are sealed again bound, `vault/card_binding.rs`). A run stopped (by
//! its progress callback, or by a crash) is resumed by running it again.

use std::ops::ControlFlow;

use crate::crypto::{KeyPurpose, SealContext, envelope};
use crate::error::{Error, Result};
use crate::model::audit::{AuditAction, AuditActor};
use crate::model::card::CardNumber;
use crate::model::ids::ProfileId;
use crate::model::profile::Profile;
use crate::model::reports::{ReencryptOptions, ReencryptProgress, ReencryptReport};
use crate::store::backend::{SCAN_CHUNK_BYTES, chunk_is_full};
use crate::store::codec;
use crate::store::records::{
    CustomerRecord, CvcRecord, KeyState, KeyVersionRecord, PaymentMethodRecord, ProfileRecord, StoredNetworkToken,
};
use crate::store::{Batch, Cf, KeyRange, keys, stored_id};
use crate::vault::audit::{self, PendingEvent, head_value};
use crate::vault::customers::customer_lock_key;
use crate::vault::engine::Engine;
use crate::vault::profiles::ProfileState;
use crate::vault::scope::Op;
use crate::vault::{Vault, contexts, payment_methods};
use crate::vault::{card_binding, customer_binding, cvc_binding};

/// Records read at a time, at most: as many whole batches as fit (one batch when a batch
/// is larger), and at most about `SCAN_CHUNK_BYTES`; then re-encrypted batch by batch.
const SCAN_WINDOW: usize = 4096;

/// What a re-encryption callback sees; returning `ControlFlow::Break` stops the run
/// after the current batch (it can be resumed).
pub type ProgressCallback<'a> = dyn FnMut(&ReencryptProgress) -> ControlFlow<()> + 'a;

/// The kinds of records that hold sealed values, in the order they are moved.
#[derive(Clone, Copy, Debug)]
enum Phase {
    Customers,
    PaymentMethods,
    Cvcs,
    Audit,
}

impl Phase {
    const ALL: [Phase; 4] = [Phase::Customers, Phase::PaymentMethods, Phase::Cvcs, Phase::Audit];

    fn name(self) -> &'static str {
        match self {
            Phase::Customers => "customers",
            Phase::PaymentMethods => "payment_methods",
            Phase::Cvcs => "cvc",
            Phase::Audit => "audit",
        }
    }

    fn cf(self) -> Cf {
        match self {
            Phase::Customers => Cf::Customers,
            Phase::PaymentMethods => Cf::PaymentMethods,
            Phase::Cvcs => Cf::Cvc,
            Phase::Audit => Cf::Audit,
        }
    }
}

fn is_stale(sealed: &[u8], active: u32) -> bool {
    envelope::key_version(sealed).map_or(true, |v| v != active)
}

/// Opens a value under whatever readable version sealed it and seals it under the active one.
fn reseal(state: &ProfileState, purpose: KeyPurpose, ctx: &SealContext<'_>, sealed: &[u8]) -> Result<Vec<u8>> {
    let plain = state.keys.open(purpose, ctx, sealed)?;
    state.keys.seal(purpose, ctx, &plain)
}

impl Engine {
    /// Moves the stale values among `entries` (one scanned batch of `phase`) to the active
    /// version, under the locks of the records they belong to. Returns how many moved.
    fn reencrypt_batch(&self, op: &Op, phase: Phase, entries: &[(Vec<u8>, Vec<u8>)]) -> Result<u64> {
        let (state, profile) = (&op.state, op.profile());
        let active = state.keys.active_version();
        let mut batch = Batch::default();
        let mut moved = 0;
        // The customers' locks are held until the batch is committed: a record deleted
        // (a card, a customer, a CVC taken) once they were released would otherwise be
        // written back by the batch, with the value this batch read before the delete.
        let guards;
        match phase {
            Phase::Customers => {
                let stale: Vec<CustomerRecord> = entries
                    .iter()
                    .map(|(_, v)| codec::decode::<CustomerRecord>(v))
                    .filter(|r| r.as_ref().map_or(true, |r| Self::customer_is_stale(state, r, active)))
                    .collect::<Result<_>>()?;
                guards = self.locks.lock_many(stale.iter().map(|r| customer_lock_key(profile, r.id.as_str())));
                for candidate in stale {
                    let key = keys::record(profile, candidate.id.as_str());
                    let Some(mut record) = self.get_record::<CustomerRecord>(Cf::Customers, &key)? else { continue };
                    if !Self::customer_is_stale(state, &record, active) {
                        continue;
                    }
                    let Some(pii) = record.pii.as_deref() else { continue };
                    record.pii = Some(customer_binding::reseal_pii(state, &record, pii)?);
                    batch.put(Cf::Customers, key, codec::encode(&record)?);
                    moved += 1;
                }
            }
            Phase::PaymentMethods => {
                let stale: Vec<PaymentMethodRecord> = entries
                    .iter()
                    .map(|(_, v)| codec::decode::<PaymentMethodRecord>(v))
                    .filter(|r| r.as_ref().map_or(true, |r| Self::pm_is_stale(state, r, active)))
                    .collect::<Result<_>>()?;
                guards = self.locks.lock_many(stale.iter().map(|r| customer_lock_key(profile, r.customer_id.as_str())));
                for candidate in stale {
                    let key = keys::record(profile, candidate.id.as_str());
                    let Some(mut record) = self.get_record::<PaymentMethodRecord>(Cf::PaymentMethods, &key)? else {
                        continue;
                    };
                    if !Self::pm_is_stale(state, &record, active) {
                        continue;
                    }
                    let id = record.id.to_string();
                    // Values sealed before they were bound to the record's clear fields are
                    // sealed bound here.
                    record.details = card_binding::reseal_details(state, &record)?;
                    let pan_ctx = contexts::card_number(profile, &id);
                    let pan = state.keys.open(KeyPurpose::Pan, &pan_ctx, &record.pan)?;
                    record.pan = state.keys.seal(KeyPurpose::Pan, &pan_ctx, &pan)?;
                    if let Some(resealed) = card_binding::reseal_token_number(state, &record)?
                        && let Some(StoredNetworkToken::Active { sealed_number, .. }) = &mut record.network_token
                    {
                        *sealed_number = resealed;
                    }
                    if record.fingerprint_version != active {
                        // Re-fingerprint under the new key, so duplicates are still found
                        // once the old fingerprint key is retired.
                        let digits = std::str::from_utf8(&pan).map_err(|_| Error::integrity("card number"))?;
                        let number = CardNumber::from_checked_digits(digits.to_owned());
                        let fingerprint = state.keys.fingerprint(active, &number)?;
                        payment_methods::delete_fingerprint_entry(self, &mut batch, profile, &record)?;
                        batch.put(
                            Cf::Fingerprints,
                            keys::fingerprint(profile, record.customer_id.as_str(), &fingerprint),
                            stored_id::to_index_value(&id),
                        );
                        record.fingerprint = fingerprint;
                        record.fingerprint_version = active;
                    }
                    batch.put(Cf::PaymentMethods, key, codec::encode(&record)?);
                    moved += 1;
                }
            }
            Phase::Cvcs => {
                let stale: Vec<(Vec<u8>, CvcRecord)> = entries
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), codec::decode::<CvcRecord>(v)?)))
                    .filter(|r: &Result<(Vec<u8>, CvcRecord)>| {
                        r.as_ref().map_or(true, |(k, c)| Self::cvc_is_stale(state, k, c, active))
                    })
                    .collect::<Result<_>>()?;
                guards =
                    self.locks.lock_many(stale.iter().map(|(_, c)| customer_lock_key(profile, c.customer_id.as_str())));
                for (key, _) in stale {
                    let Some(mut record) = self.get_record::<CvcRecord>(Cf::Cvc, &key)? else { continue };
                    if !Self::cvc_is_stale(state, &key, &record, active) {
                        continue;
                    }
                    let now = self.now();
                    if cvc_binding::must_be_gone(&record, now) {
                        // Expired, or beyond any TTL: dropped as the purge would, not sealed again.
                        batch.delete(Cf::Cvc, key);
                        continue;
                    }
                    let pm = std::str::from_utf8(keys::last_part(&key)).map_err(|_| Error::integrity("cvc key"))?;
                    record.sealed = cvc_binding::reseal_cvc(state, pm, &record, now)?;
                    batch.put(Cf::Cvc, key, codec::encode(&record)?);
                    moved += 1;
                }
            }
            Phase::Audit => {
                // Events never change once written; the head changes with every commit, so
                // it is moved while holding the commit lane. Only events and heads written
                // by vault formats 1 and 2 are sealed; maced ones need no move (their key
                // does not change with the key version).
                let runtime = self.runtimes.get(profile);
                let mut head = runtime.commit.lock();
                for (key, scanned) in entries {
                    if !audit::is_sealed(scanned) || !is_stale(scanned, active) {
                        continue;
                    }
                    // Read again inside this operation, as every phase does: the window was
                    // read before it, and another run may have moved the event since.
                    let Some(sealed) = self.store.get(Cf::Audit, key)? else { continue };
                    if !audit::is_sealed(&sealed) || !is_stale(&sealed, active) {
                        continue;
                    }
                    let seq = keys::audit_seq(key).ok_or_else(|| Error::integrity("audit event key"))?.to_string();
                    batch.put(
                        Cf::Audit,
                        key.clone(),
                        reseal(state, KeyPurpose::Data, &contexts::audit_event(profile, &seq), &sealed)?,
                    );
                    moved += 1;
                }
                let head_key = keys::audit_head(profile);
                if let Some(sealed_head) = self.store.get(Cf::Audit, &head_key)?.filter(|h| audit::is_sealed(h)) {
                    let current = match *head {
                        Some(h) => h,
                        None => audit::read_head(state, &sealed_head)?,
                    };
                    batch.put(Cf::Audit, head_key, head_value(state, current)?);
                    *head = Some(current);
                    moved += 1;
                }
                if !batch.is_empty() {
                    self.store.write(batch)?;
                }
                return Ok(moved);
            }
        }
        if !batch.is_empty() {
            op.commit(batch, Vec::new())?;
        }
        drop(guards);
        Ok(moved)
    }

    /// Whether a customer's personal data is under an old key version, or sealed before
    /// it was bound to the record's reference.
    fn customer_is_stale(state: &ProfileState, record: &CustomerRecord, active: u32) -> bool {
        record
            .pii
            .as_deref()
            .is_some_and(|pii| is_stale(pii, active) || customer_binding::sealed_before_the_binding(state, record, pii))
    }

    /// Whether a payment method has a value to move to the active version, or details
    /// sealed before they were bound to the record (which re-encryption binds).
    fn pm_is_stale(state: &ProfileState, record: &PaymentMethodRecord, active: u32) -> bool {
        let token_stale = match &record.network_token {
            Some(StoredNetworkToken::Active { sealed_number, .. }) => is_stale(sealed_number, active),
            _ => false,
        };
        is_stale(&record.details, active)
            || is_stale(&record.pan, active)
            || token_stale
            || record.fingerprint_version != active
            || card_binding::sealed_before_the_binding(state, record)
    }

    /// Whether a stored CVC (at `key`) is under an old key version, or sealed before it
    /// was bound to its owner and expiry.
    fn cvc_is_stale(state: &ProfileState, key: &[u8], record: &CvcRecord, active: u32) -> bool {
        is_stale(&record.sealed, active)
            || std::str::from_utf8(keys::last_part(key))
                .is_ok_and(|pm| cvc_binding::sealed_before_the_binding(state, pm, record))
    }

    /// Re-seals the profile's API key HMAC key under the active version.
    fn reencrypt_profile_record(&self, profile: &str) -> Result<u64> {
        let _guard = self.locks.lock(&[b"profile", profile.as_bytes()]);
        let state = self.profile_state(profile)?;
        let active = state.keys.active_version();
        if !is_stale(&state.record.api_key_hmac_key, active) {
            return Ok(0);
        }
        let mut record = state.record.clone();
        record.api_key_hmac_key =
            reseal(&state, KeyPurpose::Data, &contexts::api_key_hmac_key(profile), &record.api_key_hmac_key)?;
        self.write_profile_record(&record, None)?;
        Ok(1)
    }

    /// Writes a changed profile record (with an audit event) and caches its new state.
    fn write_profile_record(&self, record: &ProfileRecord, event: Option<PendingEvent>) -> Result<()> {
        let profile = record.id.as_str();
        let mut batch = Batch::default();
        batch.put(Cf::Profiles, keys::profile(profile), codec::encode(record)?);
        self.commit(profile, batch, event.into_iter().collect())?;
        self.profiles.replace(ProfileState::new(record.clone(), self.ring.clone()));
        Ok(())
    }

    /// Adds a key version derived under the ring's active master key and makes it the one
    /// new values are sealed with. Waits for running operations of the profile to finish.
    pub(crate) fn add_key_version(&self, profile: &str) -> Result<ProfileRecord> {
        let (_, _exclusive) = self.entered(profile, |runtime| runtime.gate.write_arc())?;
        let _guard = self.locks.lock(&[b"profile", profile.as_bytes()]);
        let mut record = self.profile_state(profile)?.record.clone();
        let next = record
            .key_versions
            .iter()
            .map(|v| v.version)
            .max()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or_else(|| Error::integrity("key versions (the highest has no successor)"))?;
        for version in &mut record.key_versions {
            version.state = KeyState::DecryptOnly;
        }
        let now = self.now();
        record.key_versions.push(KeyVersionRecord {
            version: next,
            master_key_id: self.ring.active_id().clone(),
            state: KeyState::Active,
            created_at: now,
        });
        record.modified_at = now;
        let event = PendingEvent::success(AuditActor::Internal, AuditAction::KeyRotated, Some(format!("v{next}")));
        self.write_profile_record(&record, Some(event))?;
        Ok(record)
    }

    /// Retires every version but the active one, once no value is sealed under them.
    /// Returns the retired versions, or `None` if values remain on old versions.
    fn retire_old_versions(&self, profile: &str) -> Result<Option<Vec<u32>>> {
        let (_, _exclusive) = self.entered(profile, |runtime| runtime.gate.write_arc())?;
        let _guard = self.locks.lock(&[b"profile", profile.as_bytes()]);
        let state = self.profile_state(profile)?;
        let active = state.keys.active_version();
        let stats = self.profile_stats(&state)?;
        if stats.sealed_values_by_key_version.keys().any(|v| *v != active) {
            return Ok(None);
        }
        let mut record = state.record.clone();
        let retired: Vec<u32> = record.key_versions.iter().map(|v| v.version).filter(|v| *v != active).collect();
        if retired.is_empty() {
            return Ok(Some(retired));
        }
        record.key_versions.retain(|v| v.version == active);
        record.modified_at = self.now();
        let event =
            PendingEvent::success(AuditActor::Internal, AuditAction::ReencryptionCompleted, Some(format!("v{active}")));
        self.write_profile_record(&record, Some(event))?;
        Ok(Some(retired))
    }
}

impl Vault {
    /// Adds a new key version to the profile; values sealed from now on use it. Run
    /// [`Vault::reencrypt_profile`] to move existing values and retire the old version.
    pub fn rotate_profile_key(&self, profile_id: &ProfileId) -> Result<Profile> {
        let engine = self.engine()?;
        engine.add_key_version(profile_id.as_str())?;
        Ok(engine.profile_state(profile_id.as_str())?.view())
    }

    /// Moves every sealed value of the profile (customers, cards, CVCs, audit events sealed
    /// before vault format 3, the API key HMAC key) to the newest key version, in atomic batches, re-fingerprinting
    /// cards on the way; then retires the older versions. Operations continue meanwhile.
    ///
    /// `progress` is called after every batch; returning `ControlFlow::Break` stops the
    /// run (`complete: false`), and calling this again resumes it.
    pub fn reencrypt_profile(
        &self,
        profile_id: &ProfileId,
        options: ReencryptOptions,
        progress: &mut ProgressCallback<'_>,
    ) -> Result<ReencryptReport> {
        if options.batch_size == 0 || options.batch_size > 10_000 {
            return Err(Error::invalid("batch_size", "must be between 1 and 10000"));
        }
        let engine = self.engine()?;
        let profile = profile_id.as_str();
        let mut report = ReencryptReport {
            profile_id: profile_id.clone(),
            scanned: 0,
            reencrypted: 0,
            complete: false,
            retired_versions: Vec::new(),
        };
        // Batches are read a window of several at a time: an ordered read of payment methods
        // first sorts their memtable (store/rocks.rs), and one read per batch of 256 made
        // re-encrypting 40,000 fresh cards 5× slower.
        let window_size = options.batch_size * (SCAN_WINDOW / options.batch_size).max(1);
        // Values written while a pass runs use the newest version already; a second pass
        // only happens if something was left behind (it never should).
        for _pass in 0..3 {
            report.reencrypted += engine.reencrypt_profile_record(profile)?;
            for phase in Phase::ALL {
                let prefix = match phase {
                    Phase::Audit => keys::audit_events_prefix(profile),
                    _ => keys::profile_prefix(profile),
                };
                let mut cursor: Option<Vec<u8>> = None;
                loop {
                    let range = KeyRange::prefix_after(prefix.clone(), cursor.as_deref());
                    let window = engine.store.scan_bounded(phase.cf(), &range, window_size, SCAN_CHUNK_BYTES)?;
                    let Some((last, _)) = window.last() else { break };
                    cursor = Some(last.clone());
                    // Each batch re-reads its records under their locks, in an operation
                    // of its own: what the window holds only says which to look at.
                    for entries in window.chunks(options.batch_size) {
                        let op = Op::enter(engine.clone(), profile)?;
                        report.reencrypted += engine.reencrypt_batch(&op, phase, entries)?;
                        report.scanned += entries.len() as u64;
                        drop(op);
                        let now = ReencryptProgress {
                            profile_id: profile_id.clone(),
                            phase: phase.name(),
                            scanned: report.scanned,
                            reencrypted: report.reencrypted,
                        };
                        if progress(&now).is_break() {
                            return Ok(report);
                        }
                    }
                    if !chunk_is_full(&window, window_size, SCAN_CHUNK_BYTES) {
                        break;
                    }
                }
            }
            if let Some(retired) = engine.retire_old_versions(profile)? {
                report.retired_versions = retired;
                report.complete = true;
                return Ok(report);
            }
        }
        Err(Error::storage("values remain on old key versions after re-encryption; run it again"))
    }

    /// Moves every profile whose active key version was derived under another master key
    /// to a new version under the ring's active master key, re-encrypting everything.
    /// Afterwards the old master key is no longer needed to open the vault.
    ///
    /// Refused (`HE_00` `integrity`) while a profile's record is damaged (`verify` names
    /// it): that profile's values cannot be moved, and would be lost with the old key if
    /// its record were restored later. Restore or destroy it first.
    pub fn rotate_master_key(&self, progress: &mut ProgressCallback<'_>) -> Result<Vec<ReencryptReport>> {
        let engine = self.engine()?;
        let profiles = engine.stored_profiles()?;
        if !profiles.damaged.is_empty() {
            return Err(Error::integrity(
                "profile record: restore or destroy the damaged profile (`verify` names it) before rotating the master key",
            ));
        }
        let mut reports = Vec::new();
        for record in profiles.readable {
            let current = record.active_version().map(|v| &v.master_key_id);
            let needs_rotation = current != Some(engine.ring.active_id());
            let has_old_versions = record.key_versions.len() > 1;
            if !(needs_rotation || has_old_versions) {
                continue;
            }
            let moved = if needs_rotation { engine.add_key_version(record.id.as_str()).map(drop) } else { Ok(()) };
            let report = moved
                .and_then(|()| self.reencrypt_profile(&record.id, ReencryptOptions::default(), progress))
                .inspect_err(|e| {
                    // The error itself may not say which profile stopped the rotation.
                    tracing::warn!(
                        profile = record.id.as_str(),
                        code = e.code(),
                        "master key rotation stopped at this profile"
                    );
                })?;
            let stopped = !report.complete;
            reports.push(report);
            if stopped {
                break;
            }
        }
        Ok(reports)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::card_binding::tests::{details, record, with_token};
    use crate::vault::profiles::tests::profile_state;

    /// Details or a token number sealed before the binding are stale even under the active
    /// key version, so that re-encryption binds them; bound ones are not, nor damaged ones
    /// under the active version (verify reports those).
    #[test]
    fn details_sealed_before_the_binding_are_stale() {
        let state = profile_state("pro_a", 1);
        let mut record = record();
        record.pan = state
            .keys
            .seal(KeyPurpose::Pan, &contexts::card_number("pro_a", record.id.as_str()), b"4111111111111111")
            .unwrap();
        let bound = card_binding::seal_details(&state, &record, &details()).unwrap();
        record.details = bound.clone();
        assert!(!Engine::pm_is_stale(&state, &record, 1));
        let plain = codec::encode_secret(&details()).unwrap();
        let unbound = contexts::card_details("pro_a", record.id.as_str());
        record.details = state.keys.seal(KeyPurpose::Data, &unbound, &plain).unwrap();
        assert!(Engine::pm_is_stale(&state, &record, 1));
        record.details = bound.clone();
        *record.details.last_mut().unwrap() ^= 1;
        assert!(!Engine::pm_is_stale(&state, &record, 1), "damaged details are left to verify");

        // The same for the network token's number, the details bound.
        record.details = bound;
        let unbound_token = with_token(&state, record.clone(), true);
        assert!(Engine::pm_is_stale(&state, &unbound_token, 1));
        let mut bound_token = with_token(&state, record, false);
        assert!(!Engine::pm_is_stale(&state, &bound_token, 1));
        if let Some(StoredNetworkToken::Active { sealed_number, .. }) = &mut bound_token.network_token {
            *sealed_number.last_mut().unwrap() ^= 1;
        }
        assert!(!Engine::pm_is_stale(&state, &bound_token, 1), "damaged token numbers are left to verify");
    }
}
