//! The one public error type.
//!
//! Every variant has a stable code (Hyperswitch's where one exists), names the field it
//! concerns when there is one, and carries a message a person can act on. Messages are
//! built only from static text and identifiers Strongroom generated: never from input
//! values, so no card data, CVC or personal data can reach a log through an error.

use std::borrow::Cow;
use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The name of a request or record field, as a caller spells it (`card_number`,
/// `default_billing_address.zip`).
pub type Field = Cow<'static, str>;

/// Every failure Strongroom reports.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `IR_01`: the API key is wrong, revoked, expired or belongs to another profile.
    #[error("unauthorized: {reason}")]
    Unauthorized { reason: &'static str },

    /// `IR_04`: a required field is absent or empty.
    #[error("missing required field `{field}`")]
    MissingField { field: Field },

    /// `IR_05`: a field is present but its value is not acceptable.
    #[error("invalid value for `{field}`: {reason}")]
    InvalidValue { field: Field, reason: Cow<'static, str> },

    /// `IR_06`: the API key is valid but lacks a scope the operation needs.
    #[error("forbidden: this operation needs the `{scope}` scope, which the API key does not have")]
    Forbidden { scope: &'static str },

    /// `IR_11`: the customer was deleted (redacted); its data is gone.
    #[error("the {object} has been redacted and can no longer be used")]
    Redacted { object: ObjectKind, field: Field },

    /// `IR_12`: another customer of the profile already has this `merchant_reference_id`.
    #[error("a customer with this merchant_reference_id already exists in the profile")]
    DuplicateMerchantReference,

    /// `CE_05`: the card's expiry date is in the past.
    #[error("the card has expired (expiry month and year are in the past)")]
    CardExpired { field: Field },

    /// `HE_01`: the object already exists.
    #[error("the {object} already exists")]
    Duplicate { object: ObjectKind, field: Field },

    /// `HE_02`: no such object in this profile (objects of other profiles are not visible).
    #[error("{object} not found")]
    NotFound { object: ObjectKind, field: Field },

    /// `NT_01`: the network token provider failed (unreachable, declined, unknown token).
    /// The payment method itself is unaffected; the reason never carries card data.
    #[error("network token provider {}: {reason}", kind.as_str())]
    NetworkTokenProvider { kind: crate::model::network_token::ProviderErrorKind, reason: String },

    /// `HE_00`: the vault could not do its job; the inner kind says why.
    #[error("internal error: {0}")]
    Internal(#[from] InternalError),
}

/// Why the vault itself failed. All of these carry code `HE_00`; `kind()` tells them apart.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InternalError {
    /// RocksDB (or another store) reported an error.
    #[error("storage failure: {0}")]
    Storage(String),
    /// A stored value failed authentication or could not be decoded: it was altered,
    /// moved between records or profiles, or written by an incompatible version.
    #[error("integrity check failed for a stored {what}")]
    Integrity { what: &'static str },
    /// The master key given at open is not the one the vault was created with.
    #[error("wrong master key `{key_id}`: its key check value does not match the vault")]
    WrongMasterKey { key_id: String },
    /// Stored data references a master key that was not supplied at open.
    #[error("master key `{key_id}` is needed by this vault but was not supplied")]
    MissingMasterKey { key_id: String },
    /// The operating system's random source failed.
    #[error("the operating system's random number generator failed")]
    Random,
    /// The vault was closed; open it again to continue.
    #[error("the vault is closed")]
    Closed,
    /// A host-supplied component (key provider, network token provider) failed.
    #[error("{component} failed: {reason}")]
    Provider { component: &'static str, reason: String },
}

impl InternalError {
    /// A stable, machine-readable name for the failure.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Storage(_) => "storage",
            Self::Integrity { .. } => "integrity",
            Self::WrongMasterKey { .. } => "wrong_master_key",
            Self::MissingMasterKey { .. } => "missing_master_key",
            Self::Random => "random",
            Self::Closed => "closed",
            Self::Provider { .. } => "provider",
        }
    }
}

/// The kinds of objects errors speak about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectKind {
    Profile,
    Customer,
    PaymentMethod,
    ApiKey,
    Cvc,
    MasterKey,
    NetworkToken,
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Profile => "profile",
            Self::Customer => "customer",
            Self::PaymentMethod => "payment method",
            Self::ApiKey => "API key",
            Self::Cvc => "stored CVC",
            Self::MasterKey => "master key",
            Self::NetworkToken => "network token",
        })
    }
}

impl Error {
    /// The stable error code (`IR_05`, `HE_02`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => "IR_01",
            Self::MissingField { .. } => "IR_04",
            Self::InvalidValue { .. } => "IR_05",
            Self::Forbidden { .. } => "IR_06",
            Self::Redacted { .. } => "IR_11",
            Self::DuplicateMerchantReference => "IR_12",
            Self::CardExpired { .. } => "CE_05",
            Self::Duplicate { .. } => "HE_01",
            Self::NotFound { .. } => "HE_02",
            Self::NetworkTokenProvider { .. } => "NT_01",
            Self::Internal(_) => "HE_00",
        }
    }

    /// The field the error concerns, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::MissingField { field }
            | Self::InvalidValue { field, .. }
            | Self::Redacted { field, .. }
            | Self::CardExpired { field }
            | Self::Duplicate { field, .. }
            | Self::NotFound { field, .. } => Some(field),
            Self::DuplicateMerchantReference => Some("merchant_reference_id"),
            Self::Unauthorized { .. } | Self::Forbidden { .. } | Self::Internal(_) => None,
            Self::NetworkTokenProvider { .. } => None,
        }
    }

    /// For `HE_00` errors, the inner kind (`storage`, `integrity`, …).
    pub fn internal_kind(&self) -> Option<&'static str> {
        match self {
            Self::Internal(inner) => Some(inner.kind()),
            _ => None,
        }
    }

    pub(crate) fn missing(field: impl Into<Field>) -> Self {
        Self::MissingField { field: field.into() }
    }

    pub(crate) fn invalid(field: impl Into<Field>, reason: impl Into<Cow<'static, str>>) -> Self {
        Self::InvalidValue { field: field.into(), reason: reason.into() }
    }

    pub(crate) fn not_found(object: ObjectKind, field: impl Into<Field>) -> Self {
        Self::NotFound { object, field: field.into() }
    }

    pub(crate) fn integrity(what: &'static str) -> Self {
        Self::Internal(InternalError::Integrity { what })
    }

    pub(crate) fn storage(message: impl Into<String>) -> Self {
        Self::Internal(InternalError::Storage(message.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_fields() {
        let e = Error::invalid("card_number", "fails the Luhn check");
        assert_eq!(e.code(), "IR_05");
        assert_eq!(e.field(), Some("card_number"));
        assert_eq!(e.to_string(), "invalid value for `card_number`: fails the Luhn check");
        assert_eq!(Error::missing("card_exp_month").code(), "IR_04");
        assert_eq!(Error::DuplicateMerchantReference.field(), Some("merchant_reference_id"));
        let internal = Error::integrity("payment method");
        assert_eq!(internal.code(), "HE_00");
        assert_eq!(internal.internal_kind(), Some("integrity"));
        assert_eq!(internal.field(), None);
    }
}
