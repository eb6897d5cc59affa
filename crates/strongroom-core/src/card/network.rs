//! Card networks from BIN (IIN) ranges, with each network's lengths and CVC length.

use std::ops::RangeInclusive;

use crate::model::card::CardNetwork;

/// A BIN range: the card's first `lo.len()` digits lie in `lo..=hi`.
struct BinRange {
    lo: &'static str,
    hi: &'static str,
    network: CardNetwork,
}

const fn r(lo: &'static str, hi: &'static str, network: CardNetwork) -> BinRange {
    BinRange { lo, hi, network }
}

use CardNetwork::*;

/// The most specific (longest) matching range wins, so narrow ranges that sit inside a
/// broader one (RuPay inside Maestro's `50` and Discover's `65`) are found.
const RANGES: &[BinRange] = &[
    r("4", "4", Visa),
    r("51", "55", Mastercard),
    r("2221", "2720", Mastercard),
    r("34", "34", AmericanExpress),
    r("37", "37", AmericanExpress),
    r("6011", "6011", Discover),
    r("644", "649", Discover),
    r("65", "65", Discover),
    r("3528", "3589", Jcb),
    r("300", "305", DinersClub),
    r("3095", "3095", DinersClub),
    r("36", "36", DinersClub),
    r("38", "39", DinersClub),
    r("62", "62", UnionPay),
    r("81", "81", UnionPay),
    r("50", "50", Maestro),
    r("56", "58", Maestro),
    r("6304", "6304", Maestro),
    r("6759", "6759", Maestro),
    r("6761", "6763", Maestro),
    r("508500", "508999", RuPay),
    r("606985", "607984", RuPay),
    r("608001", "608500", RuPay),
    r("652150", "653149", RuPay),
    r("2200", "2204", Mir),
];

/// The network of a card number (ASCII digits), if its BIN is known.
pub fn detect(digits: &str) -> Option<CardNetwork> {
    RANGES
        .iter()
        .filter(|range| {
            let n = range.lo.len();
            digits.len() >= n && (range.lo..=range.hi).contains(&&digits[..n])
        })
        .max_by_key(|range| range.lo.len())
        .map(|range| range.network)
}

/// The card-number lengths a network issues.
pub fn lengths(network: CardNetwork) -> RangeInclusive<usize> {
    match network {
        Visa => 13..=19,
        Mastercard | RuPay => 16..=16,
        AmericanExpress => 15..=15,
        Discover | Jcb | UnionPay | Mir => 16..=19,
        DinersClub => 14..=19,
        Maestro => 12..=19,
        Interac | CartesBancaires => 12..=19,
    }
}

/// Whether `len` is a length the network issues (Visa: 13, 16 or 19).
pub fn is_valid_length(network: CardNetwork, len: usize) -> bool {
    match network {
        Visa => matches!(len, 13 | 16 | 19),
        other => lengths(other).contains(&len),
    }
}

/// The CVC length of a network: 4 for American Express, else 3.
pub fn cvc_length(network: CardNetwork) -> usize {
    if network == AmericanExpress { 4 } else { 3 }
}

/// How many leading digits form the BIN shown in masked views: 8 for 16+ digit cards of
/// networks that issue 8-digit BINs, else 6 (PCI DSS allows first 6/8 and last 4).
pub fn isin_length(network: Option<CardNetwork>, len: usize) -> usize {
    match network {
        Some(Visa | Mastercard | Discover) if len >= 16 => 8,
        _ => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection() {
        let cases = [
            ("4111111111111111", Some(Visa)),
            ("5555555555554444", Some(Mastercard)),
            ("2223003122003222", Some(Mastercard)),
            ("2720990000000000", Some(Mastercard)),
            ("2721000000000000", None),
            ("378282246310005", Some(AmericanExpress)),
            ("6011111111111117", Some(Discover)),
            ("6500000000000000", Some(Discover)),
            ("3530111333300000", Some(Jcb)),
            ("30569309025904", Some(DinersClub)),
            ("6200000000000005", Some(UnionPay)),
            ("6759649826438453", Some(Maestro)),
            ("5085000000000000", Some(RuPay)),
            ("6521500000000000", Some(RuPay)),
            ("2200000000000000", Some(Mir)),
            ("9999999999999999", None),
        ];
        for (digits, want) in cases {
            assert_eq!(detect(digits), want, "{digits}");
        }
    }

    #[test]
    fn lengths_and_cvc() {
        assert!(is_valid_length(Visa, 16));
        assert!(!is_valid_length(Visa, 17));
        assert!(!is_valid_length(AmericanExpress, 16));
        assert_eq!(cvc_length(AmericanExpress), 4);
        assert_eq!(cvc_length(Visa), 3);
        assert_eq!(isin_length(Some(Visa), 16), 8);
        assert_eq!(isin_length(Some(AmericanExpress), 15), 6);
        assert_eq!(isin_length(Some(Visa), 13), 6);
    }
}
