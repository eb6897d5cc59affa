//! Network tokens across the boundary: the provider as a foreign trait (a Python or
//! Kotlin host implements it with its own network client), and the built-in simulator.

use std::sync::Arc;
use std::time::Duration;

use strongroom_core as core;

use crate::convert::network_out;
use crate::types::{CardNetwork, NetworkCryptogram, NetworkTokenStatus};

/// What the host's provider is asked to tokenize. It holds the full card number: the
/// provider is the one party that needs it. (Printing it in Python/Kotlin shows it masked.)
#[derive(uniffi::Record)]
pub struct TokenProvisionRequest {
    pub profile_id: String,
    pub payment_method_id: String,
    pub card_number: String,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub card_network: Option<CardNetwork>,
}

/// A token as the host's provider issues it.
#[derive(uniffi::Record)]
pub struct ProvisionedToken {
    pub token_number: String,
    pub expiry_month: u8,
    pub expiry_year: u16,
    /// The provider's reference for the token (1–128 of `A-Z a-z 0-9 _ - . :`).
    pub token_ref: String,
    pub status: NetworkTokenStatus,
}

/// How a host's provider reports failure. Any other exception it raises arrives as
/// `Failed`. Reasons are cleaned of digit runs before the vault keeps them.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum ProviderFailure {
    #[error("unavailable: {reason}")]
    Unavailable { reason: String },
    #[error("declined: {reason}")]
    Declined { reason: String },
    #[error("not found: {reason}")]
    NotFound { reason: String },
    #[error("failed: {reason}")]
    Failed { reason: String },
}

/// What the vault records when the host's provider raises anything but a `ProviderFailure`.
pub const UNEXPECTED_HOST_ERROR: &str = "the host's provider raised an unexpected error";

impl From<uniffi::UnexpectedUniFFICallbackError> for ProviderFailure {
    fn from(_unexpected: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // Its reason is the host exception's own text (Kotlin sends its stack trace, Python
        // its repr): whatever it holds, card data or the host's file names, stays out.
        Self::Failed { reason: UNEXPECTED_HOST_ERROR.into() }
    }
}

impl From<ProviderFailure> for core::ProviderError {
    fn from(f: ProviderFailure) -> Self {
        let (kind, reason) = match f {
            ProviderFailure::Unavailable { reason } => (core::ProviderErrorKind::Unavailable, reason),
            ProviderFailure::Declined { reason } => (core::ProviderErrorKind::Declined, reason),
            ProviderFailure::NotFound { reason } => (core::ProviderErrorKind::NotFound, reason),
            ProviderFailure::Failed { reason } => (core::ProviderErrorKind::Failed, reason),
        };
        core::ProviderError::new(kind, reason)
    }
}

/// A card network token service implemented by the host. Raise `ProviderFailure` for a
/// failure: any other exception is recorded as "the host's provider raised an unexpected
/// error", without its text.
#[uniffi::export(with_foreign)]
pub trait NetworkTokenProvider: Send + Sync {
    /// A token for the card of `request.payment_method_id`. Its reference must be that
    /// payment method's own: the vault calls `delete` with it when the payment method
    /// leaves (deleted, expired, its profile destroyed) or when it cannot keep the token.
    fn provision(&self, request: TokenProvisionRequest) -> Result<ProvisionedToken, ProviderFailure>;
    fn status(&self, token_ref: String) -> Result<NetworkTokenStatus, ProviderFailure>;
    /// Deletes a token the vault no longer holds.
    fn delete(&self, token_ref: String) -> Result<(), ProviderFailure>;
    fn cryptogram(
        &self,
        token_ref: String,
        amount_minor: u64,
        currency: String,
    ) -> Result<NetworkCryptogram, ProviderFailure>;
}

/// The core's provider interface, answered by the host's implementation.
pub(crate) struct HostProvider(pub(crate) Arc<dyn NetworkTokenProvider>);

impl std::fmt::Debug for HostProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostProvider")
    }
}

fn network_in(n: Option<core::CardNetwork>) -> Option<CardNetwork> {
    n.and_then(network_out)
}

impl core::NetworkTokenProvider for HostProvider {
    fn provision(&self, request: &core::ProvisionRequest<'_>) -> Result<core::NetworkToken, core::ProviderError> {
        let mut token = self.0.provision(TokenProvisionRequest {
            profile_id: request.profile_id.to_owned(),
            payment_method_id: request.payment_method_id.to_owned(),
            card_number: request.card_number.expose().to_owned(),
            expiry_month: request.expiry_month,
            expiry_year: request.expiry_year,
            card_network: network_in(request.card_network),
        })?;
        // The token number is checked like a card number (digits, length, Luhn); the
        // host's copy is wiped once parsed.
        let parsed = core::card::number::parse(&token.token_number);
        zeroize::Zeroize::zeroize(&mut token.token_number);
        let (token_number, _) = parsed.map_err(|_| {
            core::ProviderError::new(core::ProviderErrorKind::Failed, "the provider returned a malformed token number")
        })?;
        Ok(core::NetworkToken {
            token_number,
            expiry_month: token.expiry_month,
            expiry_year: token.expiry_year,
            token_ref: token.token_ref,
            status: token.status.into(),
        })
    }

    fn status(&self, token_ref: &str) -> Result<core::NetworkTokenStatus, core::ProviderError> {
        Ok(self.0.status(token_ref.to_owned())?.into())
    }

    fn delete(&self, token_ref: &str) -> Result<(), core::ProviderError> {
        Ok(self.0.delete(token_ref.to_owned())?)
    }

    fn cryptogram(
        &self,
        token_ref: &str,
        request: &core::CryptogramRequest,
    ) -> Result<core::NetworkCryptogram, core::ProviderError> {
        let c = self.0.cryptogram(token_ref.to_owned(), request.amount_minor, request.currency.clone())?;
        Ok(core::NetworkCryptogram { cryptogram: c.cryptogram.into(), eci: c.eci })
    }
}

/// The built-in network token simulator, with faults on demand.
#[derive(uniffi::Object)]
pub struct NetworkTokenSimulator {
    pub(crate) inner: Arc<core::SimulatedNetworkTokenProvider>,
}

#[uniffi::export]
impl NetworkTokenSimulator {
    /// `seed` (32 bytes) makes the tokens deterministic.
    #[uniffi::constructor]
    pub fn new(seed: Vec<u8>) -> crate::error::Result<Arc<Self>> {
        let seed: [u8; 32] = seed.as_slice().try_into().map_err(|_| core::Error::InvalidValue {
            field: "seed".into(),
            reason: "must be exactly 32 bytes".into(),
        })?;
        Ok(Arc::new(Self { inner: Arc::new(core::SimulatedNetworkTokenProvider::new(seed)) }))
    }

    /// The next `fail_next` calls fail; then `fail_percent` % of calls fail; every call
    /// first waits `latency_ms`.
    pub fn set_faults(&self, fail_next: u32, fail_percent: u8, latency_ms: u64) -> crate::error::Result<()> {
        if fail_percent > 100 {
            return Err(core::Error::InvalidValue {
                field: "fail_percent".into(),
                reason: "must be between 0 and 100".into(),
            }
            .into());
        }
        self.inner.set_faults(core::SimulatorFaults {
            fail_next,
            fail_percent,
            latency: Duration::from_millis(latency_ms),
        });
        Ok(())
    }

    /// Token references deleted so far.
    pub fn deleted(&self) -> Vec<String> {
        self.inner.deleted()
    }

    pub fn calls(&self) -> u64 {
        self.inner.calls()
    }
}
