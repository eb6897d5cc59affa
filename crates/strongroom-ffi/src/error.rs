//! The one error type foreign callers see, converted from the core's error in one place.

use strongroom_core::Error as CoreError;

/// Every failure, by kind. Each carries the stable `code` (`IR_05`, `HE_02`, …), the
/// `field` it concerns when there is one, and `detail`, a message a person can act on.
/// (`detail`, not `message`: Kotlin exceptions already have a `message`.)
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum StrongroomError {
    #[error("{code}: {detail}")]
    Unauthorized { code: String, field: Option<String>, detail: String },
    #[error("{code}: {detail}")]
    MissingField { code: String, field: Option<String>, detail: String },
    #[error("{code}: {detail}")]
    InvalidValue { code: String, field: Option<String>, detail: String },
    #[error("{code}: {detail}")]
    Forbidden { code: String, field: Option<String>, detail: String },
    #[error("{code}: {detail}")]
    Redacted { code: String, field: Option<String>, detail: String },
    #[error("{code}: {detail}")]
    DuplicateReference { code: String, field: Option<String>, detail: String },
    #[error("{code}: {detail}")]
    CardExpired { code: String, field: Option<String>, detail: String },
    #[error("{code}: {detail}")]
    Duplicate { code: String, field: Option<String>, detail: String },
    #[error("{code}: {detail}")]
    NotFound { code: String, field: Option<String>, detail: String },
    /// `NT_01`: the network token provider failed; `kind` is `unavailable`, `declined`,
    /// `not_found` or `failed`. The payment method is unaffected.
    #[error("{code} ({kind}): {detail}")]
    NetworkTokenFailure { code: String, field: Option<String>, detail: String, kind: String },
    /// `kind` tells internal failures apart: `storage`, `integrity`, `wrong_master_key`,
    /// `missing_master_key`, `random`, `closed`, `provider`.
    #[error("{code} ({kind}): {detail}")]
    Internal { code: String, field: Option<String>, detail: String, kind: String },
}

impl From<CoreError> for StrongroomError {
    fn from(e: CoreError) -> Self {
        let code = e.code().to_owned();
        let field = e.field().map(str::to_owned);
        let detail = e.to_string();
        match e {
            CoreError::Unauthorized { .. } => Self::Unauthorized { code, field, detail },
            CoreError::MissingField { .. } => Self::MissingField { code, field, detail },
            CoreError::InvalidValue { .. } => Self::InvalidValue { code, field, detail },
            CoreError::Forbidden { .. } => Self::Forbidden { code, field, detail },
            CoreError::Redacted { .. } => Self::Redacted { code, field, detail },
            CoreError::DuplicateMerchantReference => Self::DuplicateReference { code, field, detail },
            CoreError::CardExpired { .. } => Self::CardExpired { code, field, detail },
            CoreError::Duplicate { .. } => Self::Duplicate { code, field, detail },
            CoreError::NotFound { .. } => Self::NotFound { code, field, detail },
            CoreError::NetworkTokenProvider { kind, .. } => {
                Self::NetworkTokenFailure { code, field, detail, kind: kind.as_str().to_owned() }
            }
            CoreError::Internal(inner) => Self::Internal { code, field, detail, kind: inner.kind().to_owned() },
            // The core's enum is non-exhaustive: anything new is reported as internal.
            other => Self::Internal { code, field, detail, kind: other.internal_kind().unwrap_or("other").to_owned() },
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, StrongroomError>;
