//! Removing a payment method whose record cannot be read (damaged in the files, another
//! card's record copied under its key, or clear fields edited so that its details no
//! longer open), so that a card `verify` reports as unreadable can be deleted like any
//! other, and stops blocking re-encryption of its profile.
//!
//! Its clear fields cannot be trusted or even read, so the index entries that point to it
//! are found by looking at every entry of the profile's indexes (a repair, rare enough for
//! a scan of the profile; it holds the profile's operation gate for reading meanwhile, so
//! a key rotation of the profile waits for it), not by the record's customer, fingerprint
//! and expiry: a fingerprint entry is deleted only when its value names this card.

use crate::error::{Error, InternalError, Result};
use crate::store::{Batch, Cf, KeyRange, keys, stored_id};
use crate::vault::engine::Engine;

/// `Ok(None)` for a stored value that failed its integrity check (counted in `unreadable`),
/// so that one damaged record does not stop a sweep over every later one (purge, stats).
pub(crate) fn readable<T>(result: Result<T>, unreadable: &mut u64) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::Internal(InternalError::Integrity { .. })) => {
            *unreadable += 1;
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The customers whose index entries name payment method `pm` of `profile` (normally one:
/// its own).
pub(crate) fn customers_naming(engine: &Engine, profile: &str, pm: &str) -> Result<Vec<String>> {
    let prefix = keys::profile_prefix(profile);
    let mut customers = Vec::new();
    engine.scan_all(Cf::PmByCustomer, &KeyRange::prefix(prefix.clone()), |key, _| {
        // `profile ‖ 0 ‖ customer ‖ 0 ‖ pm`
        if keys::last_part(key) == pm.as_bytes()
            && let Some(end) = key.len().checked_sub(pm.len() + 1)
            && let Some(customer) = key.get(prefix.len()..end)
            && let Ok(customer) = std::str::from_utf8(customer)
        {
            customers.push(customer.to_owned());
        }
        Ok(())
    })?;
    Ok(customers)
}

/// The deletes that remove payment method `pm` of `profile`: its record, its CVC and
/// every entry of the customer, fingerprint and expiry indexes that names it.
pub(crate) fn removal_writes(engine: &Engine, profile: &str, pm: &str) -> Result<Batch> {
    let mut batch = Batch::default();
    batch.delete(Cf::PaymentMethods, keys::record(profile, pm));
    batch.delete(Cf::Cvc, keys::record(profile, pm));
    let owned = KeyRange::prefix(keys::profile_prefix(profile));
    // Both indexes end their keys with the payment method's id.
    for cf in [Cf::PmByCustomer, Cf::PmExpiry] {
        engine.scan_all(cf, &owned, |key, _| {
            if keys::last_part(key) == pm.as_bytes() {
                batch.delete(cf, key.to_vec());
            }
            Ok(())
        })?;
    }
    // The fingerprint index names it in its values.
    engine.scan_all(Cf::Fingerprints, &owned, |key, value| {
        if stored_id::from_index_value(value, "fingerprint index").is_ok_and(|id| id == pm) {
            batch.delete(Cf::Fingerprints, key.to_vec());
        }
        Ok(())
    })?;
    Ok(batch)
}
