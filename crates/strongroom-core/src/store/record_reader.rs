//! Hand-written decoders of the two records every retrieve and list reads: the payment
//! method record and its opened card details. serde's derive defines the format and still
//! encodes it; through serde a payment method decode took ~5k instructions, most of them
//! in the fingerprint read as 32 tuple elements, the two ids and serde's visitors. These
//! read the same bytes field by field ([`Reader`]), in the order each struct declares them.
//!
//! They must agree with serde's decoding on every input, bincode's decode limit included:
//! the tests compare both on arbitrary records (every enum variant, both id forms, both
//! network token states, every address field, metadata with repeated keys), on damaged
//! bytes and at the limit; the golden vectors in `records.rs` and the `record_decode` fuzz
//! target check both too.

use std::collections::BTreeMap;

use crate::crypto::Fingerprint;
use crate::model::address::Address;
use crate::model::card::CardNetwork;
use crate::model::metadata::Metadata;
use crate::model::network_token::{NetworkTokenStatus, ProviderErrorKind};
use crate::model::payment_method::{PaymentMethodStatus, PaymentMethodSubtype, PaymentMethodType, StorageType};
use crate::model::sensitive::SecretString;
use crate::model::time::Timestamp;
use crate::store::records::{CardDetails, PaymentMethodRecord, StoredNetworkToken};
use crate::store::stored_id;
use crate::store::wire::Reader;

/// A payment method record's body, `None` when malformed.
pub(crate) fn payment_method(r: &mut Reader) -> Option<PaymentMethodRecord> {
    // Fields are evaluated in the order written, which is the struct's declaration order.
    Some(PaymentMethodRecord {
        id: stored_id::read_generated(r)?,
        customer_id: stored_id::read_generated(r)?,
        payment_method_type: payment_method_type(r.variant()?)?,
        payment_method_subtype: payment_method_subtype(r.variant()?)?,
        storage_type: storage_type(r.variant()?)?,
        status: payment_method_status(r.variant()?)?,
        recurring_enabled: r.bool()?,
        created_at: timestamp(r)?,
        modified_at: timestamp(r)?,
        last_used_at: timestamp(r)?,
        expires_at: optional(r, timestamp)?,
        last4: r.string()?,
        isin: r.string()?,
        network: optional(r, |r| card_network(r.variant()?))?,
        fingerprint: Fingerprint(r.array()?),
        fingerprint_version: r.u32()?,
        cvc_expires_at: optional(r, timestamp)?,
        details: r.bytes()?.to_vec(),
        pan: r.bytes()?.to_vec(),
        network_token: optional(r, network_token)?,
    })
}

/// The body of opened card details, `None` when malformed.
pub(crate) fn card_details(r: &mut Reader) -> Option<CardDetails> {
    Some(CardDetails {
        exp_month: r.u8()?,
        exp_year: r.u16()?,
        holder_name: optional(r, |r| r.string().map(SecretString::from))?,
        nick_name: optional(r, Reader::string)?,
        issuer: optional(r, Reader::string)?,
        card_type: optional(r, Reader::string)?,
        issuing_country: optional(r, Reader::string)?,
        billing: optional(r, address)?,
        metadata: optional(r, metadata)?,
    })
}

fn address(r: &mut Reader) -> Option<Address> {
    let mut text = || optional(r, Reader::string);
    Some(Address {
        line1: text()?,
        line2: text()?,
        line3: text()?,
        city: text()?,
        state: text()?,
        zip: text()?,
        country: text()?,
        first_name: text()?,
        last_name: text()?,
        phone: text()?,
        phone_country_code: text()?,
        email: text()?,
    })
}

/// A map: its length, then each key and value. A repeated key keeps the last value, as
/// serde's map visitor does.
fn metadata(r: &mut Reader) -> Option<Metadata> {
    let len = r.u64()?;
    let mut map = BTreeMap::new();
    for _ in 0..len {
        let key = r.string()?;
        map.insert(key, r.string()?);
    }
    Some(Metadata(map))
}

fn network_token(r: &mut Reader) -> Option<StoredNetworkToken> {
    match r.variant()? {
        0 => Some(StoredNetworkToken::Active {
            sealed_number: r.bytes()?.to_vec(),
            last4: r.string()?,
            expiry_month: r.u8()?,
            expiry_year: r.u16()?,
            token_ref: r.string()?,
            status: network_token_status(r.variant()?)?,
            provisioned_at: timestamp(r)?,
        }),
        1 => Some(StoredNetworkToken::Missing {
            kind: provider_error_kind(r.variant()?)?,
            reason: r.string()?,
            at: timestamp(r)?,
        }),
        _ => None,
    }
}

