//! A customer's sealed personal data is bound to the merchant reference its record keeps
//! in clear.
//!
//! The reference is in clear (it is an index key: `find_customer_by_reference` looks it
//! up) under a checksum anyone can compute again. Without the binding, someone who can
//! write the vault's files but holds no key could give a customer another reference (the
//! record and the index entry both edited), and a lookup by that reference would return
//! the customer and, through them, their cards. Bound, the edited record's personal data
//! no longer opens: every read of the customer is an integrity error.
//!
//! As with cards (`vault/card_binding.rs`), personal data sealed before the binding (by
//! builds before 2026-12-02) opens under its unbound context, and `reencrypt_profile`
//! seals it bound.

use crate::crypto::KeyPurpose;
use crate::error::{Error, Result};
use crate::store::codec;
use crate::store::records::{CustomerPii, CustomerRecord};
use crate::vault::card_binding::Contexts;
use crate::vault::contexts;
use crate::vault::profiles::ProfileState;

/// The bound fields: `reference (u8 0 none, or 1 and u16 BE length and text)`. Pinned by
/// the golden value in the tests below: values sealed with it must open forever.
fn binding(reference: Option<&str>) -> Result<Vec<u8>> {
    let Some(reference) = reference else { return Ok(vec![0]) };
    let len = u16::try_from(reference.len()).map_err(|_| Error::integrity("customer binding"))?;
    let mut bytes = Vec::with_capacity(3 + reference.len());
    bytes.push(1);
    bytes.extend_from_slice(&len.to_be_bytes());
    bytes.extend_from_slice(reference.as_bytes());
    Ok(bytes)
}

fn pii_contexts<'a>(state: &'a ProfileState, customer: &'a str, binding: &'a [u8]) -> Contexts<'a> {
    Contexts::new(KeyPurpose::Data, contexts::customer_pii(state.id(), customer), binding)
}

/// Seals customer `id`'s personal data, bound to its merchant reference.
pub(crate) fn seal_pii(state: &ProfileState, id: &str, reference: Option<&str>, pii: &CustomerPii) -> Result<Vec<u8>> {
    let binding = binding(reference)?;
    pii_contexts(state, id, &binding).seal(state, &codec::encode_secret(pii)?)
}

/// Opens `sealed`, the personal data of `record`.
pub(crate) fn open_pii(state: &ProfileState, record: &CustomerRecord, sealed: &[u8]) -> Result<CustomerPii> {
    let binding = binding(record.merchant_reference_id.as_deref())?;
    codec::decode(&pii_contexts(state, record.id.as_str(), &binding).open(state, sealed)?)
}

/// `sealed` (the personal data of `record`) sealed again under the active key version,
/// and bound (re-encryption).
pub(crate) fn reseal_pii(state: &ProfileState, record: &CustomerRecord, sealed: &[u8]) -> Result<Vec<u8>> {
    let binding = binding(record.merchant_reference_id.as_deref())?;
    let contexts = pii_contexts(state, record.id.as_str(), &binding);
    contexts.seal(state, &contexts.open(state, sealed)?)
}

/// Whether `sealed` (the personal data of `record`) opens only unbound: sealed before the
/// binding, and to be sealed again. Damaged values (which open neither way) are not.
pub(crate) fn sealed_before_the_binding(state: &ProfileState, record: &CustomerRecord, sealed: &[u8]) -> bool {
    binding(record.merchant_reference_id.as_deref())
        .is_ok_and(|binding| pii_contexts(state, record.id.as_str(), &binding).only_unbound(state, sealed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::CustomerId;
    use crate::model::time::Timestamp;
    use crate::store::records::StoredCustomerStatus;
    use crate::vault::profiles::tests::profile_state;

    #[test]
    fn binding_layout_is_pinned() {
        assert_eq!(binding(None).unwrap(), [0]);
        assert_eq!(binding(Some("crm-7")).unwrap(), [1, 0, 5, b'c', b'r', b'm', b'-', b'7']);
        assert_eq!(binding(Some("")).unwrap(), [1, 0, 0]);
    }

    #[test]
    fn bound_pii_opens_only_with_its_reference() {
        let state = profile_state("pro_test", 1);
        let pii = CustomerPii { description: Some("first".into()), ..Default::default() };
        let record = |reference: Option<&str>| CustomerRecord {
            id: CustomerId::parse("cus_0190000000007000800000000000000b").unwrap(),
            merchant_reference_id: reference.map(str::to_owned),
            status: StoredCustomerStatus::Active,
            created_at: Timestamp::from_millis(1),
            modified_at: Timestamp::from_millis(1),
            pii: None,
        };
        let with_ref = record(Some("crm-7"));
        let sealed = seal_pii(&state, with_ref.id.as_str(), Some("crm-7"), &pii).unwrap();
        assert_eq!(open_pii(&state, &with_ref, &sealed).unwrap(), pii);
        assert!(!sealed_before_the_binding(&state, &with_ref, &sealed));
        for edited in [record(Some("crm-8")), record(None)] {
            let err = open_pii(&state, &edited, &sealed).unwrap_err();
            assert_eq!(err.internal_kind(), Some("integrity"));
        }
        // Sealed before the binding: opens whatever the reference, and is to be sealed again.
        let ctx = contexts::customer_pii(state.id(), with_ref.id.as_str());
        let unbound = state.keys.seal(KeyPurpose::Data, &ctx, &codec::encode_secret(&pii).unwrap()).unwrap();
        assert_eq!(open_pii(&state, &record(Some("crm-8")), &unbound).unwrap(), pii);
        assert!(sealed_before_the_binding(&state, &with_ref, &unbound));
        let resealed = reseal_pii(&state, &with_ref, &unbound).unwrap();
        assert!(open_pii(&state, &record(Some("crm-8")), &resealed).is_err());
        assert_eq!(open_pii(&state, &with_ref, &resealed).unwrap(), pii);
    }
}
