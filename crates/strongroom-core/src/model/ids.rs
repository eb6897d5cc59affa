//! Identifiers. Generated ids are `[{cell}_]{prefix}_{uuid v7 as 32 lowercase hex}`: unique,
//! time-ordered (so key order is creation order), and shape-checked before any lookup.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{text, uuid_v7};

const HEX_LEN: usize = 32;
const MAX_CELL_LEN: usize = 16;

/// A deployment cell prefix (`12345` in `12345_pm_…`): 1–16 ASCII letters or digits.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct CellId(String);

impl CellId {
    pub fn parse(value: &str) -> Result<Self> {
        if value.is_empty() || value.len() > MAX_CELL_LEN || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::invalid("cell_id", "must be 1 to 16 ASCII letters or digits"));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! token_id {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Checks the shape (`[A-Za-z0-9_-]`, 1 to
            #[doc = stringify!($max)]
            /// characters).
            pub fn parse(value: &str) -> Result<Self> {
                text::check_token($field, value, $max)?;
                Ok(Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

token_id!(
    /// A tenant of the vault. Every record lives under exactly one profile.
    ProfileId, "profile_id", 64
);
token_id!(
    /// The merchant that owns a profile.
    MerchantId, "merchant_id", 64
);

macro_rules! generated_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The type prefix of this id kind.
            pub const PREFIX: &'static str = $prefix;

            /// A new, unique, time-ordered id (`InternalError::Random` only if the
            /// operating system cannot seed this thread's generator).
            pub fn generate(cell: Option<&CellId>) -> Result<Self> {
                Ok(Self(generate(cell, $prefix)?))
            }

            /// Checks the shape `[{cell}_]
            #[doc = $prefix]
            /// _{32 lowercase hex}` before any lookup.
            pub fn parse(value: &str) -> Result<Self> {
                parse_generated(value, $prefix, $field)?;
                Ok(Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl GeneratedId for $name {
            fn as_str(&self) -> &str {
                &self.0
            }

            fn from_stored(text: String) -> Option<Self> {
                parse_generated(&text, $prefix, $field).ok()?;
                Some(Self(text))
            }

            fn from_well_formed(text: String) -> Option<Self> {
                let kind_matches = text.len() == $prefix.len() + 1 + HEX_LEN
                    && text.starts_with($prefix)
                    && text.as_bytes()[$prefix.len()] == b'_';
                kind_matches.then_some(Self(text))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

/// A generated id kind, as the record codec stores it (`store::stored_id`).
pub(crate) trait GeneratedId: Sized {
    fn as_str(&self) -> &str;
    /// The id of a stored text, `None` when it does not have this kind's shape.
    fn from_stored(text: String) -> Option<Self>;
    /// The id of a text known to be `{some prefix}_{32 lowercase hex}`, `None` when the
    /// prefix is another kind's.
    fn from_well_formed(text: String) -> Option<Self>;
}

generated_id!(
    /// A customer of a profile (`cus_…`).
    CustomerId, "cus", "customer_id"
);
generated_id!(
    /// A stored payment method: the token that stands in for the card (`pm_…`).
    PaymentMethodId, "pm", "payment_method_id"
);
generated_id!(
    /// An API key (`key_…`); the id is public, the secret is shown once.
    ApiKeyId, "key", "api_key_id"
);

fn generate(cell: Option<&CellId>, prefix: &str) -> Result<String> {
    let uuid = uuid_v7::next()?;
    let mut hex = uuid::Uuid::encode_buffer();
    let hex = uuid.simple().encode_lower(&mut hex);
    let cell = cell.map(CellId::as_str);
    let mut id = String::with_capacity(cell.map_or(0, |c| c.len() + 1) + prefix.len() + 1 + HEX_LEN);
    if let Some(cell) = cell {
        id.push_str(cell);
        id.push('_');
    }
    id.push_str(prefix);
    id.push('_');
    id.push_str(hex);
    Ok(id)
}

fn parse_generated(value: &str, prefix: &str, field: &'static str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::missing(field));
    }
    let shape = || Error::invalid(field, format!("must look like `{prefix}_` followed by 32 lowercase hex digits"));
    if value.len() > MAX_CELL_LEN + 1 + prefix.len() + 1 + HEX_LEN {
        return Err(shape());
    }
    let mut parts = value.rsplitn(3, '_');
    let hex = parts.next().ok_or_else(shape)?;
    let got_prefix = parts.next().ok_or_else(shape)?;
    let cell = parts.next();
    let hex_ok = hex.len() == HEX_LEN && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !hex_ok || got_prefix != prefix {
        return Err(shape());
    }
    if let Some(cell) = cell {
        CellId::parse(cell).map_err(|_| shape())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_and_order() {
        let a = PaymentMethodId::generate(None).unwrap();
        let b = PaymentMethodId::generate(None).unwrap();
        assert!(a.as_str().starts_with("pm_"));
        assert_eq!(a.as_str().len(), 35);
        assert!(a < b, "uuid v7 ids sort in creation order");
        assert_eq!(PaymentMethodId::parse(a.as_str()).unwrap(), a);

        let cell = CellId::parse("12345").unwrap();
        let c = CustomerId::generate(Some(&cell)).unwrap();
        assert!(c.as_str().starts_with("12345_cus_"));
        assert!(CustomerId::parse(c.as_str()).is_ok());
    }

    #[test]
    fn malformed_ids_are_rejected() {
        let good_hex = "019e2102e4fb7a32b456d8f896e8f51e";
        assert!(CustomerId::parse(&format!("cus_{good_hex}")).is_ok());
        for bad in [
            format!("pm_{good_hex}"),
            format!("cus_{}", good_hex.to_uppercase()),
            format!("cus_{}", &good_hex[1..]),
            format!("cus_{good_hex}0"),
            format!("bad cell_cus_{good_hex}"),
            format!("a_b_cus_{good_hex}"),
            "cus_".to_owned(),
            "4111111111111111".to_owned(),
            "x".repeat(10_000),
        ] {
            let err = CustomerId::parse(&bad).unwrap_err();
            assert_eq!(err.code(), "IR_05", "{bad}");
            assert_eq!(err.field(), Some("customer_id"));
            if bad.len() > 8 {
                assert!(!err.to_string().contains(&bad), "the message never echoes the input");
            }
        }
        assert_eq!(CustomerId::parse("").unwrap_err().code(), "IR_04");
    }
}
