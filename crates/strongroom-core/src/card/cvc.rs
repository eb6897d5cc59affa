//! Card security codes.

use crate::card::network;
use crate::error::{Error, Result};
use crate::model::card::{CardNetwork, Cvc};

const FIELD: &str = "card_cvc";

/// Parses a CVC: 4 digits for American Express, 3 for other known networks, 3 or 4 when
/// the network is unknown.
pub fn parse(input: &str, card_network: Option<CardNetwork>) -> Result<Cvc> {
    if input.is_empty() {
        return Err(Error::missing(FIELD));
    }
    if input.len() > 4 || !input.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(FIELD, "must be 3 or 4 digits"));
    }
    let ok = match card_network.map(network::cvc_length) {
        Some(expected) => input.len() == expected,
        None => input.len() >= 3,
    };
    if !ok {
        let reason = match card_network {
            Some(CardNetwork::AmericanExpress) => "must be 4 digits for American Express",
            Some(_) => "must be 3 digits for this card network",
            None => "must be 3 or 4 digits",
        };
        return Err(Error::invalid(FIELD, reason));
    }
    Ok(Cvc::from_checked_digits(input.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(parse("737", Some(CardNetwork::Visa)).is_ok());
        assert!(parse("1234", Some(CardNetwork::AmericanExpress)).is_ok());
        assert!(parse("1234", None).is_ok());
        for (cvc, net) in [
            ("12345", Some(CardNetwork::Visa)),
            ("123", Some(CardNetwork::AmericanExpress)),
            ("1234", Some(CardNetwork::Visa)),
            ("12", None),
            ("12a", None),
        ] {
            let err = parse(cvc, net).unwrap_err();
            assert_eq!(err.code(), "IR_05", "{cvc}");
            assert_eq!(err.field(), Some("card_cvc"));
        }
        assert_eq!(parse("", None).unwrap_err().code(), "IR_04");
        assert_eq!(format!("{:?}", parse("737", None).unwrap()), "Cvc(***)");
    }
}
