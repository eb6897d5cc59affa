//! What of a card number may be shown: the BIN and the last four digits, nothing more.

use crate::card::network;
use crate::model::card::{CardNetwork, CardNumber};

/// The BIN shown in masked views (6 or 8 digits, see [`network::isin_length`]).
pub fn isin(number: &CardNumber, card_network: Option<CardNetwork>) -> String {
    let digits = number.digits();
    let n = network::isin_length(card_network, digits.len()).min(digits.len().saturating_sub(4));
    digits[..n].to_owned()
}

/// The number with everything but the BIN and last four replaced by `*`.
pub fn masked(number: &CardNumber, card_network: Option<CardNetwork>) -> String {
    let digits = number.digits();
    let head = isin(number, card_network);
    let hidden = digits.len().saturating_sub(head.len() + 4);
    format!("{head}{}{}", "*".repeat(hidden), number.last4())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::number;

    #[test]
    fn masks() {
        let (n, net) = number::parse("4111111111111111").unwrap();
        assert_eq!(isin(&n, net), "41111111");
        assert_eq!(masked(&n, net), "41111111****1111");
        let (n, net) = number::parse("378282246310005").unwrap();
        assert_eq!(masked(&n, net), "378282*****0005");
        // A 12-digit card still hides two digits.
        let (n, net) = number::parse("501800000009").unwrap();
        assert_eq!(masked(&n, net), "501800**0009");
    }
}
