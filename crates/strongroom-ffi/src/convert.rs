//! Conversions between the foreign-facing records and the core's types. Ids are parsed
//! and numbers range-checked here, with the core's own typed errors.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use strongroom_core as core;
use strongroom_core::{Error as CoreError, SecretString, Timestamp};

use crate::types::*;

pub(crate) fn time(t: Timestamp) -> SystemTime {
    t.to_system_time()
}

pub(crate) fn timestamp(t: SystemTime) -> Timestamp {
    Timestamp::from_system_time(t)
}

fn secret(value: Option<String>) -> Option<SecretString> {
    value.map(SecretString::from)
}

fn exposed(value: Option<SecretString>) -> Option<String> {
    value.map(|s| s.expose().to_owned())
}

pub(crate) fn metadata_in(map: Option<HashMap<String, String>>) -> Option<core::Metadata> {
    map.map(|m| core::Metadata(m.into_iter().collect::<BTreeMap<_, _>>()))
}

fn metadata_out(metadata: Option<core::Metadata>) -> Option<HashMap<String, String>> {
    metadata.map(|m| m.0.into_iter().collect())
}

fn seconds(field: &'static str, value: i64) -> Result<Duration, CoreError> {
    u64::try_from(value)
        .map(Duration::from_secs)
        .map_err(|_| CoreError::InvalidValue { field: field.into(), reason: "must not be negative".into() })
}

/// A page size from a foreign integer: absent means the default (20); anything that is not
/// 1 to 100 is refused by the core's own check.
/// `e` naming `field` instead, when it names one: for a value the FFI takes under another
/// name than the core does (a list's cursor, a vault option).
pub(crate) fn named(e: CoreError, field: &'static str) -> CoreError {
    match e {
        CoreError::InvalidValue { reason, .. } => CoreError::InvalidValue { field: field.into(), reason },
        CoreError::MissingField { .. } => CoreError::MissingField { field: field.into() },
        other => other,
    }
}

pub(crate) fn page<C>(limit: Option<i64>, starting_after: Option<C>) -> core::PageRequest<C> {
    let limit = match limit {
        None => 20,
        Some(n) => u32::try_from(n).unwrap_or(0),
    };
    core::PageRequest { limit, starting_after }
}

pub(crate) fn settings_in(s: ProfileSettings) -> Result<core::ProfileSettings, CoreError> {
    Ok(core::ProfileSettings {
        cvc_ttl: seconds("cvc_ttl_seconds", s.cvc_ttl_seconds)?,
        volatile_ttl: seconds("volatile_ttl_seconds", s.volatile_ttl_seconds)?,
        expose_card_fingerprint: s.expose_card_fingerprint,
    })
}

fn settings_out(s: core::ProfileSettings) -> ProfileSettings {
    ProfileSettings {
        cvc_ttl_seconds: i64::try_from(s.cvc_ttl.as_secs()).unwrap_or(i64::MAX),
        volatile_ttl_seconds: i64::try_from(s.volatile_ttl.as_secs()).unwrap_or(i64::MAX),
        expose_card_fingerprint: s.expose_card_fingerprint,
    }
}

impl Default for ProfileSettings {
    fn default() -> Self {
        settings_out(core::ProfileSettings::default())
    }
}

impl From<core::Profile> for Profile {
    fn from(p: core::Profile) -> Self {
        Self {
            id: p.id.to_string(),
            merchant_id: p.merchant_id.to_string(),
            settings: settings_out(p.settings),
            created_at: time(p.created_at),
            active_key_version: p.active_key_version,
            readable_key_versions: p.readable_key_versions,
        }
    }
}

impl From<Address> for core::Address {
    fn from(a: Address) -> Self {
        Self {
            line1: a.line1,
            line2: a.line2,
            line3: a.line3,
            city: a.city,
            state: a.state,
            zip: a.zip,
            country: a.country,
            first_name: a.first_name,
            last_name: a.last_name,
            phone: a.phone,
            phone_country_code: a.phone_country_code,
            email: a.email,
        }
    }
}

impl From<core::Address> for Address {
    fn from(a: core::Address) -> Self {
        Self {
            line1: a.line1,
            line2: a.line2,
            line3: a.line3,
            city: a.city,
            state: a.state,
            zip: a.zip,
            country: a.country,
            first_name: a.first_name,
            last_name: a.last_name,
            phone: a.phone,
            phone_country_code: a.phone_country_code,
            email: a.email,
        }
    }
}

impl From<CustomerCreate> for core::CustomerCreate {
    fn from(c: CustomerCreate) -> Self {
        Self {
            merchant_reference_id: c.merchant_reference_id,
            name: secret(c.name),
            email: secret(c.email),
            phone: secret(c.phone),
            phone_country_code: c.phone_country_code,
            description: c.description,
            default_billing_address: c.default_billing_address.map(Into::into),
            default_shipping_address: c.default_shipping_address.map(Into::into),
            metadata: metadata_in(c.metadata),
        }
    }
}

