//! Free-form key/value metadata a merchant attaches to customers and payment methods.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Field, Result};
use crate::model::text;

/// At most this many keys.
pub const MAX_KEYS: usize = 50;
/// At most this many characters in a key.
pub const MAX_KEY_CHARS: usize = 40;
/// At most this many characters in a value.
pub const MAX_VALUE_CHARS: usize = 500;

/// String metadata: at most 50 keys, keys up to 40 characters, values up to 500.
/// Sealed at rest; `Debug` shows only the keys.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Metadata(pub BTreeMap<String, String>);

impl Metadata {
    pub(crate) fn validate(&self, field: &'static str) -> Result<()> {
        // Counted before anything else: a 100k-key map is refused without walking it.
        if self.0.len() > MAX_KEYS {
            return Err(Error::invalid(field, format!("must have at most {MAX_KEYS} keys")));
        }
        for (key, value) in &self.0 {
            let key_field: Field = format!("{field}.key").into();
            text::check(key_field, key, MAX_KEY_CHARS)?;
            // A value may be empty (to record "no value"), but must respect the limits.
            if !value.is_empty() {
                text::check(format!("{field}.value"), value, MAX_VALUE_CHARS)?;
            }
        }
        Ok(())
    }
}

impl From<BTreeMap<String, String>> for Metadata {
    fn from(map: BTreeMap<String, String>) -> Self {
        Self(map)
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(pairs: &[(&str, &str)]) -> Metadata {
        Metadata(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    #[test]
    fn limits() {
        assert!(meta(&[("order", "42")]).validate("metadata").is_ok());
        let many = Metadata((0..=MAX_KEYS).map(|i| (format!("k{i}"), "v".to_owned())).collect());
        assert_eq!(many.validate("metadata").unwrap_err().code(), "IR_05");
        let long_key = "k".repeat(MAX_KEY_CHARS + 1);
        assert_eq!(meta(&[(&long_key, "v")]).validate("metadata").unwrap_err().field(), Some("metadata.key"));
        let long_value = "v".repeat(MAX_VALUE_CHARS + 1);
        assert_eq!(meta(&[("k", &long_value)]).validate("metadata").unwrap_err().field(), Some("metadata.value"));
        assert!(meta(&[("k", "a\u{7}")]).validate("metadata").is_err());
    }
}
