//! A card's sealed values are bound to the clear fields of its record.
//!
//! A payment method record keeps some fields in clear, so that lists and purges need no
//! key: its owner, type, storage type and expiry, whether it may be used for recurring
//! payments, its last four digits, BIN range and network; and of its network token the
//! provider's reference, last four digits and expiry. The record's checksum
//! (`store/codec.rs`) catches corruption, not edits: someone who can write the vault's files
//! but holds no key could recompute it, and move a card to another customer, make a
//! volatile card persistent, show other last four digits, or point a card at another
//! card's network token. So those fields are bound into the associated data of the card's
//! details, which every read of the card opens (retrieve, list, reveal, update,
//! provisioning, cryptograms, verification), and of its network token number, which
//! reveal, cryptograms, token deletion at the provider and verification open: an edited
//! field makes the value fail to open, an integrity error. Masked views (retrieve, list)
//! show the token's clear fields without opening its number, which takes a PAN key.
//!
//! Values sealed before the binding (by builds before 2026-12-02) have no bound fields and
//! open under their unbound context, so their clear fields are only as safe as before.
//! Re-encryption (`reencrypt_profile`) seals them bound. Copies of the unbound values can
//! stay in older files (tables not yet compacted, a reused log, a checkpoint), and would
//! open again if written back: a key rotation before the re-encryption retires the key
//! version they were sealed under, after which none opens. A value sealed bound never
//! opens unbound, nor the other way round.

use zeroize::Zeroizing;

use crate::crypto::{KeyPurpose, SealContext};
use crate::error::{Error, Result};
use crate::store::codec;
use crate::store::records::{CardDetails, PaymentMethodRecord, StoredNetworkToken};
use crate::vault::contexts;
use crate::vault::profiles::ProfileState;

/// Room for the encoded fields: a card's are at most 82 bytes (a customer id of at most 53),
/// a network token's at most 137 (a provider reference of at most 128).
const BINDING_MAX: usize = 192;

/// One value's bound fields, encoded on the stack. A card's details:
///
/// ```text
/// customer_id (u8 length, text) | payment_method_type u8 | payment_method_subtype u8
/// | storage_type u8 | recurring_enabled u8 | network u8 (0 none, else 1 + its tag)
/// | expires_at (u8 0 none, or 1 and i64 BE milliseconds) | last4 (u8 length, text)
/// | isin (u8 length, text)
/// ```
///
/// A network token's number:
///
/// ```text
/// token_ref (u8 length, text) | last4 (u8 length, text) | expiry_month u8 | expiry_year u16 BE
/// ```
///
/// An enum's tag is its variant's index, as the records' own encoding (bincode) stores it.
/// Every 16 bytes are one more Poly1305 block on each open. Pinned by the golden vectors
/// `card_binding_v1` and `token_binding_v1`: values sealed with them must open forever,
/// so a field added later needs a layout of its own.
struct Binding {
    bytes: [u8; BINDING_MAX],
    len: usize,
}

impl Binding {
    fn card(record: &PaymentMethodRecord) -> Result<Self> {
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

    fn token(token: &TokenFields<'_>) -> Result<Self> {
        let mut binding = Self { bytes: [0; BINDING_MAX], len: 0 };
        binding.text(token.token_ref)?;
        binding.text(token.last4)?;
        binding.put(&[token.expiry_month])?;
        binding.put(&token.expiry_year.to_be_bytes())?;
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

/// A sealed value's context bound to its fields, and the unbound one values sealed
/// before the binding have (also `vault/customer_binding.rs`).
pub(crate) struct Contexts<'a> {
    pub(crate) purpose: KeyPurpose,
    pub(crate) bound: SealContext<'a>,
    pub(crate) unbound: SealContext<'a>,
}

impl<'a> Contexts<'a> {
    /// The contexts of a value whose context before the binding is `unbound`, bound to the
    /// encoded fields `binding`.
    pub(crate) fn new(purpose: KeyPurpose, unbound: SealContext<'a>, binding: &'a [u8]) -> Self {
        Self { purpose, bound: SealContext { bound: binding, ..unbound }, unbound }
    }

    pub(crate) fn seal(&self, state: &ProfileState, plaintext: &[u8]) -> Result<Vec<u8>> {
        state.keys.seal(self.purpose, &self.bound, plaintext)
    }

    /// Opens a value sealed bound, or sealed before the binding.
    pub(crate) fn open(&self, state: &ProfileState, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.open_allowing_unbound(state, sealed, true)
    }

    /// Opens a value sealed bound, or sealed before the binding when `unbound_allowed`.
    pub(crate) fn open_allowing_unbound(
        &self,
        state: &ProfileState,
        sealed: &[u8],
        unbound_allowed: bool,
    ) -> Result<Zeroizing<Vec<u8>>> {
        state.keys.open(self.purpose, &self.bound, sealed).or_else(|error| {
            if !unbound_allowed {
                return Err(error);
            }
            // Only values sealed before the binding open here: a bound value cannot.
            state.keys.open(self.purpose, &self.unbound, sealed).map_err(|_| error)
        })
    }

    /// Whether the value opens only unbound. Damaged values (which open neither way) do not.
    pub(crate) fn only_unbound(&self, state: &ProfileState, sealed: &[u8]) -> bool {
        state.keys.open(self.purpose, &self.bound, sealed).is_err()
            && state.keys.open(self.purpose, &self.unbound, sealed).is_ok()
    }
}

fn details_contexts<'a>(
    state: &'a ProfileState,
    record: &'a PaymentMethodRecord,
    binding: &'a Binding,
) -> Contexts<'a> {
    Contexts::new(KeyPurpose::Data, contexts::card_details(state.id(), record.id.as_str()), binding.as_bytes())
}

