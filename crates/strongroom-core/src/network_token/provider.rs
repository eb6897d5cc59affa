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
    /// Issues a token for the card of `request.payment_method_id`. The reference returned
    /// must be that payment method's own (the same card saved for two customers is two
    /// payment methods): the vault deletes it when the payment method leaves (deleted,
    /// expired, its profile destroyed) or when it cannot keep it, and another payment
    /// method sharing it would lose its token too. Asked again for the same payment method,
    /// a deterministic provider may return the same reference.
    fn provision(&self, request: &ProvisionRequest<'_>) -> Result<NetworkToken, ProviderError>;

    fn status(&self, token_ref: &str) -> Result<NetworkTokenStatus, ProviderError>;

    /// Deletes a token the vault no longer holds (see `provision`).
    fn delete(&self, token_ref: &str) -> Result<(), ProviderError>;

    /// A one-time cryptogram for a payment of `request.amount_minor` in `request.currency`.
    fn cryptogram(&self, token_ref: &str, request: &CryptogramRequest) -> Result<NetworkCryptogram, ProviderError>;
}
