//! What the vault stores. Clear fields are what indexes, listing and masked views may show
//! (ids, status, times, BIN, last four, network, keyed fingerprint); everything personal or
//! card-related is inside a sealed field. Changing any of these shapes changes the on-disk
//! format: bump the record's `FORMAT` and update its golden vector.

use serde::{Deserialize, Serialize};

use crate::crypto::{Fingerprint, MasterKeyId};
use crate::model::address::Address;
use crate::model::audit::{AuditAction, AuditActor, AuditOutcome};
use crate::model::card::CardNetwork;
use crate::model::ids::{ApiKeyId, CustomerId, MerchantId, PaymentMethodId, ProfileId};
use crate::model::metadata::Metadata;
use crate::model::network_token::{NetworkTokenStatus, ProviderErrorKind};
use crate::model::payment_method::{PaymentMethodStatus, PaymentMethodSubtype, PaymentMethodType, StorageType};
use crate::model::scope::Scopes;
use crate::model::sensitive::SecretString;
use crate::model::time::Timestamp;
use crate::store::codec::{self, Record};
use crate::store::record_reader;
use crate::store::stored_id;
use crate::store::wire;

/// The vault's on-disk format, stored in `meta` at creation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VaultFormat {
    pub version: u32,
    pub created_at: Timestamp,
}

impl Record for VaultFormat {
    const KIND: &'static str = "vault format";
    const FORMAT: u8 = 1;
}

/// A master key's check value, recorded when the key is first used with the vault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MasterKeyCheck {
    pub master_key_id: MasterKeyId,
    pub check_value: [u8; 16],
    pub added_at: Timestamp,
}

impl Record for MasterKeyCheck {
    const KIND: &'static str = "master key check value";
    const FORMAT: u8 = 1;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum KeyState {
    /// New values are sealed with this version.
    Active,
    /// Values sealed with this version can still be opened; nothing new uses it.
    DecryptOnly,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyVersionRecord {
    pub version: u32,
    pub master_key_id: MasterKeyId,
    pub state: KeyState,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredSettings {
    pub cvc_ttl_ms: u64,
    pub volatile_ttl_ms: u64,
    pub expose_card_fingerprint: bool,
}

/// A profile: its settings, its random salt (destroying it shreds the profile) and its
/// key versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProfileRecord {
    pub id: ProfileId,
    pub merchant_id: MerchantId,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
    pub settings: StoredSettings,
    pub salt: [u8; 32],
    pub key_versions: Vec<KeyVersionRecord>,
    /// The key API key secrets are HMACed with, sealed under the data key (re-encryption
    /// moves the seal; the key itself never changes, so stored digests stay valid).
    #[serde(with = "serde_bytes")]
    pub api_key_hmac_key: Vec<u8>,
}

impl Record for ProfileRecord {
    const KIND: &'static str = "profile";
    const FORMAT: u8 = 1;
}

impl ProfileRecord {
    pub(crate) fn active_version(&self) -> Option<&KeyVersionRecord> {
        self.key_versions.iter().find(|v| v.state == KeyState::Active)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum StoredCustomerStatus {
    Active,
    Redacted,
}

/// A customer. `pii` is a sealed [`CustomerPii`]; a redacted customer keeps only its id,
/// times and status, so later access can say "redacted" rather than "not found".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CustomerRecord {
    #[serde(with = "stored_id::generated")]
    pub id: CustomerId,
    pub merchant_reference_id: Option<String>,
    pub status: StoredCustomerStatus,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
    #[serde(with = "serde_bytes")]
    pub pii: Option<Vec<u8>>,
}

impl Record for CustomerRecord {
    const KIND: &'static str = "customer";
    /// 2: ids in their stored form (`stored_id`); format 1 still decodes.
    const FORMAT: u8 = 2;
    const OLDEST_FORMAT: u8 = 1;
}

/// The sealed part of a customer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CustomerPii {
    pub name: Option<SecretString>,
    pub email: Option<SecretString>,
    pub phone: Option<SecretString>,
    pub phone_country_code: Option<String>,
    pub description: Option<String>,
    pub default_billing_address: Option<Address>,
    pub default_shipping_address: Option<Address>,
    pub metadata: Option<Metadata>,
}

impl Record for CustomerPii {
    const KIND: &'static str = "customer personal data";
    const FORMAT: u8 = 1;
}

/// A saved card. `details` is a sealed [`CardDetails`] (data key); `pan` is the sealed card
/// number (PAN key), opened only by reveal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PaymentMethodRecord {
    #[serde(with = "stored_id::generated")]
    pub id: PaymentMethodId,
    #[serde(with = "stored_id::generated")]
    pub customer_id: CustomerId,
    pub payment_method_type: PaymentMethodType,
    pub payment_method_subtype: PaymentMethodSubtype,
    pub storage_type: StorageType,
    pub status: PaymentMethodStatus,
    pub recurring_enabled: bool,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
    pub last_used_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub last4: String,
    pub isin: String,
    pub network: Option<CardNetwork>,
    pub fingerprint: Fingerprint,
    pub fingerprint_version: u32,
    pub cvc_expires_at: Option<Timestamp>,
    #[serde(with = "serde_bytes")]
    pub details: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub pan: Vec<u8>,
    /// The network token, when one was asked for.
    pub network_token: Option<StoredNetworkToken>,
}

/// A payment method's network token: the number sealed with the PAN key, the rest in
/// clear for masked views; or why provisioning failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum StoredNetworkToken {
    Active {
        #[serde(with = "serde_bytes")]
        sealed_number: Vec<u8>,
        last4: String,
        expiry_month: u8,
        expiry_year: u16,
        token_ref: String,
        status: NetworkTokenStatus,
        provisioned_at: Timestamp,
    },
    Missing {
        kind: ProviderErrorKind,
        reason: String,
        at: Timestamp,
    },
}

