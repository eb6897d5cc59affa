//! A reader of the bytes bincode 2 writes in its standard configuration, for the records
//! decoded on every read (`store/record_reader.rs`). serde's derive stays the definition of
//! the format: records are encoded through it, and the tests here and in `record_reader`
//! compare every read with bincode's own decoding of the same bytes.
//!
//! The rules read here: integers wider than a byte are varints (below 251 one byte, else a
//! marker — 251, 252, 253 — and a little-endian `u16`, `u32` or `u64`), signed ones
//! zig-zagged first; a `u8` is its byte; `bool` and an `Option`'s tag are a byte that must
//! be 0 or 1; an enum is its variant number as a `u32`; a string or byte string is its
//! length as a `u64` and its bytes; a fixed-size array is its elements with no length.
//!
//! bincode's decode limit is kept the way bincode keeps it: not as bytes read but as the
//! sum of what each value claims before it is read — a `u8`, `bool` or tag 1, a `u16` 2, a
//! `u32` or variant number 4, a `u64`, `i64` or length 8, a string or byte string also its
//! length, each element of an array 1 — so a body bincode refuses for going over the limit
//! is refused here too, and nothing is allocated past it.
//!
//! Every method returns `None` on malformed or truncated input or past the limit. Lengths
//! are read as 64-bit; the vault is built for 64-bit targets only.

const U16_MARKER: u8 = 251;
const U32_MARKER: u8 = 252;
const U64_MARKER: u8 = 253;

/// Reads values off the front of a byte slice.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    /// What the values read so far claim, as bincode counts against its limit.
    claimed: usize,
    limit: usize,
}

/// Reads one value off `bytes` that must use all of them, refusing past `limit` as
/// [`Reader::new`] does: how the codec reads a record's body.
pub(crate) fn read_whole<'a, T>(
    bytes: &'a [u8],
    limit: usize,
    read: impl FnOnce(&mut Reader<'a>) -> Option<T>,
) -> Option<T> {
    let mut reader = Reader::new(bytes, limit);
    read(&mut reader).filter(|_| reader.is_empty())
}

impl<'a> Reader<'a> {
    /// A reader of `bytes` that refuses, as bincode's `with_limit::<limit>` does, once the
    /// values read claim more than `limit`.
    pub(crate) fn new(bytes: &'a [u8], limit: usize) -> Self {
        Self { rest: bytes, claimed: 0, limit }
    }