/// Seals a card's details for `record`, bound to its clear fields as they are now: a
/// change to any of them must seal the details again.
pub(crate) fn seal_details(
    state: &ProfileState,
    record: &PaymentMethodRecord,
    details: &CardDetails,
) -> Result<Vec<u8>> {
    let binding = Binding::card(record)?;
    details_contexts(state, record, &binding).seal(state, &codec::encode_secret(details)?)
}

/// Opens a card's details (data key: never a PAN key).
pub(crate) fn open_details(state: &ProfileState, record: &PaymentMethodRecord) -> Result<Box<CardDetails>> {
    let binding = Binding::card(record)?;
    codec::decode(&details_contexts(state, record, &binding).open(state, &record.details)?)
}

/// The details sealed again under the active key version, and bound (re-encryption).
pub(crate) fn reseal_details(state: &ProfileState, record: &PaymentMethodRecord) -> Result<Vec<u8>> {
    let binding = Binding::card(record)?;
    let contexts = details_contexts(state, record, &binding);
    contexts.seal(state, &contexts.open(state, &record.details)?)
}

/// The clear fields of a network token that its sealed number is bound to.
pub(crate) struct TokenFields<'a> {
    pub token_ref: &'a str,
    pub last4: &'a str,
    pub expiry_month: u8,
    pub expiry_year: u16,
}

fn token_contexts<'a>(state: &'a ProfileState, pm: &'a str, binding: &'a Binding) -> Contexts<'a> {
    Contexts::new(KeyPurpose::Pan, contexts::network_token_number(state.id(), pm), binding.as_bytes())
}

/// A stored token's sealed number and its clear fields.
fn stored_token(record: &PaymentMethodRecord) -> Option<(&[u8], TokenFields<'_>)> {
    let Some(StoredNetworkToken::Active { sealed_number, last4, expiry_month, expiry_year, token_ref, .. }) =
        &record.network_token
    else {
        return None;
    };
    let fields = TokenFields { token_ref, last4, expiry_month: *expiry_month, expiry_year: *expiry_year };
    Some((sealed_number, fields))
}

/// Seals a network token's number (PAN key) for payment method `pm`, bound to `token`.
pub(crate) fn seal_token_number(
    state: &ProfileState,
    pm: &str,
    token: &TokenFields<'_>,
    number: &[u8],
) -> Result<Vec<u8>> {
    let binding = Binding::token(token)?;
    token_contexts(state, pm, &binding).seal(state, number)
}

/// Opens the number of the card's network token, `None` when it has none.
pub(crate) fn open_token_number(
    state: &ProfileState,
    record: &PaymentMethodRecord,
) -> Result<Option<Zeroizing<Vec<u8>>>> {
    let Some((sealed, fields)) = stored_token(record) else { return Ok(None) };
    let binding = Binding::token(&fields)?;
    token_contexts(state, record.id.as_str(), &binding).open(state, sealed).map(Some)
}

/// The token number sealed again under the active key version, and bound (re-encryption);
/// `None` when the card has no network token.
pub(crate) fn reseal_token_number(state: &ProfileState, record: &PaymentMethodRecord) -> Result<Option<Vec<u8>>> {
    let Some((sealed, fields)) = stored_token(record) else { return Ok(None) };
    let binding = Binding::token(&fields)?;
    let contexts = token_contexts(state, record.id.as_str(), &binding);
    contexts.seal(state, &contexts.open(state, sealed)?).map(Some)
}

