//! Purging what has expired: volatile payment methods past their TTL and CVCs past theirs.
//! Reads also purge lazily; this sweeps what nobody read.

use crate::error::Result;
use crate::model::ids::CustomerId;
use crate::store::codec;
use crate::store::records::CvcRecord;
use crate::store::{Batch, Cf, KeyRange, keys};
use crate::vault::Vault;
use crate::vault::customers::lock_customer;
use crate::vault::engine::Engine;
use crate::vault::payment_methods::purge_if_expired;
use crate::vault::profiles::ProfileState;

const SCAN_CHUNK: usize = 1000;

/// What a purge removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub payment_methods: u64,
    pub cvcs: u64,
}

impl Vault {
    /// Deletes every expired volatile payment method and expired CVC, in every profile.
    pub fn purge_expired(&self) -> Result<PurgeReport> {
        let engine = self.engine()?;
        let mut report = PurgeReport::default();
        for record in engine.all_profile_records()? {
            let state = engine.profile_state(&record.id)?;
            report.payment_methods += purge_payment_methods(&engine, &state)?;
            report.cvcs += purge_cvcs(&engine, &state)?;
        }
        Ok(report)
    }
}

/// Walks the expiry index up to now; each entry is re-checked under its customer's lock.
fn purge_payment_methods(engine: &Engine, state: &ProfileState) -> Result<u64> {
    let end = keys::pm_expiry_due_end(state.id(), engine.now());
    let mut range = KeyRange { start: keys::profile_prefix(state.id()), end };
    let mut purged = 0;
    loop {
        let due = engine.store.scan(Cf::PmExpiry, &range, SCAN_CHUNK)?;
        let Some((last, _)) = due.last() else { break };
        range.start = [last.as_slice(), &[0]].concat();
        for (key, _) in &due {
            let pm = keys::last_part(key);
            let record_key = keys::record_raw(state.id(), pm);
            let customer = match engine
                .get_record::<crate::store::records::PaymentMethodRecord>(Cf::PaymentMethods, &record_key)?
            {
                Some(record) => record.customer_id,
                None => {
                    // The payment method is gone; drop the stale index entry.
                    let mut batch = Batch::default();
                    batch.delete(Cf::PmExpiry, key.clone());
                    engine.store.write(batch)?;
                    continue;
                }
            };
            let pm = std::str::from_utf8(pm).map_err(|_| crate::error::Error::integrity("expiry index"))?;
            if purge_if_expired(engine, state, pm, &customer)? {
                purged += 1;
            }
        }
        if due.len() < SCAN_CHUNK {
            break;
        }
    }
    Ok(purged)
}

fn purge_cvcs(engine: &Engine, state: &ProfileState) -> Result<u64> {
    let mut range = KeyRange::prefix(keys::profile_prefix(state.id()));
    let mut purged = 0;
    loop {
        let entries = engine.store.scan(Cf::Cvc, &range, SCAN_CHUNK)?;
        let Some((last, _)) = entries.last() else {
            break;
        };
        range.start = [last.as_slice(), &[0]].concat();
        for (key, value) in &entries {
            let stored: CvcRecord = codec::decode(value)?;
            if stored.expires_at <= engine.now() && delete_cvc_if_expired(engine, key, &stored.customer_id, state)? {
                purged += 1;
            }
        }
        if entries.len() < SCAN_CHUNK {
            break;
        }
    }
    Ok(purged)
}

fn delete_cvc_if_expired(engine: &Engine, key: &[u8], customer: &CustomerId, state: &ProfileState) -> Result<bool> {
    let _guard = lock_customer(engine, state.id(), customer.as_str());
    match engine.get_record::<CvcRecord>(Cf::Cvc, key)? {
        Some(stored) if stored.expires_at <= engine.now() => {
            let mut batch = Batch::default();
            batch.delete(Cf::Cvc, key.to_vec());
            engine.store.write(batch)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
