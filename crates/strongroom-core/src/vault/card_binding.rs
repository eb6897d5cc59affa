//! A card's sealed details are bound to the clear fields of its record.
//!
//! A payment method record keeps some fields in clear, so that lists and purges need no
//! key: its owner, type, storage type and expiry, whether it may be used for recurring
//! payments, its last four digits, BIN range and network. The record's checksum
//! (`store/codec.rs`) catches corruption, not edits: someone who can write the vault's files
//! but holds no key could recompute it, and move a card to another customer, make a
//! volatile card persistent, or show other last four digits. So those fields are bound
//! into the associated data of the card's details, which every read of the card opens
//! (retrieve, list, reveal, update, provisioning, verification): an edited field makes the
//! details fail to open, an integrity error.
//!
//! Details sealed before the binding (by builds before 2026-12-02) have no bound fields
//! and open under their unbound context, so their clear fields are only as safe as
//! before; re-encryption (`reencrypt_profile`, with or without a key rotation) seals them
//! bound. A value sealed bound never opens unbound, nor the other way round.

use zeroize::Zeroizing;

use crate::crypto::KeyPurpose;
use crate::error::{Error, Result};
use crate::store::codec;
use crate::store::records::{CardDetails, PaymentMethodRecord};
use crate::vault::contexts;
use crate::vault::profiles::ProfileState;

/// Room for the encoded fields: ids are at most 71 bytes, the rest at most 35.
const BINDING_MAX: usize = 128;

/// One record's bound fields, encoded on the stack:
///
/// ```text
/// customer_id (u8 length, text) | payment_method_type u8 | payment_method_subtype u8
/// | storage_type u8 | recurring_enabled u8 | network u8 (0 none, else 1 + its tag)
/// | expires_at (u8 0 none, or 1 and i64 BE milliseconds) | last4 (u8 length, text)
/// | isin (u8 length, text)
/// ```
///
/// An enum's tag is its variant's index, as the records' own encoding (bincode) stores it.
/// Pinned by the golden vector `card_binding_v1`: details sealed with it must open
/// forever, so a field added later needs a layout of its own.
struct Binding {
    bytes: [u8; BINDING_MAX],
    len: usize,
}

impl Binding {
    fn of(record: &PaymentMethodRecord) -> Result<Self> {
        let mut binding = Self { bytes: [0; BINDING_MAX], len: 0 };
        binding.text(record.customer_id.as_str())?;
        binding.put(&[
            record.payment_method_type as u8,
            record.payment_method_subtype as u8,
            record.storage_type as u8,
            u8::from(record.recurring_enabled),
            record.network.map_or(0, |n| 1 + n as u8),
        ])?;
        match record.expires_at {
            None => binding.put(&[0])?,
            Some(at) => {
                binding.put(&[1])?;
                binding.put(&at.as_millis().to_be_bytes())?;
            }
        }
        binding.text(&record.last4)?;
        binding.text(&record.isin)?;
        Ok(binding)
    }

