//! The record codec: one format-version byte, the record in bincode 2 (standard
//! configuration), then an 8-byte checksum of both. bincode is frozen upstream and pinned
//! exactly, and golden vectors pin the bytes. The two records every retrieve reads (the
//! payment method record and its card details) are decoded by hand from the same bytes
//! (`store/wire.rs`, `store/record_reader.rs`); serde's derive stays their reference,
//! which their tests, the golden vectors and the `record_decode` fuzz target compare them
//! with. Replacing bincode is a change to these files.
//!
//! The checksum catches any change to a stored record — a flipped byte, a truncated or
//! extended value — so a damaged record is an integrity error instead of a wrong masked
//! view (the last four digits, a timestamp, a status are kept in clear so that list
//! never opens a PAN key). It is not a MAC: card data and personal data are sealed, and
//! their AEAD tags are what stop deliberate changes; the checksum guards the clear
//! metadata against corruption and against edits that do not recompute it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Largest record the decoder will materialise, as bincode counts it (see `store/wire.rs`);
/// stored records are a few hundred bytes.
pub(crate) const DECODE_LIMIT: usize = 1 << 20;

/// A type stored through the codec.
pub(crate) trait Record: Serialize + DeserializeOwned {
    /// What the record is, for integrity errors.
    const KIND: &'static str;
    /// Bumped on any change to the encoded shape; new records are written in it.
    const FORMAT: u8;
    /// The oldest format that still decodes into this type (a later format may only extend
    /// what an older one encodes, never reinterpret it).
    const OLDEST_FORMAT: u8 = Self::FORMAT;

    /// Decodes a whole body (what follows the format byte): `None` when it is malformed or
    /// bytes are left over. serde's derive by default; the payment method record and the
    /// card details, read on every retrieve, have a hand-written reader
    /// (`store/record_reader.rs`) that agrees with it.
    fn decode_body(body: &[u8]) -> Option<Self> {
        serde_body(body)
    }

    /// [`Record::decode_body`] into a box. A record with its own reader boxes inside it,
    /// so that the reader's checks move a pointer instead of the record.
    fn decode_body_boxed(body: &[u8]) -> Option<Box<Self>> {
        Self::decode_body(body).map(Box::new)
    }
}

/// A record on the heap is stored and read as the record itself (the same bytes, the
/// same decoder). Reads pass the payment method record and the card details up in boxes:
/// each is a few hundred bytes, which every layer (reader, codec, store, the id check,
/// the view) would otherwise copy on return.
impl<R: Record> Record for Box<R> {
    const KIND: &'static str = R::KIND;
    const FORMAT: u8 = R::FORMAT;
    const OLDEST_FORMAT: u8 = R::OLDEST_FORMAT;

    fn decode_body(body: &[u8]) -> Option<Self> {
        R::decode_body_boxed(body)
    }
}

/// A whole body through serde's derive and bincode, `None` when malformed or not used up.
pub(crate) fn serde_body<R: DeserializeOwned>(body: &[u8]) -> Option<R> {
    match bincode::serde::decode_from_slice::<R, _>(body, config()) {
        Ok((record, used)) if used == body.len() => Some(record),
        _ => None,
    }
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

const CHECKSUM_LEN: usize = 8;

/// A 64-bit checksum that changes whenever any single 8-byte word of the input changes
/// (each step is a bijection of the state), mixes in the length, and keeps no copy of
/// its input (records about to be sealed pass through it).
fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (bytes.len() as u64);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(PRIME);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(PRIME);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h.to_le_bytes()
}

/// `body` followed by its checksum.
#[cfg_attr(not(feature = "internals"), allow(dead_code))]
pub(crate) fn with_checksum(body: &[u8]) -> Vec<u8> {
    [body, &checksum(body)].concat()
}

pub(crate) fn encode<R: Record>(record: &R) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    out.push(R::FORMAT);
    bincode::serde::encode_into_std_write(record, &mut out, config()).map_err(|_| Error::integrity(R::KIND))?;
    let sum = checksum(&out);
    out.extend_from_slice(&sum);
    Ok(out)
}

/// Encodes a record that holds secrets (it is about to be sealed). The buffer never
/// reallocates in place: each growth copies into a fresh buffer and zeroizes the old one,
/// so no plaintext copy is left behind in freed memory.
pub(crate) fn encode_secret<R: Record>(record: &R) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = ZeroizingWriter(Zeroizing::new(Vec::with_capacity(256)));
    out.0.push(R::FORMAT);
    bincode::serde::encode_into_std_write(record, &mut out, config()).map_err(|_| Error::integrity(R::KIND))?;
    let sum = checksum(&out.0);
    std::io::Write::write_all(&mut out, &sum).map_err(|_| Error::integrity(R::KIND))?;
    Ok(out.0)
}

struct ZeroizingWriter(Zeroizing<Vec<u8>>);

