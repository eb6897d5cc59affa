//! Card rules: number (Luhn, length, network from BIN), expiry, CVC and masking.
//! Pure functions over the model's types; nothing here knows about keys or storage.

pub mod cvc;
pub mod expiry;
pub mod luhn;
pub mod mask;
pub mod network;
pub mod number;

use crate::error::{Error, Field, Result};
use crate::model::address::Address;
use crate::model::card::{CardInput, CardNetwork, CardNumber, Cvc};
use crate::model::metadata::Metadata;
use crate::model::sensitive::SecretString;
use crate::model::text;
use crate::model::time::Timestamp;

pub use expiry::Expiry;

pub const MAX_HOLDER_NAME_CHARS: usize = 256;
pub const MAX_NICK_NAME_CHARS: usize = 64;
const MAX_ISSUER_CHARS: usize = 100;
const MAX_CARD_TYPE_CHARS: usize = 32;

/// A card that passed every check, ready to be stored.
#[derive(Debug)]
pub struct CheckedCard {
    pub number: CardNumber,
    pub network: Option<CardNetwork>,
    pub expiry: Expiry,
    pub cvc: Option<Cvc>,
    pub holder_name: Option<SecretString>,
    pub nick_name: Option<String>,
    pub issuer: Option<String>,
    pub card_type: Option<String>,
    pub issuing_country: Option<String>,
}

/// Checks a submitted card against every rule; `now` decides expiry.
pub fn check(input: &CardInput, now: Timestamp) -> Result<CheckedCard> {
    let (number, detected) = number::parse(input.card_number.expose())?;
    let network = resolve_network(detected, input.card_network, number.expose().len())?;
    let expiry = Expiry::parse(&input.card_exp_month, &input.card_exp_year, now)?;
    let cvc = input.card_cvc.as_ref().map(|c| cvc::parse(c.expose(), network)).transpose()?;
    check_holder_name(input.card_holder_name.as_ref())?;
    check_nick_name(input.nick_name.as_deref())?;
    text::check_opt("card_issuer", input.card_issuer.as_deref(), MAX_ISSUER_CHARS)?;
    text::check_opt("card_type", input.card_type.as_deref(), MAX_CARD_TYPE_CHARS)?;
    if let Some(country) = &input.card_issuing_country {
        text::check_country("card_issuing_country", country)?;
    }
    // Free-text fields are shown in masked views: none may carry the card number.
    let shown = [
        ("card_holder_name", input.card_holder_name.as_ref().map(SecretString::expose)),
        ("nick_name", input.nick_name.as_deref()),
        ("card_issuer", input.card_issuer.as_deref()),
        ("card_type", input.card_type.as_deref()),
    ];
    for (field, value) in shown {
        refuse_number(field, value, &number)?;
    }
    Ok(CheckedCard {
        number,
        network,
        expiry,
        cvc,
        holder_name: input.card_holder_name.clone(),
        nick_name: input.nick_name.clone(),
        issuer: input.card_issuer.clone(),
        card_type: input.card_type.clone(),
        issuing_country: input.card_issuing_country.clone(),
    })
}

/// Whether `text`'s digits, read in order with anything else skipped, contain the card
/// number (so `4111-1111 1111 1111` and `x4111111111111111y` both count).
pub fn holds_number(text: &str, number: &CardNumber) -> bool {
    digits_of(text).contains(number.expose())
}

/// Whether `text` could hold a card number ending in `last4` (the test `holds_number` makes,
/// without the number): at least 12 digits, which contain `last4`.
pub fn may_hold_number(text: &str, last4: &str) -> bool {
    let digits = digits_of(text);
    digits.len() >= 12 && digits.contains(last4)
}

fn digits_of(text: &str) -> zeroize::Zeroizing<String> {
    zeroize::Zeroizing::new(text.chars().filter(char::is_ascii_digit).collect())
}

/// `IR_05` on `field` if `text` holds the card number: free text is shown in masked views,
/// to callers without the right to see the number.
pub fn refuse_number(field: impl Into<Field>, text: Option<&str>, number: &CardNumber) -> Result<()> {
    match text {
        Some(text) if holds_number(text, number) => Err(Error::invalid(field, "must not contain the card number")),
        _ => Ok(()),
    }
}

/// The billing address and metadata stored with a card are shown in its masked views
/// too: none of their fields (metadata keys and values alike) may hold its number.
pub fn refuse_number_in_extras(
    billing: Option<&Address>,
    metadata: Option<&Metadata>,
    number: &CardNumber,
) -> Result<()> {
    if let Some(billing) = billing {
        for (name, value) in billing.texts() {
            refuse_number(format!("billing.{name}"), value, number)?;
        }
    }
    for (key, value) in metadata.iter().flat_map(|m| m.0.iter()) {
        refuse_number("metadata.key", Some(key), number)?;
        refuse_number("metadata.value", Some(value), number)?;
    }
    Ok(())
}

