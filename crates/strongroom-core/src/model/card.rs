//! Card types: the request a card arrives in, the secret number and CVC, the network, and
//! the masked view that is all retrieve and list ever show. Parsing rules live in `card/`.

use std::fmt;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::model::sensitive::SecretString;

/// Card networks Strongroom recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
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

impl CardNetwork {
    pub const ALL: [CardNetwork; 12] = [
        Self::Visa,
        Self::Mastercard,
        Self::AmericanExpress,
        Self::Discover,
        Self::Jcb,
        Self::DinersClub,
        Self::UnionPay,
        Self::Maestro,
        Self::RuPay,
        Self::Mir,
        Self::Interac,
        Self::CartesBancaires,
    ];

    /// Hyperswitch's spelling of the network.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visa => "Visa",
            Self::Mastercard => "Mastercard",
            Self::AmericanExpress => "AmericanExpress",
            Self::Discover => "Discover",
            Self::Jcb => "JCB",
            Self::DinersClub => "DinersClub",
            Self::UnionPay => "UnionPay",
            Self::Maestro => "Maestro",
            Self::RuPay => "RuPay",
            Self::Mir => "Mir",
            Self::Interac => "Interac",
            Self::CartesBancaires => "CartesBancaires",
        }
    }

    /// Parses a network name, ignoring case.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for CardNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A card as a caller submits it (Hyperswitch's `payment_method_data.card`).
/// Every field is checked by the vault; `Debug` shows none of the card data.
#[derive(Clone, Default)]
pub struct CardInput {
    /// Digits; spaces and dashes are ignored.
    pub card_number: SecretString,
    /// `1`–`12`, optionally zero-padded.
    pub card_exp_month: String,
    /// Two or four digits.
    pub card_exp_year: String,
    pub card_holder_name: Option<SecretString>,
    /// 3 digits, or 4 for American Express. Stored apart, with a short TTL.
    pub card_cvc: Option<SecretString>,
    pub nick_name: Option<String>,
    /// When given, must agree with the network detected from the number.
    pub card_network: Option<CardNetwork>,
    pub card_issuer: Option<String>,
    /// Free text from the issuer, e.g. `CREDIT`.
    pub card_type: Option<String>,
    /// ISO 3166 country code of the issuer.
    pub card_issuing_country: Option<String>,
}

impl fmt::Debug for CardInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardInput")
            .field("card_network", &self.card_network)
            .field("nick_name", &self.nick_name)
            .finish_non_exhaustive()
    }
}

/// A validated card number (12–19 digits, Luhn-valid). Zeroized on drop; `Debug` shows
/// only the last four digits.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct CardNumber(String);

impl CardNumber {
    /// Wraps digits that `card::number` has already checked.
    pub(crate) fn from_checked_digits(digits: String) -> Self {
        Self(digits)
    }

    /// The full card number. Only `reveal` hands this out; do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four digits.
    pub fn last4(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }

    pub(crate) fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber(****{})", self.last4())
    }
}

/// A validated card security code. Zeroized on drop; never printed.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Cvc(String);

impl Cvc {
    pub(crate) fn from_checked_digits(digits: String) -> Self {
        Self(digits)
    }

    /// The CVC. Use it for one authorization, then drop it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvc(***)")
    }
}

/// What retrieve and list return about a card: never more than the BIN and last four.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaskedCard {
    pub last4_digits: String,
    /// The BIN: first 6 digits, or 8 for 16+ digit cards of networks with 8-digit BINs.
    pub card_isin: String,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub card_holder_name: Option<SecretString>,
    pub nick_name: Option<String>,
    pub card_network: Option<CardNetwork>,
    pub card_issuer: Option<String>,
    pub card_type: Option<String>,
    pub issuer_country: Option<String>,
    /// Keyed fingerprint (hex), only for profiles that opt in.
    pub card_fingerprint: Option<String>,
    pub saved_to_locker: bool,
}
