//! Counts of records per kind, and of sealed values per key version (read from envelope
//! headers; nothing is decrypted). A record that does not decode is counted as unreadable
//! and the count goes on (`verify` says which it is).

use std::collections::BTreeMap;

use crate::crypto::envelope;
use crate::error::Result;
use crate::model::ids::ProfileId;
use crate::model::reports::{ProfileStats, VaultStats};
use crate::store::codec;
use crate::store::records::{CustomerRecord, CvcRecord, PaymentMethodRecord, StoredCustomerStatus, StoredNetworkToken};
use crate::store::{Cf, KeyRange, keys};
use crate::vault::engine::Engine;
use crate::vault::profiles::ProfileState;
use crate::vault::scope::Op;
use crate::vault::unreadable::readable;
use crate::vault::{Vault, audit};

/// Counts a sealed value under its key version (0 when its header is unreadable).
fn tally(by_version: &mut BTreeMap<u32, u64>, sealed: &[u8]) {
    *by_version.entry(envelope::key_version(sealed).unwrap_or(0)).or_default() += 1;
}

impl Engine {
    pub(crate) fn profile_stats(&self, state: &ProfileState) -> Result<ProfileStats> {
        let profile = state.id();
        let all = KeyRange::prefix(keys::profile_prefix(profile));
        let mut stats = ProfileStats { profile_id: Some(state.record.id.clone()), ..Default::default() };
        let versions = &mut stats.sealed_values_by_key_version;
        tally(versions, &state.record.api_key_hmac_key);

        let mut unreadable = 0;
        let (mut customers, mut redacted) = (0, 0);
        self.scan_all(Cf::Customers, &all, |_, value| {
            let Some(record) = readable(codec::decode::<CustomerRecord>(value), &mut unreadable)? else {
                return Ok(());
            };
            match record.status {
                StoredCustomerStatus::Active => customers += 1,
                StoredCustomerStatus::Redacted => redacted += 1,
            }
            if let Some(pii) = &record.pii {
                tally(versions, pii);
            }
            Ok(())
        })?;
        let mut payment_methods = 0;
        self.scan_all(Cf::PaymentMethods, &all, |_, value| {
            let Some(record) = readable(codec::decode::<PaymentMethodRecord>(value), &mut unreadable)? else {
                return Ok(());
            };
            payment_methods += 1;
            tally(versions, &record.details);
            tally(versions, &record.pan);
            if let Some(StoredNetworkToken::Active { sealed_number, .. }) = &record.network_token {
                tally(versions, sealed_number);
            }
            Ok(())
        })?;
        let mut cvcs = 0;
        self.scan_all(Cf::Cvc, &all, |_, value| {
            let Some(record) = readable(codec::decode::<CvcRecord>(value), &mut unreadable)? else { return Ok(()) };
            cvcs += 1;
            tally(versions, &record.sealed);
            Ok(())
        })?;
        let mut api_keys = 0;
        self.scan_all(Cf::ApiKeys, &all, |_, _| {
            api_keys += 1;
            Ok(())
        })?;
        let mut events = 0;
        // Audit events and heads are sealed only when vault formats 1 and 2 wrote them.
        self.scan_all(Cf::Audit, &KeyRange::prefix(keys::audit_events_prefix(profile)), |_, value| {
            events += 1;
            if audit::is_sealed(value) {
                tally(versions, value);
            }
            Ok(())
        })?;
        if let Some(head) = self.store.get(Cf::Audit, &keys::audit_head(profile))?.filter(|h| audit::is_sealed(h)) {
            tally(versions, &head);
        }
        stats.customers = customers;
        stats.redacted_customers = redacted;
        stats.payment_methods = payment_methods;
        stats.stored_cvcs = cvcs;
        stats.api_keys = api_keys;
        stats.audit_events = events;
        stats.unreadable_records = unreadable;
        Ok(stats)
    }
}

impl Vault {
    /// Counts for the whole vault and for each profile. A profile whose record is damaged
    /// is not counted (`verify` reports it).
    pub fn stats(&self) -> Result<VaultStats> {
        let engine = self.engine()?;
        let mut stats = VaultStats::default();
        for record in engine.stored_profiles()?.readable {
            let op = Op::enter(engine.clone(), record.id.as_str())?;
            let profile = engine.profile_stats(&op.state)?;
            stats.total.add(&profile);
            stats.per_profile.push(profile);
            stats.profiles += 1;
        }
        Ok(stats)
    }

    /// Counts for one profile.
    pub fn profile_stats(&self, profile_id: &ProfileId) -> Result<ProfileStats> {
        let op = Op::enter(self.engine()?, profile_id.as_str())?;
        op.engine.profile_stats(&op.state)
    }
}
