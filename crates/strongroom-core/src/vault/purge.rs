//! Purging what has expired: volatile payment methods past their TTL and CVCs past theirs.
//! Reads also purge lazily; this sweeps what nobody read.

use crate::error::{Error, Result};
use crate::model::ids::CustomerId;
use crate::store::codec;
use crate::store::records::{CvcRecord, PaymentMethodRecord};
use crate::store::{Batch, Cf, KeyRange, keys};
use crate::vault::Vault;
use crate::vault::customers::lock_customer;
use crate::vault::cvc_binding;
use crate::vault::payment_methods::purge_if_expired;
use crate::vault::scope::Op;
use crate::vault::unreadable::readable;

const SCAN_CHUNK: usize = 1000;

/// What a purge removed, and what it could not read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub payment_methods: u64,
    pub cvcs: u64,
    /// Profiles, payment methods and CVCs skipped because their stored bytes failed the
    /// integrity check; `verify` says which. The sweep goes on past them.
    pub unreadable: u64,
}

impl Vault {
    /// Deletes every expired volatile payment method and expired CVC, in every profile.
    /// A record that cannot be read is skipped and counted (`unreadable`); other failures
    /// (storage, a closed vault) end the sweep with their error.
    pub fn purge_expired(&self) -> Result<PurgeReport> {
        let engine = self.engine()?;
        let mut report = PurgeReport::default();
        let profiles = engine.stored_profiles()?;
        report.unreadable += profiles.damaged.len() as u64;
        for record in profiles.readable {
            let op = match Op::enter(engine.clone(), record.id.as_str()) {
                // Destroyed since the scan: nothing of it is left to purge.
                Err(Error::NotFound { .. }) => continue,
                entered => readable(entered, &mut report.unreadable)?,
            };
            let Some(op) = op else { continue };
            report.payment_methods += purge_payment_methods(&op, &mut report.unreadable)?;
            report.cvcs += purge_cvcs(&op, &mut report.unreadable)?;
        }
        Ok(report)
    }
}

/// Walks the expiry index up to now; each entry is re-checked under its customer's lock.
fn purge_payment_methods(op: &Op, unreadable: &mut u64) -> Result<u64> {
    let (engine, state) = (&op.engine, &op.state);
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
            let found = engine.get_record::<PaymentMethodRecord>(Cf::PaymentMethods, &record_key);
            let customer = match readable(found, unreadable)? {
                None => continue,
                Some(Some(record)) => record.customer_id,
                Some(None) => {
                    // The payment method is gone; drop the stale index entry.
                    let mut batch = Batch::default();
                    batch.delete(Cf::PmExpiry, key.clone());
                    op.commit(batch, Vec::new())?;
                    continue;
                }
            };
            let pm = std::str::from_utf8(pm).map_err(|_| Error::integrity("expiry index"));
            let Some(pm) = readable(pm, unreadable)? else { continue };
            if readable(purge_if_expired(op, pm, &customer), unreadable)? == Some(true) {
                purged += 1;
            }
        }
        if due.len() < SCAN_CHUNK {
            break;
        }
    }
    Ok(purged)
}

fn purge_cvcs(op: &Op, unreadable: &mut u64) -> Result<u64> {
    let (engine, state) = (&op.engine, &op.state);
    let mut range = KeyRange::prefix(keys::profile_prefix(state.id()));
    let mut purged = 0;
    loop {
        let entries = engine.store.scan(Cf::Cvc, &range, SCAN_CHUNK)?;
        let Some((last, _)) = entries.last() else {
            break;
        };
        range.start = [last.as_slice(), &[0]].concat();
        for (key, value) in &entries {
            let Some(stored) = readable(codec::decode::<CvcRecord>(value), unreadable)? else { continue };
            if cvc_binding::must_be_gone(&stored, engine.now())
                && readable(delete_cvc_if_expired(op, key, &stored.customer_id), unreadable)? == Some(true)
            {
                purged += 1;
            }
        }
        if entries.len() < SCAN_CHUNK {
            break;
        }
    }
    Ok(purged)
}

/// CVC expiry is not audited one by one (it is not an action on card data); the stored
/// payment method already reports the CVC as gone once its time passed. A CVC whose clear
/// expiry lies beyond any CVC TTL (edited in the files) is deleted too.
fn delete_cvc_if_expired(op: &Op, key: &[u8], customer: &CustomerId) -> Result<bool> {
    let _guard = lock_customer(&op.engine, op.profile(), customer.as_str());
    match op.engine.get_record::<CvcRecord>(Cf::Cvc, key)? {
        Some(stored) if cvc_binding::must_be_gone(&stored, op.engine.now()) => {
            let mut batch = Batch::default();
            batch.delete(Cf::Cvc, key.to_vec());
            op.commit(batch, Vec::new())?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
