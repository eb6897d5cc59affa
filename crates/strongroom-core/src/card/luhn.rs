//! The Luhn (mod 10) check digit.

/// The digit (0–9) that, appended to `body` (ASCII digits), makes it pass the check.
/// Non-digit bytes count as 0.
pub fn check_digit(body: &str) -> u8 {
    let mut sum = 0u32;
    for (i, b) in body.bytes().rev().enumerate() {
        let mut d = u32::from(b.wrapping_sub(b'0') % 10);
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    ((10 - sum % 10) % 10) as u8
}

/// Whether a string of ASCII digits passes the Luhn check. Non-digits fail.
pub fn is_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_completes_numbers() {
        for body in ["411111111111111", "555555555555444", "37828224631000", "1"] {
            let full = format!("{body}{}", check_digit(body));
            assert!(is_valid(&full), "{full}");
        }
    }

    #[test]
    fn known_numbers() {
        assert!(is_valid("4111111111111111"));
        assert!(is_valid("378282246310005"));
        assert!(is_valid("5555555555554444"));
        assert!(!is_valid("4111111111111112"));
        assert!(!is_valid(""));
        assert!(!is_valid("41111111111111a1"));
    }
}
