//! Card expiry dates.

use crate::error::{Error, Result};
use crate::model::time::Timestamp;

/// How far ahead an expiry year may be.
const MAX_YEARS_AHEAD: i32 = 50;

/// A card's expiry month and four-digit year. A card is valid through the end of its
/// expiry month (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expiry {
    pub month: u8,
    pub year: u16,
}

impl Expiry {
    /// Parses `month` (1–12, optionally zero-padded) and `year` (2 or 4 digits); a card
    /// whose month is already over at `now` is `CE_05`.
    pub fn parse(month: &str, year: &str, now: Timestamp) -> Result<Self> {
        let month = parse_month(month)?;
        let year = parse_year(year)?;
        let (now_year, _) = now.year_month();
        if i32::from(year) > now_year + MAX_YEARS_AHEAD {
            return Err(Error::invalid("card_exp_year", format!("must be within {MAX_YEARS_AHEAD} years from now")));
        }
        let expiry = Self { month, year };
        if expiry.is_expired_at(now) {
            let field = if i32::from(year) < now_year { "card_exp_year" } else { "card_exp_month" };
            return Err(Error::CardExpired { field: field.into() });
        }
        Ok(expiry)
    }

    /// Whether an expiry that did not come through [`Expiry::parse`] (a network token's,
    /// from its provider) is one `parse` would give: a month of 1–12, a year no more than
    /// 50 years ahead, not over at `now`.
    pub(crate) fn is_valid_at(self, now: Timestamp) -> bool {
        let (now_year, _) = now.year_month();
        (1..=12).contains(&self.month) && i32::from(self.year) <= now_year + MAX_YEARS_AHEAD && !self.is_expired_at(now)
    }

    /// Whether the card's last valid month is over at `now`.
    pub fn is_expired_at(self, now: Timestamp) -> bool {
        let (now_year, now_month) = now.year_month();
        (i32::from(self.year), u32::from(self.month)) < (now_year, now_month)
    }
}

fn parse_month(month: &str) -> Result<u8> {
    if month.trim().is_empty() {
        return Err(Error::missing("card_exp_month"));
    }
    let valid = (1..=2).contains(&month.len()) && month.bytes().all(|b| b.is_ascii_digit());
    match month.parse::<u8>() {
        Ok(m) if valid && (1..=12).contains(&m) => Ok(m),
        _ => Err(Error::invalid("card_exp_month", "must be a month number from 1 to 12")),
    }
}

fn parse_year(year: &str) -> Result<u16> {
    if year.trim().is_empty() {
        return Err(Error::missing("card_exp_year"));
    }
    if !(year.len() == 2 || year.len() == 4) || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid("card_exp_year", "must be 2 or 4 digits"));
    }
    let value: u16 = year.parse().map_err(|_| Error::invalid("card_exp_year", "must be 2 or 4 digits"))?;
    Ok(if year.len() == 2 { 2000 + value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::tests::now;

    #[test]
    fn parses() {
        assert_eq!(Expiry::parse("03", "2030", now()).unwrap(), Expiry { month: 3, year: 2030 });
        assert_eq!(Expiry::parse("3", "30", now()).unwrap(), Expiry { month: 3, year: 2030 });
        // The current month is still valid.
        assert_eq!(Expiry::parse("11", "2026", now()).unwrap(), Expiry { month: 11, year: 2026 });
    }

    #[test]
    fn rejects() {
        let cases = [
            ("13", "2030", "IR_05", "card_exp_month"),
            ("0", "2030", "IR_05", "card_exp_month"),
            ("", "2030", "IR_04", "card_exp_month"),
            ("+3", "2030", "IR_05", "card_exp_month"),
            ("03", "", "IR_04", "card_exp_year"),
            ("03", "203", "IR_05", "card_exp_year"),
            ("03", "20300", "IR_05", "card_exp_year"),
            ("03", "9999", "IR_05", "card_exp_year"),
            ("10", "2026", "CE_05", "card_exp_month"),
            ("12", "2025", "CE_05", "card_exp_year"),
        ];
        for (m, y, code, field) in cases {
            let err = Expiry::parse(m, y, now()).unwrap_err();
            assert_eq!((err.code(), err.field()), (code, Some(field)), "{m}/{y}");
        }
    }
}
