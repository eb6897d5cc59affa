//! The Luhn (mod 10) check digit.

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
    fn known_numbers() {
        assert!(is_valid("4111111111111111"));
        assert!(is_valid("378282246310005"));
        assert!(is_valid("5555555555554444"));
        assert!(!is_valid("4111111111111112"));
        assert!(!is_valid(""));
        assert!(!is_valid("41111111111111a1"));
    }
}