impl Record for PaymentMethodRecord {
    const KIND: &'static str = "payment method";
    /// 2: ids in their stored form (`stored_id`); format 1 still decodes.
    const FORMAT: u8 = 2;
    const OLDEST_FORMAT: u8 = 1;

    /// Read by hand (`store/record_reader.rs`): the same bytes as serde's derive reads, in
    /// a fraction of the instructions.
    fn decode_body(body: &[u8]) -> Option<Self> {
        wire::read_whole(body, codec::DECODE_LIMIT, record_reader::payment_method)
    }

    fn decode_body_boxed(body: &[u8]) -> Option<Box<Self>> {
        wire::read_whole(body, codec::DECODE_LIMIT, |r| record_reader::payment_method(r).map(Box::new))
    }
}

/// The sealed details of a card: everything of the masked view that is not public.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CardDetails {
    pub exp_month: u8,
    pub exp_year: u16,
    pub holder_name: Option<SecretString>,
    pub nick_name: Option<String>,
    pub issuer: Option<String>,
    pub card_type: Option<String>,
    pub issuing_country: Option<String>,
    pub billing: Option<Address>,
    pub metadata: Option<Metadata>,
}

impl Record for CardDetails {
    const KIND: &'static str = "card details";
    const FORMAT: u8 = 1;

    /// Read by hand, like the payment method record.
    fn decode_body(body: &[u8]) -> Option<Self> {
        wire::read_whole(body, codec::DECODE_LIMIT, record_reader::card_details)
    }

    fn decode_body_boxed(body: &[u8]) -> Option<Box<Self>> {
        wire::read_whole(body, codec::DECODE_LIMIT, |r| record_reader::card_details(r).map(Box::new))
    }
}

/// A sealed CVC (PAN key) and when it must be gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CvcRecord {
    #[serde(with = "stored_id::generated")]
    pub customer_id: CustomerId,
    pub expires_at: Timestamp,
    #[serde(with = "serde_bytes")]
    pub sealed: Vec<u8>,
}

impl Record for CvcRecord {
    const KIND: &'static str = "cvc";
    /// 2: ids in their stored form (`stored_id`); format 1 still decodes.
    const FORMAT: u8 = 2;
    const OLDEST_FORMAT: u8 = 1;
}