impl From<CustomerUpdate> for core::CustomerUpdate {
    fn from(c: CustomerUpdate) -> Self {
        Self {
            name: secret(c.name),
            email: secret(c.email),
            phone: secret(c.phone),
            phone_country_code: c.phone_country_code,
            description: c.description,
            default_billing_address: c.default_billing_address.map(Into::into),
            default_shipping_address: c.default_shipping_address.map(Into::into),
            metadata: metadata_in(c.metadata),
        }
    }
}

impl From<core::Customer> for Customer {
    fn from(c: core::Customer) -> Self {
        Self {
            id: c.id.to_string(),
            merchant_reference_id: c.merchant_reference_id,
            name: exposed(c.name),
            email: exposed(c.email),
            phone: exposed(c.phone),
            phone_country_code: c.phone_country_code,
            description: c.description,
            default_billing_address: c.default_billing_address.map(Into::into),
            default_shipping_address: c.default_shipping_address.map(Into::into),
            metadata: metadata_out(c.metadata),
            created_at: time(c.created_at),
            modified_at: time(c.modified_at),
            status: match c.status {
                core::CustomerStatus::Active => CustomerStatus::Active,
                core::CustomerStatus::Redacted => CustomerStatus::Redacted,
            },
        }
    }
}

impl From<core::CustomerPage> for CustomerPage {
    fn from(p: core::CustomerPage) -> Self {
        Self {
            customers: p.customers.into_iter().map(Into::into).collect(),
            next_starting_after: p.next_starting_after.map(|id| id.to_string()),
        }
    }
}

impl From<core::CustomerDeleted> for CustomerDeleted {
    fn from(d: core::CustomerDeleted) -> Self {
        Self {
            id: d.id.to_string(),
            customer_deleted: d.customer_deleted,
            payment_methods_deleted: d.payment_methods_deleted,
        }
    }
}

impl From<CardNetwork> for core::CardNetwork {
    fn from(n: CardNetwork) -> Self {
        match n {
            CardNetwork::Visa => Self::Visa,
            CardNetwork::Mastercard => Self::Mastercard,
            CardNetwork::AmericanExpress => Self::AmericanExpress,
            CardNetwork::Discover => Self::Discover,
            CardNetwork::Jcb => Self::Jcb,
            CardNetwork::DinersClub => Self::DinersClub,
            CardNetwork::UnionPay => Self::UnionPay,
            CardNetwork::Maestro => Self::Maestro,
            CardNetwork::RuPay => Self::RuPay,
            CardNetwork::Mir => Self::Mir,
            CardNetwork::Interac => Self::Interac,
            CardNetwork::CartesBancaires => Self::CartesBancaires,
        }
    }
}

/// The core's network as a foreign enum; a network this layer does not know yet is
/// reported as absent rather than as a wrong one.
pub(crate) fn network_out(n: core::CardNetwork) -> Option<CardNetwork> {
    Some(match n {
        core::CardNetwork::Visa => CardNetwork::Visa,
        core::CardNetwork::Mastercard => CardNetwork::Mastercard,
        core::CardNetwork::AmericanExpress => CardNetwork::AmericanExpress,
        core::CardNetwork::Discover => CardNetwork::Discover,
        core::CardNetwork::Jcb => CardNetwork::Jcb,
        core::CardNetwork::DinersClub => CardNetwork::DinersClub,
        core::CardNetwork::UnionPay => CardNetwork::UnionPay,
        core::CardNetwork::Maestro => CardNetwork::Maestro,
        core::CardNetwork::RuPay => CardNetwork::RuPay,
        core::CardNetwork::Mir => CardNetwork::Mir,
        core::CardNetwork::Interac => CardNetwork::Interac,
        core::CardNetwork::CartesBancaires => CardNetwork::CartesBancaires,
        _ => return None,
    })
}

impl From<PaymentMethodSubtype> for core::PaymentMethodSubtype {
    fn from(s: PaymentMethodSubtype) -> Self {
        match s {
            PaymentMethodSubtype::Credit => Self::Credit,
            PaymentMethodSubtype::Debit => Self::Debit,
        }
    }
}

impl From<core::PaymentMethodSubtype> for PaymentMethodSubtype {
    fn from(s: core::PaymentMethodSubtype) -> Self {
        match s {
            core::PaymentMethodSubtype::Credit => Self::Credit,
            core::PaymentMethodSubtype::Debit => Self::Debit,
        }
    }
}

impl From<StorageType> for core::StorageType {
    fn from(s: StorageType) -> Self {
        match s {
            StorageType::Persistent => Self::Persistent,
            StorageType::Volatile => Self::Volatile,
        }
    }
}

