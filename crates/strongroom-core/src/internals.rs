//! Hooks into the engine's private parts for the benches and the fuzz targets (feature
//! `internals`). Not a stable API: nothing a host application should call.

use crate::crypto::secret::Key32;
use crate::crypto::{Fingerprint, random};
use crate::error::Result;
use crate::model::ids::{CustomerId, PaymentMethodId};
use crate::model::payment_method::{PaymentMethodStatus, PaymentMethodSubtype, PaymentMethodType, StorageType};
use crate::model::time::Timestamp;
use crate::store::codec;
use crate::store::records::{self, PaymentMethodRecord};

/// RocksDB opened exactly as a vault with `options` opens it (block cache, memtable budget,
/// column families), without the vault: the benches' raw storage peer.
#[cfg(feature = "rocksdb")]
pub fn open_raw_rocksdb(path: &std::path::Path, options: &crate::VaultOptions) -> Result<rocksdb::DB> {
    crate::store::rocks::open_db(path, &crate::store::rocks::RocksConfig::from_options(options))
}

/// A vault whose RocksDB appends a new write-ahead log each time instead of reusing a
/// retired one, and is otherwise configured alike (the benches measure what reuse saves).
#[cfg(feature = "rocksdb")]
pub fn open_vault_without_log_reuse(path: &std::path::Path, options: crate::VaultOptions) -> Result<crate::Vault> {
    let mut config = crate::store::rocks::RocksConfig::from_options(&options);
    config.reuse_logs = false;
    crate::Vault::open_with(path, options, &config)
}

/// Whether RocksDB's info log at `info_log` records reusing a retired write-ahead log.
#[cfg(feature = "rocksdb")]
pub fn info_log_reports_log_reuse(info_log: &std::path::Path) -> bool {
    crate::store::rocks::info_log_reports_log_reuse(info_log)
}

/// The names of the vault's column families.
pub fn column_families() -> [&'static str; 11] {
    crate::store::cf::Cf::ALL.map(crate::store::cf::Cf::name)
}

/// Fills `out` from the vault's nonce generator.
pub fn fill_random(out: &mut [u8]) -> Result<()> {
    random::fill(out)
}

/// A key from raw bytes (benches and fuzz targets use fixed keys).
pub fn key(bytes: [u8; 32]) -> Key32 {
    Key32::from_bytes(bytes)
}

/// The kinds of stored record the codec decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    VaultFormat,
    MasterKeyCheck,
    Profile,
    Customer,
    CustomerPii,
    PaymentMethod,
    CardDetails,
    Cvc,
    ApiKey,
    AuditEvent,
    AuditHead,
    AuditEventBody,
    MacedAuditHead,
}

impl RecordKind {
    pub const ALL: [RecordKind; 13] = [
        Self::VaultFormat,
        Self::MasterKeyCheck,
        Self::Profile,
        Self::Customer,
        Self::CustomerPii,
        Self::PaymentMethod,
        Self::CardDetails,
        Self::Cvc,
        Self::ApiKey,
        Self::AuditEvent,
        Self::AuditHead,
        Self::AuditEventBody,
        Self::MacedAuditHead,
    ];
}

/// Decodes `bytes` as a record of `kind`; on success re-encodes it and returns the bytes
/// (which must decode to the same record again).
pub fn decode_record(kind: RecordKind, bytes: &[u8]) -> Result<Vec<u8>> {
    fn again<R: codec::Record>(bytes: &[u8]) -> Result<Vec<u8>> {
        let record: R = codec::decode(bytes)?;
        codec::encode(&record)
    }
    match kind {
        RecordKind::VaultFormat => again::<records::VaultFormat>(bytes),
        RecordKind::MasterKeyCheck => again::<records::MasterKeyCheck>(bytes),
        RecordKind::Profile => again::<records::ProfileRecord>(bytes),
        RecordKind::Customer => again::<records::CustomerRecord>(bytes),
        RecordKind::CustomerPii => again::<records::CustomerPii>(bytes),
        RecordKind::PaymentMethod => again::<records::PaymentMethodRecord>(bytes),
        RecordKind::CardDetails => again::<records::CardDetails>(bytes),
        RecordKind::Cvc => again::<records::CvcRecord>(bytes),
        RecordKind::ApiKey => again::<records::ApiKeyRecord>(bytes),
        RecordKind::AuditEvent => again::<records::AuditEventRecord>(bytes),
        RecordKind::AuditHead => again::<records::AuditHeadRecord>(bytes),
        RecordKind::AuditEventBody => again::<records::AuditEventBody>(bytes),
        RecordKind::MacedAuditHead => again::<records::MacedAuditHead>(bytes),
    }
}