/// An API key: its digest, never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ApiKeyRecord {
    #[serde(with = "stored_id::generated")]
    pub id: ApiKeyId,
    pub name: String,
    pub scopes: Scopes,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// HMAC-SHA256 of the secret under the profile's API key HMAC key.
    pub digest: [u8; 32],
}

impl Record for ApiKeyRecord {
    const KIND: &'static str = "api key";
    /// 2: ids in their stored form (`stored_id`); format 1 still decodes.
    const FORMAT: u8 = 2;
    const OLDEST_FORMAT: u8 = 1;
}

/// An audit event as vault formats 1 and 2 sealed it in the chain. Its hash is SHA-256 over
/// its encoding, and the next event carries that hash. New events are [`AuditEventBody`]s
/// with a chain mac. (bincode adds nothing around a nested struct, so `body` encodes as the
/// five fields it holds, in the place they always had.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AuditEventRecord {
    pub seq: u64,
    pub body: AuditEventBody,
    pub prev_hash: [u8; 32],
}

impl Record for AuditEventRecord {
    const KIND: &'static str = "audit event";
    /// 2: ids in their stored form (`stored_id`); format 1 still decodes.
    const FORMAT: u8 = 2;
    const OLDEST_FORMAT: u8 = 1;
}

/// An audit event from vault format 3 on, stored in clear as its encoding followed by its
/// 32-byte chain mac (`vault::audit`, `crypto::chain_mac`); the mac covers exactly those
/// stored bytes, the event's position (the key's) and the mac before it. An event holds no
/// card or personal data; its ids are the same ones the index keys hold. Vault formats 1
/// and 2 sealed each event instead ([`AuditEventRecord`]), and those events still verify
/// and list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AuditEventBody {
    pub at: Timestamp,
    #[serde(with = "stored_id::actor")]
    pub actor: AuditActor,
    pub action: AuditAction,
    #[serde(with = "stored_id::any_optional")]
    pub object_id: Option<String>,
    pub outcome: AuditOutcome,
}

impl Record for AuditEventBody {
    const KIND: &'static str = "audit event";
    const FORMAT: u8 = 3;
}

/// The end of a profile's audit chain from vault format 3 on, in clear with its mac, so a
/// cut-off tail is detected. Vault formats 1 and 2 sealed an [`AuditHeadRecord`] instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MacedAuditHead {
    pub head: AuditHeadRecord,
    pub mac: [u8; 32],
}

impl Record for MacedAuditHead {
    const KIND: &'static str = "audit head";
    const FORMAT: u8 = 2;
}

/// The end of a profile's audit chain (sealed, vault formats 1 and 2; inside a
/// [`MacedAuditHead`] from format 3 on).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AuditHeadRecord {
    pub next_seq: u64,
    pub last_hash: [u8; 32],
}

impl Record for AuditHeadRecord {
    const KIND: &'static str = "audit head";
    const FORMAT: u8 = 1;
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use proptest::prelude::*;

    use super::*;
    use crate::store::codec;
    use crate::store::record_reader::tests::{addresses, details, records, text};

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    fn address() -> Address {
        Address {
            line1: Some("1 Main St".into()),
            city: Some("San Francisco".into()),
            zip: Some("94122".into()),
            country: Some("US".into()),
            first_name: Some("Joseph".into()),
            ..Default::default()
        }
    }

    fn metadata() -> Metadata {
        Metadata(BTreeMap::from([("order".to_owned(), "42".to_owned())]))
    }

    fn pm_id() -> PaymentMethodId {
        PaymentMethodId::parse("pm_0190000000007000800000000000000a").unwrap()
    }

    fn customer_id() -> CustomerId {
        CustomerId::parse("cus_0190000000007000800000000000000b").unwrap()
    }

