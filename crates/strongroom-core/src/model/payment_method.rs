//! Card payment methods (Hyperswitch v2 `payment_methods`): the token (`pm_…`) a merchant
//! keeps instead of the card.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::address::Address;
use crate::model::card::{CardInput, CardNetwork, CardNumber, MaskedCard};
use crate::model::ids::{CustomerId, PaymentMethodId};
use crate::model::metadata::Metadata;
use crate::model::network_token::{NetworkTokenInfo, RevealedNetworkToken};
use crate::model::sensitive::SecretString;
use crate::model::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentMethodType {
    Card,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentMethodSubtype {
    Credit,
    Debit,
}

/// `Persistent` methods live until deleted; `Volatile` ones expire (profile's volatile TTL).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StorageType {
    Persistent,
    Volatile,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentMethodStatus {
    Active,
}

/// Save a card for a customer.
#[derive(Clone, Debug)]
pub struct PaymentMethodCreate {
    pub customer_id: CustomerId,
    pub payment_method_type: PaymentMethodType,
    pub payment_method_subtype: PaymentMethodSubtype,
    pub card: CardInput,
    pub storage_type: StorageType,
    pub recurring_enabled: bool,
    pub billing: Option<Address>,
    pub metadata: Option<Metadata>,
    /// Also get a network token from the card network (`network_tokenization.enable`).
    /// A provider failure does not fail the create: the response says the token is missing.
    pub network_tokenization: bool,
}

impl PaymentMethodCreate {
    /// A persistent credit card, recurring enabled, no billing address or metadata.
    pub fn card(customer_id: CustomerId, card: CardInput) -> Self {
        Self {
            customer_id,
            payment_method_type: PaymentMethodType::Card,
            payment_method_subtype: PaymentMethodSubtype::Credit,
            card,
            storage_type: StorageType::Persistent,
            recurring_enabled: true,
            billing: None,
            metadata: None,
            network_tokenization: false,
        }
    }
}

/// Changes to a saved card (`update_saved_payment_method`). Present fields replace the
/// stored ones; an expiry change needs both month and year.
#[derive(Clone, Default)]
pub struct PaymentMethodUpdate {
    pub card_holder_name: Option<SecretString>,
    pub nick_name: Option<String>,
    /// Stored apart with the profile's CVC TTL, replacing any CVC stored before.
    pub card_cvc: Option<SecretString>,
    pub card_exp_month: Option<String>,
    pub card_exp_year: Option<String>,
}

impl fmt::Debug for PaymentMethodUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PaymentMethodUpdate")
            .field("card_holder_name", &self.card_holder_name.as_ref().map(|_| "***"))
            .field("nick_name", &self.nick_name)
            .field("card_cvc", &self.card_cvc.as_ref().map(|_| "***"))
            .field("expiry", &self.card_exp_month.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Whether a CVC is held for this payment method, and until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CvcStorage {
    pub is_stored: bool,
    pub expires_at: Option<Timestamp>,
}

/// A saved card as retrieve and list return it: masked, never the full number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentMethod {
    pub id: PaymentMethodId,
    pub customer_id: CustomerId,
    pub payment_method_type: PaymentMethodType,
    pub payment_method_subtype: PaymentMethodSubtype,
    pub storage_type: StorageType,
    pub status: PaymentMethodStatus,
    pub recurring_enabled: bool,
    pub created: Timestamp,
    pub modified_at: Timestamp,
    pub last_used_at: Timestamp,
    /// Volatile methods only: when the vault forgets it.
    pub expires_at: Option<Timestamp>,
    pub billing: Option<Address>,
    pub metadata: Option<Metadata>,
    pub card: MaskedCard,
    pub card_cvc_token_storage: CvcStorage,
    /// The network token (masked), or why it is missing; `None` when none was asked for.
    pub network_token: Option<NetworkTokenInfo>,
}

/// The result of a create: the payment method, and whether it already existed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentMethodCreated {
    pub payment_method: PaymentMethod,
    /// `true` when the customer already had this card: the existing payment method was
    /// returned (with CVC, expiry and holder name refreshed) and nothing new was created.
    pub duplicate: bool,
}

/// The result of a delete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentMethodDeleted {
    pub id: PaymentMethodId,
}

/// One page of a customer's payment methods, oldest first.
#[derive(Clone, Debug)]
pub struct PaymentMethodPage {
    pub payment_methods: Vec<PaymentMethod>,
    /// Pass as `starting_after` to get the next page; `None` on the last page.
    pub next_starting_after: Option<PaymentMethodId>,
}

/// The full card, for a caller with the `reveal` right. The number zeroizes on drop and
/// `Debug` shows only its last four digits.
#[derive(Clone, Debug)]
pub struct RevealedCard {
    pub payment_method_id: PaymentMethodId,
    pub card_number: CardNumber,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub card_holder_name: Option<SecretString>,
    pub card_network: Option<CardNetwork>,
    pub network_token: Option<RevealedNetworkToken>,
}
