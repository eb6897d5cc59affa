//! Profiles: the tenants of a vault.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::ids::{MerchantId, ProfileId};
use crate::model::time::Timestamp;

/// Per-profile behaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileSettings {
    /// How long a stored CVC lives before it is deleted unused (default 15 minutes).
    pub cvc_ttl: Duration,
    /// How long a `volatile` payment method lives (default 24 hours).
    pub volatile_ttl: Duration,
    /// Whether retrieve and list show the card fingerprint (default off). It is keyed by
    /// the profile's key version (PCI DSS 3.5.1.1: a keyed hash), so it changes when the
    /// profile's keys rotate: compare fingerprints shown under the same version. Shown, a
    /// fingerprint is first checked against the card number (opened for it and wiped), so a
    /// retrieve or list then opens the card number too.
    pub expose_card_fingerprint: bool,
}

impl ProfileSettings {
    pub const MIN_TTL: Duration = Duration::from_secs(1);
    pub const MAX_CVC_TTL: Duration = Duration::from_secs(24 * 3600);
    pub const MAX_VOLATILE_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

    /// `e` with a time to live named as a caller that gives them in seconds names it
    /// (`cvc_ttl_seconds`, `volatile_ttl_seconds`: the bindings and the CLI).
    pub fn named_in_seconds(e: Error) -> Error {
        match e {
            Error::InvalidValue { field, reason } if field == "cvc_ttl" || field == "volatile_ttl" => {
                Error::InvalidValue { field: format!("{field}_seconds").into(), reason }
            }
            other => other,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.cvc_ttl < Self::MIN_TTL || self.cvc_ttl > Self::MAX_CVC_TTL {
            return Err(Error::invalid("cvc_ttl", "must be between 1 second and 24 hours"));
        }
        if self.volatile_ttl < Self::MIN_TTL || self.volatile_ttl > Self::MAX_VOLATILE_TTL {
            return Err(Error::invalid("volatile_ttl", "must be between 1 second and 30 days"));
        }
        Ok(())
    }
}

impl Default for ProfileSettings {
    fn default() -> Self {
        Self {
            cvc_ttl: Duration::from_secs(15 * 60),
            volatile_ttl: Duration::from_secs(24 * 3600),
            expose_card_fingerprint: false,
        }
    }
}

/// A new profile.
#[derive(Clone, Debug)]
pub struct ProfileCreate {
    pub profile_id: ProfileId,
    pub merchant_id: MerchantId,
    pub settings: ProfileSettings,
}

/// A profile as the vault reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub id: ProfileId,
    pub merchant_id: MerchantId,
    pub settings: ProfileSettings,
    pub created_at: Timestamp,
    /// The key version new writes are sealed with.
    pub active_key_version: u32,
    /// Every key version whose values can still be read, in order: the active one, and
    /// older ones a rotation has not retired yet (its re-encryption has not finished).
    pub readable_key_versions: Vec<u32>,
}
