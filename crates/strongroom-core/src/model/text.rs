//! Shape rules for free-text fields. Errors name the field and the rule, never the value.

use crate::error::{Error, Field, Result};

/// Checks a text field: not blank, at most `max_chars` characters, no control characters.
/// Oversized input is rejected by byte length before any per-character work.
pub(crate) fn check(field: impl Into<Field>, value: &str, max_chars: usize) -> Result<()> {
    let field = field.into();
    if value.len() > max_chars.saturating_mul(4) || value.chars().count() > max_chars {
        return Err(Error::invalid(field, format!("must be at most {max_chars} characters")));
    }
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be blank"));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// Checks an optional text field when present.
pub(crate) fn check_opt(field: impl Into<Field>, value: Option<&str>, max_chars: usize) -> Result<()> {
    match value {
        Some(v) => check(field, v, max_chars),
        None => Ok(()),
    }
}

/// A token made of `[A-Za-z0-9_-]`, 1 to `max` characters (profile and merchant ids, …).
pub(crate) fn check_token(field: impl Into<Field>, value: &str, max: usize) -> Result<()> {
    let field = field.into();
    if value.is_empty() {
        return Err(Error::missing(field));
    }
    if value.len() > max {
        return Err(Error::invalid(field, format!("must be at most {max} characters")));
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(Error::invalid(field, "may contain only letters, digits, '_' and '-'"));
    }
    Ok(())
}

/// A plausible email address: `local@domain.tld`, at most 254 characters, no spaces.
pub(crate) fn check_email(field: impl Into<Field>, value: &str) -> Result<()> {
    let field = field.into();
    check(field.clone(), value, 254)?;
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if valid { Ok(()) } else { Err(Error::invalid(field, "is not an email address")) }
}

/// A phone number: 1–32 characters of digits, spaces, `-`, `(`, `)` and `.`, with a digit.
pub(crate) fn check_phone(field: impl Into<Field>, value: &str) -> Result<()> {
    let field = field.into();
    check(field.clone(), value, 32)?;
    let allowed = value.chars().all(|c| c.is_ascii_digit() || " -().".contains(c));
    if allowed && value.chars().any(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::invalid(field, "must be digits, optionally with spaces, '-', '(', ')' or '.'"))
    }
}

/// A phone country code: `+` and 1–4 digits.
pub(crate) fn check_phone_country_code(field: impl Into<Field>, value: &str) -> Result<()> {
    let field = field.into();
    let ok = value.len() >= 2
        && value.len() <= 5
        && value.starts_with('+')
        && value[1..].bytes().all(|b| b.is_ascii_digit());
    if ok { Ok(()) } else { Err(Error::invalid(field, "must be '+' followed by 1 to 4 digits")) }
}

/// An ISO 3166 country code: 2 (alpha-2) or 3 (alpha-3) upper-case letters.
pub(crate) fn check_country(field: impl Into<Field>, value: &str) -> Result<()> {
    let field = field.into();
    let ok = (value.len() == 2 || value.len() == 3) && value.bytes().all(|b| b.is_ascii_uppercase());
    if ok { Ok(()) } else { Err(Error::invalid(field, "must be an ISO 3166 country code (e.g. US or USA)")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert!(check("name", "Joseph Doe", 10).is_ok());
        assert_eq!(check("name", "Joseph Doe!", 10).unwrap_err().code(), "IR_05");
        assert_eq!(check("name", "  ", 10).unwrap_err().code(), "IR_05");
        assert_eq!(check("name", "a\u{0}b", 10).unwrap_err().code(), "IR_05");
        assert_eq!(check("name", "a\nb", 10).unwrap_err().code(), "IR_05");
        let huge = "x".repeat(10 * 1024 * 1024);
        assert!(check("name", &huge, 256).is_err());
        // Multi-byte characters count as one each.
        assert!(check("name", "Zoë Ångström", 12).is_ok());
    }

    #[test]
    fn email_phone_country() {
        for good in ["guest@example.com", "a.b+c@mail.example.co.uk", "x@my-host.example", "zoë@bücher.de"] {
            assert!(check_email("email", good).is_ok(), "{good}");
        }
        for bad in [
            "guest",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@@example.com",
            "a@example.com.",
            "a@b..c",
            "a@-.x",
            "a@host-.example",
            "a@-host.example",
        ] {
            assert!(check_email("email", bad).is_err(), "{bad}");
        }
        assert!(check_phone("phone", "(555) 010-9999").is_ok());
        assert!(check_phone("phone", "call me").is_err());
        assert!(check_phone_country_code("phone_country_code", "+1").is_ok());
        assert!(check_phone_country_code("phone_country_code", "1").is_err());
        assert!(check_phone_country_code("phone_country_code", "+12345").is_err());
        assert!(check_country("country", "US").is_ok());
        assert!(check_country("country", "us").is_err());
    }

    #[test]
    fn tokens() {
        assert!(check_token("profile_id", "pro_1-x", 64).is_ok());
        assert_eq!(check_token("profile_id", "", 64).unwrap_err().code(), "IR_04");
        assert!(check_token("profile_id", "a b", 64).is_err());
        assert!(check_token("profile_id", &"a".repeat(65), 64).is_err());
    }
}