    /// Compares the encoding with the checked-in golden file. Run with
    /// `STRONGROOM_BLESS=1` to write the files after an intended format change (and bump
    /// the record's FORMAT).
    fn check_golden<R: Record + PartialEq + std::fmt::Debug>(name: &str, record: &R) {
        let encoded = codec::encode(record).unwrap();
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{name}.hex"));
        let hex = crate::crypto::hex::encode(&encoded);
        if std::env::var_os("STRONGROOM_BLESS").is_some() {
            std::fs::write(&path, format!("{hex}\n")).unwrap();
        }
        let golden =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing golden file {}", path.display()));
        assert_eq!(hex, golden.trim(), "the on-disk format of {name} changed");
        assert_eq!(&codec::decode::<R>(&encoded).unwrap(), record);
        assert_eq!(codec::serde_body::<R>(&encoded[1..encoded.len() - 8]).as_ref(), Some(record), "serde reads {name}");
    }

    fn profile_record() -> ProfileRecord {
        ProfileRecord {
            id: ProfileId::parse("pro_golden").unwrap(),
            merchant_id: MerchantId::parse("merchant_1").unwrap(),
            created_at: t(1_795_478_400_000),
            modified_at: t(1_795_478_400_001),
            settings: StoredSettings {
                cvc_ttl_ms: 900_000,
                volatile_ttl_ms: 86_400_000,
                expose_card_fingerprint: true,
            },
            salt: [0x5a; 32],
            key_versions: vec![
                KeyVersionRecord {
                    version: 1,
                    master_key_id: MasterKeyId::parse("k2026").unwrap(),
                    state: KeyState::DecryptOnly,
                    created_at: t(1),
                },
                KeyVersionRecord {
                    version: 2,
                    master_key_id: MasterKeyId::parse("k2026").unwrap(),
                    state: KeyState::Active,
                    created_at: t(2),
                },
            ],
            api_key_hmac_key: vec![0xaa; 4],
        }
    }

    fn payment_method_record() -> PaymentMethodRecord {
        PaymentMethodRecord {
            id: pm_id(),
            customer_id: customer_id(),
            payment_method_type: PaymentMethodType::Card,
            payment_method_subtype: PaymentMethodSubtype::Credit,
            storage_type: StorageType::Volatile,
            status: PaymentMethodStatus::Active,
            recurring_enabled: true,
            created_at: t(10),
            modified_at: t(11),
            last_used_at: t(12),
            expires_at: Some(t(13)),
            last4: "1111".into(),
            isin: "41111111".into(),
            network: Some(CardNetwork::Visa),
            fingerprint: Fingerprint([0xf0; 32]),
            fingerprint_version: 1,
            cvc_expires_at: Some(t(14)),
            details: vec![1, 2, 3],
            pan: vec![4, 5, 6],
            network_token: Some(StoredNetworkToken::Active {
                sealed_number: vec![7, 8, 9],
                last4: "4242".into(),
                expiry_month: 11,
                expiry_year: 2029,
                token_ref: "ntr_0123".into(),
                status: NetworkTokenStatus::Active,
                provisioned_at: t(15),
            }),
        }
    }

    fn card_details() -> CardDetails {
        CardDetails {
            exp_month: 3,
            exp_year: 2030,
            holder_name: Some("Joseph Doe".into()),
            nick_name: Some("work card".into()),
            issuer: Some("Bank".into()),
            card_type: Some("CREDIT".into()),
            issuing_country: Some("US".into()),
            billing: Some(address()),
            metadata: Some(metadata()),
        }
    }

    fn customer_pii() -> CustomerPii {
        CustomerPii {
            name: Some("John Doe".into()),
            email: Some("guest@example.com".into()),
            phone: Some("555 0100".into()),
            phone_country_code: Some("+1".into()),
            description: Some("vip".into()),
            default_billing_address: Some(address()),
            default_shipping_address: None,
            metadata: Some(metadata()),
        }
    }

