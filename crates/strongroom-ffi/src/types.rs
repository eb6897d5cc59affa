//! Records and enums as foreign callers see them: ids as strings, times as native time
//! types, counts and limits as plain integers (checked when converted).

use std::collections::HashMap;
use std::time::SystemTime;

/// One master key of the ring: an id and exactly 32 bytes.
#[derive(uniffi::Record)]
pub struct MasterKeyEntry {
    pub id: String,
    pub key: Vec<u8>,
}

/// How a vault is opened.
#[derive(uniffi::Record)]
pub struct VaultOptions {
    pub master_keys: Vec<MasterKeyEntry>,
    /// The id of the master key new profile key versions are derived from.
    pub active_master_key: String,
    /// fsync every write (default on).
    #[uniffi(default = true)]
    pub sync_writes: bool,
    /// Deployment cell prefix for generated ids.
    #[uniffi(default = None)]
    pub cell_id: Option<String>,
}

#[derive(uniffi::Record, Clone)]
pub struct ProfileSettings {
    #[uniffi(default = 900)]
    pub cvc_ttl_seconds: i64,
    #[uniffi(default = 86400)]
    pub volatile_ttl_seconds: i64,
    #[uniffi(default = false)]
    pub expose_card_fingerprint: bool,
}

#[derive(uniffi::Record)]
pub struct Profile {
    pub id: String,
    pub merchant_id: String,
    pub settings: ProfileSettings,
    pub created_at: SystemTime,
    pub active_key_version: u32,
    /// Every key version whose values still open: more than the active one while a
    /// rotation's re-encryption has not retired the old (run `reencrypt_profile` again).
    pub readable_key_versions: Vec<u32>,
}

#[derive(uniffi::Record, Clone, Default)]
pub struct Address {
    #[uniffi(default = None)]
    pub line1: Option<String>,
    #[uniffi(default = None)]
    pub line2: Option<String>,
    #[uniffi(default = None)]
    pub line3: Option<String>,
    #[uniffi(default = None)]
    pub city: Option<String>,
    #[uniffi(default = None)]
    pub state: Option<String>,
    #[uniffi(default = None)]
    pub zip: Option<String>,
    #[uniffi(default = None)]
    pub country: Option<String>,
    #[uniffi(default = None)]
    pub first_name: Option<String>,
    #[uniffi(default = None)]
    pub last_name: Option<String>,
    #[uniffi(default = None)]
    pub phone: Option<String>,
    #[uniffi(default = None)]
    pub phone_country_code: Option<String>,
    #[uniffi(default = None)]
    pub email: Option<String>,
}

#[derive(uniffi::Record, Default)]
pub struct CustomerCreate {
    #[uniffi(default = None)]
    pub merchant_reference_id: Option<String>,
    #[uniffi(default = None)]
    pub name: Option<String>,
    #[uniffi(default = None)]
    pub email: Option<String>,
    #[uniffi(default = None)]
    pub phone: Option<String>,
    #[uniffi(default = None)]
    pub phone_country_code: Option<String>,
    #[uniffi(default = None)]
    pub description: Option<String>,
    #[uniffi(default = None)]
    pub default_billing_address: Option<Address>,
    #[uniffi(default = None)]
    pub default_shipping_address: Option<Address>,
    #[uniffi(default = None)]
    pub metadata: Option<HashMap<String, String>>,
}

#[derive(uniffi::Record, Default)]
pub struct CustomerUpdate {
    #[uniffi(default = None)]
    pub name: Option<String>,
    #[uniffi(default = None)]
    pub email: Option<String>,
    #[uniffi(default = None)]
    pub phone: Option<String>,
    #[uniffi(default = None)]
    pub phone_country_code: Option<String>,
    #[uniffi(default = None)]
    pub description: Option<String>,
    #[uniffi(default = None)]
    pub default_billing_address: Option<Address>,
    #[uniffi(default = None)]
    pub default_shipping_address: Option<Address>,
    #[uniffi(default = None)]
    pub metadata: Option<HashMap<String, String>>,
}

#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerStatus {
    Active,
    Redacted,
}

#[derive(uniffi::Record)]
pub struct Customer {
    pub id: String,
    pub merchant_reference_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub phone_country_code: Option<String>,
    pub description: Option<String>,
    pub default_billing_address: Option<Address>,
    pub default_shipping_address: Option<Address>,
    pub metadata: Option<HashMap<String, String>>,
    pub created_at: SystemTime,
    pub modified_at: SystemTime,
    pub status: CustomerStatus,
}

