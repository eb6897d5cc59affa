//! Network tokens: a card network's token (Visa VTS, Mastercard MDES, …) standing in for
//! the card number at the network, with its own number and expiry.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::model::card::{CardNetwork, CardNumber};
use crate::model::sensitive::SecretString;
use crate::model::time::Timestamp;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NetworkTokenStatus {
    Active,
    Suspended,
    Deleted,
}

impl NetworkTokenStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Deleted => "deleted",
        }
    }
}

/// What the provider is asked to tokenize. `Debug` shows only the last four digits.
pub struct ProvisionRequest<'a> {
    pub profile_id: &'a str,
    pub payment_method_id: &'a str,
    pub card_number: &'a CardNumber,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub card_network: Option<CardNetwork>,
}

impl fmt::Debug for ProvisionRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProvisionRequest")
            .field("profile_id", &self.profile_id)
            .field("payment_method_id", &self.payment_method_id)
            .field("card_number", &self.card_number)
            .field("card_network", &self.card_network)
            .finish()
    }
}

/// A token as the provider issues it. The number zeroizes on drop; `Debug` masks it.
#[derive(Clone, Debug)]
pub struct NetworkToken {
    /// The token's own primary account number (Luhn-valid, in the network's token range).
    pub token_number: CardNumber,
    pub expiry_month: u8,
    pub expiry_year: u16,
    /// The provider's reference for the token: what `status`, `delete` and `cryptogram` take.
    pub token_ref: String,
    pub status: NetworkTokenStatus,
}

/// What a cryptogram is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CryptogramRequest {
    /// Amount in minor units (cents).
    pub amount_minor: u64,
    /// ISO 4217 code, three upper-case letters.
    pub currency: String,
}

/// A one-time cryptogram for a payment with the token. `Debug` hides the cryptogram.
#[derive(Clone, Debug)]
pub struct NetworkCryptogram {
    pub cryptogram: SecretString,
    /// Electronic commerce indicator, e.g. `05` (Visa) or `02` (Mastercard).
    pub eci: String,
}

/// Why a provider call failed. Reasons are cleaned of anything that looks like a card
/// number before the vault stores or returns them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderErrorKind {
    /// The token service could not be reached or timed out: worth retrying.
    Unavailable,
    /// The network refused (card not eligible, issuer declined).
    Declined,
    /// The token is unknown to the provider.
    NotFound,
    /// Anything else, including an exception raised by a host's provider.
    Failed,
}

impl ProviderErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Declined => "declined",
            Self::NotFound => "not_found",
            Self::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", kind.as_str())]
pub struct ProviderError {
    pub kind: ProviderErrorKind,
    pub reason: String,
}

impl ProviderError {
    pub fn new(kind: ProviderErrorKind, reason: impl Into<String>) -> Self {
        Self { kind, reason: clean_reason(&reason.into()) }
    }
}

/// A reason as the vault keeps it: runs of 7 or more digits, whatever separates them
/// (spaces, dashes, dots, slashes, commas, quotes, line breaks: anything but a letter), are replaced, so
/// a provider that echoes a card number leaks nothing; no control characters; at most 200
/// characters.
pub fn clean_reason(reason: &str) -> String {
    // Control characters separate too: they are dropped, which would join the digits.
    let separates = |c: char| !c.is_alphanumeric();
    let mut out = String::with_capacity(reason.len().min(200));
    let chars: Vec<char> = reason.chars().collect();
    let mut i = 0;
    while i < chars.len() && out.chars().count() < 200 {
        if chars[i].is_ascii_digit() {
            // The run: digits and separators, ending at its last digit.
            let (mut j, mut end, mut digits) = (i, i, 0);
            while j < chars.len() && (chars[j].is_ascii_digit() || separates(chars[j])) {
                if chars[j].is_ascii_digit() {
                    digits += 1;
                    end = j + 1;
                }
                j += 1;
            }
            if digits >= 7 {
                out.push_str("[digits removed]");
            } else {
                out.extend(chars[i..end].iter().filter(|c| !c.is_control()));
            }
            i = end;
        } else {
            if !chars[i].is_control() {
                out.push(chars[i]);
            }
            i += 1;
        }
    }
    // A kept run is copied whole, so the last one may pass the limit.
    if let Some((cut, _)) = out.char_indices().nth(200) {
        out.truncate(cut);
    }
    out
}

/// The network token of a payment method as retrieve and list show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkTokenInfo {
    /// A token is held: its last four digits, expiry, network and status.
    Active(NetworkTokenView),
    /// Tokenization was asked for but the provider failed; `provision_network_token` retries.
    Missing { kind: ProviderErrorKind, reason: String, at: Timestamp },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkTokenView {
    pub last4_digits: String,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub card_network: Option<CardNetwork>,
    pub status: NetworkTokenStatus,
    pub token_ref: String,
    pub provisioned_at: Timestamp,
}

/// A revealed network token: number and expiry (with the `reveal` right).
#[derive(Clone, Debug)]
pub struct RevealedNetworkToken {
    pub token_number: CardNumber,
    pub expiry_month: u8,
    pub expiry_year: u16,
    pub token_ref: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_lose_card_numbers() {
        assert_eq!(clean_reason("card 4111 1111 1111 1111 declined"), "card [digits removed] declined");
        assert_eq!(clean_reason("pan=4111111111111111"), "pan=[digits removed]");
        assert_eq!(clean_reason("HTTP 503 after 30 s"), "HTTP 503 after 30 s");
        assert_eq!(clean_reason("line\nbreak"), "linebreak");
        assert!(clean_reason(&"x".repeat(1000)).len() <= 200);
        let spaced = format!("1{}2", " ".repeat(5000));
        assert_eq!(clean_reason(&spaced).chars().count(), 200, "a long run of separators is cut too");
        // Whatever separates the digits.
        for echoed in [
            "pan 4111.1111.1111.1111",
            "pan 4111/1111/1111/1111",
            "pan 4111_1111_1111_1111",
            "['4111', '1111', '1111', '1111']",
            "pan 4111\u{a0}1111\u{a0}1111\u{a0}1111",
            "pan 4111\t1111\n1111\r1111",
            "(4111)-(1111)-(1111)-(1111)",
        ] {
            let cleaned = clean_reason(echoed);
            assert!(!cleaned.contains("1111"), "{echoed:?} -> {cleaned:?}");
            assert!(cleaned.contains("[digits removed]"), "{echoed:?} -> {cleaned:?}");
        }
        assert_eq!(clean_reason("code 12, retry in 30 s (attempt 2)"), "code 12, retry in 30 s (attempt 2)");
        assert_eq!(clean_reason("ref abc1234567def"), "ref abc[digits removed]def");
    }

    proptest::proptest! {
        /// No 7 digits survive in a row, whatever sits between them that is not a letter,
        /// and cleaning twice changes nothing more.
        #[test]
        fn no_digit_run_survives(reason in "[0-9a-z .,/_:'\\n\\t\\u{a0}\\-]{0,80}") {
            let cleaned = clean_reason(&reason);
            let mut run = 0;
            for c in cleaned.chars() {
                if c.is_ascii_digit() {
                    run += 1;
                } else if c.is_alphanumeric() {
                    run = 0;
                }
                proptest::prop_assert!(run < 7, "{reason:?} -> {cleaned:?}");
            }
            proptest::prop_assert_eq!(clean_reason(&cleaned), cleaned.clone());
        }
    }
}