fn timestamp(r: &mut Reader) -> Option<Timestamp> {
    r.i64().map(Timestamp::from_millis)
}

/// An `Option<T>`: `Some(None)` when absent, `None` when malformed.
fn optional<'a, T>(r: &mut Reader<'a>, read: impl FnOnce(&mut Reader<'a>) -> Option<T>) -> Option<Option<T>> {
    if r.is_some()? { read(r).map(Some) } else { Some(None) }
}

// Variant numbers are the declaration order of each enum (serde's derive numbers them so);
// the tests encode every variant through serde and read it back here.

fn payment_method_type(n: u32) -> Option<PaymentMethodType> {
    match n {
        0 => Some(PaymentMethodType::Card),
        _ => None,
    }
}

fn payment_method_subtype(n: u32) -> Option<PaymentMethodSubtype> {
    match n {
        0 => Some(PaymentMethodSubtype::Credit),
        1 => Some(PaymentMethodSubtype::Debit),
        _ => None,
    }
}

fn storage_type(n: u32) -> Option<StorageType> {
    match n {
        0 => Some(StorageType::Persistent),
        1 => Some(StorageType::Volatile),
        _ => None,
    }
}

fn payment_method_status(n: u32) -> Option<PaymentMethodStatus> {
    match n {
        0 => Some(PaymentMethodStatus::Active),
        _ => None,
    }
}

fn card_network(n: u32) -> Option<CardNetwork> {
    CardNetwork::ALL.get(usize::try_from(n).ok()?).copied()
}

fn network_token_status(n: u32) -> Option<NetworkTokenStatus> {
    match n {
        0 => Some(NetworkTokenStatus::Active),
        1 => Some(NetworkTokenStatus::Suspended),
        2 => Some(NetworkTokenStatus::Deleted),
        _ => None,
    }
}

fn provider_error_kind(n: u32) -> Option<ProviderErrorKind> {
    match n {
        0 => Some(ProviderErrorKind::Unavailable),
        1 => Some(ProviderErrorKind::Declined),
        2 => Some(ProviderErrorKind::NotFound),
        3 => Some(ProviderErrorKind::Failed),
        _ => None,
    }
}

