//! Postal address with contact details (billing and shipping). Personal data: sealed at
//! rest, and hidden from `Debug` except for the country.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::model::text;

/// A billing or shipping address, after Hyperswitch's `Address` (flattened).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub line3: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    /// ISO 3166 alpha-2 or alpha-3, upper case.
    pub country: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub phone_country_code: Option<String>,
    pub email: Option<String>,
}

impl Address {
    /// Every field, by name, as text.
    pub(crate) fn texts(&self) -> [(&'static str, Option<&str>); 12] {
        [
            ("line1", self.line1.as_deref()),
            ("line2", self.line2.as_deref()),
            ("line3", self.line3.as_deref()),
            ("city", self.city.as_deref()),
            ("state", self.state.as_deref()),
            ("zip", self.zip.as_deref()),
            ("country", self.country.as_deref()),
            ("first_name", self.first_name.as_deref()),
            ("last_name", self.last_name.as_deref()),
            ("phone", self.phone.as_deref()),
            ("phone_country_code", self.phone_country_code.as_deref()),
            ("email", self.email.as_deref()),
        ]
    }

    /// Checks every present field; `prefix` names the address in errors
    /// (`billing` gives fields such as `billing.zip`).
    pub(crate) fn validate(&self, prefix: &'static str) -> Result<()> {
        let f = |name: &str| format!("{prefix}.{name}");
        text::check_opt(f("line1"), self.line1.as_deref(), 200)?;
        text::check_opt(f("line2"), self.line2.as_deref(), 200)?;
        text::check_opt(f("line3"), self.line3.as_deref(), 200)?;
        text::check_opt(f("city"), self.city.as_deref(), 100)?;
        text::check_opt(f("state"), self.state.as_deref(), 100)?;
        text::check_opt(f("zip"), self.zip.as_deref(), 16)?;
        if let Some(country) = &self.country {
            text::check_country(f("country"), country)?;
        }
        text::check_opt(f("first_name"), self.first_name.as_deref(), 100)?;
        text::check_opt(f("last_name"), self.last_name.as_deref(), 100)?;
        if let Some(phone) = &self.phone {
            text::check_phone(f("phone"), phone)?;
        }
        if let Some(code) = &self.phone_country_code {
            text::check_phone_country_code(f("phone_country_code"), code)?;
        }
        if let Some(email) = &self.email {
            text::check_email(f("email"), email)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address").field("country", &self.country).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_nested_field() {
        let a = Address { zip: Some("94122".into()), country: Some("US".into()), ..Default::default() };
        assert!(a.validate("billing").is_ok());
        let bad = Address { country: Some("United States".into()), ..Default::default() };
        assert_eq!(bad.validate("billing").unwrap_err().field(), Some("billing.country"));
    }

    #[test]
    fn debug_shows_only_the_country() {
        let a = Address { line1: Some("1 Secret Lane".into()), country: Some("US".into()), ..Default::default() };
        let shown = format!("{a:?}");
        assert!(!shown.contains("Secret"));
        assert!(shown.contains("US"));
    }
}
