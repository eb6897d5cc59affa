//! Card number parsing.

use zeroize::Zeroizing;

use crate::card::{luhn, network};
use crate::error::{Error, Result};
use crate::model::card::{CardNetwork, CardNumber};

const FIELD: &str = "card_number";
/// Longest input considered at all (19 digits plus generous separators).
const MAX_INPUT_BYTES: usize = 64;

/// Parses a card number: spaces and dashes are ignored; the rest must be 12–19 digits,
/// pass the Luhn check and, when the BIN names a network, have one of its lengths.
/// Errors never contain the number.
pub fn parse(input: &str) -> Result<(CardNumber, Option<CardNetwork>)> {
    if input.trim().is_empty() {
        return Err(Error::missing(FIELD));
    }
    if input.len() > MAX_INPUT_BYTES {
        return Err(Error::invalid(FIELD, "must be 12 to 19 digits"));
    }
    let mut digits = Zeroizing::new(String::with_capacity(19));
    for c in input.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' => {}
            _ => {
                return Err(Error::invalid(FIELD, "must contain only digits (spaces and dashes are ignored)"));
            }
        }
    }
    if !(12..=19).contains(&digits.len()) {
        return Err(Error::invalid(FIELD, "must be 12 to 19 digits"));
    }
    // Luhn-valid, but no card: what a placeholder or a masked field sent by mistake holds.
    if digits.bytes().all(|b| b == b'0') {
        return Err(Error::invalid(FIELD, "must not be all zeros"));
    }
    if !luhn::is_valid(&digits) {
        return Err(Error::invalid(FIELD, "fails the Luhn check digit; check for a typing error"));
    }
    let detected = network::detect(&digits);
    if let Some(n) = detected
        && !network::is_valid_length(n, digits.len())
    {
        return Err(Error::invalid(FIELD, format!("has a length that {n} does not issue")));
    }
    Ok((CardNumber::from_checked_digits(std::mem::take(&mut *digits)), detected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_separators() {
        let (n, net) = parse("4111 1111-1111 1111").unwrap();
        assert_eq!(n.expose(), "4111111111111111");
        assert_eq!(net, Some(CardNetwork::Visa));
        assert_eq!(format!("{n:?}"), "CardNumber(****1111)");
    }

    #[test]
    fn rejections() {
        let cases = [
            ("", "IR_04"),
            ("4111111111111112", "IR_05"),
            ("41111111111", "IR_05"),
            ("41111111111111111111", "IR_05"),
            ("4111a11111111111", "IR_05"),
            ("4111111111111111\u{0}", "IR_05"),
            ("378282246310005 0", "IR_05"),
        ];
        for (input, code) in cases {
            let err = parse(input).unwrap_err();
            assert_eq!(err.code(), code, "{input:?}");
            assert_eq!(err.field(), Some("card_number"));
            assert!(!err.to_string().contains("4111"));
        }
        // A Luhn-valid 17-digit Visa number: a length Visa does not issue.
        let err = parse("41111111111111113").unwrap_err();
        assert!(err.to_string().contains("Visa"), "{err}");
    }
}
