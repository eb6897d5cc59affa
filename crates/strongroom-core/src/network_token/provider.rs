//! The interface to a card network's token service (Visa VTS, Mastercard MDES, …).

use std::fmt;

use crate::model::network_token::{
    CryptogramRequest, NetworkCryptogram, NetworkToken, NetworkTokenStatus, ProviderError, ProvisionRequest,
};

/// A network token service. Calls are made outside the vault's locks and may be slow; a
/// failed `provision` never fails the create that asked for it, a failed `delete` never
/// blocks deleting the payment method. Errors must not carry card data (the vault cleans
/// reasons of digit runs anyway).
pub trait NetworkTokenProvider: Send + Sync + fmt::Debug {
    /// Issues a token for the card; deterministic providers return the same token for the
    /// same card and profile.
    fn provision(&self, request: &ProvisionRequest<'_>) -> Result<NetworkToken, ProviderError>;

    fn status(&self, token_ref: &str) -> Result<NetworkTokenStatus, ProviderError>;

    fn delete(&self, token_ref: &str) -> Result<(), ProviderError>;

    /// A one-time cryptogram for a payment of `request.amount_minor` in `request.currency`.
    fn cryptogram(&self, token_ref: &str, request: &CryptogramRequest) -> Result<NetworkCryptogram, ProviderError>;
}
