//! Distinct, Luhn-valid test card numbers.

/// The `serial`-th 16-digit Visa test number: `4` then the serial, then the check digit.
pub fn card_number(serial: u64) -> String {
    let body = format!("4{serial:014}");
    let mut total = 0;
    for (i, c) in body.bytes().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        total += d;
    }
    format!("{body}{}", (10 - total % 10) % 10)
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_distinct_and_valid() {
        let a = super::card_number(1);
        let b = super::card_number(2);
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
    }
}