impl From<core::StorageType> for StorageType {
    fn from(s: core::StorageType) -> Self {
        match s {
            core::StorageType::Persistent => Self::Persistent,
            core::StorageType::Volatile => Self::Volatile,
        }
    }
}

impl From<CardInput> for core::CardInput {
    fn from(c: CardInput) -> Self {
        Self {
            card_number: SecretString::from(c.card_number),
            card_exp_month: c.card_exp_month,
            card_exp_year: c.card_exp_year,
            card_holder_name: secret(c.card_holder_name),
            card_cvc: secret(c.card_cvc),
            nick_name: c.nick_name,
            card_network: c.card_network.map(Into::into),
            card_issuer: c.card_issuer,
            card_type: c.card_type,
            card_issuing_country: c.card_issuing_country,
        }
    }
}

impl TryFrom<PaymentMethodCreate> for core::PaymentMethodCreate {
    type Error = CoreError;

    fn try_from(p: PaymentMethodCreate) -> Result<Self, CoreError> {
        Ok(Self {
            customer_id: core::CustomerId::parse(&p.customer_id)?,
            payment_method_type: core::PaymentMethodType::Card,
            payment_method_subtype: p.payment_method_subtype.unwrap_or(PaymentMethodSubtype::Credit).into(),
            card: p.card.into(),
            storage_type: p.storage_type.unwrap_or(StorageType::Persistent).into(),
            recurring_enabled: p.recurring_enabled,
            billing: p.billing.map(Into::into),
            metadata: metadata_in(p.metadata),
            network_tokenization: p.network_tokenization,
        })
    }
}

impl From<PaymentMethodUpdate> for core::PaymentMethodUpdate {
    fn from(u: PaymentMethodUpdate) -> Self {
        Self {
            card_holder_name: secret(u.card_holder_name),
            nick_name: u.nick_name,
            card_cvc: secret(u.card_cvc),
            card_exp_month: u.card_exp_month,
            card_exp_year: u.card_exp_year,
        }
    }
}

impl From<core::PaymentMethod> for PaymentMethod {
    fn from(p: core::PaymentMethod) -> Self {
        let card = p.card;
        Self {
            id: p.id.to_string(),
            customer_id: p.customer_id.to_string(),
            payment_method_type: match p.payment_method_type {
                core::PaymentMethodType::Card => PaymentMethodType::Card,
            },
            payment_method_subtype: p.payment_method_subtype.into(),
            storage_type: p.storage_type.into(),
            status: match p.status {
                core::PaymentMethodStatus::Active => PaymentMethodStatus::Active,
            },
            recurring_enabled: p.recurring_enabled,
            created: time(p.created),
            modified_at: time(p.modified_at),
            last_used_at: time(p.last_used_at),
            expires_at: p.expires_at.map(time),
            billing: p.billing.map(Into::into),
            metadata: metadata_out(p.metadata),
            card: MaskedCard {
                last4_digits: card.last4_digits,
                card_isin: card.card_isin,
                expiry_month: card.expiry_month,
                expiry_year: card.expiry_year,
                card_holder_name: exposed(card.card_holder_name),
                nick_name: card.nick_name,
                card_network: card.card_network.and_then(network_out),
                card_issuer: card.card_issuer,
                card_type: card.card_type,
                issuer_country: card.issuer_country,
                card_fingerprint: card.card_fingerprint,
                saved_to_locker: card.saved_to_locker,
            },
            card_cvc_token_storage: CvcStorage {
                is_stored: p.card_cvc_token_storage.is_stored,
                expires_at: p.card_cvc_token_storage.expires_at.map(time),
            },
            network_token: p.network_token.map(Into::into),
        }
    }
}

impl From<core::NetworkTokenStatus> for NetworkTokenStatus {
    fn from(s: core::NetworkTokenStatus) -> Self {
        match s {
            core::NetworkTokenStatus::Active => Self::Active,
            core::NetworkTokenStatus::Suspended => Self::Suspended,
            core::NetworkTokenStatus::Deleted => Self::Deleted,
        }
    }
}

impl From<NetworkTokenStatus> for core::NetworkTokenStatus {
    fn from(s: NetworkTokenStatus) -> Self {
        match s {
            NetworkTokenStatus::Active => Self::Active,
            NetworkTokenStatus::Suspended => Self::Suspended,
            NetworkTokenStatus::Deleted => Self::Deleted,
        }
    }
}

impl From<core::ProviderErrorKind> for ProviderErrorKind {
    fn from(k: core::ProviderErrorKind) -> Self {
        match k {
            core::ProviderErrorKind::Unavailable => Self::Unavailable,
            core::ProviderErrorKind::Declined => Self::Declined,
            core::ProviderErrorKind::NotFound => Self::NotFound,
            core::ProviderErrorKind::Failed => Self::Failed,
        }
    }
}