/// Whether the hand-written decoder of `kind` (payment method records and card details,
/// `store/record_reader.rs`) reads `body` (a record without its format byte and checksum)
/// as serde's derive does: the same record, or both refusing. Other kinds have no
/// hand-written decoder and agree by definition.
pub fn hand_decoder_agrees_with_serde(kind: RecordKind, body: &[u8]) -> bool {
    fn agree<R: codec::Record + PartialEq>(body: &[u8]) -> bool {
        R::decode_body(body) == codec::serde_body::<R>(body)
    }
    match kind {
        RecordKind::PaymentMethod => agree::<records::PaymentMethodRecord>(body),
        RecordKind::CardDetails => agree::<records::CardDetails>(body),
        _ => true,
    }
}

/// `body` (a format byte and a bincode record) with the codec's checksum appended, so a
/// fuzzer can reach the decoder behind the checksum.
pub fn with_checksum(body: &[u8]) -> Vec<u8> {
    codec::with_checksum(body)
}

/// A change to a stored payment method record's clear fields (see
/// [`edit_payment_method_record`]).
#[derive(Clone, Debug)]
pub enum ClearFieldEdit {
    /// Another customer of the profile as the owner.
    Customer(CustomerId),
    /// A volatile card made persistent (no expiry).
    Persistent,
    /// Other last four digits.
    Last4(String),
    /// Another provider reference for the card's network token.
    TokenRef(String),
    /// Another keyed fingerprint (e.g. another card's, read with [`stored_fingerprint`]).
    Fingerprint([u8; 32]),
}

/// The keyed fingerprint a stored payment method record keeps in clear.
pub fn stored_fingerprint(bytes: &[u8]) -> Result<[u8; 32]> {
    let record: PaymentMethodRecord = codec::decode(bytes)?;
    Ok(record.fingerprint.0)
}

/// A stored payment method record with a clear field changed and its checksum computed
/// again, as someone who can write the vault's files but holds no key could make it: the
/// tests of the card binding (`vault/card_binding.rs`) write it back.
pub fn edit_payment_method_record(bytes: &[u8], edit: ClearFieldEdit) -> Result<Vec<u8>> {
    let mut record: PaymentMethodRecord = codec::decode(bytes)?;
    match edit {
        ClearFieldEdit::Customer(customer) => record.customer_id = customer,
        ClearFieldEdit::Persistent => {
            record.storage_type = StorageType::Persistent;
            record.expires_at = None;
        }
        ClearFieldEdit::Last4(last4) => record.last4 = last4,
        ClearFieldEdit::TokenRef(new_ref) => {
            if let Some(records::StoredNetworkToken::Active { token_ref, .. }) = &mut record.network_token {
                *token_ref = new_ref;
            }
        }
        ClearFieldEdit::Fingerprint(fingerprint) => record.fingerprint = crate::crypto::Fingerprint(fingerprint),
    }
    codec::encode(&record)
}

/// A change to a stored customer record (see [`edit_customer_record`]).
#[derive(Clone, Debug)]
pub enum CustomerEdit {
    /// The sealed personal data removed from a customer left active.
    NoPersonalData,
    /// Another merchant reference (its index entry is the caller's to write).
    Reference(String),
}

/// A stored customer record with `edit` applied and its checksum computed again, as
/// someone who can write the vault's files but holds no key could make it.
pub fn edit_customer_record(bytes: &[u8], edit: CustomerEdit) -> Result<Vec<u8>> {
    let mut record: records::CustomerRecord = codec::decode(bytes)?;
    match edit {
        CustomerEdit::NoPersonalData => record.pii = None,
        CustomerEdit::Reference(reference) => record.merchant_reference_id = Some(reference),
    }
    codec::encode(&record)
}

/// A change to a stored CVC record (see [`edit_cvc_record`]).
#[derive(Clone, Debug)]
pub enum CvcEdit {
    /// The expiry moved this many milliseconds later.
    Later(i64),
    /// Another owner.
    Customer(CustomerId),
}

/// A stored CVC record with `edit` applied and its checksum computed again, as someone who
/// can write the vault's files but holds no key could make it.
pub fn edit_cvc_record(bytes: &[u8], edit: CvcEdit) -> Result<Vec<u8>> {
    let mut record: records::CvcRecord = codec::decode(bytes)?;
    match edit {
        CvcEdit::Later(ms) => {
            record.expires_at = Timestamp::from_millis(record.expires_at.as_millis().saturating_add(ms));
        }
        CvcEdit::Customer(customer) => record.customer_id = customer,
    }
    codec::encode(&record)
}

