//! The sealed-value envelope.
//!
//! ```text
//! "SR" | format 1 | alg 1 (XChaCha20-Poly1305) | key_version u32 BE | nonce 24 | ciphertext | tag 16
//! ```
//!
//! The associated data is the 8 header bytes followed by the length-prefixed (u16 BE)
//! profile id, record kind, record id and field name, then, for a value bound to clear
//! fields of its record, those fields' bytes, length-prefixed too (nothing for any other
//! value, so its associated data is what it always was). A value copied to another record,
//! field or profile, relabelled with another key version, or whose record's bound fields
//! were changed, fails to open.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::crypto::random;
use crate::crypto::secret::Key32;
use crate::error::{Error, Result};

pub const MAGIC: [u8; 2] = *b"SR";
pub const FORMAT_V1: u8 = 1;
pub const ALG_XCHACHA20_POLY1305: u8 = 1;
pub const HEADER_LEN: usize = 8;
pub const NONCE_LEN: usize = 24;
pub const TAG_LEN: usize = 16;
/// Bytes an envelope adds to its plaintext.
pub const OVERHEAD: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;

/// Where a sealed value belongs. Every part is bound into the AEAD's associated data.
#[derive(Clone, Copy, Debug)]
pub struct SealContext<'a> {
    pub profile_id: &'a str,
    /// `customer`, `payment_method`, `cvc`, …
    pub record_kind: &'static str,
    pub record_id: &'a str,
    /// The field within the record: `pii`, `pan`, `details`, …
    pub field: &'static str,
    /// Clear fields of the record the value is bound to, encoded (a card's details and its
    /// network token number, a customer's personal data, a stored CVC: `vault/*_binding.rs`);
    /// empty for every other value.
    pub bound: &'a [u8],
}

impl SealContext<'_> {
    /// Writes the associated data into `inline` when it fits (the vault's own contexts take
    /// 80–170 bytes, up to about 310 with bound fields), otherwise into `heap`, and returns it; a part longer than a u16 can
    /// count is refused before anything is written. Not secret: ids and names.
    fn aad<'b>(&self, header: &[u8], inline: &'b mut [u8; AAD_INLINE], heap: &'b mut Vec<u8>) -> Result<&'b [u8]> {
        let parts: [&[u8]; 5] = [
            self.profile_id.as_bytes(),
            self.record_kind.as_bytes(),
            self.record_id.as_bytes(),
            self.field.as_bytes(),
            self.bound,
        ];
        // The bound fields take no bytes at all when there are none.
        let parts = if self.bound.is_empty() { &parts[..4] } else { &parts[..] };
        let mut lens = [[0u8; 2]; 5];
        for (len, part) in lens.iter_mut().zip(parts) {
            *len = u16::try_from(part.len()).map_err(|_| Error::integrity("seal context"))?.to_be_bytes();
        }
        let len = header.len() + parts.iter().map(|p| p.len() + 2).sum::<usize>();
        let out: &mut [u8] = if len <= AAD_INLINE {
            &mut inline[..len]
        } else {
            heap.resize(len, 0);
            heap
        };
        let mut at = put(out, 0, header);
        for (part_len, part) in lens.iter().zip(parts) {
            at = put(out, at, part_len);
            at = put(out, at, part);
        }
        Ok(out)
    }
}

/// Associated data up to this long is built on the stack instead of the heap.
const AAD_INLINE: usize = 256;

/// Copies `bytes` into `out` at `at` (sized for them by the caller); the next offset.
fn put(out: &mut [u8], at: usize, bytes: &[u8]) -> usize {
    let end = at + bytes.len();
    out[at..end].copy_from_slice(bytes);
    end
}

fn header(key_version: u32) -> [u8; HEADER_LEN] {
    let v = key_version.to_be_bytes();
    [MAGIC[0], MAGIC[1], FORMAT_V1, ALG_XCHACHA20_POLY1305, v[0], v[1], v[2], v[3]]
}

