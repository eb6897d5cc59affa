//! The master key: from `STRONGROOM_MASTER_KEY` or a file, as 64 hex digits or base64 of
//! 32 bytes.

use base64::Engine as _;
use strongroom_core::{MasterKey, MasterKeyId, MasterKeyRing};
use zeroize::Zeroizing;

use crate::error::{CliError, Result};

/// Parses a key given as text (hex or base64), never echoing it in errors. A key of any
/// other shape is a usage error (exit 2), whatever its characters.
pub fn parse_key(text: &str) -> Result<MasterKey> {
    let text = Zeroizing::new(text.trim().to_owned());
    let malformed = || CliError::usage("the master key must be 64 hex digits or the base64 of 32 bytes");
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return MasterKey::from_hex(&text).map_err(|_| malformed());
    }
    let bytes =
        Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(text.as_bytes()).map_err(|_| malformed())?);
    MasterKey::from_slice(&bytes).map_err(|_| malformed())
}

/// The key from `--master-key-file`, else from `STRONGROOM_MASTER_KEY`.
pub fn load(file: Option<&std::path::Path>, env: Option<&str>) -> Result<MasterKey> {
    match (file, env) {
        (Some(path), _) => {
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| CliError::io("master key file", e))?);
            parse_key(&text)
        }
        (None, Some(text)) => parse_key(text),
        (None, None) => {
            Err(CliError::usage("no master key: set STRONGROOM_MASTER_KEY (hex or base64) or pass --master-key-file"))
        }
    }
}

pub fn ring(key: MasterKey, id: &str) -> Result<MasterKeyRing> {
    Ok(MasterKeyRing::single(MasterKeyId::parse(id)?, key))
}