/// A change to a stored API key record (see [`edit_api_key_record`]).
#[derive(Clone, Debug)]
pub enum ApiKeyEdit {
    /// Every right granted (`read`, `write`, `reveal`).
    AllScopes,
    /// No expiry.
    NoExpiry,
    /// Not revoked.
    NotRevoked,
}

/// A stored API key record with `edit` applied and its checksum computed again, as
/// someone who can write the vault's files but holds no key could make it.
pub fn edit_api_key_record(bytes: &[u8], edit: ApiKeyEdit) -> Result<Vec<u8>> {
    let mut record: records::ApiKeyRecord = codec::decode(bytes)?;
    match edit {
        ApiKeyEdit::AllScopes => record.scopes = crate::Scopes::ALL,
        ApiKeyEdit::NoExpiry => record.expires_at = None,
        ApiKeyEdit::NotRevoked => record.revoked_at = None,
    }
    codec::encode(&record)
}

/// Stores API key `api_key`'s digest as builds before bound digests stored it (an HMAC of
/// the secret alone), for the test of its upgrade at the next authentication.
pub fn store_unbound_api_key_digest(vault: &crate::Vault, profile: &crate::ProfileId, api_key: &str) -> Result<()> {
    vault.store_unbound_digest(profile, api_key)
}

/// A change to a stored profile record (see [`edit_profile_record`]).
#[derive(Clone, Debug)]
pub enum ProfileEdit {
    /// The times to live, in milliseconds as stored.
    TimesToLive { cvc_ms: u64, volatile_ms: u64 },
    /// One more key version, decrypt-only, under the active version's master key.
    ExtraKeyVersion(u32),
}

/// A stored profile record with `edit` applied and its checksum computed again, as someone
/// who can write the vault's files but holds no key could make it.
pub fn edit_profile_record(bytes: &[u8], edit: ProfileEdit) -> Result<Vec<u8>> {
    let mut record: records::ProfileRecord = codec::decode(bytes)?;
    match edit {
        ProfileEdit::TimesToLive { cvc_ms, volatile_ms } => {
            record.settings.cvc_ttl_ms = cvc_ms;
            record.settings.volatile_ttl_ms = volatile_ms;
        }
        ProfileEdit::ExtraKeyVersion(version) => {
            let active = record.active_version().cloned().ok_or_else(|| crate::Error::integrity("profile"))?;
            record.key_versions.push(records::KeyVersionRecord {
                version,
                state: records::KeyState::DecryptOnly,
                ..active
            });
        }
    }
    codec::encode(&record)
}

/// The audit chain's macs (vault format 3), for the benchmarks.
pub struct ChainMacs(crate::crypto::chain_mac::ChainKey);

impl ChainMacs {
    pub fn new(root: &Key32) -> Self {
        Self(crate::crypto::chain_mac::ChainKey::derive(root))
    }

    pub fn event(&self, seq: u64, previous: &[u8; 32], event: &[u8]) -> [u8; 32] {
        self.0.event(seq, previous, event)
    }

    pub fn head(&self, next_seq: u64, last: &[u8; 32]) -> [u8; 32] {
        self.0.head(next_seq, last)
    }
}

/// A payment method record as the vault stores it (sealed values of realistic size), for
/// the codec benchmarks.
pub struct SampleRecord(PaymentMethodRecord);

impl SampleRecord {
    pub fn payment_method() -> Result<Self> {
        let now = Timestamp::from_millis(1_795_478_400_000);
        Ok(Self(PaymentMethodRecord {
            id: PaymentMethodId::generate(None)?,
            customer_id: CustomerId::generate(None)?,
            payment_method_type: PaymentMethodType::Card,
            payment_method_subtype: PaymentMethodSubtype::Credit,
            storage_type: StorageType::Persistent,
            status: PaymentMethodStatus::Active,
            recurring_enabled: true,
            created_at: now,
            modified_at: now,
            last_used_at: now,
            expires_at: None,
            last4: "1111".into(),
            isin: "41111111".into(),
            network: Some(crate::model::card::CardNetwork::Visa),
            fingerprint: Fingerprint([7; 32]),
            fingerprint_version: 1,
            cvc_expires_at: Some(now),
            details: vec![0xA5; 48 + 40],
            pan: vec![0x5A; 48 + 16],
            network_token: None,
        }))
    }

    pub fn encode(&self) -> Result<Vec<u8>> {
        codec::encode(&self.0)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self> {
        codec::decode(bytes).map(Self)
    }
}
