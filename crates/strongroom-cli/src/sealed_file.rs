//! Sealed export files: card data encrypted to a recipient's public key with HPKE
//! (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305, base mode).
//!
//! Layout:
//!
//! ```text
//! MAGIC ("strongroom-sealed-export/1\n", 27 bytes)
//! encapsulated key (32 bytes)
//! chunk*: ciphertext length (u32 big-endian) || HPKE ciphertext of up to 64 KiB
//! ```
//!
//! The HPKE `info` is MAGIC, so a file cannot be opened as anything else. Each chunk is one
//! HPKE message; the context's sequence number binds its position, and its associated data
//! is one byte, 1 on the last chunk and 0 before, so a file cut at a chunk boundary does not
//! open. A chunk's plaintext is whole JSON lines or part of one; it never reaches the disk.
//!
//! Keys are text: the recipient `strongroom-recipient-1:<64 hex digits>` (public, share it
//! with whoever exports to you), the identity `STRONGROOM-IDENTITY-1:<64 hex digits>`
//! (secret, a file of mode 0600 that never leaves the importing side).

use std::io::Write;

use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use zeroize::Zeroizing;

type Kem = X25519HkdfSha256;
type PublicKey = <Kem as hpke::Kem>::PublicKey;
type PrivateKey = <Kem as hpke::Kem>::PrivateKey;
type EncappedKey = <Kem as hpke::Kem>::EncappedKey;

pub const MAGIC: &[u8] = b"strongroom-sealed-export/1\n";
const ENCAPPED_LEN: usize = 32;
const TAG_LEN: usize = 16;
/// Plaintext bytes per chunk.
pub const CHUNK: usize = 64 * 1024;
const RECIPIENT_PREFIX: &str = "strongroom-recipient-1:";
const IDENTITY_PREFIX: &str = "STRONGROOM-IDENTITY-1:";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealedFileError {
    #[error("not a sealed export (it does not start with {:?})", String::from_utf8_lossy(MAGIC).trim_end())]
    NotSealed,
    #[error("the sealed export is cut short")]
    Truncated,
    #[error("the sealed export does not open: wrong identity, or the file was changed")]
    DoesNotOpen,
    #[error("data follows the last chunk of the sealed export")]
    TrailingData,
    #[error("a recipient is `{RECIPIENT_PREFIX}` and 64 hex digits")]
    BadRecipient,
    #[error("an identity file holds `{IDENTITY_PREFIX}` and 64 hex digits")]
    BadIdentity,
    #[error("encryption failed")]
    Seal,
}

/// A recipient's public key.
#[derive(Clone)]
pub struct Recipient(PublicKey);

/// The secret half: opens what was sealed to its recipient.
pub struct Identity(PrivateKey);

impl Recipient {
    pub fn parse(text: &str) -> Result<Self, SealedFileError> {
        let hex = text.trim().strip_prefix(RECIPIENT_PREFIX).ok_or(SealedFileError::BadRecipient)?;
        let bytes = from_hex(hex).ok_or(SealedFileError::BadRecipient)?;
        PublicKey::from_bytes(&bytes).map(Self).map_err(|_| SealedFileError::BadRecipient)
    }

    pub fn to_text(&self) -> String {
        format!("{RECIPIENT_PREFIX}{}", to_hex(&self.0.to_bytes()).as_str())
    }
}

impl Identity {
    pub fn generate() -> Self {
        Self(Kem::gen_keypair().0)
    }

    pub fn parse(text: &str) -> Result<Self, SealedFileError> {
        let hex = text.trim().strip_prefix(IDENTITY_PREFIX).ok_or(SealedFileError::BadIdentity)?;
        let bytes = Zeroizing::new(from_hex(hex).ok_or(SealedFileError::BadIdentity)?);
        PrivateKey::from_bytes(&bytes).map(Self).map_err(|_| SealedFileError::BadIdentity)
    }

    pub fn to_text(&self) -> Zeroizing<String> {
        let hex = to_hex(&self.0.to_bytes());
        Zeroizing::new(format!("{IDENTITY_PREFIX}{}\n", hex.as_str()))
    }

    pub fn recipient(&self) -> Recipient {
        Recipient(Kem::sk_to_pk(&self.0))
    }
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Identity(***)")
    }
}