/// Whether a card's details or token number open only unbound: sealed before the
/// binding, and to be sealed again. Damaged values (which open neither way) are not.
pub(crate) fn sealed_before_the_binding(state: &ProfileState, record: &PaymentMethodRecord) -> bool {
    let details = Binding::card(record)
        .is_ok_and(|binding| details_contexts(state, record, &binding).only_unbound(state, &record.details));
    details
        || stored_token(record).is_some_and(|(sealed, fields)| {
            Binding::token(&fields)
                .is_ok_and(|binding| token_contexts(state, record.id.as_str(), &binding).only_unbound(state, sealed))
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
        let binding = Binding::card(&record()).unwrap();
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

    /// A record's clear fields as the binding reads them, from a proptest's draws (the
    /// storage type drawn apart from the expiry, so that either alone tells records apart).
    #[allow(clippy::too_many_arguments)]
    fn with_fields(
        customer: u8,
        subtype: bool,
        volatile: bool,
        expires_at: Option<i64>,
        recurring: bool,
        network: Option<usize>,
        last4: &str,
        isin: &str,
    ) -> PaymentMethodRecord {
        let mut record = record();
        record.customer_id = customer_id(customer);
        record.payment_method_subtype =
            if subtype { PaymentMethodSubtype::Debit } else { PaymentMethodSubtype::Credit };
        record.storage_type = if volatile { StorageType::Volatile } else { StorageType::Persistent };
        record.expires_at = expires_at.map(Timestamp::from_millis);
        record.recurring_enabled = recurring;
        record.network = network.map(|n| CardNetwork::ALL[n]);
        record.last4 = last4.into();
        record.isin = isin.into();
        record
    }

    /// Customer `n`: odd ones carry a cell prefix.
    fn customer_id(n: u8) -> CustomerId {
        let cell = if n.is_multiple_of(2) { "" } else { "eu1_" };
        CustomerId::parse(&format!("{cell}cus_01900000000070008000000000000{:03}", n / 2)).unwrap()
    }

    fn fields() -> impl Strategy<Value = PaymentMethodRecord> {
        (
            0u8..8,
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(prop_oneof![Just(0i64), Just(-1), any::<i64>()]),
            any::<bool>(),
            proptest::option::of(0usize..CardNetwork::ALL.len()),
            "[0-9]{0,4}",
            "[0-9]{0,8}",
        )
            .prop_map(|(c, s, v, e, r, n, l, i)| with_fields(c, s, v, e, r, n, &l, &i))
    }

    /// `record` with one bound field changed, or a digit moved from one text field to the
    /// next (`which` 0 changes nothing).
    fn edited(record: &PaymentMethodRecord, which: u8, draw: u8) -> PaymentMethodRecord {
        let mut r = record.clone();
        match which {
            1 => r.customer_id = customer_id(draw % 8),
            2 => r.payment_method_subtype = PaymentMethodSubtype::Debit,
            3 => r.storage_type = StorageType::Volatile,
            4 => r.expires_at = r.expires_at.map_or(Some(Timestamp::from_millis(i64::from(draw))), |_| None),
            5 => r.recurring_enabled = !r.recurring_enabled,
            6 => r.network = Some(CardNetwork::ALL[usize::from(draw) % CardNetwork::ALL.len()]),
            7 => match r.last4.pop() {
                Some(digit) => r.isin.insert(0, digit),
                None => r.isin.push('7'),
            },
            8 => match r.isin.is_empty() {
                false => {
                    let digit = r.isin.remove(0);
                    r.last4.push(digit);
                }
                true => r.last4.push('7'),
            },
            9 => r.last4 = format!("{:04}", u16::from(draw) * 37),
            _ => {}
        }
        r
    }

    fn bound_fields(r: &PaymentMethodRecord) -> impl PartialEq + '_ {
        let clear = (r.payment_method_subtype, r.storage_type, r.expires_at, r.recurring_enabled, r.network);
        (&r.customer_id, clear, &r.last4, &r.isin)
    }

    proptest! {
        /// Two records' bindings are the same bytes exactly when their bound fields are the
        /// same: each field changed alone, and a digit moved between the last four and
        /// the BIN range, changes the bytes (the layout tells every field apart by its
        /// length prefix or its place), and equal fields give equal bytes.
        #[test]
        fn bindings_differ_exactly_when_the_fields_do(a in fields(), which in 0u8..10, draw in any::<u8>()) {
            let b = edited(&a, which, draw);
            let same = bound_fields(&a) == bound_fields(&b);
            prop_assert!(which == 0 || !same || matches!(which, 1..=3 | 6 | 9), "edit {} changed nothing", which);
            let (x, y) = (Binding::card(&a).unwrap(), Binding::card(&b).unwrap());
            prop_assert_eq!(x.as_bytes() == y.as_bytes(), same, "edit {}", which);
        }

        /// Of two independent records, too.
        #[test]
        fn bindings_of_independent_records_differ_with_their_fields(a in fields(), b in fields()) {
            let same = bound_fields(&a) == bound_fields(&b);
            let (x, y) = (Binding::card(&a).unwrap(), Binding::card(&b).unwrap());
            prop_assert_eq!(x.as_bytes() == y.as_bytes(), same);
        }
    }

    fn token(token_ref: &str) -> StoredNetworkToken {
        StoredNetworkToken::Active {
            sealed_number: Vec::new(),
            last4: "4242".into(),
            expiry_month: 12,
            expiry_year: 2031,
            token_ref: token_ref.into(),
            status: crate::model::network_token::NetworkTokenStatus::Active,
            provisioned_at: Timestamp::from_millis(1),
        }
    }

    /// `record` with a network token whose number is sealed bound (or, `unbound`, as before
    /// the binding).
    pub(crate) fn with_token(state: &ProfileState, record: PaymentMethodRecord, unbound: bool) -> PaymentMethodRecord {
        let mut record = PaymentMethodRecord { network_token: Some(token("tok_ref-1")), ..record };
        let number = b"4895370000000002";
        let sealed = if unbound {
            let ctx = contexts::network_token_number(state.id(), record.id.as_str());
            state.keys.seal(KeyPurpose::Pan, &ctx, number).unwrap()
        } else {
            let (_, fields) = stored_token(&record).unwrap();
            seal_token_number(state, record.id.as_str(), &fields, number).unwrap()
        };
        if let Some(StoredNetworkToken::Active { sealed_number, .. }) = &mut record.network_token {
            *sealed_number = sealed;
        }
        record
    }

    fn token_number(state: &ProfileState, record: &PaymentMethodRecord) -> Result<Vec<u8>> {
        open_token_number(state, record).map(|n| n.unwrap().to_vec())
    }

    /// Pins the token binding's bytes.
    #[test]
    fn golden_token_binding() {
        let fields = TokenFields { token_ref: "tok_ref-1", last4: "4242", expiry_month: 12, expiry_year: 2031 };
        let golden = include_str!("../../tests/golden/token_binding_v1.hex").trim();
        assert_eq!(crate::crypto::hex::encode(Binding::token(&fields).unwrap().as_bytes()), golden);
    }

    /// A token number opens only with the token's reference, last four and expiry as they
    /// were sealed, and only for its own card.
    #[test]
    fn a_token_number_is_bound_to_its_reference_and_card() {
        let state = profile_state("pro_a", 1);
        let record = with_token(&state, sealed(&state), false);
        assert_eq!(token_number(&state, &record).unwrap(), b"4895370000000002");
        assert!(!sealed_before_the_binding(&state, &record));
        type Edit = fn(&mut StoredNetworkToken);
        let edits: [Edit; 4] = [
            |t| {
                if let StoredNetworkToken::Active { token_ref, .. } = t {
                    *token_ref = "tok_ref-2".into()
                }
            },
            |t| {
                if let StoredNetworkToken::Active { last4, .. } = t {
                    *last4 = "4243".into()
                }
            },
            |t| {
                if let StoredNetworkToken::Active { expiry_month, .. } = t {
                    *expiry_month = 11
                }
            },
            |t| {
                if let StoredNetworkToken::Active { expiry_year, .. } = t {
                    *expiry_year = 2032
                }
            },
        ];
        for edit in edits {
            let mut edited = record.clone();
            edit(edited.network_token.as_mut().unwrap());
            assert!(token_number(&state, &edited).is_err_and(|e| e.internal_kind() == Some("integrity")));
            assert!(reseal_token_number(&state, &edited).is_err());
        }
        let mut moved = record.clone();
        moved.id = PaymentMethodId::parse("pm_0190000000007000800000000000000d").unwrap();
        assert!(token_number(&state, &moved).is_err());
        let without = PaymentMethodRecord { network_token: None, ..record };
        assert!(open_token_number(&state, &without).unwrap().is_none());
    }

    /// A token number sealed before the binding opens, counts as sealed before the binding,
    /// and is bound once sealed again.
    #[test]
    fn a_token_number_sealed_before_the_binding_opens_until_sealed_again() {
        let state = profile_state("pro_a", 1);
        let mut record = with_token(&state, sealed(&state), true);
        assert_eq!(token_number(&state, &record).unwrap(), b"4895370000000002");
        assert!(sealed_before_the_binding(&state, &record), "the details are bound, the token is not");
        let resealed = reseal_token_number(&state, &record).unwrap().unwrap();
        if let Some(StoredNetworkToken::Active { sealed_number, .. }) = &mut record.network_token {
            *sealed_number = resealed;
        }
        assert!(!sealed_before_the_binding(&state, &record));
        assert_eq!(token_number(&state, &record).unwrap(), b"4895370000000002");
        let unbound = contexts::network_token_number(state.id(), record.id.as_str());
        let Some((sealed, _)) = stored_token(&record) else { unreachable!() };
        assert!(state.keys.open(KeyPurpose::Pan, &unbound, sealed).is_err(), "never opens unbound");
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