    #[test]
    fn golden_records() {
        check_golden("vault_format_v1", &VaultFormat { version: 1, created_at: t(1_795_478_400_000) });
        check_golden(
            "master_key_check_v1",
            &MasterKeyCheck {
                master_key_id: MasterKeyId::parse("k2026").unwrap(),
                check_value: [0xc1; 16],
                added_at: t(5),
            },
        );
        check_golden("profile_v1", &profile_record());
        check_golden("customer_v2", &customer_record());
        check_golden("customer_pii_v1", &customer_pii());
        check_golden("payment_method_v2", &payment_method_record());
        check_golden("card_details_v1", &card_details());
        // The boxed forms reads pass around: the same bytes, the same decoder.
        check_golden("payment_method_v2", &Box::new(payment_method_record()));
        check_golden("card_details_v1", &Box::new(card_details()));
        check_golden("cvc_v2", &cvc_record());
        check_golden("api_key_v2", &api_key_record());
        check_golden("audit_event_v2", &audit_event_record());
        check_golden("audit_head_v1", &AuditHeadRecord { next_seq: 8, last_hash: [0xe3; 32] });
        check_golden("audit_event_body_v3", &audit_event_body());
        check_golden(
            "maced_audit_head_v2",
            &MacedAuditHead { head: AuditHeadRecord { next_seq: 8, last_hash: [0xe3; 32] }, mac: [0xe4; 32] },
        );
    }