fn to_hex(bytes: &[u8]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(bytes.len() * 2));
    for b in bytes {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let digit = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
    text.as_bytes().chunks(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

/// Writes a sealed export: plaintext in, chunks out. Call [`SealedWriter::finish`]; a
/// writer dropped without it leaves a file that does not open (no final chunk).
pub struct SealedWriter<W: Write> {
    out: W,
    context: hpke::aead::AeadCtxS<ChaCha20Poly1305, HkdfSha256, Kem>,
    pending: Zeroizing<Vec<u8>>,
}

impl<W: Write> SealedWriter<W> {
    pub fn new(mut out: W, recipient: &Recipient) -> std::io::Result<Self> {
        let (encapped, context) =
            hpke::setup_sender::<ChaCha20Poly1305, HkdfSha256, Kem>(&OpModeS::Base, &recipient.0, MAGIC)
                .map_err(|_| std::io::Error::other(SealedFileError::Seal))?;
        out.write_all(MAGIC)?;
        out.write_all(&encapped.to_bytes())?;
        Ok(Self { out, context, pending: Zeroizing::new(Vec::with_capacity(CHUNK + 1)) })
    }

    fn seal_chunk(&mut self, last: bool) -> std::io::Result<()> {
        let take = self.pending.len().min(CHUNK);
        let sealed = self
            .context
            .seal(&self.pending[..take], &[u8::from(last)])
            .map_err(|_| std::io::Error::other(SealedFileError::Seal))?;
        let len = u32::try_from(sealed.len()).map_err(|_| std::io::Error::other(SealedFileError::Seal))?;
        self.out.write_all(&len.to_be_bytes())?;
        self.out.write_all(&sealed)?;
        self.pending.drain(..take);
        Ok(())
    }

    /// Seals what is left as the last chunk and flushes; returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.seal_chunk(true)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: Write> Write for SealedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        extend_zeroizing(&mut self.pending, buf);
        // A full chunk is sealed only once more data follows it: the last chunk is sealed
        // by `finish`, marked as the last.
        while self.pending.len() > CHUNK {
            self.seal_chunk(false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Appends `data` to `buf` without leaving a copy behind: when `buf` must grow, its bytes
/// move to a larger buffer and the old one is zeroized as it drops (`Vec`'s own growth
/// would free it as it is).
pub fn extend_zeroizing(buf: &mut Zeroizing<Vec<u8>>, data: &[u8]) {
    let needed = buf.len() + data.len();
    if needed > buf.capacity() {
        let mut larger = Zeroizing::new(Vec::with_capacity(needed.max(buf.capacity() * 2)));
        larger.extend_from_slice(buf);
        std::mem::swap(buf, &mut larger);
    }
    buf.extend_from_slice(data);
}

/// Reads `input` to its end into a buffer that leaves no copy behind as it grows.
pub fn read_to_end_zeroizing(mut input: impl std::io::Read) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let mut all = Zeroizing::new(Vec::new());
    let mut chunk = Zeroizing::new([0u8; 8192]);
    loop {
        match input.read(chunk.as_mut_slice()) {
            Ok(0) => return Ok(all),
            Ok(n) => extend_zeroizing(&mut all, &chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Whether `bytes` begin like a sealed export.
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Opens a whole sealed export held in memory.
pub fn open(sealed: &[u8], identity: &Identity) -> Result<Zeroizing<Vec<u8>>, SealedFileError> {
    let rest = sealed.strip_prefix(MAGIC).ok_or(SealedFileError::NotSealed)?;
    let (encapped, mut rest) = rest.split_at_checked(ENCAPPED_LEN).ok_or(SealedFileError::Truncated)?;
    let encapped = EncappedKey::from_bytes(encapped).map_err(|_| SealedFileError::DoesNotOpen)?;
    let mut context =
        hpke::setup_receiver::<ChaCha20Poly1305, HkdfSha256, Kem>(&OpModeR::Base, &identity.0, &encapped, MAGIC)
            .map_err(|_| SealedFileError::DoesNotOpen)?;
    let mut plain = Zeroizing::new(Vec::new());
    loop {
        let (len, after) = rest.split_first_chunk::<4>().ok_or(SealedFileError::Truncated)?;
        let len = usize::try_from(u32::from_be_bytes(*len)).map_err(|_| SealedFileError::DoesNotOpen)?;
        if !(TAG_LEN..=CHUNK + TAG_LEN).contains(&len) {
            return Err(SealedFileError::DoesNotOpen);
        }
        let (chunk, after) = after.split_at_checked(len).ok_or(SealedFileError::Truncated)?;
        rest = after;
        // Try the chunk as the last one first when nothing follows it, else as a middle one.
        let last = rest.is_empty();
        match context.open(chunk, &[u8::from(last)]) {
            Ok(opened) => {
                let opened = Zeroizing::new(opened);
                extend_zeroizing(&mut plain, &opened);
            }
            Err(_) if last => {
                // Either damaged, or a middle chunk with its successors cut off.
                return Err(if context.open(chunk, &[0]).map(Zeroizing::new).is_ok() {
                    SealedFileError::Truncated
                } else {
                    SealedFileError::DoesNotOpen
                });
            }
            Err(_) => {
                return Err(if context.open(chunk, &[1]).map(Zeroizing::new).is_ok() {
                    SealedFileError::TrailingData
                } else {
                    SealedFileError::DoesNotOpen
                });
            }
        }
        if last {
            return Ok(plain);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn zeroizing_buffers_keep_every_byte_in_order() {
        let mut buf = Zeroizing::new(Vec::with_capacity(3));
        let mut expected = Vec::new();
        for n in 0..300u32 {
            let piece: Vec<u8> = (0..n % 17).map(|i| (n + i) as u8).collect();
            extend_zeroizing(&mut buf, &piece);
            expected.extend_from_slice(&piece);
        }
        assert_eq!(buf.as_slice(), expected.as_slice());
        let read = read_to_end_zeroizing(std::io::Cursor::new(expected.repeat(20))).unwrap();
        assert_eq!(read.as_slice(), expected.repeat(20).as_slice());
    }

    fn seal(plain: &[u8], recipient: &Recipient) -> Vec<u8> {
        let mut writer = SealedWriter::new(Vec::new(), recipient).unwrap();
        // Uneven writes, to cross chunk boundaries mid-write.
        for piece in plain.chunks(7919) {
            writer.write_all(piece).unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn keys_round_trip_as_text() {
        let identity = Identity::generate();
        let again = Identity::parse(&identity.to_text()).unwrap();
        assert_eq!(again.recipient().to_text(), identity.recipient().to_text());
        let recipient = Recipient::parse(&identity.recipient().to_text()).unwrap();
        assert_eq!(recipient.to_text(), identity.recipient().to_text());
        assert!(identity.recipient().to_text().starts_with(RECIPIENT_PREFIX));
        assert_eq!(format!("{identity:?}"), "Identity(***)");
        for bad in ["", "strongroom-recipient-1:00", "age1xyz", &identity.to_text()] {
            assert_eq!(Recipient::parse(bad).err(), Some(SealedFileError::BadRecipient), "{bad}");
        }
        for bad in ["", "STRONGROOM-IDENTITY-1:zz", &identity.recipient().to_text()] {
            assert_eq!(Identity::parse(bad).err(), Some(SealedFileError::BadIdentity), "{bad}");
        }
    }

    #[test]
    fn multi_chunk_round_trip_and_cuts() {
        let identity = Identity::generate();
        let plain: Vec<u8> = (0..(CHUNK * 2 + 100)).map(|i| (i % 251) as u8).collect();
        let sealed = seal(&plain, &identity.recipient());
        assert_eq!(&open(&sealed, &identity).unwrap()[..], &plain[..]);
        // Cut after the first and after the second chunk: both refused as truncated.
        let first_end = MAGIC.len() + ENCAPPED_LEN + 4 + CHUNK + TAG_LEN;
        let second_end = first_end + 4 + CHUNK + TAG_LEN;
        for cut in [first_end, second_end] {
            assert_eq!(open(&sealed[..cut], &identity).err(), Some(SealedFileError::Truncated));
        }
        assert_eq!(open(&sealed[..sealed.len() - 1], &identity).err(), Some(SealedFileError::Truncated));
        let mut longer = sealed.clone();
        longer.extend_from_slice(&sealed[MAGIC.len() + ENCAPPED_LEN..]);
        assert!(open(&longer, &identity).is_err());
        assert_eq!(open(b"{\"customer_id\":1}\n", &identity).err(), Some(SealedFileError::NotSealed));
    }

    #[test]
    fn another_identity_cannot_open() {
        let sealed = seal(b"4111111111111111", &Identity::generate().recipient());
        assert_eq!(open(&sealed, &Identity::generate()).err(), Some(SealedFileError::DoesNotOpen));
        assert!(!sealed.windows(16).any(|w| w == b"4111111111111111"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn seal_open_round_trip(plain in proptest::collection::vec(any::<u8>(), 0..200_000)) {
            let identity = Identity::generate();
            let sealed = seal(&plain, &identity.recipient());
            prop_assert_eq!(&open(&sealed, &identity).unwrap()[..], &plain[..]);
        }

        #[test]
        fn any_changed_byte_is_refused(plain in proptest::collection::vec(any::<u8>(), 0..3000), at in any::<prop::sample::Index>(), flip in 1u8..) {
            let identity = Identity::generate();
            let mut sealed = seal(&plain, &identity.recipient());
            let i = at.index(sealed.len());
            sealed[i] ^= flip;
            prop_assert!(open(&sealed, &identity).is_err());
        }
    }
}
