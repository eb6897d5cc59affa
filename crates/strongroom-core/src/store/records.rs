//! What the vault stores. Clear fields are what indexes, listing and masked views may show
//! (ids, status, times, BIN, last four, network, keyed fingerprint); everything personal or
//! card-related is inside a sealed field. Changing any of these shapes changes the on-disk
//! format: bump the record's `FORMAT` and update its golden vector.

use serde::{Deserialize, Serialize};

use crate::crypto::{Fingerprint, MasterKeyId};
use crate::model::address::Address;
use crate::model::card::CardNetwork;
use crate::model::ids::{CustomerId, MerchantId, PaymentMethodId, ProfileId};
use crate::model::metadata::Metadata;
use crate::model::payment_method::{
    PaymentMethodStatus, PaymentMethodSubtype, PaymentMethodType, StorageType,
};
use crate::model::sensitive::SecretString;
use crate::model::time::Timestamp;
use crate::store::codec::Record;

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
}

impl Record for ProfileRecord {
    const KIND: &'static str = "profile";
    const FORMAT: u8 = 1;
}

impl ProfileRecord {
    pub(crate) fn active_version(&self) -> Option<&KeyVersionRecord> {
        self.key_versions
            .iter()
            .find(|v| v.state == KeyState::Active)
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
    pub id: CustomerId,
    pub merchant_reference_id: Option<String>,
    pub status: StoredCustomerStatus,
    pub created_at: Timestamp,
    pub modified_at: Timestamp,
    pub pii: Option<Vec<u8>>,
}

impl Record for CustomerRecord {
    const KIND: &'static str = "customer";
    const FORMAT: u8 = 1;
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
    pub id: PaymentMethodId,
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
    pub details: Vec<u8>,
    pub pan: Vec<u8>,
}

impl Record for PaymentMethodRecord {
    const KIND: &'static str = "payment method";
    const FORMAT: u8 = 1;
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
}

/// A sealed CVC (PAN key) and when it must be gone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CvcRecord {
    pub customer_id: CustomerId,
    pub expires_at: Timestamp,
    pub sealed: Vec<u8>,
}

impl Record for CvcRecord {
    const KIND: &'static str = "cvc";
    const FORMAT: u8 = 1;
}