    /// Whether every byte has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn claim(&mut self, n: usize) -> Option<()> {
        self.claimed = self.claimed.checked_add(n)?;
        (self.claimed <= self.limit).then_some(())
    }

    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        if len > self.rest.len() {
            return None;
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(taken)
    }

    fn take_array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    /// `len` bytes written one by one as `u8` elements (a tuple or an array of bytes).
    pub(crate) fn byte_elements(&mut self, len: usize) -> Option<&'a [u8]> {
        self.claim(len)?;
        self.take(len)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.byte_elements(N)?.try_into().ok()
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.claim(1)?;
        let (&first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    pub(crate) fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// An `Option`'s tag: whether a value follows.
    pub(crate) fn is_some(&mut self) -> Option<bool> {
        self.bool()
    }

    /// An unsigned varint of an integer `width` bytes wide: claims `width`, and accepts
    /// only the markers of widths up to it (bincode refuses a `u16` written with a `u32`
    /// marker, whatever its value).
    fn varint(&mut self, width: usize) -> Option<u64> {
        self.claim(width)?;
        let (&marker, rest) = self.rest.split_first()?;
        self.rest = rest;
        match marker {
            small if small < U16_MARKER => Some(u64::from(small)),
            U16_MARKER if width >= 2 => Some(u64::from(u16::from_le_bytes(self.take_array()?))),
            U32_MARKER if width >= 4 => Some(u64::from(u32::from_le_bytes(self.take_array()?))),
            U64_MARKER if width >= 8 => Some(u64::from_le_bytes(self.take_array()?)),
            _ => None,
        }
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.varint(2)?.try_into().ok()
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.varint(4)?.try_into().ok()
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.varint(8)
    }

    pub(crate) fn i64(&mut self) -> Option<i64> {
        let zigzag = self.u64()?;
        // Zig-zag: 0, -1, 1, -2, … as 0, 1, 2, 3, …; both halves fit an i64.
        let magnitude = i64::try_from(zigzag >> 1).ok()?;
        Some(if zigzag & 1 == 0 { magnitude } else { !magnitude })
    }

    /// An enum's variant number.
    pub(crate) fn variant(&mut self) -> Option<u32> {
        self.u32()
    }

    /// A length prefix.
    pub(crate) fn len(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }

    pub(crate) fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.len()?;
        self.byte_elements(len)
    }

    pub(crate) fn str(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    pub(crate) fn string(&mut self) -> Option<String> {
        self.str().map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A small limit, so that the tests reach it.
    const LIMIT: usize = 64;

    fn bincode_bytes<T: serde::Serialize>(value: &T) -> Vec<u8> {
        bincode::serde::encode_to_vec(value, bincode::config::standard()).unwrap()
    }

    fn bincode_read<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
        match bincode::serde::decode_from_slice::<T, _>(bytes, bincode::config::standard().with_limit::<LIMIT>()) {
            Ok((value, used)) if used == bytes.len() => Some(value),
            _ => None,
        }
    }

    /// Reads one value and requires the input used up, as the codec does.
    fn whole<'a, T>(bytes: &'a [u8], read: impl FnOnce(&mut Reader<'a>) -> Option<T>) -> Option<T> {
        read_whole(bytes, LIMIT, read)
    }

    /// Strings and byte strings at every length around the limit: a length claims 8, its
    /// bytes their number, so 56 bytes are the most that fit a limit of 64.
    #[test]
    fn the_limit_is_counted_as_bincode_counts_it() {
        for len in 50..70 {
            let text = "x".repeat(len);
            let bytes = bincode_bytes(&text);
            assert_eq!(whole(&bytes, Reader::string), bincode_read::<String>(&bytes), "string of {len}");
            assert_eq!(whole(&bytes, Reader::string).is_some(), len <= LIMIT - 8, "string of {len}");
            let tuple = bincode_bytes(&(vec![0u8; len], 7u64));
            let read = |r: &mut Reader| Some((r.bytes()?.to_vec(), r.u64()?));
            assert_eq!(
                whole(&tuple, read),
                bincode_read::<(serde_bytes::ByteBuf, u64)>(&tuple).map(|(b, n)| (b.into_vec(), n))
            );
        }
        // Eight one-byte u64s claim 64; a ninth goes over, though it is a single byte.
        let nine = [1u8; 9];
        let read_all = |r: &mut Reader| (0..9).map(|_| r.u64()).collect::<Option<Vec<_>>>();
        assert_eq!(whole(&nine, read_all), None);
        assert_eq!(bincode_read::<[u64; 9]>(&nine), None);
        assert_eq!(whole(&nine[..8], |r| (0..8).map(|_| r.u64()).collect::<Option<Vec<_>>>()), Some(vec![1; 8]));
    }

    #[test]
    fn varint_edges_read_as_bincode_writes_them() {
        for n in [
            0u64,
            1,
            250,
            251,
            252,
            253,
            255,
            256,
            65_535,
            65_536,
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            u64::MAX,
        ] {
            assert_eq!(whole(&bincode_bytes(&n), Reader::u64), Some(n), "u64 {n}");
            if let Ok(n) = u32::try_from(n) {
                assert_eq!(whole(&bincode_bytes(&n), Reader::u32), Some(n), "u32 {n}");
            }
            if let Ok(n) = u16::try_from(n) {
                assert_eq!(whole(&bincode_bytes(&n), Reader::u16), Some(n), "u16 {n}");
            }
        }
        for n in [0i64, -1, 1, i64::MIN, i64::MAX, -126, 125, -32_768, 1_795_478_400_000] {
            assert_eq!(whole(&bincode_bytes(&n), Reader::i64), Some(n), "i64 {n}");
        }
    }

    #[test]
    fn markers_a_type_cannot_hold_are_refused_like_bincode_refuses_them() {
        for bytes in [vec![U32_MARKER, 1, 0, 0, 0], vec![U64_MARKER, 1, 0, 0, 0, 0, 0, 0, 0], vec![254], vec![255]] {
            assert_eq!(whole(&bytes, Reader::u16), None);
            assert_eq!(bincode_read::<u16>(&bytes), None);
        }
        for bytes in [vec![U64_MARKER, 1, 0, 0, 0, 0, 0, 0, 0], vec![254], vec![255]] {
            assert_eq!(whole(&bytes, Reader::u32), None);
            assert_eq!(bincode_read::<u32>(&bytes), None);
        }
        for bytes in [vec![254], vec![255], vec![U16_MARKER, 1], vec![]] {
            assert_eq!(whole(&bytes, Reader::u64), None);
            assert_eq!(bincode_read::<u64>(&bytes), None);
        }
    }

    #[test]
    fn a_length_longer_than_the_input_is_refused_before_anything_is_taken() {
        let mut bytes = bincode_bytes(&u64::MAX);
        bytes.push(b'x');
        assert_eq!(whole(&bytes, Reader::bytes), None);
        assert_eq!(whole(&[3, b'a', b'b'], Reader::str), None);
    }

    proptest! {
        /// Whatever bytes come, each reader agrees with bincode: the same value, or both refuse.
        #[test]
        fn every_reader_agrees_with_bincode_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            prop_assert_eq!(whole(&bytes, Reader::u8), bincode_read::<u8>(&bytes));
            prop_assert_eq!(whole(&bytes, Reader::bool), bincode_read::<bool>(&bytes));
            prop_assert_eq!(whole(&bytes, Reader::u16), bincode_read::<u16>(&bytes));
            prop_assert_eq!(whole(&bytes, Reader::u32), bincode_read::<u32>(&bytes));
            prop_assert_eq!(whole(&bytes, Reader::u64), bincode_read::<u64>(&bytes));
            prop_assert_eq!(whole(&bytes, Reader::i64), bincode_read::<i64>(&bytes));
            prop_assert_eq!(whole(&bytes, Reader::string), bincode_read::<String>(&bytes));
            prop_assert_eq!(whole(&bytes, |r| r.bytes().map(<[u8]>::to_vec)), bincode_read::<serde_bytes::ByteBuf>(&bytes).map(|b| b.into_vec()));
                prop_assert_eq!(whole(&bytes, Reader::array::<4>), bincode_read::<[u8; 4]>(&bytes));
        }

        #[test]
        fn every_value_bincode_writes_reads_back(n in any::<u64>(), i in any::<i64>(), text in ".{0,12}", flag in any::<bool>()) {
            prop_assert_eq!(whole(&bincode_bytes(&n), Reader::u64), Some(n));
            prop_assert_eq!(whole(&bincode_bytes(&(n as u32)), Reader::u32), Some(n as u32));
            prop_assert_eq!(whole(&bincode_bytes(&(n as u16)), Reader::u16), Some(n as u16));
            prop_assert_eq!(whole(&bincode_bytes(&i), Reader::i64), Some(i));
            prop_assert_eq!(whole(&bincode_bytes(&text), Reader::string), Some(text.clone()));
            prop_assert_eq!(whole(&bincode_bytes(&flag), Reader::bool), Some(flag));
            let option = flag.then_some(n);
            let read_option = |r: &mut Reader| if r.is_some()? { r.u64().map(Some) } else { Some(None) };
            prop_assert_eq!(whole(&bincode_bytes(&option), read_option), Some(option));
        }
    }
}