pub fn check_holder_name(name: Option<&SecretString>) -> Result<()> {
    text::check_opt("card_holder_name", name.map(SecretString::expose), MAX_HOLDER_NAME_CHARS)
}

pub fn check_nick_name(name: Option<&str>) -> Result<()> {
    text::check_opt("nick_name", name, MAX_NICK_NAME_CHARS)
}

/// The network a caller declared must agree with the BIN; a co-badged scheme
/// (Cartes Bancaires over Visa or Mastercard) may be declared on top of it. A network
/// declared for a number whose BIN is unknown must issue numbers of its length (it decides
/// the CVC's length and the masked view).
fn resolve_network(
    detected: Option<CardNetwork>,
    declared: Option<CardNetwork>,
    digits: usize,
) -> Result<Option<CardNetwork>> {
    match (detected, declared) {
        (d, None) => Ok(d),
        (None, Some(declared)) if !network::is_valid_length(declared, digits) => Err(Error::invalid(
            "card_network",
            format!("does not match the card number: {declared} does not issue numbers of {digits} digits"),
        )),
        (None, Some(declared)) => Ok(Some(declared)),
        (Some(d), Some(declared)) if d == declared => Ok(Some(d)),
        (Some(CardNetwork::Visa | CardNetwork::Mastercard), Some(CardNetwork::CartesBancaires)) => {
            Ok(Some(CardNetwork::CartesBancaires))
        }
        (Some(d), Some(_)) => {
            Err(Error::invalid("card_network", format!("does not match the network of the card number ({d})")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The cheap test never misses what the full one finds.
        #[test]
        fn may_hold_number_covers_holds_number(
            body in "[0-9]{11,18}",
            before in "[a-z0-9 -]{0,12}",
            after in "[a-z0-9 -]{0,12}",
            separator in "[ -]?",
        ) {
            let Ok((number, _)) = number::parse(&format!("{body}{}", luhn::check_digit(&body))) else { return Ok(()) };
            let spaced: String = number.expose().chars().flat_map(|c| [c].into_iter().chain(separator.chars())).collect();
            let text = format!("{before}{spaced}{after}");
            proptest::prop_assert!(holds_number(&text, &number));
            proptest::prop_assert!(may_hold_number(&text, number.last4()));
        }
    }

    pub(crate) fn now() -> Timestamp {
        // 2026-11-24T00:00:00Z
        Timestamp::from_millis(1_795_478_400_000)
    }

    fn input(number: &str) -> CardInput {
        CardInput {
            card_number: number.into(),
            card_exp_month: "03".into(),
            card_exp_year: "2030".into(),
            card_holder_name: Some("joseph Doe".into()),
            card_cvc: Some("737".into()),
            ..Default::default()
        }
    }

    #[test]
    fn free_text_fields_may_not_carry_the_card_number() {
        // Found by the card_parsing fuzz target: a nick name holding the number would put
        // it in every masked view.
        type Change = fn(&mut CardInput);
        let cases: [(&str, Change); 4] = [
            ("nick_name", |c| c.nick_name = Some("card 4111-1111-1111-1111".into())),
            ("card_holder_name", |c| c.card_holder_name = Some("x4111111111111111y".into())),
            ("card_issuer", |c| c.card_issuer = Some("4111 1111 1111 1111".into())),
            ("card_type", |c| c.card_type = Some("4111111111111111".into())),
        ];
        for (field, change) in cases {
            let mut card = input("4111111111111111");
            change(&mut card);
            let e = check(&card, now()).unwrap_err();
            assert_eq!((e.code(), e.field()), ("IR_05", Some(field)));
            assert!(!e.to_string().contains("4111111111111111"));
        }
        let mut card = input("4111111111111111");
        card.nick_name = Some("work card 1111".into());
        assert!(check(&card, now()).is_ok());
    }

    #[test]
    fn seed_card_is_accepted() {
        let c = check(&input("4111111111111111"), now()).unwrap();
        assert_eq!(c.network, Some(CardNetwork::Visa));
        assert_eq!(c.expiry, Expiry { month: 3, year: 2030 });
        assert_eq!(c.cvc.unwrap().expose(), "737");
    }

    #[test]
    fn declared_network_must_agree() {
        let mut i = input("4111111111111111");
        i.card_network = Some(CardNetwork::Mastercard);
        assert_eq!(check(&i, now()).unwrap_err().field(), Some("card_network"));
        i.card_network = Some(CardNetwork::CartesBancaires);
        assert_eq!(check(&i, now()).unwrap().network, Some(CardNetwork::CartesBancaires));
    }
}