/// Seals `plaintext` under `key` (of `key_version`) with a fresh random nonce.
pub fn seal(key: &Key32, key_version: u32, ctx: &SealContext<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    random::fill(&mut nonce)?;
    seal_with_nonce(key, key_version, ctx, &nonce, plaintext)
}

/// Seals with a caller-chosen nonce. Only tests (golden vectors) choose nonces.
pub(crate) fn seal_with_nonce(
    key: &Key32,
    key_version: u32,
    ctx: &SealContext<'_>,
    nonce: &[u8; NONCE_LEN],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let header = header(key_version);
    let (mut inline, mut heap) = ([0u8; AAD_INLINE], Vec::new());
    let aad = ctx.aad(&header, &mut inline, &mut heap)?;
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.extend_from_slice(&header);
    out.extend_from_slice(nonce);
    out.extend_from_slice(plaintext);
    let cipher = XChaCha20Poly1305::new(key.as_bytes().into());
    let body = &mut out[HEADER_LEN + NONCE_LEN..];
    let tag = cipher
        .encrypt_inout_detached(nonce.into(), aad, body.into())
        .map_err(|_| Error::integrity("value too large to seal"))?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// The key version a sealed value names, after checking its header.
pub fn key_version(sealed: &[u8]) -> Result<u32> {
    if sealed.len() < OVERHEAD || sealed[..2] != MAGIC || sealed[2] != FORMAT_V1 || sealed[3] != ALG_XCHACHA20_POLY1305
    {
        return Err(Error::integrity("sealed value header"));
    }
    Ok(u32::from_be_bytes([sealed[4], sealed[5], sealed[6], sealed[7]]))
}

/// Opens a sealed value with the key of the version its header names.
/// Any change to the value, or a context it was not sealed for, is an integrity error.
pub fn open(key: &Key32, ctx: &SealContext<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    key_version(sealed)?;
    let (header, rest) = sealed.split_at(HEADER_LEN);
    let (nonce, rest) = rest.split_at(NONCE_LEN);
    let (ciphertext, tag) = rest.split_at(rest.len() - TAG_LEN);
    let (mut inline, mut heap) = ([0u8; AAD_INLINE], Vec::new());
    let aad = ctx.aad(header, &mut inline, &mut heap)?;
    let mut plaintext = Zeroizing::new(ciphertext.to_vec());
    let nonce: &XNonce = nonce.try_into().map_err(|_| Error::integrity(ctx.record_kind))?;
    let tag: &Tag = tag.try_into().map_err(|_| Error::integrity(ctx.record_kind))?;
    let cipher = XChaCha20Poly1305::new(key.as_bytes().into());
    cipher
        .decrypt_inout_detached(nonce, aad, plaintext.as_mut_slice().into(), tag)
        .map_err(|_| Error::integrity(ctx.record_kind))?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(b: u8) -> Key32 {
        Key32::from_bytes([b; 32])
    }

    fn ctx<'a>(profile: &'a str, id: &'a str, field: &'static str) -> SealContext<'a> {
        SealContext { profile_id: profile, record_kind: "payment_method", record_id: id, field, bound: &[] }
    }

    #[test]
    fn round_trip_and_layout() {
        let c = ctx("pro_a", "pm_1", "pan");
        let sealed = seal(&key(1), 7, &c, b"4111111111111111").unwrap();
        assert_eq!(sealed.len(), 16 + OVERHEAD);
        assert_eq!(&sealed[..8], &[b'S', b'R', 1, 1, 0, 0, 0, 7]);
        assert_eq!(key_version(&sealed).unwrap(), 7);
        assert_eq!(open(&key(1), &c, &sealed).unwrap().as_slice(), b"4111111111111111");
        let again = seal(&key(1), 7, &c, b"4111111111111111").unwrap();
        assert_ne!(sealed, again, "fresh nonce every time");
    }

    #[test]
    fn short_or_foreign_input_is_an_integrity_error() {
        let c = ctx("pro_a", "pm_1", "pan");
        for bad in [&b""[..], b"SR", &[0u8; 64][..]] {
            assert_eq!(open(&key(1), &c, bad).unwrap_err().internal_kind(), Some("integrity"));
        }
    }

    /// Pins the envelope format: sealing with a fixed key and nonce gives these bytes.
    #[test]
    fn golden_envelope() {
        let c = SealContext {
            profile_id: "pro_golden",
            record_kind: "payment_method",
            record_id: "pm_0190000000007000800000000000000a",
            field: "pan",
            bound: &[],
        };
        let nonce: [u8; 24] = std::array::from_fn(|i| i as u8);
        let sealed = seal_with_nonce(&key(0x42), 1, &c, &nonce, b"4111111111111111").unwrap();
        let golden = include_str!("../../tests/golden/envelope_v1.hex").trim();
        assert_eq!(crate::crypto::hex::encode(&sealed), golden);
        assert_eq!(open(&key(0x42), &c, &sealed).unwrap().as_slice(), b"4111111111111111");
    }

    /// Around the inline size, exactly: 255 and 256 bytes stay on the stack, 257 go to the
    /// heap, and all three are the plain construction and open what they seal.
    #[test]
    fn associated_data_at_the_inline_limit() {
        for (total, inline_expected) in [(255, true), (256, true), (257, false)] {
            // 8 header bytes, four 2-byte lengths, "payment_method", "pm_1", "details": 41.
            let profile = "p".repeat(total - 41);
            let c = ctx(&profile, "pm_1", "details");
            let (mut inline, mut heap) = ([0u8; AAD_INLINE], Vec::new());
            let aad = c.aad(&header(1), &mut inline, &mut heap).unwrap().to_vec();
            assert_eq!(aad.len(), total);
            assert_eq!(heap.is_empty(), inline_expected, "{total} bytes");
            let sealed = seal(&key(4), 1, &c, b"x").unwrap();
            assert_eq!(open(&key(4), &c, &sealed).unwrap().as_slice(), b"x");
        }
    }

    /// A value bound to its record's clear fields opens only with those same fields, and
    /// never without them; one sealed without opens only without.
    #[test]
    fn bound_fields_are_part_of_the_context() {
        let plain = ctx("pro_a", "pm_1", "details");
        let bound = SealContext { bound: b"\x05cus_1\x00", ..plain };
        let sealed = seal(&key(7), 1, &bound, b"details").unwrap();
        assert_eq!(open(&key(7), &bound, &sealed).unwrap().as_slice(), b"details");
        for other in
            [plain, SealContext { bound: b"\x05cus_2\x00", ..plain }, SealContext { bound: b"\x05cus_1", ..plain }]
        {
            assert!(open(&key(7), &other, &sealed).is_err(), "{other:?}");
        }
        let unbound = seal(&key(7), 1, &plain, b"details").unwrap();
        assert!(open(&key(7), &bound, &unbound).is_err());
        assert_eq!(open(&key(7), &plain, &unbound).unwrap().as_slice(), b"details");
    }

    /// A part a u16 cannot count is refused (as a seal context integrity error); the
    /// longest it can count is taken.
    #[test]
    fn a_context_part_of_64_kib_is_refused() {
        let longest = "p".repeat(usize::from(u16::MAX));
        let sealed = seal(&key(5), 1, &ctx(&longest, "pm_1", "details"), b"x").unwrap();
        assert_eq!(open(&key(5), &ctx(&longest, "pm_1", "details"), &sealed).unwrap().as_slice(), b"x");
        let too_long = "p".repeat(usize::from(u16::MAX) + 1);
        let error = seal(&key(5), 1, &ctx(&too_long, "pm_1", "details"), b"x").unwrap_err();
        assert!(
            matches!(error, Error::Internal(crate::error::InternalError::Integrity { what: "seal context" })),
            "{error:?}"
        );
        assert!(open(&key(5), &ctx(&too_long, "pm_1", "details"), &sealed).is_err());
    }

    proptest! {
        /// The associated data, inline or on the heap, is the header and the four
        /// length-prefixed parts, then the bound fields length-prefixed when there are
        /// any, at every length around the inline size.
        #[test]
        fn associated_data_is_the_header_and_the_prefixed_parts(
            profile in proptest::collection::vec(any::<char>(), 0..300).prop_map(String::from_iter),
            id in "[a-z0-9_]{0,120}",
            bound in proptest::collection::vec(any::<u8>(), 0..100),
            version in any::<u32>(),
        ) {
            let c = SealContext { bound: &bound, ..ctx(&profile, &id, "details") };
            let mut expected = header(version).to_vec();
            let mut parts: Vec<&[u8]> = vec![profile.as_bytes(), b"payment_method", id.as_bytes(), b"details"];
            if !bound.is_empty() {
                parts.push(&bound);
            }
            for part in parts {
                expected.extend_from_slice(&(part.len() as u16).to_be_bytes());
                expected.extend_from_slice(part);
            }
            let (mut inline, mut heap) = ([0u8; AAD_INLINE], Vec::new());
            let aad = c.aad(&header(version), &mut inline, &mut heap).unwrap().to_vec();
            prop_assert_eq!(aad.as_slice(), expected.as_slice());
            prop_assert_eq!(heap.is_empty(), expected.len() <= AAD_INLINE);
            let sealed = seal(&key(3), version, &c, b"4111111111111111").unwrap();
            let opened = open(&key(3), &c, &sealed).unwrap();
            prop_assert_eq!(opened.as_slice(), b"4111111111111111");
        }

        #[test]
        fn seal_open_round_trip(
            plaintext in proptest::collection::vec(any::<u8>(), 0..2048),
            profile in "[A-Za-z0-9_-]{1,64}",
            id in "[a-z0-9_]{1,60}",
            version in any::<u32>(),
        ) {
            let c = ctx(&profile, &id, "details");
            let sealed = seal(&key(3), version, &c, &plaintext).unwrap();
            prop_assert_eq!(key_version(&sealed).unwrap(), version);
            let opened = open(&key(3), &c, &sealed).unwrap();
            prop_assert_eq!(opened.as_slice(), plaintext.as_slice());
        }

        #[test]
        fn any_single_byte_change_fails(
            plaintext in proptest::collection::vec(any::<u8>(), 0..256),
            position in any::<prop::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let c = ctx("pro_a", "pm_1", "pan");
            let mut sealed = seal(&key(4), 1, &c, &plaintext).unwrap();
            let i = position.index(sealed.len());
            sealed[i] ^= flip;
            prop_assert!(open(&key(4), &c, &sealed).is_err());
        }

        #[test]
        fn truncation_or_extension_fails(
            plaintext in proptest::collection::vec(any::<u8>(), 0..256),
            cut in 1usize..64,
            extra in proptest::collection::vec(any::<u8>(), 1..16),
        ) {
            let c = ctx("pro_a", "pm_1", "pan");
            let sealed = seal(&key(4), 1, &c, &plaintext).unwrap();
            let short = &sealed[..sealed.len().saturating_sub(cut)];
            prop_assert!(open(&key(4), &c, short).is_err());
            let mut long = sealed.clone();
            long.extend_from_slice(&extra);
            prop_assert!(open(&key(4), &c, &long).is_err());
        }

        #[test]
        fn another_context_fails(
            plaintext in proptest::collection::vec(any::<u8>(), 0..256),
            which in 0usize..6,
        ) {
            let c = ctx("pro_a", "pm_1", "pan");
            let sealed = seal(&key(5), 1, &c, &plaintext).unwrap();
            let moved = match which {
                0 => ctx("pro_b", "pm_1", "pan"),
                1 => ctx("pro_a", "pm_2", "pan"),
                2 => ctx("pro_a", "pm_1", "details"),
                3 => SealContext { record_kind: "customer", ..c },
                4 => SealContext { bound: b"cus_1", ..c },
                // Length prefixes keep ("pro_a", "pm_1") apart from ("pro_ap", "m_1").
                _ => ctx("pro_ap", "m_1", "pan"),
            };
            prop_assert!(open(&key(5), &moved, &sealed).is_err());
            prop_assert!(open(&key(6), &c, &sealed).is_err(), "another key fails");
        }
    }
}