    fn text(&mut self, text: &str) -> Result<()> {
        let len = u8::try_from(text.len()).map_err(|_| Error::integrity("card binding"))?;
        self.put(&[len])?;
        self.put(text.as_bytes())
    }

    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        let end = self.len + bytes.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or_else(|| Error::integrity("card binding"))?;
        slot.copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Seals a card's details for `record`, bound to its clear fields as they are now: a
/// change to any of them must seal the details again.
pub(crate) fn seal_details(
    state: &ProfileState,
    record: &PaymentMethodRecord,
    details: &CardDetails,
) -> Result<Vec<u8>> {
    seal_plain(state, record, &codec::encode_secret(details)?)
}

/// Opens a card's details (data key: never a PAN key).
pub(crate) fn open_details(state: &ProfileState, record: &PaymentMethodRecord) -> Result<Box<CardDetails>> {
    codec::decode(&open_plain(state, record)?)
}

/// The details sealed again under the active key version, and bound (re-encryption).
pub(crate) fn reseal_details(state: &ProfileState, record: &PaymentMethodRecord) -> Result<Vec<u8>> {
    seal_plain(state, record, &open_plain(state, record)?)
}

/// Whether the details open only unbound: sealed before the binding, and to be sealed
/// again. Damaged details (which open neither way) are not.
pub(crate) fn sealed_before_the_binding(state: &ProfileState, record: &PaymentMethodRecord) -> bool {
    let Ok(binding) = Binding::of(record) else { return false };
    let (profile, id) = (state.id(), record.id.as_str());
    let bound = contexts::card_details_bound(profile, id, binding.as_bytes());
    state.keys.open(KeyPurpose::Data, &bound, &record.details).is_err()
        && state.keys.open(KeyPurpose::Data, &contexts::card_details(profile, id), &record.details).is_ok()
}

fn seal_plain(state: &ProfileState, record: &PaymentMethodRecord, plaintext: &[u8]) -> Result<Vec<u8>> {
    let binding = Binding::of(record)?;
    let ctx = contexts::card_details_bound(state.id(), record.id.as_str(), binding.as_bytes());
    state.keys.seal(KeyPurpose::Data, &ctx, plaintext)
}

/// The details' plaintext: sealed bound, or sealed before the binding.
fn open_plain(state: &ProfileState, record: &PaymentMethodRecord) -> Result<Zeroizing<Vec<u8>>> {
    let binding = Binding::of(record)?;
    let (profile, id) = (state.id(), record.id.as_str());
    let bound = contexts::card_details_bound(profile, id, binding.as_bytes());
    state.keys.open(KeyPurpose::Data, &bound, &record.details).or_else(|error| {
        // Only details sealed before the binding open here: a bound value cannot.
        state.keys.open(KeyPurpose::Data, &contexts::card_details(profile, id), &record.details).map_err(|_| error)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::card::CardNetwork;
    use crate::model::ids::{CustomerId, PaymentMethodId};
    use crate::model::payment_method::{PaymentMethodStatus, PaymentMethodSubtype, PaymentMethodType, StorageType};
    use crate::model::time::Timestamp;
    use crate::vault::profiles::tests::profile_state;
    use proptest::prelude::*;

    /// A volatile Visa card's record, its sealed values empty.
    pub(crate) fn record() -> PaymentMethodRecord {
        let now = Timestamp::from_millis(1_795_478_400_000);
        PaymentMethodRecord {
            id: PaymentMethodId::parse("pm_0190000000007000800000000000000a").unwrap(),
            customer_id: CustomerId::parse("cus_0190000000007000800000000000000b").unwrap(),
            payment_method_type: PaymentMethodType::Card,
            payment_method_subtype: PaymentMethodSubtype::Credit,
            storage_type: StorageType::Volatile,
            status: PaymentMethodStatus::Active,
            recurring_enabled: true,
            created_at: now,
            modified_at: now,
            last_used_at: now,
            expires_at: Some(now),
            last4: "1111".into(),
            isin: "41111111".into(),
            network: Some(CardNetwork::Visa),
            fingerprint: crate::crypto::Fingerprint([7; 32]),
            fingerprint_version: 1,
            cvc_expires_at: None,
            details: Vec::new(),
            pan: Vec::new(),
            network_token: None,
        }
    }

    pub(crate) fn details() -> CardDetails {
        CardDetails {
            exp_month: 3,
            exp_year: 2030,
            holder_name: Some("Joseph Doe".into()),
            nick_name: Some("work card".into()),
            issuer: None,
            card_type: None,
            issuing_country: None,
            billing: None,
            metadata: None,
        }
    }

    fn sealed(state: &ProfileState) -> PaymentMethodRecord {
        let mut record = record();
        record.details = seal_details(state, &record, &details()).unwrap();
        record
    }

    fn is_integrity(result: Result<Box<CardDetails>>) -> bool {
        result.is_err_and(|e| e.internal_kind() == Some("integrity"))
    }

    /// Pins the bound fields' bytes: details sealed with them must open forever.
    #[test]
    fn golden_binding() {
        let binding = Binding::of(&record()).unwrap();
        let golden = include_str!("../../tests/golden/card_binding_v1.hex").trim();
        assert_eq!(crate::crypto::hex::encode(binding.as_bytes()), golden);
    }

    #[test]
    fn details_open_with_their_record() {
        let state = profile_state("pro_a", 1);
        let record = sealed(&state);
        assert_eq!(*open_details(&state, &record).unwrap(), details());
        assert!(!sealed_before_the_binding(&state, &record));
        let damaged = PaymentMethodRecord { details: vec![0; 80], ..sealed(&state) };
        assert!(!sealed_before_the_binding(&state, &damaged), "damaged details are not moved");
        let resealed = PaymentMethodRecord { details: reseal_details(&state, &record).unwrap(), ..record };
        assert_eq!(*open_details(&state, &resealed).unwrap(), details());
    }

    /// Every bound field, changed alone, stops the details opening; the fields that change
    /// without a new seal (times, CVC expiry, fingerprint) do not.
    #[test]
    fn a_changed_bound_field_stops_the_details_opening() {
        let state = profile_state("pro_a", 1);
        type Edit = fn(&mut PaymentMethodRecord);
        // The payment method type has one variant today; its tag is bound all the same.
        let bound: [(&str, Edit); 8] = [
            ("customer_id", |r| r.customer_id = CustomerId::parse("cus_0190000000007000800000000000000c").unwrap()),
            ("payment_method_subtype", |r| r.payment_method_subtype = PaymentMethodSubtype::Debit),
            ("storage_type", |r| r.storage_type = StorageType::Persistent),
            ("expires_at", |r| r.expires_at = None),
            ("recurring_enabled", |r| r.recurring_enabled = false),
            ("last4", |r| r.last4 = "1112".into()),
            ("isin", |r| r.isin = "41111112".into()),
            ("network", |r| r.network = Some(CardNetwork::Mastercard)),
        ];
        for (field, edit) in bound {
            let mut record = sealed(&state);
            edit(&mut record);
            assert!(is_integrity(open_details(&state, &record)), "{field}");
            assert!(reseal_details(&state, &record).is_err(), "{field}");
        }
        let unbound: [Edit; 5] = [
            |r| r.modified_at = Timestamp::from_millis(2),
            |r| r.last_used_at = Timestamp::from_millis(3),
            |r| r.cvc_expires_at = Some(Timestamp::from_millis(4)),
            |r| r.fingerprint = crate::crypto::Fingerprint([8; 32]),
            |r| r.fingerprint_version = 2,
        ];
        for edit in unbound {
            let mut record = sealed(&state);
            edit(&mut record);
            assert_eq!(*open_details(&state, &record).unwrap(), details());
        }
    }

    /// Details sealed before the binding still open, whatever the clear fields say, until
    /// they are sealed again; then they are bound.
    #[test]
    fn details_sealed_before_the_binding_open_until_sealed_again() {
        let state = profile_state("pro_a", 1);
        let mut record = record();
        let plain = codec::encode_secret(&details()).unwrap();
        let unbound = contexts::card_details(state.id(), record.id.as_str());
        record.details = state.keys.seal(KeyPurpose::Data, &unbound, &plain).unwrap();
        assert_eq!(*open_details(&state, &record).unwrap(), details());
        assert!(sealed_before_the_binding(&state, &record));
        record.storage_type = StorageType::Persistent;
        assert_eq!(*open_details(&state, &record).unwrap(), details(), "not bound yet");

        record.details = reseal_details(&state, &record).unwrap();
        assert!(!sealed_before_the_binding(&state, &record));
        assert_eq!(*open_details(&state, &record).unwrap(), details());
        assert!(state.keys.open(KeyPurpose::Data, &unbound, &record.details).is_err(), "never opens unbound");
        record.storage_type = StorageType::Volatile;
        assert!(is_integrity(open_details(&state, &record)));
    }

    /// A record's clear fields as the binding reads them, from a proptest's draws.
    fn with_fields(
        customer: u8,
        subtype: bool,
        volatile_at: Option<i64>,
        recurring: bool,
        network: Option<usize>,
        last4: &str,
        isin: &str,
    ) -> PaymentMethodRecord {
        let mut record = record();
        // Half the ids carry a cell prefix.
        let cell = if customer % 2 == 0 { "" } else { "eu1_" };
        let id = format!("{cell}cus_01900000000070008000000000000{:03}", customer / 2);
        record.customer_id = CustomerId::parse(&id).unwrap();
        record.payment_method_subtype =
            if subtype { PaymentMethodSubtype::Debit } else { PaymentMethodSubtype::Credit };
        record.storage_type = if volatile_at.is_some() { StorageType::Volatile } else { StorageType::Persistent };
        record.expires_at = volatile_at.map(Timestamp::from_millis);
        record.recurring_enabled = recurring;
        record.network = network.map(|n| CardNetwork::ALL[n]);
        record.last4 = last4.into();
        record.isin = isin.into();
        record
    }

    fn fields() -> impl Strategy<Value = PaymentMethodRecord> {
        (
            0u8..8,
            any::<bool>(),
            proptest::option::of(prop_oneof![Just(0i64), Just(-1), any::<i64>()]),
            any::<bool>(),
            proptest::option::of(0usize..CardNetwork::ALL.len()),
            "[0-9]{0,4}",
            "[0-9]{0,8}",
        )
            .prop_map(|(c, s, v, r, n, l, i)| with_fields(c, s, v, r, n, &l, &i))
    }

    proptest! {
        /// Two records' bindings are the same bytes exactly when their bound fields are the
        /// same: the layout tells every field apart (lengths, flags), so no edit of one
        /// field can be made up by another.
        #[test]
        fn bindings_differ_exactly_when_the_fields_do(a in fields(), b in fields()) {
            let same = (&a.customer_id, a.payment_method_subtype, a.storage_type, a.expires_at, a.recurring_enabled, a.network, &a.last4, &a.isin)
                == (&b.customer_id, b.payment_method_subtype, b.storage_type, b.expires_at, b.recurring_enabled, b.network, &b.last4, &b.isin);
            let (x, y) = (Binding::of(&a).unwrap(), Binding::of(&b).unwrap());
            prop_assert_eq!(x.as_bytes() == y.as_bytes(), same);
        }
    }

    /// Details moved to another card of the profile do not open there, bound or not.
    #[test]
    fn details_of_another_card_do_not_open() {
        let state = profile_state("pro_a", 1);
        let mut record = sealed(&state);
        record.id = PaymentMethodId::parse("pm_0190000000007000800000000000000d").unwrap();
        assert!(is_integrity(open_details(&state, &record)));
        let other = profile_state("pro_b", 1);
        assert!(open_details(&other, &sealed(&state)).is_err());
    }
}