/// Also the arbitrary records, addresses and card details the codec's own round-trip
/// tests (`store/records.rs`) draw from.
#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::ids::{CustomerId, PaymentMethodId};
    use crate::store::codec::{self, Record};

    /// Every variant of each enum the record holds. The matches fail to compile when a
    /// variant is added, so a new one cannot go untested.
    fn subtypes() -> [PaymentMethodSubtype; 2] {
        let _ = |v: PaymentMethodSubtype| match v {
            PaymentMethodSubtype::Credit | PaymentMethodSubtype::Debit => (),
        };
        [PaymentMethodSubtype::Credit, PaymentMethodSubtype::Debit]
    }

    fn storage_types() -> [StorageType; 2] {
        let _ = |v: StorageType| match v {
            StorageType::Persistent | StorageType::Volatile => (),
        };
        [StorageType::Persistent, StorageType::Volatile]
    }

    fn statuses() -> ([PaymentMethodType; 1], [PaymentMethodStatus; 1]) {
        let _ = |v: PaymentMethodType| match v {
            PaymentMethodType::Card => (),
        };
        let _ = |v: PaymentMethodStatus| match v {
            PaymentMethodStatus::Active => (),
        };
        ([PaymentMethodType::Card], [PaymentMethodStatus::Active])
    }

    /// Listed here rather than taken from `CardNetwork::ALL`: a variant missing from `ALL`
    /// (which the reader maps numbers through) must fail this test, not hide from it.
    fn networks() -> [CardNetwork; 12] {
        let _ = |v: CardNetwork| match v {
            CardNetwork::Visa
            | CardNetwork::Mastercard
            | CardNetwork::AmericanExpress
            | CardNetwork::Discover
            | CardNetwork::Jcb
            | CardNetwork::DinersClub
            | CardNetwork::UnionPay
            | CardNetwork::Maestro
            | CardNetwork::RuPay
            | CardNetwork::Mir
            | CardNetwork::Interac
            | CardNetwork::CartesBancaires => (),
        };
        [
            CardNetwork::Visa,
            CardNetwork::Mastercard,
            CardNetwork::AmericanExpress,
            CardNetwork::Discover,
            CardNetwork::Jcb,
            CardNetwork::DinersClub,
            CardNetwork::UnionPay,
            CardNetwork::Maestro,
            CardNetwork::RuPay,
            CardNetwork::Mir,
            CardNetwork::Interac,
            CardNetwork::CartesBancaires,
        ]
    }

    fn token_statuses() -> [NetworkTokenStatus; 3] {
        let _ = |v: NetworkTokenStatus| match v {
            NetworkTokenStatus::Active | NetworkTokenStatus::Suspended | NetworkTokenStatus::Deleted => (),
        };
        [NetworkTokenStatus::Active, NetworkTokenStatus::Suspended, NetworkTokenStatus::Deleted]
    }

    fn error_kinds() -> [ProviderErrorKind; 4] {
        let _ = |v: ProviderErrorKind| match v {
            ProviderErrorKind::Unavailable
            | ProviderErrorKind::Declined
            | ProviderErrorKind::NotFound
            | ProviderErrorKind::Failed => (),
        };
        [
            ProviderErrorKind::Unavailable,
            ProviderErrorKind::Declined,
            ProviderErrorKind::NotFound,
            ProviderErrorKind::Failed,
        ]
    }

    fn serde_variant<T: serde::Serialize>(value: &T) -> u32 {
        let bytes = bincode::serde::encode_to_vec(value, bincode::config::standard()).unwrap();
        let mut reader = Reader::new(&bytes, codec::DECODE_LIMIT);
        let n = reader.variant().unwrap();
        assert!(reader.is_empty(), "a unit variant is its number alone");
        n
    }

    #[test]
    fn every_variant_reads_as_serde_numbers_it() {
        for v in subtypes() {
            assert_eq!(payment_method_subtype(serde_variant(&v)), Some(v));
        }
        for v in storage_types() {
            assert_eq!(storage_type(serde_variant(&v)), Some(v));
        }
        let (types, statuses) = statuses();
        for v in types {
            assert_eq!(payment_method_type(serde_variant(&v)), Some(v));
        }
        for v in statuses {
            assert_eq!(payment_method_status(serde_variant(&v)), Some(v));
        }
        for v in networks() {
            assert_eq!(card_network(serde_variant(&v)), Some(v));
        }
        for v in token_statuses() {
            assert_eq!(network_token_status(serde_variant(&v)), Some(v));
        }
        for v in error_kinds() {
            assert_eq!(provider_error_kind(serde_variant(&v)), Some(v));
        }
        assert_eq!(card_network(12), None);
        assert_eq!(provider_error_kind(4), None);
    }

    fn hex_id() -> impl Strategy<Value = String> {
        "[0-9a-f]{32}"
    }

    /// Ids of the compact form, and cell-prefixed ones that stay text.
    fn ids() -> impl Strategy<Value = (PaymentMethodId, CustomerId)> {
        (hex_id(), hex_id(), proptest::option::of("cell[0-9]{1,3}")).prop_map(|(pm, cus, cell)| {
            let with_cell = |prefix: &str, hex: &str| match &cell {
                Some(cell) => format!("{cell}_{prefix}_{hex}"),
                None => format!("{prefix}_{hex}"),
            };
            (
                PaymentMethodId::parse(&with_cell("pm", &pm)).unwrap(),
                CustomerId::parse(&with_cell("cus", &cus)).unwrap(),
            )
        })
    }

    fn network_tokens() -> impl Strategy<Value = Option<StoredNetworkToken>> {
        let active = (
            proptest::collection::vec(any::<u8>(), 0..80),
            "[0-9]{4}",
            any::<u8>(),
            any::<u16>(),
            ".{0,40}",
            proptest::sample::select(token_statuses().to_vec()),
            any::<i64>(),
        )
            .prop_map(|(sealed_number, last4, expiry_month, expiry_year, token_ref, status, at)| {
                StoredNetworkToken::Active {
                    sealed_number,
                    last4,
                    expiry_month,
                    expiry_year,
                    token_ref,
                    status,
                    provisioned_at: Timestamp::from_millis(at),
                }
            });
        let missing = (proptest::sample::select(error_kinds().to_vec()), ".{0,60}", any::<i64>()).prop_map(
            |(kind, reason, at)| StoredNetworkToken::Missing { kind, reason, at: Timestamp::from_millis(at) },
        );
        proptest::option::of(prop_oneof![active, missing])
    }

    prop_compose! {
        pub(crate) fn records()(
            (id, customer_id) in ids(),
            subtype in proptest::sample::select(subtypes().to_vec()),
            storage_type in proptest::sample::select(storage_types().to_vec()),
            recurring_enabled in any::<bool>(),
            times in any::<[i64; 3]>(),
            expires_at in proptest::option::of(any::<i64>()),
            last4 in ".{0,6}",
            isin in ".{0,10}",
            network in proptest::option::of(proptest::sample::select(networks().to_vec())),
            fingerprint in any::<[u8; 32]>(),
            fingerprint_version in any::<u32>(),
            cvc_expires_at in proptest::option::of(any::<i64>()),
            details in proptest::collection::vec(any::<u8>(), 0..400),
            pan in proptest::collection::vec(any::<u8>(), 0..120),
            network_token in network_tokens(),
        ) -> PaymentMethodRecord {
            PaymentMethodRecord {
                id,
                customer_id,
                payment_method_type: PaymentMethodType::Card,
                payment_method_subtype: subtype,
                storage_type,
                status: PaymentMethodStatus::Active,
                recurring_enabled,
                created_at: Timestamp::from_millis(times[0]),
                modified_at: Timestamp::from_millis(times[1]),
                last_used_at: Timestamp::from_millis(times[2]),
                expires_at: expires_at.map(Timestamp::from_millis),
                last4,
                isin,
                network,
                fingerprint: Fingerprint(fingerprint),
                fingerprint_version,
                cvc_expires_at: cvc_expires_at.map(Timestamp::from_millis),
                details,
                pan,
                network_token,
            }
        }
    }

    pub(crate) fn text() -> impl Strategy<Value = Option<String>> {
        proptest::option::of("\\PC{0,40}")
    }

    prop_compose! {
        pub(crate) fn addresses()(
            lines in [text(), text(), text()], place in [text(), text(), text(), text()],
            person in [text(), text(), text(), text(), text()],
        ) -> Address {
            let [line1, line2, line3] = lines;
            let [city, state, zip, country] = place;
            let [first_name, last_name, phone, phone_country_code, email] = person;
            Address { line1, line2, line3, city, state, zip, country, first_name, last_name, phone, phone_country_code, email }
        }
    }

    prop_compose! {
        pub(crate) fn details()(
            exp_month in any::<u8>(), exp_year in any::<u16>(), holder in text(),
            names in [text(), text(), text(), text()],
            billing in proptest::option::of(addresses()),
            metadata in proptest::option::of(proptest::collection::btree_map("\\PC{0,10}", "\\PC{0,20}", 0..5)),
        ) -> CardDetails {
            let [nick_name, issuer, card_type, issuing_country] = names;
            CardDetails {
                exp_month,
                exp_year,
                holder_name: holder.map(SecretString::from),
                nick_name,
                issuer,
                card_type,
                issuing_country,
                billing,
                metadata: metadata.map(Metadata),
            }
        }
    }

    /// The hand-written decoder of `R`: what the codec calls.
    fn hand<R: Record>(body: &[u8]) -> Option<R> {
        R::decode_body(body)
    }

    fn hand_details(body: &[u8]) -> Option<CardDetails> {
        hand(body)
    }

    /// The body of an encoded record: without the format byte and the checksum.
    fn body_of<R: Record>(record: &R) -> Vec<u8> {
        let encoded = codec::encode(record).unwrap();
        encoded[1..encoded.len() - 8].to_vec()
    }

    /// `body` with one byte changed, cut short and extended: the hand-written decoder and
    /// serde's give the same answer for each (the checksum is what normally catches them).
    fn damaged_bodies_agree<R: Record + PartialEq + std::fmt::Debug>(
        body: &[u8],
        (pos, delta, cut, extra): (usize, u8, usize, &[u8]),
    ) -> Result<(), TestCaseError> {
        let mut changed = body.to_vec();
        let i = pos % changed.len();
        changed[i] ^= delta;
        prop_assert_eq!(hand::<R>(&changed), codec::serde_body::<R>(&changed));
        let truncated = &body[..cut % body.len()];
        prop_assert_eq!(hand::<R>(truncated), codec::serde_body::<R>(truncated));
        let mut longer = body.to_vec();
        longer.extend_from_slice(extra);
        prop_assert_eq!(hand::<R>(&longer), codec::serde_body::<R>(&longer));
        Ok(())
    }

    #[test]
    fn a_repeated_metadata_key_keeps_the_last_value_in_both_decoders() {
        let mut body = body_of(&CardDetails { metadata: Some(Metadata::default()), ..details_with_nothing() });
        let map_len = body.len() - 1;
        assert_eq!(body[map_len], 0, "the empty map's length is the last byte");
        body[map_len] = 2;
        for (key, value) in [("k", "first"), ("k", "last")] {
            body.extend_from_slice(&[1, key.as_bytes()[0], u8::try_from(value.len()).unwrap()]);
            body.extend_from_slice(value.as_bytes());
        }
        let read = hand_details(&body).unwrap();
        assert_eq!(read.metadata.as_ref().and_then(|m| m.0.get("k")).map(String::as_str), Some("last"));
        assert_eq!(Some(read), codec::serde_body::<CardDetails>(&body));
    }

    /// Card details whose metadata holds `pairs` empty keys and values: each pair claims 16
    /// against bincode's limit while taking 2 bytes, so the limit is reached well before
    /// the body is that long.
    fn details_with_empty_pairs(pairs: u64) -> Vec<u8> {
        let mut body = body_of(&CardDetails { metadata: Some(Metadata::default()), ..details_with_nothing() });
        body.pop();
        body.push(253);
        body.extend_from_slice(&pairs.to_le_bytes());
        body.extend(std::iter::repeat_n(0u8, 2 * pairs as usize));
        body
    }

    #[test]
    fn bincode_s_limit_refuses_the_same_bodies_in_both_decoders() {
        let serde_reads = |pairs| codec::serde_body::<CardDetails>(&details_with_empty_pairs(pairs)).is_some();
        // The most pairs serde's decoding accepts (its limit is what stops it).
        let (mut fits, mut over) = (0u64, 1 << 17);
        assert!(serde_reads(fits) && !serde_reads(over));
        while over - fits > 1 {
            let mid = (fits + over) / 2;
            if serde_reads(mid) { fits = mid } else { over = mid }
        }
        assert!(fits > 60_000, "the limit, not malformed input, stops it ({fits} pairs)");
        for pairs in [fits - 1, fits, over, over + 1] {
            let body = details_with_empty_pairs(pairs);
            assert_eq!(hand_details(&body), codec::serde_body::<CardDetails>(&body), "{pairs} pairs");
        }
        assert!(hand_details(&details_with_empty_pairs(fits)).is_some());
        assert!(hand_details(&details_with_empty_pairs(over)).is_none());
    }

    fn details_with_nothing() -> CardDetails {
        CardDetails {
            exp_month: 12,
            exp_year: 2030,
            holder_name: None,
            nick_name: None,
            issuer: None,
            card_type: None,
            issuing_country: None,
            billing: None,
            metadata: None,
        }
    }

    proptest! {
        #[test]
        fn reads_every_record_serde_writes(record in records()) {
            prop_assert_eq!(hand::<PaymentMethodRecord>(&body_of(&record)), Some(record.clone()));
            prop_assert_eq!(codec::decode::<PaymentMethodRecord>(&codec::encode(&record).unwrap()).ok(), Some(record));
        }

        /// Damaged bodies (the checksum is what normally catches them): both decoders give
        /// the same record or both refuse, whatever the change.
        #[test]
        fn agrees_with_serde_on_damaged_bytes(
            record in records(), pos in any::<usize>(), delta in 1u8..=255, cut in any::<usize>(), extra in proptest::collection::vec(any::<u8>(), 0..3),
        ) {
            damaged_bodies_agree::<PaymentMethodRecord>(&body_of(&record), (pos, delta, cut, &extra))?;
        }

        #[test]
        fn agrees_with_serde_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            prop_assert_eq!(hand::<PaymentMethodRecord>(&bytes), codec::serde_body::<PaymentMethodRecord>(&bytes));
            prop_assert_eq!(hand_details(&bytes), codec::serde_body::<CardDetails>(&bytes));
        }

        #[test]
        fn reads_every_card_details_serde_writes(details in details()) {
            prop_assert_eq!(hand_details(&body_of(&details)), Some(details.clone()));
            let sealed_form = codec::encode_secret(&details).unwrap();
            prop_assert_eq!(codec::decode::<CardDetails>(&sealed_form).ok(), Some(details));
        }

        #[test]
        fn agrees_with_serde_on_damaged_card_details(
            details in details(), pos in any::<usize>(), delta in 1u8..=255, cut in any::<usize>(), extra in proptest::collection::vec(any::<u8>(), 0..3),
        ) {
            damaged_bodies_agree::<CardDetails>(&body_of(&details), (pos, delta, cut, &extra))?;
        }
    }
}