#[derive(uniffi::Record)]
pub struct CustomerPage {
    pub customers: Vec<Customer>,
    pub next_starting_after: Option<String>,
}

#[derive(uniffi::Record)]
pub struct CustomerDeleted {
    pub id: String,
    pub customer_deleted: bool,
    pub payment_methods_deleted: u32,
}

#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardNetwork {
    Visa,
    Mastercard,
    AmericanExpress,
    Discover,
    Jcb,
    DinersClub,
    UnionPay,
    Maestro,
    RuPay,
    Mir,
    Interac,
    CartesBancaires,
}

/// What a payment method is; cards only, for now.
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentMethodType {
    Card,
}

/// Whether a payment method can be used; a deleted one is gone, not a status.
#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentMethodStatus {
    Active,
}

#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentMethodSubtype {
    Credit,
    Debit,
}

#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageType {
    Persistent,
    Volatile,
}

/// A card as submitted (Hyperswitch's `payment_method_data.card`).
#[derive(uniffi::Record)]
pub struct CardInput {
    pub card_number: String,
    pub card_exp_month: String,
    pub card_exp_year: String,
    #[uniffi(default = None)]
    pub card_holder_name: Option<String>,
    #[uniffi(default = None)]
    pub card_cvc: Option<String>,
    #[uniffi(default = None)]
    pub nick_name: Option<String>,
    #[uniffi(default = None)]
    pub card_network: Option<CardNetwork>,
    #[uniffi(default = None)]
    pub card_issuer: Option<String>,
    #[uniffi(default = None)]
    pub card_type: Option<String>,
    #[uniffi(default = None)]
    pub card_issuing_country: Option<String>,
}

#[derive(uniffi::Record)]
pub struct PaymentMethodCreate {
    pub customer_id: String,
    pub card: CardInput,
    /// Default `Credit`.
    #[uniffi(default = None)]
    pub payment_method_subtype: Option<PaymentMethodSubtype>,
    /// Default `Persistent`.
    #[uniffi(default = None)]
    pub storage_type: Option<StorageType>,
    #[uniffi(default = true)]
    pub recurring_enabled: bool,
    #[uniffi(default = None)]
    pub billing: Option<Address>,
    #[uniffi(default = None)]
    pub metadata: Option<HashMap<String, String>>,
    /// Also get a network token (needs a vault opened with a network token provider).
    #[uniffi(default = false)]
    pub network_tokenization: bool,
}

#[derive(uniffi::Record, Default)]
pub struct PaymentMethodUpdate {
    #[uniffi(default = None)]
    pub card_holder_name: Option<String>,
    #[uniffi(default = None)]
    pub nick_name: Option<String>,
    #[uniffi(default = None)]
    pub card_cvc: Option<String>,
    #[uniffi(default = None)]
    pub card_exp_month: Option<String>,
    #[uniffi(default = None)]
    pub card_exp_year: Option<String>,
}

/// What retrieve and list show of a card: the BIN and the last four digits, never more.
#[derive(uniffi::Record)]
pub struct MaskedCard {
    pub last4_digits: String,
    pub card_isin: String,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub card_holder_name: Option<String>,
    pub nick_name: Option<String>,
    pub card_network: Option<CardNetwork>,
    pub card_issuer: Option<String>,
    pub card_type: Option<String>,
    pub issuer_country: Option<String>,
    pub card_fingerprint: Option<String>,
    pub saved_to_locker: bool,
}

#[derive(uniffi::Record)]
pub struct CvcStorage {
    pub is_stored: bool,
    pub expires_at: Option<SystemTime>,
}

#[derive(uniffi::Record)]
pub struct PaymentMethod {
    pub id: String,
    pub customer_id: String,
    pub payment_method_type: PaymentMethodType,
    pub payment_method_subtype: PaymentMethodSubtype,
    pub storage_type: StorageType,
    pub status: PaymentMethodStatus,
    pub recurring_enabled: bool,
    pub created: SystemTime,
    pub modified_at: SystemTime,
    pub last_used_at: SystemTime,
    pub expires_at: Option<SystemTime>,
    pub billing: Option<Address>,
    pub metadata: Option<HashMap<String, String>>,
    pub card: MaskedCard,
    pub card_cvc_token_storage: CvcStorage,
    /// The network token (masked), or why it is missing; `None` when none was asked for.
    pub network_token: Option<NetworkTokenState>,
}