impl std::io::Write for ZeroizingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let needed = self.0.len() + buf.len();
        if needed > self.0.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(self.0.capacity() * 2)));
            bigger.extend_from_slice(&self.0);
            self.0 = bigger;
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Decodes a record; a wrong checksum, an unknown format, malformed bytes or trailing
/// bytes are integrity errors, never a panic or an unbounded allocation.
pub(crate) fn decode<R: Record>(bytes: &[u8]) -> Result<R> {
    if bytes.len() < 1 + CHECKSUM_LEN {
        return Err(Error::integrity(R::KIND));
    }
    let (bytes, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
    if checksum(bytes) != sum {
        return Err(Error::integrity(R::KIND));
    }
    match bytes.split_first() {
        Some((&format, body)) if (R::OLDEST_FORMAT..=R::FORMAT).contains(&format) && body.len() <= DECODE_LIMIT => {
            R::decode_body(body).ok_or_else(|| Error::integrity(R::KIND))
        }
        _ => Err(Error::integrity(R::KIND)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Sample {
        id: String,
        last4: String,
        at: i64,
        sealed: Vec<u8>,
    }

    impl Record for Sample {
        const KIND: &'static str = "sample";
        const FORMAT: u8 = 1;
    }

    fn sample() -> Sample {
        Sample { id: "pm_0123".into(), last4: "4242".into(), at: 1_795_478_400_000, sealed: vec![7; 40] }
    }

    #[test]
    fn every_flipped_byte_truncation_and_extension_is_an_integrity_error() {
        let bytes = encode(&sample()).unwrap();
        assert_eq!(decode::<Sample>(&bytes).unwrap(), sample());
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut changed = bytes.clone();
                changed[i] ^= 1 << bit;
                assert!(decode::<Sample>(&changed).is_err(), "flip of bit {bit} at {i} went unnoticed");
            }
        }
        for len in 0..bytes.len() {
            assert!(decode::<Sample>(&bytes[..len]).is_err(), "truncation to {len} went unnoticed");
        }
        for extra in [0u8, 1, 0xff] {
            let mut longer = bytes.clone();
            longer.push(extra);
            assert!(decode::<Sample>(&longer).is_err());
        }
    }

    #[test]
    fn secret_encoding_matches_plain_encoding() {
        assert_eq!(encode_secret(&sample()).unwrap().as_slice(), encode(&sample()).unwrap().as_slice());
    }

    proptest! {
        #[test]
        fn round_trip_and_any_byte_change_is_caught(
            id in ".{0,40}", last4 in "[0-9]{4}", at in any::<i64>(), sealed in proptest::collection::vec(any::<u8>(), 0..300),
            pos in any::<usize>(), delta in 1u8..=255,
        ) {
            let record = Sample { id, last4, at, sealed };
            let bytes = encode(&record).unwrap();
            prop_assert_eq!(decode::<Sample>(&bytes).unwrap(), record);
            let mut changed = bytes.clone();
            let i = pos % changed.len();
            changed[i] ^= delta;
            prop_assert!(decode::<Sample>(&changed).is_err());
        }

        /// Records mark their byte-string fields `serde_bytes` (one read and one write per
        /// field instead of one per byte). That must not change a stored byte: the encoding
        /// equals the one of a plain sequence of `u8` at every length, including those whose
        /// length prefix takes 3 or 5 bytes, and either decodes as the other.
        #[test]
        fn byte_string_fields_encode_as_a_sequence_of_u8(
            bytes in proptest::collection::vec(any::<u8>(), 0..300), long in 250usize..70_000, absent in any::<bool>(),
        ) {
            for bytes in [bytes, vec![0x5a; long]] {
                let pii = (!absent).then(|| bytes.clone());
                let fast = encode(&AsBytes { sealed: bytes.clone(), pii: pii.clone() }).unwrap();
                let plain = encode(&AsSequence { sealed: bytes, pii }).unwrap();
                prop_assert_eq!(&fast, &plain);
                prop_assert_eq!(decode::<AsSequence>(&fast).unwrap(), decode::<AsSequence>(&plain).unwrap());
                let back = decode::<AsBytes>(&plain).unwrap();
                prop_assert_eq!(encode(&back).unwrap(), plain);
            }
        }
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct AsBytes {
        #[serde(with = "serde_bytes")]
        sealed: Vec<u8>,
        #[serde(with = "serde_bytes")]
        pii: Option<Vec<u8>>,
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct AsSequence {
        sealed: Vec<u8>,
        pii: Option<Vec<u8>>,
    }

    impl Record for AsBytes {
        const KIND: &'static str = "bytes";
        const FORMAT: u8 = 1;
    }

    impl Record for AsSequence {
        const KIND: &'static str = "sequence";
        const FORMAT: u8 = 1;
    }
}