impl From<core::NetworkTokenInfo> for NetworkTokenState {
    fn from(info: core::NetworkTokenInfo) -> Self {
        match info {
            core::NetworkTokenInfo::Active(v) => Self::Active {
                token: NetworkTokenView {
                    last4_digits: v.last4_digits,
                    expiry_month: v.expiry_month,
                    expiry_year: v.expiry_year,
                    card_network: v.card_network.and_then(network_out),
                    status: v.status.into(),
                    token_ref: v.token_ref,
                    provisioned_at: time(v.provisioned_at),
                },
            },
            core::NetworkTokenInfo::Missing { kind, reason, at } => {
                Self::Missing { kind: kind.into(), reason, at: time(at) }
            }
        }
    }
}

impl From<core::PaymentMethodPage> for PaymentMethodPage {
    fn from(p: core::PaymentMethodPage) -> Self {
        Self {
            payment_methods: p.payment_methods.into_iter().map(Into::into).collect(),
            next_starting_after: p.next_starting_after.map(|id| id.to_string()),
        }
    }
}

impl From<Scopes> for core::Scopes {
    fn from(s: Scopes) -> Self {
        Self { read: s.read, write: s.write, reveal: s.reveal }
    }
}

impl From<core::Scopes> for Scopes {
    fn from(s: core::Scopes) -> Self {
        Self { read: s.read, write: s.write, reveal: s.reveal }
    }
}

impl From<core::ApiKey> for ApiKey {
    fn from(k: core::ApiKey) -> Self {
        Self {
            id: k.id.to_string(),
            name: k.name,
            scopes: k.scopes.into(),
            created_at: time(k.created_at),
            expires_at: k.expires_at.map(time),
            revoked_at: k.revoked_at.map(time),
        }
    }
}

impl From<core::AuditEvent> for AuditEvent {
    fn from(e: core::AuditEvent) -> Self {
        Self {
            seq: e.seq,
            at: time(e.at),
            actor: e.actor.to_string(),
            action: e.action.as_str().to_owned(),
            object_id: e.object_id,
            outcome: match e.outcome {
                core::AuditOutcome::Success => "success".to_owned(),
                core::AuditOutcome::Failure { code } => code,
            },
        }
    }
}

impl From<core::AuditVerification> for AuditVerification {
    fn from(v: core::AuditVerification) -> Self {
        Self { events: v.events, first_bad: v.first_bad, problem: v.problem }
    }
}

impl From<core::PurgeReport> for PurgeReport {
    fn from(r: core::PurgeReport) -> Self {
        Self { payment_methods: r.payment_methods, cvcs: r.cvcs, unreadable: r.unreadable }
    }
}

impl From<core::ProfileStats> for ProfileStats {
    fn from(s: core::ProfileStats) -> Self {
        Self {
            profile_id: s.profile_id.map(|id| id.to_string()),
            customers: s.customers,
            redacted_customers: s.redacted_customers,
            payment_methods: s.payment_methods,
            stored_cvcs: s.stored_cvcs,
            api_keys: s.api_keys,
            audit_events: s.audit_events,
            unreadable_records: s.unreadable_records,
            sealed_values_by_key_version: s.sealed_values_by_key_version.into_iter().collect(),
        }
    }
}

impl From<core::VaultStats> for VaultStats {
    fn from(s: core::VaultStats) -> Self {
        Self {
            profiles: s.profiles,
            total: s.total.into(),
            per_profile: s.per_profile.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<core::VerifyReport> for VerifyReport {
    fn from(r: core::VerifyReport) -> Self {
        Self {
            profiles: r.profiles,
            records_checked: r.records_checked,
            values_opened: r.values_opened,
            index_entries_checked: r.index_entries_checked,
            audit_events_checked: r.audit_events_checked,
            problems: r
                .problems
                .into_iter()
                .map(|p| VerifyProblem {
                    profile_id: p.profile_id.to_string(),
                    kind: match p.kind {
                        core::ProblemKind::UnreadableValue => "unreadable_value",
                        core::ProblemKind::OrphanIndexEntry => "orphan_index_entry",
                        core::ProblemKind::MissingIndexEntry => "missing_index_entry",
                        core::ProblemKind::AuditChain => "audit_chain",
                    }
                    .to_owned(),
                    location: p.location,
                    detail: p.detail,
                })
                .collect(),
        }
    }
}

impl From<core::ReencryptReport> for ReencryptReport {
    fn from(r: core::ReencryptReport) -> Self {
        Self {
            profile_id: r.profile_id.to_string(),
            scanned: r.scanned,
            reencrypted: r.reencrypted,
            complete: r.complete,
            retired_versions: r.retired_versions,
        }
    }
}