#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkTokenStatus {
    Active,
    Suspended,
    Deleted,
}

#[derive(uniffi::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderErrorKind {
    Unavailable,
    Declined,
    NotFound,
    Failed,
}

/// A network token as retrieve and list show it: never its number.
#[derive(uniffi::Record)]
pub struct NetworkTokenView {
    pub last4_digits: String,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub card_network: Option<CardNetwork>,
    pub status: NetworkTokenStatus,
    pub token_ref: String,
    pub provisioned_at: SystemTime,
}

#[derive(uniffi::Enum)]
pub enum NetworkTokenState {
    Active {
        token: NetworkTokenView,
    },
    /// Provisioning failed; `provision_network_token` retries.
    Missing {
        kind: ProviderErrorKind,
        reason: String,
        at: SystemTime,
    },
}

/// A one-time cryptogram for a payment with the network token.
#[derive(uniffi::Record)]
pub struct NetworkCryptogram {
    pub cryptogram: String,
    /// Electronic commerce indicator (`05` Visa, `02` Mastercard, …).
    pub eci: String,
}

#[derive(uniffi::Record)]
pub struct PaymentMethodCreated {
    pub payment_method: PaymentMethod,
    /// The customer already had this card; the existing payment method was returned.
    pub duplicate: bool,
}

#[derive(uniffi::Record)]
pub struct PaymentMethodPage {
    pub payment_methods: Vec<PaymentMethod>,
    pub next_starting_after: Option<String>,
}

#[derive(uniffi::Record, Clone, Copy, Default)]
pub struct Scopes {
    #[uniffi(default = false)]
    pub read: bool,
    #[uniffi(default = false)]
    pub write: bool,
    #[uniffi(default = false)]
    pub reveal: bool,
}

#[derive(uniffi::Record)]
pub struct ApiKeyCreate {
    pub name: String,
    pub scopes: Scopes,
    #[uniffi(default = None)]
    pub expires_at: Option<SystemTime>,
}

#[derive(uniffi::Record)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub scopes: Scopes,
    pub created_at: SystemTime,
    pub expires_at: Option<SystemTime>,
    pub revoked_at: Option<SystemTime>,
}

#[derive(uniffi::Record)]
pub struct AuditEvent {
    pub seq: u64,
    pub at: SystemTime,
    /// `internal` or the API key id.
    pub actor: String,
    /// `customer_created`, `card_revealed`, …
    pub action: String,
    pub object_id: Option<String>,
    /// `success`, or the error code of a refusal (`IR_01`, `IR_06`).
    pub outcome: String,
}

#[derive(uniffi::Record)]
pub struct AuditVerification {
    pub events: u64,
    pub first_bad: Option<u64>,
    pub problem: Option<String>,
}

#[derive(uniffi::Record)]
pub struct PurgeReport {
    pub payment_methods: u64,
    pub cvcs: u64,
    /// Records skipped because they failed their integrity check (`verify` says which).
    pub unreadable: u64,
}

#[derive(uniffi::Record)]
pub struct ProfileStats {
    pub profile_id: Option<String>,
    pub customers: u64,
    pub redacted_customers: u64,
    pub payment_methods: u64,
    pub stored_cvcs: u64,
    pub api_keys: u64,
    pub audit_events: u64,
    /// Records not counted above because they failed their integrity check (`verify`).
    pub unreadable_records: u64,
    pub sealed_values_by_key_version: HashMap<u32, u64>,
}

#[derive(uniffi::Record)]
pub struct VaultStats {
    pub profiles: u64,
    pub total: ProfileStats,
    pub per_profile: Vec<ProfileStats>,
}

#[derive(uniffi::Record)]
pub struct VerifyProblem {
    pub profile_id: String,
    /// `unreadable_value`, `orphan_index_entry`, `missing_index_entry`, `audit_chain`.
    pub kind: String,
    pub location: String,
    pub detail: String,
}

#[derive(uniffi::Record)]
pub struct VerifyReport {
    pub profiles: u64,
    pub records_checked: u64,
    pub values_opened: u64,
    pub index_entries_checked: u64,
    pub audit_events_checked: u64,
    pub problems: Vec<VerifyProblem>,
}

#[derive(uniffi::Record)]
pub struct ReencryptReport {
    pub profile_id: String,
    pub scanned: u64,
    pub reencrypted: u64,
    pub complete: bool,
    pub retired_versions: Vec<u32>,
}
