//! Audit events: what happened in a profile, by whom, to what, with what outcome. Never
//! card or personal data.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::ids::ApiKeyId;
use crate::model::time::Timestamp;

/// Who acted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditActor {
    /// The host process itself (`vault.profile(…)` and administrative calls).
    Internal,
    ApiKey(ApiKeyId),
}

impl fmt::Display for AuditActor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Internal => f.write_str("internal"),
            Self::ApiKey(id) => f.write_str(id.as_str()),
        }
    }
}

/// What was done. New actions are only ever appended (the stored form is positional).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AuditAction {
    ProfileCreated,
    ProfileSettingsUpdated,
    CustomerCreated,
    CustomerUpdated,
    CustomerDeleted,
    PaymentMethodCreated,
    PaymentMethodRefreshed,
    PaymentMethodUpdated,
    PaymentMethodDeleted,
    PaymentMethodExpired,
    CardRevealed,
    CvcTaken,
    ApiKeyCreated,
    ApiKeyRevoked,
    AuthenticationFailed,
    KeyRotated,
    ReencryptionCompleted,
    NetworkTokenProvisioned,
    NetworkTokenDeleted,
    NetworkCryptogramIssued,
    /// Reads of masked data are not audited when they succeed; these record refused ones.
    CustomerRetrieved,
    CustomersListed,
    PaymentMethodRetrieved,
    PaymentMethodsListed,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProfileCreated => "profile_created",
            Self::ProfileSettingsUpdated => "profile_settings_updated",
            Self::CustomerCreated => "customer_created",
            Self::CustomerUpdated => "customer_updated",
            Self::CustomerDeleted => "customer_deleted",
            Self::PaymentMethodCreated => "payment_method_created",
            Self::PaymentMethodRefreshed => "payment_method_refreshed",
            Self::PaymentMethodUpdated => "payment_method_updated",
            Self::PaymentMethodDeleted => "payment_method_deleted",
            Self::PaymentMethodExpired => "payment_method_expired",
            Self::CardRevealed => "card_revealed",
            Self::CvcTaken => "cvc_taken",
            Self::ApiKeyCreated => "api_key_created",
            Self::ApiKeyRevoked => "api_key_revoked",
            Self::AuthenticationFailed => "authentication_failed",
            Self::KeyRotated => "key_rotated",
            Self::ReencryptionCompleted => "reencryption_completed",
            Self::NetworkTokenProvisioned => "network_token_provisioned",
            Self::NetworkTokenDeleted => "network_token_deleted",
            Self::NetworkCryptogramIssued => "network_cryptogram_issued",
            Self::CustomerRetrieved => "customer_retrieved",
            Self::CustomersListed => "customers_listed",
            Self::PaymentMethodRetrieved => "payment_method_retrieved",
            Self::PaymentMethodsListed => "payment_methods_listed",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditOutcome {
    Success,
    /// Refused, with the error code the caller received (`IR_01`, `IR_06`, …).
    Failure {
        code: String,
    },
}

/// One event of a profile's audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Position in the chain, from 0.
    pub seq: u64,
    pub at: Timestamp,
    pub actor: AuditActor,
    pub action: AuditAction,
    /// The id of the object acted on (a customer, payment method or API key id; a key
    /// version as `v2`), when there is one.
    pub object_id: Option<String>,
    pub outcome: AuditOutcome,
}

/// The result of checking a profile's audit chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditVerification {
    /// Events checked and found in order.
    pub events: u64,
    /// The first position where the chain breaks (an event removed, reordered, altered,
    /// or the tail cut off), if it does.
    pub first_bad: Option<u64>,
    /// What is wrong there.
    pub problem: Option<String>,
}

impl AuditVerification {
    pub fn is_intact(&self) -> bool {
        self.first_bad.is_none()
    }
}