    /// Decodes a checked-in golden file written by an older format.
    fn check_older_golden<R: Record + PartialEq + std::fmt::Debug>(name: &str, record: &R) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(format!("{name}.hex"));
        let golden =
            std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing golden file {}", path.display()));
        let golden = golden.trim();
        let bytes: Vec<u8> = (0..golden.len())
            .step_by(2)
            .map(|i| crate::crypto::hex::decode::<1>(&golden[i..i + 2]).expect("golden files are hex")[0])
            .collect();
        assert_eq!(&codec::decode::<R>(&bytes).unwrap(), record, "{name} no longer decodes to the same record");
        assert_eq!(codec::serde_body::<R>(&bytes[1..bytes.len() - 8]).as_ref(), Some(record), "serde reads {name}");
        let current = codec::encode(record).unwrap();
        assert!(current.len() < bytes.len(), "{name}: the current format is the smaller one");
    }

    /// Format 2 stores ids in 18 bytes; every record written in format 1 (ids as text) still
    /// decodes to the same record, so a vault needs no rewrite to move to format 2.
    #[test]
    fn format_1_records_still_decode() {
        check_older_golden("customer_v1", &customer_record());
        check_older_golden("payment_method_v1", &payment_method_record());
        check_older_golden("payment_method_v1", &Box::new(payment_method_record()));
        check_older_golden("cvc_v1", &cvc_record());
        check_older_golden("api_key_v1", &api_key_record());
        check_older_golden("audit_event_v1", &audit_event_record());
    }

    fn customer_record() -> CustomerRecord {
        CustomerRecord {
            id: customer_id(),
            merchant_reference_id: Some("customer_1770299".into()),
            status: StoredCustomerStatus::Active,
            created_at: t(20),
            modified_at: t(21),
            pii: Some(vec![9, 9]),
        }
    }

    fn cvc_record() -> CvcRecord {
        CvcRecord { customer_id: customer_id(), expires_at: t(30), sealed: vec![7; 4] }
    }

    fn api_key_record() -> ApiKeyRecord {
        ApiKeyRecord {
            id: ApiKeyId::parse("key_0190000000007000800000000000000c").unwrap(),
            name: "checkout".into(),
            scopes: Scopes { read: true, write: true, reveal: false },
            created_at: t(40),
            expires_at: Some(t(41)),
            revoked_at: None,
            digest: [0xd1; 32],
        }
    }

    fn audit_event_record() -> AuditEventRecord {
        AuditEventRecord { seq: 7, body: audit_event_body(), prev_hash: [0xe2; 32] }
    }

    fn audit_event_body() -> AuditEventBody {
        AuditEventBody {
            at: t(50),
            actor: AuditActor::ApiKey(ApiKeyId::parse("key_0190000000007000800000000000000c").unwrap()),
            action: AuditAction::CardRevealed,
            object_id: Some(pm_id().to_string()),
            outcome: AuditOutcome::Failure { code: "IR_06".into() },
        }
    }

    #[test]
    fn decode_rejects_other_formats_and_trailing_bytes() {
        let mut bytes = codec::encode(&payment_method_record()).unwrap();
        bytes.push(0);
        assert_eq!(codec::decode::<PaymentMethodRecord>(&bytes).unwrap_err().internal_kind(), Some("integrity"));
        bytes.pop();
        bytes[0] = 99;
        assert!(codec::decode::<PaymentMethodRecord>(&bytes).is_err());
        assert!(codec::decode::<PaymentMethodRecord>(&[]).is_err());
    }

    #[test]
    fn secret_encoding_matches_plain_encoding() {
        let plain = codec::encode(&card_details()).unwrap();
        let secret = codec::encode_secret(&card_details()).unwrap();
        assert_eq!(plain, secret.as_slice());
    }

    proptest! {
        #[test]
        fn card_details_round_trip(details in details()) {
            let bytes = codec::encode_secret(&details).unwrap();
            prop_assert_eq!(codec::decode::<CardDetails>(&bytes).unwrap(), details);
        }

        #[test]
        fn payment_method_round_trip(record in records()) {
            let bytes = codec::encode(&record).unwrap();
            prop_assert_eq!(codec::decode::<PaymentMethodRecord>(&bytes).unwrap(), record);
        }

        #[test]
        fn customer_round_trip(reference in text(), pii in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)), redacted in any::<bool>()) {
            let record = CustomerRecord {
                id: customer_id(),
                merchant_reference_id: reference,
                status: if redacted { StoredCustomerStatus::Redacted } else { StoredCustomerStatus::Active },
                created_at: t(1),
                modified_at: t(2),
                pii,
            };
            let bytes = codec::encode(&record).unwrap();
            prop_assert_eq!(codec::decode::<CustomerRecord>(&bytes).unwrap(), record);
        }

        #[test]
        fn profile_round_trip(salt in any::<[u8; 32]>(), versions in 1u32..20, ttl in any::<u64>()) {
            let mut record = profile_record();
            record.salt = salt;
            record.settings.cvc_ttl_ms = ttl;
            record.key_versions = (1..=versions).map(|v| KeyVersionRecord {
                version: v,
                master_key_id: MasterKeyId::parse("k").unwrap(),
                state: if v == versions { KeyState::Active } else { KeyState::DecryptOnly },
                created_at: t(i64::from(v)),
            }).collect();
            let bytes = codec::encode(&record).unwrap();
            prop_assert_eq!(codec::decode::<ProfileRecord>(&bytes).unwrap(), record);
        }

        #[test]
        fn customer_pii_round_trip(name in text(), email in text(), addr in proptest::option::of(addresses())) {
            let pii = CustomerPii {
                name: name.map(SecretString::from),
                email: email.map(SecretString::from),
                default_shipping_address: addr,
                ..customer_pii()
            };
            let bytes = codec::encode_secret(&pii).unwrap();
            prop_assert_eq!(codec::decode::<CustomerPii>(&bytes).unwrap(), pii);
        }

        #[test]
        fn audit_event_body_round_trip(at in any::<i64>(), object in proptest::option::of("[a-z0-9_]{1,40}"), code in text()) {
            let mut record = audit_event_body();
            record.at = t(at);
            record.object_id = object;
            record.outcome = code.map_or(AuditOutcome::Success, |code| AuditOutcome::Failure { code });
            let bytes = codec::encode(&record).unwrap();
            prop_assert_eq!(codec::decode::<AuditEventBody>(&bytes).unwrap(), record);
        }

        #[test]
        fn arbitrary_bytes_decode_or_fail_cleanly(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            fn check<R: Record + PartialEq + std::fmt::Debug>(bytes: &[u8]) -> Result<(), TestCaseError> {
                match codec::decode::<R>(bytes) {
                    // Whatever decodes must survive a round trip unchanged.
                    Ok(record) => prop_assert_eq!(codec::decode::<R>(&codec::encode(&record).unwrap()).unwrap(), record),
                    Err(e) => prop_assert_eq!(e.internal_kind(), Some("integrity")),
                }
                Ok(())
            }
            check::<PaymentMethodRecord>(&bytes)?;
            check::<CustomerRecord>(&bytes)?;
            check::<ProfileRecord>(&bytes)?;
            check::<CardDetails>(&bytes)?;
            check::<AuditEventBody>(&bytes)?;
            check::<MacedAuditHead>(&bytes)?;
        }
    }
}
