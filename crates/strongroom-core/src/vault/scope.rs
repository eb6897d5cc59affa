//! A profile scope: the handle every customer and payment-method operation runs on, with
//! the rights its holder has.

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::model::ids::ProfileId;
use crate::vault::Vault;
use crate::vault::engine::Engine;
use crate::vault::profiles::ProfileState;

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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
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

/// Operations inside one profile. Records of other profiles are invisible: their ids are
/// simply not found. Cheap to clone.
#[derive(Clone)]
pub struct ProfileScope {
    vault: Vault,
    profile_id: ProfileId,
    scopes: Scopes,
}

impl fmt::Debug for ProfileScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileScope").field("profile_id", &self.profile_id).field("scopes", &self.scopes).finish()
    }
}

impl ProfileScope {
    pub(crate) fn new(vault: Vault, profile_id: ProfileId, scopes: Scopes) -> Self {
        Self { vault, profile_id, scopes }
    }

    pub fn profile_id(&self) -> &ProfileId {
        &self.profile_id
    }

    pub fn scopes(&self) -> Scopes {
        self.scopes
    }

    /// Checks the right, then resolves the engine and the profile's state.
    pub(crate) fn begin(&self, scope: Scope) -> Result<(Arc<Engine>, Arc<ProfileState>)> {
        if !self.scopes.contains(scope) {
            return Err(Error::Forbidden { scope: scope.as_str() });
        }
        let engine = self.vault.engine()?;
        let state = engine.profile_state(&self.profile_id)?;
        Ok((engine, state))
    }
}
