//! The record codec: one format-version byte, then the record in bincode 2 (standard
//! configuration). bincode is frozen upstream and pinned exactly; it is used nowhere
//! else, and golden vectors pin the bytes, so replacing it is a change to this file.

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Largest record the decoder will materialise; stored records are a few hundred bytes.
const DECODE_LIMIT: usize = 1 << 20;

/// A type stored through the codec.
pub(crate) trait Record: Serialize + DeserializeOwned {
    /// What the record is, for integrity errors.
    const KIND: &'static str;
    /// Bumped on any change to the encoded shape.
    const FORMAT: u8;
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<DECODE_LIMIT>()
}

pub(crate) fn encode<R: Record>(record: &R) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(128);
    out.push(R::FORMAT);
    bincode::serde::encode_into_std_write(record, &mut out, config()).map_err(|_| Error::integrity(R::KIND))?;
    Ok(out)
}

/// Encodes a record that holds secrets (it is about to be sealed). The buffer never
/// reallocates in place: each growth copies into a fresh buffer and zeroizes the old one,
/// so no plaintext copy is left behind in freed memory.
pub(crate) fn encode_secret<R: Record>(record: &R) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = ZeroizingWriter(Zeroizing::new(Vec::with_capacity(256)));
    out.0.push(R::FORMAT);
    bincode::serde::encode_into_std_write(record, &mut out, config()).map_err(|_| Error::integrity(R::KIND))?;
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

/// Decodes a record; an unknown format, malformed bytes or trailing bytes are integrity
/// errors, never a panic or an unbounded allocation.
pub(crate) fn decode<R: Record>(bytes: &[u8]) -> Result<R> {
    match bytes.split_first() {
        Some((&format, body)) if format == R::FORMAT => {
            let (record, used) =
                bincode::serde::decode_from_slice::<R, _>(body, config()).map_err(|_| Error::integrity(R::KIND))?;
            if used == body.len() { Ok(record) } else { Err(Error::integrity(R::KIND)) }
        }
        _ => Err(Error::integrity(R::KIND)),
    }
}
