//! The full card as an object, not a record: the number stays in Rust memory that is
//! zeroized when the foreign handle is released, it is copied out only when asked for
//! with `card_number()`, and printing the object (`repr()`, `toString()`) shows only the
//! last four digits.

use strongroom_core as core;

use crate::convert::network_out;
use crate::types::{ApiKey, CardNetwork};

/// The full card, for a caller with the `reveal` right.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct RevealedCard {
    inner: core::RevealedCard,
}

impl std::fmt::Debug for RevealedCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The core's Debug masks the number and hides the holder name.
        std::fmt::Debug::fmt(&self.inner, f)
    }
}

impl From<core::RevealedCard> for RevealedCard {
    fn from(inner: core::RevealedCard) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl RevealedCard {
    pub fn payment_method_id(&self) -> String {
        self.inner.payment_method_id.to_string()
    }

    /// The full primary account number. Each call hands the caller a fresh copy.
    pub fn card_number(&self) -> String {
        self.inner.card_number.expose().to_owned()
    }

    pub fn expiry_month(&self) -> u8 {
        self.inner.expiry_month
    }

    pub fn expiry_year(&self) -> u16 {
        self.inner.expiry_year
    }

    pub fn card_holder_name(&self) -> Option<String> {
        self.inner.card_holder_name.as_ref().map(|n| n.expose().to_owned())
    }

    pub fn card_network(&self) -> Option<CardNetwork> {
        self.inner.card_network.and_then(network_out)
    }

    /// The network token's full number, when the card has one.
    pub fn network_token_number(&self) -> Option<String> {
        self.inner.network_token.as_ref().map(|t| t.token_number.expose().to_owned())
    }

    /// The network token's expiry (month, year), when the card has one.
    pub fn network_token_expiry(&self) -> Option<Vec<u16>> {
        self.inner.network_token.as_ref().map(|t| vec![u16::from(t.expiry_month), t.expiry_year])
    }

    pub fn network_token_ref(&self) -> Option<String> {
        self.inner.network_token.as_ref().map(|t| t.token_ref.clone())
    }
}

/// A new API key: its record and, this once, its secret. Printing the object shows the key
/// id only; `secret()` hands out the full key.
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct ApiKeyCreated {
    inner: core::ApiKeyCreated,
}

impl std::fmt::Debug for ApiKeyCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.inner, f)
    }
}

impl From<core::ApiKeyCreated> for ApiKeyCreated {
    fn from(inner: core::ApiKeyCreated) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl ApiKeyCreated {
    pub fn key(&self) -> ApiKey {
        self.inner.key.clone().into()
    }

    /// The full API key (`<key id>.<secret>`): give it to the client, the vault keeps only
    /// a digest.
    pub fn secret(&self) -> String {
        self.inner.secret.expose().to_owned()
    }
}
