//! Lowercase hexadecimal, for fingerprints, key check values and golden vectors.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends `bytes` as lowercase hex to `out` (which may be a zeroizing buffer).
pub(crate) fn encode_into(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    encode_into(&mut s, bytes);
    s
}

/// Writes `bytes` as lowercase hex into `out`, which is twice as long.
pub(crate) fn encode_to(out: &mut [u8], bytes: &[u8]) {
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
}

/// Decodes lowercase hex only (what [`encode`] writes, so the bytes give back the same
/// text) into exactly `N` bytes.
pub(crate) fn decode_lowercase<const N: usize>(hex: &[u8]) -> Option<[u8; N]> {
    if hex.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let (high, low) = (LOWERCASE_VALUE[usize::from(pair[0])], LOWERCASE_VALUE[usize::from(pair[1])]);
        invalid |= (high | low) & NOT_HEX;
        *byte = (high << 4) | (low & 15);
    }
    (invalid == 0).then_some(out)
}

const NOT_HEX: u8 = 0x80;

/// The value of each lowercase hex digit; `NOT_HEX` for every other byte.
const LOWERCASE_VALUE: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut c = 0;
    while c < 16 {
        table[DIGITS[c] as usize] = c as u8;
        c += 1;
    }
    table
};

/// Decodes hex (either case) into exactly `N` bytes.
pub(crate) fn decode<const N: usize>(hex: &str) -> Option<[u8; N]> {
    if hex.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        out[i] = (value(pair[0])? << 4) | value(pair[1])?;
    }
    Some(out)
}

fn value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(decode::<3>("00ABff"), Some([0x00, 0xab, 0xff]));
        assert_eq!(decode::<3>("00abf"), None);
        assert_eq!(decode::<1>("zz"), None);
    }

    #[test]
    fn lowercase_only_decoding_gives_back_the_same_text() {
        for byte in 0..=255u8 {
            let mut text = [0u8; 2];
            encode_to(&mut text, &[byte]);
            assert_eq!(text, encode(&[byte]).as_bytes());
            assert_eq!(decode_lowercase::<1>(&text), Some([byte]));
        }
        assert_eq!(decode_lowercase::<3>(b"00abff"), Some([0x00, 0xab, 0xff]));
        for bad in [b"00ABff".as_slice(), b"00abf", b"00abfff", b"00ab\0f", b"0g0000"] {
            assert_eq!(decode_lowercase::<3>(bad), None, "{bad:?}");
        }
    }
}
