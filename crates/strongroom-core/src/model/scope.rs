//! Rights: what a caller (an API key, or the trusted host) may do in a profile.

use serde::{Deserialize, Serialize};

/// A right an operation needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Masked data: retrieve and list.
    Read,
    /// Create, update and delete.
    Write,
    /// Full card data: reveal and take_cvc.
    Reveal,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Reveal => "reveal",
        }
    }
}

/// A set of rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Scopes {
    pub read: bool,
    pub write: bool,
    pub reveal: bool,
}

impl Scopes {
    pub const ALL: Scopes = Scopes { read: true, write: true, reveal: true };

    pub fn contains(self, scope: Scope) -> bool {
        match scope {
            Scope::Read => self.read,
            Scope::Write => self.write,
            Scope::Reveal => self.reveal,
        }
    }
}

impl Scopes {
    pub const NONE: Scopes = Scopes { read: false, write: false, reveal: false };

    pub fn is_empty(self) -> bool {
        !(self.read || self.write || self.reveal)
    }

    /// Parses `read`, `write`, `reveal` names (e.g. from a command line).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> crate::error::Result<Self> {
        let mut scopes = Self::NONE;
        for name in names {
            match name.trim() {
                "read" => scopes.read = true,
                "write" => scopes.write = true,
                "reveal" => scopes.reveal = true,
                _ => return Err(crate::error::Error::invalid("scopes", "each scope must be read, write or reveal")),
            }
        }
        Ok(scopes)
    }

    /// The scope names, in a fixed order.
    pub fn names(self) -> Vec<&'static str> {
        [Scope::Read, Scope::Write, Scope::Reveal]
            .into_iter()
            .filter(|s| self.contains(*s))
            .map(Scope::as_str)
            .collect()
    }
}
