//! Card number, expiry and CVC checks on arbitrary strings: never a panic; an accepted
//! number is 12–19 digits passing Luhn, and its masked forms show at most the BIN (6, or 8
//! for 16+ digit Visa/Mastercard/Discover) and the last four digits.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use strongroom_core::card::{self, mask};
use strongroom_core::{CardInput, Timestamp};

#[derive(Arbitrary, Debug)]
struct Input {
    number: String,
    month: String,
    year: String,
    cvc: Option<String>,
    holder: Option<String>,
    nick: Option<String>,
}

fuzz_target!(|input: Input| {
    let now = Timestamp::from_millis(1_795_478_400_000);
    if let Ok((number, network)) = card::number::parse(&input.number) {
        let digits = number.expose();
        assert!((12..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
        let isin = mask::isin(&number, network);
        let allowed = if digits.len() >= 16 { 8 } else { 6 };
        assert!(isin.len() <= allowed && digits.starts_with(&isin));
        let masked = mask::masked(&number, network);
        let shown = masked.bytes().filter(u8::is_ascii_digit).count();
        assert!(shown <= isin.len() + 4 && shown < digits.len(), "masked {} of {} digits", shown, digits.len());
        assert!(masked.ends_with(number.last4()) && number.last4().len() == 4);
        if let Some(Ok(cvc)) = input.cvc.as_deref().map(|c| card::cvc::parse(c, network)) {
            assert!(matches!(cvc.expose().len(), 3 | 4));
        }
    }
    let _ = card::Expiry::parse(&input.month, &input.year, now);
    let request = CardInput {
        card_number: input.number.as_str().into(),
        card_exp_month: input.month,
        card_exp_year: input.year,
        card_holder_name: input.holder.map(|h| h.as_str().into()),
        card_cvc: input.cvc.map(|c| c.as_str().into()),
        nick_name: input.nick,
        ..Default::default()
    };
    if let Ok(checked) = card::check(&request, now) {
        assert!(!checked.expiry.is_expired_at(now));
        let debug = format!("{checked:?}");
        assert!(!debug.contains(checked.number.expose()), "Debug shows the card number");
    }
});
